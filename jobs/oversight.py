"""The daily oversight run: red items to the lead units, the admins' overdue summary with 催办 buttons,
quarterly check-ins for year-long items, and the Monday summary (台账 workbook and chart) to the admins.

Each message goes through the delivery ledger under its own kind, so a second run the same day (a restart,
a catch-up) sends nothing twice: 'escalation' and 'overdue' per chat and day, 'checkin' per chat and period
end, 'weekly' per admin and Monday.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from loguru import logger
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, Job

from core.digest import DigestItem, LineRenderer, date_cn, select_digest, short_text, weekday_cn
from core.oversight import checkin_period, escalation_targets, group_by_unit
from duban.context import AppContext
from duban.report import ReportError, chart_png, collect, report_caption, report_filename
from duban.report import workbook_bytes as make_workbook
from jobs.digest import sends_today
from jobs.leader import leads
from storage import ledger, oversight
from storage.db import session_scope
from storage.oversight import summarize

JOB_NAME = "daily_oversight"
Clock = Callable[[], datetime]
# Telegram shows at most 100 buttons; a summary carries one 催办 button per overdue item up to this many.
MAX_URGE_BUTTONS = 40
TEXT_LIMIT = 3900
NOTHING_TO_REPORT = "还没有可导出的事项。"


@dataclass(slots=True)
class OversightReport:
    """What one run sent: chat → message ids, per kind."""

    day: date
    escalation: dict[int, list[int]] = field(default_factory=dict)
    overdue: dict[int, list[int]] = field(default_factory=dict)
    checkin: dict[int, list[int]] = field(default_factory=dict)
    weekly: dict[int, list[int]] = field(default_factory=dict)
    failed: dict[int, str] = field(default_factory=dict)


def urge_callback(task_id: int, unit_id: int) -> str:
    """Callback data of a 催办 button: "ur:12:7"."""
    return f"ur:{task_id}:{unit_id}"


def red_items(ctx: AppContext, *, today: date) -> tuple[list[DigestItem], dict[int, set[int]]]:
    """Every overdue item of every unit (recurring ones at their current occurrence) and the tasks' leads."""
    t = ctx.thresholds
    with session_scope(ctx.engine) as s:
        per_unit = oversight.all_open_items(s, group_routes=ctx.group_routes(s))
        red = [
            i
            for items in per_unit.values()
            for i in select_digest(
                items,
                today=today,
                window_days=t.window_days,
                yellow_days=t.yellow_days,
                fresh_days=t.fresh_days,
            ).overdue
        ]
        leads_of = oversight.lead_units(s, {i.task_id for i in red})
    return red, leads_of


def _chunks(header: str, lines: Sequence[str], limit: int = TEXT_LIMIT) -> list[str]:
    """header + lines split into messages below limit, between lines."""
    out: list[str] = []
    current = header
    for line in lines:
        if len(current) + len(line) + 1 > limit:
            out.append(current)
            current = header + "（续）"
        current += "\n" + line
    out.append(current)
    return out


def escalation_texts(items: Sequence[DigestItem], *, today: date) -> list[str]:
    """The lead unit's notice of other units' overdue items on the tasks it leads."""
    header = f"🔴 牵头事项逾期提醒 · {date_cn(today)} {weekday_cn(today)}（共{len(items)}项）\n以下事项由贵单位牵头，配合单位已逾期："
    return _chunks(header, list(map(LineRenderer(today=today).line, items)))


def overdue_summary_text(items: Sequence[DigestItem], *, today: date) -> str:
    """The admins' daily overdue summary, grouped by unit (cut with a count when very long)."""
    grouped = group_by_unit(items)
    lines = [f"🔴 逾期事项汇总 · {date_cn(today)} {weekday_cn(today)}：{len(grouped)}个单位共{len(items)}项"]
    size = len(lines[0])
    for n, (unit, unit_items) in enumerate(grouped.items()):
        block = [f"\n【{unit}】{len(unit_items)}项"] + [
            f"#{i.task_id} {short_text(i.content, 30)} · 逾期{(today - i.due).days}天" for i in unit_items
        ]
        if size + sum(len(b) + 1 for b in block) > TEXT_LIMIT - 60:
            lines.append(f"\n……另有{len(grouped) - n}个单位未列出，发送 /report 查看完整台账。")
            break
        lines.extend(block)
        size += sum(len(b) + 1 for b in block)
    lines.append("\n点下方按钮可向该单位催办。")
    return "\n".join(lines)


def urge_keyboard(items: Iterable[DigestItem]) -> InlineKeyboardMarkup | None:
    """催办 buttons, most overdue first."""
    ordered = sorted(items, key=lambda i: (i.due, i.task_id, i.unit_id))[:MAX_URGE_BUTTONS]
    if not ordered:
        return None
    buttons = [
        InlineKeyboardButton(
            f"📣 催办 #{i.task_id} {i.unit}", callback_data=urge_callback(i.task_id, i.unit_id)
        )
        for i in ordered
    ]
    return InlineKeyboardMarkup([buttons[n : n + 2] for n in range(0, len(buttons), 2)])


def checkin_text(items: Sequence[DigestItem], *, period_end: date) -> str:
    """The quarterly request for progress on year-long items."""
    lines = [
        f"📝 季度进展填报（{period_end.month}月底前）",
        "以下全年持续事项请简要填报本季度进展：回复本消息“进度：…”（多项时写“进度 12：…”），"
        "或发送 /progress 编号 进展说明。",
        "",
    ]
    lines += map(LineRenderer(today=period_end, thresholds=None).line, items)
    return "\n".join(lines)


async def _send(
    bot: Bot,
    ctx: AppContext,
    chat_id: int,
    texts: Sequence[str],
    *,
    day: date,
    kind: str,
    clock: Clock,
    items: Sequence[DigestItem] = (),
    markup: InlineKeyboardMarkup | None = None,
) -> list[int] | str | None:
    """_deliver, with any other failure (a database error, a bug) kept to this one chat and logged."""
    try:
        return await _deliver(
            bot, ctx, chat_id, texts, day=day, kind=kind, clock=clock, items=items, markup=markup
        )
    except Exception as exc:  # one chat's failure must not stop the rest of the day's oversight messages
        logger.exception("聊天 {} 的督办消息（{}）出错", chat_id, kind)
        return f"{type(exc).__name__}: {exc}"


async def _deliver(
    bot: Bot,
    ctx: AppContext,
    chat_id: int,
    texts: Sequence[str],
    *,
    day: date,
    kind: str,
    clock: Clock,
    items: Sequence[DigestItem] = (),
    markup: InlineKeyboardMarkup | None = None,
) -> list[int] | str | None:
    """Send once per (chat, day, kind) through the ledger: message ids, an error, or None (sent before)."""
    with session_scope(ctx.engine) as s:
        if not ledger.claim(s, chat_id=chat_id, day=day, kind=kind, now=clock()):
            return None
    ids: list[int] = []
    try:
        for n, text in enumerate(texts):
            last = n == len(texts) - 1
            sent = await bot.send_message(chat_id, text, reply_markup=markup if last else None)
            ids.append(sent.message_id)
            if items:
                with session_scope(ctx.engine) as s:
                    # A reply 进度：… or 完成 to this message maps to its items.
                    ledger.record_items(s, chat_id=chat_id, message_id=sent.message_id, items=items)
    except TelegramError as exc:
        with session_scope(ctx.engine) as s:
            if ids:
                ledger.complete(s, chat_id=chat_id, day=day, kind=kind, message_ids=ids, now=clock())
            else:
                ledger.fail(s, chat_id=chat_id, day=day, kind=kind, error=str(exc), now=clock())
        logger.warning("聊天 {} 的督办消息（{}）发送失败：{}", chat_id, kind, exc)
        return str(exc)
    with session_scope(ctx.engine) as s:
        ledger.complete(s, chat_id=chat_id, day=day, kind=kind, message_ids=ids, now=clock())
    return ids


def _record(report: OversightReport, bucket: dict[int, list[int]], chat_id: int, result: object) -> None:
    if isinstance(result, list):
        bucket[chat_id] = result
    elif isinstance(result, str):
        report.failed[chat_id] = result


async def run_oversight(bot: Bot, ctx: AppContext, *, day: date, clock: Clock) -> OversightReport:
    """One day's oversight messages (each at most once per its ledger key)."""
    report = OversightReport(day)
    red, leads_of = red_items(ctx, today=day)
    targets = escalation_targets(red, leads_of)
    with session_scope(ctx.engine) as s:
        lead_chats = oversight.chats_by_unit(s, targets)
    # A chat following several lead units gets one message with all their items.
    per_chat: dict[int, dict[tuple[int, int], DigestItem]] = {}
    for lead, items in targets.items():
        for chat_id in lead_chats.get(lead, []):
            per_chat.setdefault(chat_id, {}).update({(i.task_id, i.unit_id): i for i in items})
    for chat_id, by_key in sorted(per_chat.items()):
        items = sorted(by_key.values(), key=lambda i: (i.due, i.task_id, i.unit_id))
        result = await _send(
            bot, ctx, chat_id, escalation_texts(items, today=day), day=day, kind="escalation", clock=clock
        )
        _record(report, report.escalation, chat_id, result)
    admins = sorted(ctx.settings.access.admins)
    if red:
        text = overdue_summary_text(red, today=day)
        for admin in admins:
            result = await _send(
                bot, ctx, admin, [text], day=day, kind="overdue", clock=clock, markup=urge_keyboard(red)
            )
            _record(report, report.overdue, admin, result)
    o = ctx.settings.oversight
    period_end = checkin_period(day, months=o.checkin_months, days=o.checkin_days)
    if period_end is not None:
        with session_scope(ctx.engine) as s:
            ongoing = oversight.ongoing_items(s, group_routes=ctx.group_routes(s))
            chats = oversight.chats_by_unit(s, [u for u, items in ongoing.items() if items])
        for unit_id, items in sorted(ongoing.items()):
            for chat_id in chats.get(unit_id, []):
                result = await _send(
                    bot,
                    ctx,
                    chat_id,
                    [checkin_text(items, period_end=period_end)],
                    day=period_end,
                    kind=f"checkin:{unit_id}",
                    clock=clock,
                    items=items,
                )
                _record(report, report.checkin, chat_id, result)
    if o.weekly_summary and day.weekday() == 0 and admins:
        for admin in admins:
            result = await send_report(bot, ctx, admin, today=day, clock=clock, kind="weekly")
            _record(report, report.weekly, admin, result)
    logger.info(
        "{} 督办：牵头提醒 {} 个聊天，逾期汇总 {} 位管理员，季度填报 {} 个聊天，周报 {} 位，失败 {}",
        day.isoformat(),
        len(report.escalation),
        len(report.overdue),
        len(report.checkin),
        len(report.weekly),
        len(report.failed),
    )
    return report


async def send_report(
    bot: Bot,
    ctx: AppContext,
    chat_id: int,
    *,
    today: date,
    clock: Clock,
    plan_id: int | None = None,
    kind: str | None = None,
) -> list[int] | str | None:
    """The 台账 to one chat: the summary and chart as a photo, the workbook as a document.

    With kind, the ledger makes it once per (chat, day, kind) (the weekly summary); without, every time (/report).
    An error is NOTHING_TO_REPORT when there are no items, else what Telegram said.
    """
    rows = collect(ctx, today=today, plan_id=plan_id)
    if not rows:
        return NOTHING_TO_REPORT
    units = summarize(rows)
    if kind is not None:
        with session_scope(ctx.engine) as s:
            if not ledger.claim(s, chat_id=chat_id, day=today, kind=kind, now=clock()):
                return None
    caption = report_caption(units, today=today)
    ids: list[int] = []
    try:
        try:
            png = chart_png(units, today=today, font=ctx.settings.oversight.font)
        except ReportError as exc:
            logger.warning("统计图未生成：{}", exc)
            ids.append((await bot.send_message(chat_id, f"{caption}\n（{exc}）")).message_id)
        else:
            ids.append((await bot.send_photo(chat_id, png, caption=caption)).message_id)
        document = await bot.send_document(
            chat_id,
            make_workbook(rows, today=today, tz=ctx.settings.tz),
            filename=report_filename(today, plan_id),
            caption="督办台账（Excel）：每个计划一个工作表，首页为各单位汇总。",
        )
        ids.append(document.message_id)
    except TelegramError as exc:
        if kind is not None:
            with session_scope(ctx.engine) as s:
                if ids:
                    ledger.complete(s, chat_id=chat_id, day=today, kind=kind, message_ids=ids, now=clock())
                else:
                    ledger.fail(s, chat_id=chat_id, day=today, kind=kind, error=str(exc), now=clock())
        return str(exc)
    if kind is not None:
        with session_scope(ctx.engine) as s:
            ledger.complete(s, chat_id=chat_id, day=today, kind=kind, message_ids=ids, now=clock())
    return ids


async def oversight_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The scheduled run, on the days digests go out, on the leader only."""
    ctx: AppContext = context.bot_data["ctx"]
    clock: Clock = context.bot_data["clock"]
    if not leads(context.bot_data):
        return
    today = clock().date()
    if not sends_today(ctx, today):
        return
    await run_oversight(context.bot, ctx, day=today, clock=clock)


def schedule_oversight(application: Application) -> Job | None:
    """Run oversight_job every day at [oversight] time."""
    ctx: AppContext = application.bot_data["ctx"]
    queue = application.job_queue
    if queue is None:
        return None
    return queue.run_daily(
        oversight_job,
        time=ctx.settings.oversight.time.replace(tzinfo=ctx.settings.tz),
        name=JOB_NAME,
        job_kwargs={
            "misfire_grace_time": ctx.settings.digest.misfire_grace_seconds,
            "coalesce": True,
            "max_instances": 1,
        },
    )
