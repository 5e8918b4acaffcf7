"""PostgreSQL for tests: a scratch database per test run, made from $DUBAN_TEST_DATABASE_URL and dropped after."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from storage.db import database_url, make_engine

PG_ENV = "DUBAN_TEST_DATABASE_URL"
SKIP_REASON = f"未设置 {PG_ENV}，跳过 PostgreSQL 测试（例如 postgresql://postgres@127.0.0.1:5432/test）"


def pg_base_url() -> str | None:
    """The server to test against, or None when PostgreSQL tests are off."""
    return os.environ.get(PG_ENV, "").strip() or None


def require_pg() -> str:
    """The server URL, or a visible skip when it is not configured."""
    url = pg_base_url()
    if url is None:
        pytest.skip(SKIP_REASON)
    return url


@contextmanager
def scratch_database(base_url: str) -> Iterator[str]:
    """Create a uniquely named database on base_url's server, yield its URL, drop it (even if still in use)."""
    base = make_url(database_url(base_url))
    name = f"duban_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(base.render_as_string(hide_password=False)).execution_options(
        isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def truncate_all(engine: Engine) -> None:
    """Empty every Duban table and restart the id sequences, so each test starts from a fresh database."""
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
