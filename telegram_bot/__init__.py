"""Telegram transport (aiogram 3)."""
