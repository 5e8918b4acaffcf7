"""Engine, sessions and the schema: Alembic migrations run from code, on SQLite and PostgreSQL alike.

Alembic (with Mako and its dialect modules, about a tenth of a second) is imported only when a migration,
a stamp or a schema comparison runs: checking that a database is current, which every command does, reads
the recorded revision with one SELECT and the newest one from the migration scripts' headers.
"""

from __future__ import annotations

import ast
import functools
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sqlalchemy import Connection, Engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlmodel import Session, SQLModel, create_engine

from storage import models  # noqa: F401  (registers the tables on SQLModel.metadata)

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine.interfaces import DBAPIConnection, DBAPICursor
    from sqlalchemy.pool import ConnectionPoolEntry

try:
    import fcntl
except ImportError:  # Windows: no flock; concurrent first starts on one SQLite file are then not serialised
    fcntl = None  # type: ignore[assignment]

SchemaStatus = Literal["empty", "current", "outdated"]
VERSION_TABLE = "alembic_version"
# Any fixed number: the PostgreSQL advisory lock that serialises migrations between processes.
MIGRATION_LOCK = 0x64756261  # "duba"
UPGRADE_HINT = "数据库结构不是最新版本，请先运行：duban db upgrade"


class SchemaError(RuntimeError):
    """The database schema cannot be used as it is; the message (Chinese) says why and what to do."""


class UnsupportedDatabase(SchemaError):
    """A database URL Duban cannot use (only SQLite and PostgreSQL are supported and tested)."""


class SchemaOutdated(SchemaError):
    """The database is behind the code's migrations."""

    def __init__(self, message: str = UPGRADE_HINT) -> None:
        super().__init__(message)


def database_url(url: str) -> str:
    """url with PostgreSQL spellings (postgres://, postgresql://) rewritten to the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def make_engine(url: str) -> Engine:
    """Create an engine for url; for a SQLite file, its directory is created and foreign keys enforced."""
    url = database_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UnsupportedDatabase(
            f"无法识别的数据库地址：{url}（应为 sqlite:///文件路径 或 postgresql://…）"
        ) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        shown = parsed.render_as_string(hide_password=True)
        raise UnsupportedDatabase(f"不支持的数据库：{shown}（只支持 SQLite 和 PostgreSQL）")
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    # A bot runs for months: pre-ping replaces connections the server or the network dropped meanwhile.
    try:
        engine = create_engine(url, pool_pre_ping=url.startswith("postgresql"))
    except ModuleNotFoundError as exc:  # the PostgreSQL driver is an extra
        raise UnsupportedDatabase(
            f"使用 PostgreSQL 需要安装其驱动（缺少 {exc.name}）：pip install 'duban[postgres]'"
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _switch_to_wal(cursor: DBAPICursor) -> None:
    """Put the file in WAL mode (it stays so); retried, as SQLite answers 'locked' without waiting when
    several processes open a brand-new file at the same moment."""
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
        return
    for attempt in range(50):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 49:
                raise
            time.sleep(0.1)


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # busy_timeout waits for a writer instead of failing at once. WAL lets the CLI read while the bot writes.
    cursor.execute("PRAGMA busy_timeout=5000")
    _switch_to_wal(cursor)
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a killed process loses nothing committed,
    # only a power cut or OS crash may undo the last commits. The ledger commits 3 times per message; FULL's
    # fsync each time (3–10 ms) held the sending loop below Telegram's 30 messages a second.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_db(engine: Engine) -> None:
    """Create missing tables straight from the models (tests); a fresh database is stamped as at head."""
    with engine.begin() as conn:
        fresh = _status(conn) == "empty"
        SQLModel.metadata.create_all(conn)
        if fresh:
            from alembic import command

            command.stamp(alembic_config(conn), "head")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends normally, rolled back on any exception."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# --- migrations -------------------------------------------------------------------------------------------


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic Config built in code: the scripts ship inside the storage package, no alembic.ini needed."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("storage") / "migrations"))
    cfg.set_main_option("path_separator", "os")
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", database_url(url).replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@functools.cache
def head_revision() -> str:
    """The newest migration's revision id, from the `revision`/`down_revision` lines of the scripts (the
    one revision no other revises); Alembic reads the scripts itself only if that does not find exactly one."""
    revises: dict[str, tuple[str, ...]] = {}
    for path in (resources.files("storage") / "migrations" / "versions").iterdir():
        if path.name.endswith(".py") and path.name != "__init__.py":
            found = _script_revision(path.read_text(encoding="utf-8"))
            if found is None:
                return _alembic_head()
            revises[found[0]] = found[1]
    heads = set(revises) - {r for downs in revises.values() for r in downs}
    return heads.pop() if len(heads) == 1 else _alembic_head()


def _script_revision(source: str) -> tuple[str, tuple[str, ...]] | None:
    """(revision, the revisions it revises) from a migration script's module-level assignments, or None."""
    values: dict[str, object] = {}
    for node in ast.parse(source).body:
        target: ast.expr
        value: ast.expr | None
        if isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision") and value:
            try:
                values[target.id] = ast.literal_eval(value)
            except ValueError:
                return None
    revision, down = values.get("revision"), values.get("down_revision", ...)
    if not isinstance(revision, str):
        return None
    if down is None:
        return revision, ()
    if isinstance(down, str):
        return revision, (down,)
    if isinstance(down, tuple | list) and all(isinstance(d, str) for d in down):
        return revision, tuple(str(d) for d in down)
    return None  # missing or not literal: let Alembic read the scripts


def _alembic_head() -> str:
    """The newest revision as Alembic's ScriptDirectory sees it."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "storage/migrations/versions holds no migration"
    return head


def _app_tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names()) & set(SQLModel.metadata.tables)


def _revisions(conn: Connection) -> set[str]:
    """The revisions the version table records (what Alembic's MigrationContext.get_current_heads reads)."""
    return {row[0] for row in conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))}


def _status(conn: Connection) -> SchemaStatus:
    revisions = _revisions(conn) if inspect(conn).has_table(VERSION_TABLE) else set()
    if not revisions:
        return "outdated" if _app_tables(conn) else "empty"
    return "current" if revisions == {head_revision()} else "outdated"


def schema_status(engine: Engine) -> SchemaStatus:
    """'empty' (no Duban tables), 'current' (at the newest migration) or 'outdated' (anything else)."""
    with engine.connect() as conn:
        return _status(conn)


def current_revision(engine: Engine) -> str | None:
    """The revision the database records, or None when it records none."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        revisions = sorted(_revisions(conn))
        return ",".join(revisions) or None


def schema_diff(conn: Connection) -> list[object]:
    """Differences between the database and the models, as Alembic's autogenerate sees them ([] = none)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    mc = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
    return [d for d in compare_metadata(mc, SQLModel.metadata) if not _is_version_table(d)]


def _is_version_table(diff: object) -> bool:
    table = diff[1] if isinstance(diff, tuple) and len(diff) > 1 else None
    return getattr(table, "name", None) == VERSION_TABLE


def _lock(conn: Connection) -> None:
    """Serialise migrations: two processes starting on an empty PostgreSQL database must not both migrate."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})


@contextmanager
def _file_lock(engine: Engine) -> Iterator[None]:
    """For a SQLite file, an exclusive lock on a file beside it while migrating (the same job as _lock)."""
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:" or fcntl is None:
        yield
        return
    with open(f"{path}.migrate-lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade(engine_or_url: Engine | str, revision: str = "head") -> str | None:
    """Run the migrations up to revision in one transaction (PostgreSQL: under an advisory lock).

    On SQLite a lock file beside the database does the advisory lock's job. A database whose tables were created from the models before migrations existed (no version recorded) is
    stamped as at head when it matches the models, and refused otherwise. Returns the revision reached.
    """
    engine = make_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    try:
        with _file_lock(engine):
            return _upgrade_holding_file_lock(engine, revision)
    finally:
        if isinstance(engine_or_url, str):
            engine.dispose()


def _upgrade_holding_file_lock(engine: Engine, revision: str) -> str | None:
    """upgrade() for a caller that already holds _file_lock (flock is not re-entrant within a process)."""
    from alembic import command

    with engine.begin() as conn:
        _lock(conn)
        recorded = inspect(conn).has_table(VERSION_TABLE) and _revisions(conn)
        if not recorded and _app_tables(conn):
            diff = schema_diff(conn)
            if diff:
                raise SchemaError(
                    "数据库里已有督办的表，但没有迁移版本记录，且结构与当前版本不同，无法自动升级。"
                    f"请备份后手工处理。差异：{diff[:5]}"
                )
            command.stamp(alembic_config(conn), "head")
        else:
            command.upgrade(alembic_config(conn), revision)
    return current_revision(engine)


def prepare_database(engine: Engine) -> None:
    """Make the database usable: an empty one is migrated to head; an outdated one raises SchemaOutdated."""
    if schema_status(engine) == "current":
        return
    # Another process may be migrating this very database (SQLite's DDL is not transactional, so its
    # half-made schema would look outdated): decide only once the migration lock is ours.
    with _file_lock(engine):
        status = schema_status(engine)
        if status == "empty":
            _upgrade_holding_file_lock(engine, "head")
    if status == "outdated":
        from alembic.script import ScriptDirectory

        known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
        recorded = current_revision(engine)
        if recorded and not set(recorded.split(",")) <= known:
            raise SchemaError(f"数据库结构版本（{recorded}）比本程序新，请升级督办后再运行。")
        raise SchemaOutdated()
