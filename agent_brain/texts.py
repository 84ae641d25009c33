"""Words people see instead of tool names, RU/EN: one catalogue for the web, Telegram and the terminal.

`activity(tool, lang)` is what runs ("Смотрю расходы…"); `action(tool, lang)` is what a plan step
will do ("Поставить кампанию на паузу"). The web page receives the same catalogue from
GET /api/brain/texts, so there is one source.
"""

from __future__ import annotations

# tool → (activity ru, activity en, action ru, action en)
TOOLS: dict[str, tuple[str, str, str, str]] = {
    "getCampaigns": ("Смотрю кампании", "Looking at campaigns", "Показать кампании", "Show campaigns"),
    "getCampaignDetails": ("Смотрю кампанию", "Looking at the campaign", "Показать кампанию", "Show the campaign"),
    "getAdSets": ("Смотрю группы объявлений", "Looking at ad sets", "Показать группы объявлений", "Show ad sets"),
    "getSpendReport": ("Считаю расходы", "Adding up spend", "Отчёт о расходах", "Spend report"),
    "getDirections": ("Смотрю направления", "Looking at directions", "Показать направления", "Show directions"),
    "getDirectionDetails": ("Смотрю направление", "Looking at the direction", "Показать направление",
                            "Show the direction"),
    "getDirectionMetrics": ("Считаю показатели направления", "Computing the direction's metrics",
                            "Показатели направления", "Direction metrics"),
    "getROIReport": ("Считаю окупаемость", "Computing ROI", "Отчёт об окупаемости", "ROI report"),
    "getROIComparison": ("Сравниваю окупаемость", "Comparing ROI", "Сравнить окупаемость", "Compare ROI"),
    "pauseCampaign": ("Ставлю кампанию на паузу", "Pausing the campaign", "Поставить кампанию на паузу",
                      "Pause the campaign"),
    "resumeCampaign": ("Включаю кампанию", "Resuming the campaign", "Включить кампанию", "Resume the campaign"),
    "pauseAdSet": ("Ставлю группу объявлений на паузу", "Pausing the ad set", "Поставить группу объявлений на паузу",
                   "Pause the ad set"),
    "resumeAdSet": ("Включаю группу объявлений", "Resuming the ad set", "Включить группу объявлений",
                    "Resume the ad set"),
    "updateBudget": ("Меняю дневной бюджет", "Changing the daily budget", "Изменить дневной бюджет",
                     "Change the daily budget"),
    "updateDirectionBudget": ("Меняю бюджет направления", "Changing the direction's budget",
                              "Изменить дневной бюджет направления", "Change the direction's daily budget"),
    "updateDirectionTargetCPL": ("Меняю целевую цену лида", "Changing the target CPL", "Изменить целевую цену лида",
                                 "Change the target cost per lead"),
    "pauseDirection": ("Ставлю направление на паузу", "Pausing the direction", "Поставить направление на паузу",
                       "Pause the direction"),
    "resumeDirection": ("Включаю направление", "Resuming the direction", "Включить направление",
                        "Resume the direction"),
    "getCreatives": ("Смотрю креативы", "Looking at creatives", "Показать креативы", "Show creatives"),
    "getCreativeDetails": ("Смотрю креатив", "Looking at the creative", "Показать креатив", "Show the creative"),
    "getCreativeMetrics": ("Считаю показатели креатива", "Computing the creative's metrics", "Показатели креатива",
                           "Creative metrics"),
    "getCreativeAnalysis": ("Читаю разбор креатива", "Reading the creative's analysis", "Разбор креатива",
                            "Creative analysis"),
    "getTopCreatives": ("Ищу лучшие креативы", "Finding the best creatives", "Лучшие креативы", "Top creatives"),
    "getWorstCreatives": ("Ищу слабые креативы", "Finding the weakest creatives", "Слабые креативы",
                          "Weakest creatives"),
    "compareCreatives": ("Сравниваю креативы", "Comparing creatives", "Сравнить креативы", "Compare creatives"),
    "getCreativeScores": ("Смотрю оценки креативов", "Looking at creative scores", "Оценки креативов",
                          "Creative scores"),
    "getCreativeTests": ("Смотрю тесты креативов", "Looking at creative tests", "Тесты креативов", "Creative tests"),
    "getCreativeTranscript": ("Читаю расшифровку видео", "Reading the video transcript", "Расшифровка видео",
                              "Video transcript"),
    "triggerCreativeAnalysis": ("Запускаю разбор креатива", "Starting the creative's analysis",
                                "Запустить разбор креатива", "Analyse the creative"),
    "pauseCreative": ("Ставлю креатив на паузу", "Pausing the creative", "Поставить креатив на паузу",
                      "Pause the creative"),
    "launchCreative": ("Запускаю креатив", "Launching the creative", "Запустить креатив", "Launch the creative"),
    "startCreativeTest": ("Запускаю тест креатива", "Starting a creative test", "Запустить тест креатива",
                          "Start a creative test"),
    "stopCreativeTest": ("Останавливаю тест креатива", "Stopping the creative test", "Остановить тест креатива",
                         "Stop the creative test"),
    "getLeads": ("Смотрю лиды", "Looking at leads", "Показать лиды", "Show leads"),
    "getLeadDetails": ("Смотрю лида", "Looking at the lead", "Показать лида", "Show the lead"),
    "getFunnelStats": ("Считаю воронку", "Computing the funnel", "Воронка продаж", "Sales funnel"),
    "getRevenueStats": ("Считаю выручку", "Computing revenue", "Выручка", "Revenue"),
    "updateLeadStage": ("Меняю этап лида", "Moving the lead", "Перевести лида на другой этап",
                        "Move the lead to another stage"),
    "getDialogs": ("Смотрю диалоги WhatsApp", "Looking at WhatsApp dialogs", "Показать диалоги", "Show dialogs"),
    "getDialogMessages": ("Читаю переписку", "Reading the dialog", "Показать переписку", "Show the dialog"),
    "analyzeDialog": ("Разбираю диалог", "Analysing the dialog", "Разобрать диалог", "Analyse the dialog"),
    "searchDialogSummaries": ("Ищу по диалогам", "Searching dialogs", "Поиск по диалогам", "Search dialogs"),
    "sendBulkMessage": ("Отправляю рассылку", "Sending the broadcast", "Отправить рассылку в WhatsApp",
                        "Send a WhatsApp broadcast"),
    "getInboundStats": ("Смотрю, о чём пишут клиенты", "Looking at what customers write about",
                        "О чём пишут клиенты", "What customers write about"),
    "sendSegmentMessage": ("Отправляю рассылку сегменту", "Sending to the segment", "Отправить рассылку сегменту",
                           "Send to a customer segment"),
    # issue 16: Meta operations
    "planCampaignStructure": ("Собираю структуру кампании", "Building the campaign structure",
                              "Подготовить кампанию", "Prepare a campaign"),
    "createCampaignStructure": ("Создаю кампанию", "Creating the campaign", "Создать кампанию с адсетами и "
                                "объявлениями (на паузе)", "Create the campaign with its ad sets and ads (paused)"),
    "archiveCampaign": ("Архивирую кампанию", "Archiving the campaign", "Заархивировать кампанию",
                        "Archive the campaign"),
    "updateAdSetTargeting": ("Меняю таргетинг", "Changing the targeting", "Изменить таргетинг адсета",
                             "Change the ad set's targeting"),
    "updateAdSetSettings": ("Меняю настройки адсета", "Changing the ad set's settings",
                            "Изменить ставку, даты или бюджет адсета", "Change the ad set's bid, dates or budget"),
    "createCreativeAd": ("Создаю креатив и объявление", "Creating the creative and ad",
                         "Создать креатив и объявление (на паузе)", "Create the creative and a paused ad"),
    "createLeadAudience": ("Создаю аудиторию", "Creating the audience", "Создать аудиторию из лидов CRM",
                           "Create an audience from CRM leads"),
    "createLookalike": ("Создаю похожую аудиторию", "Creating the lookalike", "Создать похожую аудиторию",
                        "Create a lookalike audience"),
    "deleteAudience": ("Удаляю аудиторию", "Deleting the audience", "Удалить аудиторию", "Delete the audience"),
    "writeAdCopy": ("Пишу варианты текста", "Writing copy variants", "Варианты текста", "Copy variants"),
    "exportTable": ("Готовлю файл", "Preparing the file", "Выгрузить таблицу", "Export the table"),
}

# agent or classified domain → who answered, as the page's reply header shows it
AGENTS: dict[str, tuple[str, str]] = {
    "ads": ("Реклама", "Ads"), "creative": ("Креативы", "Creatives"), "crm": ("Лиды и продажи", "Leads and sales"),
    "whatsapp": ("WhatsApp", "WhatsApp"), "mixed": ("Несколько разделов", "Several areas"),
    "orchestrator": ("Несколько разделов", "Several areas"), "memory": ("Память", "Memory"),
    "approval": ("Подтверждение", "Approval"), "system": ("Ассистент", "Assistant"),
}

STATUSES: dict[str, tuple[str, str]] = {
    "ACTIVE": ("активна", "active"), "PAUSED": ("на паузе", "paused"), "DELETED": ("удалена", "deleted"),
    "ARCHIVED": ("в архиве", "archived"),
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "ru" else pair[1]


def activity(tool: str, lang: str) -> str:
    """What a running tool is doing, in words; a neutral phrase for a tool the catalogue lacks."""
    entry = TOOLS.get(tool)
    return _pick((entry[0], entry[1]), lang) if entry else _pick(("Работаю с данными", "Working on it"), lang)


def action(tool: str, lang: str) -> str:
    """What a plan step will do, in words."""
    entry = TOOLS.get(tool)
    return _pick((entry[2], entry[3]), lang) if entry else _pick(("Изменение", "A change"), lang)


def status(value: str | None, lang: str) -> str:
    return _pick(STATUSES[value], lang) if value in STATUSES else (value or "—")


def agent(name: str, lang: str) -> str:
    return _pick(AGENTS[name], lang) if name in AGENTS else ""


def catalogue(lang: str) -> dict[str, dict[str, str]]:
    """{tool: {"activity", "action"}} in one language (the web page's copy)."""
    return {tool: {"activity": activity(tool, lang), "action": action(tool, lang)} for tool in TOOLS}


def agent_catalogue(lang: str) -> dict[str, str]:
    return {name: agent(name, lang) for name in AGENTS}
