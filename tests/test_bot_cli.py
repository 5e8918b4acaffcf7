"""`duban run` and `duban digest` as a person runs them: dry run without a token, real sends with one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from botapi import FakeTelegram
from typer.testing import CliRunner

from duban.cli import app
from duban.config import load_settings
from duban.context import open_context
from storage import subscriptions
from storage.db import session_scope
from storage.models import DeliveryRow

pytestmark = (
    pytest.mark.slow
)  # `duban run` and `duban digest --send` against the local Bot API server, some as subprocesses

ROOT = Path(__file__).resolve().parent.parent
CHAT = 7101
NOW = datetime(2026, 3, 27, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:  # its own thread: the CLI runs its own event loop
        server.add_chat(CHAT)
        yield server


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("DUBAN_CONFIG", "DUBAN_DATABASE_URL", "DUBAN_TELEGRAM_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def config_for(workdir: Path, fake: FakeTelegram) -> Path:
    path = workdir / "config.toml"
    path.write_text(
        f'[telegram]\napi_base_url = "{fake.base_url}"\nbackoff_seconds = 0.01\n', encoding="utf-8"
    )
    return path


SAMPLE = str(Path(__file__).resolve().parent.parent / "duban" / "sample_plan.txt")


def invoke(*args: str, token: str | None = None) -> tuple[int, str]:
    env = {"COLUMNS": "200", "DUBAN_TELEGRAM_TOKEN": token or ""}
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_run_without_a_token_says_what_to_set_and_shows_todays_digests(workdir: Path) -> None:
    code, output = invoke("run")
    assert code == 0, output
    first = output.splitlines()[0]
    assert first.startswith("未设置 DUBAN_TELEGRAM_TOKEN") and "export DUBAN_TELEGRAM_TOKEN" in first
    assert "已导入 示例计划" in output
    # Whatever today is, the dry run either shows digests (with their buttons) or says there is nothing.
    assert ("📋 督办提醒" in output and "[✅ 完成 #" in output) or "没有需要提醒的事项" in output


@pytest.mark.parametrize(
    ("args", "expected", "absent"),
    [
        (
            ("--date", "2026-03-27", "--unit", "县政府办"),
            [
                "县政府办公室",
                "📋 督办提醒 · 3月27日 周五（共2项待办）",
                "#1 🔵蓝 公开平台建设：完成县政府门户网站",
                "还有4天",
            ],
            ["不是工作日"],
        ),
        (("--date", "2026-03-28", "--unit", "县政府办公室"), ["2026-03-28 周六不是工作日"], []),
        (("--date", "2026-03-27"), ["已订阅的聊天没有需要提醒的事项"], ["📋"]),
    ],
)
def test_digest_prints_without_a_token(
    workdir: Path, args: tuple[str, ...], expected: list[str], absent
) -> None:
    invoke("import", SAMPLE)
    code, output = invoke("digest", *args)
    assert code == 0, output
    assert all(e in output for e in expected), output
    assert not any(a in output for a in absent), output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--send",), "请先设置环境变量 DUBAN_TELEGRAM_TOKEN"),
        (("--unit", "公安局"), "没有找到单位“公安局”。没有名称相近的单位"),
        (("--date", "3月27日"), "--date 需要 YYYY-MM-DD 格式的日期"),
    ],
)
def test_digest_errors_are_one_clear_line(workdir: Path, args: tuple[str, ...], message: str) -> None:
    invoke("import", SAMPLE)
    code, output = invoke("digest", *args)
    assert code == 1 and message in output, output


def test_digest_send_uses_the_ledger(workdir: Path, fake: FakeTelegram) -> None:
    config = config_for(workdir, fake)
    invoke("import", SAMPLE, "--config", str(config))
    ctx = open_context(load_settings(config))
    with session_scope(ctx.engine) as s:
        unit = subscriptions.unit_by_name(s, "县政府办公室")
        assert unit is not None
        subscriptions.subscribe(
            s,
            chat_id=CHAT,
            unit_id=unit.id or 0,
            user_id=CHAT,
            user_name="测试",
            needs_approval=False,
            now=NOW,
        )
    code, output = invoke(
        "digest", "--date", "2026-03-27", "--send", "--config", str(config), token=fake.token
    )
    assert code == 0 and "发送 1 个聊天共 1 条消息" in output, output
    [message] = fake.sent(CHAT)
    assert message["text"].startswith("📋 督办提醒 · 3月27日 周五") and len(fake.buttons(message)) == 2
    code, output = invoke(
        "digest", "--date", "2026-03-27", "--send", "--config", str(config), token=fake.token
    )
    assert code == 0 and "发送 0 个聊天共 0 条消息；已发过 1" in output, output
    assert len(fake.sent(CHAT)) == 1
    with session_scope(ctx.engine) as s:
        delivery = s.get(DeliveryRow, 1)
        assert delivery is not None and delivery.message_ids == [message["message_id"]]


def test_run_with_a_token_long_polls_answers_and_stops_on_ctrl_c(workdir: Path, fake: FakeTelegram) -> None:
    config = config_for(workdir, fake)
    env = {
        **os.environ,
        "DUBAN_TELEGRAM_TOKEN": fake.token,
        "DUBAN_CONFIG": str(config),
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", "from duban.cli import main; main()", "run"],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        fake.user_message(CHAT, "/start")
        [answer] = fake.wait_for_sync(lambda m: m["text"].startswith("你好"), chat_id=CHAT, timeout=20)
        assert "/subscribe" in answer["text"]
        assert [c["command"] for c in fake.commands][:2] == ["subscribe", "unsubscribe"]
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "机器人启动中" in out and "机器人已停止" in err
    assert fake.token not in out + err and fake.token.split(":")[1] not in out + err
