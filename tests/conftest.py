"""Shared fixtures: the seed documents beside the repository and the project's own fixtures."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pg import require_pg, scratch_database, truncate_all
from sqlalchemy import Engine

from storage.db import init_db, make_engine, upgrade

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def seed_path(prefix: str) -> Path:
    """Path of the seed whose name starts with prefix; skips the test visibly when seeds are absent."""
    if not SEEDS.is_dir():
        pytest.skip(f"种子文档目录不存在：{SEEDS}（只在带 ../shared/seeds 的检出中运行）")
    matches = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    if not matches:
        pytest.skip(f"缺少种子文档 {prefix}_*.txt")
    return matches[0]


def seed_text(prefix: str) -> str:
    """Text of one seed document."""
    return seed_path(prefix).read_text(encoding="utf-8")


# --- databases: SQLite always, PostgreSQL when $DUBAN_TEST_DATABASE_URL is set (tests/pg.py) ---------------


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """A scratch PostgreSQL database for this test run, migrated to head; dropped when the run ends."""
    with scratch_database(require_pg()) as url:
        upgrade(url)
        yield url


# PostgreSQL runs are slow (a server round trip per statement, a scratch database per run): `-m "not slow"`
# leaves them out of the inner loop; the full suite runs them.
DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file made once by init_db; each test copies it (1 ms) instead of creating the schema (30 ms)."""
    path = tmp_path_factory.mktemp("template") / "duban.db"
    made = make_engine(f"sqlite:///{path}")
    init_db(made)
    made.dispose()  # the last connection closing checkpoints the WAL into the file
    return path


@pytest.fixture(params=DATABASES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty, current database: a SQLite file in a new directory, or the run's PostgreSQL database emptied."""
    if request.param == "sqlite":
        path = tmp_path / "nested" / "duban.db"
        made = make_engine(f"sqlite:///{path}")  # creates the directory; connects only when first used
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    else:
        made = make_engine(request.getfixturevalue("pg_database_url"))
        truncate_all(made)
    try:
        yield made
    finally:
        made.dispose()


@pytest.fixture(params=DATABASES)
def blank_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database with nothing in it, not even the schema: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        made = make_engine(f"sqlite:///{tmp_path / 'blank.db'}")
        yield made
        made.dispose()
        return
    with scratch_database(require_pg()) as url:
        made = make_engine(url)
        yield made
        made.dispose()


def _cjk_font_missing() -> str | None:
    """Why charts cannot be drawn here, or None when a Chinese font is installed."""
    from duban.report import ReportError, find_cjk_font

    try:
        find_cjk_font()
    except ReportError as exc:
        return f"没有中文字体，跳过图表测试：{exc}"
    return None


_NO_CJK_FONT = _cjk_font_missing()
needs_cjk_font = pytest.mark.skipif(_NO_CJK_FONT is not None, reason=_NO_CJK_FONT or "")
