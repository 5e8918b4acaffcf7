"""Alembic environment: runs on the connection storage.db passes in, or on sqlalchemy.url (offline SQL too)."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection, TypeDecorator
from sqlmodel import SQLModel

from storage import models  # noqa: F401  (registers the tables on SQLModel.metadata)

config = context.config
target_metadata = SQLModel.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render SQLModel's column types (AutoString, UTCDateTime) as the SQLAlchemy types beneath them.

    Migrations then do not import sqlmodel internals, which change between its versions.
    """
    if type_ == "type" and isinstance(obj, TypeDecorator) and type(obj).__module__.startswith("sqlmodel"):
        return f"sa.{obj.impl!r}"
    return False


def options(dialect: str) -> dict[str, Any]:
    """configure() options shared by online and offline runs."""
    return {
        "target_metadata": target_metadata,
        "render_item": render_item,
        "compare_type": True,
        # SQLite alters tables by copying them; batch mode does that for ALTERs in later revisions.
        "render_as_batch": dialect == "sqlite",
    }


def run_online(connection: Connection) -> None:
    """Migrate on an open connection."""
    context.configure(connection=connection, **options(connection.dialect.name))
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    url = config.get_main_option("sqlalchemy.url") or "sqlite://"
    context.configure(url=url, literal_binds=True, **options(url.split(":", 1)[0].split("+", 1)[0]))
    with context.begin_transaction():
        context.run_migrations()
elif (given := config.attributes.get("connection")) is not None:
    run_online(given)
else:
    from storage.db import make_engine

    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.begin() as conn:
            run_online(conn)
    finally:
        engine.dispose()
