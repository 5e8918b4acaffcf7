"""The `duban` command line: import plans, list tasks and units, resolve deadlines, review, run."""

from __future__ import annotations

import json
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from core.deadlines import resolve as resolve_deadline
from core.deadlines import review_reason, suggested_date
from core.models import Deadline, DocumentError
from duban.config import ConfigError, Settings, load_settings
from duban.context import AppContext, open_context
from duban.importing import ImportOutcome, import_document
from storage import crud
from storage.crud import TaskView
from storage.db import session_scope

app = typer.Typer(
    help="督办：把政务公开工作要点的任务分解表变成截止提醒。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

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
    err.print(f"[red]错误：[/red]{message}", highlight=False)
    return typer.Exit(code)


def context(config: str | None) -> AppContext:
    """Settings, logging, engine and unit directory, or a clear error."""
    try:
        return open_context(load_settings(config))
    except (ConfigError, DocumentError) as exc:
        raise fail(str(exc)) from None


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
    }


def task_json(view: TaskView) -> dict[str, Any]:
    """The documented JSON shape of one task."""
    return {
        "id": view.id,
        "plan": view.plan_id,
        "seq": view.seq,
        "category": view.category,
        "content": view.content,
        "units": [{"name": u.name, "role": u.role} for u in view.units],
        "deadline_text": view.deadline_text,
        "due": view.due.isoformat() if view.due else None,
        "kind": view.kind,
        "recurrence": view.recurrence,
        "event": view.event,
        "flags": list(view.flags),
        "status": view.status,
    }


def print_tasks(views: list[TaskView], title: str) -> None:
    """A table of tasks for people; five columns so it stays readable in an 80-column terminal."""
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
    out.print(table)


def print_outcome(outcome: ImportOutcome, name: str) -> None:
    """The Chinese summary of one import."""
    result, plan = outcome.result, outcome.plan
    if not result.created:
        out.print(f"[yellow]{name}：与已导入的计划 #{result.plan_id} 内容相同，未做任何更改。[/yellow]")
        return
    issued = plan.issued.isoformat() if plan.issued else "未注明"
    out.print(
        f"[green]已导入[/green] {name} → 计划 #{result.plan_id}《{plan.title}》"
        f"（{plan.year}年，印发日期：{issued}）：{result.task_count} 项任务，{len(result.unit_names)} 个责任单位。"
    )
    review = outcome.needs_review
    if review:
        out.print(f"  其中 {len(review)} 项的时间节点需要人工确认（运行 duban review 查看）。")
    else:
        out.print("  所有时间节点均已识别。")


@app.command("import")
def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="计划文件（纯文本）", exists=False)],
    year: Annotated[int | None, typer.Option(help="计划年度（文档中未写明时使用）")] = None,
    issued: Annotated[str | None, typer.Option(help="印发日期 YYYY-MM-DD（文档中未写明时使用）")] = None,
    title: Annotated[str | None, typer.Option(help="计划标题（覆盖文档中的标题）")] = None,
    config: ConfigOption = None,
) -> None:
    """导入一个或多个工作要点文件。"""
    issued_date = parse_iso_date(issued, "--issued")
    ctx = context(config)
    failures = 0
    with Progress(console=err, transient=True, disable=len(files) < 2) as progress:
        bar = progress.add_task("导入中", total=len(files))
        for path in files:
            try:
                data = path.read_bytes()
                outcome = import_document(
                    ctx.engine,
                    data,
                    source_name=path.name,
                    directory=ctx.directory,
                    now=now_in(ctx.settings),
                    year=year,
                    issued=issued_date,
                    title=title,
                )
            except DocumentError as exc:
                failures += 1
                err.print(f"[red]{path.name}：[/red]{exc}（未保存任何内容）", highlight=False)
            except (FileNotFoundError, IsADirectoryError, PermissionError):
                failures += 1
                err.print(f"[red]{path}：[/red]无法读取该文件（不存在或没有权限）", highlight=False)
            else:
                print_outcome(outcome, path.name)
            progress.advance(bar)
    if failures:
        raise typer.Exit(1)


@app.command()
def plans(config: ConfigOption = None) -> None:
    """列出已导入的计划。"""
    ctx = context(config)
    with session_scope(ctx.engine) as session:
        rows = crud.list_plans(session)
    if not rows:
        out.print("还没有导入任何计划。用 duban import 文件 导入。")
        return
    table = Table(title="已导入的计划")
    for name in ("ID", "标题", "发文单位", "年度", "印发日期", "来源文件"):
        table.add_column(name)
    for p in rows:
        issued = p.issued.isoformat() if p.issued else "—"
        table.add_row(str(p.id), p.title, p.issuer or "—", str(p.year or "—"), issued, p.source_name)
    out.print(table)


@app.command()
def tasks(
    plan: Annotated[int | None, typer.Option(help="只看这个计划（ID）")] = None,
    unit: Annotated[str | None, typer.Option(help="只看这个单位的任务")] = None,
    format: Annotated[str, typer.Option("--format", help="table 或 json")] = "table",
    config: ConfigOption = None,
) -> None:
    """列出任务。"""
    if format not in ("table", "json"):
        raise fail("--format 只能是 table 或 json")
    ctx = context(config)
    name = ctx.directory.canonical(unit) if unit else None
    with session_scope(ctx.engine) as session:
        views = crud.list_tasks(session, plan_id=plan, unit=name)
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
        table.add_row(u.name, kind, str(count))
    out.print(table)


@app.command()
def resolve(
    text: Annotated[str, typer.Argument(help="时间节点原文，例如 3月底前")],
    year: Annotated[int, typer.Option(help="计划年度")],
    issued: Annotated[str | None, typer.Option(help="印发日期 YYYY-MM-DD")] = None,
) -> None:
    """解析一个时间节点，输出 JSON。"""
    d = resolve_deadline(text, year=year, issued=parse_iso_date(issued, "--issued"))
    typer.echo(json.dumps(deadline_json(d), ensure_ascii=False, indent=2))


@app.command()
def review(
    plan: Annotated[int | None, typer.Option(help="只看这个计划（ID）")] = None,
    config: ConfigOption = None,
) -> None:
    """列出时间节点需要人工确认的任务。"""
    ctx = context(config)
    with session_scope(ctx.engine) as session:
        views = [v for v in crud.list_tasks(session, plan_id=plan) if v.flags]
    if not views:
        out.print("没有需要人工确认的时间节点。")
        return
    table = Table(title=f"需要人工确认的时间节点（共 {len(views)} 项）", expand=True)
    for name in ("ID", "计划", "序号"):
        table.add_column(name, no_wrap=True)
    for name in ("任务内容", "时间节点", "原因", "建议日期"):
        table.add_column(name, overflow="fold")
    for v in views:
        d = Deadline(
            text=v.deadline_text,
            kind=v.kind,  # type: ignore[arg-type]
            due=v.due,
            recurrence=v.recurrence,
            event=v.event,
            workdays=v.workdays,
            flags=v.flags,  # type: ignore[arg-type]
        )
        suggestion = suggested_date(d)
        table.add_row(
            str(v.id),
            str(v.plan_id),
            v.seq,
            v.content[:40],
            v.deadline_text or "（无）",
            review_reason(d) or "",
            due_text(suggestion) if suggestion else "—",
        )
    out.print(table)


def sample_plan_bytes() -> bytes:
    """The short sample plan shipped with Duban."""
    return resources.files("duban").joinpath("sample_plan.txt").read_bytes()


@app.command()
def run(config: ConfigOption = None) -> None:
    """主任务：导入示例计划并列出其任务。"""
    ctx = context(config)
    try:
        outcome = import_document(
            ctx.engine,
            sample_plan_bytes(),
            source_name="sample_plan.txt",
            directory=ctx.directory,
            now=now_in(ctx.settings),
        )
    except DocumentError as exc:
        raise fail(str(exc)) from None
    print_outcome(outcome, "示例计划")
    with session_scope(ctx.engine) as session:
        views = crud.list_tasks(session, plan_id=outcome.result.plan_id)
    print_tasks(views, f"示例计划的任务（数据库：{ctx.settings.database_url}）")


def main() -> None:
    """Console entry point."""
    app()
