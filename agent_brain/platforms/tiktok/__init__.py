"""TikTok Marketing (Business) API v1.3 behind `PlatformAdapter`: client settings, errors, adapter, sandbox."""
