"""Schema management (Alembic) on SQLite and PostgreSQL, the db commands, and the ledger under concurrency."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlmodel import SQLModel
from typer.testing import CliRunner

from duban.config import load_settings
from duban.context import open_context
from duban.dbcli import db_app
from storage import db, ledger
from storage.db import (
    UPGRADE_HINT,
    SchemaError,
    SchemaOutdated,
    alembic_config,
    current_revision,
    database_url,
    head_revision,
    init_db,
    make_engine,
    prepare_database,
    schema_diff,
    schema_status,
    session_scope,
    upgrade,
)

NOW = datetime(2026, 3, 25, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
DAY = date(2026, 3, 25)


@pytest.fixture
def blank(blank_engine: Engine) -> Engine:
    """A database with nothing in it (conftest's blank_engine, under the name these tests read best with)."""
    return blank_engine


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@h:5432/d", "postgresql+psycopg://u:p@h:5432/d"),
        ("postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg2://u@h/d", "postgresql+psycopg2://u@h/d"),
        ("sqlite:///data/duban.db", "sqlite:///data/duban.db"),
        ("sqlite://", "sqlite://"),
    ],
)
def test_database_url_selects_psycopg(given: str, expected: str) -> None:
    assert database_url(given) == expected


def test_make_engine_uses_psycopg_and_creates_sqlite_directories(tmp_path: Path) -> None:
    assert make_engine("postgres://u@localhost/d").dialect.driver == "psycopg"
    engine = make_engine(f"sqlite:///{tmp_path / 'a' / 'b' / 'duban.db'}")
    with engine.connect():
        pass
    assert (tmp_path / "a" / "b" / "duban.db").is_file()


def test_migrations_produce_exactly_the_models_schema(blank: Engine) -> None:
    assert schema_status(blank) == "empty"
    assert upgrade(blank) == head_revision()
    with blank.connect() as conn:
        assert schema_diff(conn) == []
        assert set(inspect(conn).get_table_names()) == {*SQLModel.metadata.tables, "alembic_version"}
    assert schema_status(blank) == "current"


def test_downgrade_to_base_and_up_again(blank: Engine) -> None:
    upgrade(blank)
    with blank.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert schema_status(blank) == "empty"
    with blank.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    upgrade(blank)
    assert schema_status(blank) == "current"


def test_prepare_database_migrates_an_empty_database_once(blank: Engine) -> None:
    prepare_database(blank)
    prepare_database(blank)  # already current: nothing to do
    assert current_revision(blank) == head_revision()


def test_prepare_database_refuses_an_outdated_database(
    blank: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade(blank)
    # The code now knows a newer head than the database records.
    monkeypatch.setattr(db, "head_revision", lambda: "9999")
    assert schema_status(blank) == "outdated"
    with pytest.raises(SchemaOutdated) as caught:
        prepare_database(blank)
    assert str(caught.value) == "数据库结构不是最新版本，请先运行：duban db upgrade" == UPGRADE_HINT


def test_prepare_database_refuses_a_database_newer_than_the_code(blank: Engine) -> None:
    upgrade(blank)
    with blank.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff'"))
    with pytest.raises(SchemaError, match="比本程序新") as caught:
        prepare_database(blank)
    assert not isinstance(caught.value, SchemaOutdated)


def test_tables_without_version_are_outdated_then_adopted(blank: Engine) -> None:
    SQLModel.metadata.create_all(blank)  # a database made before migrations existed
    assert schema_status(blank) == "outdated"
    with pytest.raises(SchemaOutdated):
        prepare_database(blank)
    assert upgrade(blank) == head_revision()
    assert schema_status(blank) == "current"


def test_unversioned_tables_that_differ_are_not_adopted(blank: Engine) -> None:
    with blank.begin() as conn:
        conn.execute(text("CREATE TABLE unit (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL)"))
    with pytest.raises(SchemaError, match="无法自动升级"):
        upgrade(blank)
    assert current_revision(blank) is None


def test_init_db_stamps_a_fresh_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'i.db'}")
    init_db(engine)
    assert schema_status(engine) == "current"


def test_open_context_migrates_a_fresh_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUBAN_DATABASE_URL", f"sqlite:///{tmp_path / 'fresh' / 'duban.db'}")
    ctx = open_context(load_settings(None))
    assert schema_status(ctx.engine) == "current"


def test_open_context_refuses_an_outdated_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    SQLModel.metadata.create_all(make_engine(url))
    monkeypatch.setenv("DUBAN_DATABASE_URL", url)
    with pytest.raises(SchemaOutdated, match="duban db upgrade"):
        open_context(load_settings(None))


def start_together(url: str, starts: int = 3) -> list[BaseException]:
    """prepare_database from several threads released at once on url; what each one raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(starts)

    def start() -> None:
        engine = make_engine(url)
        try:
            barrier.wait()
            prepare_database(engine)
        except BaseException as exc:
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=start) for _ in range(starts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return errors


def test_concurrent_first_starts_migrate_once(blank: Engine) -> None:
    """Three processes starting on an empty database at once: all succeed, the schema is made once."""
    assert start_together(blank.url.render_as_string(hide_password=False)) == []
    assert schema_status(blank) == "current"


@pytest.mark.slow  # ten rounds of racing first starts
def test_concurrent_first_starts_on_sqlite_never_see_a_half_made_schema(tmp_path: Path) -> None:
    """SQLite's DDL is not transactional: a start must not judge a schema another start is still making."""
    for trial in range(10):
        url = f"sqlite:///{tmp_path / f'race{trial}.db'}"
        assert start_together(url) == [], f"trial {trial}"
        assert schema_status(make_engine(url)) == "current"


# --- the db commands --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("steps", "codes", "last_words"),
    [
        (["current"], [1], "duban db upgrade"),
        (["upgrade", "current"], [0, 0], "状态：最新"),
        (["upgrade", "upgrade"], [0, 0], "无需升级"),
    ],
)
def test_db_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, steps: list[str], codes: list[int], last_words: str
) -> None:
    monkeypatch.setenv("DUBAN_DATABASE_URL", f"sqlite:///{tmp_path / 'c.db'}")
    monkeypatch.chdir(tmp_path)
    results = [CliRunner().invoke(db_app, [step]) for step in steps]
    assert [r.exit_code for r in results] == codes
    assert last_words in results[-1].output


def test_db_current_reports_an_unreachable_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUBAN_DATABASE_URL", "postgresql://someone:secret@127.0.0.1:9/nowhere")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(db_app, ["current"])
    assert result.exit_code == 2
    assert "无法连接数据库" in result.output and "secret" not in result.output


# --- the ledger under concurrency -------------------------------------------------------------------------


@pytest.mark.slow  # threads racing for the ledger
def test_concurrent_claims_exactly_one_wins(engine: Engine) -> None:
    """Eight connections claim the same (chat, day, kind) at once, for 20 chats: one claim wins per chat."""
    chats, racers = 20, 8
    wins: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def race(chat: int, barrier: threading.Barrier) -> None:
        try:
            barrier.wait()
            with session_scope(engine) as s:
                if ledger.claim(s, chat_id=chat, day=DAY, kind="digest", now=NOW):
                    with lock:
                        wins.append(chat)
        except BaseException as exc:
            errors.append(exc)

    for chat in range(1, chats + 1):
        barrier = threading.Barrier(racers)
        threads = [threading.Thread(target=race, args=(chat, barrier)) for _ in range(racers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert errors == []
    assert sorted(wins) == list(range(1, chats + 1))


@pytest.mark.slow  # waits on another transaction's lock
def test_a_claim_waits_for_the_open_one_and_loses(engine: Engine) -> None:
    """The second claim blocks on the first one's uncommitted row, then loses once it commits."""
    result: list[bool] = []
    with session_scope(engine) as first:
        assert ledger.claim(first, chat_id=7, day=DAY, kind="digest", now=NOW)

        def second() -> None:
            with session_scope(engine) as s:
                result.append(ledger.claim(s, chat_id=7, day=DAY, kind="digest", now=NOW))

        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.3)
        assert result == []  # still waiting for the first transaction
    thread.join(30)
    assert result == [False]


def test_concurrent_retries_of_a_failed_send_exactly_one_wins(engine: Engine) -> None:
    with session_scope(engine) as s:
        assert ledger.claim(s, chat_id=9, day=DAY, now=NOW)
    with session_scope(engine) as s:
        ledger.fail(s, chat_id=9, day=DAY, error="boom", now=NOW)
    wins: list[bool] = []
    barrier = threading.Barrier(6)

    def retry() -> None:
        barrier.wait()
        with session_scope(engine) as s:
            wins.append(ledger.claim(s, chat_id=9, day=DAY, now=NOW))

    threads = [threading.Thread(target=retry) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(wins) == [False] * 5 + [True]
    with session_scope(engine) as s:
        row = ledger.delivery(s, chat_id=9, day=DAY)
        assert row is not None and row.attempts == 2 and row.status == ledger.CLAIMED


def test_a_postgresql_url_without_the_driver_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from storage.db import UnsupportedDatabase, make_engine

    real_import = builtins.__import__

    def no_psycopg(
        name: str,
        globals: Mapping[str, object] | None = None,
        locals: Mapping[str, object] | None = None,
        fromlist: Sequence[str] = (),
        level: int = 0,
    ) -> ModuleType:
        if name == "psycopg" or name.startswith("psycopg."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, globals, locals, fromlist, level)

    monkeypatch.setattr(builtins, "__import__", no_psycopg)
    with pytest.raises(UnsupportedDatabase, match=r"pip install 'duban\[postgres\]'"):
        make_engine("postgresql://u@127.0.0.1:1/x")
