"""Every handler, registered in one place: parse the update, call storage and core, reply (texts in bot.texts)."""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable, Sequence

from loguru import logger
from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import texts
from bot.common import (
    Context,
    admin_press,
    app_ctx,
    edit_choice,
    is_admin,
    notify_admins,
    now,
    parse_task_number,
    reply,
    tick_message,
    user_name,
)
from bot.keyboards import (
    choice_keyboard,
    decision_keyboard,
    pair_keyboard,
)
from bot.matching import match_unit
from core.digest import done_callback, parse_callback, parse_done_reply, render_task_list
from core.units import normalize_name
from duban.context import AppContext
from storage import crud, ledger, progress, subscriptions
from storage.db import session_scope
from storage.digest import items_by_unit, open_items
from storage.models import UnitRow

MAX_UNIT_BUTTONS = 60


# ------------------------------------------------------------------------------------------------ helpers


def subscribable_names(ctx: AppContext, s: Session) -> list[str]:
    """Units of imported plans first, then the directory's; groups are never subscribed to directly."""
    names = [*subscriptions.unit_names(s), *ctx.directory.units]
    return [n for n in dict.fromkeys(names) if not ctx.directory.is_group(n)]


def unit_row(ctx: AppContext, s: Session, name: str) -> UnitRow:
    """The stored unit of that name, created from the directory when only the directory knows it."""
    return subscriptions.unit_by_name(s, name) or subscriptions.ensure_unit(
        s, name, kind=ctx.directory.kind(name), is_group=ctx.directory.is_group(name)
    )


def active_units(s: Session, chat_id: int) -> list[UnitRow]:
    """Units this chat follows with an active subscription."""
    return [u for sub, u in subscriptions.chat_subscriptions(s, chat_id) if sub.status == "active"]


async def refresh_done(message: object, done: Sequence[tuple[int, int, str]]) -> None:
    """Edit a bot message carrying items: ✅ before each done (task, unit id, unit name) line, its button gone."""
    if done:
        await tick_message(
            message, [(t, unit) for t, _, unit in done], [done_callback(t, uid) for t, uid, _ in done]
        )


# ------------------------------------------------------------------------------------------- /start, /help


async def start(update: Update, context: Context) -> None:
    """/start: what the bot does."""
    await reply(update, texts.START)


async def help_cmd(update: Update, context: Context) -> None:
    """/help: the commands; admins also get theirs."""
    admin = is_admin(app_ctx(context), update.effective_user)
    await reply(update, texts.HELP + (texts.ADMIN_HELP if admin else ""))


# --------------------------------------------------------------------------------------------- subscribing


async def subscribe_cmd(update: Update, context: Context) -> None:
    """/subscribe [单位]: one clear match subscribes, several offer buttons, none suggests the closest."""
    ctx = app_ctx(context)
    query = " ".join(context.args or []).strip()
    if len(query) > texts.MAX_NAME:
        await reply(update, texts.NAME_TOO_LONG)
        return
    if query and ctx.directory.is_group(query):
        await reply(update, texts.GROUP_NAME.format(query=query))
        return
    with session_scope(ctx.engine) as s:
        names = subscribable_names(ctx, s)
        if not names:
            await reply(update, texts.NO_UNITS_KNOWN)
            return
        if not query:
            # Units named in imported plans come first; the directory fills up to the button limit.
            choices = [(unit_row(ctx, s, n).id or 0, n) for n in names[:MAX_UNIT_BUTTONS]]
            await reply(update, texts.CHOOSE_UNIT, choice_keyboard("s", choices))
            return
        match = match_unit(query, names, ctx.directory.aliases)
        if match.kind == "several":
            choices = [(unit_row(ctx, s, n).id or 0, n) for n in match.names]
            await reply(update, texts.CHOOSE_AMONG.format(query=query), choice_keyboard("s", choices, 1))
            return
        if match.kind == "none":
            text = texts.NOT_FOUND.format(query=query)
            if match.names:
                text += texts.CLOSEST.format(names="、".join(match.names))
            await reply(update, text + texts.REQUEST_HINT.format(query=query))
            return
        unit = unit_row(ctx, s, match.names[0])
    await reply(update, await do_subscribe(update, context, unit.id or 0))


async def do_subscribe(update: Update, context: Context, unit_id: int) -> str:
    """Subscribe the update's chat to a unit (pending in approval mode), tell the admins; the chat's answer."""
    ctx = app_ctx(context)
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    access = ctx.settings.access
    with session_scope(ctx.engine) as s:
        unit = s.get(UnitRow, unit_id)
        if unit is None or unit.is_group:
            return texts.CALLBACK_UNKNOWN
        before = {u.id: sub.status for sub, u in subscriptions.chat_subscriptions(s, chat.id)}.get(unit.id)
        sub = subscriptions.subscribe(
            s,
            chat_id=chat.id,
            unit_id=unit_id,
            user_id=user.id,
            user_name=user_name(user),
            needs_approval=access.needs_approval and not is_admin(ctx, user),
            now=now(context),
        )
        status, sub_id, unit_name = sub.status, sub.id or 0, unit.name
    if status == "active":
        return (texts.ALREADY_SUBSCRIBED if before == "active" else texts.SUBSCRIBED).format(
            unit=unit_name, time=ctx.settings.digest.time.strftime("%H:%M")
        )
    if before == "pending":
        return texts.ALREADY_PENDING.format(unit=unit_name)
    text = texts.PENDING.format(unit=unit_name) + ("" if access.admins else texts.NO_ADMINS)
    request = texts.ADMIN_REQUEST.format(
        user=user_name(user), user_id=user.id, chat=chat.title or chat.id, unit=unit_name
    )
    await notify_admins(context, request, decision_keyboard(sub_id))
    logger.info("订阅申请 #{}：聊天 {} → {}", sub_id, chat.id, unit_name)
    return text


UNIT_REQUEST_DATA = re.compile(rf"^ua:([1-9][0-9]{{0,17}}):({'|'.join(texts.KIND_CN)}|no)$")


async def request_cmd(update: Update, context: Context) -> None:
    """/request 单位全称: ask the admins to add a unit the directory does not know."""
    ctx = app_ctx(context)
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    name = normalize_name(" ".join(context.args or []))
    if not name:
        await reply(update, texts.REQUEST_USAGE)
        return
    if len(name) > texts.MAX_NAME:
        await reply(update, texts.NAME_TOO_LONG)
        return
    if ctx.directory.is_group(name):
        await reply(update, texts.GROUP_NAME.format(query=name))
        return
    with session_scope(ctx.engine) as s:
        canonical = ctx.directory.canonical(name)
        known = canonical if canonical in subscribable_names(ctx, s) else None
        if known is None:
            row, new = subscriptions.request_unit(
                s, name=name, chat_id=chat.id, user_id=user.id, user_name=user_name(user), now=now(context)
            )
            request_id = row.id or 0
    if known is not None:
        await reply(update, texts.REQUEST_EXISTS.format(unit=known))
        return
    if not new:
        await reply(update, texts.REQUEST_ALREADY.format(name=name))
        return
    admins = ctx.settings.access.admins
    await reply(update, texts.REQUEST_SENT.format(name=name) + ("" if admins else texts.NO_ADMINS))
    text = texts.ADMIN_UNIT_REQUEST.format(
        user=user_name(user), user_id=user.id, chat=chat.title or chat.id, name=name
    )
    buttons = [
        InlineKeyboardButton(label, callback_data=f"ua:{request_id}:{kind}")
        for kind, label in (*texts.KIND_CN.items(), ("no", "不添加"))
    ]
    markup = InlineKeyboardMarkup([buttons[:3], buttons[3:]])
    await notify_admins(context, text, markup)
    logger.info("单位申请 #{}：聊天 {} 申请添加 {}", request_id, chat.id, name)


async def on_unit_request_button(update: Update, context: Context) -> None:
    """An admin adds a requested unit with its kind (the chat is subscribed and told), or declines it."""
    ctx = app_ctx(context)
    press = await admin_press(update, context, UNIT_REQUEST_DATA)
    if press is None:
        return
    query, user, match = press
    kind = None if match.group(2) == "no" else match.group(2)
    with session_scope(ctx.engine) as s:
        decided = subscriptions.decide_unit_request(
            s, int(match.group(1)), kind=kind, by_name=user_name(user), now=now(context)
        )
        if decided is None:
            notice = None
        else:
            row, unit = decided
            count = 0
            if unit is not None and unit.id is not None:
                items = items_by_unit(s, group_routes=ctx.group_routes(s), unit_ids=[unit.id])
                count = len({i.task_id for i in items.get(unit.id, [])})
            notice = (row.name, row.chat_id, count)
    if notice is None:
        await query.answer(texts.UNIT_REQUEST_GONE, show_alert=True)
        return
    name, chat_id, count = notice
    await query.answer()
    admin_text = (
        texts.UNIT_ADDED_ADMIN.format(name=name, kind=texts.KIND_CN[kind], admin=user_name(user))
        if kind
        else texts.UNIT_DECLINED_ADMIN.format(name=name, admin=user_name(user))
    )
    await edit_choice(query.message, admin_text)
    user_text = (
        texts.UNIT_ADDED_USER.format(name=name, kind=texts.KIND_CN[kind], count=count)
        if kind
        else texts.UNIT_DECLINED_USER.format(name=name)
    )
    try:
        await context.bot.send_message(chat_id, user_text)
    except (Forbidden, BadRequest) as exc:
        logger.warning("无法通知申请单位的聊天 {}：{}", chat_id, exc.message)
    logger.info("单位申请：{} {}（管理员 {}）", name, f"已添加为 {kind}" if kind else "未添加", user.id)


async def unsubscribe_cmd(update: Update, context: Context) -> None:
    """/unsubscribe [单位]: without a name, buttons of the chat's units."""
    ctx = app_ctx(context)
    chat = update.effective_chat
    assert chat is not None
    query = " ".join(context.args or []).strip()
    if len(query) > texts.MAX_NAME:
        await reply(update, texts.NAME_TOO_LONG)
        return
    with session_scope(ctx.engine) as s:
        units = [u for sub, u in subscriptions.chat_subscriptions(s, chat.id) if sub.status != "inactive"]
    if not units:
        await reply(update, texts.NO_SUBSCRIPTIONS)
        return
    if not query:
        await reply(
            update, texts.CHOOSE_UNSUBSCRIBE, choice_keyboard("x", [(u.id or 0, u.name) for u in units])
        )
        return
    by_name = {u.name: u for u in units}
    match = match_unit(query, list(by_name), ctx.directory.aliases)
    if match.kind == "one":
        await reply(update, do_unsubscribe(ctx, chat.id, by_name[match.names[0]]))
    elif match.kind == "several":
        choices = [(by_name[n].id or 0, n) for n in match.names]
        await reply(update, texts.CHOOSE_UNSUBSCRIBE, choice_keyboard("x", choices, 1))
    else:
        await reply(update, texts.NOT_SUBSCRIBED.format(query=query))


def do_unsubscribe(ctx: AppContext, chat_id: int, unit: UnitRow) -> str:
    """Unsubscribe and say so."""
    with session_scope(ctx.engine) as s:
        done = subscriptions.unsubscribe(s, chat_id=chat_id, unit_id=unit.id or 0)
    return (texts.UNSUBSCRIBED if done else texts.NOT_SUBSCRIBED).format(unit=unit.name, query=unit.name)


async def mine(update: Update, context: Context) -> None:
    """/mine: the chat's units, pending ones marked."""
    ctx = app_ctx(context)
    chat = update.effective_chat
    assert chat is not None
    with session_scope(ctx.engine) as s:
        rows = [
            f"· {u.name}{texts.STATUS_PENDING if sub.status == 'pending' else ''}"
            for sub, u in subscriptions.chat_subscriptions(s, chat.id)
            if sub.status != "inactive"
        ]
    await reply(update, texts.lines(texts.MINE_HEADER, rows) if rows else texts.NO_SUBSCRIPTIONS)


async def pending_cmd(update: Update, context: Context) -> None:
    """/pending (admins only): the subscriptions waiting for a decision, each with its buttons."""
    ctx = app_ctx(context)
    if not is_admin(ctx, update.effective_user):
        await reply(update, texts.ADMIN_ONLY)
        return
    with session_scope(ctx.engine) as s:
        waiting = [
            (sub.id or 0, sub.user_name, sub.user_id, sub.chat_id, u.name)
            for sub, u in subscriptions.pending_subscriptions(s)
        ]
    if not waiting:
        await reply(update, texts.NO_PENDING)
        return
    await reply(update, texts.PENDING_HEADER.format(count=len(waiting)))
    for sub_id, name, uid, chat_id, unit in waiting:
        text = texts.ADMIN_REQUEST.format(user=name, user_id=uid, chat=chat_id, unit=unit)
        await reply(update, text, decision_keyboard(sub_id))


# ---------------------------------------------------------------------------------------------- listing


async def tasks_cmd(update: Update, context: Context) -> None:
    """/tasks [单位]: the chat's open items, overdue first; replies to the list can mark items done."""
    ctx = app_ctx(context)
    chat = update.effective_chat
    assert chat is not None
    query = " ".join(context.args or []).strip()
    if len(query) > texts.MAX_NAME:
        await reply(update, texts.NAME_TOO_LONG)
        return
    today = now(context).date()
    with session_scope(ctx.engine) as s:
        subs = subscriptions.chat_subscriptions(s, chat.id)
        units = [u for sub, u in subs if sub.status == "active"]
        if not units:
            pending = any(sub.status == "pending" for sub, _ in subs)
            await reply(update, texts.ONLY_PENDING if pending else texts.NO_SUBSCRIPTIONS)
            return
        items = open_items(s, chat_ids=[chat.id], group_routes=ctx.group_routes(s)).get(chat.id, [])
    if query:
        match = match_unit(query, [u.name for u in units], ctx.directory.aliases)
        if match.kind != "one":
            await reply(update, texts.NOT_SUBSCRIBED.format(query=query))
            return
        items = [i for i in items if i.unit == match.names[0]]
        if not items:
            await reply(update, texts.NO_OPEN_ITEMS_OF.format(unit=match.names[0]))
            return
    if not items:
        await reply(update, texts.NO_OPEN_ITEMS)
        return
    text = render_task_list(
        items, today=today, limit=ctx.settings.digest.message_limit, thresholds=ctx.thresholds
    )
    sent = await reply(update, text)
    if sent is not None:
        listed = [i for i in items if f"#{i.task_id} " in text]
        with session_scope(ctx.engine) as s:
            ledger.record_items(s, chat_id=chat.id, message_id=sent.message_id, items=listed)


# ------------------------------------------------------------------------------------------ marking done


async def mark(
    context: Context, chat_id: int, user: User, task_id: int, unit_id: int, note: str | None
) -> tuple[str, str, str]:
    """Mark one (task, unit) done if this chat may: (outcome refused|marked|already, answer, unit name)."""
    ctx = app_ctx(context)
    with session_scope(ctx.engine) as s:
        unit = s.get(UnitRow, unit_id)
        if unit is None or not progress.may_mark(
            s, chat_id=chat_id, task_id=task_id, unit_id=unit_id, group_routes=ctx.group_routes(s)
        ):
            logger.info("拒绝标记：聊天 {} 用户 {} → #{} 单位 {}", chat_id, user.id, task_id, unit_id)
            return "refused", texts.NOT_YOURS.format(task=task_id), ""
        changed = progress.mark_done(
            s,
            task_id=task_id,
            unit_id=unit_id,
            user_id=user.id,
            user_name=user_name(user),
            note=note,
            now=now(context),
        )
        name = unit.name
    logger.info("标记完成：#{} {} by {}（聊天 {}）", task_id, name, user.id, chat_id)
    if changed:
        return "marked", texts.MARKED.format(task=task_id, unit=name), name
    return "already", texts.ALREADY_DONE.format(task=task_id, unit=name), name


# `/done 81、92 备注`: leading numbers (any of the separators people type), then an optional note.
_LEADING_NUMBERS = re.compile(r"^\s*((?:[#＃]?\d+\s*[、,，;；\s]\s*)*[#＃]?\d+)(?:\s+|$)(?P<note>.*)$", re.S)


def split_numbers(text: str) -> tuple[list[int], str | None] | None:
    """`81、92 已公开` → ([81, 92], "已公开"); None when the text does not start with a task number."""
    m = _LEADING_NUMBERS.match(text)
    if m is None:
        return None
    numbers = [parse_task_number(n) for n in re.findall(r"[#＃]?\d+", m.group(1))]
    if any(n is None for n in numbers):
        return None
    return list(dict.fromkeys(n for n in numbers if n is not None)), (m["note"].strip() or None)


async def done_cmd(update: Update, context: Context) -> None:
    """/done N [备注], also /done 81、92."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    parsed = split_numbers(" ".join(context.args or []))
    if parsed is None:
        await reply(update, texts.DONE_USAGE)
        return
    numbers, note = parsed
    if note is not None and len(note) > texts.MAX_NOTE:
        await reply(update, texts.NOTE_TOO_LONG)
        return
    await mark_numbers(update, context, numbers, note)


async def mark_numbers(update: Update, context: Context, numbers: list[int], note: str | None) -> None:
    """Mark each numbered task for the chat's units: one answer line per task, buttons where it is unclear."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    answers: list[str] = []
    for task_id in numbers:
        answer, markup = await mark_number(context, chat.id, user, task_id, note)
        if markup is not None:
            await reply(update, answer, markup)
        else:
            answers.append(answer)
    if answers:
        await reply(update, "\n".join(answers))


async def mark_number(
    context: Context, chat_id: int, user: User, task_id: int, note: str | None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Mark one numbered task for the chat's unit; (answer, buttons when several of its units are named)."""
    ctx = app_ctx(context)
    with session_scope(ctx.engine) as s:
        units = [
            (u.id or 0, u.name)
            for u in progress.units_of_chat_for_task(
                s, chat_id=chat_id, task_id=task_id, group_routes=ctx.group_routes(s)
            )
        ]
        exists = bool(units) or crud.task_exists(s, task_id)
    if not exists:
        return texts.NO_SUCH_TASK.format(task=task_id), None
    if not units:
        return texts.NOT_YOURS.format(task=task_id), None
    if len(units) == 1:
        _, answer, _ = await mark(context, chat_id, user, task_id, units[0][0], note)
        return answer, None
    pairs = [(task_id, uid, texts.DONE_BUTTON_UNIT.format(task=task_id, unit=name)) for uid, name in units]
    return texts.WHICH_UNIT.format(task=task_id), pair_keyboard(pairs)


async def private_text(update: Update, context: Context) -> None:
    """A private message no other handler took: 完成 12 marks item 12; anything else gets a hint."""
    message = update.effective_message
    if message is None:
        return
    text = message.text or message.caption or ""
    parsed = parse_done_reply(text) or _done_after_number(text)
    if parsed is not None:
        _, numbers = parsed
        if numbers:
            await mark_numbers(update, context, numbers, None)
        else:
            await reply(update, texts.DONE_WHICH)
        return
    await reply(update, texts.PROGRESS_HOW if text.lstrip().startswith("进度") else texts.NOT_UNDERSTOOD)


def _done_after_number(text: str) -> tuple[bool, list[int]] | None:
    """`#92 已完成` (a photo's caption, a note typed number first) reads like 完成 92."""
    parsed = split_numbers(text)
    if parsed is None or parsed[1] is None or parse_done_reply(parsed[1]) is None:
        return None
    return True, parsed[0]


async def unknown_command(update: Update, context: Context) -> None:
    """A command the bot does not have, in a private chat (the ones it has are answered by their handlers)."""
    message = update.effective_message
    command = (message.text or "").split()[0] if message is not None and message.text else "/"
    name = command.lstrip("/").split("@")[0].lower()
    if name in context.application.bot_data.get("commands", ()):
        return
    await reply(update, texts.UNKNOWN_COMMAND.format(command=command[:30]))


async def undo_cmd(update: Update, context: Context) -> None:
    """/undo N: revert the chat's units' marks on that task."""
    ctx = app_ctx(context)
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    args = context.args or []
    task_id = parse_task_number(args[0]) if args else None
    if task_id is None:
        await reply(update, texts.UNDO_USAGE)
        return
    answers = []
    with session_scope(ctx.engine) as s:
        units = progress.units_of_chat_for_task(
            s, chat_id=chat.id, task_id=task_id, group_routes=ctx.group_routes(s)
        )
        for u in units:
            undone = progress.undo(s, task_id=task_id, unit_id=u.id or 0)
            answers.append((texts.UNDONE if undone else texts.NOT_DONE).format(task=task_id, unit=u.name))
        if not units and not crud.task_exists(s, task_id):
            answers.append(texts.NO_SUCH_TASK.format(task=task_id))
    if units:
        logger.info("撤销完成：#{} by {}（聊天 {}）", task_id, user.id, chat.id)
    await reply(update, "\n".join(answers) if answers else texts.NOT_YOURS.format(task=task_id))


async def done_reply(update: Update, context: Context) -> None:
    """A reply 完成 / 已完成 / done [numbers] to a bot message carrying items."""
    message = update.effective_message
    chat, user = update.effective_chat, update.effective_user
    if message is None or chat is None or user is None or message.reply_to_message is None:
        return
    parsed = parse_done_reply(message.text or "")
    target = message.reply_to_message
    if parsed is None or target.from_user is None or target.from_user.id != context.bot.id:
        return
    _, numbers = parsed
    await answer_done_reply(update, context, target, numbers)
    raise ApplicationHandlerStop  # answered: the catch-all for private chats stays quiet


async def answer_done_reply(update: Update, context: Context, target: Message, numbers: list[int]) -> None:
    """Mark the items a 完成 reply names (or the message's only one), or ask which."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    ctx = app_ctx(context)
    today = now(context).date()
    with session_scope(ctx.engine) as s:
        carried = ledger.items_of_message(s, chat_id=chat.id, message_id=target.message_id)
        names = {u.id: u.name for u in active_units(s, chat.id)}
        # What is done already is offered no more (a bare 完成 picks among the open ones).
        open_items = [(t, u) for t, u in carried if not progress.is_done(s, task_id=t, unit_id=u, day=today)]
    if not carried:
        await reply(update, texts.NOTHING_TO_MARK)
        return
    if numbers:
        chosen = [(t, u) for t, u in carried if t in numbers]
        missing = [n for n in numbers if n not in {t for t, _ in carried}]
    else:
        chosen, missing = list(open_items or carried), []
        if len(chosen) > 1:
            pairs = [
                (t, u, texts.DONE_BUTTON_UNIT.format(task=t, unit=names.get(u, "")).strip())
                for t, u in chosen
            ]
            await reply(update, texts.WHICH_ITEM, pair_keyboard(pairs))
            return
    answers, shown = [], []
    for t, u in chosen:
        outcome, answer, name = await mark(context, chat.id, user, t, u, None)
        answers.append(answer)
        if outcome != "refused":
            shown.append((t, u, name))
    if missing:
        answers.append(texts.NOT_IN_MESSAGE.format(tasks="、#".join(map(str, missing))))
    await reply(update, "\n".join(answers))
    await refresh_done(target, shown)


# --------------------------------------------------------------------------------------------- buttons


async def on_button(update: Update, context: Context) -> None:
    """Every inline button: done, undo, subscribe, unsubscribe, approve, deny; forged data is refused."""
    query = update.callback_query
    chat, user = update.effective_chat, update.effective_user
    if query is None or chat is None or user is None:
        return
    parsed = parse_callback(query.data or "")
    if parsed is None:
        logger.warning("拒绝无法识别的按钮数据：{!r}（用户 {}）", query.data, user.id)
        await query.answer(texts.CALLBACK_UNKNOWN, show_alert=True)
        return
    action, ids = parsed
    ctx = app_ctx(context)
    if action == "d":
        task_id, unit_id = ids
        outcome, _, name = await mark(context, chat.id, user, task_id, unit_id, None)
        if outcome == "refused":
            await query.answer(texts.CALLBACK_REFUSED, show_alert=True)
            return
        await query.answer(texts.CALLBACK_DONE if outcome == "marked" else texts.CALLBACK_ALREADY)
        await refresh_done(query.message, [(task_id, unit_id, name)])
    elif action == "u":
        task_id, unit_id = ids
        with session_scope(ctx.engine) as s:
            unit = s.get(UnitRow, unit_id)
            allowed = unit is not None and progress.may_mark(
                s, chat_id=chat.id, task_id=task_id, unit_id=unit_id, group_routes=ctx.group_routes(s)
            )
            if allowed:
                progress.undo(s, task_id=task_id, unit_id=unit_id)
            name = unit.name if unit else ""
        await query.answer(
            texts.UNDONE.format(task=task_id, unit=name) if allowed else texts.CALLBACK_REFUSED
        )
    elif action == "s":
        await query.answer()
        text = await do_subscribe(update, context, ids[0])
        await edit_choice(query.message, text)
    elif action == "x":
        with session_scope(ctx.engine) as s:
            unit = s.get(UnitRow, ids[0])
        if unit is None:
            await query.answer(texts.CALLBACK_UNKNOWN, show_alert=True)
            return
        await query.answer()
        await edit_choice(query.message, do_unsubscribe(ctx, chat.id, unit))
    else:
        await decide(update, context, ids[0], approve=action == "a")


async def decide(update: Update, context: Context, sub_id: int, *, approve: bool) -> None:
    """An admin approves or denies a subscription; everyone else is refused politely."""
    ctx = app_ctx(context)
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    if not is_admin(ctx, user):
        await query.answer(texts.ADMIN_ONLY, show_alert=True)
        return
    with session_scope(ctx.engine) as s:
        sub = subscriptions.decide(s, sub_id, approve=approve, admin_id=user.id)
        unit = s.get(UnitRow, sub.unit_id) if sub else None
        info = (sub.chat_id, sub.user_name, unit.name if unit else "") if sub else None
    if info is None:
        await query.answer(texts.DECISION_GONE, show_alert=True)
        return
    chat_id, requester, unit_name = info
    await query.answer()
    template = texts.ADMIN_APPROVED if approve else texts.ADMIN_DENIED
    await edit_choice(query.message, template.format(user=requester, unit=unit_name, admin=user_name(user)))
    notice = (texts.USER_APPROVED if approve else texts.USER_DENIED).format(unit=unit_name)
    try:
        await context.bot.send_message(chat_id, notice)
    except Forbidden:
        with session_scope(ctx.engine) as s:
            subscriptions.deactivate_chat(s, chat_id)
    logger.info("订阅 #{} {}（管理员 {}）", sub_id, "已批准" if approve else "已拒绝", user.id)


# ------------------------------------------------------------------------------------- chats coming and going


async def on_migrate(update: Update, context: Context) -> None:
    """A group became a supergroup: its subscriptions move to the new chat id."""
    message = update.effective_message
    if message is None:
        return
    old, new = (
        (message.chat_id, message.migrate_to_chat_id)
        if message.migrate_to_chat_id
        else (message.migrate_from_chat_id, message.chat_id)
    )
    if old is None or new is None:
        return
    with session_scope(app_ctx(context).engine) as s:
        moved = subscriptions.migrate_chat(s, old, new)
    if moved:
        logger.info("聊天 {} 升级为超级群 {}，迁移了 {} 个订阅", old, new, moved)


async def on_my_member(update: Update, context: Context) -> None:
    """The bot was blocked or removed from a chat: stop sending there."""
    change = update.my_chat_member
    if change is None or change.new_chat_member.status not in ("kicked", "left"):
        return
    with session_scope(app_ctx(context).engine) as s:
        count = subscriptions.deactivate_chat(s, change.chat.id)
    logger.info("聊天 {} 屏蔽或移除了机器人，停用 {} 个订阅", change.chat.id, count)


async def on_error(update: object, context: Context) -> None:
    """Log every error (token masked by the log filter) and answer the user in Chinese."""
    error = context.error
    chat = update.effective_chat if isinstance(update, Update) else None
    # The traceback goes into the message itself, so the token filter sees and masks it too.
    trace = "".join(traceback.format_exception(error)) if error else ""
    logger.error("处理更新时出错（聊天 {}）：{}\n{}", chat.id if chat else "-", repr(error), trace)
    if chat is None:
        return
    if isinstance(error, Forbidden):
        with session_scope(app_ctx(context).engine) as s:
            subscriptions.deactivate_chat(s, chat.id)
        return
    try:
        await chat.send_message(texts.ERROR)
    except Exception as exc:  # the error answer is best effort; the error itself is logged above
        logger.warning("无法在聊天 {} 中报告错误：{}", chat.id, repr(exc))


# The group of the catch-all handlers: after every other group (imports -9, oversight -5, the rest 0).
LAST = 10


def register(application: Application) -> None:
    """Every handler of the bot, in one place."""
    commands: Sequence[tuple[str, Callable]] = (
        ("start", start),
        ("help", help_cmd),
        ("subscribe", subscribe_cmd),
        ("unsubscribe", unsubscribe_cmd),
        ("mine", mine),
        ("tasks", tasks_cmd),
        ("done", done_cmd),
        ("undo", undo_cmd),
        ("pending", pending_cmd),
        ("request", request_cmd),
    )
    for name, callback in commands:
        application.add_handler(CommandHandler(name, callback))
    application.add_handler(CallbackQueryHandler(on_unit_request_button, pattern=UNIT_REQUEST_DATA))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate))
    application.add_handler(MessageHandler(filters.TEXT & filters.REPLY & ~filters.COMMAND, done_reply))
    application.add_handler(ChatMemberHandler(on_my_member, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_error_handler(on_error)
    from bot.oversight import register_oversight  # imports this module: imported here, not at the top

    register_oversight(application)
    from bot.imports import register_imports  # imports this module: imported here, not at the top

    register_imports(application)
    # Last, in a group of their own: a private message no handler above took gets an answer, never silence.
    application.bot_data["commands"] = frozenset(
        name
        for handlers in application.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
        for name in handler.commands
    )
    private = filters.ChatType.PRIVATE
    application.add_handler(MessageHandler(private & filters.COMMAND, unknown_command), group=LAST)
    application.add_handler(
        MessageHandler(
            private & (filters.TEXT | filters.CAPTION) & ~filters.COMMAND & ~filters.Document.ALL,
            private_text,
        ),
        group=LAST,
    )
