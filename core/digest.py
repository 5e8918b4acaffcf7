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
from collections.abc import Collection, Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from itertools import chain
from operator import attrgetter
from typing import TypeVar

from core.oversight import DEFAULT_THRESHOLDS, Thresholds, colour_of, colour_text, current_occurrence

TELEGRAM_LIMIT = 4096
# Telegram refuses inline keyboards beyond about 100 buttons; a digest message carries one button per item.
MAX_ITEMS_PER_MESSAGE = 50
CONTENT_CHARS = 60
# A task name before its content (`按时发布政府信息公开年报：根据法定期限…`) is cut to this many characters.
NAME_CHARS = 16
CALLBACK_MAX_BYTES = 64
T = TypeVar("T")

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
    # The task as shown: 任务名称：内容 when the plan names it (headline), else its content.
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


def _digest_item_init(
    self: DigestItem,
    task_id: int,
    unit_id: int,
    unit: str,
    role: str,
    seq: str,
    content: str,
    due: date,
    plan_title: str,
    kind: str,
    recurrence: str | None,
    done_occurrences: tuple[date, ...] = (),
    progress: str | None = None,
    progress_on: date | None = None,
    step: str | None = None,
) -> None:
    """DigestItem's __init__, at less than half the cost of the one dataclass writes for a frozen class.

    That one sets each field through object.__setattr__ (about 2 µs an item), and storage makes an item for
    each unit a group task reaches: 170,000 for a digest at 100,000 assignments, 700,000 for every open item
    (oversight). Setting the slots through their descriptors is the same (tests compare both over generated
    arguments); the class stays frozen. A field added to DigestItem stops the import below until it is
    added here too.
    """
    _SET_TASK_ID(self, task_id)
    _SET_UNIT_ID(self, unit_id)
    _SET_UNIT(self, unit)
    _SET_ROLE(self, role)
    _SET_SEQ(self, seq)
    _SET_CONTENT(self, content)
    _SET_DUE(self, due)
    _SET_PLAN_TITLE(self, plan_title)
    _SET_KIND(self, kind)
    _SET_RECURRENCE(self, recurrence)
    _SET_DONE_OCCURRENCES(self, done_occurrences)
    _SET_PROGRESS(self, progress)
    _SET_PROGRESS_ON(self, progress_on)
    _SET_STEP(self, step)


(
    _SET_TASK_ID,
    _SET_UNIT_ID,
    _SET_UNIT,
    _SET_ROLE,
    _SET_SEQ,
    _SET_CONTENT,
    _SET_DUE,
    _SET_PLAN_TITLE,
    _SET_KIND,
    _SET_RECURRENCE,
    _SET_DONE_OCCURRENCES,
    _SET_PROGRESS,
    _SET_PROGRESS_ON,
    _SET_STEP,
) = (vars(DigestItem)[f.name].__set__ for f in fields(DigestItem))
_dataclass_digest_item_init = DigestItem.__init__  # kept for the tests' comparison
setattr(DigestItem, "__init__", _digest_item_init)  # noqa: B010 (mypy refuses assigning to a method)


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


# Characters outside the Basic Multilingual Plane (most emoji: 🔴 📋 📌): two UTF-16 code units each.
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def tg_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units): one per character, two for one outside the BMP."""
    if text.isascii():
        return len(text)
    return len(text) + len(_ASTRAL.findall(text))


# Soonest first; ties in task then unit order, so a digest reads the same every run: (due, task id, unit id).
_sort_key = attrgetter("due", "task_id", "unit_id")


def _distinct(items: Iterable[DigestItem], today: date) -> Iterator[DigestItem]:
    """Items in the order given, one per (task, unit) (the first), recurring ones at their current occurrence."""
    seen: set[tuple[int, int]] = set()
    for item in items:
        key = (item.task_id, item.unit_id)
        if key not in seen:
            seen.add(key)
            if item.kind == "recurring" and item.recurrence:
                # A quarterly duty is due at the end of this quarter, not overdue since its first quarter;
                # once this quarter's is done, the next quarter's is the one to show.
                current = current_occurrence(item.recurrence, item.due, today, item.done_occurrences)
                item = replace(item, due=current)
            yield item


def _unique(items: Iterable[DigestItem], today: date) -> list[DigestItem]:
    """Items sorted soonest first, one per (task, unit), recurring ones at their current occurrence."""
    return sorted(_distinct(items, today), key=_sort_key)


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
    for item in _distinct(items, today):
        if item.due < today:
            overdue.append(item)
        elif item.due == today:
            due_today.append(item)
        elif item.due <= horizon:
            upcoming.append(item)
        else:
            later += 1
    # Sorting the sections, not every item: most fall later and are only counted.
    for section in (overdue, due_today, upcoming):
        section.sort(key=_sort_key)
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
    # Splitting on whitespace and joining with one space is re.sub(r"\s+", " ", text).strip(): both take
    # whitespace to be what str.isspace says (every code point checked in tests/test_digest_core.py).
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: max(limit - 1, 1)] + "…"


def headline(name: str, content: str, *, name_chars: int = NAME_CHARS) -> str:
    """任务名称：内容 — the task as a line shows it, so `根据法定期限按时发布…` says what is published.

    name is the task's name or the heading it sits under (TaskRow.category); it is left out when empty or
    when the content already opens with it, and cut to name_chars.
    """
    name = " ".join(name.split()).rstrip("：:；;，,。 ")
    if not name or " ".join(content.split()).startswith(name):
        return content
    return f"{short_text(name, name_chars)}：{content}"


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
    return LineRenderer(today=today, content_chars=content_chars, thresholds=thresholds).line(item)


# A digest line: the item's sort key (due, task id, unit id), its text and the text's Telegram length
# (measured once, whatever the chats), and the item. Lines of different (task, unit) items never tie on the
# key, so plain tuple order is digest order and merging units' lines needs no key function.
Line = tuple[date, int, int, str, int, DigestItem]


class LineRenderer:
    """Item lines for one day, with what lines share worked out once: cut contents, unit names, dates, colours.

    A digest run renders hundreds of thousands of lines, most of them for a few thousand tasks and dates;
    ``line`` gives exactly what item_line gives.
    """

    __slots__ = ("_colours", "_short", "_units", "_when", "content_chars", "thresholds", "today")

    def __init__(
        self,
        *,
        today: date,
        content_chars: int = CONTENT_CHARS,
        thresholds: Thresholds | None = DEFAULT_THRESHOLDS,
    ) -> None:
        self.today = today
        self.content_chars = content_chars
        self.thresholds = thresholds
        self._short: dict[str, str] = {}  # content → "#… {this} — …"
        self._units: dict[tuple[str, str], str] = {}  # (unit, role) → 区教育局（牵头）
        self._when: dict[date, str] = {}  # due → 截止 3月31日 周二 · 逾期5天
        self._colours: dict[tuple[date, date | None], str] = {}  # (due, last progress) → "🔴红 " or ""

    def line(self, item: DigestItem) -> str:
        """The item's line (see item_line)."""
        today, thresholds = self.today, self.thresholds
        short = self._short.get(item.content)
        if short is None:
            short = self._short[item.content] = short_text(item.content, self.content_chars)
        unit = self._units.get((item.unit, item.role))
        if unit is None:
            role = ROLE_CN.get(item.role, item.role)
            unit = self._units[item.unit, item.role] = f"{item.unit}（{role}）" if role else item.unit
        when = self._when.get(item.due)
        if when is None:
            when = self._when[item.due] = (
                f"截止 {date_cn(item.due, today=today)} {weekday_cn(item.due)} · {days_left_text(item.due, today)}"
            )
        # A full-width parenthesis already carries its own space.
        line = f"{short} — {unit}{'· ' if unit.endswith('）') else ' · '}{when}"
        if item.recurrence:
            line += f" · {RECURRENCE_CN.get(item.recurrence, item.recurrence)}"
        if item.step:
            line += f" · {short_text(item.step, 30)}"
        if thresholds is None:
            return f"#{item.task_id} {line}"
        if item.progress:
            line += f" · 进度（{date_cn(item.progress_on or today)}）：{short_text(item.progress, 30)}"
        colour = self._colours.get((item.due, item.progress_on))
        if colour is None:
            found = colour_of(item.due, today, last_progress=item.progress_on, thresholds=thresholds)
            # The colour goes after "#12 " so replies and the ✅ edit still find the line by its number.
            colour = self._colours[item.due, item.progress_on] = f"{colour_text(found)} " if found else ""
        return f"#{item.task_id} {colour}{line}"

    def digest_line(self, item: DigestItem, limit: int) -> Line:
        """The item's line in a digest below limit, and its Telegram length."""
        line = self.line(item)
        size = tg_len(line)
        if size > limit // 2:
            # Only a pathological unit name or plan can get here; keep the item whole but shorter.
            line = short_text(line, limit // 2)
            size = tg_len(line)
        return item.due, item.task_id, item.unit_id, line, size, item


def _pack(
    header: str,
    continued_header: str,
    sections: Sequence[tuple[str, Sequence[Line]]],
    footer: str,
    *,
    limit: int,
    max_items: int,
) -> list[OutMessage]:
    """Lay sections out over as few messages as fit limit, cutting only between items.

    Sizes count each line's Telegram length and its newline.
    """
    messages: list[OutMessage] = []
    lines: list[str] = [header]
    carried: list[DigestItem] = []
    size = tg_len(header)
    continued_size = tg_len(continued_header)
    for title, section in sections:
        title_size = 1 + tg_len(title) + 1  # the empty line before it, then the title
        first = True
        for _, _, _, line, line_size, item in section:
            extra = (title_size if first else 0) + line_size + 1
            if carried and (len(carried) >= max_items or size + extra > limit):
                messages.append(OutMessage("\n".join(lines), tuple(carried)))
                lines, carried, size = [continued_header], [], continued_size
                again = title if first else f"{title}（续）"
                lines.extend(["", again])
                size += 1 + tg_len(again) + 1
            elif first:
                lines.extend(["", title])
                size += title_size
            lines.append(line)
            size += line_size + 1
            carried.append(item)
            first = False
    if footer:
        if size + 1 + tg_len(footer) + 1 > limit:
            messages.append(OutMessage("\n".join(lines), tuple(carried)))
            lines, carried = [continued_header], []
        lines.extend(["", footer])
    messages.append(OutMessage("\n".join(lines), tuple(carried)))
    return messages


def _frame(
    day: date, window_days: int, sections: Sequence[Sequence[T]], later_count: int
) -> tuple[str, str, list[tuple[str, Sequence[T]]], str]:
    """A digest's header, its continuations' header, its non-empty sections (overdue, due today, upcoming)
    with their titles, and its footer."""
    overdue, due_today, upcoming = sections
    total = len(overdue) + len(due_today) + len(upcoming)
    header = f"📋 督办提醒 · {date_cn(day)} {weekday_cn(day)}（共{total}项待办）"
    continued = f"📋 督办提醒 · {date_cn(day)}（续）"
    titled = [
        (f"⚠️ 已逾期（{len(overdue)}项）", overdue),
        (f"📌 今日到期（{len(due_today)}项）", due_today),
        (f"🗓 {window_days}日内到期（{len(upcoming)}项）", upcoming),
    ]
    footer_lines = []
    if later_count:
        footer_lines.append(f"另有{later_count}项在{window_days}日后到期，发送 /tasks 查看全部。")
    footer_lines.append("办完后点下方“✅ 完成”，或回复本消息“完成 编号”（如：完成 12）。")
    return header, continued, [(t, items) for t, items in titled if items], "\n".join(footer_lines)


def render_digest(
    d: Digest, *, limit: int = 4000, max_items: int = MAX_ITEMS_PER_MESSAGE
) -> list[OutMessage]:
    """The digest as messages below limit (and Telegram's 4096), split between items; [] when empty."""
    if d.is_empty:
        return []
    limit = min(limit, TELEGRAM_LIMIT - 1)
    renderer = LineRenderer(today=d.day, thresholds=d.thresholds)
    lines = [
        [renderer.digest_line(i, limit) for i in items] for items in (d.overdue, d.due_today, d.upcoming)
    ]
    header, continued, sections, footer = _frame(d.day, d.window_days, lines, d.later_count)
    return _pack(header, continued, sections, footer, limit=limit, max_items=max_items)


class DigestComposer:
    """Digests for many chats at once, each following a set of units: what chats share is done once.

    Each unit's items are selected once, when the unit is added, and the lines shown rendered (and
    measured) once, when a set first needs them; each distinct set of units is composed once, and every
    chat following that set gets the same messages. ``messages(units)`` equals
    render_digest(select_digest(every item of those units, …)) — the composer is for one day and one
    configuration, so the set of unit ids alone keys what it has composed.
    A unit's items must carry its id (DigestItem.unit_id), as storage.digest returns them.
    """

    __slots__ = ("_composed", "_lines", "_renderer", "_selected", "limit", "max_items", "thresholds", "today")

    def __init__(
        self,
        *,
        today: date,
        window_days: int = 7,
        yellow_days: int = 3,
        fresh_days: int = 7,
        limit: int = 4000,
        max_items: int = MAX_ITEMS_PER_MESSAGE,
    ) -> None:
        if window_days < 0:
            raise ValueError("window_days must not be negative")
        self.today = today
        self.thresholds = Thresholds(window_days, yellow_days, fresh_days)
        self.limit = min(limit, TELEGRAM_LIMIT - 1)
        self.max_items = max_items
        self._renderer = LineRenderer(today=today, thresholds=self.thresholds)
        self._selected: dict[int, Digest] = {}  # unit id → its items selected, lines not rendered yet
        # unit id → its overdue, due-today and upcoming lines, and how many items fall later.
        self._lines: dict[int, tuple[list[Line], list[Line], list[Line], int]] = {}
        self._composed: dict[frozenset[int], list[OutMessage]] = {}

    def add_unit(self, unit_id: int, items: Iterable[DigestItem], later: int = 0) -> None:
        """Select one unit's open items; the items not shown are not kept.

        later counts more of the unit's items known to fall after the window (listed nowhere).
        """
        t = self.thresholds
        d = select_digest(
            items,
            today=self.today,
            window_days=t.window_days,
            yellow_days=t.yellow_days,
            fresh_days=t.fresh_days,
        )
        self._lines.pop(unit_id, None)
        self._selected[unit_id] = replace(d, later_count=d.later_count + later) if later else d

    def messages(self, unit_ids: Iterable[int]) -> list[OutMessage]:
        """The digest of a chat following unit_ids ([] when it has nothing to say), composed once per set."""
        key = frozenset(unit_ids)
        messages = self._composed.get(key)
        if messages is None:
            messages = self._composed[key] = self._compose(key)
        return messages

    def forget_unit(self, unit_id: int) -> None:
        """Drop a unit (sets already composed keep their messages): a big run need not keep every line."""
        self._selected.pop(unit_id, None)
        self._lines.pop(unit_id, None)

    def _lines_of(self, unit_id: int) -> tuple[list[Line], list[Line], list[Line], int] | None:
        lines = self._lines.get(unit_id)
        if lines is None:
            d = self._selected.pop(unit_id, None)
            if d is None:
                return None
            line = self._renderer.digest_line
            limit = self.limit
            lines = self._lines[unit_id] = (
                [line(i, limit) for i in d.overdue],
                [line(i, limit) for i in d.due_today],
                [line(i, limit) for i in d.upcoming],
                d.later_count,
            )
        return lines

    def _compose(self, unit_ids: frozenset[int]) -> list[OutMessage]:
        parts = [lines for u in unit_ids if (lines := self._lines_of(u)) is not None]
        if len(parts) == 1:
            overdue, due_today, upcoming, later = parts[0]
        else:
            # Each unit's sections are sorted and no (task, unit) is in two units: a merge keeps the order.
            overdue = sorted(chain.from_iterable(p[0] for p in parts))
            due_today = sorted(chain.from_iterable(p[1] for p in parts))
            upcoming = sorted(chain.from_iterable(p[2] for p in parts))
            later = sum(p[3] for p in parts)
        if not (overdue or due_today or upcoming):
            return []
        header, continued, sections, footer = _frame(
            self.today, self.thresholds.window_days, (overdue, due_today, upcoming), later
        )
        return _pack(header, continued, sections, footer, limit=self.limit, max_items=self.max_items)


def compose_digests(
    chat_units: Mapping[int, Collection[int]],
    unit_items: MutableMapping[int, list[DigestItem]],
    *,
    later: Mapping[int, int] | None = None,
    today: date,
    window_days: int = 7,
    yellow_days: int = 3,
    fresh_days: int = 7,
    limit: int = 4000,
    max_items: int = MAX_ITEMS_PER_MESSAGE,
) -> dict[int, list[OutMessage]]:
    """Every chat's digest messages from the units it follows, chats with nothing to say left out.

    The same messages as render_digest(select_digest(…)) over each chat's items, with the work chats share
    done once (see DigestComposer); later counts each unit's items due after the window that unit_items
    leaves out (storage.digest.followed_units with listed_until). unit_items (unit id → its open items) is
    emptied as it goes, so the items no digest shows are freed as soon as their unit is selected; a unit's
    lines are rendered for the first set of units containing it and go once the last one is composed.
    Chats following the same units get equal lists of the same messages.
    """
    composer = DigestComposer(
        today=today,
        window_days=window_days,
        yellow_days=yellow_days,
        fresh_days=fresh_days,
        limit=limit,
        max_items=max_items,
    )
    later = later or {}
    for unit_id in later.keys() - unit_items.keys():
        composer.add_unit(unit_id, (), later[unit_id])
    while unit_items:
        unit_id, items = unit_items.popitem()
        composer.add_unit(unit_id, items, later.get(unit_id, 0))
    sets: dict[frozenset[int], list[int]] = {}
    for chat_id, units in chat_units.items():
        sets.setdefault(frozenset(units), []).append(chat_id)
    uses: dict[int, int] = {}
    for units in sets:
        for u in units:
            uses[u] = uses.get(u, 0) + 1
    out: dict[int, list[OutMessage]] = {}
    # Sets in the order of their first unit, each unit dropped after its last set: few units' lines are
    # held at any time.
    for units, chats in sorted(sets.items(), key=lambda set_chats: min(set_chats[0], default=0)):
        messages = composer.messages(units)
        if messages:
            for chat_id in chats:
                out[chat_id] = list(messages)
        for u in units:
            uses[u] -= 1
            if not uses[u]:
                composer.forget_unit(u)
    return dict(sorted(out.items()))


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
    renderer = LineRenderer(today=today, content_chars=40, thresholds=thresholds)
    for n, item in enumerate(ordered):
        line = renderer.line(item)
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
