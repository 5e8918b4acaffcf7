"""Logs: library logs through loguru in one format, local time, the token masked everywhere, file and JSON."""

from __future__ import annotations

import json
import logging
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from botapi import FakeTelegram
from loguru import logger
from telegram import Bot
from telegram.error import InvalidToken

from duban.config import ConfigError, LogSettings, load_settings
from duban.logs import setup_logging

TOKEN = "123456:SECRETsecretSECRET"
SECRET = TOKEN.split(":")[1]
URL = f"https://api.telegram.org/bot{TOKEN}/getUpdates"
SHANGHAI = ZoneInfo("Asia/Shanghai")
# One format for every line: local time with its offset, level, where, message.
LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d{4} \| [A-Z]+ +\| \S+:\S+:\d+ - ")


@pytest.fixture(autouse=True)
def token_and_clean_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The token in the environment; loguru and the standard logging module put back afterwards."""
    monkeypatch.setenv("DUBAN_TELEGRAM_TOKEN", TOKEN)
    root = logging.getLogger()
    handlers, level, show = root.handlers[:], root.level, warnings.showwarning
    yield
    logger.remove()
    logger.configure(patcher=lambda record: None)
    warnings.showwarning = show
    root.handlers[:] = handlers
    root.setLevel(level)


def library_lines() -> None:
    """What the libraries write on a bad day, each carrying the bot URL, through their own loggers."""
    logging.getLogger("telegram.ext.Updater").error(
        "Exception happened while polling for updates: %s failed", URL
    )
    logging.getLogger("apscheduler.executors.default").warning("Run time of job was missed by %s", URL)
    logging.getLogger("pdfminer.pdfpage").warning("CropBox missing from /Page, defaulting to MediaBox")
    try:
        raise ConnectionError(f"connect failed for url '{URL}'")
    except ConnectionError:
        logging.getLogger("telegram.ext.Application").exception(
            "No error handlers are registered, logging exception."
        )
    warnings.warn(f"PTBUserWarning: retry_after for {URL}", UserWarning, stacklevel=1)
    logger.info("Duban's own line about {}", URL)


def test_library_records_come_out_masked_in_one_format_in_local_time(
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup_logging(LogSettings(level="INFO"), SHANGHAI)
    library_lines()
    err = capsys.readouterr().err
    assert TOKEN not in err and SECRET not in err
    assert err.count("<token>") == 5  # four lines, and the exception text in the traceback
    starts = [line for line in err.splitlines() if LINE.match(line)]
    assert len(starts) == 6, err
    assert all(" +0800 | " in line for line in starts)  # Asia/Shanghai, whatever the host's zone
    assert "| telegram.ext.Updater:" in err and "Exception happened while polling" in err  # the logger's name
    assert "| py.warnings:" in err and "| pdfminer.pdfpage:" in err
    assert "Traceback (most recent call last)" in err and "ConnectionError: connect failed" in err
    assert "CropBox missing" in err and "PTBUserWarning" in err


def test_log_file_has_every_line_and_json_lines_parse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "logs" / "duban.log"
    setup_logging(LogSettings(level="INFO", file=path, json=True), ZoneInfo("America/New_York"))
    library_lines()
    logger.remove()  # closes the file
    text = path.read_text(encoding="utf-8")
    assert TOKEN not in text and SECRET not in text
    records = [json.loads(line) for line in text.splitlines()]
    assert len(records) == 6
    messages = [r["record"]["message"] for r in records]
    assert any("Exception happened while polling" in m and "<token>" in m for m in messages)
    assert all(r["record"]["time"]["repr"].endswith(("-05:00", "-04:00")) for r in records)  # configured zone
    assert any("ConnectionError" in r["record"]["extra"]["trace"] for r in records)
    assert (
        capsys.readouterr().err.count("\n{") == 5
    )  # stderr is JSON too (the first line has no newline before)


def test_level_and_rotation(tmp_path: Path) -> None:
    path = tmp_path / "duban.log"
    setup_logging(LogSettings(level="WARNING", file=path, rotation="1 KB", retention=2), SHANGHAI)
    logger.info("below the level")
    for n in range(40):
        logger.warning("line {} {}", n, "x" * 60)
    logger.remove()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == 3, files  # the current file and the two rotated ones retention keeps
    assert all("below the level" not in (tmp_path / f).read_text(encoding="utf-8") for f in files)


async def test_a_token_ptb_rejects_is_masked_in_its_own_error_and_httpx_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup_logging(LogSettings(level="DEBUG"), SHANGHAI)  # DEBUG: httpx logs each request URL
    async with FakeTelegram() as fake:
        bot = Bot(TOKEN, base_url=fake.base_url)
        with pytest.raises(InvalidToken) as caught:
            await bot.get_me()
        logging.getLogger("telegram.ext.Application").error("Error", exc_info=caught.value)
    err = capsys.readouterr().err
    # Real library lines that carry the token: PTB's base URL at DEBUG, httpx's request line at INFO.
    assert re.search(r"DEBUG +\| telegram\S*:.* - Set Bot API URL: http://127\.0\.0\.1:\d+/bot<token>\n", err)
    assert re.search(r"INFO +\| httpx\S*:.* - HTTP Request: POST \S+/bot<token>/getMe", err)
    assert "InvalidToken: Unauthorized" in err
    assert TOKEN not in err and SECRET not in err


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_log_section_defaults_and_values(tmp_path: Path) -> None:
    assert load_settings(write_config(tmp_path, "")).log == LogSettings(
        level="INFO", file=None, rotation="00:00", retention="180 days", json=False
    )
    text = (
        '[log]\nlevel = "debug"\nfile = "logs/duban.log"\nrotation = "1 week"\nretention = 30\njson = true\n'
    )
    log = load_settings(write_config(tmp_path, text)).log
    assert log == LogSettings("DEBUG", tmp_path / "logs" / "duban.log", "1 week", 30, True)
    # A file from before [log] keeps its level.
    assert load_settings(write_config(tmp_path, '[logging]\nlevel = "WARNING"\n')).log_level == "WARNING"


def test_shipped_config_documents_every_log_key() -> None:
    shipped = Path(__file__).resolve().parent.parent / "config.toml"
    section = shipped.read_text(encoding="utf-8").split("[log]\n", 1)[1].split("\n[", 1)[0]
    lines = section.splitlines()
    for key in ("level", "file", "rotation", "retention", "json"):
        at = next(i for i, line in enumerate(lines) if line.startswith(f"{key} = "))
        assert lines[at - 1].startswith("#"), key  # a comment right above each key
    assert load_settings(shipped).log == LogSettings()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[log]\nlevl = "INFO"\n', "未知的配置项 log.levl"),
        ('[log]\nlevel = "LOUD"\n', "log.level"),
        ('[log]\nrotation = "every now and then"\n', "log.rotation"),
        ("[log]\nrotation = 5\n", "log.rotation"),
        ('[log]\nretention = "forever"\n', "log.retention"),
        ("[log]\nretention = 0\n", "log.retention"),
        ('[log]\njson = "yes"\n', "log.json"),
        ("[log]\nfile = 3\n", "log.file"),
    ],
)
def test_bad_log_settings_are_refused_in_chinese(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(write_config(tmp_path, text))


def test_an_unwritable_log_file_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match="无法打开日志文件"):
        setup_logging(LogSettings(file=blocker / "duban.log"), SHANGHAI)
