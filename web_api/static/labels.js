// Friendly words for tools ("Считаю расходы…") from the server's one catalogue (agent_brain/texts.py).
// Until it has loaded (or if it fails), a neutral phrase is shown — never a tool's internal name.

import { LANG } from "./i18n.js";

let catalogue = {};
let agents = {};

export async function loadLabels(api) {
  try {
    const texts = await api.get("/api/brain/texts");
    catalogue = texts.tools || {};
    agents = texts.agents || {};
  } catch {
    catalogue = {};
    agents = {};
  }
}

/** Who answered ("Реклама", "Лиды и продажи"); empty for a name the catalogue lacks. */
export function agentLabel(name) {
  return agents[name] || "";
}

/** What a running tool is doing, in words. */
export function activityLabel(tool) {
  return catalogue[tool]?.activity || (LANG === "ru" ? "Работаю с данными" : "Working on it");
}

/** What a plan step does, in words. */
export function actionLabel(tool) {
  return catalogue[tool]?.action || (LANG === "ru" ? "Изменение" : "A change");
}
