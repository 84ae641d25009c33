"""Clients for the ad and messaging platforms the assistant drives (Meta Graph API first)."""
