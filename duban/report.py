"""The 台账: an Excel workbook (one sheet per plan, a summary sheet per unit) and a PNG chart by unit.

The chart needs a font with Chinese glyphs. It is looked up among the fonts installed on the machine
(Debian: fonts-wqy-microhei or fonts-noto-cjk), or given in config ([report] font = path); without one,
matplotlib would draw boxes, so the chart is refused with a sentence saying what to install.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from core.digest import RECURRENCE_CN, ROLE_CN
from core.oversight import COLOUR_CN
from duban.context import AppContext
from storage.db import session_scope
from storage.oversight import STATUS_CN, LedgerRow, UnitSummary, as_aware, ledger_rows, summarize

if TYPE_CHECKING:
    from matplotlib.figure import Figure  # imported when a chart is drawn: matplotlib is slow to load
    from openpyxl.worksheet.worksheet import Worksheet

HEADERS: tuple[str, ...] = (
    "序号",
    "类别",
    "任务内容",
    "责任单位",
    "角色",
    "截止日期",
    "督办颜色",
    "完成状态",
    "完成时间",
    "完成人",
    "最新进展",
    "逾期天数",
)
WIDTHS: tuple[int, ...] = (6, 14, 50, 16, 6, 12, 9, 10, 17, 14, 40, 9)
SUMMARY_HEADERS: tuple[str, ...] = (
    "责任单位",
    "事项数",
    "已完成",
    "未完成",
    "红色（逾期）",
    "黄色",
    "完成率",
)
SUMMARY_TITLE = "汇总"
# Light fills a printed 台账 can still be read through.
FILLS: dict[str, str] = {"red": "FFC7CE", "yellow": "FFEB9C", "blue": "BDD7EE", "done": "C6EFCE"}
CJK_FONTS: tuple[str, ...] = (
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)
NO_FONT = (
    "找不到中文字体，无法生成图表。请安装 fonts-wqy-microhei 或 fonts-noto-cjk，"
    "或在配置 [report] font 中指定字体文件。"
)
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


class ReportError(RuntimeError):
    """The report cannot be made; the message (Chinese) says why."""


def sheet_title(title: str, taken: set[str]) -> str:
    """An Excel sheet name from a plan title: no []:*?/\\, at most 31 characters, unique in the book."""
    base = _SHEET_BAD.sub("", title).strip() or "工作要点"
    base = base[:31]
    name, n = base, 2
    while name in taken or name == SUMMARY_TITLE:
        suffix = f"（{n}）"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


def status_text(row: LedgerRow) -> str:
    """已完成 / 未完成 / 部分完成, with a recurring duty's count this year."""
    text = STATUS_CN.get(row.status, row.status)
    if row.occurrences_total:
        text += f"（本年 {row.occurrences_done}/{row.occurrences_total} 次）"
    return text


def progress_text(row: LedgerRow) -> str:
    """The latest progress note with its day."""
    if not row.progress:
        return ""
    day = f"{row.progress_on.month}月{row.progress_on.day}日：" if row.progress_on else ""
    return day + row.progress


def row_values(row: LedgerRow, tz: tzinfo = UTC) -> list[object]:
    """One sheet line for a ledger row, in HEADERS order; 完成时间 in the office's time zone."""
    content = row.content
    if row.recurrence:
        content += f"（{RECURRENCE_CN.get(row.recurrence, row.recurrence)}）"
    done_at = None
    if row.done_at is not None:
        done_at = as_aware(row.done_at).astimezone(tz).replace(tzinfo=None, microsecond=0)
    return [
        row.seq,
        row.category,
        content,
        row.unit,
        ROLE_CN.get(row.role, row.role),
        row.due,
        COLOUR_CN.get(row.colour or "", ""),
        status_text(row),
        done_at,
        row.done_by or "",
        progress_text(row),
        row.overdue_days or None,
    ]


def _header(ws: Worksheet, headers: Sequence[str], widths: Sequence[int]) -> None:
    ws.append(list(headers))
    for n, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(n)].width = width
        cell = ws.cell(row=1, column=n)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9D9D9")
        cell.alignment = Alignment(horizontal="center", vertical="center")
    ws.freeze_panes = "A2"


def build_workbook(rows: Sequence[LedgerRow], *, today: date, tz: tzinfo = UTC) -> Workbook:
    """The workbook: a summary sheet per unit first, then one sheet per plan with a row per task × unit."""
    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = SUMMARY_TITLE
    _header(summary, SUMMARY_HEADERS, (24, 8, 8, 8, 12, 8, 9))
    units = summarize(rows)
    for u in units:
        summary.append([u.unit, u.total, u.done, u.open, u.red, u.yellow, u.rate])
        summary.cell(row=summary.max_row, column=7).number_format = "0.0%"
        if u.red:
            summary.cell(row=summary.max_row, column=5).fill = PatternFill("solid", fgColor=FILLS["red"])
    if units:
        summary.auto_filter.ref = f"A1:{get_column_letter(len(SUMMARY_HEADERS))}{summary.max_row}"
    summary.append([])
    summary.append([f"截至 {today.isoformat()}，共 {len(rows)} 项（任务 × 单位）"])
    by_plan: dict[int, list[LedgerRow]] = defaultdict(list)
    titles: dict[int, str] = {}
    for r in rows:
        by_plan[r.plan_id].append(r)
        titles[r.plan_id] = r.plan_title
    taken: set[str] = set()
    for plan_id, plan_rows in by_plan.items():
        ws = wb.create_sheet(sheet_title(titles[plan_id], taken))
        _header(ws, HEADERS, WIDTHS)
        for r in plan_rows:
            ws.append(row_values(r, tz))
            line = ws.max_row
            ws.cell(row=line, column=6).number_format = "yyyy-mm-dd"
            ws.cell(row=line, column=9).number_format = "yyyy-mm-dd hh:mm"
            ws.cell(row=line, column=3).alignment = Alignment(wrap_text=True, vertical="top")
            ws.cell(row=line, column=11).alignment = Alignment(wrap_text=True, vertical="top")
            fill = FILLS["done"] if r.status == "done" else FILLS.get(r.colour or "")
            if fill:
                for column in (7, 8):
                    ws.cell(row=line, column=column).fill = PatternFill("solid", fgColor=fill)
        ws.auto_filter.ref = f"A1:{get_column_letter(len(HEADERS))}{ws.max_row}"
    return wb


def workbook_bytes(rows: Sequence[LedgerRow], *, today: date, tz: tzinfo = UTC) -> bytes:
    """The workbook as .xlsx bytes; times in tz ([time] timezone)."""
    buffer = io.BytesIO()
    build_workbook(rows, today=today, tz=tz).save(buffer)
    return buffer.getvalue()


def find_cjk_font(explicit: Path | None = None) -> Path:
    """A font file with Chinese glyphs: the configured one, else the first installed of CJK_FONTS."""
    from matplotlib import font_manager

    if explicit is not None:
        if not explicit.is_file():
            raise ReportError(f"配置的字体文件不存在：{explicit}")
        return explicit
    for family in CJK_FONTS:
        try:
            path = font_manager.findfont(
                font_manager.FontProperties(family=family), fallback_to_default=False
            )
        except ValueError:
            continue
        return Path(path)
    raise ReportError(NO_FONT)


def chart_figure(
    units: Sequence[UnitSummary], *, today: date, font: Path | None = None, top: int = 20
) -> Figure:
    """A horizontal bar chart (matplotlib Figure) of done and overdue counts by the `top` most overdue units."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    path = find_cjk_font(font)
    font_manager.fontManager.addfont(str(path))
    prop = font_manager.FontProperties(fname=str(path))
    shown = list(units[:top])[::-1]  # matplotlib draws the first bar at the bottom
    fig = Figure(figsize=(9, max(3.0, 0.45 * len(shown) + 1.6)), dpi=110)
    ax = fig.subplots()
    ys = list(range(len(shown)))
    ax.barh([y + 0.2 for y in ys], [u.done for u in shown], 0.4, label="已完成", color="#70AD47")
    ax.barh([y - 0.2 for y in ys], [u.red for u in shown], 0.4, label="逾期", color="#C00000")
    for y, u in zip(ys, shown, strict=True):
        # Counts at the bar ends; a zero needs no label (the missing bar says it).
        for value, offset in ((u.done, 0.2), (u.red, -0.2)):
            if value:
                ax.text(value + 0.05, y + offset, str(value), va="center", fontsize=8)
    ax.set_yticks(ys, [u.unit for u in shown], fontproperties=prop)
    ax.set_xlabel("事项数", fontproperties=prop)
    ax.set_title(f"各单位完成与逾期情况（截至{today.month}月{today.day}日）", fontproperties=prop)
    ax.legend(loc="lower right", prop=prop)
    locator = ax.xaxis.get_major_locator()
    if isinstance(locator, MaxNLocator):  # the default AutoLocator is one
        locator.set_params(integer=True)
    fig.tight_layout()
    return fig


def chart_png(units: Sequence[UnitSummary], *, today: date, font: Path | None = None, top: int = 20) -> bytes:
    """The chart as PNG bytes."""
    buffer = io.BytesIO()
    chart_figure(units, today=today, font=font, top=top).savefig(buffer, format="png")
    return buffer.getvalue()


def report_caption(units: Sequence[UnitSummary], *, today: date) -> str:
    """A few lines for the chat: totals and the most overdue units."""
    total = sum(u.total for u in units)
    done = sum(u.done for u in units)
    red = sum(u.red for u in units)
    lines = [
        f"📊 督办台账（截至{today.month}月{today.day}日）：共 {total} 项，已完成 {done} 项，逾期 {red} 项。"
    ]
    worst = [u for u in units if u.red][:5]
    if worst:
        lines.append("逾期较多：" + "、".join(f"{u.unit} {u.red} 项" for u in worst))
    return "\n".join(lines)


def report_filename(today: date, plan_id: int | None = None) -> str:
    """督办台账_2026-03-25.xlsx (with the plan id when only one plan)."""
    return f"督办台账_{today.isoformat()}" + (f"_plan{plan_id}" if plan_id else "") + ".xlsx"


def collect(ctx: AppContext, *, today: date, plan_id: int | None = None) -> list[LedgerRow]:
    """The 台账 rows as of today, for one plan or all."""
    with session_scope(ctx.engine) as s:
        routes = ctx.group_routes(s)
        return ledger_rows(s, today=today, group_routes=routes, plan_id=plan_id, thresholds=ctx.thresholds)


def stamp(now: datetime) -> str:
    """A timestamp for logs."""
    return now.strftime("%Y-%m-%d %H:%M")
