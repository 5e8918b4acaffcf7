"""待确认: tasks read with low confidence wait for a person, send no reminders, and are confirmed, re-united or
dropped; a later version of the plan keeps a person's decision while the task reads the same."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from typer.testing import CliRunner

from core.models import REVIEW_BELOW, UnitRef
from core.units import UnitDirectory
from duban.cli import app
from duban.importing import import_document
from storage.db import session_scope
from storage.digest import items_by_unit
from storage.models import TaskRow, UnitRow
from storage.plans import decide_task, review_items, set_units

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

# One item names its unit, one only a deadline, one nothing at all (it merely starts with a verb).
PLAN = """某区2026年安全生产宣传工作方案
某区应急管理局
2026年2月20日
一、主要任务
1.开展安全生产月活动。责任单位：区应急管理局
2.完成隐患排查台账，于5月31日前报送。
3.加强宣传教育。通过多种形式开展宣传。
"""


def import_plan(engine: Engine, text: str = PLAN) -> int:
    outcome = import_document(
        engine, text.encode(), source_name="plan.txt", directory=UnitDirectory.default(), now=NOW
    )
    return outcome.result.plan_id


def rows(engine: Engine) -> dict[str, TaskRow]:
    with session_scope(engine) as s:
        return {r.seq: r for r in s.exec(select(TaskRow))}


def open_task_ids(engine: Engine) -> set[int]:
    """Tasks that would be reminded to any concrete unit (their group 各单位 reaches every unit)."""
    with session_scope(engine) as s:
        unit_ids = [u.id for u in s.exec(select(UnitRow).where(UnitRow.is_group == False)) if u.id]  # noqa: E712
        items = items_by_unit(s, group_routes={}, unit_ids=unit_ids)
    return {i.task_id for found in items.values() for i in found}


def test_low_confidence_tasks_are_pending_with_reasons(engine: Engine) -> None:
    import_plan(engine)
    found = rows(engine)
    assert found["一1"].status == "active" and found["一1"].confidence >= REVIEW_BELOW
    assert found["一2"].status == "active"  # dated: its audience reading is kept, with the doubt noted
    assert "暂按" in found["一2"].doubts[0]
    assert found["一3"].status == "pending" and found["一3"].confidence < REVIEW_BELOW
    assert "动词开头" in found["一3"].doubts[0]
    with session_scope(engine) as s:
        items = review_items(s)
    assert [(i.seq, i.pending) for i in items] == [("一3", True)]
    assert items[0].reason.startswith("待确认：") and items[0].units == ("各单位",)


def test_pending_tasks_send_no_reminders_until_confirmed(engine: Engine) -> None:
    import_plan(engine)
    with session_scope(engine) as s:
        s.add(UnitRow(name="区教育局", kind="department"))
    pending = rows(engine)["一3"]
    # Give the pending task a due date so that only its status keeps it out of the digest.
    with session_scope(engine) as s:
        row = s.get(TaskRow, pending.id)
        assert row is not None
        row.due = date(2026, 3, 10)
        s.add(row)
    assert pending.id not in open_task_ids(engine)
    with session_scope(engine) as s:
        decide_task(s, pending.id or 0, confirm=True, by=7, by_name="王五", now=NOW)
    assert pending.id in open_task_ids(engine)
    confirmed = rows(engine)["一3"]
    assert (confirmed.status, confirmed.status_by_name) == ("active", "王五")


def test_a_dropped_task_is_kept_but_never_reminded_nor_listed(engine: Engine) -> None:
    import_plan(engine)
    task_id = rows(engine)["一3"].id or 0
    with session_scope(engine) as s:
        decide_task(s, task_id, confirm=False, by=None, by_name="命令行", now=NOW)
    assert rows(engine)["一3"].status == "dropped"
    with session_scope(engine) as s:
        assert review_items(s) == []
    assert task_id not in open_task_ids(engine)


def test_setting_units_replaces_the_reading_and_confirms(engine: Engine) -> None:
    import_plan(engine)
    task_id = rows(engine)["一3"].id or 0
    directory = UnitDirectory.default()
    with session_scope(engine) as s:
        set_units(
            s,
            task_id,
            [UnitRef("区教育局", "lead"), UnitRef("区文化旅游局", "support")],
            kind_of=directory.kind,
            is_group=directory.is_group,
            by=None,
            by_name="命令行",
            now=NOW,
        )
    with session_scope(engine) as s:
        assert review_items(s) == []
    assert rows(engine)["一3"].status == "active"


def test_a_new_version_keeps_a_decision_while_the_task_reads_the_same(engine: Engine) -> None:
    import_plan(engine)
    with session_scope(engine) as s:
        decide_task(s, rows(engine)["一3"].id or 0, confirm=True, by=None, by_name="命令行", now=NOW)
    import_plan(engine, PLAN.replace("于5月31日前", "于6月30日前"))
    assert rows(engine)["一3"].status == "active"
    # Its wording changes: read anew, so it waits for a person again.
    import_plan(engine, PLAN.replace("加强宣传教育。通过多种形式", "加强宣传教育。通过新媒体等形式"))
    assert rows(engine)["一3"].status == "pending"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DUBAN_CONFIG", raising=False)
    monkeypatch.setenv("DUBAN_DATABASE_URL", f"sqlite:///{tmp_path / 'duban.db'}")
    (tmp_path / "plan.txt").write_text(PLAN, encoding="utf-8")
    return CliRunner()


def invoke(cli: CliRunner, *args: str) -> tuple[int, str]:
    result = cli.invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_cli_import_review_confirm_and_units(cli: CliRunner) -> None:
    code, output = invoke(cli, "import", "plan.txt")
    assert code == 0 and "1 项任务读取把握不大，列为待确认" in output
    tasks = json.loads(invoke(cli, "tasks", "--format", "json")[1])
    pending = next(t for t in tasks if t["review"] == "pending")
    code, output = invoke(cli, "review")
    assert code == 0 and "待确认任务 1 项" in output and "动词开头" in output
    code, output = invoke(cli, "review", "--confirm", "999")
    assert code == 1 and "没有编号为 999 的任务" in output
    code, output = invoke(cli, "review", "--units", str(pending["id"]), "区教育局牵头，区文化旅游局配合")
    assert code == 0 and "责任单位已改正并确认" in output
    tasks = json.loads(invoke(cli, "tasks", "--format", "json")[1])
    changed = next(t for t in tasks if t["id"] == pending["id"])
    assert changed["review"] == "active"
    assert [(u["name"], u["role"]) for u in changed["units"]] == [
        ("区教育局", "lead"),
        ("区文化旅游局", "support"),
    ]
    code, output = invoke(cli, "review")
    assert "没有需要人工确认" in output


def test_cli_explain_shows_the_reading_and_stores_nothing(cli: CliRunner, tmp_path: Path) -> None:
    code, output = invoke(cli, "import", "--explain", "plan.txt")
    assert code == 0
    assert "大纲层级：第1级 一、（1条） → 第2级 1.（3条）" in output
    assert "读作：编号大纲" in output and "2026年" in output and "3 项任务" in output
    assert "待确认（导入后不发提醒，需人工确认）：1 项" in output and "动词开头" in output
    assert json.loads(invoke(cli, "tasks", "--format", "json")[1]) == []
    (tmp_path / "empty.txt").write_text("请各单位知悉。\n", encoding="utf-8")
    code, output = invoke(cli, "import", "--explain", "empty.txt")
    assert code == 1 and "未找到任务" in output and "--explain" in output
