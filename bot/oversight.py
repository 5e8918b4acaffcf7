"""Oversight in the chat: progress notes (进度：… / /progress), extension requests (/extend) and the admins'
decisions, 催办 buttons, and /report. Registered in GROUP, ahead of bot.handlers; a handled update stops there.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from loguru import logger
from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import texts
from bot.common import (
    Context,
    app_ctx,
    edit_choice,
    is_admin,
    notify_admins,
    now,
    parse_task_number,
    reply,
    user_name,
)
from core.deadlines import parse_user_date
from core.digest import date_cn, short_text
from duban.context import AppContext
from jobs.oversight import NOTHING_TO_REPORT, schedule_oversight, send_report
from storage import crud, ledger, oversight, progress
from storage.db import session_scope
from storage.models import TaskRow, UnitRow

GROUP = -5
CALLBACK = r"^(ur|ea|ed):\d{1,18}(:\d{1,18})?$"
MAX_NOTE = texts.MAX_NOTE

PROGRESS_USAGE = "用法：/progress 编号 进展说明，例如 /progress 12 已完成初稿，正在征求意见。"
PROGRESS_SAVED = "已记录 #{task}（{unit}）的进展：{text}"
PROGRESS_WHICH = "这条消息里有多个事项，请写明编号，例如“进度 12：已完成初稿”。"
PROGRESS_EMPTY = "请在“进度：”后面写上进展情况。"
PROGRESS_TOO_LONG = f"进展说明太长了，请控制在{MAX_NOTE}字以内。"
NOT_YOURS = "#{task} 不是本聊天所订阅单位的事项，不能填报或申请。"
NOT_IN_MESSAGE = "#{task} 不在这条消息里。"
NOTHING_HERE = "这条消息里没有可以填报进展的事项。"
EXTEND_USAGE = "用法：/extend 编号 新的截止日期 理由，例如 /extend 12 4月30日 需等待上级部门批复。"
EXTEND_BAD_DATE = "看不懂“{text}”这个日期，请写成 4月30日、2026-04-30 或 下周五 这样的形式。"
EXTEND_NO_REASON = "请写明延期理由，例如 /extend 12 4月30日 需等待上级部门批复。"
EXTEND_NOT_LATER = "新的截止日期（{new}）应当晚于现在的截止日期（{old}）和今天。"
EXTEND_RECURRING = "#{task} 是周期性事项，每期各有截止日期，不能申请延期。"
EXTEND_NO_DUE = "#{task} 还没有截止日期，无法申请延期。"
EXTEND_SENT = "已提交延期申请：#{task}（{unit}）{old} → {new}。管理员审批后会通知本聊天。"
EXTEND_NO_ADMINS = "（注意：配置中没有管理员，暂时无人能审批。）"
EXTEND_REQUEST = "延期申请 #{ext}：{user} 为「{unit}」申请将 #{task}「{content}」的截止日期由 {old} 延至 {new}。\n理由：{reason}"
EXTEND_APPROVED_ADMIN = "✅ 已批准延期 #{ext}：#{task}（{unit}）{old} → {new}（由 {admin} 批准）。"
EXTEND_DENIED_ADMIN = "❌ 已拒绝延期 #{ext}：#{task}（{unit}）仍为 {old}（由 {admin} 拒绝）。"
EXTEND_APPROVED_USER = "管理员已批准延期：#{task}（{unit}）的截止日期改为 {new}。"
EXTEND_DENIED_USER = "管理员未批准 #{task}（{unit}）的延期申请，截止日期仍为 {old}。"
# After 拒绝, the admin may give a reason by replying to this prompt; the requester gets it.
EXTEND_REASON_ASK = "已拒绝延期申请 #{ext}。如需说明理由，请回复本消息（会转告申请人）；不回复也可以。"
EXTEND_REASON_PROMPT = re.compile(r"^已拒绝延期申请 #(\d{1,18})。")
EXTEND_REASON_USER = "关于 #{task}（{unit}）的延期申请，管理员的说明：{reason}"
EXTEND_REASON_SENT = "已把理由转告申请人。"
EXTEND_REASON_GONE = "这条延期申请已不在拒绝状态，理由未转告。"
EXTEND_GONE = "这条延期申请已经处理过或不存在了。"
ADMIN_ONLY = texts.ADMIN_ONLY
URGE_TEXT = "📣 催办：#{task}「{content}」— {unit}，截止 {due}，{late}。\n请尽快办理；办结后回复本消息“完成”，或回复“进度：…”说明进展。"
URGE_DONE = "已向「{unit}」催办 #{task}（通知了 {chats} 个聊天）。"
URGE_NOBODY = "「{unit}」没有订阅的聊天，无法催办；已记录。"
URGE_GONE = "这个事项已不存在。"
URGE_ALREADY_DONE = "「{unit}」已完成 #{task}，无需催办。"
URGE_ALREADY_TODAY = "今天已经向「{unit}」催办过 #{task}，明天可以再催。"
REPORT_WAIT = "正在生成督办台账……"
REPORT_EMPTY = "还没有可导出的事项。请先导入工作要点。"
REPORT_FAILED = "督办台账没能发送成功，请稍后再发送 /report 重试。"
REPORT_BAD_PLAN = "用法：/report [计划编号]，例如 /report 或 /report 2。"
REPORT_NO_PLAN = "没有编号为 {plan} 的计划。发送 /report 导出全部计划。"
APPROVE, DENY = "批准延期", "拒绝"

# Matched on the text as typed (full-width ：＃１２ too), so the note is stored exactly as written.
_PROGRESS = re.compile(r"\s*进度\s*(?:[#＃]?(?P<task>[0-9０-９]{1,9}))?\s*[:：]?\s*(?P<text>.*)", re.DOTALL)


def parse_progress_reply(text: str) -> tuple[int | None, str] | None:
    """进度：文字 / 进度 12：文字 → (task or None, text); anything not starting with 进度 → None."""
    m = _PROGRESS.fullmatch(text or "")
    if m is None:
        return None
    task = int(unicodedata.normalize("NFKC", m["task"])) if m["task"] else None
    return task, m["text"].strip()


def decision_keyboard(ext_id: int) -> InlineKeyboardMarkup:
    """批准延期 / 拒绝 buttons for the admins."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(APPROVE, callback_data=f"ea:{ext_id}"),
                InlineKeyboardButton(DENY, callback_data=f"ed:{ext_id}"),
            ]
        ]
    )


def days_late(due: date, today: date) -> str:
    """已逾期N天 / 今天到期 / 还有N天."""
    delta = (today - due).days
    if delta > 0:
        return f"已逾期{delta}天"
    return "今天到期" if delta == 0 else f"还有{-delta}天"


# ----------------------------------------------------------------------------------------------- progress


async def save_progress(update: Update, context: Context, task_id: int, text: str) -> str:
    """Store the note for the chat's units on the task; the answer to send."""
    ctx = app_ctx(context)
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    if not text:
        return PROGRESS_EMPTY
    if len(text) > MAX_NOTE:
        return PROGRESS_TOO_LONG
    with session_scope(ctx.engine) as s:
        units = progress.units_of_chat_for_task(
            s, chat_id=chat.id, task_id=task_id, group_routes=ctx.group_routes(s)
        )
        for unit in units:
            oversight.add_progress(
                s,
                task_id=task_id,
                unit_id=unit.id or 0,
                text=text,
                author_id=user.id,
                author_name=user_name(user),
                now=now(context),
            )
        names = "、".join(u.name for u in units)
        missing = not units and not crud.task_exists(s, task_id)
    if missing:
        return texts.NO_SUCH_TASK.format(task=task_id)
    if not units:
        return NOT_YOURS.format(task=task_id)
    logger.info("进展：#{} {} by {}（聊天 {}）", task_id, names, user.id, chat.id)
    return PROGRESS_SAVED.format(task=task_id, unit=names, text=short_text(text, 80))


async def progress_cmd(update: Update, context: Context) -> None:
    """/progress N 文字."""
    args = context.args or []
    task_id = parse_task_number(args[0]) if args else None
    text = " ".join(args[1:]).strip()
    if task_id is None or not text:
        await reply(update, PROGRESS_USAGE)
    else:
        await reply(update, await save_progress(update, context, task_id, text))
    raise ApplicationHandlerStop


async def progress_reply(update: Update, context: Context) -> None:
    """A reply 进度：… (or 进度 12：…) to a bot message carrying items."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None or message.reply_to_message is None:
        return
    parsed = parse_progress_reply(message.text or "")
    target = message.reply_to_message
    if parsed is None or target.from_user is None or target.from_user.id != context.bot.id:
        return
    task_id, text = parsed
    with session_scope(app_ctx(context).engine) as s:
        carried = ledger.items_of_message(s, chat_id=chat.id, message_id=target.message_id)
    tasks = list(dict.fromkeys(t for t, _ in carried))
    if not tasks:
        answer = NOTHING_HERE
    elif task_id is None and len(tasks) > 1:
        answer = PROGRESS_WHICH
    elif task_id is not None and task_id not in tasks:
        answer = NOT_IN_MESSAGE.format(task=task_id)
    else:
        answer = await save_progress(update, context, task_id or tasks[0], text)
    await reply(update, answer)
    raise ApplicationHandlerStop


# --------------------------------------------------------------------------------------------- extensions


async def extend_cmd(update: Update, context: Context) -> None:
    """/extend N 日期 理由: the admins get 批准延期 / 拒绝 buttons."""
    await reply(update, await request_extension(update, context))
    raise ApplicationHandlerStop


async def request_extension(update: Update, context: Context) -> str:
    """Validate and store an extension request, tell the admins; the answer for the chat."""
    ctx = app_ctx(context)
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    args = context.args or []
    task_id = parse_task_number(args[0]) if args else None
    if task_id is None or len(args) < 2:
        return EXTEND_USAGE
    today = now(context).date()
    new_due = parse_user_date(args[1], today=today)
    if new_due is None:
        return EXTEND_BAD_DATE.format(text=args[1])
    reason = " ".join(args[2:]).strip()
    if not reason:
        return EXTEND_NO_REASON
    if len(reason) > MAX_NOTE:
        return PROGRESS_TOO_LONG
    with session_scope(ctx.engine) as s:
        units = progress.units_of_chat_for_task(
            s, chat_id=chat.id, task_id=task_id, group_routes=ctx.group_routes(s)
        )
        task = s.get(TaskRow, task_id)
        if task is None:
            return texts.NO_SUCH_TASK.format(task=task_id)
        if not units:
            return NOT_YOURS.format(task=task_id)
        if task.kind == "recurring":
            return EXTEND_RECURRING.format(task=task_id)
        if task.due is None:
            return EXTEND_NO_DUE.format(task=task_id)
        if new_due <= task.due or new_due < today:
            return EXTEND_NOT_LATER.format(
                new=date_cn(new_due, today=today), old=date_cn(task.due, today=today)
            )
        unit = units[0]
        row = oversight.request_extension(
            s,
            task_id=task_id,
            unit_id=unit.id or 0,
            chat_id=chat.id,
            new_due=new_due,
            reason=reason,
            user_id=user.id,
            user_name=user_name(user),
            now=now(context),
        )
        assert row is not None
        ext_id, content, old = row.id or 0, task.content, task.due
    fields = {
        "ext": ext_id,
        "task": task_id,
        "unit": unit.name,
        "content": short_text(content, 40),
        "old": date_cn(old, today=today),
        "new": date_cn(new_due, today=today),
        "user": user_name(user),
        "reason": reason,
    }
    await notify_admins(context, EXTEND_REQUEST.format(**fields), decision_keyboard(ext_id))
    logger.info("延期申请 #{}：#{} {} → {}（聊天 {}）", ext_id, task_id, old, new_due, chat.id)
    return EXTEND_SENT.format(**fields) + ("" if ctx.settings.access.admins else EXTEND_NO_ADMINS)


async def decide_extension(update: Update, context: Context, ext_id: int, *, approve: bool) -> None:
    """An admin's press on 批准延期 / 拒绝: the due date moves (history kept) and the requester hears."""
    ctx = app_ctx(context)
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    if not is_admin(ctx, user):
        await query.answer(ADMIN_ONLY, show_alert=True)
        return
    today = now(context).date()
    with session_scope(ctx.engine) as s:
        row = oversight.decide_extension(
            s, ext_id, approve=approve, admin_id=user.id, admin_name=user_name(user), now=now(context)
        )
        unit = s.get(UnitRow, row.unit_id) if row else None
        info = (
            (
                {
                    "ext": ext_id,
                    "task": row.task_id,
                    "unit": unit.name if unit else "",
                    "old": date_cn(row.old_due, today=today),
                    "new": date_cn(row.new_due, today=today),
                    "admin": user_name(user),
                },
                row.chat_id,
            )
            if row
            else None
        )
    if info is None:
        await query.answer(EXTEND_GONE, show_alert=True)
        return
    fields, chat_id = info
    await query.answer()
    await edit_choice(
        query.message, (EXTEND_APPROVED_ADMIN if approve else EXTEND_DENIED_ADMIN).format(**fields)
    )
    try:
        await context.bot.send_message(
            chat_id, (EXTEND_APPROVED_USER if approve else EXTEND_DENIED_USER).format(**fields)
        )
    except (Forbidden, BadRequest) as exc:
        logger.warning("无法通知申请延期的聊天 {}：{}", chat_id, exc.message)
    if not approve and query.message is not None:
        await context.bot.send_message(
            query.message.chat.id,
            EXTEND_REASON_ASK.format(ext=ext_id),
            reply_markup=ForceReply(selective=True, input_field_placeholder="拒绝理由"),
        )
    logger.info("延期申请 #{} {}（管理员 {}）", ext_id, "已批准" if approve else "已拒绝", user.id)


async def reason_reply(update: Update, context: Context) -> None:
    """An admin's reply to the 拒绝 prompt: the reason is kept and passed on to the requester."""
    message, user = update.effective_message, update.effective_user
    target = message.reply_to_message if message is not None else None
    if message is None or target is None or target.from_user is None or target.from_user.id != context.bot.id:
        return
    found = EXTEND_REASON_PROMPT.match(target.text or "")
    if found is None:
        return
    ctx = app_ctx(context)
    if not is_admin(ctx, user):
        await reply(update, ADMIN_ONLY)
        raise ApplicationHandlerStop
    reason = (message.text or "").strip()
    if len(reason) > MAX_NOTE:
        await reply(update, texts.NOTE_TOO_LONG)
        raise ApplicationHandlerStop
    with session_scope(ctx.engine) as s:
        row = oversight.give_reason(s, int(found.group(1)), reason=reason)
        unit = s.get(UnitRow, row.unit_id) if row is not None else None
        notice = (
            (
                row.chat_id,
                EXTEND_REASON_USER.format(task=row.task_id, unit=unit.name if unit else "", reason=reason),
            )
            if row is not None
            else None
        )
    if notice is None:
        await reply(update, EXTEND_REASON_GONE)
        raise ApplicationHandlerStop
    try:
        await context.bot.send_message(*notice)
    except (Forbidden, BadRequest) as exc:
        logger.warning("无法向申请延期的聊天 {} 转告理由：{}", notice[0], exc.message)
    await reply(update, EXTEND_REASON_SENT)
    raise ApplicationHandlerStop


# ------------------------------------------------------------------------------------------------- 催办


async def urge(update: Update, context: Context, task_id: int, unit_id: int) -> None:
    """An admin's 催办 press: the unit's chats get the notice at once; recorded."""
    ctx = app_ctx(context)
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    if not is_admin(ctx, user):
        await query.answer(ADMIN_ONLY, show_alert=True)
        return
    today = now(context).date()
    with session_scope(ctx.engine) as s:
        task, unit = s.get(TaskRow, task_id), s.get(UnitRow, unit_id)
        if task is None or unit is None or task.due is None:
            await query.answer(URGE_GONE, show_alert=True)
            return
        if progress.is_done(s, task_id=task_id, unit_id=unit_id, day=today):
            await query.answer(URGE_ALREADY_DONE.format(unit=unit.name, task=task_id), show_alert=True)
            return
        if oversight.urged_on(s, task_id=task_id, unit_id=unit_id, day=today, tz=ctx.settings.tz):
            await query.answer(URGE_ALREADY_TODAY.format(unit=unit.name, task=task_id), show_alert=True)
            return
        chats = oversight.chats_of_unit(s, unit_id)
        text = URGE_TEXT.format(
            task=task_id,
            content=short_text(task.content, 50),
            unit=unit.name,
            due=date_cn(task.due, today=today),
            late=days_late(task.due, today),
        )
        name = unit.name
    told = 0
    for chat_id in chats:
        try:
            sent = await context.bot.send_message(chat_id, text)
        except (Forbidden, BadRequest) as exc:
            logger.warning("催办未送达聊天 {}：{}", chat_id, exc.message)
            continue
        told += 1
        with session_scope(ctx.engine) as s:
            ledger.record_items(s, chat_id=chat_id, message_id=sent.message_id, items=[(task_id, unit_id)])
    with session_scope(ctx.engine) as s:
        oversight.record_urge(
            s,
            task_id=task_id,
            unit_id=unit_id,
            admin_id=user.id,
            admin_name=user_name(user),
            chats=told,
            now=now(context),
        )
    logger.info("催办：#{} {} by {}，通知 {} 个聊天", task_id, name, user.id, told)
    await query.answer(
        URGE_DONE.format(unit=name, task=task_id, chats=told) if told else URGE_NOBODY.format(unit=name),
        show_alert=not told,
    )


async def on_oversight_button(update: Update, context: Context) -> None:
    """催办 and extension decision buttons."""
    query = update.callback_query
    if query is None or not query.data:
        return
    action, *ids = query.data.split(":")
    if action == "ur":
        await urge(update, context, int(ids[0]), int(ids[1]) if len(ids) > 1 else -1)
    else:
        await decide_extension(update, context, int(ids[0]), approve=action == "ea")
    raise ApplicationHandlerStop


# ------------------------------------------------------------------------------------------------- report


def plan_known(ctx: AppContext, plan_id: int) -> bool:
    """Whether the plan exists."""
    with session_scope(ctx.engine) as s:
        return crud.plan_exists(s, plan_id)


async def report_cmd(update: Update, context: Context) -> None:
    """/report [计划编号] (admins): the chart and the workbook."""
    ctx = app_ctx(context)
    chat = update.effective_chat
    assert chat is not None
    args = context.args or []
    plan_id = parse_task_number(args[0]) if args else None
    if not is_admin(ctx, update.effective_user):
        await reply(update, ADMIN_ONLY)
    elif args and plan_id is None:
        await reply(update, REPORT_BAD_PLAN)
    elif plan_id is not None and not plan_known(ctx, plan_id):
        await reply(update, REPORT_NO_PLAN.format(plan=plan_id))
    else:
        today, clock = now(context).date(), context.bot_data["clock"]
        result = await send_report(context.bot, ctx, chat.id, today=today, clock=clock, plan_id=plan_id)
        if result == NOTHING_TO_REPORT:
            await reply(update, REPORT_EMPTY)
        elif isinstance(result, str):
            logger.warning("督办台账未能发送到聊天 {}：{}", chat.id, result)
            await reply(update, REPORT_FAILED)
    raise ApplicationHandlerStop


def register_oversight(application: Application) -> None:
    """Oversight handlers in GROUP (ahead of bot.handlers) and the daily oversight job."""
    application.add_handler(CommandHandler("progress", progress_cmd), GROUP)
    application.add_handler(CommandHandler("extend", extend_cmd), GROUP)
    application.add_handler(CommandHandler("report", report_cmd), GROUP)
    application.add_handler(CallbackQueryHandler(on_oversight_button, pattern=CALLBACK), GROUP)
    application.add_handler(
        MessageHandler(
            filters.TEXT & filters.REPLY & ~filters.COMMAND & filters.Regex(r"^\s*进度"), progress_reply
        ),
        GROUP,
    )
    application.add_handler(
        MessageHandler(filters.TEXT & filters.REPLY & ~filters.COMMAND, reason_reply), GROUP - 1
    )
    schedule_oversight(application)
