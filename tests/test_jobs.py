"""The daily digest job: schedule, exactly once across runs and restarts, retries, blocked chats, failures."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from apscheduler.triggers.cron import CronTrigger
from bot_harness import AFTER_DIGEST, BEFORE_DIGEST, SH, TODAY, Clock, import_plan, make_context, running, say
from botapi import FakeTelegram
from sqlalchemy import Engine
from telegram.ext import Application, Job, JobQueue

from core.digest import DigestItem, compose_digests, render_digest, select_digest
from core.units import UnitDirectory
from core.workdays import WorkCalendar
from duban.context import AppContext
from jobs.digest import JOB_NAME, compose, compose_items, deliver_digests, sends_today
from storage import ledger, subscriptions
from storage.db import session_scope
from storage.digest import followed_units, group_routes_for, open_items
from storage.models import (
    AssignmentRow,
    CompletionRow,
    PlanRow,
    ProgressNoteRow,
    SubscriptionRow,
    TaskRow,
    UnitRow,
)

pytestmark = pytest.mark.slow  # the digest job sending through the local Bot API server

CHATS = (6101, 6102, 6103)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        for chat in CHATS:
            server.add_chat(chat)
        yield server


@pytest.fixture
def ctx(tmp_path: Path, fake: FakeTelegram) -> AppContext:
    context = make_context(tmp_path, fake)
    import_plan(context)
    with session_scope(context.engine) as s:
        for chat, unit in zip(CHATS, ("区教育局", "区财政局", "区政府办公室"), strict=True):
            row = subscriptions.unit_by_name(s, unit)
            assert row is not None
            subscriptions.subscribe(
                s,
                chat_id=chat,
                unit_id=row.id or 0,
                user_id=chat,
                user_name="测试",
                needs_approval=False,
                now=AFTER_DIGEST,
            )
    return context


def digests_in(fake: FakeTelegram, chat: int) -> list[dict]:
    return [m for m in fake.sent(chat) if m["text"].startswith("📋 督办提醒")]


def delivery_status(ctx: AppContext, chat: int, day: date = TODAY) -> tuple[str, int, str | None] | None:
    with session_scope(ctx.engine) as s:
        row = ledger.delivery(s, chat_id=chat, day=day)
        return (row.status, row.attempts, row.last_error) if row else None


def queue(app: Application) -> JobQueue:
    """The application's job queue (the job-queue extra is installed)."""
    assert app.job_queue is not None
    return app.job_queue


def next_run(job: Job) -> datetime:
    """When a scheduled job runs next."""
    assert job.next_t is not None
    return job.next_t


async def run_job(app: Application) -> None:
    [job] = queue(app).get_jobs_by_name(JOB_NAME)
    await job.run(app)


async def test_job_is_a_cron_at_the_configured_time_with_grace_and_coalescing(
    fake: FakeTelegram, ctx: AppContext
) -> None:
    async with running(ctx, fake, Clock(BEFORE_DIGEST)) as app:
        [job] = queue(app).get_jobs_by_name(JOB_NAME)
        trigger = job.job.trigger
        assert isinstance(trigger, CronTrigger)
        assert (str(trigger.fields[5]), str(trigger.fields[6])) == ("9", "0")  # hour, minute
        assert str(trigger.timezone) == "Asia/Shanghai"
        assert (job.job.misfire_grace_time, job.job.coalesce, job.job.max_instances) == (3600, True, 1)
        assert job.job.next_run_time.timetz() == time(9, 0, tzinfo=job.job.next_run_time.tzinfo)
        # Started before 09:00: no catch-up run.
        assert queue(app).get_jobs_by_name(f"{JOB_NAME}_catch_up") == ()


@pytest.mark.parametrize(
    ("day", "sends"),
    [
        (date(2026, 3, 4), True),  # Wednesday
        (date(2026, 3, 7), False),  # Saturday
        (date(2026, 10, 1), False),  # 国庆节, a Thursday
        (date(2026, 10, 10), True),  # a Saturday worked for 国庆 (调休)
    ],
)
def test_the_digest_goes_out_on_official_workdays_only(ctx: AppContext, day: date, sends: bool) -> None:
    assert sends_today(ctx, day) is sends


@pytest.mark.parametrize(
    ("day", "sends"),
    [
        (date(2031, 1, 22), False),  # a Wednesday in the override's 春节
        (date(2031, 1, 19), True),  # a Sunday the override makes a workday
        (date(2031, 1, 20), True),  # an ordinary Monday
    ],
)
def test_the_holiday_override_decides_the_digest_days(ctx: AppContext, day: date, sends: bool) -> None:
    calendar = WorkCalendar.from_toml(
        (Path(__file__).parent / "fixtures" / "holidays_override.toml").read_text(encoding="utf-8")
    )
    assert sends_today(replace(ctx, calendar=calendar), day) is sends


async def test_job_twice_and_a_restart_send_one_digest_per_chat(fake: FakeTelegram, ctx: AppContext) -> None:
    clock = Clock(AFTER_DIGEST)
    async with running(ctx, fake, clock) as app:
        # Started after 09:00: the catch-up run sends today's digest.
        await fake.wait_until(lambda: all(digests_in(fake, c) for c in CHATS), what="catch-up digests")
        await run_job(app)
        await run_job(app)
    async with running(ctx, fake, clock) as app:  # a restart, same day
        await run_job(app)
    assert [len(digests_in(fake, c)) for c in CHATS] == [1, 1, 1]
    assert {delivery_status(ctx, c) for c in CHATS} == {("sent", 1, None)}
    with session_scope(ctx.engine) as s:
        sent_ids = ledger.delivery(s, chat_id=CHATS[0], day=TODAY).message_ids  # type: ignore[union-attr]
    assert sent_ids == [m["message_id"] for m in digests_in(fake, CHATS[0])]


async def test_restart_on_a_later_day_sends_that_day_only(fake: FakeTelegram, ctx: AppContext) -> None:
    async with running(ctx, fake, Clock(AFTER_DIGEST)):
        await fake.wait_until(lambda: all(digests_in(fake, c) for c in CHATS))
    tomorrow = Clock(datetime(2026, 3, 5, 10, 0, tzinfo=SH))
    async with running(ctx, fake, tomorrow):
        await fake.wait_until(lambda: all(len(digests_in(fake, c)) == 2 for c in CHATS))
    assert digests_in(fake, CHATS[0])[1]["text"].startswith("📋 督办提醒 · 3月5日 周四")


async def test_job_on_a_holiday_sends_nothing(fake: FakeTelegram, ctx: AppContext) -> None:
    async with running(ctx, fake, Clock(datetime(2026, 10, 1, 9, 0, 5, tzinfo=SH))) as app:
        await run_job(app)
    assert fake.calls("sendMessage") == []


async def test_blocked_chat_is_deactivated_and_the_others_still_get_theirs(
    fake: FakeTelegram, ctx: AppContext
) -> None:
    fake.block(CHATS[1])
    async with running(ctx, fake, Clock(BEFORE_DIGEST)) as app:
        report = await deliver_digests(app.bot, ctx, day=TODAY, clock=lambda: AFTER_DIGEST)
    assert report.deactivated == [CHATS[1]] and sorted(report.sent) == [CHATS[0], CHATS[2]]
    status, _, error = delivery_status(ctx, CHATS[1]) or ("", 0, "")
    assert status == "failed" and error is not None and error.startswith("Forbidden")
    with session_scope(ctx.engine) as s:
        assert subscriptions.active_chat_ids(s) == [CHATS[0], CHATS[2]]


@pytest.mark.parametrize("kind", ["429", "500", "reset"])
async def test_transient_errors_are_retried_and_still_one_digest(
    fake: FakeTelegram, ctx: AppContext, kind: str
) -> None:
    fake.fail_next("sendMessage", kind, count=2, chat_id=CHATS[0], retry_after=1)
    async with running(ctx, fake, Clock(BEFORE_DIGEST)) as app:
        report = await deliver_digests(app.bot, ctx, day=TODAY, clock=lambda: AFTER_DIGEST)
    assert sorted(report.sent) == list(CHATS) and report.failed == {}
    assert [len(digests_in(fake, c)) for c in CHATS] == [1, 1, 1]
    outcomes = [c["outcome"] for c in fake.calls("sendMessage") if c["params"]["chat_id"] == CHATS[0]]
    assert outcomes[:2] == [f"fault:{kind}"] * 2 and outcomes[2] == "ok"


async def test_a_failure_that_persists_is_recorded_and_a_later_run_retries(
    fake: FakeTelegram, ctx: AppContext
) -> None:
    fake.fail_next("sendMessage", "500", count=4, chat_id=CHATS[0])  # every attempt of the first run
    async with running(ctx, fake, Clock(BEFORE_DIGEST)) as app:
        first = await deliver_digests(app.bot, ctx, day=TODAY, clock=lambda: AFTER_DIGEST)
        assert list(first.failed) == [CHATS[0]] and "NetworkError" in first.failed[CHATS[0]]
        status, attempts, error = delivery_status(ctx, CHATS[0]) or ("", 0, None)
        assert (status, attempts) == ("failed", 1) and error
        second = await deliver_digests(app.bot, ctx, day=TODAY, clock=lambda: AFTER_DIGEST)
    assert list(second.sent) == [CHATS[0]] and sorted(second.skipped) == [CHATS[1], CHATS[2]]
    assert delivery_status(ctx, CHATS[0])[:2] == ("sent", 2)  # type: ignore[index]
    assert len(digests_in(fake, CHATS[0])) == 1


async def test_bot_api_rate_limits_are_respected(fake: FakeTelegram, ctx: AppContext) -> None:
    fake.enforce_limits(global_per_s=30, per_chat_per_s=1, per_group_per_min=20)
    async with running(ctx, fake, Clock(BEFORE_DIGEST)) as app:
        report = await deliver_digests(app.bot, ctx, day=TODAY, clock=lambda: AFTER_DIGEST)
    assert sorted(report.sent) == list(CHATS) and fake.too_many_requests == 0


async def test_digest_command_reply_to_a_digest_after_a_restart(fake: FakeTelegram, ctx: AppContext) -> None:
    async with running(ctx, fake, Clock(AFTER_DIGEST)):
        [digest] = await fake.wait_for(lambda m: m["text"].startswith("📋"), chat_id=CHATS[0])
    # Callback data and the sent-item records live in the database, so a new process still understands them.
    async with running(ctx, fake, Clock(AFTER_DIGEST)):
        answer = await say(fake, CHATS[0], "完成 1", reply_to=digest["message_id"])
    assert answer["text"] == "已标记完成：#1（区教育局）。"


async def test_a_failed_chat_is_retried_later_the_same_day_only(fake: FakeTelegram, ctx: AppContext) -> None:
    fake.fail_next("sendMessage", "500", count=4, chat_id=CHATS[0])
    clock = Clock(datetime(2026, 3, 4, 9, 0, 1, tzinfo=SH))
    async with running(ctx, fake, Clock(BEFORE_DIGEST)) as app:
        app.bot_data["clock"] = clock
        await run_job(app)
        [retry] = queue(app).get_jobs_by_name(f"{JOB_NAME}_retry")
        assert retry.data == (TODAY, [CHATS[0]])
        assert 14 * 60 < (next_run(retry) - datetime.now(SH)).total_seconds() <= 15 * 60
        clock.now = datetime(2026, 3, 5, 0, 5, tzinfo=SH)  # after midnight: too late for yesterday's digest
        await retry.run(app)
        assert digests_in(fake, CHATS[0]) == []
        clock.now = datetime(2026, 3, 4, 9, 15, tzinfo=SH)
        await retry.run(app)
    assert len(digests_in(fake, CHATS[0])) == 1
    assert delivery_status(ctx, CHATS[0])[:2] == ("sent", 2)  # type: ignore[index]


@pytest.mark.parametrize(("extra", "colour"), [("", "🔵蓝"), ("[oversight]\nyellow_days = 5\n", "🟡黄")])
def test_digest_colours_follow_configured_thresholds(
    tmp_path: Path, fake: FakeTelegram, extra: str, colour: str
) -> None:
    context = make_context(tmp_path, fake, extra)
    day = date(2026, 3, 2)
    item = DigestItem(1, 1, "区教育局", "owner", "1", "更新公开目录", date(2026, 3, 6), "计划", "fixed", None)
    [message] = compose_items(context, {42: [item]}, day=day)[42]
    assert f"#1 {colour}" in message.text


@pytest.mark.parametrize("failing_runs", [1, 5])  # an outage under 30 s, and one of over 5 minutes
async def test_a_database_outage_at_digest_time_still_delivers_every_digest_that_day(
    fake: FakeTelegram, ctx: AppContext, failing_runs: int
) -> None:
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    from jobs.digest import DB_RETRY_FIRST_SECONDS, DB_RETRY_MAX_SECONDS

    outage = {"on": False}

    def refuse(*_args: object) -> None:
        if outage["on"]:
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    event.listen(ctx.engine, "before_cursor_execute", refuse)
    clock = Clock(datetime(2026, 3, 4, 9, 0, 1, tzinfo=SH))
    async with running(ctx, fake, Clock(BEFORE_DIGEST)) as app:
        app.bot_data["clock"] = clock
        outage["on"] = True
        await run_job(app)
        delays = []
        for attempt in range(failing_runs):
            [retry] = queue(app).get_jobs_by_name(f"{JOB_NAME}_db_retry")
            delays.append(round((next_run(retry) - datetime.now(SH)).total_seconds()))
            assert retry.data == (TODAY, None, attempt + 1)
            if attempt == failing_runs - 1:
                outage["on"] = False  # the database is back
            retry.schedule_removal()
            await retry.run(app)
        assert not queue(app).get_jobs_by_name(f"{JOB_NAME}_db_retry")
    event.remove(ctx.engine, "before_cursor_execute", refuse)
    expected = [min(DB_RETRY_FIRST_SECONDS * 2**n, DB_RETRY_MAX_SECONDS) for n in range(failing_runs)]
    assert all(abs(d - e) <= 2 for d, e in zip(delays, expected, strict=True)), delays
    for chat in CHATS:
        assert len(digests_in(fake, chat)) == 1
        assert delivery_status(ctx, chat)[0] == "sent"  # type: ignore[index]


def fill_district(engine: Engine, seed: int) -> None:
    """A random district: units of each kind and three group names, tasks one-off, recurring or in dated steps,
    assigned directly and through groups (a unit often both ways), completions, occurrences done, notes, and
    chats following one to three units (many the same ones; one follows a group name itself)."""
    rnd = random.Random(seed)
    now = datetime(2026, 3, 1, 8, 0, tzinfo=SH)
    kinds = ("department", "town", "street")
    units = [UnitRow(id=u, name=f"单位{u}", kind=kinds[u % 3], is_group=False) for u in range(1, 31)]
    groups = [
        UnitRow(id=100 + g, name=n, kind="other", is_group=True)
        for g, n in enumerate(("各单位", "区政府各部门", "各街镇"))
    ]
    rows: list[Any] = [
        *units,
        *groups,
        PlanRow(id=1, title="计划", layout="table", source_name="p", content_hash="h", imported_at=now),
    ]
    for t in range(1, 121):
        # Dates on and around the window's edges (3 and 7 days) as well as anywhere.
        due = TODAY + timedelta(days=rnd.choice([rnd.randint(-60, 60), 0, 3, 4, 7, 8]))
        recurrence = rnd.choice([None] * 6 + ["monthly", "quarterly"])
        steps = []
        if recurrence is None and rnd.random() < 0.15:
            first = TODAY + timedelta(days=rnd.choice([-5, 0, 3, 4, 7, 8, 20]))
            due = first + timedelta(days=rnd.randint(1, 30))
            steps = [
                {"text": "第一步", "due": first.isoformat(), "what": "先办  一半"},
                {"text": "第二步", "due": due.isoformat(), "what": "办完"},
            ]
        rows.append(
            TaskRow(
                id=t,
                plan_id=1,
                position=t,
                seq=str(t),
                category="类",
                content=f"第{t}项　工作\n及时报送" + "很长" * rnd.choice([0, 0, 40]),
                deadline_text="x",
                due=due,
                kind="recurring" if recurrence else "fixed",
                recurrence=recurrence,
                milestones=steps,
                status=rnd.choice(["active"] * 9 + ["paused"]),
            )
        )
        pairs = {rnd.choice([*range(1, 31), 100, 101, 102]) for _ in range(rnd.randint(1, 4))}
        for position, unit_id in enumerate(sorted(pairs)):
            rows.append(
                AssignmentRow(
                    task_id=t,
                    unit_id=unit_id,
                    position=position,
                    role=rnd.choice(["lead", "support", "owner"]),
                )
            )
        for unit_id in rnd.sample(range(1, 31), 3):
            if recurrence:
                rows.append(
                    CompletionRow(task_id=t, unit_id=unit_id, done_at=now, occurrence=date(2026, 3, 31))
                )
            elif steps:
                rows.append(
                    CompletionRow(
                        task_id=t,
                        unit_id=unit_id,
                        done_at=now,
                        occurrence=date.fromisoformat(steps[0]["due"]),
                    )
                )
            elif rnd.random() < 0.5:
                rows.append(CompletionRow(task_id=t, unit_id=unit_id, done_at=now))
        for unit_id in rnd.sample(range(1, 31), 2):
            day = TODAY - timedelta(days=rnd.randint(0, 12))
            rows.append(ProgressNoteRow(task_id=t, unit_id=unit_id, text="已  部署", created_at=now, day=day))
    followed = [[u] for u in range(1, 31)] + [
        sorted(rnd.sample(range(1, 31), rnd.randint(1, 3))) for _ in range(15)
    ]
    for chat, unit_ids in enumerate([*followed, *followed[:10], [101], [102, 5]], start=1):
        rows += [SubscriptionRow(chat_id=chat, unit_id=u, status="active", created_at=now) for u in unit_ids]
    rows.append(SubscriptionRow(chat_id=999, unit_id=7, status="pending", created_at=now))
    with session_scope(engine) as s:
        for row in rows:
            s.add(row)
            s.flush()


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(("window", "limit"), [(7, 4000), (3, 900)])
def test_composing_once_per_set_of_units_gives_every_chat_its_own_digest(
    engine: Engine, seed: int, window: int, limit: int
) -> None:
    fill_district(engine, seed)
    with session_scope(engine) as s:
        routes = group_routes_for(s, UnitDirectory.default())
        per_chat = open_items(s, group_routes=routes)
        followed = followed_units(s, group_routes=routes, listed_until=TODAY + timedelta(days=window))
    alone = {}
    for chat, items in sorted(per_chat.items()):
        messages = render_digest(select_digest(items, today=TODAY, window_days=window), limit=limit)
        if messages:
            alone[chat] = messages
    assert sum(followed.later.values()) > 0  # items after the window were counted, not listed
    composed = compose_digests(
        followed.chat_units,
        followed.items,
        later=followed.later,
        today=TODAY,
        window_days=window,
        limit=limit,
    )
    assert len(alone) > 30
    assert composed == alone


def test_the_digest_of_one_unit_only_is_what_it_was(ctx: AppContext) -> None:
    with session_scope(ctx.engine) as s:
        items = open_items(s, group_routes=ctx.group_routes(s))
    for unit in (None, "区教育局", "区财政局", "没有这个单位"):
        expected = compose_items(ctx, items, day=TODAY, unit=unit)
        assert compose(ctx, day=TODAY, unit=unit) == expected
        assert bool(expected) == (unit != "没有这个单位")
