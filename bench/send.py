"""Benchmark sending: N digests through the local Bot API server enforcing Telegram's limits.

Run as `.venv/bin/python bench/send.py [--quick] [--digests N] [--rate R] [--pg URL]`.

The local server (tests/botapi/server.py, in its own thread) answers 429 with retry_after whenever a send
would exceed 30 messages in any 1-second window overall or 1 per second into one chat (and 20 a minute into
a group; all chats here are private). N chats each follow one unit of a small plan written for this
benchmark, so each gets a one-message digest with its ✅ buttons. The real sending path runs:
`duban digest --send`'s `send_digests` (PTB's ExtBot, the configured AIORateLimiter at --rate messages a
second evenly spaced, the delivery ledger with its per-attempt records, 8 chats in parallel).

Figures: the achieved rate between the first and the last accepted send, the number of 429 answers, the
time to finish (composition included), and the time spent composing. The last line printed is one JSON
object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from botapi import FakeTelegram  # noqa: E402
from loguru import logger  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from duban.cli import send_digests  # noqa: E402
from duban.config import load_settings  # noqa: E402
from duban.context import AppContext, open_context  # noqa: E402
from duban.importing import import_document  # noqa: E402
from storage import subscriptions  # noqa: E402
from storage.db import session_scope  # noqa: E402
from storage.models import SubscriptionRow  # noqa: E402

SH = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 3, 4)
NOW = datetime(2026, 3, 4, 9, 0, tzinfo=SH)
FIRST_CHAT = 900_000
# Written for this benchmark: three items open for 区审计局 on DAY (one overdue, two within the week).
PLAN = """2026年基准测试区公开工作要点任务分解表

序号\t任务名称\t任务内容\t责任单位\t时间节点
1\t目录\t整理本单位主动公开目录并补齐缺项\t区审计局\t3月2日前
2\t解读\t为新出台的两项文件各写一篇政策解读\t区审计局\t3月6日前
3\t培训\t参加一次公开条例专题培训\t各单位\t3月9日前
"""


def prepare(workdir: Path, fake: FakeTelegram, chats: int, rate: float, database: str | None) -> AppContext:
    """Config, database, plan and `chats` subscriptions; returns the AppContext."""
    url = database or f"sqlite:///{workdir / 'send.db'}"
    config = workdir / "config.toml"
    config.write_text(
        f"""
[storage]
database_url = "{url}"

[log]
level = "WARNING"

[telegram]
api_base_url = "{fake.base_url}"
api_base_file_url = "{fake.base_file_url}"
overall_max_rate = {rate}
""",
        encoding="utf-8",
    )
    ctx = open_context(load_settings(config))
    import_document(ctx.engine, PLAN.encode(), source_name="bench.txt", directory=ctx.directory, now=NOW)
    with session_scope(ctx.engine) as s:
        unit = subscriptions.unit_by_name(s, "区审计局")
        assert unit is not None
        rows = [
            {
                "chat_id": FIRST_CHAT + n,
                "unit_id": unit.id,
                "user_id": FIRST_CHAT + n,
                "user_name": "基准",
                "status": "active",
                "created_at": NOW,
            }
            for n in range(chats)
        ]
        s.execute(insert(SubscriptionRow), rows)
    return ctx


def measure(chats: int, rate: float, database: str | None) -> dict[str, object]:
    """Send chats digests once; the figures."""
    with tempfile.TemporaryDirectory(prefix="duban-send-") as tmp, FakeTelegram() as fake:
        for n in range(chats):
            fake.add_chat(FIRST_CHAT + n)
        ctx = prepare(Path(tmp), fake, chats, rate, database)
        fake.enforce_limits(global_per_s=30, per_chat_per_s=1, per_group_per_min=20)
        logger.remove()  # the per-chat lines would flood the output; the summary is in the figures
        started = time.perf_counter()
        started_at = time.monotonic()  # the server stamps calls with time.monotonic()
        report = asyncio.run(send_digests(ctx, fake.token, DAY, None))
        finished = time.perf_counter() - started
        accepted = [c["time"] for c in fake.calls("sendMessage") if c["outcome"] == "ok"]
        first_call = min(c["time"] for c in fake.calls("sendMessage"))
        span = max(accepted) - min(accepted) if len(accepted) > 1 else 0.0
        # The busiest 1-second window the server saw (its limit is 30).
        busiest, j = 0, 0
        for i, t in enumerate(accepted):
            while accepted[j] <= t - 1.0:
                j += 1
            busiest = max(busiest, i - j + 1)
        ctx.engine.dispose()
        return {
            "digests": chats,
            "sent_chats": len(report.sent),
            "messages": len(accepted),
            "failed": len(report.failed),
            "configured_rate": rate,
            "rate_msg_per_s": round((len(accepted) - 1) / span, 2) if span else None,
            "too_many_requests": fake.too_many_requests,
            "busiest_second": busiest,
            "seconds_total": round(finished, 1),
            "seconds_sending": round(span, 1),
            "seconds_before_first_send": round(first_call - started_at, 1),
            "database": "postgresql" if database else "sqlite",
        }


def main() -> None:
    """Parse arguments, run, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="600 digests (about 25 s)")
    parser.add_argument("--digests", type=int, help="number of chats, one digest each (default 5,000)")
    parser.add_argument("--rate", type=float, help="AIORateLimiter messages per second (default: config)")
    parser.add_argument("--pg", help="PostgreSQL URL for the ledger instead of a SQLite file (a scratch DB)")
    args = parser.parse_args()
    chats = args.digests or (600 if args.quick else 5000)
    rate = args.rate or load_settings(ROOT / "config.toml").telegram.overall_max_rate
    database = args.pg or None
    if database:
        from pg import scratch_database

        with scratch_database(database) as url:
            figures = measure(chats, rate, url)
    else:
        figures = measure(chats, rate, None)
    for key, value in figures.items():
        print(f"{key:>28}: {value}")
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    os.environ.pop("DUBAN_CONFIG", None)
    main()
