"""Logging: every log line, Duban's and the libraries', goes through loguru in one format.

- Python's `logging` (python-telegram-bot, APScheduler, httpx, pdfminer, …) is routed into loguru by an
  InterceptHandler on the root logger (loguru's README, "Entirely compatible with standard logging"), and
  `warnings` through the `py.warnings` logger, one line each.
- One patcher sees every record before any sink: it masks the bot token (message and traceback; a
  traceback is rendered to text here for that) and puts the time into the configured time zone.
- Sinks: stderr always; the [log] file when set, rotated and pruned by loguru; JSON lines when [log] json.
"""

from __future__ import annotations

import inspect
import logging
import os
import sys
import traceback
import warnings
from datetime import timezone, tzinfo
from typing import TYPE_CHECKING, Any, TextIO

from loguru import logger

from duban.config import TOKEN_ENV, ConfigError, LogSettings

if TYPE_CHECKING:
    from loguru import Record

MASK = "<token>"
FORMAT = (
    "<green>{time:YYYY-MM-DD HH:mm:ss.SSS ZZ}</green> | <level>{level: <8}</level> | "
    "<cyan>{name}</cyan>:<cyan>{function}</cyan>:<cyan>{line}</cyan> - <level>{message}</level>{extra[trace]}"
)  # loguru appends "\n{exception}" (empty: the patcher renders the traceback into extra[trace])
# Library loggers that are too chatty at INFO: httpx logs every request with its URL (Bot API URLs carry the
# token, masked here anyway), and every long poll would add a line; Alembic narrates each migration step in
# English (`duban db upgrade` says what it did in one Chinese line). Their warnings and errors still come.
QUIET = {"httpx": logging.WARNING, "httpcore": logging.WARNING, "alembic": logging.WARNING}
STDLIB_LEVELS = {
    "TRACE": 5,
    "DEBUG": 10,
    "INFO": 20,
    "SUCCESS": 25,
    "WARNING": 30,
    "ERROR": 40,
    "CRITICAL": 50,
}

_zone: tzinfo | None = None  # the configured time zone; None keeps the system's


def mask(text: str) -> str:
    """text with the bot token (and its secret half on its own) replaced by <token>."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        return text
    text = text.replace(token, MASK)
    _, _, secret = token.partition(":")
    if len(secret) >= 8:  # the secret alone, e.g. after a URL-encoded colon
        text = text.replace(secret, MASK)
    return text


def _mask_token(record: Record) -> bool:
    """A loguru filter that masks the token in the message (the patcher below does it for every record)."""
    record["message"] = mask(record["message"])
    return True


def _patch(record: Record) -> None:
    """Every record, before any sink: token masked in message and traceback, time in the configured zone."""
    record["message"] = mask(record["message"])
    trace = ""
    error = record["exception"]
    if error is not None and error.type is not None:
        text = "".join(traceback.format_exception(error.type, error.value, error.traceback))
        trace = "\n" + mask(text.rstrip("\n"))
        record["exception"] = None  # rendered (and masked) above; sinks print extra[trace] instead
    record["extra"].setdefault("trace", trace)
    if _zone is not None:
        # loguru's ZZ needs a fixed offset (ZoneInfo has none without a date): the offset of that instant.
        local = record["time"].astimezone(_zone)
        offset, name = local.utcoffset(), local.tzname()
        if offset is not None:
            record["time"] = local.replace(
                tzinfo=timezone(offset, name) if name is not None else timezone(offset)
            )


class InterceptHandler(logging.Handler):
    """Hands each standard-library log record to loguru, at its level, as from the code that logged it, under
    its logger's name (`telegram.ext.Updater`, `py.warnings`)."""

    def emit(self, record: logging.LogRecord) -> None:
        level: str | int
        try:
            level = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        # Find the caller: the first frame outside the logging module.
        frame, depth = inspect.currentframe(), 0
        while frame is not None and (depth == 0 or frame.f_code.co_filename == logging.__file__):
            frame = frame.f_back
            depth += 1
        name = record.name

        def rename(r: Record) -> None:
            r["name"] = name

        logger.opt(depth=depth, exception=record.exc_info).patch(rename).log(level, record.getMessage())


def route_standard_logging(level: str) -> None:
    """Send the root logger (so every library logger) and warnings to loguru at level.

    The root logger's level is the configured one, so that libraries skip building records nobody shows
    (pdfminer logs at DEBUG for every page object); at DEBUG and TRACE the chatty loggers speak too.
    """
    number = STDLIB_LEVELS.get(level, logging.INFO)
    logging.basicConfig(handlers=[InterceptHandler()], level=number, force=True)
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(quiet if number > logging.DEBUG else logging.NOTSET)
    # Like logging.captureWarnings(True), but set every time: that one installs itself only once per
    # process, so it stays off after anything (a test runner's catch_warnings) put the old hook back.
    warnings.showwarning = show_warning


def show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """warnings.showwarning that logs the warning on one line through the `py.warnings` logger."""
    where = f"{filename}:{lineno}"
    logging.getLogger("py.warnings").warning("%s: %s（%s）", category.__name__, message, where)


def setup_logging(settings: LogSettings | None = None, zone: tzinfo | None = None) -> None:
    """stderr (and the [log] file) in one format with the token masked; library logging routed in.

    Raises ConfigError when the log file cannot be opened or loguru refuses rotation or retention.
    """
    global _zone
    settings = settings or LogSettings()
    _zone = zone
    logger.remove()
    logger.configure(patcher=_patch)
    common: dict[str, Any] = {
        "level": settings.level,
        "format": FORMAT,
        "serialize": settings.json,
        "backtrace": False,
        "diagnose": False,
    }
    logger.add(sys.stderr, **common)
    if settings.file is not None:
        try:
            logger.add(
                settings.file,
                rotation=settings.rotation,
                retention=settings.retention,
                encoding="utf-8",
                **common,
            )
        except ValueError as exc:
            raise ConfigError(f"[log] 的 rotation 或 retention 无法识别：{exc}") from exc
        except OSError as exc:
            raise ConfigError(f"无法打开日志文件 {settings.file}：{exc.strerror}") from exc
    route_standard_logging(settings.level)
