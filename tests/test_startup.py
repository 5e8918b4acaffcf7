"""Each command loads only what it uses: no Telegram, Alembic or PostgreSQL driver where none is needed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from storage import db

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("telegram", "alembic", "psycopg", "mako", "apscheduler", "httpx")

# Runs the CLI in a fresh interpreter and prints, after its output, the top-level modules it loaded.
RUN_CLI = """
import json, sys
sys.argv = ["duban", *json.loads(sys.argv[1])]
from duban.cli import app
try:
    app()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print("\\nMODULES=" + json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
print("EXIT=" + json.dumps(code))
"""


def run_cli(args: list[str], cwd: Path) -> tuple[str, int, set[str]]:
    """A duban command's output, exit code and loaded top-level modules."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    env["DUBAN_DATABASE_URL"] = f"sqlite:///{cwd / 'duban.db'}"
    done = subprocess.run(
        [sys.executable, "-c", RUN_CLI, json.dumps(args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env=env,
        timeout=60,
        check=False,
    )
    assert "MODULES=" in done.stdout, done.stderr
    output, _, tail = done.stdout.rpartition("\nMODULES=")
    modules_line, _, exit_line = tail.partition("\nEXIT=")
    return output, json.loads(exit_line) or 0, set(json.loads(modules_line))


@pytest.mark.slow  # subprocesses
def test_help_loads_no_database_telegram_or_migrations(tmp_path: Path) -> None:
    output, code, modules = run_cli(["--help"], tmp_path)
    assert code == 0
    assert "resolve" in output and "督办" in output
    assert modules.isdisjoint({*HEAVY, "sqlalchemy", "sqlmodel", "loguru"}), modules & {*HEAVY, "sqlalchemy"}
    assert not (tmp_path / "duban.db").exists()


@pytest.mark.slow  # subprocesses
def test_resolve_loads_only_the_deadline_rules(tmp_path: Path) -> None:
    output, code, modules = run_cli(["resolve", "国庆节前", "--year", "2023"], tmp_path)
    assert code == 0
    assert json.loads(output)["due"] == "2023-09-28"
    assert modules.isdisjoint({*HEAVY, "sqlalchemy", "sqlmodel", "rich"}), modules & {*HEAVY, "sqlalchemy"}


@pytest.mark.slow  # subprocesses
def test_database_commands_migrate_once_then_load_no_alembic_or_telegram(tmp_path: Path) -> None:
    _, code, first = run_cli(["plans"], tmp_path)  # a new database: migrated, so Alembic is needed once
    assert code == 0
    assert "alembic" in first
    _, code, first = run_cli(["run"], tmp_path)  # the demo's own new database, migrated once too
    assert code == 0
    assert "alembic" in first
    for args in (["plans"], ["tasks", "--format", "json"], ["digest", "--date", "2026-03-27"], ["run"]):
        output, code, modules = run_cli(args, tmp_path)
        assert code == 0, output
        assert modules.isdisjoint(HEAVY), (args, modules & set(HEAVY))
    assert "示例计划" in output  # `duban run` without a token: the dry run imported the sample and printed


def test_head_revision_read_from_the_scripts_is_alembics() -> None:
    db.head_revision.cache_clear()
    assert db.head_revision() == db._alembic_head()


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('revision: str = "0002"\ndown_revision: str | None = "0001"\n', ("0002", ("0001",))),
        ('revision = "0001"\ndown_revision = None\n', ("0001", ())),
        ('revision = "m"\ndown_revision = ("a", "b")\n', ("m", ("a", "b"))),
        ('revision = "x"\n', None),  # no down_revision line: Alembic decides
        ('revision = "x"\ndown_revision = compute()\n', None),
    ],
)
def test_script_revision_lines(source: str, expected: tuple[str, tuple[str, ...]] | None) -> None:
    assert db._script_revision(source) == expected
