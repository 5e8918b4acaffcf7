"""What every handler module shares: the context, the clock, who may do what, replying, task numbers.

Handler modules (bot.handlers, bot.imports, bot.oversight) import from here and never from each other's
helpers, so bot.handlers can register them all without an import circle.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from loguru import logger
from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update, User
from telegram.error import BadRequest, Forbidden
from telegram.ext import ContextTypes

from bot import texts
from bot.keyboards import mark_done_in_text, without_button
from duban.context import AppContext

Context = ContextTypes.DEFAULT_TYPE
# Task and plan numbers typed by people; longer ones overflow SQLite's INTEGER instead of finding nothing.
MAX_NUMBER_DIGITS = 9


def app_ctx(context: Context) -> AppContext:
    """The AppContext stored in bot_data by build_application."""
    return context.bot_data["ctx"]


def now(context: Context) -> datetime:
    """The current time from the application's clock (tests fix it)."""
    clock: Callable[[], datetime] = context.bot_data["clock"]
    return clock()


def user_name(user: User | None) -> str:
    """A readable name for logs and admins."""
    if user is None:
        return "未知用户"
    return user.full_name + (f"（@{user.username}）" if user.username else "")


def is_admin(ctx: AppContext, user: User | None) -> bool:
    """Whether the user is one of the configured admins."""
    return user is not None and user.id in ctx.settings.access.admins


async def admin_press(
    update: Update, context: Context, pattern: re.Pattern[str]
) -> tuple[CallbackQuery, User, re.Match[str]] | None:
    """An admin's button press whose data matches pattern; None, the presser told why, otherwise."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return None
    match = pattern.fullmatch(query.data or "")
    if match is None:
        await query.answer(texts.CALLBACK_UNKNOWN, show_alert=True)
        return None
    if not is_admin(app_ctx(context), user):
        await query.answer(texts.ADMIN_ONLY, show_alert=True)
        return None
    return query, user, match


async def reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> Message | None:
    """Answer in the chat the update came from."""
    chat = update.effective_chat
    if chat is None:
        return None
    return await chat.send_message(text, reply_markup=markup)


def parse_task_number(arg: str) -> int | None:
    """12, #12, ＃１２ → 12; None for anything else, also for more digits than any stored id has."""
    digits = arg.strip().lstrip("#＃")
    # isdecimal, not isdigit: int() refuses superscripts like ², which isdigit accepts.
    return int(digits) if digits.isdecimal() and len(digits) <= MAX_NUMBER_DIGITS else None


async def edit_choice(message: object, text: str) -> None:
    """Replace a chooser message's text and drop its buttons, so it cannot be pressed twice by mistake."""
    if isinstance(message, Message):
        try:
            await message.edit_text(text)
        except BadRequest as exc:
            logger.debug("选择消息未能更新：{}", exc.message)


async def notify_admins(context: Context, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Send text (with its buttons) to every configured admin, in id order."""
    for admin in sorted(app_ctx(context).settings.access.admins):
        try:
            await context.bot.send_message(admin, text, reply_markup=markup)
        except (Forbidden, BadRequest) as exc:
            # An admin who never opened a chat with the bot cannot be written to; the others still are.
            logger.warning("无法通知管理员 {}：{}", admin, exc.message)


async def tick_message(message: object, ticks: Sequence[tuple[int, str]], buttons: Iterable[str]) -> None:
    """Edit a bot message listing items: ✅ before each (task id, unit name) line, the buttons carrying the
    given data gone; no edit when nothing changes."""
    if not isinstance(message, Message) or not message.text:
        return
    text, markup = message.text, message.reply_markup
    for task_id, unit in ticks:
        text = mark_done_in_text(text, task_id, unit)
    for data in buttons:
        markup = without_button(markup, data)
    if text == message.text and markup == message.reply_markup:
        return
    try:
        await message.edit_text(text, reply_markup=markup)
    except BadRequest as exc:
        # "message is not modified" when two presses race; the edit is cosmetic, what was pressed is stored.
        logger.debug("消息 {} 未能更新：{}", message.message_id, exc.message)
