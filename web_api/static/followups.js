// Quick follow-up buttons under an answer (за вчера / по дням / график / подробнее), chosen from the
// tools the answer used. Kept apart from clarification choices: these are suggestions, not answers.

import { t } from "./i18n.js";

const SPEND_TOOLS = new Set(["getSpendReport", "getCampaigns", "getCampaignDetails", "getAdSets", "getDirections",
  "getDirectionDetails", "getDirectionMetrics", "getROIReport", "getROIComparison"]);

// A list the tool cut at its limit: {result key of the total, noun for the question}.
const PAGED = { getLeads: "leads", getDialogs: "dialogs" };
const MAX_ROWS = 100; // the tools' own upper limit

/** "Show all N": the same list asked again with room for every row, when the answer showed fewer. */
function showAll(results) {
  for (const [tool, key] of Object.entries(PAGED)) {
    const result = results.get(tool);
    const total = result?.total?.[key];
    if (Number.isFinite(result?.count) && Number.isFinite(total) && total > result.count) {
      const n = Math.min(total, MAX_ROWS);
      // The same period, spelled out: a bare "show 100 leads" would fall back to the default one.
      const { from, to } = result.period || {};
      const period = from && to ? t("fuPeriod", { from, to }) : "";
      return { label: t("fuShowAll", { n }),
        text: t(key === "leads" ? "fuShowLeads" : "fuShowDialogs", { n }) + period };
    }
  }
  return null;
}

/** Follow-ups for a reply that used `tools` (with their `results`): [{label, text}], empty when none fits. */
export function followUpsFor(tools, results = new Map()) {
  const all = showAll(results);
  if (![...tools].some((tool) => SPEND_TOOLS.has(tool))) return all ? [all] : [];
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
