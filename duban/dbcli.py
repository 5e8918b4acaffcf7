"""`duban db …`: bring the database schema up to date and show where it stands."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from duban.consoles import err, escape, out

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from duban.config import Settings

# Registered on the `duban` app at import: SQLAlchemy, Alembic and storage load only when a db command runs.
db_app = typer.Typer(help="数据库结构：升级（迁移）与查看版本。", no_args_is_help=True)

ConfigOption = Annotated[
    str | None, typer.Option("--config", help="配置文件路径（默认 $DUBAN_CONFIG 或 ./config.toml）")
]
STATUS_TEXT = {"empty": "空库（尚未建表）", "current": "最新", "outdated": "需要升级"}


def shown_url(url: str) -> str:
    """The database URL with any password hidden, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is shown as given; it has no recognisable password part
        return url


def open_engine(config: str | None) -> tuple[Settings, Engine]:
    """Settings and an engine, without touching the schema."""
    from duban.config import ConfigError, load_settings
    from duban.logs import setup_logging
    from storage.db import SchemaError, make_engine

    try:
        settings = load_settings(config)
    except ConfigError as exc:
        err.print(f"[red]错误：[/red]{escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from exc
    setup_logging(settings.log, settings.tz)
    try:
        return settings, make_engine(settings.database_url)
    except SchemaError as exc:
        err.print(f"[red]错误：[/red]{escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from exc


def unreachable(settings: Settings, exc: Exception) -> typer.Exit:
    """Report a database that cannot be reached or used, and return the exit to raise."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    err.print(
        f"[red]错误：[/red]无法连接数据库 {escape(shown_url(settings.database_url))}：{escape(reason)}",
        highlight=False,
    )
    return typer.Exit(2)


@db_app.command("upgrade")
def upgrade_cmd(
    config: ConfigOption = None,
    revision: Annotated[str, typer.Option(help="升级到哪个版本（默认最新 head）")] = "head",
) -> None:
    """把数据库结构升级到最新版本（空库则建表）。可重复运行。"""
    from alembic.util import CommandError
    from sqlalchemy.exc import DBAPIError, OperationalError

    from storage.db import SchemaError, current_revision, schema_status, upgrade

    settings, engine = open_engine(config)
    try:
        status, before = schema_status(engine), current_revision(engine)
        after = upgrade(engine, revision)
    except (SchemaError, CommandError) as exc:
        err.print(f"[red]错误：[/red]{escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from exc
    except (OperationalError, DBAPIError) as exc:
        raise unreachable(settings, exc) from exc
    finally:
        engine.dispose()
    where = shown_url(settings.database_url)
    if status == "outdated" and before is None:
        out.print(f"数据库中已有的表与最新结构一致，已登记为版本 {after}（{where}）。", highlight=False)
    elif before == after:
        out.print(f"数据库结构已是版本 {after}，无需升级（{where}）。", highlight=False)
    else:
        out.print(f"数据库结构已从 {before or '空库'} 升级到 {after}（{where}）。", highlight=False)


@db_app.command("current")
def current_cmd(config: ConfigOption = None) -> None:
    """显示数据库结构的版本；不是最新时退出码为 1（可用作健康检查）。"""
    from sqlalchemy.exc import DBAPIError, OperationalError

    from storage.db import current_revision, head_revision, schema_status

    settings, engine = open_engine(config)
    try:
        status, revision = schema_status(engine), current_revision(engine)
    except (OperationalError, DBAPIError) as exc:
        raise unreachable(settings, exc) from exc
    finally:
        engine.dispose()
    head = head_revision()
    out.print(
        f"数据库：{shown_url(settings.database_url)}\n"
        f"当前版本：{revision or '无'}　最新版本：{head}　状态：{STATUS_TEXT[status]}",
        highlight=False,
    )
    if status != "current":
        out.print("请运行：duban db upgrade", highlight=False)
        raise typer.Exit(1)
