"""Telegram edge: handlers that parse, call the domain and storage, and reply."""
