"""A local Telegram Bot API server for offline end-to-end tests."""

from .server import (
    ALL_FAULT_KINDS,
    DEFAULT_TOKEN,
    FAULT_KINDS,
    SEND_METHODS,
    ApiError,
    FakeTelegram,
    parse_html,
    parse_markdown,
    parse_markdown_v2,
)

__all__ = [
    "ALL_FAULT_KINDS",
    "DEFAULT_TOKEN",
    "FAULT_KINDS",
    "SEND_METHODS",
    "ApiError",
    "FakeTelegram",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
]
