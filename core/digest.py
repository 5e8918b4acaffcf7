"""The daily digest and the task list: which open items to show, how they read, and how replies are parsed.

Everything here is pure: items come in as ``DigestItem`` values, ``today`` is passed in, and the output is
plain text (sent without a parse mode, so nothing needs escaping) plus the items each message carries.

Numbers shown to users are task ids (``#12``) everywhere: in digests, in /tasks, in ``完成 12`` and /done 12.

Lengths are measured the way Telegram measures them, in UTF-16 code units, so an emoji outside the Basic
Multilingual Plane counts twice. Messages are split only between items, never inside one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from core.oversight import DEFAULT_THRESHOLDS, Thresholds, colour_of, colour_text, current_occurrence

TELEGRAM_LIMIT = 4096
# Telegram refuses inline keyboards beyond about 100 buttons; a digest message carries one button per item.
MAX_ITEMS_PER_MESSAGE = 50
CONTENT_CHARS = 60
CALLBACK_MAX_BYTES = 64

WEEKDAYS_CN: tuple[str, ...] = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
ROLE_CN: dict[str, str] = {"lead": "牵头", "support": "配合", "owner": "负责"}
RECURRENCE_CN: dict[str, str] = {
    "daily": "每日",
    "periodic": "定期",
    "weekly": "每周",
    "biweekly": "每两周",
    "monthly": "每月",
    "quarterly": "每季度",
    "halfyearly": "每半年",
    "yearly": "每年",
}


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One open task as it concerns one concrete unit (the unit a chat follows)."""

    task_id: int
    unit_id: int
    unit: str
    role: str
    seq: str
    content: str
    due: date
    plan_title: str
    kind: str
    recurrence: str | None
    # A recurring duty's occurrences this unit has done (their due dates); the item shows the next one.
    done_occurrences: tuple[date, ...] = ()
    # The unit's latest progress note on the task and the day it was written.
    progress: str | None = None
    progress_on: date | None = None
    # For a task with dated steps: the step shown (`第1/2步：6月前完成第1次宣传`); due is that step's date.
    step: str | None = None


@dataclass(frozen=True, slots=True)
class Digest:
    """A day's digest for one chat: the three sections, soonest first, and how many items fall later."""

    day: date
    overdue: tuple[DigestItem, ...]
    due_today: tuple[DigestItem, ...]
    upcoming: tuple[DigestItem, ...]
    later_count: int
    window_days: int = 7
    yellow_days: int = 3
    fresh_days: int = 7

    @property
    def thresholds(self) -> Thresholds:
        """The colour thresholds this digest was selected with."""
        return Thresholds(self.window_days, self.yellow_days, self.fresh_days)

    @property
    def is_empty(self) -> bool:
        """True when there is nothing to send: no overdue, due-today or upcoming item."""
        return not (self.overdue or self.due_today or self.upcoming)

    @property
    def items(self) -> tuple[DigestItem, ...]:
        """Every item shown, in display order."""
        return self.overdue + self.due_today + self.upcoming


@dataclass(frozen=True, slots=True)
class OutMessage:
    """One message to send: its text and the items it carries, in order, for the ✅ buttons."""

    text: str
    items: tuple[DigestItem, ...]


def tg_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def _sort_key(item: DigestItem) -> tuple[date, int, int]:
    """Soonest first; ties in task then unit order, so a digest reads the same every run."""
    return (item.due, item.task_id, item.unit_id)


def _unique(items: Iterable[DigestItem], today: date) -> list[DigestItem]:
    """Items sorted soonest first, one per (task, unit), recurring ones at their current occurrence."""
    seen: set[tuple[int, int]] = set()
    out: list[DigestItem] = []
    for item in items:
        key = (item.task_id, item.unit_id)
        if key not in seen:
            seen.add(key)
            if item.kind == "recurring" and item.recurrence:
                # A quarterly duty is due at the end of this quarter, not overdue since its first quarter;
                # once this quarter's is done, the next quarter's is the one to show.
                current = current_occurrence(item.recurrence, item.due, today, item.done_occurrences)
                item = replace(item, due=current)
            out.append(item)
    out.sort(key=_sort_key)
    return out


def select_digest(
    items: Iterable[DigestItem],
    *,
    today: date,
    window_days: int = 7,
    yellow_days: int = 3,
    fresh_days: int = 7,
) -> Digest:
    """Sort open items into overdue, due today and due within window_days after today; count the rest."""
    if window_days < 0:
        raise ValueError("window_days must not be negative")
    horizon = today + timedelta(days=window_days)
    overdue: list[DigestItem] = []
    due_today: list[DigestItem] = []
    upcoming: list[DigestItem] = []
    later = 0
    for item in _unique(items, today):
        if item.due < today:
            overdue.append(item)
        elif item.due == today:
            due_today.append(item)
        elif item.due <= horizon:
            upcoming.append(item)
        else:
            later += 1
    return Digest(
        today, tuple(overdue), tuple(due_today), tuple(upcoming), later, window_days, yellow_days, fresh_days
    )


def weekday_cn(d: date) -> str:
    """周一 … 周日."""
    return WEEKDAYS_CN[d.weekday()]


def date_cn(d: date, *, today: date | None = None) -> str:
    """3月31日, with the year when it differs from today's (2027年1月5日)."""
    if today is not None and d.year != today.year:
        return f"{d.year}年{d.month}月{d.day}日"
    return f"{d.month}月{d.day}日"


def days_left_text(due: date, today: date) -> str:
    """今天到期 / 还有3天 / 逾期2天."""
    delta = (due - today).days
    if delta == 0:
        return "今天到期"
    return f"还有{delta}天" if delta > 0 else f"逾期{-delta}天"


def short_text(text: str, limit: int = CONTENT_CHARS) -> str:
    """Text on one line, cut to limit characters with an ellipsis."""
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[: max(limit - 1, 1)] + "…"


def item_line(
    item: DigestItem,
    *,
    today: date,
    content_chars: int = CONTENT_CHARS,
    thresholds: Thresholds | None = DEFAULT_THRESHOLDS,
) -> str:
    """#12 内容 — 区教育局（牵头）· 截止 3月31日 周二 · 逾期5天 (· 每季度 for recurring items).

    The number is followed by the item's colour (🔴红 …) and the line ends with its latest progress note;
    thresholds=None leaves both out.
    """
    role = ROLE_CN.get(item.role, item.role)
    unit = f"{item.unit}（{role}）" if role else item.unit
    parts = [
        f"#{item.task_id} {short_text(item.content, content_chars)} — {unit}",
        f"截止 {date_cn(item.due, today=today)} {weekday_cn(item.due)}",
        days_left_text(item.due, today),
    ]
    if item.recurrence:
        parts.append(RECURRENCE_CN.get(item.recurrence, item.recurrence))
    if item.step:
        parts.append(short_text(item.step, 30))
    if thresholds is not None and item.progress:
        parts.append(f"进度（{date_cn(item.progress_on or today)}）：{short_text(item.progress, 30)}")
    # A full-width parenthesis already carries its own space.
    head_sep = "· " if parts[0].endswith("）") else " · "
    line = parts[0] + head_sep + " · ".join(parts[1:])
    if thresholds is not None:
        colour = colour_of(item.due, today, last_progress=item.progress_on, thresholds=thresholds)
        if colour:
            # The colour goes after "#12 " so replies and the ✅ edit still find the line by its number.
            line = f"#{item.task_id} {colour_text(colour)} " + line[len(f"#{item.task_id} ") :]
    return line


def _pack(
    header: str,
    continued_header: str,
    sections: Sequence[tuple[str, Sequence[DigestItem]]],
    footer: str,
    *,
    today: date,
    limit: int,
    max_items: int,
    thresholds: Thresholds | None = DEFAULT_THRESHOLDS,
) -> list[OutMessage]:
    """Lay sections out over as few messages as fit limit, cutting only between items."""
    messages: list[OutMessage] = []
    lines: list[str] = [header]
    carried: list[DigestItem] = []
    size = tg_len(header)

    def flush() -> None:
        nonlocal lines, carried, size
        messages.append(OutMessage("\n".join(lines), tuple(carried)))
        lines, carried, size = [continued_header], [], tg_len(continued_header)

    def fits(extra: Sequence[str]) -> bool:
        return size + sum(tg_len(x) + 1 for x in extra) <= limit

    for title, items in sections:
        first = True
        for item in items:
            line = item_line(item, today=today, thresholds=thresholds)
            if tg_len(line) > limit // 2:
                # Only a pathological unit name or plan can get here; keep the item whole but shorter.
                line = short_text(line, limit // 2)
            head = ["", title] if first else []
            if carried and (len(carried) >= max_items or not fits([*head, line])):
                flush()
                head = ["", title if first else f"{title}（续）"]
            lines.extend([*head, line])
            size += sum(tg_len(x) + 1 for x in [*head, line])
            carried.append(item)
            first = False
    if footer:
        if not fits(["", footer]):
            flush()
        lines.extend(["", footer])
    messages.append(OutMessage("\n".join(lines), tuple(carried)))
    return messages


def render_digest(
    d: Digest, *, limit: int = 4000, max_items: int = MAX_ITEMS_PER_MESSAGE
) -> list[OutMessage]:
    """The digest as messages below limit (and Telegram's 4096), split between items; [] when empty."""
    if d.is_empty:
        return []
    limit = min(limit, TELEGRAM_LIMIT - 1)
    total = len(d.items)
    header = f"📋 督办提醒 · {date_cn(d.day)} {weekday_cn(d.day)}（共{total}项待办）"
    continued = f"📋 督办提醒 · {date_cn(d.day)}（续）"
    sections = [
        (f"⚠️ 已逾期（{len(d.overdue)}项）", d.overdue),
        (f"📌 今日到期（{len(d.due_today)}项）", d.due_today),
        (f"🗓 {d.window_days}日内到期（{len(d.upcoming)}项）", d.upcoming),
    ]
    footer_lines = []
    if d.later_count:
        footer_lines.append(f"另有{d.later_count}项在{d.window_days}日后到期，发送 /tasks 查看全部。")
    footer_lines.append("办完后点下方“✅ 完成”，或回复本消息“完成 编号”（如：完成 12）。")
    return _pack(
        header,
        continued,
        [(t, items) for t, items in sections if items],
        "\n".join(footer_lines),
        today=d.day,
        limit=limit,
        max_items=max_items,
        thresholds=d.thresholds,
    )


def render_task_list(
    items: Iterable[DigestItem],
    *,
    today: date,
    limit: int = 4000,
    thresholds: Thresholds | None = DEFAULT_THRESHOLDS,
) -> str:
    """The /tasks answer: open items overdue first, soonest first; cut with a count when too long."""
    ordered = _unique(items, today)
    if not ordered:
        return "暂无未完成的事项。🎉"
    header = f"📋 未完成事项（共{len(ordered)}项，截至{date_cn(today)}）"
    lines = [header]
    size = tg_len(header)
    for n, item in enumerate(ordered):
        line = item_line(item, today=today, content_chars=40, thresholds=thresholds)
        rest = len(ordered) - n
        tail = f"……另有{rest}项未列出。"
        # Keep room for the tail line in case a later item does not fit.
        if size + tg_len(line) + 1 + tg_len(tail) + 1 > min(limit, TELEGRAM_LIMIT - 1):
            lines.append(tail)
            break
        lines.append(line)
        size += tg_len(line) + 1
    return "\n".join(lines)


# Callback data: "<action>:<id>[:<id>]". Short, made of database ids only, so it survives restarts; each
# action has a fixed number of ids, and anything else is refused. Whether the presser may act on those
# ids is checked against the database (storage.progress.may_mark), never trusted from the data.
CALLBACK_ACTIONS: dict[str, int] = {
    "d": 2,  # done: task id, unit id
    "u": 2,  # undo: task id, unit id
    "s": 1,  # subscribe: unit id
    "x": 1,  # unsubscribe: unit id
    "a": 1,  # approve a subscription: subscription id
    "n": 1,  # deny a subscription: subscription id
}
_ID = re.compile(r"0|[1-9][0-9]{0,17}")


def make_callback(action: str, *ids: int) -> str:
    """Callback data for an action and its ids, e.g. make_callback("s", 7) == "s:7"."""
    if CALLBACK_ACTIONS.get(action) != len(ids) or any(i < 0 for i in ids):
        raise ValueError(f"bad callback: {action} {ids}")
    data = ":".join([action, *map(str, ids)])
    assert len(data.encode()) <= CALLBACK_MAX_BYTES
    return data


def done_callback(task_id: int, unit_id: int) -> str:
    """Callback data of a ✅ 完成 button: "d:12:7"."""
    return make_callback("d", task_id, unit_id)


def parse_callback(data: str) -> tuple[str, tuple[int, ...]] | None:
    """(action, ids) from callback data; None for anything not made by make_callback."""
    if not isinstance(data, str) or len(data.encode("utf-8", "replace")) > CALLBACK_MAX_BYTES:
        return None
    action, *parts = data.split(":")
    if CALLBACK_ACTIONS.get(action) != len(parts) or not all(_ID.fullmatch(p) for p in parts):
        return None
    return action, tuple(int(p) for p in parts)


# After NFKC (full-width ，；：！＃３ become ASCII): a done word, then optional item numbers, then punctuation.
_DONE_WORD = r"(?:(?:已经?)?完成了?|(?:已经?)?办结了?|done)"
_NUMBER = r"#?第?\d{1,9}[项号]?"
_SEP = r"\s*[,、;和及与]?\s*"
_DONE_REPLY = re.compile(
    rf"{_DONE_WORD}\s*:?\s*(?P<rest>{_NUMBER}(?:{_SEP}{_NUMBER})*)?\s*[。.!~～]*",
    re.IGNORECASE,
)


def parse_done_reply(text: str) -> tuple[bool, list[int]] | None:
    """A reply meaning "done": 完成 / 已完成 / done, maybe with numbers → (True, [3, 5]); else None.

    The flag is always True (the reply marks items done); an empty list means no numbers were given, so the
    caller marks the message's only item or asks which one.
    """
    if not isinstance(text, str):
        return None
    normal = unicodedata.normalize("NFKC", text).strip()
    m = _DONE_REPLY.fullmatch(normal)
    if m is None:
        return None
    numbers = [int(n) for n in re.findall(r"\d+", m["rest"] or "")]
    return True, list(dict.fromkeys(numbers))
