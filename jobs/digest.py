"""The daily digest: compose per chat, send exactly once through the ledger, schedule it on the JobQueue.

Composing needs no Telegram: python-telegram-bot is imported by the functions that send or schedule, so
`duban digest` (printing) and the dry run load without it.
"""

from __future__ import annotations

import asyncio
import json
import warnings
from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, cast

from loguru import logger
from sqlalchemy.exc import DBAPIError

from core.digest import DigestItem, OutMessage, compose_digests, render_digest, select_digest
from core.workdays import UnknownYearError, is_workday
from duban.context import AppContext
from jobs.leader import leads
from storage import ledger, subscriptions
from storage.db import session_scope
from storage.digest import followed_units

if TYPE_CHECKING:
    from sqlmodel import Session
    from telegram import Bot, Message
    from telegram.error import RetryAfter
    from telegram.ext import Application, ContextTypes, Job

KIND = "digest"
JOB_NAME = "daily_digest"
Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class SendHooks:
    """Called by the HTTP layer (bot.app.LedgerRequest) around each HTTP attempt of a send method.

    before() runs right before the request leaves, after(status, body) as soon as the answer is read, before
    PTB parses it: the ledger's in-doubt window is the round trip and nothing else (see storage.ledger).
    """

    before: Callable[[], None]
    after: Callable[[int, bytes], None]


# Set by deliver_chat for the task sending one chat's digest; other tasks (handlers) see None.
SEND_HOOKS: ContextVar[SendHooks | None] = ContextVar("send_hooks", default=None)


@dataclass(slots=True)
class DeliveryReport:
    """What one run of the digest did, chat by chat."""

    day: date
    sent: dict[int, list[int]] = field(default_factory=dict)  # chat → message ids
    skipped: list[int] = field(default_factory=list)  # already delivered today (ledger)
    empty: list[int] = field(default_factory=list)  # nothing to say today
    failed: dict[int, str] = field(default_factory=dict)  # chat → error
    deactivated: list[int] = field(default_factory=list)  # blocked the bot
    busy: list[int] = field(default_factory=list)  # claimed by a live sender (another run or instance)
    resumed: list[int] = field(default_factory=list)  # taken over from a dead sender (crash, SIGKILL)

    @property
    def messages(self) -> int:
        """How many messages went out."""
        return sum(len(ids) for ids in self.sent.values())


def compose(
    ctx: AppContext, *, day: date, chat_ids: Iterable[int] | None = None, unit: str | None = None
) -> dict[int, list[OutMessage]]:
    """The digest messages each chat with active subscriptions would get on day (chats with nothing left out).

    Chats following the same units share one composition (core.digest.compose_digests).
    """
    t = ctx.thresholds
    with session_scope(ctx.engine) as s:
        wanted = list(chat_ids) if chat_ids is not None else None
        followed = followed_units(
            s,
            chat_ids=wanted,
            group_routes=ctx.group_routes(s),
            listed_until=day + timedelta(days=t.window_days),
        )
    chat_units = followed.chat_units
    if unit is not None:
        # Only that unit's items: the units of that name.
        named = {u for u, name in followed.unit_names.items() if name == unit}
        chat_units = {c: [u for u in units if u in named] for c, units in chat_units.items()}
    return compose_digests(
        chat_units,
        followed.items,
        later=followed.later,
        today=day,
        window_days=t.window_days,
        yellow_days=t.yellow_days,
        fresh_days=t.fresh_days,
        limit=ctx.settings.digest.message_limit,
    )


def compose_items(
    ctx: AppContext, items: dict[int, list[DigestItem]], *, day: date, unit: str | None = None
) -> dict[int, list[OutMessage]]:
    """Digest messages per key from open items (optionally only one unit's)."""
    digest = ctx.settings.digest
    out: dict[int, list[OutMessage]] = {}
    for chat_id, chat_items in sorted(items.items()):
        if unit is not None:
            chat_items = [i for i in chat_items if i.unit == unit]
        t = ctx.thresholds
        d = select_digest(
            chat_items,
            today=day,
            window_days=t.window_days,
            yellow_days=t.yellow_days,
            fresh_days=t.fresh_days,
        )
        messages = render_digest(d, limit=digest.message_limit)
        if messages:
            out[chat_id] = messages
    return out


def retry_seconds(exc: RetryAfter) -> float:
    """The pause Telegram asked for, in seconds."""
    value = getattr(exc, "_retry_after", None)
    if isinstance(value, timedelta):
        return value.total_seconds()
    with warnings.catch_warnings():
        # PTB 22 warns that retry_after becomes a timedelta; either type is handled here.
        warnings.simplefilter("ignore")
        raw = exc.retry_after
    return raw.total_seconds() if isinstance(raw, timedelta) else float(raw)


async def send_with_retry(
    bot: Bot, chat_id: int, message: OutMessage, *, attempts: int, backoff: float, sleep: Sleep
) -> Message:
    """Send one message: RetryAfter → wait as told; network errors → exponential backoff; others raise."""
    from telegram.error import BadRequest, NetworkError, RetryAfter

    from bot.keyboards import done_keyboard

    pause = backoff
    for attempt in range(1, attempts + 1):
        try:
            return await bot.send_message(chat_id, message.text, reply_markup=done_keyboard(message.items))
        except RetryAfter as exc:
            # AIORateLimiter has already retried max_retries times; this is the job's own last line.
            if attempt == attempts:
                raise
            wait = retry_seconds(exc) + 0.1
            logger.warning("聊天 {}：Telegram 要求等待 {:.1f} 秒（第 {} 次）", chat_id, wait, attempt)
            await sleep(wait)
        except BadRequest:
            raise
        except NetworkError as exc:
            # A timeout may hide a delivered message; resending risks a duplicate, not sending risks a loss.
            # A reminder is worth more than a rare duplicate, so retry.
            if attempt == attempts:
                raise
            logger.warning(
                "聊天 {}：网络错误 {}，{:.1f} 秒后重试（第 {} 次）", chat_id, exc.message, pause, attempt
            )
            await sleep(pause)
            pause *= 2
    raise AssertionError("unreachable")


async def deliver_chat(
    bot: Bot,
    ctx: AppContext,
    chat_id: int,
    messages: list[OutMessage],
    *,
    day: date,
    clock: Clock,
    sleep: Sleep,
) -> tuple[str, list[int] | str]:
    """Claim the chat's ledger row, send, record each part, complete: ("sent", ids) / ("skipped"|"failed"|…, why).

    A claim taken over from a dead sender resumes after the parts it recorded as sent.
    """
    from telegram.error import ChatMigrated, Forbidden, TelegramError

    digest = ctx.settings.digest
    stale = timedelta(seconds=digest.claim_timeout_seconds)
    with session_scope(ctx.engine) as s:
        if not ledger.claim(s, chat_id=chat_id, day=day, kind=KIND, now=clock(), stale_after=stale):
            return "skipped", "already delivered"
        row = ledger.delivery(s, chat_id=chat_id, day=day, kind=KIND)
        ids: list[int] = list(row.message_ids) if row else []
    t = ctx.settings.telegram
    key = target = chat_id  # the ledger row's chat; target changes when a group became a supergroup

    part: list[OutMessage] = []  # the part being sent
    recorded: set[int] = set()  # message ids the after-hook committed

    def before() -> None:
        # Committed before the request leaves: a crash from here until after() leaves the row 'sending'.
        with session_scope(ctx.engine) as s:
            ledger.begin_attempt(s, chat_id=key, day=day, kind=KIND, now=clock())

    def after(status: int, body: bytes) -> None:
        message_id = sent_message_id(status, body)
        try:
            with session_scope(ctx.engine) as s:
                if message_id is None:
                    ledger.attempt_refused(s, chat_id=key, day=day, kind=KIND, now=clock())
                    return
                record(s, message_id)
            recorded.add(message_id)
        except Exception:
            # Raising here would reach PTB as a network error and resend a delivered message; the send
            # returns normally instead, and recording is tried once more after it (see below).
            logger.exception("聊天 {}：无法记录已发送的消息 {}", key, message_id)

    def record(s: Session, message_id: int) -> None:
        ledger.part_sent(
            s,
            chat_id=key,
            day=day,
            kind=KIND,
            message_id=message_id,
            items=part[0].items,
            target=target,
            now=clock(),
        )
        if len(ids) + 1 == len(messages):  # the last part and the completion in one commit
            ledger.complete(s, chat_id=key, day=day, kind=KIND, message_ids=[*ids, message_id], now=clock())

    async def pause(seconds: float) -> None:
        with session_scope(ctx.engine) as s:
            ledger.touch(s, chat_id=key, day=day, kind=KIND, now=clock())
        await sleep(seconds)

    hook = SEND_HOOKS.set(SendHooks(before, after))
    todo = messages[len(ids) :]
    try:
        for n, message in enumerate(todo):
            if n or ids:
                # AIORateLimiter paces groups but not private chats; Telegram wants about 1 message/s per chat.
                await pause(t.chat_interval_seconds)
            part[:] = [message]
            try:
                sent = await send_with_retry(
                    bot, target, message, attempts=t.send_attempts, backoff=t.backoff_seconds, sleep=pause
                )
            except ChatMigrated as exc:
                with session_scope(ctx.engine) as s:
                    subscriptions.migrate_chat(s, target, exc.new_chat_id)
                    ledger.move_chat(s, target, exc.new_chat_id)
                logger.info("聊天 {} 已升级为 {}，订阅随之迁移", target, exc.new_chat_id)
                key = target = exc.new_chat_id
                sent = await send_with_retry(
                    bot, target, message, attempts=t.send_attempts, backoff=t.backoff_seconds, sleep=pause
                )
            if sent.message_id not in recorded:  # sent without LedgerRequest (another HTTP layer)
                with session_scope(ctx.engine) as s:
                    record(s, sent.message_id)
            ids.append(sent.message_id)
    except Forbidden as exc:
        with session_scope(ctx.engine) as s:
            count = subscriptions.deactivate_chat(s, target)
        settle(ctx, key, day, ids, f"Forbidden: {exc.message}", clock)
        logger.warning("聊天 {} 屏蔽了机器人（{}），已停用 {} 个订阅", target, exc.message, count)
        return "deactivated", exc.message
    except TelegramError as exc:
        error = f"{type(exc).__name__}: {exc.message}"
        settle(ctx, key, day, ids, error, clock)
        logger.error("聊天 {} 的每日提醒发送失败（已发 {} 条）：{}", target, len(ids), error)
        return "failed", error
    finally:
        SEND_HOOKS.reset(hook)
    if not todo:  # taken over after every part had gone out, before the completion was committed
        with session_scope(ctx.engine) as s:
            ledger.complete(s, chat_id=key, day=day, kind=KIND, message_ids=ids, now=clock())
    return "sent", ids


def sent_message_id(status: int, body: bytes) -> int | None:
    """The message id in a successful Bot API answer to a send, or None for an error answer."""
    if status != 200:
        return None
    try:
        result = json.loads(body).get("result")
        return int(result["message_id"]) if isinstance(result, dict) else None
    except (ValueError, KeyError, TypeError):
        return None


def settle(ctx: AppContext, chat_id: int, day: date, ids: list[int], error: str, clock: Clock) -> None:
    """Record a failed delivery: 'failed' (retryable) when nothing went out, else 'sent' with the parts sent."""
    with session_scope(ctx.engine) as s:
        if ids:
            # Part of a split digest is in the chat; a retry would repeat it, so the rest is dropped (logged).
            ledger.complete(s, chat_id=chat_id, day=day, kind=KIND, message_ids=ids, now=clock())
        else:
            ledger.fail(s, chat_id=chat_id, day=day, kind=KIND, error=error, now=clock())


async def deliver_digests(
    bot: Bot,
    ctx: AppContext,
    *,
    day: date,
    clock: Clock,
    chat_ids: Iterable[int] | None = None,
    unit: str | None = None,
    concurrency: int | None = None,
    sleep: Sleep = asyncio.sleep,
) -> DeliveryReport:
    """Send day's digest to every chat that has something to say and has not had it yet; `concurrency`
    chats at once ([digest] parallel_sends: 1 keeps one message in flight, the most a crash can repeat)."""
    report = DeliveryReport(day)
    since = clock() - timedelta(seconds=ctx.settings.digest.claim_timeout_seconds)
    with session_scope(ctx.engine) as s:
        wanted = list(chat_ids) if chat_ids is not None else subscriptions.active_chat_ids(s)
        done = ledger.delivered_today(s, day)
        live = ledger.live_claims(s, day, since=since)
        stale = [r for r in ledger.stale_claims(s, before=since) if r.day == day and r.kind == KIND]
    dead = {r.chat_id for r in stale}
    for r in stale:
        if r.status == ledger.SENDING:
            logger.warning(
                "聊天 {}：上次发送在请求途中中断，无法确认第 {} 条是否送达，将重发（最多重复一条）",
                r.chat_id,
                len(r.message_ids) + 1,
            )
        else:
            logger.warning(
                "聊天 {}：接手中断的发送（已发 {} 条，接着发其余的）", r.chat_id, len(r.message_ids)
            )
    # Claims whose sender died (silent past claim_timeout_seconds) are taken over; live ones are left alone.
    todo = [c for c in wanted if c not in done or c in dead]
    report.busy.extend(c for c in wanted if c in live)
    report.resumed.extend(c for c in todo if c in dead)
    report.skipped.extend(c for c in wanted if c in done and c not in dead and c not in live)
    composed = compose(ctx, day=day, chat_ids=todo, unit=unit) if todo else {}
    report.empty.extend(c for c in todo if c not in composed)
    # Chats go in parallel up to `concurrency`; the rate limiter keeps the overall and per-group pace.
    gate = asyncio.Semaphore(concurrency or ctx.settings.digest.parallel_sends)

    async def one(chat_id: int, messages: list[OutMessage]) -> None:
        async with gate:
            try:
                outcome, detail = await deliver_chat(
                    bot, ctx, chat_id, messages, day=day, clock=clock, sleep=sleep
                )
            except Exception as exc:  # one chat's bug must not stop the others; it is recorded and logged
                logger.exception("聊天 {} 的每日提醒出错", chat_id)
                with session_scope(ctx.engine) as s:
                    ledger.fail(s, chat_id=chat_id, day=day, kind=KIND, error=repr(exc), now=clock())
                outcome, detail = "failed", repr(exc)
        if outcome == "sent" and not isinstance(detail, str):
            report.sent[chat_id] = list(detail)
        elif outcome == "skipped":
            report.skipped.append(chat_id)
        elif outcome == "deactivated":
            report.deactivated.append(chat_id)
        else:
            report.failed[chat_id] = str(detail)

    await asyncio.gather(*(one(c, m) for c, m in composed.items()))
    logger.info(
        "{} 每日提醒：发送 {} 个聊天 {} 条消息，已发过 {}，无内容 {}，失败 {}，已停用 {}，他处发送中 {}，接手 {}",
        day.isoformat(),
        len(report.sent),
        report.messages,
        len(report.skipped),
        len(report.empty),
        len(report.failed),
        len(report.deactivated),
        len(report.busy),
        len(report.resumed),
    )
    return report


def sends_today(ctx: AppContext, day: date) -> bool:
    """Whether the digest goes out on day: every day, or official workdays only (调休 and the override included)."""
    if not ctx.settings.digest.workdays_only:
        return True
    try:
        return is_workday(day, ctx.calendar)
    except UnknownYearError:
        # The calendar package does not know this year yet: fall back to Monday–Friday, and say so.
        logger.warning("节假日日历不包含 {} 年，按周一至周五发送", day.year)
        return day.weekday() < 5


async def digest_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The scheduled run: today's digest, on days it goes out."""
    ctx: AppContext = context.bot_data["ctx"]
    clock: Clock = context.bot_data["clock"]
    if not leads(context.bot_data):
        logger.info("本实例不是主实例，每日提醒由主实例发送")
        return
    today = clock().date()
    if not sends_today(ctx, today):
        logger.info("{} 不是工作日，不发送每日提醒", today.isoformat())
        return
    await _deliver_or_retry(context, today, None, attempt=0)


# A database outage at digest time: the whole run is tried again after 30 s, 1, 2, 4 … minutes (at most 15),
# through the day; the ledger still lets each chat have today's digest at most once.
DB_RETRY_FIRST_SECONDS = 30
DB_RETRY_MAX_SECONDS = 15 * 60


async def _deliver_or_retry(
    context: ContextTypes.DEFAULT_TYPE, day: date, chat_ids: list[int] | None, *, attempt: int
) -> None:
    """Deliver day's digests (to chat_ids, or all); a database error schedules the whole run again."""
    ctx: AppContext = context.bot_data["ctx"]
    clock: Clock = context.bot_data["clock"]
    try:
        report = await deliver_digests(context.bot, ctx, day=day, clock=clock, chat_ids=chat_ids)
    except DBAPIError as exc:
        delay = min(DB_RETRY_FIRST_SECONDS * 2**attempt, DB_RETRY_MAX_SECONDS)
        logger.warning(
            "数据库暂时不可用，{} 的每日提醒未能发出（第 {} 次）：{}；{} 秒后重试",
            day.isoformat(),
            attempt + 1,
            type(exc).__name__,
            delay,
        )
        if context.job_queue is not None:
            context.job_queue.run_once(
                db_retry_job, when=delay, data=(day, chat_ids, attempt + 1), name=f"{JOB_NAME}_db_retry"
            )
        return
    schedule_retry(context, report)


async def db_retry_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The digest run again after a database outage, the same day only."""
    clock: Clock = context.bot_data["clock"]
    job = context.job
    assert job is not None
    day, chat_ids, attempt = cast("tuple[date, list[int] | None, int]", job.data)
    if not leads(context.bot_data):
        return
    if clock().date() != day:
        logger.warning("放弃补发 {} 的每日提醒：数据库直到当天结束仍不可用", day.isoformat())
        return
    await _deliver_or_retry(context, day, chat_ids, attempt=attempt)


async def retry_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """A later attempt for the chats whose digest failed, the same day only."""
    clock: Clock = context.bot_data["clock"]
    job = context.job
    assert job is not None
    day, chat_ids = cast("tuple[date, list[int]]", job.data)
    if not leads(context.bot_data):
        return
    if clock().date() != day:
        logger.warning("放弃补发 {} 的每日提醒：已经不是当天（{} 个聊天）", day.isoformat(), len(chat_ids))
        return
    await _deliver_or_retry(context, day, chat_ids, attempt=0)


def schedule_retry(context: ContextTypes.DEFAULT_TYPE, report: DeliveryReport) -> Job | None:
    """Queue a retry for failed chats after [digest] retry_minutes; the ledger caps the attempts.

    Chats another sender had claimed are looked at again once such a claim would count as dead.
    """
    digest = context.bot_data["ctx"].settings.digest
    if report.busy and context.job_queue is not None:
        context.job_queue.run_once(
            retry_job,
            when=digest.claim_timeout_seconds + 5,
            data=(report.day, sorted(report.busy)),
            name=f"{JOB_NAME}_busy",
        )
    minutes = digest.retry_minutes
    if not report.failed or not minutes or context.job_queue is None:
        return None
    failed = sorted(report.failed)
    logger.info("{} 分钟后重试 {} 个聊天的每日提醒", minutes, len(failed))
    return context.job_queue.run_once(
        retry_job, when=minutes * 60, data=(report.day, failed), name=f"{JOB_NAME}_retry"
    )


def schedule_digest(application: Application) -> Job:
    """Run digest_job every day at the configured time (cron trigger via the JobQueue)."""
    ctx: AppContext = application.bot_data["ctx"]
    digest = ctx.settings.digest
    queue = application.job_queue
    assert queue is not None, "python-telegram-bot[job-queue] is required"
    return queue.run_daily(
        digest_job,
        time=digest.time.replace(tzinfo=ctx.settings.tz),
        name=JOB_NAME,
        job_kwargs={
            # A run that is late by less than the grace (busy loop, suspended host) still happens...
            "misfire_grace_time": digest.misfire_grace_seconds,
            # ...and several missed runs collapse into one; the ledger makes any extra run harmless anyway.
            "coalesce": True,
            "max_instances": 1,
        },
    )


def catch_up_digest(application: Application) -> Job | None:
    """At start-up after today's digest time: send today's digest now (the ledger skips chats that had it)."""
    ctx: AppContext = application.bot_data["ctx"]
    clock: Clock = application.bot_data["clock"]
    now = clock()
    if now.time().replace(tzinfo=None) < ctx.settings.digest.time:
        return None
    queue = application.job_queue
    assert queue is not None
    logger.info("启动时已过今天的提醒时间，补发今天（{}）尚未发送的每日提醒", now.date().isoformat())
    # Same day only: digest_job reads the clock when it runs and sends nothing for earlier days.
    return queue.run_once(
        digest_job,
        when=0,
        name=f"{JOB_NAME}_catch_up",
        # The scheduler starts after post_init; without a grace APScheduler's default of 1 s may skip it.
        job_kwargs={"misfire_grace_time": ctx.settings.digest.misfire_grace_seconds},
    )
