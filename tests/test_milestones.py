"""Dated steps: a task naming several dates keeps each; each is reminded on its own date and marked done on its
own; the task is due (for sorting) at its last step and done once every step is."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from core.digest import DigestItem
from core.documents import parse_plan
from core.models import Milestone
from core.pipeline import prepare
from core.units import UnitDirectory
from duban.importing import import_document
from storage import crud, progress
from storage.db import session_scope
from storage.digest import items_by_unit
from storage.models import TaskRow, UnitRow
from storage.oversight import ledger_rows

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

TABLE = (
    "2026年某区普法工作任务分解表\n"
    "序号\t任务名称\t任务内容\t责任单位\t时间节点\n"
    "1\t普法宣传\t开展宪法宣传\t区司法局\t6月前完成第1次宣传；11月底前完成第2次宣传\n"
    "2\t普法宣传\t开展民法典宣传\t区司法局\t3月至6月\n"
)


def steps_of(text: str) -> list[tuple[tuple[Milestone, ...], date | None]]:
    return [(p.milestones, p.deadline.due) for p in prepare(parse_plan(text))]


@pytest.mark.parametrize(
    ("text", "steps", "due"),
    [
        # Two dated steps in a deadline cell: both kept, with what each asks; due at the last.
        (
            TABLE,
            [
                ("6月前", date(2026, 6, 30), "6月前完成第1次宣传"),
                ("11月底前", date(2026, 11, 30), "11月底前完成第2次宣传"),
            ],
            date(2026, 11, 30),
        ),
        # Two reporting dates inside an item's text: the clause around each is what is due.
        (
            "2026年某镇整治方案\n一、有关要求\n1.各村应于3月4日前报送问题清单。于4月1日前报送志愿者名单。\n"
            "2.各村要高度重视。",
            [
                ("于3月4日前", date(2026, 3, 4), "各村应于3月4日前报送问题清单"),
                ("于4月1日前", date(2026, 4, 1), "于4月1日前报送志愿者名单"),
            ],
            date(2026, 4, 1),
        ),
    ],
)
def test_several_dates_are_steps(text: str, steps: list[tuple[str, date, str]], due: date) -> None:
    milestones, found_due = steps_of(text)[0]
    assert [(m.text, m.due, m.what) for m in milestones] == steps
    assert found_due == due


def test_a_span_is_one_deadline_not_two_steps() -> None:
    milestones, due = steps_of(TABLE)[1]
    assert milestones == () and due == date(2026, 6, 30)


def unit_items(engine: Engine) -> dict[int, DigestItem]:
    with session_scope(engine) as s:
        unit = s.exec(select(UnitRow).where(UnitRow.name == "区司法局")).one()
        return {
            i.task_id: i for i in items_by_unit(s, group_routes={}, unit_ids=[unit.id or 0])[unit.id or 0]
        }


def test_each_step_is_reminded_and_done_on_its_own(engine: Engine) -> None:
    import_document(engine, TABLE.encode(), source_name="t.txt", directory=UnitDirectory.default(), now=NOW)
    with session_scope(engine) as s:
        task = s.exec(select(TaskRow).where(TaskRow.seq == "1")).one()
        unit = s.exec(select(UnitRow).where(UnitRow.name == "区司法局")).one()
        task_id, unit_id = task.id or 0, unit.id or 0
        assert task.due == date(2026, 11, 30) and len(task.milestones) == 2

    first = unit_items(engine)[task_id]
    assert (first.due, first.step) == (date(2026, 6, 30), "第1/2步：6月前完成第1次宣传")

    def mark() -> bool:
        with session_scope(engine) as s:
            return progress.mark_done(
                s, task_id=task_id, unit_id=unit_id, user_id=1, user_name="张三", note=None, now=NOW
            )

    assert mark()
    second = unit_items(engine)[task_id]
    assert (second.due, second.step) == (date(2026, 11, 30), "第2/2步：11月底前完成第2次宣传")
    with session_scope(engine) as s:
        [view] = [v for v in crud.list_tasks(s) if v.id == task_id]
        assert view.status == "open"  # one step of two is not the task
        [row] = [r for r in ledger_rows(s, today=NOW.date(), group_routes={}) if r.task_id == task_id]
        assert (row.status, row.due, row.occurrences_done, row.occurrences_total) == (
            "open",
            date(2026, 11, 30),
            1,
            2,
        )

    assert mark()
    assert task_id not in unit_items(engine)
    with session_scope(engine) as s:
        [view] = [v for v in crud.list_tasks(s) if v.id == task_id]
        assert view.status == "done"


def test_quarter_target_columns_are_quarterly_steps_and_leaders_no_units() -> None:
    text = (
        "2026年某区攻坚任务清单\n序号\t攻坚事项\t具体任务\t责任单位\t责任领导\t二季度\t三季度\t四季度\n"
        "1\t营商环境\t推进一网通办\t区政务服务办\t张三\t完成方案\t上线试运行\t全面运行\n"
    )
    [prepared] = prepare(parse_plan(text))
    assert [u.name for u in prepared.task.units] == ["区政务服务办"]
    assert [(m.due, m.what) for m in prepared.milestones] == [
        (date(2026, 6, 30), "二季度完成方案"),
        (date(2026, 9, 30), "三季度上线试运行"),
        (date(2026, 12, 31), "四季度全面运行"),
    ]
    assert prepared.deadline.due == date(2026, 12, 31)
