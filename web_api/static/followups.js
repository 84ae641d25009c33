// Quick follow-up buttons under an answer (за вчера / по дням / график / подробнее), chosen from the
// tools the answer used. Kept apart from clarification choices: these are suggestions, not answers.

import { t } from "./i18n.js";

const SPEND_TOOLS = new Set(["getSpendReport", "getCampaigns", "getCampaignDetails", "getAdSets", "getDirections",
  "getDirectionDetails", "getDirectionMetrics", "getROIReport", "getROIComparison"]);

/** Follow-ups for a reply that used `tools`: [{label, text}] (empty when none fits). */
export function followUpsFor(tools) {
  if (![...tools].some((tool) => SPEND_TOOLS.has(tool))) return [];
  return [
    { label: t("fuYesterday"), text: t("fuYesterdayText") },
    { label: t("fuByDay"), text: t("fuByDayText") },
    { label: t("fuChart"), text: t("fuChartText") },
    { label: t("fuMore"), text: t("fuMoreText") },
  ];
}

/** A row of buttons; clicking one sends its text as the user's next message. */
export function followUpButtons(items, send) {
  const row = document.createElement("div");
  row.className = "followups";
  row.setAttribute("role", "group");
  row.setAttribute("aria-label", t("followUps"));
  for (const item of items) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-chip";
    button.textContent = item.label;
    button.title = item.text;
    button.addEventListener("click", () => send(item.text));
    row.append(button);
  }
  return row;
}
