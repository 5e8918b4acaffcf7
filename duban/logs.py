"""Loguru set-up: one stderr sink, with the bot token masked wherever it would appear."""

from __future__ import annotations

import os
import sys

from loguru import logger


def _mask_token(record) -> bool:  # type: ignore[no-untyped-def]
    token = os.environ.get("DUBAN_TELEGRAM_TOKEN")
    # The token travels inside Bot API URLs, which libraries log on errors; mask it before any sink sees it.
    if token and token in record["message"]:
        record["message"] = record["message"].replace(token, "<token>")
    return True


def setup_logging(level: str = "INFO") -> None:
    """Send logs to stderr at level, token masked."""
    logger.remove()
    logger.add(sys.stderr, level=level, filter=_mask_token, backtrace=False, diagnose=False)
