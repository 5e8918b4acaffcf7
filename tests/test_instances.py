"""Two instances on one database: the leader lease, one poller with takeover, one digest per chat."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from bot_harness import import_plan, make_context, subscribe_chats
from botapi import FakeTelegram
from pg import pg_base_url, scratch_database
from sqlalchemy import Engine

from bot import texts
from duban.config import load_settings
from duban.context import AppContext, open_context
from storage import locks
from storage.db import session_scope, upgrade

pytestmark = pytest.mark.slow  # several instances, some in subprocesses, on SQLite and PostgreSQL

ROOT = Path(__file__).resolve().parent.parent
DUBAN = Path(sys.executable).parent / "duban"
T0 = datetime(2026, 3, 4, 1, 0, tzinfo=UTC)
TTL = timedelta(seconds=30)


# --- the lease ---------------------------------------------------------------------------------------------


def take(engine: Engine, holder: str, now: datetime) -> bool:
    with session_scope(engine) as s:
        return locks.acquire(s, name="leader", holder=holder, now=now, ttl=TTL)


def test_lease_one_holder_renewal_expiry_and_release(engine: Engine) -> None:
    assert take(engine, "a", T0)
    assert not take(engine, "b", T0 + timedelta(seconds=5))
    assert take(engine, "a", T0 + timedelta(seconds=10))  # renewed until T0 + 40 s
    assert not take(engine, "b", T0 + timedelta(seconds=35))
    assert take(engine, "b", T0 + timedelta(seconds=41))  # a stopped renewing: b takes over
    assert not take(engine, "a", T0 + timedelta(seconds=42))  # and a cannot take it back
    with session_scope(engine) as s:
        assert locks.holder_of(s, "leader", now=T0 + timedelta(seconds=42)) == "b"
        assert not locks.release(s, name="leader", holder="a")
        assert locks.release(s, name="leader", holder="b")
    assert take(engine, "a", T0 + timedelta(seconds=43))  # released: no need to wait for expiry


def test_concurrent_contenders_exactly_one_wins(engine: Engine) -> None:
    for round_ in range(5):
        now = T0 + round_ * 2 * TTL
        barrier = threading.Barrier(4)
        wins: list[str] = []

        def contend(holder: str, barrier: threading.Barrier = barrier, now: datetime = now) -> None:
            barrier.wait()
            if take(engine, holder, now):
                wins.append(holder)  # noqa: B023  (joined before the next round)

        threads = [threading.Thread(target=contend, args=(f"i{round_}-{n}",)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(wins) == 1, wins


# --- two processes ----------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL of its own: a SQLite file, or a new PostgreSQL database (skipped without one)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.db'}"
        return
    base = pg_base_url()
    if base is None:
        pytest.skip("未设置 DUBAN_TEST_DATABASE_URL，跳过 PostgreSQL 测试")
    with scratch_database(base) as url:
        upgrade(url)
        yield url


def shared_context(tmp_path: Path, fake: FakeTelegram, url: str, extra: str = "") -> AppContext:
    """make_context's config, pointed at url instead of the test's own SQLite file."""
    ctx = make_context(tmp_path, fake, extra)
    config = tmp_path / "config.toml"
    text = config.read_text(encoding="utf-8")
    start = text.index('database_url = "')
    end = text.index('"', start + len('database_url = "'))
    config.write_text(text[:start] + f'database_url = "{url}"' + text[end + 1 :], encoding="utf-8")
    ctx.engine.dispose()
    return open_context(load_settings(config))


class Instance:
    """A `duban run` (or other duban command) subprocess whose stderr is collected line by line."""

    def __init__(self, args: list[str], token: str) -> None:
        env = {**os.environ, "DUBAN_TELEGRAM_TOKEN": token, "PYTHONUNBUFFERED": "1"}
        env.pop("DUBAN_CONFIG", None)
        self.proc = subprocess.Popen(
            [str(DUBAN), *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def wait(condition: Callable[[], object], timeout: float, what: str) -> float:
    """Poll condition; seconds it took, or fail saying what did not happen."""
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout, f"{what} did not happen within {timeout} s"
        time.sleep(0.05)
    return time.monotonic() - start


LEADER = "成为主实例"


def digests(fake: FakeTelegram, chat: int) -> list[dict]:
    return [m for m in fake.sent(chat) if m["text"].startswith("📋 督办提醒")]


def test_two_instances_one_poller_takeover_after_sigkill_one_digest_each(
    tmp_path: Path, database: str
) -> None:
    chats = [7401, 7402, 7403]
    with FakeTelegram() as fake:
        for chat in chats:
            fake.add_chat(chat)
        ctx = shared_context(
            tmp_path,
            fake,
            database,
            'leader_lease_seconds = 4\nleader_renew_seconds = 1\n\n[digest]\ntime = "00:00"\nworkdays_only = false\n',
        )
        import_plan(ctx)
        subscribe_chats(ctx, chats, now=T0)
        args = ["run", "--config", str(tmp_path / "config.toml")]
        a = Instance(args, fake.token)
        b: Instance | None = None
        try:
            wait(lambda: a.said(LEADER), 40, "the first instance leading")
            b = Instance(args, fake.token)
            wait(lambda: b.said("待命"), 40, "the second instance waiting")
            # The leader's start-up catch-up sends today's digest (the configured time has passed).
            wait(lambda: all(digests(fake, c) for c in chats), 20, "the digests")
            asked = fake.user_message(7401, "/start")
            [answer] = fake.wait_for_sync(chat_id=7401, after=asked["message_id"], timeout=10)
            assert answer["text"] == texts.START

            a.stop(signal.SIGKILL)
            took = wait(lambda: b.said(LEADER), 60, "the takeover")
            assert took < 4 + 1 + 2  # lease + renew interval, plus start-up slack
            asked = fake.user_message(7402, "/help")
            [answer] = fake.wait_for_sync(chat_id=7402, after=asked["message_id"], timeout=10)
            assert answer["text"] == texts.HELP
            time.sleep(1)  # the new leader's catch-up run has had its chance to send again
            assert [len(digests(fake, c)) for c in chats] == [1, 1, 1]
            assert fake.counters["conflict_409"] == 0  # never two pollers at once
            assert not a.said(LEADER.replace("成为", "不再是"))  # a was killed, not demoted
            print(f"\ntakeover after SIGKILL of the leader: {took:.1f} s")
        finally:
            a.stop(signal.SIGKILL)
            if b is not None:
                b.stop()  # SIGTERM: steps down and releases the lease
        assert b is not None and b.proc.returncode == 0, "".join(b.lines[-20:])
        with session_scope(ctx.engine) as s:
            assert locks.holder_of(s, "telegram-leader", now=datetime.now(UTC)) is None
        ctx.engine.dispose()


def test_two_digest_runs_at_once_send_one_digest_per_chat(tmp_path: Path, database: str) -> None:
    chats = list(range(7501, 7561))
    with FakeTelegram() as fake:
        for chat in chats:
            fake.add_chat(chat)
        ctx = shared_context(tmp_path, fake, database, "overall_max_rate = 29\n")
        import_plan(ctx)
        subscribe_chats(ctx, chats, now=T0)
        args = ["digest", "--send", "--date", "2026-03-04", "--config", str(tmp_path / "config.toml")]
        runs = [Instance(args, fake.token) for _ in range(2)]
        for run in runs:
            run.proc.wait(120)
        assert [r.proc.returncode for r in runs] == [0, 0], [r.lines[-5:] for r in runs]
        assert [len(digests(fake, c)) for c in chats] == [1] * len(chats)
        # Both runs sent: the ledger, not luck, split the chats between them.
        summaries = [next(line for line in r.lines if "每日提醒：发送" in line) for r in runs]
        print("\n" + "\n".join(summaries))
        ctx.engine.dispose()


# --- concurrent imports -------------------------------------------------------------------------------------

PLAN_A = "2026年某区政务公开工作要点\n一、任务\n1.开展培训。责任单位：区新设甲局\n2.公开目录。责任单位：区新设乙局\n"
PLAN_B = PLAN_A.replace("公开目录", "公开全部目录")  # a second version of the same plan (title and year)


@pytest.mark.slow
def test_concurrent_imports_of_one_plan_end_as_one_plan(engine: Engine) -> None:
    from sqlmodel import select

    from core.units import UnitDirectory
    from duban.importing import import_document
    from storage.models import PlanRow, TaskRow, UnitRow

    directory = UnitDirectory.default()
    for round_ in range(5):
        title = f"2026年第{round_}区政务公开工作要点"
        texts_ = [t.replace("2026年某区政务公开工作要点", title) for t in (PLAN_A, PLAN_B)] * 3
        barrier = threading.Barrier(len(texts_))
        errors: list[BaseException] = []

        def run(text: str, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            try:
                import_document(engine, text.encode(), source_name="p.txt", directory=directory, now=T0)
            except BaseException as exc:
                errors.append(exc)  # noqa: B023  (joined before the next round)

        threads = [threading.Thread(target=run, args=(t,)) for t in texts_]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        with session_scope(engine) as s:
            plans = s.exec(select(PlanRow).where(PlanRow.title == title)).all()
            assert len(plans) == 1, [p.id for p in plans]
            assert len(s.exec(select(TaskRow).where(TaskRow.plan_id == plans[0].id)).all()) == 2
            names = [u.name for u in s.exec(select(UnitRow)) if "新设" in u.name]
            assert sorted(names) == ["区新设乙局", "区新设甲局"]


@pytest.mark.slow
async def test_lease_renewal_never_waits_behind_stuck_work(engine: Engine) -> None:
    """Work filling asyncio's default thread pool (stuck imports) must not delay the lease: one leader at a
    time needs renewals on time."""
    import asyncio

    from jobs.leader import Leadership, leads

    leadership = Leadership(engine, lease_seconds=4, renew_seconds=1, holder="stuck-test")
    release = threading.Event()
    stuck = [asyncio.create_task(asyncio.to_thread(release.wait, 30)) for _ in range(64)]
    try:
        await asyncio.sleep(0.2)
        started = time.monotonic()
        for _ in range(3):
            assert await asyncio.wait_for(leadership.step(), timeout=2)
        assert time.monotonic() - started < 3
        assert leads({"leadership": leadership})
        # A leader whose last renewal is older than the lease allows stops leading at once.
        leadership._renewed -= 10
        assert not leads({"leadership": leadership})
    finally:
        release.set()
        await asyncio.gather(*stuck)
