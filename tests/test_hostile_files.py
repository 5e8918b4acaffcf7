"""Hostile files: bounded reading (a child process with time and memory limits) and the declared limits.

The corpus in tests/hostile.py goes through `duban import` as a user would run it (marked slow): one Chinese
sentence, nothing stored, under 15 s and a bounded peak memory each. The fast tests check the bounded call
itself (same text as read_document, the time limit, the memory limit, the child's process group) and each
declared limit in process.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypedDict

import pytest

pytest.importorskip("docx", reason="需要 python-docx（pip install python-docx）")
pytest.importorskip("openpyxl", reason="需要 openpyxl（pip install openpyxl）")
pytest.importorskip("pdfplumber", reason="需要 pdfplumber（pip install pdfplumber）")

import hostile
from conftest import FIXTURES
from filemakers import make_docx, make_ole, table_parts

from core import readers
from core.models import DocumentError
from core.readers import STOPPED, read_document
from duban import reading
from duban.reading import ReadLimits, read_bounded
from storage import crud
from storage.db import make_engine, session_scope

DUBAN = Path(sys.executable).with_name("duban")
# What `duban import` may use at its peak, reader child included: the child is capped at READ_MEMORY_MB of
# address space, and the refusals below come long before that. Reading in process took 5.4 GB on one file.
PEAK_MB = 600
SECONDS = 15.0


def plan_docx() -> bytes:
    """The project's table fixture as a Word document."""
    return make_docx(table_parts((FIXTURES / "plan_table.txt").read_text(encoding="utf-8")))


# ---------------------------------------------------------------------------------------------------------
# The bounded call
# ---------------------------------------------------------------------------------------------------------


def test_bounded_read_gives_the_same_text_as_read_document() -> None:
    data = plan_docx()
    assert read_bounded(data, "plan.docx") == read_document(data, "plan.docx")


def test_bounded_read_passes_the_reader_sentence_through() -> None:
    with pytest.raises(DocumentError, match=r"^无法识别该旧版 Word 文档"):
        read_bounded(make_ole(["Something"]), "plan.doc")
    with pytest.raises(DocumentError, match=r"^文件过大（.* MB），上限为 0\.01 MB$"):
        read_bounded(plan_docx(), "plan.docx", max_bytes=10 * 1024)


def test_text_is_read_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_child(*args: object, **kwargs: object) -> None:
        raise AssertionError("a text file needs no child process")

    monkeypatch.setattr(reading.subprocess, "Popen", no_child)
    text = (FIXTURES / "plan_table.txt").read_bytes()
    assert read_bounded(text, "plan.txt") == read_document(text, "plan.txt")
    with pytest.raises(AssertionError, match="no child"):
        read_bounded(plan_docx(), "plan.docx")


def test_time_limit_stops_a_slow_file_within_its_seconds() -> None:
    data = hostile.slow_pdf()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with pytest.raises(DocumentError) as caught:
        read_bounded(data, "slow.pdf", limits=ReadLimits(seconds=1.5))
    took = time.monotonic() - started
    assert str(caught.value) == f"{STOPPED}（读取超过 1.5 秒）"
    assert 1.4 < took < 4
    # The caller's own memory is untouched: the reading happened elsewhere.
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50 * 1024


def test_memory_limit_stops_the_child_not_the_caller() -> None:
    # Calamine lays a legacy sheet out densely: A1 and the last cell make 16.7 million cells.
    pytest.importorskip("xlwt", reason="需要 xlwt（pip install xlwt）来生成 .xls 测试文件")
    with pytest.raises(DocumentError) as caught:
        read_bounded(hostile.xls_far_cell(), "far.xls", limits=ReadLimits(memory_mb=400))
    assert str(caught.value) == STOPPED


def test_time_limit_ends_the_whole_process_group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A stand-in antiword that hangs (the reader's own antiword timeout is 30 s): it goes with the child.
    pid_file = tmp_path / "antiword.pid"
    fake = tmp_path / "antiword"
    fake.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 60\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(DocumentError, match=re.escape(STOPPED)):
        read_bounded(make_ole(["WordDocument"]), "plan.doc", limits=ReadLimits(seconds=1.5))
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"antiword（{pid}）仍在运行")


def test_limits_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUBAN_READ_TIMEOUT_SECONDS", "7.5")
    monkeypatch.setenv("DUBAN_READ_MEMORY_MB", "2048")
    assert ReadLimits.from_env() == ReadLimits(seconds=7.5, memory_mb=2048)
    monkeypatch.setenv("DUBAN_READ_TIMEOUT_SECONDS", "soon")
    monkeypatch.delenv("DUBAN_READ_MEMORY_MB")
    assert ReadLimits.from_env() == ReadLimits(reading.READ_TIMEOUT_S, reading.READ_MEMORY_MB)


# ---------------------------------------------------------------------------------------------------------
# Declared limits, in process (each refused before the work it would cause)
# ---------------------------------------------------------------------------------------------------------

DECLARED: list[tuple[str, Callable[[], bytes], str, str]] = [
    ("docx-part", hostile.docx_zip_bomb, "bomb.docx", r"word/document\.xml 解压后 190 MB"),
    ("docx-gridspan", hostile.docx_grid_span, "span.docx", r"表格超过 1000 列"),
    ("docx-gridbefore", hostile.docx_grid_before, "before.docx", r"表格超过 1000 列"),
    ("docx-cells", hostile.docx_huge_table, "grid.docx", r"表格单元格超过 200000 个"),
    ("docx-list-start", hostile.docx_numbering_roman, "roman.docx", r"编号起始值 100000000000 超出范围"),
    ("docx-list-letters", hostile.docx_numbering_letters, "letters.docx", r"编号起始值 2000000000 超出范围"),
    ("docx-list-level", hostile.docx_numbering_deep_level, "level.docx", r"编号层级 5000 超出范围"),
    ("xlsx-far-cell", hostile.xlsx_far_cell, "far.xlsx", r"表格超过 1000 列"),
    ("xlsx-merge", hostile.xlsx_huge_merge, "merge.xlsx", r"合并单元格超过 200000 个"),
    ("xlsx-merges", hostile.xlsx_many_merges, "merges.xlsx", r"合并单元格超过 200000 个"),
    ("html-colspan", hostile.html_span_grid, "span.html", r"表格超过 1000 列"),
    (
        "html-cells",
        lambda: b"<table>" + b"<tr><td>1<td>2" * 100001,
        "cells.html",
        r"表格单元格超过 200000 个",
    ),
    ("pdf-page", hostile.pdf_dense_page, "dense.pdf", r"第 1 页的绘制指令达 10\.3 MB"),
    ("pdf-pages", hostile.pdf_dense_pages, "dense400.pdf", r"全部页面的绘制指令超过 16 MB"),
]


@pytest.mark.parametrize(("case", "make", "filename", "detail"), DECLARED, ids=[d[0] for d in DECLARED])
def test_declared_limit(case: str, make: Callable[[], bytes], filename: str, detail: str) -> None:
    data = make()
    started = time.monotonic()
    with pytest.raises(DocumentError) as caught:
        read_document(data, filename)
    assert re.fullmatch(re.escape(STOPPED) + "（" + detail + "）", str(caught.value)), str(caught.value)
    assert time.monotonic() - started < 3


def test_limits_leave_real_plans_alone() -> None:
    # A plan with a numbered list, merged cells and a 5-column table reads as before the limits.
    data = plan_docx()
    assert "区" in read_document(data, "plan.docx")
    assert readers.MAX_COLUMNS >= 63 and readers.MAX_LIST_LEVELS == 9


# ---------------------------------------------------------------------------------------------------------
# The corpus through `duban import`
# ---------------------------------------------------------------------------------------------------------

_MEASURE = """
import json, resource, subprocess, sys, time
started = time.monotonic()
run = subprocess.run(sys.argv[1:], capture_output=True, timeout=120)
print(json.dumps({
    "seconds": time.monotonic() - started,
    "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    "code": run.returncode,
    "stdout": run.stdout.decode("utf-8", "replace"),
    "stderr": run.stderr.decode("utf-8", "replace"),
}))
"""


class ImportRun(TypedDict):
    """What the _MEASURE wrapper prints about one `duban import`."""

    seconds: float
    peak_mb: float
    code: int
    stdout: str
    stderr: str


def duban_import(path: Path, env: dict[str, str]) -> ImportRun:
    """Run `duban import FILE` in a wrapper that reports its time and the peak memory of it and its
    children (the reader child included)."""
    wrapper = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(DUBAN), "import", str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=path.parent,
        check=True,
    )
    return json.loads(wrapper.stdout)


@pytest.mark.slow
@pytest.mark.parametrize("case", list(hostile.HOSTILE), ids=list(hostile.HOSTILE))
def test_hostile_file_through_duban_import(case: str, tmp_path: Path) -> None:
    filename, make = hostile.HOSTILE[case]
    if case.startswith("xls"):
        pytest.importorskip("xlwt", reason="需要 xlwt（pip install xlwt）来生成 .xls 测试文件")
    path = tmp_path / filename
    path.write_bytes(make())
    database = tmp_path / "duban.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    env.update(DUBAN_DATABASE_URL=f"sqlite:///{database}", COLUMNS="400", NO_COLOR="1")
    result = duban_import(path, env)
    output = (str(result["stdout"]) + str(result["stderr"])).strip()
    assert result["code"] == 1, output
    # One line: the file's name, one Chinese sentence, and that nothing was stored.
    assert "\n" not in output, output
    match = re.fullmatch(re.escape(filename) + r"：(.+)（未保存任何内容）", output)
    assert match, output
    sentence = match[1]
    assert re.search(r"[\u4e00-\u9fff]", sentence)
    assert not re.search(r"Traceback|Error|Exception|File \"|0x[0-9a-f]", sentence), sentence
    assert result["seconds"] < SECONDS, (result["seconds"], sentence)
    assert result["peak_mb"] < PEAK_MB, (result["peak_mb"], sentence)
    if database.exists():
        engine = make_engine(f"sqlite:///{database}")
        with session_scope(engine) as session:
            assert crud.list_plans(session) == []
        engine.dispose()


def test_read_plan_takes_the_limits_it_is_given() -> None:
    from duban.importing import read_plan

    with pytest.raises(DocumentError, match=r"（读取超过 0\.5 秒）$"):
        read_plan(hostile.slow_pdf(), filename="slow.pdf", limits=ReadLimits(seconds=0.5))


def test_a_stopping_process_ends_its_reading_children_at_once() -> None:
    """SIGTERM must not wait behind a 30-second read: stop_readers ends the children now."""
    import threading

    from duban import reading

    outcome: list[BaseException] = []

    def read() -> None:
        try:
            read_bounded(hostile.slow_pdf(), "slow.pdf", limits=ReadLimits(seconds=30))
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=read)
    worker.start()
    deadline = time.monotonic() + 10
    while not reading._RUNNING and time.monotonic() < deadline:
        time.sleep(0.02)
    started = time.monotonic()
    try:
        reading.stop_readers()
        worker.join(timeout=10)
    finally:
        reading.stopping.clear()
    assert time.monotonic() - started < 3 and not worker.is_alive()
    assert isinstance(outcome[0], DocumentError) and "服务正在停止" in str(outcome[0])
