"""Shared set-up for the bot's end-to-end tests: a config pointing at the local Bot API, a plan, a running bot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from botapi import FakeTelegram
from telegram.ext import Application

from bot.app import build_application
from duban.config import load_settings
from duban.context import AppContext, open_context
from duban.importing import import_document
from storage import subscriptions
from storage.db import session_scope

SH = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 3, 4)  # a Wednesday and an official workday
BEFORE_DIGEST = datetime(2026, 3, 4, 8, 0, tzinfo=SH)
AFTER_DIGEST = datetime(2026, 3, 4, 9, 30, tzinfo=SH)

# Written for these tests. For 区教育局 on TODAY: #1 overdue, #2 due today, #3 (各单位) and #5 (区政府各部门)
# within 7 days; #4 belongs to 区政府办公室 only.
PLAN = """2026年测试区数据开放工作要点任务分解表

序号\t任务名称\t任务内容\t责任单位\t时间节点
1\t开放平台\t更新开放平台的数据目录说明\t区教育局\t2月底前
2\t\t公布本年度数据开放预算安排\t区财政局牵头，区教育局配合\t3月4日前
3\t\t组织一次开放数据使用培训\t各单位\t3月6日前
4\t年度总结\t编写数据开放年度总结\t区政府办公室\t6月底前
5\t\t核对各部门开放清单\t区政府各部门\t3月10日前
"""

JSON = dict[str, Any]


class Clock:
    """A settable clock for the bot (its 'now')."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def long_plan(rows: int) -> str:
    """A plan whose digest for 区教育局 on TODAY needs several messages."""
    lines = ["2026年测试区长清单工作要点任务分解表", "", "序号\t任务名称\t任务内容\t责任单位\t时间节点"]
    for n in range(1, rows + 1):
        content = f"第{n}项：逐条核对并补充开放数据集的字段说明、更新频率、联系人和使用许可，形成台账并报送"
        lines.append(f"{n}\t核对\t{content}\t区教育局\t3月{5 + n % 5}日前")
    return "\n".join(lines) + "\n"


def make_context(tmp_path: Path, fake: FakeTelegram, extra: str = "") -> AppContext:
    """Settings from a config file pointing at the fake server and a scratch database."""
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[storage]
database_url = "sqlite:///{tmp_path / "duban.db"}"

[telegram]
api_base_url = "{fake.base_url}"
api_base_file_url = "{fake.base_file_url}"
backoff_seconds = 0.01
chat_interval_seconds = 0.05
{extra}
""",
        encoding="utf-8",
    )
    return open_context(load_settings(config))


def subscribe_chats(
    ctx: AppContext, chats: range | list[int], unit: str = "区教育局", *, now: datetime = AFTER_DIGEST
) -> None:
    """Each chat follows unit directly in storage (the shared test plan gives it a one-message digest)."""
    with session_scope(ctx.engine) as s:
        row = subscriptions.unit_by_name(s, unit)
        assert row is not None
        for chat in chats:
            subscriptions.subscribe(
                s,
                chat_id=chat,
                unit_id=row.id or 0,
                user_id=chat,
                user_name="测试",
                needs_approval=False,
                now=now,
            )


def unit_id(ctx: AppContext, name: str) -> int:
    """The stored id of a unit."""
    with session_scope(ctx.engine) as s:
        row = subscriptions.unit_by_name(s, name)
        assert row is not None and row.id is not None
        return row.id


def import_plan(ctx: AppContext, text: str = PLAN) -> None:
    """Store a plan as the CLI would."""
    import_document(
        ctx.engine, text.encode(), source_name="plan.txt", directory=ctx.directory, now=AFTER_DIGEST
    )


async def start(app: Application) -> None:
    """What run_polling does, without blocking: initialize, post_init, poll, start."""
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    await app.start()


async def stop(app: Application) -> None:
    """What run_polling does on exit."""
    assert app.updater is not None
    await app.updater.stop()
    await app.stop()
    await app.shutdown()
    if app.post_shutdown:
        await app.post_shutdown(app)


@asynccontextmanager
async def running(ctx: AppContext, fake: FakeTelegram, clock: Clock) -> AsyncIterator[Application]:
    """The real application, long-polling the fake server, stopped afterwards."""
    app = build_application(ctx, fake.token, clock=clock)
    await start(app)
    try:
        yield app
    finally:
        await stop(app)


async def say(fake: FakeTelegram, chat_id: int, text: str, **kwargs: Any) -> JSON:
    """A user writes; returns the bot's first message after it."""
    asked = fake.user_message(chat_id, text, **kwargs)
    [answer, *_] = await fake.wait_for(chat_id=chat_id, after=asked["message_id"])
    return answer


async def settle(fake: FakeTelegram, seconds: float = 0.2) -> None:
    """Give the bot time to act on updates that get no reply."""
    await fake.wait_until(lambda: not fake.pending_updates(), what="updates consumed")
    await asyncio.sleep(seconds)
