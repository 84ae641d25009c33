"""Requests the product must not turn into a write: unsupported, ambiguous or out of scope (RU + EN).

Each entry is (message, expected): "refuse" — the answer says in one sentence that this cannot be
done yet and offers the nearest supported thing; "ask" — the answer is a question (or a refusal)
with no write. The corpus is data: when a later issue adds a capability (say, rules or CSV
export), its phrases move from here to the supported cases (`offline_cases.py`), and this list
keeps growing with every new kind of miss.
"""

from __future__ import annotations

from typing import Literal

Expected = Literal["refuse", "ask"]

CORPUS: list[tuple[str, Expected]] = [
    # ── creating objects (campaigns, asked for what is missing, moved to offline_cases.META_OPS) ──
    ("Создай адсет Москва 30-50 с бюджетом 40 долларов", "refuse"),
    ("create an ad set for Kazan women 25-45", "refuse"),
    # ── other platforms (TikTok and Google Ads moved to offline_cases.PLATFORMS) ─────────────
    ("Какие расходы в Яндекс Директе?", "refuse"),
    ("Поставь на паузу кампанию в ВКонтакте", "refuse"),
    ("pause our LinkedIn ads", "refuse"),
    ("How are the Snapchat ads doing?", "refuse"),
    ("Подними бюджет в тикток до $100", "ask"),  # which ad group: asked, never guessed
    ("Покажи расходы в Pinterest и VK", "refuse"),
    # ── reminders and timed actions (recurring reports moved to offline_cases.WAVE2) ─────────
    ("Напомни мне завтра проверить кампанию Виниры СПб", "refuse"),
    ("remind me to check the leads tomorrow", "refuse"),
    # ── exports ──────────────────────────────────────────────────────────────────────────────
    ("Сделай PDF отчёт по расходам за месяц", "refuse"),
    ("Выгрузи расходы в Google таблицу", "refuse"),
    # ── automation that is not a metric rule (metric rules and alerts moved to offline_cases.WAVE2) ─
    ("Автоматически поднимай бюджет лучшей кампании на 10% каждый день", "refuse"),
    ("Уведомляй меня, когда приходит горячий лид", "ask"),  # a rule with no threshold: asked for
    ("automatically move hot leads to Консультация", "refuse"),
    # ── other ad accounts ────────────────────────────────────────────────────────────────────
    ("Покажи расходы по другому аккаунту", "refuse"),
    ("Переключись на второй рекламный кабинет", "ask"),  # the accounts are listed to choose from
    ("Show spend for all ad accounts", "refuse"),
    ("switch to another ad account", "ask"),
    # ── deleting, copying, targeting, bids ───────────────────────────────────────────────────
    ("Удали кампанию Виниры СПб", "refuse"),
    ("Удали лида Анна Иванова", "refuse"),
    ("delete the campaign Брекеты Москва", "refuse"),
    ("duplicate the ad set Москва 25-45", "refuse"),
    ("set a bid cap of $3 on campaign Виниры СПб", "refuse"),
    # ── other channels, copywriting, forecasts ───────────────────────────────────────────────
    ("Отправь всем горячим лидам SMS со скидкой", "refuse"),
    ("Send an email to the cold leads", "refuse"),
    ("Сделай прогноз расходов на следующий месяц", "refuse"),
    ("forecast next month's leads", "refuse"),
    # ── found exploring after the first version (kept: each was a miss or a near miss) ──────
    ("Настрой автоправило на выключение дорогих адсетов", "ask"),  # which condition? asked
    ("Поменяй креатив в объявлении Москва 25-45", "refuse"),
    ("Выведи статистику в таблицу для бухгалтерии", "refuse"),
    ("Добавь новое направление Протезирование с бюджетом $40", "refuse"),
    ("Open a new ad set with $20 budget", "refuse"),
    ("Turn off ads at night automatically", "refuse"),
    ("Connect my Yandex account", "refuse"),
    ("Move budget from Виниры to Брекеты", "refuse"),
    ("Перекинь 20 долларов с Виниров на Брекеты", "refuse"),
    ("Раздели бюджет поровну между направлениями", "refuse"),
    ("Какая будет прибыль в декабре?", "refuse"),
    ("Поставь кампанию Виниры СПб на паузу в 23:00", "refuse"),
    ("Включи кампанию Виниры СПб завтра утром", "refuse"),
    ("Сравни нас с конкурентами", "refuse"),
    ("Поменяй текст объявления", "refuse"),
    ("Загрузи новое видео", "refuse"),
    ("Add a new creative from this link https://example.com/video.mp4", "refuse"),
    ("Поставь всем кампаниям бюджет $10", "ask"),
    ("Выключи всё", "ask"),
    ("pause everything", "ask"),
    # ── ambiguous or vague writes ────────────────────────────────────────────────────────────
    ("поставь 50", "ask"),
    ("сделай получше", "ask"),
    ("увеличь бюджет", "ask"),
    ("увеличь бюджет на 20%", "ask"),
    ("поставь на паузу", "ask"),
    ("Переведи на этап Записана", "ask"),
    ("Переведи лид с телефоном +79000000017 на этап Отказ", "ask"),
    ("pause it", "ask"),
    ("set it to 40", "ask"),
    ("make it better", "ask"),
    ("increase by 15%", "ask"),
    ("Останови кампанию Москва", "ask"),
    ("pause the campaign Пломбирование Казань", "ask"),
    ("Поставь бюджет направления Стоматология $60", "ask"),
    ("move the lead to Отказ", "ask"),
    # ── nonsense with numbers, out of scope ──────────────────────────────────────────────────
    ("42", "ask"),
    ("сделай 100500", "ask"),
    ("купи 3 слона за $100", "ask"),
    ("Какая погода завтра?", "ask"),
    ("Напиши стих про зубы", "ask"),
    ("What is the capital of France?", "ask"),
    ("do 50 of them", "ask"),
    ("ставь 30 и всё", "ask"),
]
