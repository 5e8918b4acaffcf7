"""Malformed, misnamed, empty, encrypted and unsupported files: one clear Chinese sentence each, nothing stored."""

from __future__ import annotations

import io
import random
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest
from conftest import FIXTURES

pytest.importorskip("docx", reason="需要 python-docx（pip install python-docx）")
pytest.importorskip("openpyxl", reason="需要 openpyxl（pip install openpyxl）")
pytest.importorskip("pdfplumber", reason="需要 pdfplumber（pip install pdfplumber）")
pytest.importorskip("reportlab", reason="需要 reportlab（pip install reportlab）")

import filemakers
from filemakers import (
    PlanParts,
    make_docx,
    make_html,
    make_ole,
    make_pdf,
    make_xls,
    make_xlsx,
    make_zip,
    table_parts,
)
from sqlalchemy import Engine

from core import readers
from core.models import DocumentError
from core.readers import read_document
from core.units import UnitDirectory
from duban.importing import import_document, read_plan
from storage import crud
from storage.db import init_db, make_engine, session_scope

# ---------------------------------------------------------------------------------------------------------
# Good files to break
# ---------------------------------------------------------------------------------------------------------


@cache
def good(fmt: str) -> bytes:
    """A well-formed file of the project's table fixture."""
    parts = table_parts((FIXTURES / "plan_table.txt").read_text(encoding="utf-8"))
    if fmt == "xls":
        pytest.importorskip("xlwt", reason="需要 xlwt（pip install xlwt）来生成 .xls 测试文件")
    makers = {"docx": make_docx, "xlsx": make_xlsx, "xls": make_xls, "pdf": make_pdf, "html": make_html}
    return makers[fmt](parts)


def noise(size: int, seed: int) -> bytes:
    """Random bytes, the same on every run."""
    return random.Random(seed).randbytes(size)


def zip_member_swapped(fmt: str, member: str, content: bytes | None) -> bytes:
    """A good package with one member replaced (or removed when content is None)."""
    source = zipfile.ZipFile(io.BytesIO(good(fmt)))
    files: dict[str, bytes | str] = {n: source.read(n) for n in source.namelist() if n != member}
    if content is not None:
        files[member] = content
    return make_zip(files)


def zip_encrypted_flag(data: bytes) -> bytes:
    """A zip whose entries claim to be encrypted (general-purpose flag bit 0), as a password zip's are."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (at := out.find(signature, start)) >= 0:
            out[at + offset] |= 0x01
            start = at + 4
    return bytes(out)


def docx_of(paragraphs: list[str], rows: list[list[str]] | None = None) -> bytes:
    """A Word document with these paragraphs and, optionally, one table."""
    return make_docx(PlanParts(before=paragraphs, rows=rows or []), merge_columns=(), split_column=None)


def xlsx_of(cells: Sequence[Sequence[object]]) -> bytes:
    """A one-sheet workbook with these rows."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in cells:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def empty_workbook(sheets: int) -> bytes:
    """A workbook with empty sheets only."""
    import openpyxl

    book = openpyxl.Workbook()
    for index in range(1, sheets):
        book.create_sheet(f"空表{index}")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def empty_xls() -> bytes:
    """A legacy workbook whose only sheet is empty."""
    xlwt = pytest.importorskip("xlwt", reason="需要 xlwt（pip install xlwt）来生成 .xls 测试文件")
    book = xlwt.Workbook()
    book.add_sheet("Sheet1")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pdf_of(paragraphs: list[str]) -> bytes:
    """A PDF with these paragraphs and no table."""
    return make_pdf(PlanParts(before=paragraphs))


HEADER = ["序号", "任务名称", "任务内容", "责任单位", "时间节点"]

# ---------------------------------------------------------------------------------------------------------
# The cases: file name, how to make the bytes, the sentence (a regular expression) it must get
# ---------------------------------------------------------------------------------------------------------

BROKEN = r"文件已损坏或不完整"
PASSWORD = r"设有密码保护，请在原软件中取消密码后另存，再导入"
NO_TASKS = r"^未找到任务："

CASES: list[tuple[str, str, Callable[[], bytes], str]] = [
    # Empty
    ("zero-docx", "plan.docx", lambda: b"", r"^文件为空$"),
    ("zero-xlsx", "plan.xlsx", lambda: b"", r"^文件为空$"),
    ("zero-pdf", "plan.pdf", lambda: b"", r"^文件为空$"),
    ("zero-doc", "plan.doc", lambda: b"", r"^文件为空$"),
    ("zero-txt", "plan.txt", lambda: b"", r"^文件为空$"),
    ("blank-txt", "plan.txt", lambda: b" \r\n\t\n", r"^文件为空$"),
    ("nul-bytes-docx", "plan.docx", lambda: bytes(4096), r"^文件为空$"),
    ("bom-only-txt", "plan.txt", lambda: b"\xef\xbb\xbf", r"^文件为空$"),
    # Random bytes under an office name
    ("noise-docx", "plan.docx", lambda: noise(5000, 1), r"^文件内容不是有效的Word 文档（\.docx）"),
    ("noise-xlsx", "plan.xlsx", lambda: noise(5000, 2), r"^文件内容不是有效的Excel 工作簿（\.xlsx）"),
    ("noise-pdf", "plan.pdf", lambda: noise(5000, 3), r"^文件内容不是有效的PDF 文件"),
    ("noise-doc", "plan.doc", lambda: noise(5000, 4), r"^文件内容不是有效的旧版 Word 文档（\.doc）"),
    ("noise-xls", "plan.xls", lambda: noise(5000, 5), r"^文件内容不是有效的旧版 Excel"),
    ("noise-wps", "plan.wps", lambda: noise(5000, 11), r"^文件内容不是有效的旧版 Word 文档"),
    ("noise-txt", "plan.txt", lambda: noise(5000, 6), r"^无法识别文件编码"),
    ("noise-no-name", "plan", lambda: noise(5000, 7), r"^无法识别文件编码"),
    ("zip-magic-then-noise", "plan.docx", lambda: b"PK\x03\x04" + noise(3000, 8), BROKEN),
    ("pdf-magic-then-noise", "plan.pdf", lambda: b"%PDF-1.7\n" + noise(3000, 9), BROKEN),
    ("pdf-header-only", "plan.pdf", lambda: b"%PDF-1.4\n", BROKEN),
    (
        "ole-magic-then-noise",
        "plan.doc",
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + noise(3000, 10),
        r"^无法识别该旧版 Word 文档",
    ),
    # Truncated
    ("truncated-docx-half", "plan.docx", lambda: good("docx")[: len(good("docx")) // 2], BROKEN),
    ("truncated-docx-100", "plan.docx", lambda: good("docx")[:100], BROKEN),
    ("truncated-docx-tail", "plan.docx", lambda: good("docx")[:-30], BROKEN),
    ("truncated-xlsx-half", "plan.xlsx", lambda: good("xlsx")[: len(good("xlsx")) // 2], BROKEN),
    ("truncated-xlsx-100", "plan.xlsx", lambda: good("xlsx")[:100], BROKEN),
    ("truncated-pdf-head", "plan.pdf", lambda: good("pdf")[:400], BROKEN),
    # Zip packages with a missing or broken part
    (
        "zip-without-document-xml",
        "plan.docx",
        lambda: zip_member_swapped("docx", "word/document.xml", None),
        r"缺少正文部分（word/document\.xml）",
    ),
    (
        "zip-without-workbook-xml",
        "plan.xlsx",
        lambda: zip_member_swapped("xlsx", "xl/workbook.xml", None),
        r"缺少工作簿部分（xl/workbook\.xml）",
    ),
    (
        "document-xml-garbage",
        "plan.docx",
        lambda: zip_member_swapped("docx", "word/document.xml", b"<w:document"),
        BROKEN,
    ),
    (
        "document-xml-noise",
        "plan.docx",
        lambda: zip_member_swapped("docx", "word/document.xml", noise(2000, 12)),
        BROKEN,
    ),
    (
        "workbook-xml-garbage",
        "plan.xlsx",
        lambda: zip_member_swapped("xlsx", "xl/workbook.xml", b"<workbook>"),
        BROKEN,
    ),
    (
        "sheet-xml-garbage",
        "plan.xlsx",
        lambda: zip_member_swapped("xlsx", "xl/worksheets/sheet2.xml", b"<<<"),
        BROKEN,
    ),
    (
        "docx-without-content-types",
        "plan.docx",
        lambda: zip_member_swapped("docx", "[Content_Types].xml", None),
        BROKEN,
    ),
    ("plain-zip-as-docx", "plan.docx", lambda: make_zip({"readme.txt": "hello"}), r"缺少正文部分"),
    ("plain-zip-as-txt", "plan.txt", lambda: make_zip({"readme.txt": "hello"}), r"^这是压缩包，不是计划文件"),
    ("empty-zip", "plan.zip", lambda: make_zip({}), r"^这是压缩包，不是计划文件"),
    (
        "pptx",
        "slides.pptx",
        lambda: make_zip({"ppt/presentation.xml": "<p/>"}),
        r"^不支持 PowerPoint 演示文稿",
    ),
    (
        "odt",
        "plan.odt",
        lambda: make_zip({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<x/>"}),
        r"OpenDocument.*另存为 \.docx",
    ),
    # Password protection
    ("zip-encrypted-flag", "plan.docx", lambda: zip_encrypted_flag(good("docx")), PASSWORD),
    (
        "ooxml-encrypted-docx",
        "plan.docx",
        lambda: make_ole(["EncryptionInfo", "EncryptedPackage"]),
        "^该Word 文档（\\.docx）" + PASSWORD,
    ),
    (
        "ooxml-encrypted-xlsx",
        "plan.xlsx",
        lambda: make_ole(["EncryptionInfo", "EncryptedPackage"]),
        "^该Excel 工作簿（\\.xlsx）" + PASSWORD,
    ),
    ("ooxml-encrypted-no-name", "plan", lambda: make_ole(["EncryptionInfo", "EncryptedPackage"]), PASSWORD),
    ("encrypted-pdf", "plan.pdf", lambda: filemakers.make_encrypted_pdf(), "^该PDF 文件" + PASSWORD),
    # Other formats
    (
        "xls-ole-without-sheets",
        "plan.xls",
        lambda: make_ole(["Workbook"]),
        r"^无法读取该旧版 Excel 工作簿（\.xls）",
    ),
    ("ppt-ole", "plan.ppt", lambda: make_ole(["PowerPoint Document"]), r"^不支持 PowerPoint 演示文稿"),
    ("unknown-ole", "plan.doc", lambda: make_ole(["Something"]), r"^无法识别该旧版 Word 文档"),
    (
        "rtf-as-doc",
        "plan.doc",
        lambda: b"{\\rtf1\\ansi \\'d0\\'f2\\'ba\\'c5}",
        r"^这是 RTF 格式的文件.*另存为 \.docx",
    ),
    (
        "png-as-pdf",
        "plan.pdf",
        lambda: b"\x89PNG\r\n\x1a\n" + noise(500, 13),
        r"^这是图片文件，无法从中提取文字",
    ),
    ("jpeg-as-docx", "plan.docx", lambda: b"\xff\xd8\xff\xe0" + noise(500, 14), r"^这是图片文件"),
    ("gzip-as-xlsx", "plan.xlsx", lambda: b"\x1f\x8b\x08\x00" + noise(500, 15), r"^这是压缩包"),
    ("text-named-png", "photo.png", lambda: "序号\t任务内容".encode(), r"^不支持图片"),
    ("text-named-pptx", "slides.pptx", lambda: "序号\t任务内容".encode(), r"^不支持PowerPoint"),
    (
        "text-named-docx",
        "plan.docx",
        lambda: "序号\t任务名称\t任务内容".encode(),
        r"^文件内容不是有效的Word 文档",
    ),
    # Well-formed files without a plan in them
    ("docx-empty-body", "plan.docx", lambda: docx_of([]), r"^Word 文档（\.docx）中没有任何文字$"),
    (
        "docx-notice-only",
        "plan.docx",
        lambda: docx_of(["关于做好节日值班的通知", "请各单位做好值班安排。"]),
        NO_TASKS,
    ),
    ("docx-header-no-rows", "plan.docx", lambda: docx_of(["任务分解表"], [HEADER]), NO_TASKS),
    ("empty-workbook", "plan.xlsx", lambda: empty_workbook(1), r"^该 Excel 工作簿是空的，没有任何内容$"),
    ("empty-workbook-3-sheets", "plan.xlsx", lambda: empty_workbook(3), r"^该 Excel 工作簿是空的"),
    (
        "workbook-no-task-header",
        "plan.xlsx",
        lambda: xlsx_of([["姓名", "电话"], ["张三", 1234567]]),
        NO_TASKS,
    ),
    ("workbook-header-no-rows", "plan.xlsx", lambda: xlsx_of([HEADER]), NO_TASKS),
    ("image-only-pdf", "scan.pdf", filemakers.make_image_pdf, r"^此PDF没有可提取的文字（可能是扫描件）$"),
    (
        "pdf-without-tasks",
        "plan.pdf",
        lambda: pdf_of(["关于做好节日值班的通知", "请各单位做好值班安排。"]),
        NO_TASKS,
    ),
    ("csv-without-tasks", "plan.csv", lambda: "姓名,电话\n张三,123\n".encode(), NO_TASKS),
    ("txt-without-tasks", "plan.txt", lambda: "请各单位知悉。\n".encode(), NO_TASKS),
    # Web pages and legacy workbooks
    ("noise-html", "plan.html", lambda: noise(5000, 16), r"^无法识别该网页文件的编码"),
    (
        "html-tag-then-noise",
        "plan.doc",
        lambda: b"<html><body>" + noise(3000, 17),
        r"^无法识别该网页文件的编码",
    ),
    (
        "html-markup-only",
        "plan.html",
        lambda: b"<html><head><title>t</title><script>var a;</script></head><body><br></body></html>",
        r"^网页文件（\.html）中没有任何文字$",
    ),
    (
        "html-unclosed-tags",
        "plan.htm",
        lambda: b"<html><body><table><tr><td><p><b",
        r"^网页文件（\.html）中没有任何文字$",
    ),
    ("html-without-tasks", "plan.htm", lambda: "<p>请各单位知悉。</p>".encode("gbk"), NO_TASKS),
    (
        "html-nav-only",
        "plan.html",
        lambda: "<html><nav>首页 政务公开</nav></html>".encode(),
        r"没有任何文字$",
    ),
    ("truncated-xls-half", "plan.xls", lambda: good("xls")[: len(good("xls")) // 2], BROKEN),
    ("truncated-xls-tail", "plan.xls", lambda: good("xls")[:-700], BROKEN),
    ("empty-xls", "plan.xls", empty_xls, r"^该 Excel 工作簿是空的，没有任何内容$"),
]
IDS = [case[0] for case in CASES]


def _read(filename: str, data: bytes) -> None:
    """Read and parse as an import would, without storing."""
    read_plan(data, filename=filename)


def _assert_one_clear_sentence(message: str) -> None:
    """A message for a person: Chinese, one line, no Python in it."""
    assert re.search(r"[\u4e00-\u9fff]", message)
    assert "\n" not in message
    for leak in ("Traceback", "Error", "Exception", "zipfile", "lxml", "pdfminer", "<", "0x"):
        assert leak not in message


def test_there_are_at_least_fifty_cases() -> None:
    assert len(CASES) >= 50
    assert len(set(IDS)) == len(IDS)


@pytest.mark.parametrize(("case", "filename", "make", "pattern"), CASES, ids=IDS)
def test_malformed_file_gets_its_sentence(
    case: str, filename: str, make: Callable[[], bytes], pattern: str
) -> None:
    with pytest.raises(DocumentError) as caught:
        _read(filename, make())
    message = str(caught.value)
    assert re.search(pattern, message), message
    _assert_one_clear_sentence(message)


# ---------------------------------------------------------------------------------------------------------
# Nothing stored: the import use case against a scratch SQLite database
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One scratch database for the module; every case must leave it empty."""
    path = tmp_path_factory.mktemp("malformed") / "duban.db"
    engine = make_engine(f"sqlite:///{path}")
    init_db(engine)
    yield engine
    engine.dispose()


# Every fourth case, plus the ones the issue names, through import_document.
STORED_SAMPLE = sorted(
    set(IDS[::4])
    | {
        "truncated-docx-half",
        "noise-pdf",
        "noise-docx",
        "empty-workbook",
        "image-only-pdf",
        "zip-without-document-xml",
        "workbook-no-task-header",
        "ooxml-encrypted-docx",
        "encrypted-pdf",
    }
)


@pytest.mark.parametrize("case", STORED_SAMPLE)
def test_import_stores_nothing(engine: Engine, case: str) -> None:
    _, filename, make, _ = next(c for c in CASES if c[0] == case)
    with pytest.raises(DocumentError):
        import_document(
            engine,
            make(),
            source_name=filename,
            directory=UnitDirectory.default(),
            now=datetime(2024, 2, 6, 1, 0, tzinfo=UTC),
        )
    with session_scope(engine) as session:
        assert crud.list_plans(session) == []
        assert crud.list_tasks(session) == []


def test_size_limit_through_import_stores_nothing(engine: Engine) -> None:
    data = good("docx")
    with pytest.raises(DocumentError, match=r"^文件过大（.* MB），上限为 0\.01 MB$"):
        import_document(
            engine,
            data,
            source_name="plan.docx",
            directory=UnitDirectory.default(),
            now=datetime(2024, 2, 6, 1, 0, tzinfo=UTC),
            max_bytes=10 * 1024,
        )
    with session_scope(engine) as session:
        assert crud.list_plans(session) == []


def test_zip_bomb_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "MAX_UNZIPPED_BYTES", 1000)
    with pytest.raises(DocumentError, match=r"^文件解压后过大"):
        read_document(good("docx"), "plan.docx")


def test_too_many_pdf_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "MAX_PDF_PAGES", 0)
    with pytest.raises(DocumentError, match=r"^PDF 页数过多（1 页），上限为 0 页$"):
        read_document(good("pdf"), "plan.pdf")


def test_antiword_timeout_is_a_sentence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A stand-in antiword that hangs: the reader gives up after its timeout with a sentence.
    fake = tmp_path / "antiword"
    fake.write_text("#!/bin/sh\nsleep 5\n")
    fake.chmod(0o755)
    monkeypatch.setattr(readers.shutil, "which", lambda _name: str(fake))
    monkeypatch.setattr(readers, "ANTIWORD_TIMEOUT_S", 0.2)
    with pytest.raises(DocumentError, match=r"^读取旧版 Word 文档（\.doc）超时"):
        read_document(make_ole(["WordDocument"]), "plan.doc")


def test_antiword_failure_is_a_sentence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "antiword"
    fake.write_text("#!/bin/sh\necho 'I can not read this' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(readers.shutil, "which", lambda _name: str(fake))
    with pytest.raises(DocumentError, match=r"^无法读取该旧版 Word 文档（\.doc）.*另存为"):
        read_document(make_ole(["WordDocument"]), "plan.doc")


def test_reader_library_crash_becomes_a_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(_data: bytes) -> str:
        raise KeyError("word/styles.xml")

    monkeypatch.setitem(readers._READERS, "docx", crash)
    with pytest.raises(DocumentError, match=r"^无法读取该Word 文档（\.docx）：" + BROKEN):
        read_document(good("docx"), "plan.docx")
