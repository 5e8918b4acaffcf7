"""The `duban` command line, driven as a person would, against a scratch SQLite database."""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from botapi import FakeTelegram
from conftest import FIXTURES, seed_path
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from typer.testing import CliRunner

from duban.cli import app, sample_plan_bytes
from storage import progress, subscriptions
from storage.db import make_engine, session_scope

JSON_KEYS = {
    "id", "plan", "seq", "category", "content", "units", "deadline_text",
    "due", "kind", "recurrence", "event", "flags", "status", "review", "confidence", "doubts",
    "milestones",
}  # fmt: skip


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_template: Path) -> CliRunner:
    """A runner in an empty directory (no config.toml) with DUBAN_DATABASE_URL on a scratch file.

    The file starts as a copy of the session's migrated template (a first start migrates in 0.1 s; that is
    tested in test_db.py and test_startup.py).
    """
    (tmp_path / "db").mkdir()
    shutil.copyfile(sqlite_template, tmp_path / "db" / "duban.db")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DUBAN_CONFIG", raising=False)
    monkeypatch.setenv("DUBAN_DATABASE_URL", f"sqlite:///{tmp_path / 'db' / 'duban.db'}")
    return CliRunner()


def invoke(cli: CliRunner, *args: str) -> tuple[int, str]:
    result = cli.invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


SAMPLE = str(Path(__file__).resolve().parent.parent / "duban" / "sample_plan.txt")


def stored_tasks(cli: CliRunner, *args: str) -> list[dict]:
    code, output = invoke(cli, "tasks", "--format", "json", *args)
    assert code == 0, output
    return json.loads(output)


def test_run_without_a_token_demonstrates_on_its_own_database(cli: CliRunner, tmp_path: Path) -> None:
    code, output = invoke(cli, "run")
    assert code == 0, output
    assert "已导入" in output and "10 项任务" in output
    assert "演示用的是单独的演示数据库" in output and (tmp_path / "data" / "demo.db").is_file()
    code, output = invoke(cli, "run")
    assert code == 0 and "内容相同，未做任何更改" in output
    assert stored_tasks(cli) == []  # the real database got nothing from the demo


def test_json_has_exactly_the_documented_keys(cli: CliRunner) -> None:
    invoke(cli, "import", SAMPLE)
    tasks = stored_tasks(cli)
    assert all(set(t) == JSON_KEYS for t in tasks)
    first = tasks[0]
    assert first["units"] == [
        {"name": "县政府办公室", "role": "lead", "status": "open", "done_at": None},
        {"name": "县大数据中心", "role": "support", "status": "open", "done_at": None},
    ]
    assert (first["deadline_text"], first["due"], first["kind"], first["status"]) == (
        "3月底前",
        "2026-03-31",
        "fixed",
        "open",
    )
    quarterly = tasks[1]
    assert (quarterly["kind"], quarterly["recurrence"]) == ("recurring", "quarterly")


@pytest.mark.parametrize(
    ("prefix", "count"),
    [("000", 99), ("001", 78), ("002", 32), ("003", 21), ("004", 55)],
)
def test_import_each_seed(cli: CliRunner, prefix: str, count: int) -> None:
    path = seed_path(prefix)
    code, output = invoke(cli, "import", str(path))
    assert code == 0, output
    assert f"{count} 项任务" in output
    tasks = stored_tasks(cli)
    assert len(tasks) == count
    assert all(t["units"] and t["content"] for t in tasks)


def test_importing_many_files_and_filtering_by_unit(cli: CliRunner, tmp_path: Path) -> None:
    sample = tmp_path / "sample.txt"
    sample.write_bytes(sample_plan_bytes())
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes((FIXTURES / "plan_outline.txt").read_text(encoding="utf-8").encode("gb18030"))
    code, output = invoke(cli, "import", str(sample), str(gbk))
    assert code == 0, output
    plans = {t["plan"] for t in stored_tasks(cli)}
    assert plans == {1, 2}
    # A unit's tasks are those naming it and those of the groups that reach it, as its chat sees them.
    by_unit = stored_tasks(cli, "--unit", "县教育局")
    assert [t["seq"] for t in by_unit] == ["5", "7", "8", "3"]
    assert [u["name"] for u in by_unit[0]["units"]] == ["县教育局"]
    assert all(u["name"] != "县教育局" for t in by_unit[1:] for u in t["units"])
    assert stored_tasks(cli, "--plan", "2") == [t for t in stored_tasks(cli) if t["plan"] == 2]
    code, output = invoke(cli, "units")
    assert code == 0 and "县教育局" in output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "为空"),
        (bytes(range(256)) * 8, "编码"),
        ("这是一份普通的通知，没有任何任务表格。\n请各单位知悉。\n".encode(), "未找到任务"),
    ],
    ids=["empty", "binary", "no-tasks"],
)
def test_bad_input_gets_a_chinese_error_and_stores_nothing(
    cli: CliRunner, tmp_path: Path, content: bytes, message: str
) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    code, output = invoke(cli, "import", str(bad))
    assert code == 1
    assert message in output and "未保存任何内容" in output
    assert "Traceback" not in output
    assert stored_tasks(cli) == []


def test_missing_file_and_bad_options(cli: CliRunner, tmp_path: Path) -> None:
    code, output = invoke(cli, "import", str(tmp_path / "nope.txt"))
    assert code == 1 and "无法读取该文件" in output
    code, output = invoke(cli, "import", str(tmp_path / "nope.txt"), "--issued", "三月")
    assert code == 1 and "YYYY-MM-DD" in output
    code, output = invoke(cli, "tasks", "--format", "xml")
    assert code == 1 and "table 或 json" in output


def test_resolve_prints_json(cli: CliRunner) -> None:
    code, output = invoke(cli, "resolve", "3月底前", "--year", "2022")
    assert code == 0
    data = json.loads(output)
    assert (data["due"], data["kind"], data["flags"]) == ("2022-03-31", "fixed", [])
    assert data["reason"] is None
    code, output = invoke(cli, "resolve", "本文印发后30日", "--year", "2022")
    assert json.loads(output)["flags"] == ["needs_issue_date"]
    assert "印发日期" in json.loads(output)["reason"]


def test_resolve_says_when_the_calendar_does_not_know_the_year(cli: CliRunner, tmp_path: Path) -> None:
    code, output = invoke(cli, "resolve", "国庆节前", "--year", "2031")
    data = json.loads(output)
    assert (
        code == 0
        and (data["due"], data["kind"]) == (None, "unresolved")
        and "节假日安排未知" in data["reason"]
    )
    config = tmp_path / "config.toml"
    config.write_text(f'[calendar]\noverride = "{FIXTURES / "holidays_override.toml"}"\n', encoding="utf-8")
    code, output = invoke(cli, "resolve", "国庆节前", "--year", "2031", "--config", str(config))
    assert code == 0 and json.loads(output)["due"] == "2031-09-30"


def test_review_lists_flagged_deadlines(cli: CliRunner) -> None:
    invoke(cli, "import", SAMPLE)
    code, output = invoke(cli, "review")
    assert code == 0
    assert "三季度前" in output and "2026-09-30" in output


def test_config_file_is_found_and_errors_are_clear(cli: CliRunner, tmp_path: Path, monkeypatch) -> None:
    code, output = invoke(cli, "plans", "--config", str(tmp_path / "missing.toml"))
    assert code == 1 and "找不到配置文件" in output
    broken = tmp_path / "broken.toml"
    broken.write_text("[storage\n", encoding="utf-8")
    monkeypatch.setenv("DUBAN_CONFIG", str(broken))
    code, output = invoke(cli, "plans")
    assert code == 1 and "格式有误" in output
    good = tmp_path / "good.toml"
    good.write_text('[storage]\ndata_dir = "elsewhere"\n', encoding="utf-8")
    monkeypatch.delenv("DUBAN_DATABASE_URL")
    code, output = invoke(cli, "plans", "--config", str(good))
    assert code == 0, output
    assert (tmp_path / "elsewhere" / "duban.db").is_file()
    code, output = invoke(cli, "run", "--config", str(good))  # the demo keeps to its own database there
    assert code == 0, output
    assert (tmp_path / "elsewhere" / "demo.db").is_file()


def test_holiday_override_from_config_reaches_import(cli: CliRunner, tmp_path: Path) -> None:
    plan = tmp_path / "plan2031.txt"
    plan.write_text(
        "2031年某镇政务公开工作要点任务分解表\n\n序号\t任务名称\t任务内容\t责任单位\t时间节点\n"
        "1\t假日公开\t节前公开假日值班安排\t镇党政办\t国庆节前\n",
        encoding="utf-8",
    )
    code, output = invoke(cli, "import", str(plan))
    assert code == 0, output
    assert stored_tasks(cli)[0]["kind"] == "unresolved"  # chinese-calendar does not know 2031
    config = tmp_path / "config.toml"
    config.write_text(f'[calendar]\noverride = "{FIXTURES / "holidays_override.toml"}"\n', encoding="utf-8")
    other = tmp_path / "plan2031b.txt"
    other.write_text(plan.read_text(encoding="utf-8").replace("节前公开", "节前及时公开"), encoding="utf-8")
    code, output = invoke(cli, "import", str(other), "--config", str(config))
    assert code == 0, output
    # Same title and year: the amended version updates plan 1, its task resolved with the override.
    assert "已更新" in output
    assert stored_tasks(cli, "--plan", "1")[0]["due"] == "2031-09-30"


def test_unit_directory_file_from_config(cli: CliRunner, tmp_path: Path) -> None:
    directory = tmp_path / "units.toml"
    directory.write_text('[department]\n"县政府办公室" = ["县府办"]\n', encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(f'[units]\ndirectory = "{directory.name}"\n', encoding="utf-8")
    plan = tmp_path / "plan.txt"
    plan.write_text(
        "2026年某县政务公开工作要点任务分解表\n\n序号\t任务名称\t任务内容\t责任单位\t时间节点\n"
        "1\t平台\t梳理公开目录\t县府办牵头，各部门配合\t3月底前\n",
        encoding="utf-8",
    )
    code, output = invoke(cli, "import", str(plan), "--config", str(config))
    assert code == 0, output
    assert [(u["name"], u["role"]) for u in stored_tasks(cli)[0]["units"]] == [
        ("县政府办公室", "lead"),
        ("各部门", "support"),
    ]
    directory.write_text("[department\n", encoding="utf-8")
    code, output = invoke(cli, "units", "--config", str(config))
    assert code == 1 and "单位目录文件" in output and "有误" in output


def test_json_shows_done_per_unit_and_task_status(cli: CliRunner, tmp_path: Path) -> None:
    invoke(cli, "import", SAMPLE)
    engine = make_engine(f"sqlite:///{tmp_path / 'db' / 'duban.db'}")
    now = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with session_scope(engine) as s:
        office = subscriptions.unit_by_name(s, "县政府办公室")
        data = subscriptions.unit_by_name(s, "县大数据中心")
        assert office and data and office.id is not None and data.id is not None
        progress.mark_done(s, task_id=1, unit_id=office.id, user_id=7, user_name="张三", note=None, now=now)
    first = stored_tasks(cli)[0]
    assert [(u["name"], u["status"]) for u in first["units"]] == [
        ("县政府办公室", "done"),
        ("县大数据中心", "open"),
    ]
    assert datetime.fromisoformat(first["units"][0]["done_at"]) == now
    assert first["status"] == "partly_done"
    with session_scope(engine) as s:
        progress.mark_done(s, task_id=1, unit_id=data.id, user_id=8, user_name="李四", note="已上线", now=now)
    assert stored_tasks(cli)[0]["status"] == "done"


def test_unreachable_database_is_one_clear_line(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUBAN_DATABASE_URL", "postgresql://postgres:secret@127.0.0.1:1/nowhere")
    code, output = invoke(cli, "tasks")
    assert code == 2
    assert "无法连接数据库" in output and "secret" not in output and "Traceback" not in output


@pytest.mark.parametrize("reachable", [True, False], ids=["token-refused", "api-unreachable"])
@pytest.mark.parametrize("command", [["run"], ["digest", "--send"]])
def test_telegram_failures_are_one_line_without_the_token(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reachable: bool, command: list[str]
) -> None:
    token = "123456:wrong-token-for-test"
    monkeypatch.setenv("DUBAN_TELEGRAM_TOKEN", token)
    with FakeTelegram() as tg:
        base = tg.base_url if reachable else "http://127.0.0.1:1/bot"
        config = tmp_path / "config.toml"
        config.write_text(f'[telegram]\napi_base_url = "{base}"\nconnect_timeout = 2\n', encoding="utf-8")
        code, output = invoke(cli, *command, "--config", str(config))
    assert code == 1, output
    expected = "拒绝了机器人令牌" if reachable else "无法连接 Telegram Bot API"
    assert expected in output and token not in output and "Traceback" not in output


@pytest.mark.parametrize(
    ("url", "message"),
    [("mysql://user:pw@db/duban", "不支持的数据库"), ("not a url", "无法识别的数据库地址")],
)
@pytest.mark.parametrize("command", [["plans"], ["db", "current"]])
def test_unsupported_database_url_is_one_line(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, url: str, message: str, command: list[str]
) -> None:
    monkeypatch.setenv("DUBAN_DATABASE_URL", url)
    code, output = invoke(cli, *command)
    assert code == 1 and message in output and "pw" not in output and "Traceback" not in output


def test_tasks_unit_filter_takes_near_names_and_suggests_on_a_miss(cli: CliRunner) -> None:
    invoke(cli, "import", SAMPLE)
    assert [t["seq"] for t in stored_tasks(cli, "--unit", "县教育")] == ["5", "7", "8"]
    assert {t["seq"] for t in stored_tasks(cli, "--unit", "各乡镇")} == {"9"}
    code, output = invoke(cli, "tasks", "--unit", "县公安局")
    assert code == 1 and "没有找到单位“县公安局”" in output and "没有名称相近的单位" in output


@pytest.mark.parametrize(
    ("exc", "line"),
    [
        (MemoryError(), "内存不足"),
        (OSError(28, "No space left on device"), "磁盘空间不足"),
        (PermissionError(13, "Permission denied", "/data/duban.db"), "没有写入权限：/data/duban.db"),
        (OperationalError("INSERT", {}, Exception("database is locked")), "数据库正被其他程序占用"),
        (IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed")), "同时写入"),
        (
            DataError("INSERT", {}, Exception("A string literal cannot contain NUL (0x00) characters.")),
            "空字符（NUL）",
        ),
        (RuntimeError("boom"), "出错了（RuntimeError）"),
    ],
)
def test_every_unforeseen_failure_is_one_chinese_line(exc: BaseException, line: str) -> None:
    from duban.cli import failure_line

    text = failure_line(exc)
    assert line in text and "\n" not in text and "未保存" in text


@pytest.mark.slow
def test_a_locked_database_is_one_line_and_no_traceback(tmp_path: Path) -> None:
    import sqlite3
    import subprocess
    import sys

    db = tmp_path / "duban.db"
    env = {**os.environ, "DUBAN_DATABASE_URL": f"sqlite:///{db}", "COLUMNS": "200"}
    env.pop("DUBAN_CONFIG", None)
    duban = str(Path(sys.executable).parent / "duban")
    (tmp_path / "plan.txt").write_text(
        "2026年某区工作方案\n一、任务\n1.开展培训。责任单位：区司法局\n", encoding="utf-8"
    )
    subprocess.run([duban, "plans"], env=env, cwd=tmp_path, capture_output=True, timeout=60, check=True)
    holder = sqlite3.connect(db)
    holder.execute("BEGIN EXCLUSIVE")  # another program holds the database
    try:
        done = subprocess.run(
            [duban, "import", "plan.txt"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=90
        )
    finally:
        holder.rollback()
        holder.close()
    output = done.stdout + done.stderr
    assert done.returncode == 1 and "数据库正被其他程序占用" in output, output
    assert "Traceback" not in output and len(output.strip().splitlines()) == 1, output


def test_plans_archive_restore_and_delete(cli: CliRunner) -> None:
    invoke(cli, "import", SAMPLE)
    assert "进行中" in invoke(cli, "plans")[1]
    code, output = invoke(cli, "plans", "archive", "1")
    assert code == 0 and "已归档计划 #1" in output and "不再提醒" in output
    assert "已归档（不提醒）" in invoke(cli, "plans")[1]
    assert len(stored_tasks(cli)) == 10  # the record stays
    assert invoke(cli, "plans", "restore", "1")[0] == 0
    code, output = invoke(cli, "plans", "archive", "9")
    assert code == 1 and "没有编号为 9 的计划" in output
    result = cli.invoke(app, ["plans", "delete", "1"], input="n\n", env={"COLUMNS": "200"})
    assert "未删除" in result.output and len(stored_tasks(cli)) == 10
    code, output = invoke(cli, "plans", "delete", "1", "--yes")
    assert code == 0 and "已删除计划 #1" in output and stored_tasks(cli) == []


def test_tables_are_tab_separated_when_piped(cli: CliRunner) -> None:
    invoke(cli, "import", SAMPLE)
    result = cli.invoke(app, ["tasks"], env={"COLUMNS": "80"})
    lines = result.stdout.splitlines()
    assert lines[0].split("\t") == ["ID", "序号", "任务", "责任单位", "时间节点 → 截止"]
    assert len(lines) == 11 and all(line.count("\t") == 4 for line in lines)
    assert "│" not in result.stdout and "[bold]" not in result.stdout
