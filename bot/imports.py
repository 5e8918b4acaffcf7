"""Admins import plans in the chat (file → preview → 导入/取消), review deadlines (/review) and set them (/setdue).

A preview lives in application.bot_data["imports"] under a random 8-hex key until 导入, 取消 or expiry; the
file itself is not kept, only the parsed plan. A restart forgets previews: their buttons then answer that the
preview expired. Every button and command re-checks that the presser is an admin.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from loguru import logger
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.constants import ChatAction, ChatType
from telegram.error import BadRequest, TelegramError
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
    admin_press,
    app_ctx,
    is_admin,
    now,
    parse_task_number,
    reply,
    tick_message,
    user_name,
)
from core.deadlines import parse_user_date, review_reason
from core.digest import RECURRENCE_CN, date_cn, tg_len, weekday_cn
from core.models import DocumentError, Plan
from core.pipeline import PreparedTask, status_of
from core.plandiff import diff_lines
from duban.importing import compare_document, read_plan, store_document, with_issued
from duban.reading import ReadLimits
from storage import plans
from storage.db import session_scope

# A group of their own, before the catch-all button handler of bot.handlers (group 0) and apart from other
# modules' groups (one handler per group runs); an update handled here stops with ApplicationHandlerStop.
GROUP = -9
KEY_BYTES = 4
MAX_PENDING = 50
PREVIEW_REVIEW_ITEMS = 5
PREVIEW_UNITS = 20
PREVIEW_DIFF_ITEMS = 5
REVIEW_PAGE = 20
MESSAGE_LIMIT = 4000
TELEGRAM_LIMIT = 4096
CONTENT_CHARS = 30

IMPORT_DATA = re.compile(r"^imp:([ynt]):([0-9a-f]{8})$")
REVIEW_DATA = re.compile(r"^rvw:([1-9][0-9]{0,17}):([0-9]{8})$")
# 确认 (c) or 不是任务 (d) for a task read with doubt (待确认).
DECIDE_DATA = re.compile(r"^rvt:([1-9][0-9]{0,17}):([cd])$")
YEAR_IN_CAPTION = re.compile(r"(?<!\d)(20\d{2})(?!\d)")
FULL_YEAR = re.compile(r"\d{4}")
# A message that is nothing but a date (2026-02-20, 2月20日, 印发日期：2月20日): only such a message, not a reply,
# is taken as a preview's issue date, so "进度：已于3月20日完成" from the same admin is left to other handlers.
DATE_ONLY = re.compile(r"(?:印发日期\s*[是为:：]?)?\s*[0-9０-９年月日号/.\-\s]+(?:印发)?")

# ------------------------------------------------------------------------------------------------- texts

NOT_ADMIN_UPLOAD = "抱歉，只有管理员可以通过发送文件导入工作要点。文件没有被保存。"
TOO_BIG = "文件太大（{size:.1f} MB），超过了 {limit:g} MB 的上限，未导入。可以删去附件中的图片后再发送。"
DOWNLOAD_FAILED = "无法从 Telegram 下载这个文件，请稍后重新发送。"
UNREADABLE = "无法读取这个文件，未保存任何内容。请确认它是 .docx、.doc、.xlsx、.xls、.pdf、网页（.html）或文本格式的工作要点。"
NO_YEAR = "无法识别计划年度：请重新发送文件，并在文件说明（caption）里写上年度，例如“2022”。"
SAME_CONTENT = "这个文件与已导入的计划 #{plan} 内容相同，无需再次导入。"
EXPIRED = "预览已过期，请重新发送文件。"
CANCELLED = "已取消导入，未保存任何内容。"
CANCELLED_SHORT = "已取消"
ISSUED_SET = "已将印发日期设为 {date}，预览已更新。"
ISSUED_SET_SHORT = "印发日期已设为 {date}"
BAD_DATE = "无法识别日期“{text}”。请写成 2022-10-31、10月31日 或 下周五 这样的形式。"
IMPORTED = "✅ 已导入计划 #{plan}《{title}》：{tasks} 项任务，{units} 个责任单位。"
REPLACED = "✅ 已更新计划 #{plan}《{title}》：{summary}"
KEPT_DONE = "保留了 {count} 项任务的完成状态和进度记录。"
REOPENED = "{count} 项任务内容有改动，已清除其完成状态，需要重新确认：{ids}。"
REVIEW_HINT = "其中 {count} 项期限需要人工确认：发送 /review 查看，用 /setdue 编号 日期 设定。"
IMPORT_BUTTON = "导入"
CANCEL_BUTTON = "取消"
TODAY_BUTTON = "用今天"

NO_REVIEW = "没有需要人工确认的期限。"
REVIEW_HEADER = "需要人工确认期限的事项（共 {count} 项）："
REVIEW_HEADER_TASKS = "需要人工确认的事项（共 {count} 项，其中待确认任务 {pending} 项，确认前不发提醒）："
PENDING_HINT = "其中 {count} 项任务读取把握不大，列为待确认，确认前不发提醒：发送 /review 查看并确认。"
STALE_SUGGESTION = "这个按钮已过期：#{task} 的截止日期已经设定为 {date}，未作更改。"
CONFIRM_BUTTON = "✅ 确认 #{task}"
DROP_BUTTON = "🗑 不是任务 #{task}"
CONFIRMED_SHORT = "#{task} 已确认，开始提醒"
DROPPED_SHORT = "#{task} 已标为不是任务（保留记录，不再提醒）"
REVIEW_MORE = "……另有 {count} 项；设定上面这些后再发 /review 查看。"
REVIEW_FOOTER = (
    "用 /setdue 编号 日期 设定截止日期（如 /setdue 12 2022-10-31、/setdue 12 10月31日）；或点下面的建议日期。"
)
REVIEW_FOOTER_PLAIN = (
    "用 /setdue 编号 日期 设定截止日期，例如 /setdue 12 2022-10-31、/setdue 12 10月31日、/setdue 12 下周五。"
)
SETDUE_USAGE = "用法：/setdue 编号 日期，例如 /setdue 12 2022-10-31、/setdue 12 10月31日、/setdue 12 下周五。"
NO_SUCH_TASK = "没有编号为 #{task} 的事项。编号见 /review 或 /tasks。"
DUE_SET = "已将 #{task}（{content}）的截止日期设为 {date}（{weekday}），已移出待确认列表。"
DUE_IN_PAST = "注意：这个日期已经过去。"
WAS_RECURRING = "注意：它原是周期性任务（{rule}），现改为这一个截止日期。"
# 10月31日 / 10-31 / 10.31: a month and day without a year, read in the plan's year (not the next one to come).
MONTH_DAY = re.compile(r"^\s*\d{1,2}\s*(?:月\s*\d{1,2}\s*[日号]?|[-/.]\s*\d{1,2})\s*$")
DUE_SET_SHORT = "已设定 #{task}：{date}"


# ---------------------------------------------------------------------------------------------- previews


@dataclass(slots=True)
class PendingImport:
    """A read plan waiting for an admin's 导入 or 取消."""

    key: str
    chat_id: int
    user_id: int
    source_name: str
    plan: Plan
    prepared: list[PreparedTask]
    digest: str
    created: datetime
    message_id: int | None = None
    issued_by_person: bool = field(default=False)


def pending_store(context: Context) -> dict[str, PendingImport]:
    """The previews waiting for a decision, by key."""
    return context.bot_data.setdefault("imports", {})


def remember(context: Context, pending: PendingImport) -> None:
    """Keep a preview; expired ones and the oldest beyond MAX_PENDING are dropped so memory stays bounded."""
    store = pending_store(context)
    ttl = timedelta(hours=app_ctx(context).settings.imports.preview_hours)
    for key in [k for k, p in store.items() if pending.created - p.created > ttl]:
        del store[key]
    while len(store) >= MAX_PENDING:
        del store[next(iter(store))]
    store[pending.key] = pending


def current(context: Context, key: str) -> PendingImport | None:
    """The preview under key if it has not expired."""
    pending = pending_store(context).get(key)
    ttl = timedelta(hours=app_ctx(context).settings.imports.preview_hours)
    if pending is None or now(context) - pending.created > ttl:
        pending_store(context).pop(key, None)
        return None
    return pending


def short(text: str, chars: int = CONTENT_CHARS) -> str:
    """One line, cut with … when long."""
    text = " ".join(text.split())
    return text if len(text) <= chars else text[: chars - 1] + "…"


def import_keyboard(pending: PendingImport) -> InlineKeyboardMarkup:
    """导入 / 取消, with 用今天 above them while the issue date is missing."""
    rows = [
        [
            InlineKeyboardButton(IMPORT_BUTTON, callback_data=f"imp:y:{pending.key}"),
            InlineKeyboardButton(CANCEL_BUTTON, callback_data=f"imp:n:{pending.key}"),
        ]
    ]
    if pending.plan.issued is None:
        rows.insert(0, [InlineKeyboardButton(TODAY_BUTTON, callback_data=f"imp:t:{pending.key}")])
    return InlineKeyboardMarkup(rows)


def preview_text(
    pending: PendingImport, comparison: plans.Comparison, canonical: Callable[[str], str]
) -> str:
    """What the file holds and what importing it would do, in Chinese, under Telegram's length limit."""
    plan = pending.plan
    issued = plan.issued.isoformat() if plan.issued else "未找到"
    if plan.issued and pending.issued_by_person:
        issued += "（人工指定）"
    units = list(dict.fromkeys(canonical(u.name) for t in plan.tasks for u in t.units))
    shown_units = "、".join(units[:PREVIEW_UNITS]) + (
        f" 等 {len(units)} 个" if len(units) > PREVIEW_UNITS else ""
    )
    lines = [
        f"📄 导入预览：{pending.source_name}",
        f"标题：《{plan.title}》",
        f"年度：{plan.year}　印发日期：{issued}",
        f"任务：{len(plan.tasks)} 项　责任单位：{len(units)} 个",
        f"单位：{shown_units}",
    ]
    review = [p for p in pending.prepared if p.deadline.flags]
    if review:
        lines.append(f"需要人工确认的期限：{len(review)} 项，例如：")
        for p in review[:PREVIEW_REVIEW_ITEMS]:
            seq = f"序号{p.task.seq} " if p.task.seq else ""
            reason = review_reason(p.deadline) or "请人工确认"
            lines.append(f"· {seq}{short(p.task.content, 20)} — {short(reason, 60)}")
    else:
        lines.append("所有期限均已识别，无需人工确认。")
    doubtful = [p.task for p in pending.prepared if status_of(p.task) == "pending"]
    if doubtful:
        lines.append(f"读取把握不大、导入后列为待确认（不发提醒）的任务：{len(doubtful)} 项，例如：")
        for task in doubtful[:PREVIEW_REVIEW_ITEMS]:
            lines.append(f"· 序号{task.seq} {short(task.content, 20)} — {short('；'.join(task.doubts), 60)}")
    if comparison.kind == "replaced" and comparison.diff is not None:
        when = comparison.imported_at.strftime("%Y-%m-%d %H:%M") if comparison.imported_at else "—"
        lines += [
            "",
            f"这是已导入计划 #{comparison.plan_id} 的新版本（上次导入 {when}）。导入后将按新版本更新该计划：",
            *diff_lines(
                comparison.diff,
                comparison.old_tasks,
                comparison.new_tasks,
                old_ids=comparison.old_ids,
                limit=PREVIEW_DIFF_ITEMS,
            ),
            "未变和只改了期限或单位的任务保留编号、完成状态和进度记录；任务内容有改动的，完成状态会被清除。",
        ]
    if plan.issued is None:
        lines += [
            "",
            "未找到印发日期：点「用今天」，或回复本消息发送日期（如 2022-05-10、5月10日）。"
            "也可以直接导入，从印发日期起算的期限会列入 /review。",
        ]
    lines += ["", "点「导入」保存，点「取消」放弃。在此之前不会保存任何内容。"]
    text = "\n".join(lines)
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def same_day_in(day: date, year: int) -> date | None:
    """The same month and day in another year (None for 2月29日 in a common year)."""
    try:
        return day.replace(year=year)
    except ValueError:
        return None


def caption_year(caption: str | None) -> int | None:
    """A plan year written in the file's caption (for files that do not state theirs)."""
    match = YEAR_IN_CAPTION.search(caption or "")
    return int(match.group(1)) if match else None


async def on_document(update: Update, context: Context) -> None:
    """A file: admins get a preview; others are told politely in private chats (groups stay quiet).

    Registered with block=False: reading a long PDF takes seconds, and PTB handles updates one at a time,
    so a blocking handler would hold up every other chat's commands meanwhile.
    """
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    if message is None or chat is None or user is None or message.document is None:
        return
    ctx = app_ctx(context)
    private = chat.type == ChatType.PRIVATE
    if not is_admin(ctx, user):
        if private:
            await reply(update, NOT_ADMIN_UPLOAD)
        logger.info("非管理员 {} 在聊天 {} 发送了文件，未导入", user.id, chat.id)
        return
    # In a group an admin may share files for other reasons: only a caption with 导入 asks for an import.
    if not private and "导入" not in (message.caption or ""):
        return
    document = message.document
    limits = ctx.settings.imports
    name = document.file_name or "未命名文件"
    if document.file_size is not None and document.file_size > limits.max_bytes:
        await reply(update, TOO_BIG.format(size=document.file_size / 1024 / 1024, limit=limits.max_mb))
        return
    await chat.send_action(ChatAction.TYPING)
    try:
        data = bytes(await (await document.get_file()).download_as_bytearray())
    except BadRequest as exc:
        too_big = "too big" in exc.message.lower()
        size = (document.file_size or 0) / 1024 / 1024
        await reply(update, TOO_BIG.format(size=size, limit=limits.max_mb) if too_big else DOWNLOAD_FAILED)
        return
    except TelegramError as exc:
        logger.warning("下载文件 {} 失败：{}", name, exc)
        await reply(update, DOWNLOAD_FAILED)
        return
    started = now(context)
    try:
        # PDFs take about 0.2 s a page: reading in a thread keeps the bot answering everyone else meanwhile.
        plan, prepared, digest = await asyncio.to_thread(
            read_plan,
            data,
            filename=name,
            max_bytes=limits.max_bytes,
            year=caption_year(message.caption),
            calendar=ctx.calendar,
            limits=ReadLimits.from_env(limits.read_timeout_seconds, limits.read_memory_mb),
        )
        comparison = await asyncio.to_thread(
            compare_document, ctx.engine, plan, digest, directory=ctx.directory
        )
    except DocumentError as exc:
        text = NO_YEAR if "--year" in str(exc) else str(exc)
        logger.info("文件 {} 无法导入：{}", name, exc)
        await reply(update, text)
        return
    except Exception as exc:  # a reader bug must not stop the bot; the file gets one sentence
        logger.exception("读取文件 {} 时出错：{!r}", name, exc)
        await reply(update, UNREADABLE)
        return
    if comparison.kind == "unchanged":
        await reply(update, SAME_CONTENT.format(plan=comparison.plan_id))
        return
    pending = PendingImport(
        key=secrets.token_hex(KEY_BYTES),
        chat_id=chat.id,
        user_id=user.id,
        source_name=name,
        plan=plan,
        prepared=prepared,
        digest=digest,
        created=started,
    )
    sent = await reply(
        update, preview_text(pending, comparison, ctx.directory.canonical), import_keyboard(pending)
    )
    pending.message_id = sent.message_id if sent else None
    remember(context, pending)
    logger.info("导入预览 {}：{}（{} 项任务），管理员 {}", pending.key, name, len(plan.tasks), user.id)


async def set_issued(context: Context, pending: PendingImport, issued: date) -> None:
    """Re-resolve the preview's deadlines with a person's issue date and show the updated preview in place."""
    ctx = app_ctx(context)
    pending.plan, pending.prepared = with_issued(pending.plan, issued, calendar=ctx.calendar)
    pending.issued_by_person = True
    comparison = await asyncio.to_thread(
        compare_document, ctx.engine, pending.plan, pending.digest, directory=ctx.directory
    )
    if pending.message_id is not None:
        try:
            await context.bot.edit_message_text(
                preview_text(pending, comparison, ctx.directory.canonical),
                chat_id=pending.chat_id,
                message_id=pending.message_id,
                reply_markup=import_keyboard(pending),
            )
        except BadRequest as exc:
            logger.debug("预览 {} 未能更新：{}", pending.key, exc.message)


def result_text(result: plans.StoreResult, pending: PendingImport) -> str:
    """The Chinese summary of a stored import."""
    title = pending.plan.title
    if result.kind == "unchanged":
        return SAME_CONTENT.format(plan=result.plan_id)
    if result.kind == "created":
        text = IMPORTED.format(
            plan=result.plan_id, title=title, tasks=result.task_count, units=len(result.unit_names)
        )
    else:
        assert result.diff is not None
        lines = diff_lines(result.diff, result.old_tasks, result.new_tasks, old_ids=result.old_ids, limit=0)
        text = REPLACED.format(plan=result.plan_id, title=title, summary=lines[0])
        if result.kept_done:
            text += "\n" + KEPT_DONE.format(count=result.kept_done)
        if result.reopened:
            ids = "、".join(f"#{i}" for i in result.reopened)
            text += "\n" + REOPENED.format(count=len(result.reopened), ids=ids)
    review = sum(1 for p in pending.prepared if p.deadline.flags)
    if review:
        text += "\n" + REVIEW_HINT.format(count=review)
    doubtful = sum(1 for p in pending.prepared if status_of(p.task) == "pending")
    if doubtful:
        text += "\n" + PENDING_HINT.format(count=doubtful)
    return text


async def on_import_button(update: Update, context: Context) -> None:
    """导入 / 取消 / 用今天 under a preview."""
    chat = update.effective_chat
    press = await admin_press(update, context, IMPORT_DATA)
    if press is None or chat is None:
        raise ApplicationHandlerStop
    query, user, match = press
    action, key = match.groups()
    ctx = app_ctx(context)
    pending = current(context, key)
    if pending is None or pending.chat_id != chat.id:
        await query.answer(EXPIRED, show_alert=True)
        await drop_buttons(query.message, EXPIRED)
        raise ApplicationHandlerStop
    if action == "t":
        today = now(context).date()
        await query.answer(ISSUED_SET_SHORT.format(date=today.isoformat()))
        await set_issued(context, pending, today)
        raise ApplicationHandlerStop
    # Taken out before anything is awaited, so a second press of 导入 finds nothing to import twice.
    pending_store(context).pop(key, None)
    if action == "n":
        await query.answer(CANCELLED_SHORT)
        await drop_buttons(query.message, CANCELLED)
        logger.info("导入预览 {} 已取消（管理员 {}）", key, user.id)
        raise ApplicationHandlerStop
    await query.answer()
    try:
        result = await asyncio.to_thread(
            store_document,
            ctx.engine,
            pending.plan,
            pending.prepared,
            pending.digest,
            source_name=pending.source_name,
            directory=ctx.directory,
            now=now(context),
        )
    except Exception:
        remember(context, pending)  # nothing was stored (one transaction): the same preview may be retried
        raise
    text = result_text(result, pending)
    await drop_buttons(query.message, text)
    await reply(update, text)
    logger.info(
        "导入 {}：计划 #{}（{}），{} 项任务，管理员 {}",
        pending.source_name,
        result.plan_id,
        result.kind,
        result.task_count,
        user_name(user),
    )
    raise ApplicationHandlerStop


async def drop_buttons(message: object, note: str) -> None:
    """The preview's text with a closing note and no buttons, so it cannot be pressed again."""
    if not isinstance(message, Message):
        return
    body = message.text or ""
    room = TELEGRAM_LIMIT - tg_len(note) - 2
    while body and tg_len(body) > room:  # a long preview gives way to the note: the buttons must go
        body = body[: max(0, len(body) - (tg_len(body) - room) - 1)] + "…"
    try:
        await message.edit_text(f"{body}\n\n{note}".strip())
    except BadRequest as exc:
        logger.debug("预览消息未能更新：{}", exc.message)


async def on_text(update: Update, context: Context) -> None:
    """A date for a preview's issue date: a reply to the preview, or the next message of the admin who sent
    the file while the preview still lacks one. Anything else goes on to the other handlers."""
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    if message is None or chat is None or user is None or not message.text:
        return
    store = pending_store(context)
    target = message.reply_to_message
    if target is not None:
        pending = next(
            (p for p in store.values() if p.chat_id == chat.id and p.message_id == target.message_id), None
        )
        if pending is None:
            return
        explicit = True
    else:
        waiting = [
            p
            for p in store.values()
            if p.chat_id == chat.id and p.user_id == user.id and p.plan.issued is None
        ]
        if not waiting or not DATE_ONLY.fullmatch(message.text.strip()):
            return
        pending, explicit = waiting[-1], False
    if not is_admin(app_ctx(context), user):
        return
    if current(context, pending.key) is None:
        if explicit:
            await reply(update, EXPIRED)
            raise ApplicationHandlerStop
        return
    issued = parse_user_date(message.text, today=now(context).date())
    if issued is not None and pending.plan.year and not FULL_YEAR.search(message.text):
        # parse_user_date reads 2月20日 as the next one to come; an issue date lies in the plan's year.
        issued = same_day_in(issued, pending.plan.year)
    if issued is None:
        if explicit:
            await reply(update, BAD_DATE.format(text=short(message.text, 20)))
            raise ApplicationHandlerStop
        return
    await set_issued(context, pending, issued)
    await reply(update, ISSUED_SET.format(date=issued.isoformat()))
    raise ApplicationHandlerStop


# ------------------------------------------------------------------------------------------------- review


def review_message(items: list[plans.ReviewItem], today: date) -> tuple[str, InlineKeyboardMarkup | None]:
    """The first REVIEW_PAGE items with reasons, and a button per suggested date."""
    pending = sum(i.pending for i in items)
    header = REVIEW_HEADER_TASKS if pending else REVIEW_HEADER
    lines = [header.format(count=len(items), pending=pending)]
    buttons = []
    shown = 0
    for item in items[:REVIEW_PAGE]:
        block = [
            f"#{item.task_id} {short(item.content)}",
            f"　时间节点：{item.deadline_text or '（无）'}；{short(item.reason, 90)}",
        ]
        if item.pending:
            block.append(f"　责任单位（读取结果）：{short('、'.join(item.units), 40)}")
        if item.suggested is not None:
            block[-1] += f"；建议 {item.suggested.isoformat()}"
        if len("\n".join([*lines, *block])) > MESSAGE_LIMIT - 300:
            break
        lines += block
        shown += 1
        if item.pending:
            for label, code in ((CONFIRM_BUTTON, "c"), (DROP_BUTTON, "d")):
                data = f"rvt:{item.task_id}:{code}"
                buttons.append(InlineKeyboardButton(label.format(task=item.task_id), callback_data=data))
        if item.suggested is not None:
            label = f"#{item.task_id} → {date_cn(item.suggested, today=today)}"
            data = f"rvw:{item.task_id}:{item.suggested:%Y%m%d}"
            buttons.append(InlineKeyboardButton(label, callback_data=data))
    if shown < len(items):
        lines.append(REVIEW_MORE.format(count=len(items) - shown))
    lines.append(REVIEW_FOOTER if buttons else REVIEW_FOOTER_PLAIN)
    markup = (
        InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)]) if buttons else None
    )
    return "\n".join(lines), markup


async def review_cmd(update: Update, context: Context) -> None:
    """/review (admins): deadlines that need a person, with suggested dates as buttons."""
    ctx = app_ctx(context)
    if not is_admin(ctx, update.effective_user):
        await reply(update, texts.ADMIN_ONLY)
        return
    with session_scope(ctx.engine) as s:
        items = plans.review_items(s)
    if not items:
        await reply(update, NO_REVIEW)
        return
    text, markup = review_message(items, now(context).date())
    await reply(update, text, markup)


def apply_due(context: Context, task_id: int, due: date, user: User) -> str | None:
    """Set a task's due date for the admin user; its content (short), or None when there is no such task."""
    ctx = app_ctx(context)
    with session_scope(ctx.engine) as s:
        row = plans.set_due(s, task_id, due=due, by=user.id, by_name=user_name(user), now=now(context))
        return short(row.content, 20) if row is not None else None


async def setdue_cmd(update: Update, context: Context) -> None:
    """/setdue N 日期 (admins): any date a person types; the task becomes fixed and leaves the review list."""
    ctx = app_ctx(context)
    user = update.effective_user
    if user is None or not is_admin(ctx, user):
        await reply(update, texts.ADMIN_ONLY)
        return
    args = context.args or []
    task_id = parse_task_number(args[0]) if args else None
    date_text = " ".join(args[1:]).strip()
    if task_id is None or not date_text:
        await reply(update, SETDUE_USAGE)
        return
    today = now(context).date()
    due = parse_user_date(date_text, today=today)
    if due is None:
        await reply(update, BAD_DATE.format(text=short(date_text, 20)))
        return
    with session_scope(ctx.engine) as s:
        found = plans.plan_year_and_recurrence(s, task_id)
    if found is None:
        await reply(update, NO_SUCH_TASK.format(task=task_id))
        return
    plan_year, recurrence = found
    if plan_year and MONTH_DAY.match(date_text):
        due = same_day_in(due, plan_year) or due
    content = apply_due(context, task_id, due, user)
    if content is None:
        await reply(update, NO_SUCH_TASK.format(task=task_id))
        return
    text = DUE_SET.format(task=task_id, content=content, date=due.isoformat(), weekday=weekday_cn(due))
    if recurrence:
        text += WAS_RECURRING.format(rule=RECURRENCE_CN.get(recurrence, recurrence))
    await reply(update, text + (DUE_IN_PAST if due < today else ""))
    logger.info("#{} 截止日期设为 {}（管理员 {}）", task_id, due, user_name(user))


async def on_review_button(update: Update, context: Context) -> None:
    """A suggested date under /review: set it, tick the item and drop its button."""
    press = await admin_press(update, context, REVIEW_DATA)
    if press is None:
        raise ApplicationHandlerStop
    query, user, match = press
    task_id = int(match.group(1))
    try:
        due = datetime.strptime(match.group(2), "%Y%m%d").date()
    except ValueError:
        await query.answer(texts.CALLBACK_UNKNOWN, show_alert=True)
        raise ApplicationHandlerStop from None
    # A date set since the list was sent (/setdue, another admin) wins: checked and set in one transaction.
    with session_scope(app_ctx(context).engine) as s:
        state = plans.deadline_state(s, task_id)
        stale = state is not None and not state[0]
        if state is not None and not stale:
            plans.set_due(s, task_id, due=due, by=user.id, by_name=user_name(user), now=now(context))
    if state is None:
        await query.answer(texts.CALLBACK_UNKNOWN, show_alert=True)
        raise ApplicationHandlerStop
    if stale:
        await query.answer(STALE_SUGGESTION.format(task=task_id, date=state[1] or "—"), show_alert=True)
        raise ApplicationHandlerStop
    await query.answer(DUE_SET_SHORT.format(task=task_id, date=due.isoformat()))
    await tick_message(query.message, [(task_id, "")], [query.data or ""])
    logger.info("#{} 截止日期按建议设为 {}（管理员 {}）", task_id, due, user_name(user))
    raise ApplicationHandlerStop


async def on_decide_button(update: Update, context: Context) -> None:
    """确认 / 不是任务 under /review: decide a 待确认 task, tick it and drop its buttons."""
    press = await admin_press(update, context, DECIDE_DATA)
    if press is None:
        raise ApplicationHandlerStop
    query, user, match = press
    ctx = app_ctx(context)
    task_id, confirm = int(match.group(1)), match.group(2) == "c"
    with session_scope(ctx.engine) as s:
        row = plans.decide_task(
            s, task_id, confirm=confirm, by=user.id, by_name=user_name(user), now=now(context)
        )
    if row is None:
        await query.answer(texts.CALLBACK_UNKNOWN, show_alert=True)
        raise ApplicationHandlerStop
    await query.answer((CONFIRMED_SHORT if confirm else DROPPED_SHORT).format(task=task_id))
    await tick_message(query.message, [(task_id, "")], [f"rvt:{task_id}:{code}" for code in ("c", "d")])
    logger.info("#{} {}（管理员 {}）", task_id, "已确认" if confirm else "标为不是任务", user_name(user))
    raise ApplicationHandlerStop


def register_imports(application: Application) -> None:
    """Chat import, /review and /setdue, in GROUP, ahead of the handlers of bot.handlers."""
    application.add_handler(CommandHandler("review", review_cmd), GROUP)
    application.add_handler(CommandHandler("setdue", setdue_cmd), GROUP)
    application.add_handler(MessageHandler(filters.Document.ALL, on_document, block=False), GROUP)
    application.add_handler(CallbackQueryHandler(on_import_button, pattern=IMPORT_DATA), GROUP)
    application.add_handler(CallbackQueryHandler(on_review_button, pattern=REVIEW_DATA), GROUP)
    application.add_handler(CallbackQueryHandler(on_decide_button, pattern=DECIDE_DATA), GROUP)
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text), GROUP)
