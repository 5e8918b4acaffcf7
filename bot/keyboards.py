"""Inline keyboards and the ✅ edit of a sent message; callback data always comes from core.digest."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import texts
from core.digest import DigestItem, done_callback, make_callback

# Telegram shows at most 100 buttons per message.
MAX_BUTTONS = 100


def rows(buttons: Sequence[InlineKeyboardButton], per_row: int) -> list[list[InlineKeyboardButton]]:
    """Buttons laid out per_row to a row."""
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def done_keyboard(items: Iterable[DigestItem]) -> InlineKeyboardMarkup | None:
    """One ✅ 完成 button per item; the unit is named only when the message carries several units."""
    items = list(items)[:MAX_BUTTONS]
    if not items:
        return None
    several_units = len({i.unit_id for i in items}) > 1
    buttons = [
        InlineKeyboardButton(
            texts.DONE_BUTTON_UNIT.format(task=i.task_id, unit=i.unit)
            if several_units
            else texts.DONE_BUTTON.format(task=i.task_id),
            callback_data=done_callback(i.task_id, i.unit_id),
        )
        for i in items
    ]
    return InlineKeyboardMarkup(rows(buttons, 1 if several_units else 3))


def choice_keyboard(
    action: str, choices: Iterable[tuple[int, str]], per_row: int = 2
) -> InlineKeyboardMarkup:
    """Buttons (id, label) that each send make_callback(action, id)."""
    buttons = [
        InlineKeyboardButton(label, callback_data=make_callback(action, ident))
        for ident, label in list(choices)[:MAX_BUTTONS]
    ]
    return InlineKeyboardMarkup(rows(buttons, per_row))


def pair_keyboard(pairs: Iterable[tuple[int, int, str]]) -> InlineKeyboardMarkup:
    """✅ buttons for (task_id, unit_id, label) pairs, one per row."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=done_callback(t, u))] for t, u, label in pairs]
    )


def decision_keyboard(sub_id: int) -> InlineKeyboardMarkup:
    """Approve / deny buttons for an admin."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(texts.APPROVE, callback_data=make_callback("a", sub_id)),
                InlineKeyboardButton(texts.DENY, callback_data=make_callback("n", sub_id)),
            ]
        ]
    )


def mark_done_in_text(text: str, task_id: int, unit: str) -> str:
    """The message text with the item's line prefixed by ✅ (once)."""
    out = []
    prefix = f"#{task_id} "
    for line in text.split("\n"):
        if line.startswith(prefix) and unit in line:
            line = texts.DONE_MARK + line
        out.append(line)
    return "\n".join(out)


def without_button(markup: InlineKeyboardMarkup | None, data: str) -> InlineKeyboardMarkup | None:
    """The keyboard minus the button carrying data; None when no button is left."""
    if markup is None:
        return None
    kept = [[b for b in row if b.callback_data != data] for row in markup.inline_keyboard]
    kept = [row for row in kept if row]
    return InlineKeyboardMarkup(kept) if kept else None
