// "Show more" for long lists and tables in a reply: the first rows stay, the rest open on a click.

import { t } from "./i18n.js";

const VISIBLE = 10;

function toggle(container, rows) {
  const hidden = rows.slice(VISIBLE);
  const button = document.createElement("button");
  button.type = "button";
  button.className = "btn btn-link show-more";
  const label = () => (hidden[0].hidden ? t("showMore", { n: hidden.length }) : t("showLess"));
  for (const row of hidden) row.hidden = true;
  button.textContent = label();
  button.setAttribute("aria-expanded", "false");
  button.addEventListener("click", () => {
    const open = hidden[0].hidden;
    for (const row of hidden) row.hidden = !open;
    button.textContent = label();
    button.setAttribute("aria-expanded", String(open));
  });
  container.after(button);
}

/** Collapse every list and table body of `root` that has more than ten rows. */
export function collapseLongLists(root) {
  for (const list of root.querySelectorAll("ul, ol")) {
    const items = [...list.children].filter((c) => c.tagName === "LI");
    if (items.length > VISIBLE + 2) toggle(list, items);
  }
  for (const table of root.querySelectorAll("table")) {
    const rows = [...table.querySelectorAll("tbody > tr")];
    if (rows.length > VISIBLE + 2) toggle(table.closest(".table-wrap") || table, rows);
  }
}
