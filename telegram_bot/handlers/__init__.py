"""One router per feature; `bot.build_dispatcher` assembles them (catch-all chat last, errors apart)."""
