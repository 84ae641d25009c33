"""Everything the bot says that is not produced by the orchestrator, in Russian and English."""

from __future__ import annotations

from typing import Literal

from aiogram.types import User as TgUser

from agent_brain.stores.users import UserRecord

Lang = Literal["ru", "en"]
# Telegram clients in these locales read Russian more comfortably than English.
_RUSSIAN_READERS = ("ru", "uk", "be", "kk", "uz", "ky")

_TEXTS: dict[str, dict[Lang, str]] = {
    "unlinked": {
        "ru": "🔒 Этот чат не привязан к аккаунту agent-brain.\n\n"
              "Получите одноразовый код привязки в веб-чате (действует 15 минут) и отправьте его сюда:\n"
              "<code>/start КОД</code>",
        "en": "🔒 This chat is not linked to an agent-brain account.\n\n"
              "Get a one-time link code in the web chat (valid for 15 minutes) and send it here:\n"
              "<code>/start CODE</code>",
    },
    "unlinked_alert": {
        "ru": "Чат не привязан: отправьте /start КОД",
        "en": "This chat is not linked: send /start CODE",
    },
    "linked": {
        "ru": "✅ Чат привязан к аккаунту <b>{name}</b>.\n\n"
              "Спрашивайте о рекламе, креативах, лидах и WhatsApp — например, «Покажи расходы за неделю».\n"
              "/help — команды.",
        "en": "✅ This chat is now linked to <b>{name}</b>.\n\n"
              "Ask about ads, creatives, leads and WhatsApp — e.g. “Show spend for the last week”.\n"
              "/help — commands.",
    },
    "bad_code": {
        "ru": "❌ Код не подошёл: он неверный, истёк или уже использован. Получите новый код в веб-чате.",
        "en": "❌ That code did not work: it is wrong, expired or already used. Get a new one in the web chat.",
    },
    "already_linked": {
        "ru": "Этот чат уже привязан к аккаунту <b>{name}</b>. /help — команды.",
        "en": "This chat is already linked to <b>{name}</b>. /help — commands.",
    },
    "group_linking_off": {
        "ru": "🔒 Привязать можно только личный чат с ботом: откройте личный чат со мной и отправьте код там. "
              "Групповые чаты включает администратор (TELEGRAM_ALLOW_GROUPS).",
        "en": "🔒 Only a private chat with the bot can be linked: open a private chat with me and send the code "
              "there. Group chats are enabled by the administrator (TELEGRAM_ALLOW_GROUPS).",
    },
    "not_allowed_here": {
        "ru": "⛔ Здесь мной управляет {owner}. Чтобы вы могли писать мне и подтверждать планы, "
              "{owner} может ответить на ваше сообщение командой /allow.",
        "en": "⛔ Only {owner} can act here. To let you talk to me and approve plans, "
              "{owner} can reply to your message with /allow.",
    },
    "not_allowed_alert": {
        "ru": "⛔ Подтверждать планы здесь может только {owner} (или те, кого он добавил).",
        "en": "⛔ Only {owner} (or people they added) can approve plans here.",
    },
    "owner_only": {
        "ru": "Эту команду может выполнить только тот, кто привязал чат ({owner}).",
        "en": "Only the person who linked this chat ({owner}) can use this command.",
    },
    "allow_usage": {
        "ru": "Ответьте командой <code>/allow</code> на сообщение человека или напишите "
              "<code>/allow @username</code>. <code>/deny</code> — так же, чтобы убрать доступ.",
        "en": "Reply with <code>/allow</code> to the person's message or send <code>/allow @username</code>. "
              "<code>/deny</code> works the same way to take the access back.",
    },
    "allowed": {
        "ru": "✅ {who} теперь может писать мне здесь и подтверждать планы.",
        "en": "✅ {who} can now talk to me here and approve plans.",
    },
    "already_allowed": {"ru": "{who} уже может действовать здесь.", "en": "{who} can already act here."},
    "denied": {"ru": "🚫 {who} больше не может действовать здесь.", "en": "🚫 {who} can no longer act here."},
    "not_in_list": {
        "ru": "{who} не в списке (владельца чата убрать нельзя — привяжите чат заново).",
        "en": "{who} is not on the list (the chat's owner cannot be removed — link the chat again).",
    },
    "group_mode": {
        "ru": "В группе любые изменения идут планом с подтверждением: доступны режимы plan и ask.",
        "en": "In a group every change is a plan to approve: the modes are plan and ask.",
    },
    "help": {
        "ru": "Я помогаю с рекламой Meta, креативами, лидами CRM и WhatsApp.\n\n"
              "/status — режим, история, ожидающий план, состояние Facebook API\n"
              "/mode auto|plan|ask — режим подтверждений\n"
              "/clear — очистить историю диалога\n"
              "/allow, /deny — кто ещё может действовать в этом чате (ответом на сообщение или @username)\n"
              "/stop — остановить ответ, который я пишу\n"
              "/help — эта справка\n\n"
              "Действия, которые тратят деньги или что-то останавливают, я сначала покажу планом с кнопками "
              "✅ Выполнить / ❌ Отменить (можно ответить «да» или «нет»).",
        "en": "I help with Meta ads, creatives, CRM leads and WhatsApp.\n\n"
              "/status — mode, history, pending plan, Facebook API health\n"
              "/mode auto|plan|ask — how much I ask before acting\n"
              "/clear — clear the conversation history\n"
              "/allow, /deny — who else may act in this chat (as a reply to their message, or @username)\n"
              "/stop — stop the answer I'm writing\n"
              "/help — this help\n\n"
              "Anything that spends money or stops delivery is shown as a plan first, with "
              "✅ Execute / ❌ Cancel buttons (or answer “yes” / “no”).",
    },
    "mode_usage": {
        "ru": "Использование: <code>/mode auto|plan|ask</code>\nСейчас: <b>{mode}</b>\n\n{modes}",
        "en": "Usage: <code>/mode auto|plan|ask</code>\nCurrent: <b>{mode}</b>\n\n{modes}",
    },
    "modes": {
        "ru": "auto — чтение и изменения сразу, опасное — с подтверждением\n"
              "plan — чтение сразу, любые изменения — планом\n"
              "ask — всё, даже чтение, — с подтверждением",
        "en": "auto — reads and changes run at once, dangerous ones are confirmed\n"
              "plan — reads run at once, every change is planned\n"
              "ask — everything, even reads, is confirmed",
    },
    "mode_set": {"ru": "Режим: <b>{mode}</b>", "en": "Mode: <b>{mode}</b>"},
    "cleared": {
        "ru": "🧹 История очищена ({count} сообщ.). Ожидавшие планы отменены.",
        "en": "🧹 History cleared ({count} messages). Pending plans were cancelled.",
    },
    "status": {
        "ru": "📊 <b>Статус</b>\nРежим: <b>{mode}</b>\nСообщений в истории: {count}\n"
              "Последний агент: {agent}\nПоследний домен: {domain}\nОжидает подтверждения: {plan}\n"
              "Facebook API: {breaker}\nМогут действовать: {people}",
        "en": "📊 <b>Status</b>\nMode: <b>{mode}</b>\nMessages in history: {count}\n"
              "Last agent: {agent}\nLast domain: {domain}\nAwaiting approval: {plan}\n"
              "Facebook API: {breaker}\nMay act here: {people}",
    },
    "none": {"ru": "—", "en": "—"},
    "no_plan": {"ru": "нет", "en": "none"},
    "breaker_closed": {"ru": "✅ работает", "en": "✅ available"},
    "breaker_half_open": {"ru": "🟡 восстанавливается (пробные запросы)", "en": "🟡 recovering (trial calls)"},
    "owner_mark": {"ru": "владелец", "en": "owner"},
    "throttled": {
        "ru": "⏳ аккаунт {account} ограничен Facebook, повтор через {wait}",
        "en": "⏳ account {account} is rate-limited by Facebook, retry in {wait}",
    },
    "breaker_open": {
        "ru": "⛔ недоступен, повтор через {seconds} с",
        "en": "⛔ unavailable, retry in {seconds} s",
    },
    "unknown_command": {
        "ru": "Не знаю такой команды. /help — список команд.",
        "en": "I don't know that command. /help — the list of commands.",
    },
    "text_only": {
        "ru": "Я понимаю только текстовые сообщения.",
        "en": "I only understand text messages.",
    },
    "photo_uploaded": {
        "ru": "🖼 Картинка загружена в библиотеку кабинета (<code>{hash}</code>, {verified}). Теперь напишите, "
              "например: «Создай объявление из загруженной картинки в адсете …: текст «…», заголовок «…», "
              "ссылка https://…, кнопка «Записаться»».",
        "en": "🖼 The image is in the ad account's library (<code>{hash}</code>, {verified}). Now say, for "
              "example: “Create an ad from the uploaded image in the ad set …: text “…”, headline “…”, "
              "link https://…, button “Sign up””.",
    },
    "photo_verified": {"ru": "проверено чтением библиотеки", "en": "checked by reading the library back"},
    "photo_unverified": {"ru": "не удалось проверить", "en": "could not be checked"},
    "photo_bad": {"ru": "⚠️ Картинку не загрузил: {reason}", "en": "⚠️ The image was not uploaded: {reason}"},
    "photo_too_big": {"ru": "нужна картинка JPG или PNG до 8 МБ.", "en": "a JPG or PNG image up to 8 MB is needed."},
    "internal_error": {
        "ru": "⚠️ Внутренняя ошибка. Ваше сообщение не потеряно — повторите чуть позже.",
        "en": "⚠️ Internal error. Your message was kept — please try again shortly.",
    },
    # approvals
    "plan_title": {"ru": "📋 <b>Требуется подтверждение</b>", "en": "📋 <b>Approval needed</b>"},
    "plan_title_decided": {"ru": "📋 <b>План</b>", "en": "📋 <b>Plan</b>"},
    "plan_actions": {"ru": "Действия:", "en": "Actions:"},
    "plan_spend": {"ru": "затронутый расход", "en": "spend affected"},
    "btn_approve": {"ru": "✅ Выполнить", "en": "✅ Execute"},
    "btn_reject": {"ru": "❌ Отменить", "en": "❌ Cancel"},
    "plan_rejected": {"ru": "❌ План отменён.", "en": "❌ Plan cancelled."},
    "cb_done": {"ru": "Готово", "en": "Done"},
    "cb_rejected": {"ru": "План отменён", "en": "Plan cancelled"},
    "cb_not_yours": {"ru": "⛔ Это не ваш план.", "en": "⛔ This is not your plan."},
    "cb_bad": {"ru": "Неизвестная кнопка.", "en": "Unknown button."},
    "cb_not_found": {"ru": "План не найден.", "en": "Plan not found."},
    "cb_already": {
        "ru": "Уже обработано: {why}.",
        "en": "Already handled: {why}.",
    },
    "chart_title": {"ru": "📈 Динамика по дням, {start} — {end}", "en": "📈 Day by day, {start} — {end}"},
    "chart_totals": {
        "ru": "Расход: {spend} · Лиды: {leads} · CPL: {cpl}",
        "en": "Spend: {spend} · Leads: {leads} · CPL: {cpl}",
    },
}

_PLAN_STATUS: dict[str, dict[Lang, str]] = {
    "completed": {"ru": "план уже выполнен", "en": "the plan has already been executed"},
    "executing": {"ru": "план уже выполняется", "en": "the plan is already running"},
    "failed": {"ru": "план уже выполнялся и завершился ошибкой", "en": "the plan already ran and failed"},
    "rejected": {"ru": "план отменён", "en": "the plan was cancelled"},
    "expired": {"ru": "срок действия плана истёк", "en": "the plan has expired"},
}


def t(lang: Lang, key: str, **values: object) -> str:
    """The `key` text in `lang`; `values` fill its placeholders (callers escape them for HTML)."""
    text = _TEXTS[key][lang]
    return text.format(**values) if values else text


def plan_status(lang: Lang, status: str) -> str:
    return _PLAN_STATUS.get(status, {}).get(lang, status)


def ui_language(tg_user: TgUser | None, user: UserRecord | None = None) -> Lang:
    """The language for the bot's own messages: the Telegram client's, else the account's, else Russian."""
    code = (tg_user.language_code or "") if tg_user is not None else ""
    if code:
        return "ru" if code.lower().split("-")[0] in _RUSSIAN_READERS else "en"
    if user is not None and user.language == "en":
        return "en"
    return "ru"
