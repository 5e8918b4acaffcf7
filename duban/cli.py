"""The `duban` command line: import plans, list tasks and units, resolve deadlines, review, run.

Each command imports what it uses when it runs: `duban --help` loads typer and little else, `duban resolve`
adds the deadline rules, and only the commands that touch the database load SQLAlchemy (Alembic only when
a migration runs, python-telegram-bot only when something is sent or the bot runs). tests/test_startup.py
checks it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from duban import cli_zh
from duban.consoles import err, escape, out, print_table
from duban.dbcli import db_app

if TYPE_CHECKING:
    from core.digest import OutMessage
    from core.models import Deadline, Plan
    from core.pipeline import PreparedTask
    from duban.config import Settings
    from duban.context import AppContext
    from jobs.digest import DeliveryReport
    from storage.crud import TaskView
    from storage.plans import Comparison, StoreResult

cli_zh.install()  # typer's and click's own words (usage, panels, usage errors) in Chinese

app = typer.Typer(
    help="督办：把政务公开工作要点的任务分解表变成截止提醒。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(db_app, name="db")

ConfigOption = Annotated[
    str | None, typer.Option("--config", help="配置文件路径（默认 $DUBAN_CONFIG 或 ./config.toml）")
]

ROLE_NAMES = {"lead": "牵头", "support": "配合", "owner": "负责"}
KIND_NAMES = {
    "fixed": "定期",
    "ongoing": "全年持续",
    "recurring": "周期",
    "event_relative": "事件后",
    "unresolved": "未识别",
}
WEEKDAYS = "一二三四五六日"


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a Chinese error line and return the exit to raise."""
    err.print(f"[red]错误：[/red]{escape(message)}", highlight=False)
    return typer.Exit(code)


def context(config: str | None, *, demo: bool = False) -> AppContext:
    """Settings, logging, engine and unit directory, or a clear error; demo: on the demo database of the
    data directory (demo.db) instead of the configured one."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    from core.models import DocumentError
    from duban.config import ConfigError, load_settings
    from duban.context import open_context
    from duban.dbcli import unreachable
    from storage.db import SchemaError

    try:
        settings = load_settings(config)
        if demo:
            settings = replace(settings, database_url=f"sqlite:///{settings.data_dir / 'demo.db'}")
        return open_context(settings)
    except (ConfigError, DocumentError, SchemaError) as exc:
        raise fail(str(exc)) from None
    except (OperationalError, DBAPIError) as exc:
        raise unreachable(settings, exc) from None


@contextmanager
def telegram_errors(ctx: AppContext) -> Iterator[None]:
    """Turn Telegram refusing the token or being unreachable into one Chinese line (the token never shown)."""
    from telegram.error import InvalidToken, NetworkError

    from duban.config import TOKEN_ENV

    try:
        yield
    except InvalidToken:
        # PTB's own message quotes the token, so it is never printed.
        raise fail(f"Telegram 拒绝了机器人令牌：请检查环境变量 {TOKEN_ENV}。") from None
    except NetworkError as exc:
        where = ctx.settings.telegram.api_base_url
        raise fail(
            f"无法连接 Telegram Bot API（{where}）：{exc.message}。请检查网络或 [telegram] api_base_url。"
        ) from None


def parse_iso_date(value: str | None, option: str) -> date | None:
    """A YYYY-MM-DD option value, or a clear error."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option} 需要 YYYY-MM-DD 格式的日期，收到：{value}") from None


def now_in(settings: Settings) -> datetime:
    """The current time in the configured time zone."""
    return datetime.now(settings.tz)


def unit_text(view: TaskView, sep: str = "、") -> str:
    """Units of a task with their roles, joined by sep."""
    return sep.join(f"{u.name}（{ROLE_NAMES.get(u.role, u.role)}）" for u in view.units)


def due_text(due: date | None) -> str:
    """A due date with its weekday, or a dash."""
    return f"{due.isoformat()} 周{WEEKDAYS[due.weekday()]}" if due else "—"


def deadline_json(d: Deadline) -> dict[str, Any]:
    """The JSON shape of one resolved deadline."""
    from core.deadlines import review_reason

    return {
        "text": d.text,
        "due": d.due.isoformat() if d.due else None,
        "kind": d.kind,
        "recurrence": d.recurrence,
        "event": d.event,
        "workdays": d.workdays,
        "flags": list(d.flags),
        "span": list(d.span) if d.span else None,
        "others": [deadline_json(o) for o in d.others],
        "reason": review_reason(d),
    }


def task_json(view: TaskView) -> dict[str, Any]:
    """The documented JSON shape of one task."""
    return {
        "id": view.id,
        "plan": view.plan_id,
        "seq": view.seq,
        "category": view.category,
        "content": view.content,
        "units": [
            {
                "name": u.name,
                "role": u.role,
                "status": u.status,
                "done_at": u.done_at.isoformat() if u.done_at else None,
            }
            for u in view.units
        ],
        "deadline_text": view.deadline_text,
        "review": view.review,
        "confidence": view.confidence,
        "doubts": list(view.doubts),
        "milestones": list(view.milestones),
        "due": view.due.isoformat() if view.due else None,
        "kind": view.kind,
        "recurrence": view.recurrence,
        "event": view.event,
        "flags": list(view.flags),
        "status": view.status,
    }


def print_tasks(views: list[TaskView], title: str) -> None:
    """A table of tasks for people; five columns so it stays readable in an 80-column terminal."""
    from rich.table import Table

    table = Table(title=title, show_lines=True, expand=True)
    table.add_column("ID", justify="right", style="dim", no_wrap=True)
    table.add_column("序号", justify="right", no_wrap=True)
    table.add_column("任务", ratio=3, min_width=16, overflow="fold")
    table.add_column("责任单位", ratio=2, min_width=10, overflow="fold")
    table.add_column("时间节点 → 截止", min_width=14, overflow="fold")
    for v in views:
        kind = KIND_NAMES.get(v.kind, v.kind)
        if v.flags:
            kind = f"[yellow]{kind} ⚠ 需确认[/yellow]"
        task = f"[bold]{escape(v.category)}[/bold]\n{escape(v.content)}" if v.category else escape(v.content)
        deadline = f"{escape(v.deadline_text) or '（未写明）'}\n{due_text(v.due)}\n{kind}"
        table.add_row(str(v.id), escape(v.seq), task, escape(unit_text(v, "\n")), deadline)
    print_table(table)


def print_stored(
    found: Comparison | StoreResult,
    plan: Plan,
    prepared: list[PreparedTask],
    name: str,
    *,
    dry_run: bool = False,
) -> None:
    """The Chinese summary of one import (or, with dry_run, of what it would do), with a revision's diff."""
    from core.pipeline import status_of
    from core.plandiff import diff_lines
    from storage.plans import StoreResult

    if found.kind == "unchanged":
        out.print(
            f"[yellow]{escape(name)}：与已导入的计划 #{found.plan_id} 内容相同，未做任何更改。[/yellow]"
        )
        return
    issued = plan.issued.isoformat() if plan.issued else "未注明"
    units = {u.name for t in plan.tasks for u in t.units}
    about = f"《{escape(plan.title)}》（{plan.year}年，印发日期：{issued}）：{len(plan.tasks)} 项任务，{len(units)} 个责任单位"
    if found.kind == "created":
        head = "[cyan]将导入[/cyan]" if dry_run else "[green]已导入[/green]"
        where = "为新计划" if dry_run else f"→ 计划 #{found.plan_id}"
        out.print(f"{head} {escape(name)} {where}{about}。", highlight=False)
    else:
        assert found.diff is not None
        head = "[cyan]将更新[/cyan]" if dry_run else "[green]已更新[/green]"
        out.print(
            f"{head} {escape(name)} → 计划 #{found.plan_id}（同标题同年度的修订版）{about}。", highlight=False
        )
        for line in diff_lines(found.diff, found.old_tasks, found.new_tasks, old_ids=found.old_ids, limit=20):
            out.print(f"  {line}", markup=False, highlight=False)
        if isinstance(found, StoreResult):
            if found.kept_done:
                out.print(f"  保留了 {found.kept_done} 项任务的完成状态。")
            if found.reopened:
                ids = "、".join(f"#{i}" for i in found.reopened)
                out.print(f"  {len(found.reopened)} 项任务内容有改动，已清除完成状态：{ids}。")
        else:
            out.print(
                "  未变和只改了期限或单位的任务保留编号和完成状态；任务内容有改动的，完成状态会被清除。"
            )
    review = [p for p in prepared if p.deadline.flags]
    if review:
        out.print(f"  其中 {len(review)} 项的时间节点需要人工确认（运行 duban review 查看）。")
    else:
        out.print("  所有时间节点均已识别。")
    doubtful = [p for p in prepared if status_of(p.task) == "pending"]
    if doubtful:
        out.print(
            f"  [yellow]{len(doubtful)} 项任务读取把握不大，列为待确认，确认前不发提醒[/yellow]"
            "（duban review 查看；duban import --explain 文件 看读法）。"
        )
    if dry_run:
        out.print("  （--dry-run：未保存任何内容）")


@app.command("import")
def import_cmd(
    files: Annotated[
        list[Path], typer.Argument(help="计划文件（docx、doc、xlsx、xls、pdf、html、txt）", exists=False)
    ],
    year: Annotated[int | None, typer.Option(help="计划年度（文档中未写明时使用）")] = None,
    issued: Annotated[str | None, typer.Option(help="印发日期 YYYY-MM-DD（文档中未写明时使用）")] = None,
    title: Annotated[str | None, typer.Option(help="计划标题（覆盖文档中的标题）")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="只显示将导入什么（修订版显示差异），不保存")
    ] = False,
    explain: Annotated[
        bool, typer.Option("--explain", help="显示读取过程：大纲层级、表格各列的含义、把握不大的任务；不保存")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """导入一个或多个工作要点文件；同标题同年度的计划的修订版会显示差异并更新原计划。"""
    from rich.progress import Progress

    from core.models import DocumentError
    from duban.importing import compare_document, read_plan, store_document
    from duban.reading import ReadLimits

    issued_date = parse_iso_date(issued, "--issued")
    if explain:
        explain_files(files, year=year, issued=issued_date)
        return
    ctx = context(config)
    failures = 0
    with Progress(console=err.get(), transient=True, disable=len(files) < 2) as progress:
        bar = progress.add_task("导入中", total=len(files))
        for path in files:
            try:
                data = path.read_bytes()
                imports = ctx.settings.imports
                plan, prepared, digest = read_plan(
                    data,
                    filename=path.name,
                    year=year,
                    issued=issued_date,
                    title=title,
                    calendar=ctx.calendar,
                    limits=ReadLimits.from_env(imports.read_timeout_seconds, imports.read_memory_mb),
                )
                if dry_run:
                    found = compare_document(ctx.engine, plan, digest, directory=ctx.directory)
                    print_stored(found, plan, prepared, path.name, dry_run=True)
                else:
                    stored = store_document(
                        ctx.engine,
                        plan,
                        prepared,
                        digest,
                        source_name=path.name,
                        directory=ctx.directory,
                        now=now_in(ctx.settings),
                    )
                    print_stored(stored, plan, prepared, path.name)
            except DocumentError as exc:
                failures += 1
                err.print(
                    f"[red]{escape(path.name)}：[/red]{escape(str(exc))}（未保存任何内容）", highlight=False
                )
            except (FileNotFoundError, IsADirectoryError, PermissionError):
                failures += 1
                err.print(
                    f"[red]{escape(str(path))}：[/red]无法读取该文件（不存在或没有权限）", highlight=False
                )
            progress.advance(bar)
    if failures:
        raise typer.Exit(1)


def explain_files(files: list[Path], *, year: int | None, issued: date | None) -> None:
    """Print how each file is read; nothing is stored."""
    from core.models import REVIEW_BELOW, DocumentError
    from duban.importing import explain_document

    failures = 0
    for path in files:
        try:
            found = explain_document(path.read_bytes(), filename=path.name, year=year, issued=issued)
        except DocumentError as exc:
            failures += 1
            err.print(f"[red]{escape(path.name)}：[/red]{escape(str(exc))}", highlight=False)
            continue
        except (FileNotFoundError, IsADirectoryError, PermissionError):
            failures += 1
            err.print(f"[red]{escape(str(path))}：[/red]无法读取该文件（不存在或没有权限）", highlight=False)
            continue
        out.rule(escape(path.name))
        if found.columns:
            out.print("表格各列：", highlight=False)
            for line in found.columns:
                out.print(f"  {escape(line)}", highlight=False)
        if found.levels:
            chain = " → ".join(
                f"第{n}级 {escape(label)}（{count}条）" for n, (label, count) in enumerate(found.levels, 1)
            )
            out.print(f"大纲层级：{chain}", highlight=False)
        if found.plan is None:
            failures += 1
            out.print(f"[red]{escape(found.error or '')}[/red]", highlight=False)
            continue
        plan = found.plan
        layouts = {
            "table": "任务表格",
            "outline": "分条大纲（内容、时限、单位各占一行）",
            "prose": "分条工作要点",
            "tree": "编号大纲",
        }
        out.print(
            f"读作：{layouts.get(plan.layout, plan.layout)}；标题《{escape(plan.title)}》；{plan.year}年；"
            f"印发日期：{plan.issued or '未注明'}；{len(plan.tasks)} 项任务",
            highlight=False,
        )
        doubtful = [t for t in plan.tasks if t.confidence < REVIEW_BELOW]
        noted = [t for t in plan.tasks if t.doubts and t.confidence >= REVIEW_BELOW]
        for heading, tasks in (("待确认（导入后不发提醒，需人工确认）", doubtful), ("已导入但有说明", noted)):
            if not tasks:
                continue
            out.print(f"{heading}：{len(tasks)} 项")
            for t in tasks[:30]:
                units = "、".join(u.name for u in t.units)
                out.print(
                    f"  {escape(t.seq)} {escape(t.content[:30])}…（{escape(units)}；把握 {t.confidence:.0%}）"
                    f"：{escape('；'.join(t.doubts))}",
                    highlight=False,
                )
            if len(tasks) > 30:
                out.print(f"  ……另有 {len(tasks) - 30} 项")
    if failures:
        raise typer.Exit(1)


plans_app = typer.Typer(help="已导入的计划：列出、归档、恢复、删除。", no_args_is_help=False)
app.add_typer(plans_app, name="plans")


@plans_app.callback(invoke_without_command=True)
def plans(ctx_: typer.Context, config: ConfigOption = None) -> None:
    """列出已导入的计划（归档的也列出并注明）。"""
    if ctx_.invoked_subcommand is not None:
        return
    from rich.table import Table

    from storage import crud
    from storage.db import session_scope

    ctx = context(config)
    with session_scope(ctx.engine) as session:
        rows = crud.list_plans(session)
    if not rows:
        out.print("还没有导入任何计划。用 duban import 文件 导入。")
        return
    table = Table(title="已导入的计划")
    for name in ("ID", "标题", "发文单位", "年度", "印发日期", "来源文件", "状态"):
        table.add_column(name)
    for p in rows:
        issued = p.issued.isoformat() if p.issued else "—"
        state = "已归档（不提醒）" if p.status == "archived" else "进行中"
        table.add_row(
            str(p.id),
            escape(p.title),
            escape(p.issuer or "—"),
            str(p.year or "—"),
            issued,
            escape(p.source_name),
            state,
        )
    print_table(table)


def _plan_or_fail(ctx: AppContext, plan_id: int) -> tuple[str, int]:
    """The plan's title and task count, or a clear error when there is no such plan."""
    from storage.db import session_scope
    from storage.plans import plan_title_and_size

    with session_scope(ctx.engine) as session:
        found = plan_title_and_size(session, plan_id)
    if found is None:
        raise fail(f"没有编号为 {plan_id} 的计划（duban plans 列出全部计划）")
    return found


@plans_app.command("archive")
def plans_archive(
    plan_id: Annotated[int, typer.Argument(help="计划 ID（见 duban plans）")], config: ConfigOption = None
) -> None:
    """归档一个计划（如去年的计划）：任务、完成记录和进度都保留，不再提醒，也不计入当前台账。"""
    from storage.db import session_scope
    from storage.plans import archive_plan

    ctx = context(config)
    title, count = _plan_or_fail(ctx, plan_id)
    with session_scope(ctx.engine) as session:
        archive_plan(session, plan_id, by_name="命令行", now=now_in(ctx.settings))
    out.print(f"已归档计划 #{plan_id}《{escape(title)}》（{count} 项任务）：记录保留，不再提醒。")


@plans_app.command("restore")
def plans_restore(
    plan_id: Annotated[int, typer.Argument(help="计划 ID（见 duban plans）")], config: ConfigOption = None
) -> None:
    """恢复一个已归档的计划：重新提醒。"""
    from storage.db import session_scope
    from storage.plans import restore_plan

    ctx = context(config)
    title, _ = _plan_or_fail(ctx, plan_id)
    with session_scope(ctx.engine) as session:
        restore_plan(session, plan_id)
    out.print(f"已恢复计划 #{plan_id}《{escape(title)}》，重新提醒。")


@plans_app.command("delete")
def plans_delete(
    plan_id: Annotated[int, typer.Argument(help="计划 ID（见 duban plans）")],
    yes: Annotated[bool, typer.Option("--yes", help="不再询问，直接删除")] = False,
    config: ConfigOption = None,
) -> None:
    """删除一个计划及其全部任务、完成记录、进度和延期记录（不可恢复；只想停止提醒请用 archive）。"""
    from storage.db import session_scope
    from storage.plans import delete_plan

    ctx = context(config)
    title, count = _plan_or_fail(ctx, plan_id)
    question = f"确定删除计划 #{plan_id}《{title}》及其 {count} 项任务的全部记录吗？此操作不可恢复"
    if not yes and not typer.confirm(question, default=False):
        out.print("未删除。")
        return
    with session_scope(ctx.engine) as session:
        delete_plan(session, plan_id)
    out.print(f"已删除计划 #{plan_id}《{escape(title)}》及其 {count} 项任务。")


@app.command()
def tasks(
    plan: Annotated[int | None, typer.Option(help="只看这个计划（ID）")] = None,
    unit: Annotated[str | None, typer.Option(help="只看这个单位的任务")] = None,
    format: Annotated[str, typer.Option("--format", help="table 或 json")] = "table",
    config: ConfigOption = None,
) -> None:
    """列出任务。"""
    from storage import crud
    from storage.db import session_scope

    if format not in ("table", "json"):
        raise fail("--format 只能是 table 或 json")
    ctx = context(config)
    name = resolve_unit(ctx, unit, include_groups=True) if unit else None
    with session_scope(ctx.engine) as session:
        views = crud.list_tasks(session, plan_id=plan, unit=name, group_routes=ctx.group_routes(session))
    if format == "json":
        typer.echo(json.dumps([task_json(v) for v in views], ensure_ascii=False, indent=2))
        return
    if not views:
        out.print("没有符合条件的任务。")
        return
    print_tasks(views, f"任务（共 {len(views)} 项）")


@app.command()
def units(config: ConfigOption = None) -> None:
    """列出所有责任单位及其任务数。"""
    from rich.table import Table

    from storage import crud
    from storage.db import session_scope

    ctx = context(config)
    with session_scope(ctx.engine) as session:
        rows = crud.list_units(session)
    if not rows:
        out.print("还没有任何单位。先用 duban import 导入计划。")
        return
    kinds = {"department": "部门", "town": "镇", "street": "街道", "other": "其他"}
    table = Table(title=f"责任单位（共 {len(rows)} 个）")
    for name in ("单位", "类别", "任务数"):
        table.add_column(name)
    for u, count in rows:
        kind = "单位组" if u.is_group else kinds.get(u.kind, u.kind)
        table.add_row(escape(u.name), kind, str(count))
    print_table(table)


@app.command()
def resolve(
    text: Annotated[str, typer.Argument(help="时间节点原文，例如 3月底前")],
    year: Annotated[int, typer.Option(help="计划年度")],
    issued: Annotated[str | None, typer.Option(help="印发日期 YYYY-MM-DD")] = None,
    config: ConfigOption = None,
) -> None:
    """解析一个时间节点，输出 JSON（需要人工确认时附原因 reason）。"""
    from core.deadlines import resolve as resolve_deadline
    from duban.config import ConfigError, load_settings
    from duban.context import load_calendar

    issued_date = parse_iso_date(issued, "--issued")
    try:
        calendar = load_calendar(load_settings(config))
    except ConfigError as exc:
        raise fail(str(exc)) from None
    d = resolve_deadline(text, year=year, issued=issued_date, calendar=calendar)
    typer.echo(json.dumps(deadline_json(d), ensure_ascii=False, indent=2))


@app.command()
def review(
    plan: Annotated[int | None, typer.Option(help="只看这个计划（ID）")] = None,
    confirm: Annotated[
        list[int] | None, typer.Option("--confirm", help="确认这些待确认任务（ID，可重复）")
    ] = None,
    drop: Annotated[
        list[int] | None, typer.Option("--drop", help="这些条目不是任务：不再提醒（ID，可重复）")
    ] = None,
    units: Annotated[
        tuple[int, str] | None, typer.Option("--units", help='改正责任单位并确认：ID "区A局牵头，区B局配合"')
    ] = None,
    config: ConfigOption = None,
) -> None:
    """列出需要人工确认的任务（待确认的任务、时间节点不明的任务），并确认、改正或删除。"""
    from rich.table import Table

    from storage.db import session_scope
    from storage.plans import review_items

    ctx = context(config)
    if confirm or drop or units:
        decide(ctx, confirm or [], drop or [], units)
        return
    with session_scope(ctx.engine) as session:
        items = review_items(session, plan_id=plan)
    if not items:
        out.print("没有需要人工确认的任务或时间节点。")
        return
    pending = sum(i.pending for i in items)
    title = f"需要人工确认（共 {len(items)} 项，其中待确认任务 {pending} 项，确认前不发提醒）"
    table = Table(title=title, expand=True)
    for name in ("ID", "序号"):
        table.add_column(name, no_wrap=True)
    for name in ("任务内容", "责任单位", "时间节点", "原因", "建议日期"):
        table.add_column(name, overflow="fold")
    for i in items:
        table.add_row(
            str(i.task_id),
            i.seq,
            escape(i.content[:40]),
            escape("、".join(i.units)) if i.pending else "",
            escape(i.deadline_text or "（无）"),
            escape(i.reason),
            due_text(i.suggested) if i.suggested else "—",
        )
    print_table(table)
    if pending:
        out.print(
            '确认：duban review --confirm ID；不是任务：--drop ID；改正单位：--units ID "区A局牵头，区B局配合"'
        )


def decide(ctx: AppContext, confirm: list[int], drop: list[int], units: tuple[int, str] | None) -> None:
    """Confirm, drop or re-unit tasks in one transaction; an unknown ID changes nothing."""
    from core.units import split_units
    from storage import crud
    from storage.db import session_scope
    from storage.plans import decide_task, set_units

    now = now_in(ctx.settings)
    with session_scope(ctx.engine) as session:
        wanted = [*confirm, *drop, *([units[0]] if units else [])]
        missing = [str(t) for t in wanted if not crud.task_exists(session, t)]
        if missing:
            raise fail(f"没有编号为 {'、'.join(missing)} 的任务，什么都没有改")
        for task_id in confirm:
            decide_task(session, task_id, confirm=True, by=None, by_name="命令行", now=now)
        for task_id in drop:
            decide_task(session, task_id, confirm=False, by=None, by_name="命令行", now=now)
        if units:
            refs = ctx.directory.canonical_units(split_units(units[1], ctx.directory))
            if not refs:
                raise fail(f"“{units[1]}”里没有读出单位名称，什么都没有改")
            set_units(
                session,
                units[0],
                refs,
                kind_of=ctx.directory.kind,
                is_group=ctx.directory.is_group,
                by=None,
                by_name="命令行",
                now=now,
            )
    done = [f"已确认 {len(confirm)} 项"] if confirm else []
    done += [f"已删除 {len(drop)} 项（保留记录，不再提醒）"] if drop else []
    done += [f"#{units[0]} 的责任单位已改正并确认"] if units else []
    out.print("，".join(done) + "。")


def sample_plan_bytes() -> bytes:
    """The short sample plan shipped with Duban."""
    return resources.files("duban").joinpath("sample_plan.txt").read_bytes()


def print_digests(digests: dict[str, list[OutMessage]]) -> None:
    """Digest messages as they would appear in Telegram, buttons shown in brackets."""
    from core.digest import tg_len

    for who, messages in digests.items():
        out.rule(who, style="dim")
        for n, message in enumerate(messages, start=1):
            if len(messages) > 1:
                out.print(f"[dim]（第 {n}/{len(messages)} 条消息，{tg_len(message.text)} 字符）[/dim]")
            out.print(message.text, markup=False, highlight=False)
            buttons = [f"[✅ 完成 #{i.task_id}]" for i in message.items]
            if buttons:
                out.print(" ".join(buttons), style="dim", markup=False, highlight=False)


def chat_digests(ctx: AppContext, day: date, unit: str | None) -> dict[str, list[OutMessage]]:
    """What every subscribed chat gets on day, labelled with its units."""
    from jobs.digest import compose
    from storage import subscriptions
    from storage.db import session_scope

    with session_scope(ctx.engine) as session:
        chats = {
            chat_id: [
                u.name
                for sub, u in subscriptions.chat_subscriptions(session, chat_id)
                if sub.status == "active"
            ]
            for chat_id in subscriptions.active_chat_ids(session)
        }
    composed = compose(ctx, day=day, chat_ids=list(chats), unit=unit)
    return {f"聊天 {chat_id}（{'、'.join(chats[chat_id])}）": msgs for chat_id, msgs in composed.items()}


def unit_digests(ctx: AppContext, day: date, names: list[str]) -> dict[str, list[OutMessage]]:
    """What a chat following each of the units alone would get on day."""
    from jobs.digest import compose_items
    from storage import subscriptions
    from storage.db import session_scope
    from storage.digest import items_by_unit

    with session_scope(ctx.engine) as session:
        ids = {u.id: u.name for name in names if (u := subscriptions.unit_by_name(session, name)) and u.id}
        items = items_by_unit(session, group_routes=ctx.group_routes(session), unit_ids=list(ids))
    composed = compose_items(ctx, {uid: items[uid] for uid in ids}, day=day)
    return {ids[uid]: msgs for uid, msgs in composed.items()}


def digest_day_note(ctx: AppContext, day: date) -> str | None:
    """A line saying the scheduled job would not send on day, or None."""
    from jobs.digest import sends_today

    if sends_today(ctx, day):
        return None
    return f"{day.isoformat()} 周{WEEKDAYS[day.weekday()]}不是工作日，定时任务这天不会发送提醒。"


def next_send_day(ctx: AppContext, day: date) -> date:
    """day, or the next day the digest goes out."""
    from jobs.digest import sends_today

    for offset in range(0, 31):
        candidate = day + timedelta(days=offset)
        if sends_today(ctx, candidate):
            return candidate
    return day


@app.command()
def run(config: ConfigOption = None) -> None:
    """主任务：设置了 DUBAN_TELEGRAM_TOKEN 时运行机器人；否则导入示例计划并演示今天会发出的提醒。"""
    from core.models import DocumentError
    from duban.config import TOKEN_ENV, telegram_token
    from duban.importing import import_document

    token = telegram_token()
    ctx = context(config, demo=not token)
    if token:
        from bot.app import run_bot

        how = "长轮询" if ctx.settings.telegram.mode == "polling" else "webhook"
        out.print(f"机器人启动中（{how}，Bot API：{ctx.settings.telegram.api_base_url}）。按 Ctrl+C 停止。")
        with telegram_errors(ctx):
            run_bot(ctx, token)
        return
    demo_db = ctx.settings.data_dir / "demo.db"
    out.print(
        f"未设置 {TOKEN_ENV}，只演示不发送：设置机器人令牌（export {TOKEN_ENV}=…）后运行即可启动机器人。"
        f"演示用的是单独的演示数据库 {escape(str(demo_db))}，不影响正式数据库。"
    )
    try:
        outcome = import_document(
            ctx.engine,
            sample_plan_bytes(),
            source_name="sample_plan.txt",
            directory=ctx.directory,
            calendar=ctx.calendar,
            now=now_in(ctx.settings),
        )
    except DocumentError as exc:
        raise fail(str(exc)) from None
    print_stored(outcome.result, outcome.plan, outcome.prepared, "示例计划")
    today = now_in(ctx.settings).date()
    day = next_send_day(ctx, today)
    if day != today:
        out.print(
            f"今天（{due_text(today)}）不是工作日，不发送提醒；下面是下一个工作日 {due_text(day)} 的提醒。"
        )
    digests = chat_digests(ctx, day, None)
    if not digests:
        # Nobody has subscribed yet: show what each unit of the sample plan would get.
        names = [n for n in outcome.result.unit_names or plan_unit_names(ctx, outcome.result.plan_id)]
        names = [n for n in names if not ctx.directory.is_group(n)]
        out.print(
            f"还没有聊天订阅任何单位；以下是示例计划各单位 {due_text(day)} 会收到的提醒（演示，未发送）："
        )
        digests = unit_digests(ctx, day, names)
    if not digests:
        out.print("这一天没有需要提醒的事项。")
    print_digests(digests)


def plan_unit_names(ctx: AppContext, plan_id: int) -> list[str]:
    """Units named on a stored plan's tasks, in order of appearance."""
    from storage import crud
    from storage.db import session_scope

    with session_scope(ctx.engine) as session:
        views = crud.list_tasks(session, plan_id=plan_id)
    return list(dict.fromkeys(u.name for v in views for u in v.units))


def resolve_unit(ctx: AppContext, text: str, *, include_groups: bool = False) -> str:
    """A stored unit's name from what was typed (aliases and near spellings too), or a clear error."""
    from bot.matching import match_unit
    from storage import subscriptions
    from storage.db import session_scope

    with session_scope(ctx.engine) as session:
        names = subscriptions.unit_names(session, include_groups=include_groups)
    match = match_unit(ctx.directory.canonical(text), names, ctx.directory.aliases)
    if match.kind == "one":
        return match.names[0]
    if match.kind == "several":
        raise fail(f"“{text}”可能是：{'、'.join(match.names)}。请写完整的单位名。")
    if match.names:
        closest = f"最接近的是：{'、'.join(match.names)}。"
    else:
        closest = "没有名称相近的单位（duban units 列出全部单位）。" if names else "还没有导入任何单位。"
    raise fail(f"没有找到单位“{text}”。{closest}")


@app.command()
def digest(
    date_: Annotated[str | None, typer.Option("--date", help="哪一天的提醒 YYYY-MM-DD（默认今天）")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="只看这个单位")] = None,
    send: Annotated[
        bool, typer.Option("--send", help="通过 Bot API 发送（需要 DUBAN_TELEGRAM_TOKEN）")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """打印某天的每日提醒；加 --send 则发送（与定时任务共用发送记录，不会重复发送）。"""
    import asyncio

    from duban.config import TOKEN_ENV, telegram_token

    day = parse_iso_date(date_, "--date")
    token = telegram_token()
    if send and not token:
        raise fail(f"发送需要机器人令牌：请先设置环境变量 {TOKEN_ENV}。")
    ctx = context(config)
    day = day or now_in(ctx.settings).date()
    name = resolve_unit(ctx, unit) if unit else None
    note = digest_day_note(ctx, day)
    if not send:
        if note:
            out.print(note)
        digests = unit_digests(ctx, day, [name]) if name else chat_digests(ctx, day, None)
        if not digests:
            who = f"「{name}」" if name else "已订阅的聊天"
            out.print(f"{day.isoformat()} {who}没有需要提醒的事项（或还没有聊天订阅）。")
        print_digests(digests)
        return
    assert token is not None
    if note:
        out.print(note + "（按要求照常发送）")
    with telegram_errors(ctx):
        report = asyncio.run(send_digests(ctx, token, day, name))
    out.print(
        f"{day.isoformat()}：发送 {len(report.sent)} 个聊天共 {report.messages} 条消息；"
        f"已发过 {len(report.skipped)}，无内容 {len(report.empty)}，"
        f"失败 {len(report.failed)}，已停用 {len(report.deactivated)}。"
    )
    for chat_id, error in report.failed.items():
        err.print(f"[red]聊天 {chat_id}：[/red]{escape(error)}", highlight=False)
    if report.failed:
        raise typer.Exit(1)


async def send_digests(ctx: AppContext, token: str, day: date, unit: str | None) -> DeliveryReport:
    """Send day's digests through the Bot API with the bot's own limiter and ledger."""
    from telegram.ext import ExtBot

    from bot.app import ledger_request, rate_limiter
    from jobs.digest import deliver_digests
    from storage import subscriptions
    from storage.db import session_scope

    t = ctx.settings.telegram
    chat_ids = None
    if unit is not None:
        # The ledger is per chat and day, so a chat following the unit gets its whole digest.
        with session_scope(ctx.engine) as session:
            chat_ids = [
                c
                for c in subscriptions.active_chat_ids(session)
                if any(
                    u.name == unit and sub.status == "active"
                    for sub, u in subscriptions.chat_subscriptions(session, c)
                )
            ]
    bot = ExtBot(
        token,
        base_url=t.api_base_url,
        base_file_url=t.api_base_file_url,
        rate_limiter=rate_limiter(ctx),
        request=ledger_request(ctx),
    )
    async with bot:
        return await deliver_digests(bot, ctx, day=day, clock=lambda: now_in(ctx.settings), chat_ids=chat_ids)


@app.command()
def report(
    out_path: Annotated[Path, typer.Option("--out", help="输出的 Excel 台账文件（.xlsx）")],
    plan: Annotated[int | None, typer.Option("--plan", help="只导出这个计划（编号见 duban plans）")] = None,
    chart: Annotated[
        Path | None, typer.Option("--chart", help="同时保存各单位完成与逾期情况图（.png）")
    ] = None,
    date_: Annotated[str | None, typer.Option("--date", help="按哪一天统计 YYYY-MM-DD（默认今天）")] = None,
    config: ConfigOption = None,
) -> None:
    """导出督办台账：每个计划一个工作表（任务 × 单位），另有各单位汇总表；可另存统计图。"""
    from duban.report import ReportError, chart_png, collect, workbook_bytes
    from storage import crud
    from storage.db import session_scope

    if out_path.suffix.lower() != ".xlsx":
        raise fail(f"--out 应当是 .xlsx 文件，收到：{out_path}")
    if chart is not None and chart.suffix.lower() != ".png":
        raise fail(f"--chart 应当是 .png 文件，收到：{chart}")
    day = parse_iso_date(date_, "--date")
    ctx = context(config)
    day = day or now_in(ctx.settings).date()
    if plan is not None:
        with session_scope(ctx.engine) as s:
            if plan not in {p.id for p in crud.list_plans(s)}:
                raise fail(f"没有编号为 {plan} 的计划。用 duban plans 查看已导入的计划。")
    rows = collect(ctx, today=day, plan_id=plan)
    if not rows:
        raise fail("还没有可导出的事项。请先导入工作要点（duban import 文件）。")
    from storage.oversight import summarize

    units = summarize(rows)
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_bytes(workbook_bytes(rows, today=day, tz=ctx.settings.tz))
        if chart is not None:
            chart.parent.mkdir(parents=True, exist_ok=True)
            chart.write_bytes(chart_png(units, today=day, font=ctx.settings.oversight.font))
    except ReportError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"无法写入文件：{exc.filename}（{exc.strerror}）") from None
    red = sum(u.red for u in units)
    done = sum(u.done for u in units)
    out.print(
        f"已导出 {out_path}：{len(rows)} 行（任务 × 单位），{len(units)} 个单位，已完成 {done}，逾期 {red}。",
        highlight=False,
        soft_wrap=True,
    )
    if chart is not None:
        out.print(f"统计图：{chart}", highlight=False, soft_wrap=True)


def failure_line(exc: BaseException) -> str:
    """One Chinese line for a failure no command foresaw (the traceback goes to the log at DEBUG)."""
    import errno

    from sqlalchemy.exc import DBAPIError, IntegrityError

    if isinstance(exc, MemoryError):
        return "内存不足，已停止（文件可能过大）；本次操作未保存任何内容。"
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "磁盘空间不足，无法写入；请清理磁盘后重试，本次操作未保存任何内容。"
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"没有写入权限：{exc.filename or '数据目录'}；请检查权限后重试，本次操作未保存任何内容。"
    text = str(getattr(exc, "orig", exc))
    if isinstance(exc, DBAPIError) and "locked" in text:
        return "数据库正被其他程序占用（等待 5 秒后仍被锁定）；请稍后重试，本次操作未保存任何内容。"
    if isinstance(exc, IntegrityError):
        return "同一份数据正被另一个操作同时写入；请稍后重试，本次操作未保存任何内容。"
    if isinstance(exc, DBAPIError) and ("NUL" in text or "\\x00" in text or "0x00" in text):
        return "文本中含有数据库无法保存的空字符（NUL）；本次操作未保存任何内容。"
    if isinstance(exc, DBAPIError):
        return (
            f"数据库出错（{type(getattr(exc, 'orig', exc)).__name__}）；本次操作未保存任何内容，详情见日志。"
        )
    return f'出错了（{type(exc).__name__}）；本次操作未保存任何内容，详情见日志（[log] level = "DEBUG"）。'


def main() -> None:
    """Console entry point: every failure is one Chinese line and exit code 1, never a traceback."""
    try:
        app(standalone_mode=True)
    except KeyboardInterrupt:
        err.print("已中断。")
        raise SystemExit(130) from None
    except Exception as exc:  # the last line of defence: a person sees one sentence, the log the details
        from loguru import logger

        logger.opt(exception=exc).debug("命令失败")
        err.print(f"[red]错误：[/red]{escape(failure_line(exc))}", highlight=False)
        raise SystemExit(1) from None
