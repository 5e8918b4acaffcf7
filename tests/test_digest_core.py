"""core.digest: selection by a fixed today, rendering, splitting, callback data and reply parsing."""

from __future__ import annotations

import re
import sys
from dataclasses import FrozenInstanceError
from dataclasses import replace as dc_replace
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.digest import (
    RECURRENCE_CN,
    ROLE_CN,
    TELEGRAM_LIMIT,
    Digest,
    DigestComposer,
    DigestItem,
    OutMessage,
    _dataclass_digest_item_init,
    compose_digests,
    date_cn,
    days_left_text,
    done_callback,
    headline,
    item_line,
    make_callback,
    parse_callback,
    parse_done_reply,
    render_digest,
    render_task_list,
    select_digest,
    short_text,
    tg_len,
    weekday_cn,
)
from core.oversight import DEFAULT_THRESHOLDS, Thresholds, colour_of, colour_text, current_occurrence

TODAY = date(2026, 3, 25)  # a Wednesday


def item(
    task_id: int, due: date, *, unit_id: int = 1, unit: str = "区教育局", role: str = "lead", **kw
) -> DigestItem:
    fields: dict[str, Any] = {
        "seq": str(task_id),
        "content": f"第{task_id}项：整理并更新政府信息公开栏目",
        "plan_title": "测试工作要点",
        "kind": "fixed",
        "recurrence": None,
    }
    fields.update(kw)
    return DigestItem(task_id=task_id, unit_id=unit_id, unit=unit, role=role, due=due, **fields)


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


@pytest.mark.parametrize(
    ("offset", "window", "section"),
    [
        (-30, 7, "overdue"),
        (-1, 7, "overdue"),
        (0, 7, "due_today"),
        (1, 7, "upcoming"),
        (7, 7, "upcoming"),
        (8, 7, "later"),
        (3, 3, "upcoming"),
        (4, 3, "later"),
        (1, 0, "later"),
        (0, 0, "due_today"),
        (400, 7, "later"),
    ],
)
def test_section_boundaries(offset: int, window: int, section: str) -> None:
    d = select_digest([item(1, days(offset))], today=TODAY, window_days=window)
    got = {
        "overdue": len(d.overdue),
        "due_today": len(d.due_today),
        "upcoming": len(d.upcoming),
        "later": d.later_count,
    }
    assert got == {k: int(k == section) for k in got}
    assert d.is_empty == (section == "later")


def test_sections_are_sorted_soonest_first_and_deduplicated() -> None:
    items = [
        item(5, days(3)),
        item(2, days(-1)),
        item(9, days(-10)),
        item(3, days(3), unit_id=2, unit="区民政局"),
        item(3, days(3)),
        item(5, days(3)),  # the same (task, unit) twice: shown once
        item(7, days(0)),
        item(8, days(20)),
        item(4, days(20)),
    ]
    d = select_digest(items, today=TODAY)
    assert [(i.task_id, i.unit_id) for i in d.overdue] == [(9, 1), (2, 1)]
    assert [i.task_id for i in d.due_today] == [7]
    assert [(i.task_id, i.unit_id) for i in d.upcoming] == [(3, 1), (3, 2), (5, 1)]
    assert d.later_count == 2
    assert d.items == d.overdue + d.due_today + d.upcoming


@pytest.mark.parametrize(
    "items",
    [
        [],
        [item(1, days(8))],
        [item(1, days(30)), item(2, days(90))],
    ],
)
def test_empty_digest_sends_nothing(items: list[DigestItem]) -> None:
    d = select_digest(items, today=TODAY)
    assert d.is_empty
    assert render_digest(d) == []


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (days(0), "今天到期"),
        (days(1), "还有1天"),
        (days(3), "还有3天"),
        (days(-2), "逾期2天"),
        (days(-365), "逾期365天"),
    ],
)
def test_days_left_text(due: date, expected: str) -> None:
    assert days_left_text(due, TODAY) == expected


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2026, 3, 23), "周一"),
        (date(2026, 3, 25), "周三"),
        (date(2026, 3, 28), "周六"),
        (date(2026, 3, 29), "周日"),
    ],
)
def test_weekday_cn(d: date, expected: str) -> None:
    assert weekday_cn(d) == expected


@pytest.mark.parametrize(
    ("it", "expected"),
    [
        (
            item(12, date(2026, 3, 20), content="报送年度报告"),
            "#12 🔴红 报送年度报告 — 区教育局（牵头）· 截止 3月20日 周五 · 逾期5天",
        ),
        (
            item(3, date(2026, 3, 31), role="support", content="更新专栏", recurrence="quarterly"),
            "#3 🔵蓝 更新专栏 — 区教育局（配合）· 截止 3月31日 周二 · 还有6天 · 每季度",
        ),
        (
            item(4, date(2027, 1, 5), role="owner", content="整理\n目录"),
            "#4 整理 目录 — 区教育局（负责）· 截止 2027年1月5日 周二 · 还有286天",
        ),
        (
            item(5, TODAY, content="甲" * 100),
            f"#5 🟡黄 {'甲' * 59}… — 区教育局（牵头）· 截止 3月25日 周三 · 今天到期",
        ),
    ],
)
def test_item_line(it: DigestItem, expected: str) -> None:
    assert item_line(it, today=TODAY) == expected


def test_render_small_digest() -> None:
    items = [item(2, days(-3), content="公开预算"), item(6, days(0), content="报送材料"), item(8, days(2))]
    d = select_digest([*items, item(9, days(40))], today=TODAY)
    [msg] = render_digest(d)
    assert msg.items == tuple(items)
    lines = msg.text.splitlines()
    assert lines[0] == "📋 督办提醒 · 3月25日 周三（共3项待办）"
    assert (
        lines.index("⚠️ 已逾期（1项）") < lines.index("📌 今日到期（1项）") < lines.index("🗓 7日内到期（1项）")
    )
    assert "#2 🔴红 公开预算 — 区教育局（牵头）· 截止 3月22日 周日 · 逾期3天" in lines
    assert "另有1项在7日后到期，发送 /tasks 查看全部。" in lines
    assert "已逾期" in msg.text and "今日到期" in msg.text


def test_render_leaves_out_empty_sections_and_later_line() -> None:
    d = select_digest([item(1, days(1))], today=TODAY)
    [msg] = render_digest(d)
    assert "已逾期" not in msg.text and "今日到期" not in msg.text and "另有" not in msg.text


@pytest.mark.parametrize(
    ("count", "limit", "max_items"),
    [(300, 4000, 50), (300, 4000, 1000), (120, 1500, 50), (49, 4000, 50), (51, 4000, 50), (400, 9999, 1000)],
)
def test_long_digest_splits_between_items(count: int, limit: int, max_items: int) -> None:
    items = [
        item(
            i,
            days(i % 15 - 5),
            unit_id=i % 3,
            unit=f"区第{i % 3}局",
            content=f"任务{i}：" + "落实公开要求" * 12,
        )
        for i in range(1, count + 1)
    ]
    d = select_digest(items, today=TODAY)
    messages = render_digest(d, limit=limit, max_items=max_items)
    assert len(messages) >= -(-count // max_items)
    carried = [i for m in messages for i in m.items]
    assert carried == list(d.items)  # every item once, in order
    for m in messages:
        assert tg_len(m.text) < TELEGRAM_LIMIT and tg_len(m.text) <= limit
        assert len(m.items) <= max_items
        # No item is cut: each carried item's full line is in its own message's text.
        for it in m.items:
            assert item_line(it, today=TODAY) in m.text.splitlines()
    assert "另有" in messages[-1].text or d.later_count == 0
    assert all("（续）" in m.text.splitlines()[0] for m in messages[1:])


def test_split_repeats_section_title_as_continued() -> None:
    items = [item(i, days(-1)) for i in range(1, 80)]
    messages = render_digest(select_digest(items, today=TODAY), max_items=50)
    assert [len(m.items) for m in messages] == [50, 29]
    assert "⚠️ 已逾期（79项）（续）" in messages[1].text.splitlines()


def test_emoji_count_twice_toward_the_limit() -> None:
    assert tg_len("📋") == 2 and tg_len("完成") == 2 and tg_len("a") == 1


def test_task_list_orders_overdue_first_and_handles_empty() -> None:
    assert render_task_list([], today=TODAY) == "暂无未完成的事项。🎉"
    text = render_task_list([item(3, days(10)), item(4, days(-2)), item(5, days(0))], today=TODAY)
    lines = text.splitlines()
    assert lines[0].startswith("📋 未完成事项（共3项")
    assert [ln.split()[0] for ln in lines[1:]] == ["#4", "#5", "#3"]
    assert "逾期2天" in lines[1] and "3月23日 周一" in lines[1] and "（牵头）" in lines[1]
    assert "还有10天" in lines[3]


def test_task_list_is_cut_with_a_count_below_the_limit() -> None:
    items = [item(i, days(i)) for i in range(1, 200)]
    text = render_task_list(items, today=TODAY, limit=2000)
    assert tg_len(text) <= 2000
    lines = text.splitlines()
    shown = len(lines) - 2
    assert lines[-1] == f"……另有{199 - shown}项未列出。"


@pytest.mark.parametrize(("task_id", "unit_id"), [(12, 7), (0, 0), (10**15, 10**15 + 1)])
def test_done_callback_round_trip(task_id: int, unit_id: int) -> None:
    data = done_callback(task_id, unit_id)
    assert len(data.encode()) <= 64
    assert parse_callback(data) == ("d", (task_id, unit_id))


def test_done_callback_format_is_stable() -> None:
    assert done_callback(12, 7) == "d:12:7"
    assert make_callback("s", 5) == "s:5"
    assert parse_callback("a:3") == ("a", (3,))


@pytest.mark.parametrize(
    "data",
    [
        "",
        "d",
        "d:12",
        "d:12:7:1",
        "d:12:x",
        "d:-1:7",
        "d:012:7",
        "d: 12:7",
        "d:12:7 ",
        "q:12:7",
        "D:12:7",
        "d:１２:7",
        "s:1:2",
        "d:12:" + "9" * 40,
        "d:" + "1" * 70,
        "x" * 65,
        "d:12:7\n",
    ],
)
def test_forged_callback_data_is_refused(data: str) -> None:
    assert parse_callback(data) is None


@pytest.mark.parametrize(("action", "ids"), [("d", (1,)), ("s", (1, 2)), ("zz", (1,)), ("d", (-1, 2))])
def test_make_callback_refuses_bad_input(action: str, ids: tuple[int, ...]) -> None:
    with pytest.raises(ValueError):
        make_callback(action, *ids)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("完成", (True, [])),
        ("已完成", (True, [])),
        ("已经完成了", (True, [])),
        ("完成了！", (True, [])),
        ("done", (True, [])),
        ("Done.", (True, [])),
        ("  完成。 ", (True, [])),
        ("完成 3 5", (True, [3, 5])),
        ("完成3、5", (True, [3, 5])),
        ("完成3,5", (True, [3, 5])),
        ("已完成：12，15；18", (True, [12, 15, 18])),
        ("完成 #3 #5", (True, [3, 5])),
        ("完成 ＃３", (True, [3])),
        ("完成第3项", (True, [3])),
        ("完成 3和5", (True, [3, 5])),
        ("done 7", (True, [7])),
        ("完成 3 3", (True, [3])),
        ("已办结 4", (True, [4])),
    ],
)
def test_done_reply_is_parsed(text: str, expected: tuple[bool, list[int]]) -> None:
    assert parse_done_reply(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "好的",
        "没完成",
        "未完成",
        "完成了吗？",
        "完成情况如何",
        "done?",
        "完成 abc",
        "请尽快完成 3",
        "3 完成",
        "完成 3 号文件",
    ],
)
def test_other_replies_are_not_done(text: str) -> None:
    assert parse_done_reply(text) is None


def test_digest_dataclass_is_empty_flag() -> None:
    assert Digest(TODAY, (), (), (), 4).is_empty
    assert not Digest(TODAY, (), (item(1, TODAY),), (), 0).is_empty


def test_recurring_items_show_their_current_occurrence() -> None:
    quarterly = item(1, date(2025, 12, 31), kind="recurring", recurrence="quarterly")
    monthly = item(2, date(2026, 1, 31), kind="recurring", recurrence="monthly")
    fixed = item(3, date(2026, 1, 31))
    d = select_digest([quarterly, monthly, fixed], today=TODAY)
    assert [(i.task_id, i.due) for i in d.overdue] == [(3, date(2026, 1, 31))]
    assert [(i.task_id, i.due) for i in d.upcoming] == [(1, date(2026, 3, 31)), (2, date(2026, 3, 31))]
    listing = render_task_list([quarterly], today=TODAY)
    assert "3月31日" in listing and "逾期" not in listing


# --------------------------------------------------------------------------- the fast composition
# The rendering as it was before digests were composed once per set of units (commit 1d1d0c7), kept here
# as the reference: every message's text and items must stay byte for byte the same.


def reference_tg_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def reference_short_text(text: str, limit: int = 60) -> str:
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[: max(limit - 1, 1)] + "…"


def reference_item_line(
    item: DigestItem,
    *,
    today: date,
    content_chars: int = 60,
    thresholds: Thresholds | None = DEFAULT_THRESHOLDS,
) -> str:
    role = ROLE_CN.get(item.role, item.role)
    unit = f"{item.unit}（{role}）" if role else item.unit
    parts = [
        f"#{item.task_id} {reference_short_text(item.content, content_chars)} — {unit}",
        f"截止 {date_cn(item.due, today=today)} {weekday_cn(item.due)}",
        days_left_text(item.due, today),
    ]
    if item.recurrence:
        parts.append(RECURRENCE_CN.get(item.recurrence, item.recurrence))
    if item.step:
        parts.append(reference_short_text(item.step, 30))
    if thresholds is not None and item.progress:
        parts.append(
            f"进度（{date_cn(item.progress_on or today)}）：{reference_short_text(item.progress, 30)}"
        )
    head_sep = "· " if parts[0].endswith("）") else " · "
    line = parts[0] + head_sep + " · ".join(parts[1:])
    if thresholds is not None:
        colour = colour_of(item.due, today, last_progress=item.progress_on, thresholds=thresholds)
        if colour:
            line = f"#{item.task_id} {colour_text(colour)} " + line[len(f"#{item.task_id} ") :]
    return line


def reference_select(items: list[DigestItem], *, today: date, window_days: int = 7) -> Digest:
    seen: set[tuple[int, int]] = set()
    unique: list[DigestItem] = []
    for it in items:
        if (it.task_id, it.unit_id) not in seen:
            seen.add((it.task_id, it.unit_id))
            if it.kind == "recurring" and it.recurrence:
                it = dc_replace(it, due=current_occurrence(it.recurrence, it.due, today, it.done_occurrences))
            unique.append(it)
    unique.sort(key=lambda i: (i.due, i.task_id, i.unit_id))
    horizon = today + timedelta(days=window_days)
    overdue = tuple(i for i in unique if i.due < today)
    due_today = tuple(i for i in unique if i.due == today)
    upcoming = tuple(i for i in unique if today < i.due <= horizon)
    return Digest(today, overdue, due_today, upcoming, sum(i.due > horizon for i in unique), window_days)


def reference_render(d: Digest, *, limit: int = 4000, max_items: int = 50) -> list[tuple[str, tuple]]:
    if d.is_empty:
        return []
    limit = min(limit, TELEGRAM_LIMIT - 1)
    items = d.overdue + d.due_today + d.upcoming
    header = f"📋 督办提醒 · {date_cn(d.day)} {weekday_cn(d.day)}（共{len(items)}项待办）"
    continued_header = f"📋 督办提醒 · {date_cn(d.day)}（续）"
    sections = [
        (f"⚠️ 已逾期（{len(d.overdue)}项）", d.overdue),
        (f"📌 今日到期（{len(d.due_today)}项）", d.due_today),
        (f"🗓 {d.window_days}日内到期（{len(d.upcoming)}项）", d.upcoming),
    ]
    footer_lines = []
    if d.later_count:
        footer_lines.append(f"另有{d.later_count}项在{d.window_days}日后到期，发送 /tasks 查看全部。")
    footer_lines.append("办完后点下方“✅ 完成”，或回复本消息“完成 编号”（如：完成 12）。")
    footer = "\n".join(footer_lines)
    messages: list[tuple[str, tuple]] = []
    lines, size = [header], reference_tg_len(header)
    carried: list[DigestItem] = []

    def fits(extra: list[str]) -> bool:
        return size + sum(reference_tg_len(x) + 1 for x in extra) <= limit

    for title, section in sections:
        first = True
        for it in section:
            line = reference_item_line(it, today=d.day, thresholds=d.thresholds)
            if reference_tg_len(line) > limit // 2:
                line = reference_short_text(line, limit // 2)
            head = ["", title] if first and section else []
            if carried and (len(carried) >= max_items or not fits([*head, line])):
                messages.append(("\n".join(lines), tuple(carried)))
                lines, carried, size = [continued_header], [], reference_tg_len(continued_header)
                head = ["", title if first else f"{title}（续）"]
            lines.extend([*head, line])
            size += sum(reference_tg_len(x) + 1 for x in [*head, line])
            carried.append(it)
            first = False
    if not fits(["", footer]):
        messages.append(("\n".join(lines), tuple(carried)))
        lines, carried = [continued_header], []
    lines.extend(["", footer])
    messages.append(("\n".join(lines), tuple(carried)))
    return messages


def as_pairs(messages: list[OutMessage]) -> list[tuple[str, tuple]]:
    return [(m.text, m.items) for m in messages]


# Text that stresses the rendering: CJK, ASCII, every kind of whitespace, emoji (two UTF-16 units each),
# full-width parentheses at the end of a unit name.
awkward_text = st.text(
    st.sampled_from([*"甲乙办理公开ab1 \t\n\u3000\xa0\u2028（）·—…", "📋", "🔴", "\U0002a6a5", "\ufe0f"]),
    max_size=90,
)


@st.composite
def digest_items(draw: st.DrawFn, unit_ids: tuple[int, ...] = (1, 2, 3)) -> list[DigestItem]:
    """Open items of a few units, as storage lists them: one per (task, unit), any order of dates."""
    names = {
        u: draw(st.sampled_from(["区教育局", "单位（甲）", "A", "很长的单位名" * 30, ""])) for u in unit_ids
    }
    out = []
    for task_id in draw(st.sets(st.integers(1, 60), max_size=25)):
        content = draw(awkward_text)
        due = TODAY + timedelta(days=draw(st.integers(-400, 30)))
        recurring = draw(st.sampled_from([None, None, None, "monthly", "quarterly", "weird"]))
        for unit_id in draw(st.sets(st.sampled_from(unit_ids), min_size=1)):
            progress_on = draw(st.none() | st.dates(TODAY - timedelta(days=20), TODAY))
            out.append(
                DigestItem(
                    task_id,
                    unit_id,
                    names[unit_id],
                    draw(st.sampled_from(["lead", "support", "owner", "", "其他"])),
                    str(task_id),
                    content,
                    due,
                    "计划",
                    "recurring" if recurring else "fixed",
                    recurring,
                    done_occurrences=(),
                    progress=draw(st.none() | awkward_text) if progress_on else None,
                    progress_on=progress_on,
                    step=draw(st.none() | awkward_text),
                )
            )
    return out


@given(st.text(st.characters(codec="utf-8"), max_size=200))
def test_telegram_length_is_utf16_code_units(text: str) -> None:
    assert tg_len(text) == reference_tg_len(text)


@given(awkward_text | st.text(st.characters(codec="utf-8")), st.integers(1, 80))
def test_short_text_is_the_regex_cleanup(text: str, limit: int) -> None:
    assert short_text(text, limit) == reference_short_text(text, limit)


def test_whitespace_is_the_same_for_split_and_the_regex_on_every_code_point() -> None:
    space = re.compile(r"\s")
    assert all(bool(space.match(chr(c))) == chr(c).isspace() for c in range(sys.maxunicode + 1))


@settings(max_examples=60, deadline=None)
@given(digest_items(), st.sampled_from([4000, 1500, 300, 9999]), st.sampled_from([50, 3, 1000]))
def test_lines_and_messages_are_what_they_were(items: list[DigestItem], limit: int, max_items: int) -> None:
    for it in items:
        for thresholds in (DEFAULT_THRESHOLDS, None, Thresholds(5, 2, 3)):
            assert item_line(it, today=TODAY, thresholds=thresholds) == reference_item_line(
                it, today=TODAY, thresholds=thresholds
            )
        assert item_line(it, today=TODAY, content_chars=40) == reference_item_line(
            it, today=TODAY, content_chars=40
        )
    d = select_digest(items, today=TODAY)
    assert d == reference_select(items, today=TODAY)
    assert as_pairs(render_digest(d, limit=limit, max_items=max_items)) == reference_render(
        d, limit=limit, max_items=max_items
    )


@given(
    st.integers(0, 10**12),
    st.integers(0, 10**12),
    awkward_text,
    st.none() | st.sampled_from(["monthly", "x"]),
    st.tuples(st.dates()),
    st.none() | awkward_text,
)
def test_digest_items_are_built_as_the_dataclass_builds_them(
    task_id: int,
    unit_id: int,
    text: str,
    recurrence: str | None,
    occurrences: tuple[date, ...],
    step: str | None,
) -> None:
    args = (task_id, unit_id, text, "lead", "1", text, TODAY, "计划", "fixed", recurrence)
    expected = object.__new__(DigestItem)
    _dataclass_digest_item_init(expected, *args, occurrences, text, TODAY, step)
    assert DigestItem(*args, occurrences, text, TODAY, step) == expected
    assert (
        DigestItem(*args, done_occurrences=occurrences, progress=text, progress_on=TODAY, step=step)
        == expected
    )
    short = object.__new__(DigestItem)
    _dataclass_digest_item_init(short, *args)
    assert DigestItem(*args) == short and hash(DigestItem(*args)) == hash(short)
    with pytest.raises(FrozenInstanceError):
        expected.task_id = 1  # type: ignore[misc]


UNITS = (1, 2, 3, 4, 5)


@settings(max_examples=60, deadline=None)
@given(
    digest_items(UNITS),
    st.dictionaries(
        st.integers(1, 40), st.lists(st.sampled_from(UNITS), min_size=1, max_size=4), max_size=12
    ),
    st.sampled_from([0, 3, 7]),
    st.sampled_from([4000, 700]),
    st.booleans(),
)
def test_composing_once_per_set_of_units_gives_each_chat_what_composing_it_alone_gives(
    items: list[DigestItem], chat_units: dict[int, list[int]], window: int, limit: int, count_later: bool
) -> None:
    per_unit = {u: [i for i in items if i.unit_id == u] for u in UNITS}
    alone = {}
    for chat, units in chat_units.items():
        chat_items = [i for u in units for i in per_unit[u]]
        messages = render_digest(select_digest(chat_items, today=TODAY, window_days=window), limit=limit)
        if messages:
            alone[chat] = as_pairs(messages)
    later: dict[int, int] = {}
    if count_later:
        # As storage.digest lists them with listed_until: one-off items after the window only counted.
        horizon = TODAY + timedelta(days=window)
        for u in UNITS:
            later[u] = sum(1 for i in per_unit[u] if not i.recurrence and i.due > horizon)
            per_unit[u] = [i for i in per_unit[u] if i.recurrence or i.due <= horizon]
    composed = compose_digests(
        chat_units, per_unit, later=later, today=TODAY, window_days=window, limit=limit
    )
    assert not per_unit  # emptied as it went
    assert list(composed) == sorted(alone)
    assert {chat: as_pairs(m) for chat, m in composed.items()} == alone


def test_chats_following_the_same_units_share_the_messages_composed_once() -> None:
    items = [item(1, days(-2)), item(2, days(1), unit_id=2, unit="区民政局"), item(3, days(30))]
    composer = DigestComposer(today=TODAY)
    composer.add_unit(1, [i for i in items if i.unit_id == 1])
    composer.add_unit(2, [i for i in items if i.unit_id == 2])
    both = composer.messages([1, 2])
    assert composer.messages((2, 1, 2)) is both
    assert as_pairs(both) == as_pairs(render_digest(select_digest(items, today=TODAY)))
    assert composer.messages([1]) is not both and composer.messages([3]) == []
    composed = compose_digests({7: [1, 2], 8: [2, 1], 9: [1]}, {1: items[::2], 2: items[1:2]}, today=TODAY)
    assert composed[7] == composed[8] and all(a is b for a, b in zip(composed[7], composed[8], strict=True))
    assert composed[9] != composed[7]


@pytest.mark.parametrize(
    ("name", "content", "shown"),
    [
        # The seed's row 8: a content that does not say what is published gets its task name in front.
        (
            "按时发布政府信息公开年报",
            "根据法定期限按时发布",
            "按时发布政府信息公开年报：根据法定期限按时发布",
        ),
        ("", "做好政策解读", "做好政策解读"),  # no name
        ("  \n", "做好政策解读", "做好政策解读"),  # blank name
        ("政策解读", "政策解读要及时", "政策解读要及时"),  # the content already opens with it
        ("政策 解读", "政策解读要及时", "政策 解读：政策解读要及时"),  # not the same words, so kept
        ("决策公开：", "推进决策预公开", "决策公开：推进决策预公开"),  # its own colon is not doubled
        ("一二三四五六七八九十一二三四五六七", "内容", "一二三四五六七八九十一二三四五…：内容"),  # cut to 16
        ("重点领域\n信息公开", "发布", "重点领域 信息公开：发布"),  # one line
    ],
)
def test_headline(name: str, content: str, shown: str) -> None:
    assert headline(name, content) == shown
