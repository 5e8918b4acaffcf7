"""The 台账: ledger rows, the workbook read back cell by cell, the chart's labels and glyphs, duban report."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import needs_cjk_font
from openpyxl import load_workbook
from typer.testing import CliRunner

from duban.cli import app
from duban.config import load_settings
from duban.context import AppContext, open_context
from duban.importing import import_document
from duban.report import (
    FILLS,
    HEADERS,
    SUMMARY_HEADERS,
    chart_figure,
    chart_png,
    collect,
    find_cjk_font,
    sheet_title,
    workbook_bytes,
)
from storage import oversight, progress, subscriptions
from storage.db import session_scope
from storage.oversight import summarize

SH = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 3, 25)
NOW = datetime(2026, 3, 25, 10, 0, tzinfo=SH)
# Written for these tests; on TODAY: #1 overdue (then done), #2 due in 2 days, #3 quarterly, #4 全年,
# #5 due in June, #6 overdue by 25 days.
PLAN = (
    "2026年测试区公开工作要点任务分解表\n\n序号\t任务名称\t任务内容\t责任单位\t时间节点\n"
    "1\t平台建设\t整理并上线开放目录\t区教育局\t3月20日前\n"
    "2\t\t编制本年度公开预算说明\t区财政局牵头，区教育局配合\t3月27日前\n"
    "3\t专栏维护\t更新政务公开专栏内容\t区教育局\t每季度\n"
    "4\t\t持续做好依申请公开答复\t区财政局\t全年\n"
    "5\t年度总结\t编写年度工作总结\t区政府办公室\t6月底前\n"
    "6\t\t清理过期的公开文件\t区财政局\t2月底前\n"
)


@pytest.fixture
def ctx(tmp_path: Path) -> AppContext:
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\ndatabase_url = "sqlite:///{tmp_path / "duban.db"}"\n', encoding="utf-8")
    context = open_context(load_settings(config))
    import_document(
        context.engine, PLAN.encode(), source_name="plan.txt", directory=context.directory, now=NOW
    )
    with session_scope(context.engine) as s:
        edu = subscriptions.unit_by_name(s, "区教育局")
        fin = subscriptions.unit_by_name(s, "区财政局")
        assert edu and fin and edu.id and fin.id
        progress.mark_done(s, task_id=1, unit_id=edu.id, user_id=7, user_name="张三", note=None, now=NOW)
        progress.mark_done(s, task_id=3, unit_id=edu.id, user_id=7, user_name="张三", note=None, now=NOW)
        oversight.add_progress(
            s,
            task_id=2,
            unit_id=fin.id,
            text="初稿已完成，正在征求意见",
            author_id=8,
            author_name="李四",
            now=datetime(2026, 3, 24, 16, 0, tzinfo=SH),
        )
    return context


def test_ledger_rows(ctx: AppContext) -> None:
    rows = collect(ctx, today=TODAY)
    got = [(r.task_id, r.unit, r.role, r.due, r.colour, r.status, r.overdue_days) for r in rows]
    assert got == [
        (1, "区教育局", "owner", date(2026, 3, 20), None, "done", 0),
        (2, "区财政局", "lead", date(2026, 3, 27), "blue", "open", 0),  # fresh progress: blue, not yellow
        (2, "区教育局", "support", date(2026, 3, 27), "yellow", "open", 0),
        (3, "区教育局", "owner", date(2026, 3, 31), None, "done", 0),  # this quarter's occurrence done
        (4, "区财政局", "owner", date(2026, 12, 31), None, "open", 0),
        (5, "区政府办公室", "owner", date(2026, 6, 30), None, "open", 0),
        (6, "区财政局", "owner", date(2026, 2, 28), "red", "open", 25),
    ]
    assert (rows[3].occurrences_done, rows[3].occurrences_total) == (1, 4)
    assert rows[0].done_by == "张三" and rows[1].progress == "初稿已完成，正在征求意见"
    # A week later the quarter is still done; in April the next occurrence is open again.
    april = collect(ctx, today=date(2026, 4, 2))
    quarterly = next(r for r in april if r.task_id == 3)
    assert (quarterly.due, quarterly.status, quarterly.occurrences_done) == (date(2026, 6, 30), "open", 1)


def test_summary_per_unit(ctx: AppContext) -> None:
    units = {u.unit: (u.total, u.done, u.open, u.red, u.yellow) for u in summarize(collect(ctx, today=TODAY))}
    assert units == {
        "区财政局": (3, 0, 3, 1, 0),
        "区教育局": (3, 2, 1, 0, 1),
        "区政府办公室": (1, 0, 1, 0, 0),
    }
    assert next(u.unit for u in summarize(collect(ctx, today=TODAY))) == "区财政局"  # most overdue first


def test_workbook_read_back_cell_by_cell(ctx: AppContext) -> None:
    rows = collect(ctx, today=TODAY)
    wb = load_workbook(io.BytesIO(workbook_bytes(rows, today=TODAY, tz=ctx.settings.tz)))
    assert wb.sheetnames == ["汇总", "2026年测试区公开工作要点任务分解表"]
    ws = wb["2026年测试区公开工作要点任务分解表"]
    assert [c.value for c in ws[1]] == list(HEADERS)
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:L8"
    assert ws.max_row == 8
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert values[0] == [
        "1",
        "平台建设",
        "整理并上线开放目录",
        "区教育局",
        "负责",
        datetime(2026, 3, 20),
        None,
        "已完成",
        datetime(2026, 3, 25, 10, 0),  # stored in UTC (02:00), shown in [time] timezone (Asia/Shanghai)
        "张三",
        None,
        None,
    ]
    assert values[1] == [
        "2",
        "平台建设",
        "编制本年度公开预算说明",
        "区财政局",
        "牵头",
        datetime(2026, 3, 27),
        "蓝",
        "未完成",
        None,
        None,
        "3月24日：初稿已完成，正在征求意见",
        None,
    ]
    assert values[2][3:8] == ["区教育局", "配合", datetime(2026, 3, 27), "黄", "未完成"]
    assert values[3][2] == "更新政务公开专栏内容（每季度）"
    assert values[3][7] == "已完成（本年 1/4 次）"
    assert [*values[6][3:8], values[6][11]] == ["区财政局", "负责", datetime(2026, 2, 28), "红", "未完成", 25]
    fills = {ws.cell(row=r, column=7).fill.fgColor.rgb[-6:] for r in (2, 3, 4, 8)}
    assert fills == {FILLS["done"], FILLS["blue"], FILLS["yellow"], FILLS["red"]}
    assert ws.cell(row=8, column=7).fill.fgColor.rgb[-6:] == FILLS["red"]
    assert ws.cell(row=6, column=7).fill.fill_type is None  # 全年, not yet in the window: no colour
    summary = wb["汇总"]
    assert [c.value for c in summary[1]] == list(SUMMARY_HEADERS)
    assert summary.freeze_panes == "A2"
    assert [[c.value for c in row] for row in summary.iter_rows(min_row=2, max_row=4)] == [
        ["区财政局", 3, 0, 3, 1, 0, 0],
        ["区教育局", 3, 2, 1, 0, 1, pytest.approx(2 / 3)],
        ["区政府办公室", 1, 0, 1, 0, 0, 0],
    ]
    assert summary.cell(row=2, column=5).fill.fgColor.rgb[-6:] == FILLS["red"]


@pytest.mark.parametrize(
    ("title", "taken", "expected"),
    [
        ("2026年要点", set(), "2026年要点"),
        ("要点[一]/二:三?", set(), "要点一二三"),
        ("甲" * 40, set(), "甲" * 31),
        ("汇总", set(), "汇总（2）"),
        ("要点", {"要点"}, "要点（2）"),
        ("", set(), "工作要点"),
    ],
)
def test_sheet_titles(title: str, taken: set[str], expected: str) -> None:
    assert sheet_title(title, set(taken)) == expected


@needs_cjk_font
def test_chart_has_chinese_labels_the_font_can_draw(ctx: AppContext) -> None:
    units = summarize(collect(ctx, today=TODAY))
    fig = chart_figure(units, today=TODAY)
    [ax] = fig.axes
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["区政府办公室", "区教育局", "区财政局"]  # most overdue at the top
    assert ax.get_title() == "各单位完成与逾期情况（截至3月25日）"
    from matplotlib.patches import Rectangle

    legend = ax.get_legend()
    assert legend is not None
    assert [t.get_text() for t in legend.get_texts()] == ["已完成", "逾期"]
    bars = []
    for p in ax.patches:
        assert isinstance(p, Rectangle)  # barh draws rectangles
        bars.append((round(p.get_width()), round(p.get_y() + p.get_height() / 2, 1)))
    assert bars == [(0, 0.2), (2, 1.2), (0, 2.2), (0, -0.2), (0, 0.8), (1, 1.8)]
    # Every character drawn has a glyph in the font used (boxes otherwise).
    from fontTools.ttLib import TTCollection, TTFont

    path = find_cjk_font()
    faces = TTCollection(str(path)).fonts if path.suffix.lower() == ".ttc" else [TTFont(str(path))]
    cmap = faces[0].getBestCmap()
    text = "".join(labels) + ax.get_title() + "已完成逾期事项数"
    assert [ch for ch in text if ord(ch) not in cmap] == []
    png = chart_png(units, today=TODAY)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


@needs_cjk_font
def test_duban_report_command(ctx: AppContext, tmp_path: Path) -> None:
    config = str(tmp_path / "config.toml")
    out, chart = tmp_path / "out" / "台账.xlsx", tmp_path / "chart.png"
    args = ["report", "--config", config, "--out", str(out), "--chart", str(chart), "--date", "2026-03-25"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "7 行" in result.output and "逾期 1" in result.output
    assert load_workbook(out)["汇总"]["A2"].value == "区财政局"
    assert chart.read_bytes()[:4] == b"\x89PNG"
    for bad, message in [
        (["--out", str(tmp_path / "x.csv")], "--out 应当是 .xlsx 文件"),
        (["--out", str(out), "--plan", "99"], "没有编号为 99 的计划"),
        (["--out", str(out), "--date", "明天"], "--date"),
    ]:
        result = CliRunner().invoke(app, ["report", "--config", config, *bad])
        flat = "".join(result.output.split())  # rich wraps long lines
        assert result.exit_code != 0 and "".join(message.split()) in flat, result.output
