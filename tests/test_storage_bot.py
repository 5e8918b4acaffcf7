"""Storage for the bot on a temporary SQLite file: subscriptions, routing, completions and the ledger."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session, select

from storage import crud, ledger, oversight, progress, subscriptions
from storage.db import session_scope
from storage.digest import group_routes_for, items_by_unit, open_items
from storage.models import (
    AssignmentRow,
    CompletionRow,
    DeliveryRow,
    ExtensionRow,
    PlanRow,
    SubscriptionRow,
    TaskRow,
    UnitRow,
)

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 25, 9, 0, tzinfo=TZ)
DAY = date(2026, 3, 25)
ALL = frozenset({"department", "town", "street", "other"})
ROUTES = {"各单位": ALL, "区政府各部门": frozenset({"department"}), "各街镇": frozenset({"town", "street"})}

UNITS = {
    "区教育局": ("department", False),
    "区民政局": ("department", False),
    "东湖镇": ("town", False),
    "西山街道": ("street", False),
    "区融媒体中心": ("other", False),
    "各单位": ("group", True),
    "区政府各部门": ("group", True),
    "各街镇": ("group", True),
}
# task id → (due, [(unit, role)])
TASKS: dict[int, tuple[date | None, list[tuple[str, str]]]] = {
    1: (date(2026, 3, 31), [("区教育局", "lead"), ("区民政局", "support")]),
    2: (date(2026, 3, 20), [("各单位", "owner")]),
    3: (date(2026, 4, 30), [("区政府各部门", "owner")]),
    4: (date(2026, 6, 30), [("各街镇", "owner")]),
    5: (None, [("区教育局", "owner")]),  # undated: for review, never in digests
    6: (date(2026, 3, 26), [("区政府各部门", "support"), ("区教育局", "lead")]),
}


@pytest.fixture
def engine(engine: Engine) -> Engine:
    """conftest's empty database (SQLite, and PostgreSQL when configured) with the plan below."""
    with session_scope(engine) as s:
        plan = PlanRow(
            title="测试要点", layout="table", source_name="t.txt", content_hash="x", imported_at=NOW
        )
        s.add(plan)
        s.flush()
        for name, (kind, is_group) in UNITS.items():
            s.add(UnitRow(name=name, kind=kind, is_group=is_group))
        s.flush()
        ids = unit_ids(s)
        for tid, (due, units) in TASKS.items():
            s.add(
                TaskRow(
                    id=tid,
                    plan_id=plan.id or 0,
                    position=tid,
                    seq=str(tid),
                    category="c",
                    content=f"任务{tid}",
                    deadline_text="",
                    due=due,
                    kind="fixed" if due else "unresolved",
                )
            )
            s.flush()
            for pos, (unit, role) in enumerate(units, start=1):
                s.add(AssignmentRow(task_id=tid, unit_id=ids[unit], position=pos, role=role))
    return engine


@pytest.fixture
def s(engine: Engine) -> Iterator[Session]:
    with session_scope(engine) as session:
        yield session


def unit_ids(s: Session) -> dict[str, int]:
    return {u.name: u.id or 0 for u in s.exec(select(UnitRow))}


def sub(s: Session, chat: int, unit: str, *, approval: bool = False) -> SubscriptionRow:
    return subscriptions.subscribe(
        s,
        chat_id=chat,
        unit_id=unit_ids(s)[unit],
        user_id=chat * 10,
        user_name="联络员",
        needs_approval=approval,
        now=NOW,
    )


def done(s: Session, task: int, unit: str) -> bool:
    return progress.mark_done(
        s, task_id=task, unit_id=unit_ids(s)[unit], user_id=1, user_name="甲", note=None, now=NOW
    )


def items_of(s: Session, chat: int, routes: dict = ROUTES) -> list[tuple[int, str, str]]:
    return [(i.task_id, i.unit, i.role) for i in open_items(s, group_routes=routes).get(chat, [])]


# --- subscriptions ---------------------------------------------------------------------------------------


def test_subscribe_is_idempotent(s: Session) -> None:
    first = sub(s, 100, "区教育局")
    again = sub(s, 100, "区教育局")
    assert first.id == again.id and again.status == "active"
    assert len(s.exec(select(SubscriptionRow)).all()) == 1
    assert subscriptions.active_chat_ids(s) == [100]


def test_approval_pending_then_active(s: Session) -> None:
    pending = sub(s, 100, "区教育局", approval=True)
    assert pending.status == "pending"
    assert subscriptions.active_chat_ids(s) == []
    assert open_items(s, group_routes=ROUTES) == {}
    assert [u.name for _, u in subscriptions.pending_subscriptions(s)] == ["区教育局"]
    decided = subscriptions.decide(s, pending.id or 0, approve=True, admin_id=7)
    assert decided is not None and decided.status == "active" and decided.decided_by == 7
    assert subscriptions.decide(s, pending.id or 0, approve=False, admin_id=7) is None  # already decided
    assert subscriptions.active_chat_ids(s) == [100]


def test_deny_and_unknown_subscription(s: Session) -> None:
    pending = sub(s, 100, "区教育局", approval=True)
    denied = subscriptions.decide(s, pending.id or 0, approve=False, admin_id=7)
    assert denied is not None and denied.status == "inactive"
    assert subscriptions.decide(s, 9999, approve=True, admin_id=7) is None


def test_unsubscribe_and_resubscribe(s: Session) -> None:
    sub(s, 100, "区教育局")
    sub(s, 100, "区民政局")
    eb = unit_ids(s)["区教育局"]
    assert subscriptions.unsubscribe(s, chat_id=100, unit_id=eb)
    assert not subscriptions.unsubscribe(s, chat_id=100, unit_id=eb)
    assert [u.name for _, u in subscriptions.chat_subscriptions(s, 100)] == ["区民政局"]
    again = sub(s, 100, "区教育局", approval=True)  # an inactive row is reactivated, pending in approval mode
    assert again.status == "pending"
    assert [(x.status, u.name) for x, u in subscriptions.chat_subscriptions(s, 100)] == [
        ("pending", "区教育局"),
        ("active", "区民政局"),
    ]


def test_deactivate_chat(s: Session) -> None:
    sub(s, 100, "区教育局")
    sub(s, 100, "东湖镇")
    sub(s, 200, "东湖镇")
    assert subscriptions.deactivate_chat(s, 100) == 2
    assert subscriptions.deactivate_chat(s, 100) == 0
    assert subscriptions.active_chat_ids(s) == [200]
    assert set(open_items(s, group_routes=ROUTES)) == {200}


def test_migrate_chat_moves_subscriptions_and_ledger(s: Session) -> None:
    sub(s, -100, "区教育局")
    sub(s, -100, "东湖镇")
    sub(s, -200, "东湖镇")  # the supergroup already follows 东湖镇
    assert ledger.claim(s, chat_id=-100, day=DAY, kind="digest", now=NOW)
    assert subscriptions.migrate_chat(s, -100, -200) == 1
    assert subscriptions.active_chat_ids(s) == [-200]
    assert sorted(u.name for _, u in subscriptions.chat_subscriptions(s, -200)) == ["东湖镇", "区教育局"]
    assert subscriptions.chat_subscriptions(s, -100) == []
    # Today's digest went to the old group: the supergroup does not get a second one.
    assert not ledger.claim(s, chat_id=-200, day=DAY, kind="digest", now=NOW)
    assert subscriptions.migrate_chat(s, -200, -200) == 0


def test_unit_names_lookup_and_ensure(s: Session) -> None:
    assert "各单位" not in subscriptions.unit_names(s)
    assert "各单位" in subscriptions.unit_names(s, include_groups=True)
    assert subscriptions.unit_names(s)[:2] == sorted(subscriptions.unit_names(s))[:2]
    assert subscriptions.unit_by_name(s, "东湖镇") is not None
    assert subscriptions.unit_by_name(s, "东湖") is None
    made = subscriptions.ensure_unit(s, "区审计局", kind="department")
    assert made.id and made.kind == "department"
    assert subscriptions.ensure_unit(s, "区审计局", kind="other").id == made.id


# --- routing in open_items -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        # A department: direct tasks, 各单位 and 区政府各部门; not 各街镇; never the undated task 5.
        ("区教育局", [(2, "owner"), (6, "lead"), (1, "lead"), (3, "owner")]),
        ("区民政局", [(2, "owner"), (6, "support"), (1, "support"), (3, "owner")]),
        # A town and a street: 各单位 and 各街镇 only.
        ("东湖镇", [(2, "owner"), (4, "owner")]),
        ("西山街道", [(2, "owner"), (4, "owner")]),
        # Another kind: only 各单位.
        ("区融媒体中心", [(2, "owner")]),
    ],
)
def test_group_routing(s: Session, unit: str, expected: list[tuple[int, str]]) -> None:
    sub(s, 100, unit)
    assert [(t, r) for t, u, r in items_of(s, 100)] == expected
    assert all(u == unit for _, u, _ in items_of(s, 100))


def test_direct_naming_beats_group_role(s: Session) -> None:
    # Task 6 names 区政府各部门 (support) first and 区教育局 (lead) directly: one item, role lead.
    sub(s, 100, "区教育局")
    assert [r for t, _, r in items_of(s, 100) if t == 6] == ["lead"]


def test_chat_with_several_units_and_chat_filter(s: Session) -> None:
    sub(s, 100, "区教育局")
    sub(s, 100, "东湖镇")
    sub(s, 200, "西山街道")
    got = items_of(s, 100)
    assert [(t, u) for t, u, _ in got] == [
        (2, "区教育局"),
        (2, "东湖镇"),
        (6, "区教育局"),
        (1, "区教育局"),
        (3, "区教育局"),
        (4, "东湖镇"),
    ]
    assert set(open_items(s, chat_ids=[200], group_routes=ROUTES)) == {200}


def test_configured_routes_override_and_missing_routes_fall_back(s: Session) -> None:
    sub(s, 100, "东湖镇")
    narrowed = {**ROUTES, "各单位": frozenset({"department"})}
    assert [t for t, _, _ in items_of(s, 100, narrowed)] == [4]
    # With no routes at all, the built-in directory's rules still route the stored group names.
    assert [t for t, _, _ in items_of(s, 100, {})] == [2, 4]
    by_name = {**ROUTES, "区政府各部门": frozenset({"东湖镇"})}  # a rule may list a unit by name
    assert [t for t, _, _ in items_of(s, 100, by_name)] == [2, 6, 3, 4]


def test_group_routes_for_reads_the_directory(s: Session) -> None:
    from core.units import UnitDirectory

    routes = group_routes_for(s, UnitDirectory.default(), {"各街镇": ["town"]})
    assert routes["各单位"] == ALL
    assert routes["区政府各部门"] == frozenset({"department"})
    assert routes["各街镇"] == frozenset({"town"})


def test_items_by_unit_without_subscriptions(s: Session) -> None:
    ids = unit_ids(s)
    got = items_by_unit(s, group_routes=ROUTES, unit_ids=[ids["西山街道"], ids["区民政局"]])
    assert [i.task_id for i in got[ids["西山街道"]]] == [2, 4]
    assert [i.task_id for i in got[ids["区民政局"]]] == [2, 6, 1, 3]
    # Lines say what the task is: its name (category) before its content.
    assert {i.content for i in got[ids["西山街道"]]} == {"c：任务2", "c：任务4"}


def test_open_items_runs_three_selects(engine: Engine) -> None:
    with session_scope(engine) as s:
        for chat, unit in [(1, "区教育局"), (2, "东湖镇"), (3, "区民政局"), (3, "西山街道")]:
            sub(s, chat, unit)
        done(s, 2, "东湖镇")
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with session_scope(engine) as s:
        result = open_items(s, group_routes=ROUTES)
    assert sum(st.lstrip().upper().startswith("SELECT") for st in statements) == 3
    assert set(result) == {1, 2, 3}


# --- completions -----------------------------------------------------------------------------------------


def test_group_task_completion_is_per_concrete_unit(s: Session) -> None:
    sub(s, 100, "区教育局")
    sub(s, 200, "东湖镇")
    assert done(s, 2, "区教育局")
    assert 2 not in [t for t, _, _ in items_of(s, 100)]
    assert 2 in [t for t, _, _ in items_of(s, 200)]  # the 各单位 task stays open for the others


def test_mark_twice_is_harmless_and_undo(s: Session) -> None:
    sub(s, 100, "区教育局")
    assert done(s, 1, "区教育局")
    assert not done(s, 1, "区教育局")
    assert len(s.exec(select(CompletionRow)).all()) == 1
    row = progress.completion(s, task_id=1, unit_id=unit_ids(s)["区教育局"])
    assert row is not None and row.done_by == 1 and row.done_at == NOW
    assert 1 not in [t for t, _, _ in items_of(s, 100)]
    assert progress.undo(s, task_id=1, unit_id=unit_ids(s)["区教育局"])
    assert not progress.undo(s, task_id=1, unit_id=unit_ids(s)["区教育局"])
    assert 1 in [t for t, _, _ in items_of(s, 100)]


@pytest.mark.parametrize(
    ("chat_unit", "task", "unit", "approval", "allowed"),
    [
        ("区教育局", 1, "区教育局", False, True),  # named directly
        ("区教育局", 2, "区教育局", False, True),  # through 各单位
        ("区教育局", 3, "区教育局", False, True),  # through 区政府各部门
        ("区教育局", 4, "区教育局", False, False),  # 各街镇 does not reach a department
        ("区教育局", 1, "区民政局", False, False),  # another unit's item
        ("区教育局", 1, "区教育局", True, False),  # not approved yet
        ("东湖镇", 3, "东湖镇", False, False),  # 区政府各部门 does not reach a town
        ("东湖镇", 4, "东湖镇", False, True),
        ("区教育局", 999, "区教育局", False, False),  # no such task
    ],
)
def test_may_mark(s: Session, chat_unit: str, task: int, unit: str, approval: bool, allowed: bool) -> None:
    sub(s, 100, chat_unit, approval=approval)
    got = progress.may_mark(s, chat_id=100, task_id=task, unit_id=unit_ids(s)[unit], group_routes=ROUTES)
    assert got is allowed


def test_may_mark_refuses_other_chats(s: Session) -> None:
    sub(s, 100, "区教育局")
    assert not progress.may_mark(
        s, chat_id=200, task_id=1, unit_id=unit_ids(s)["区教育局"], group_routes=ROUTES
    )


def test_units_of_chat_for_task(s: Session) -> None:
    sub(s, 100, "区民政局")
    sub(s, 100, "东湖镇")
    sub(s, 100, "区教育局")

    def names(task_id: int) -> list[str]:
        units = progress.units_of_chat_for_task(s, chat_id=100, task_id=task_id, group_routes=ROUTES)
        return [u.name for u in units]

    assert names(1) == ["区民政局", "区教育局"]
    assert names(2) == ["区民政局", "东湖镇", "区教育局"]
    assert names(4) == ["东湖镇"]
    assert names(999) == []


# --- list_tasks status from completions ------------------------------------------------------------------


def statuses(s: Session) -> dict[int, tuple[str, list[tuple[str, str]]]]:
    return {
        v.id: (v.status, [(u.name, u.status) for u in v.units])
        for v in crud.list_tasks(s, group_routes=ROUTES)
    }


def test_list_tasks_reports_unit_status_and_done_at(s: Session) -> None:
    sub(s, 100, "区教育局")
    sub(s, 200, "东湖镇")
    sub(s, 300, "区民政局")
    assert statuses(s)[1] == ("open", [("区教育局", "open"), ("区民政局", "open")])
    done(s, 1, "区教育局")
    assert statuses(s)[1] == ("partly_done", [("区教育局", "done"), ("区民政局", "open")])
    done(s, 1, "区民政局")
    assert statuses(s)[1][0] == "done"
    view = next(v for v in crud.list_tasks(s, group_routes=ROUTES) if v.id == 1)
    assert all(u.done_at == NOW for u in view.units)


@pytest.mark.parametrize(
    ("done_by", "expected"),
    [
        ([], "open"),
        (["区教育局"], "partly_done"),
        (["区教育局", "东湖镇"], "partly_done"),
        (["区教育局", "东湖镇", "区民政局"], "done"),
        # A member with no live subscription counts once it has done its part.
        (["区教育局", "东湖镇", "区民政局", "区融媒体中心"], "done"),
    ],
)
def test_list_tasks_group_unit_status(s: Session, done_by: list[str], expected: str) -> None:
    # Task 2 is for 各单位; the subscribed members are 区教育局, 东湖镇 and 区民政局.
    sub(s, 100, "区教育局")
    sub(s, 200, "东湖镇")
    sub(s, 300, "区民政局", approval=True)
    subscriptions.decide(s, 3, approve=True, admin_id=1)
    for unit in done_by:
        done(s, 2, unit)
    status, units = statuses(s)[2]
    assert units == [("各单位", expected)] and status == expected


def test_group_unit_without_subscribed_members_is_open(s: Session) -> None:
    assert statuses(s)[4] == ("open", [("各街镇", "open")])


# --- the delivery ledger ---------------------------------------------------------------------------------


def test_claim_twice_second_is_false(s: Session) -> None:
    assert ledger.claim(s, chat_id=1, day=DAY, kind="digest", now=NOW)
    assert not ledger.claim(s, chat_id=1, day=DAY, kind="digest", now=NOW)
    assert ledger.claim(s, chat_id=1, day=date(2026, 3, 26), kind="digest", now=NOW)  # another day
    assert ledger.claim(s, chat_id=2, day=DAY, kind="digest", now=NOW)  # another chat


def test_claim_is_exclusive_across_sessions(engine: Engine) -> None:
    with session_scope(engine) as a:
        assert ledger.claim(a, chat_id=1, day=DAY, kind="digest", now=NOW)
    with session_scope(engine) as b:
        assert not ledger.claim(b, chat_id=1, day=DAY, kind="digest", now=NOW)


def test_complete_then_no_retry(s: Session) -> None:
    assert ledger.claim(s, chat_id=1, day=DAY, kind="digest", now=NOW)
    ledger.complete(s, chat_id=1, day=DAY, kind="digest", message_ids=[11, 12], now=NOW)
    row = ledger.delivery(s, chat_id=1, day=DAY)
    assert row is not None and row.status == "sent" and row.message_ids == [11, 12] and row.sent_at == NOW
    assert not ledger.claim(s, chat_id=1, day=DAY, kind="digest", now=NOW)
    assert ledger.delivered_today(s, DAY) == {1}


def test_fail_allows_retry_up_to_max_attempts(s: Session) -> None:
    assert ledger.claim(s, chat_id=1, day=DAY, kind="digest", now=NOW, max_attempts=3)
    ledger.fail(s, chat_id=1, day=DAY, kind="digest", error="网络错误", now=NOW)
    assert ledger.delivered_today(s, DAY) == set()
    assert ledger.claim(s, chat_id=1, day=DAY, kind="digest", now=NOW, max_attempts=3)
    assert not ledger.claim(s, chat_id=1, day=DAY, kind="digest", now=NOW, max_attempts=3)  # claimed again
    ledger.fail(s, chat_id=1, day=DAY, kind="digest", error="网络错误", now=NOW)
    assert ledger.claim(s, chat_id=1, day=DAY, kind="digest", now=NOW, max_attempts=3)
    ledger.fail(s, chat_id=1, day=DAY, kind="digest", error="最后一次", now=NOW)
    assert not ledger.claim(s, chat_id=1, day=DAY, kind="digest", now=NOW, max_attempts=3)  # gave up
    row = ledger.delivery(s, chat_id=1, day=DAY)
    assert row is not None and (row.status, row.attempts, row.last_error) == ("failed", 3, "最后一次")


def test_stale_claim_is_never_reclaimed(s: Session) -> None:
    assert ledger.claim(s, chat_id=1, day=DAY, kind="digest", now=datetime(2026, 3, 25, 9, 0, tzinfo=TZ))
    later = datetime(2026, 3, 25, 18, 0, tzinfo=TZ)
    assert not ledger.claim(s, chat_id=1, day=DAY, kind="digest", now=later)
    assert ledger.delivered_today(s, DAY) == {1}
    assert [r.chat_id for r in ledger.stale_claims(s, before=later)] == [1]
    # complete after a failure mark is not possible for a claimed row: fail only touches claimed rows.
    ledger.complete(s, chat_id=1, day=DAY, kind="digest", message_ids=[5], now=later)
    ledger.fail(s, chat_id=1, day=DAY, kind="digest", error="迟到的错误", now=later)
    assert s.exec(select(DeliveryRow.status)).one() == "sent"


def test_record_items_and_items_of_message(s: Session) -> None:
    from core.digest import DigestItem

    it = DigestItem(1, unit_ids(s)["区教育局"], "区教育局", "lead", "1", "任务1", DAY, "p", "fixed", None)
    assert ledger.record_items(s, chat_id=5, message_id=77, items=[it, (3, unit_ids(s)["区教育局"])]) == 2
    assert ledger.record_items(s, chat_id=5, message_id=77, items=[it]) == 0
    assert ledger.items_of_message(s, chat_id=5, message_id=77) == [
        (1, unit_ids(s)["区教育局"]),
        (3, unit_ids(s)["区教育局"]),
    ]
    assert ledger.items_of_message(s, chat_id=6, message_id=77) == []


@pytest.mark.parametrize("first_approves", [True, False])
def test_an_extension_is_decided_once_when_two_admins_press_at_the_same_time(
    engine: Engine, first_approves: bool
) -> None:
    with session_scope(engine) as s:
        request = oversight.request_extension(
            s,
            task_id=1,
            unit_id=unit_ids(s)["区教育局"],
            chat_id=11,
            new_due=date(2026, 4, 30),
            reason="等待批复",
            user_id=1,
            user_name="联络员",
            now=NOW,
        )
        assert request is not None
        ext_id = request.id
    with session_scope(engine) as late:
        seen = late.get(ExtensionRow, ext_id)  # this press has read the request: pending
        assert seen is not None and seen.status == "pending"
        # Another admin's press is committed between this press's read and its write.
        with session_scope(engine) as first:
            assert oversight.decide_extension(
                first, ext_id or 0, approve=first_approves, admin_id=7, admin_name="甲", now=NOW
            )
        decided = oversight.decide_extension(
            late, ext_id or 0, approve=not first_approves, admin_id=8, admin_name="乙", now=NOW
        )
        assert decided is None
    with session_scope(engine) as s:
        row, task = s.get(ExtensionRow, ext_id), s.get(TaskRow, 1)
        assert row is not None and task is not None
        assert (row.status, row.decided_by) == ("approved" if first_approves else "denied", 7)
        assert task.due == (date(2026, 4, 30) if first_approves else date(2026, 3, 31))
