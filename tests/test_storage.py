"""Storage: one import is one transaction, re-imports change nothing, listings keep plan order."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import func, select

from core.models import Deadline, Plan, Task, UnitRef
from core.pipeline import PreparedTask
from storage import crud
from storage.db import session_scope
from storage.models import AssignmentRow, PlanRow, TaskRow, UnitRow

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


# The engine fixture (SQLite, and PostgreSQL when configured) comes from conftest.py.


def make_plan() -> tuple[Plan, list[PreparedTask]]:
    tasks = [
        Task(
            "1",
            "平台建设",
            "梳理公开目录",
            [UnitRef("区政府办公室", "lead"), UnitRef("区大数据中心", "support")],
            "3月底前",
        ),
        Task(
            "2",
            "平台建设",
            "检查专栏更新",
            [UnitRef("区政府办", "owner"), UnitRef("各单位", "support"), UnitRef("区政府办公室", "support")],
            "每季度",
        ),
    ]
    plan = Plan("2026年某区政务公开工作要点", "某区人民政府办公室", 2026, date(2026, 2, 1), "table", tasks)
    deadlines = [
        Deadline("3月底前", "fixed", due=date(2026, 3, 31)),
        Deadline("每季度", "recurring", due=date(2026, 3, 31), recurrence="quarterly"),
    ]
    return plan, [PreparedTask(t, d, ()) for t, d in zip(tasks, deadlines, strict=True)]


def store(engine: Engine, plan: Plan, prepared: list[PreparedTask], digest: str = "h1") -> crud.ImportResult:
    aliases = {"区政府办": "区政府办公室"}
    with session_scope(engine) as session:
        return crud.import_plan(
            session,
            plan,
            prepared,
            source_name="p.txt",
            digest=digest,
            now=NOW,
            canonical=lambda n: aliases.get(n, n),
            kind_of=lambda n: "department",
            is_group=lambda n: n.startswith("各"),
        )


def counts(engine: Engine) -> tuple[int, int, int, int]:
    with session_scope(engine) as session:
        plans, tasks, units, assignments = (
            session.exec(select(func.count()).select_from(model)).one()
            for model in (PlanRow, TaskRow, UnitRow, AssignmentRow)
        )
        return plans, tasks, units, assignments


def test_import_stores_plan_tasks_units_and_roles(engine: Engine) -> None:
    plan, prepared = make_plan()
    result = store(engine, plan, prepared)
    assert result.created and result.task_count == 2
    # Task 2 names 区政府办 and its canonical form 区政府办公室: one assignment, the first role wins.
    assert counts(engine) == (1, 2, 3, 4)
    with session_scope(engine) as session:
        views = crud.list_tasks(session)
    assert [v.seq for v in views] == ["1", "2"]
    # Task ids are the numbers people use (#12): they follow document order.
    assert views[0].id < views[1].id
    assert [(u.name, u.role) for u in views[0].units] == [
        ("区政府办公室", "lead"),
        ("区大数据中心", "support"),
    ]
    assert views[1].recurrence == "quarterly" and views[1].due == date(2026, 3, 31)
    assert [(u.name, u.role) for u in views[1].units] == [("区政府办公室", "owner"), ("各单位", "support")]
    assert views[0].status == "open"


def test_same_hash_changes_nothing(engine: Engine) -> None:
    plan, prepared = make_plan()
    first = store(engine, plan, prepared)
    again = store(engine, plan, prepared)
    assert not again.created and again.plan_id == first.plan_id and again.task_count == 2
    assert counts(engine) == (1, 2, 3, 4)


def test_failed_import_stores_nothing(engine: Engine) -> None:
    plan, prepared = make_plan()
    no_seq = Task(None, "x", "y", [], "")  # type: ignore[arg-type]  # on purpose: the NOT NULL column refuses it
    broken = [*prepared, PreparedTask(no_seq, Deadline("", "ongoing"), ())]
    with pytest.raises(Exception, match=r"(?i)not[ -]null"):
        store(engine, plan, broken)
    assert counts(engine) == (0, 0, 0, 0)


def test_filter_by_unit_and_plan(engine: Engine) -> None:
    plan, prepared = make_plan()
    store(engine, plan, prepared)
    other = Plan(
        "另一个计划", None, 2026, None, "table", [Task("1", "c", "内容", [UnitRef("区教育局", "owner")], "")]
    )
    store(
        engine,
        other,
        [PreparedTask(other.tasks[0], Deadline("", "ongoing", due=date(2026, 12, 31)), ())],
        "h2",
    )
    with session_scope(engine) as session:
        # The tasks naming the unit, and those of a group that reaches it (各单位 on 检查专栏更新).
        assert [v.content for v in crud.list_tasks(session, unit="区大数据中心")] == [
            "梳理公开目录",
            "检查专栏更新",
        ]
        assert [v.content for v in crud.list_tasks(session, unit="区政府办公室")] == [
            "梳理公开目录",
            "检查专栏更新",
        ]
        assert [v.plan_title for v in crud.list_tasks(session, plan_id=2)] == ["另一个计划"]
        assert crud.list_tasks(session, unit="不存在的单位") == []
        names = {u.name: n for u, n in crud.list_units(session)}
    assert names == {"区政府办公室": 2, "区大数据中心": 1, "各单位": 1, "区教育局": 1}


def test_engine_is_not_created_at_import_time() -> None:
    import storage.db as db

    assert not any(isinstance(v, Engine) for v in vars(db).values())
