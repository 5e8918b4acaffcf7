"""Plans have a life cycle: an archived plan keeps its record and sends nothing; a deleted one is gone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import select

from core.units import UnitDirectory
from duban.importing import import_document
from storage import progress
from storage.db import session_scope
from storage.digest import items_by_unit
from storage.models import CompletionRow, PlanRow, TaskRow, UnitRow
from storage.oversight import ledger_rows
from storage.plans import archive_plan, delete_plan, restore_plan

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
PLAN = (
    "2026年某区普法工作任务分解表\n序号\t任务名称\t任务内容\t责任单位\t时间节点\n"
    "1\t普法\t开展宪法宣传\t区司法局\t6月底前\n2\t普法\t开展民法典宣传\t区司法局\t9月底前\n"
)


def setup(engine: Engine) -> tuple[int, int]:
    plan_id = import_document(
        engine, PLAN.encode(), source_name="p.txt", directory=UnitDirectory.default(), now=NOW
    ).result.plan_id
    with session_scope(engine) as s:
        unit = s.exec(select(UnitRow).where(UnitRow.name == "区司法局")).one()
        task = s.exec(select(TaskRow).where(TaskRow.seq == "1")).one()
        progress.mark_done(
            s, task_id=task.id or 0, unit_id=unit.id or 0, user_id=1, user_name="张三", note=None, now=NOW
        )
    return plan_id, unit.id or 0


def reminded(engine: Engine, unit_id: int) -> int:
    with session_scope(engine) as s:
        return len(items_by_unit(s, group_routes={}, unit_ids=[unit_id])[unit_id])


def test_an_archived_plan_keeps_its_record_and_sends_nothing(engine: Engine) -> None:
    plan_id, unit_id = setup(engine)
    assert reminded(engine, unit_id) == 1
    with session_scope(engine) as s:
        assert archive_plan(s, plan_id, by_name="命令行", now=NOW) is not None
    assert reminded(engine, unit_id) == 0
    with session_scope(engine) as s:
        assert ledger_rows(s, today=NOW.date(), group_routes={}) == []  # not in the current 台账
        kept = ledger_rows(s, today=NOW.date(), group_routes={}, plan_id=plan_id)
        assert [r.status for r in kept] == ["done", "open"]  # its history, asked for by id
        plan = s.get(PlanRow, plan_id)
        assert plan is not None and plan.status == "archived"
        restore_plan(s, plan_id)
    assert reminded(engine, unit_id) == 1


def test_a_deleted_plan_takes_its_tasks_and_marks(engine: Engine) -> None:
    plan_id, _ = setup(engine)
    with session_scope(engine) as s:
        assert delete_plan(s, plan_id) == 2
        assert delete_plan(s, plan_id) is None
    with session_scope(engine) as s:
        assert s.exec(select(TaskRow)).all() == [] and s.exec(select(CompletionRow)).all() == []
        assert s.exec(select(PlanRow)).all() == []
