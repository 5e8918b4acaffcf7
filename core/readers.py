"""Office files → plan text: .docx, .xlsx, .xls, .pdf, .doc, .html and text files become the layouts
parse_plan reads.

Every reader returns text in the layouts `core.documents.parse_plan` already understands: task tables as
tab-separated rows under a `序号 …` header, other tables one cell per line (the outline layout), paragraphs
one per line. Every failure is a DocumentError with one Chinese sentence; nothing here raises anything else.
The format comes from the file's magic bytes first and its name second, so a misnamed file is still read.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import itertools
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path, PurePath
from typing import Any

from core.blocks import Block, Document, TableBlock, document_text
from core.documents import decode_text
from core.models import DocumentError
from core.tables import Carried, cell_text, is_task_header, trim_left

# Guards against files that are small on disk but huge once read (zip bombs, endless PDFs).
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_PDF_PAGES = 500
ANTIWORD_TIMEOUT_S = 30.0
# Limits on what a file may declare, checked before the work it would cause. A real plan stays far below
# them (tens of columns, hundreds of rows, tens of pages); a crafted one is stopped with STOPPED.
MAX_XML_PART_BYTES = 64 * 1024 * 1024  # one XML part of a .docx/.xlsx, unpacked
MAX_COLUMNS = 1_000  # columns of a table or sheet (Word allows 63, HTML a colspan of 1000)
MAX_ROWS = 50_000  # rows of one table or sheet
MAX_CELLS = 200_000  # grid cells of all tables of a file, merged and spanned cells counted
MAX_LIST_LEVELS = 9  # Word's list levels 0–8
MAX_LIST_NUMBER = 100_000  # a list counter's value (a start value of 10^60 never finishes printing)
MAX_PDF_CONTENT_BYTES = 16 * 1024 * 1024  # drawing instructions of all pages, unpacked
MAX_PDF_PAGE_CONTENT_BYTES = 4 * 1024 * 1024  # drawing instructions of one page, unpacked

STOPPED = "文件过大或结构异常，已停止读取"

SUPPORTED = "Word（.docx、.doc）、Excel（.xlsx、.xls）、网页（.html）、PDF 或文本文件（.txt）"

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_IMAGES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*", b"RIFF")
_ARCHIVES = (b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b")

_KIND_NAMES = {
    "docx": "Word 文档（.docx）",
    "xlsx": "Excel 工作簿（.xlsx）",
    "pdf": "PDF 文件",
    "doc": "旧版 Word 文档（.doc）",
    "xls": "旧版 Excel 工作簿（.xls）",
    "html": "网页文件（.html）",
}
_EXTENSIONS = {
    ".docx": "docx",
    ".docm": "docx",
    ".dotx": "docx",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".pdf": "pdf",
    ".doc": "doc",
    ".dot": "doc",
    ".wps": "doc",
    ".xls": "xls",
    ".et": "xls",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".shtml": "html",
}
_UNSUPPORTED_EXTENSIONS = {
    ".ppt": "PowerPoint 演示文稿",
    ".pptx": "PowerPoint 演示文稿",
    ".odt": "OpenDocument 文档",
    ".ods": "OpenDocument 表格",
    ".zip": "压缩包",
    ".rar": "压缩包",
    ".7z": "压缩包",
    ".png": "图片",
    ".jpg": "图片",
    ".jpeg": "图片",
    ".gif": "图片",
    ".bmp": "图片",
    ".tif": "图片",
    ".tiff": "图片",
}


def _mb(size: int) -> str:
    """A byte count in megabytes with at most one decimal."""
    megabytes = size / 1024 / 1024
    text = f"{megabytes:.1f}" if megabytes >= 1 else f"{megabytes:.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def document_kind(data: bytes, filename: str, *, max_bytes: int | None = None) -> str:
    """Which reader read_document would use (docx, xlsx, xls, pdf, doc, html, csv or text), after the size
    and emptiness checks; DocumentError for a file no reader takes. Cheap: no parsing beyond a zip listing."""
    if max_bytes is not None and len(data) > max_bytes:
        raise DocumentError(f"文件过大（{_mb(len(data))} MB），上限为 {_mb(max_bytes)} MB")
    if not data or not data.strip(b"\x00 \t\r\n"):
        raise DocumentError("文件为空")
    return _sniff(data, PurePath(filename).suffix.lower())


def read_document(data: bytes, filename: str, *, max_bytes: int | None = None) -> str:
    """The plan text of a file in any supported format, or DocumentError with one Chinese sentence."""
    return _read(data, filename, max_bytes)[1]


def read_blocks(data: bytes, filename: str, *, max_bytes: int | None = None) -> Document:
    """What a file of any supported format holds (core.blocks: lines and tables as the source states them),
    or DocumentError with one Chinese sentence. No reader decides what a table means."""
    return _read(data, filename, max_bytes)[0]


def _read(data: bytes, filename: str, max_bytes: int | None) -> tuple[Document, str]:
    """The file's blocks and their plan text (made once: it is also the check that there is any text)."""
    kind = document_kind(data, filename, max_bytes=max_bytes)
    reader = _READERS[kind]
    try:
        document = reader(data)
        text = document_text(document)
    except DocumentError:
        raise
    except Exception as exc:  # a parser library's own error must never reach the user as a traceback
        raise DocumentError(_broken(kind, exc)) from exc
    if not text.strip():
        raise DocumentError(f"{_KIND_NAMES.get(kind, '文件')}中没有任何文字")
    return document, text


def _stopped(what: str) -> DocumentError:
    """The error for a file past one of the limits above, saying which."""
    return DocumentError(f"{STOPPED}（{what}）")


def _check_cell_count(cells: Iterator[Any]) -> None:
    """Refuse a file with more table cells than MAX_CELLS, counted before any is read."""
    if sum(1 for _ in cells) > MAX_CELLS:
        raise _stopped(f"表格单元格超过 {MAX_CELLS} 个")


class _Cells:
    """Counts the grid cells a reader builds against MAX_CELLS, and each table's rows and columns."""

    def __init__(self) -> None:
        self.total = 0

    def add_row(self, row: list[str], rows: int) -> None:
        """Count one more row of a table that now has `rows` rows."""
        self._add(len(row), rows, len(row))

    def add_grid(self, height: int, width: int) -> None:
        """Count a sheet's used range (to its farthest cell) before it is read."""
        self._add(width, height, height * width)

    def _add(self, columns: int, rows: int, cells: int) -> None:
        self.total += cells
        if columns > MAX_COLUMNS:
            raise _stopped(f"表格超过 {MAX_COLUMNS} 列")
        if rows > MAX_ROWS:
            raise _stopped(f"表格超过 {MAX_ROWS} 行")
        if self.total > MAX_CELLS:
            raise _stopped(f"表格单元格超过 {MAX_CELLS} 个")


def _broken(kind: str, exc: Exception) -> str:
    """The sentence for a file a parser library choked on."""
    if isinstance(exc, MemoryError | RecursionError):
        return STOPPED
    if _is_password_error(exc):
        return _encrypted(kind)
    return f"无法读取该{_KIND_NAMES.get(kind, '文件')}：文件已损坏或不完整，请用原软件打开后重新保存再导入"


def _encrypted(kind: str) -> str:
    """The sentence for a password-protected file."""
    return f"该{_KIND_NAMES.get(kind, '文件')}设有密码保护，请在原软件中取消密码后另存，再导入"


# ---------------------------------------------------------------------------------------------------------
# Detection: magic bytes first, then the name
# ---------------------------------------------------------------------------------------------------------


def _sniff(data: bytes, suffix: str) -> str:
    """The reader for these bytes: docx, xlsx, xls, pdf, doc, html, csv or text; raises for what no reader
    takes. A web page is known by its first tag, so Word or Excel saved as HTML under a .doc/.xls name reads."""
    expected = _EXTENSIONS.get(suffix)
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if data.startswith(_ZIP):
        return _zip_kind(data, expected)
    if data.startswith(_OLE):
        return _ole_kind(data, expected)
    if data.lstrip()[:6].lower() == b"{\\rtf1" or data.startswith(b"{\\rtf"):
        raise DocumentError("这是 RTF 格式的文件，暂不支持，请在 Word 中另存为 .docx 后再导入")
    if data.startswith(_IMAGES):
        raise DocumentError("这是图片文件，无法从中提取文字；请提供 " + SUPPORTED)
    if data.startswith(_ARCHIVES):
        raise DocumentError("这是压缩包，不是计划文件；请解压后导入其中的 " + SUPPORTED)
    if expected == "html" or _looks_like_html(data):
        return "html"
    if expected is not None:
        what = _KIND_NAMES[expected]
        raise DocumentError(f"文件内容不是有效的{what}：文件头不符，可能已损坏或扩展名有误")
    if suffix in _UNSUPPORTED_EXTENSIONS:
        raise DocumentError(f"不支持{_UNSUPPORTED_EXTENSIONS[suffix]}；请提供 {SUPPORTED}")
    return "csv" if suffix == ".csv" else "text"


def _zip_kind(data: bytes, expected: str | None) -> str:
    """docx or xlsx for an OOXML package; a clear error for other or broken zip files."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            encrypted = any(info.flag_bits & 0x1 for info in archive.infolist())
    except (zipfile.BadZipFile, EOFError, ValueError, OSError, NotImplementedError):
        what = _KIND_NAMES.get(expected or "", "文件")
        raise DocumentError(
            f"无法读取该{what}：文件已损坏或不完整（无法解压），请重新下载或重新保存后再导入"
        ) from None
    if encrypted:
        raise DocumentError(_encrypted(expected or "zip"))
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "ppt/presentation.xml" in names:
        raise DocumentError("不支持 PowerPoint 演示文稿；请提供 " + SUPPORTED)
    if "mimetype" in names and "content.xml" in names:
        raise DocumentError("这是 OpenDocument（WPS/LibreOffice）格式，请另存为 .docx 或 .xlsx 后再导入")
    if expected == "docx":
        raise DocumentError("该 Word 文档（.docx）不完整：缺少正文部分（word/document.xml），文件可能已损坏")
    if expected == "xlsx":
        raise DocumentError(
            "该 Excel 工作簿（.xlsx）不完整：缺少工作簿部分（xl/workbook.xml），文件可能已损坏"
        )
    raise DocumentError("这是压缩包，不是计划文件；请解压后导入其中的 " + SUPPORTED)


def _ole_name(name: str) -> bytes:
    """How an OLE directory entry spells a stream name (UTF-16LE)."""
    return name.encode("utf-16-le")


def _ole_kind(data: bytes, expected: str | None) -> str:
    """doc for a legacy Word file; a clear error for encrypted OOXML, .xls, .ppt and the rest."""
    if _ole_name("EncryptedPackage") in data or _ole_name("EncryptionInfo") in data:
        # Office keeps a password-protected .docx/.xlsx inside an OLE file with these two streams.
        raise DocumentError(_encrypted(expected if expected in ("docx", "xlsx") else "file"))
    if _ole_name("WordDocument") in data:
        return "doc"
    if _ole_name("Workbook") in data or _ole_name("Book") in data:
        return "xls"
    if _ole_name("PowerPoint Document") in data:
        raise DocumentError("不支持 PowerPoint 演示文稿；请提供 " + SUPPORTED)
    if expected == "xls":
        return "xls"  # a workbook whose directory is cut off: calamine says how it is broken
    what = _KIND_NAMES.get(expected or "doc", "文件")
    raise DocumentError(f"无法识别该{what}：不是 Word 文档或已损坏，请在 Word 中另存为 .docx 后再导入")


# ---------------------------------------------------------------------------------------------------------
# Shared output helpers
# ---------------------------------------------------------------------------------------------------------

_CJK_CHAR = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def _join_broken(lines: Iterable[str]) -> str:
    """Lines of one wrapped cell or paragraph as one: no space between two Chinese characters, else one."""
    out = ""
    for line in lines:
        piece = line.strip()
        if not piece:
            continue
        if out and not (_CJK_CHAR.match(out[-1]) and _CJK_CHAR.match(piece[0])):
            out += " "
        out += piece
    return out


# ---------------------------------------------------------------------------------------------------------
# .docx (python-docx)
# ---------------------------------------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _check_unzipped_size(data: bytes) -> None:
    """Refuse a package that would unpack to more than MAX_UNZIPPED_BYTES, or with an XML part (parsed
    whole into memory) over MAX_XML_PART_BYTES; pictures may be bigger."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
    total = sum(info.file_size for info in infos)
    if total > MAX_UNZIPPED_BYTES:
        raise DocumentError(f"文件解压后过大（{_mb(total)} MB），上限为 {_mb(MAX_UNZIPPED_BYTES)} MB")
    for info in infos:
        if info.filename.lower().endswith((".xml", ".rels")) and info.file_size > MAX_XML_PART_BYTES:
            raise _stopped(f"{info.filename} 解压后 {_mb(info.file_size)} MB")


def _read_docx(data: bytes) -> Document:
    """Body paragraphs one per line and tables as rows, in document order."""
    _check_unzipped_size(data)
    import docx  # python-docx; imported here so `core` loads without it

    document = docx.Document(io.BytesIO(data))
    _check_cell_count(document.element.body.iter(f"{_W}tc"))
    _materialize_numbering(document)
    return Document(list(_docx_blocks(document.element.body, _Cells())))


# Word's automatic numbering (w:numPr) is not in the text: 序号 cells and （一） items may exist only as
# numbering, so the labels are computed and written into the paragraphs before they are read.
_CN_NUMERALS = "〇一二三四五六七八九"
_HEAVENLY_STEMS = "甲乙丙丁戊己庚辛壬癸"


def _chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 21 → 二十一, 105 → 一百零五 (as Word's chineseCounting prints them)."""
    if n < 10:
        return _CN_NUMERALS[n]
    if n < 20:
        return "十" + (_CN_NUMERALS[n % 10] if n % 10 else "")
    if n < 100:
        return _CN_NUMERALS[n // 10] + "十" + (_CN_NUMERALS[n % 10] if n % 10 else "")
    rest = n % 100
    tail = "" if rest == 0 else ("零" + _CN_NUMERALS[rest] if rest < 10 else _chinese_number(rest))
    return _CN_NUMERALS[n // 100 % 10] + "百" + tail


def _roman(n: int) -> str:
    """A number in upper-case Roman numerals."""
    out = ""
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                           (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):  # fmt: skip
        while n >= value:
            out, n = out + letters, n - value
    return out


def _format_number(n: int, fmt: str) -> str:
    """A list counter in one of Word's number formats."""
    if fmt.startswith("chinese") or fmt in ("ideographDigital", "japaneseCounting", "taiwaneseCounting"):
        return _chinese_number(n)
    if fmt == "ideographTraditional":
        return _HEAVENLY_STEMS[(n - 1) % 10]
    if fmt in ("upperLetter", "lowerLetter"):
        letter = chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letter if fmt == "upperLetter" else letter.lower()
    if fmt in ("upperRoman", "lowerRoman"):
        return _roman(n) if fmt == "upperRoman" else _roman(n).lower()
    if fmt.startswith("decimalEnclosedCircle") and 1 <= n <= 20:
        return chr(0x2460 + n - 1)
    if fmt == "decimalFullWidth":
        return "".join(chr(0xFF10 + int(d)) for d in str(n))
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)


def _val(element: Any, default: str | None = None) -> str | None:
    """The w:val attribute of an element, or default when the element is missing."""
    return default if element is None else element.get(f"{_W}val", default)


def _numbering_levels(numbering: Any) -> dict[str, dict[int, tuple[int, str, str, str]]]:
    """For each numId: level → (start, number format, label pattern like `（%1）`, suffix)."""
    abstract = {a.get(f"{_W}abstractNumId"): a for a in numbering.iterchildren(f"{_W}abstractNum")}
    levels: dict[str, dict[int, tuple[int, str, str, str]]] = {}
    for num in numbering.iterchildren(f"{_W}num"):
        definition = abstract.get(_val(num.find(f"{_W}abstractNumId")))
        if definition is None:
            continue
        by_level: dict[int, tuple[int, str, str, str]] = {}
        for lvl in definition.iterchildren(f"{_W}lvl"):
            by_level[_list_level(lvl.get(f"{_W}ilvl", "0"))] = (
                _list_number(_val(lvl.find(f"{_W}start"), "1") or 1),
                _val(lvl.find(f"{_W}numFmt"), "decimal") or "decimal",
                _val(lvl.find(f"{_W}lvlText"), "") or "",
                _val(lvl.find(f"{_W}suff"), "tab") or "tab",
            )
        for override in num.iterchildren(f"{_W}lvlOverride"):
            level = _list_level(override.get(f"{_W}ilvl", "0"))
            start = _val(override.find(f"{_W}startOverride"))
            if start is not None and level in by_level:
                by_level[level] = (_list_number(start), *by_level[level][1:])
        levels[num.get(f"{_W}numId")] = by_level
    return levels


def _list_level(value: str | None) -> int:
    """A list level (w:ilvl) as a number; past Word's nine levels the file is refused."""
    level = int(value or 0)
    if not 0 <= level < MAX_LIST_LEVELS:
        raise _stopped(f"编号层级 {value} 超出范围")
    return level


def _list_number(value: str | int) -> int:
    """A list start value as a number; a value no list reaches is refused (its label never ends)."""
    text = str(value).strip()
    if len(text) > 7 or not -MAX_LIST_NUMBER <= int(text) <= MAX_LIST_NUMBER:
        raise _stopped(f"编号起始值 {text[:12]} 超出范围")
    return int(text)


def _label(pattern: str, count: list[int | None], definition: dict[int, tuple[int, str, str, str]]) -> str:
    """A label pattern (`（%1）`, `%1.%2`) filled with the counters of its levels."""

    def number(match: re.Match[str]) -> str:
        at = int(match[1]) - 1
        start, fmt = definition.get(at, (1, "decimal", "", ""))[:2]
        counted = count[at]
        return _format_number(counted if counted is not None else start, fmt)

    return re.sub(r"%(\d)", number, pattern)


def _materialize_numbering(document: Any) -> None:
    """Write each automatically numbered paragraph's label (`1`, `（一）`, `2.`) in front of its text."""
    try:
        numbering = document.part.numbering_part.element
    except (NotImplementedError, KeyError, AttributeError):
        return
    levels = _numbering_levels(numbering)
    if not levels:
        return
    from docx.oxml import OxmlElement

    style_numbering = {}
    for style in document.styles.element.iterchildren(f"{_W}style"):
        found = style.find(f"{_W}pPr/{_W}numPr")
        if found is not None:
            style_numbering[style.get(f"{_W}styleId")] = found
    counters: dict[str, list[int | None]] = {}
    for p in document.element.body.iter(f"{_W}p"):
        num_pr = p.find(f"{_W}pPr/{_W}numPr")
        if num_pr is None:
            # A list style (Word's 编号列表) numbers its paragraphs through the style.
            num_pr = style_numbering.get(_val(p.find(f"{_W}pPr/{_W}pStyle")))
        num_id = _val(num_pr.find(f"{_W}numId")) if num_pr is not None else None
        if num_id is None or num_id == "0" or num_id not in levels:
            continue
        level = _list_level(_val(num_pr.find(f"{_W}ilvl"), "0"))
        definition = levels[num_id]
        start, fmt, pattern, suffix = definition.get(level, (1, "decimal", f"%{level + 1}.", "tab"))
        count = counters.setdefault(num_id, [None] * 9)
        count[level] = start if count[level] is None else min((count[level] or 0) + 1, MAX_LIST_NUMBER)
        for deeper in range(level + 1, 9):
            count[deeper] = None
        if fmt in ("bullet", "none") or not pattern:
            continue

        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = _label(pattern, count, definition) + ("" if suffix == "nothing" else " ")
        run.append(text)
        p_pr = p.find(f"{_W}pPr")
        p.insert(0 if p_pr is None else p.index(p_pr) + 1, run)


def _docx_blocks(parent: Any, cells: _Cells) -> Iterator[Block]:
    """Lines of the paragraphs and the tables directly in parent (content controls are looked into)."""
    for child in parent.iterchildren():
        tag = child.tag
        if tag == f"{_W}p":
            yield from _docx_paragraph(child).split("\n")
        elif tag == f"{_W}tbl":
            yield TableBlock(_docx_rows(child, cells))
        elif tag == f"{_W}sdt":
            content = child.find(f"{_W}sdtContent")
            if content is not None:
                yield from _docx_blocks(content, cells)


def _docx_paragraph(p: Any) -> str:
    """A paragraph's text: runs, tabs as tabs, line breaks as newlines; deleted revisions left out."""
    parts: list[str] = []
    for node in p.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr", f"{_W}delText", f"{_W}noBreakHyphen"):
        if node.tag == f"{_W}t":
            parts.append(node.text or "")
        elif node.tag == f"{_W}tab":
            # A tab stop inside a tab definition (w:tabs) is no character.
            parts.append("" if node.getparent().tag == f"{_W}tabs" else "\t")
        elif node.tag in (f"{_W}br", f"{_W}cr"):
            parts.append("\n")
        elif node.tag == f"{_W}noBreakHyphen":
            parts.append("-")
    return "".join(parts)


def _docxcell_text(tc: Any, cells: _Cells) -> str:
    """A cell's paragraphs (and nested tables) joined on one line; a paragraph break becomes a space."""
    pieces: list[str] = []
    for child in tc.iterchildren():
        if child.tag == f"{_W}p":
            pieces.append(_docx_paragraph(child))
        elif child.tag == f"{_W}tbl":
            pieces += [" ".join(row) for row in _docx_rows(child, cells)]
        elif child.tag == f"{_W}sdt":
            content = child.find(f"{_W}sdtContent")
            if content is not None:
                pieces += [_docx_paragraph(p) for p in content.iter(f"{_W}p")]
    return cell_text(" ".join(p for p in pieces if p.strip()))


def _docx_rows(tbl: Any, cells: _Cells) -> list[list[str]]:
    """Rows of a table on its column grid: a horizontal span fills its first column, a vertical merge
    repeats the top cell's text in every row it covers (so each row reads complete)."""
    rows: list[list[str]] = []
    above: dict[int, str] = {}
    for tr in tbl.iter(f"{_W}tr"):
        if tr.getparent() is not tbl:
            continue  # a row of a nested table
        row: list[str] = []
        props = tr.find(f"{_W}trPr")
        before = props.find(f"{_W}gridBefore") if props is not None else None
        if before is not None:
            row += [""] * _grid_count(before.get(f"{_W}val", "0") or "0")
        for tc in tr.iterchildren(f"{_W}tc", f"{_W}sdt"):
            for cell in [tc] if tc.tag == f"{_W}tc" else list(tc.iter(f"{_W}tc")):
                pr = cell.find(f"{_W}tcPr")
                span_el = pr.find(f"{_W}gridSpan") if pr is not None else None
                merge_el = pr.find(f"{_W}vMerge") if pr is not None else None
                span = _grid_count(span_el.get(f"{_W}val", "1") or "1") if span_el is not None else 1
                column = len(row)
                if merge_el is not None and merge_el.get(f"{_W}val", "continue") == "continue":
                    text: str = Carried(above.get(column, ""))
                else:
                    text = _docxcell_text(cell, cells)
                above[column] = text
                row += [text] + [""] * (span - 1)
                if len(row) > MAX_COLUMNS:
                    raise _stopped(f"表格超过 {MAX_COLUMNS} 列")
        rows.append(row)
        cells.add_row(row, len(rows))
    return rows


def _grid_count(value: str) -> int:
    """A count of grid columns (w:gridSpan, w:gridBefore); past MAX_COLUMNS the file is refused."""
    count = int(value) if len(value) <= 7 else MAX_COLUMNS + 1
    if count > MAX_COLUMNS:
        raise _stopped(f"表格超过 {MAX_COLUMNS} 列")
    return max(count, 0)


# ---------------------------------------------------------------------------------------------------------
# .xlsx (openpyxl)
# ---------------------------------------------------------------------------------------------------------

# openpyxl's read-only mode cannot see merged cells; plans are small, so only big workbooks use it.
XLSX_READ_ONLY_ABOVE = 4 * 1024 * 1024


def _read_xlsx(data: bytes) -> Document:
    """The first sheet with a task header as a table; without one, the first sheet with content."""
    _check_unzipped_size(data)
    import openpyxl  # imported here so `core` loads without it

    _check_merged_ranges(data)
    read_only = len(data) > XLSX_READ_ONLY_ABOVE
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=read_only, data_only=True)
    cells = _Cells()
    try:
        sheets = [_sheet_rows(sheet, cells) for sheet in book.worksheets]
    finally:
        book.close()
    return _workbook(sheets)


_MERGE_REF = re.compile(
    rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Za-z]{1,3})(\d{1,7}):([A-Za-z]{1,3})(\d{1,7})"'
)


def _column_number(letters: bytes) -> int:
    """A column's number from its letters: A → 1, XFD → 16384."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


def _check_merged_ranges(data: bytes) -> None:
    """Refuse merged ranges covering more than MAX_CELLS cells before openpyxl makes an object for each."""
    covered = 0
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if not info.filename.startswith("xl/worksheets/"):
                continue
            for found in _MERGE_REF.finditer(archive.read(info)):
                rows = abs(int(found[4]) - int(found[2])) + 1
                columns = abs(_column_number(found[3]) - _column_number(found[1])) + 1
                covered += rows * columns
                if covered > MAX_CELLS:
                    raise _stopped(f"合并单元格超过 {MAX_CELLS} 个")


def _workbook(sheets: list[list[list[str]]]) -> Document:
    """A workbook's sheets (.xlsx and .xls alike) as tables, the empty ones left out."""
    sheets = [rows for rows in sheets if any(any(c for c in row) for row in rows)]
    if not sheets:
        raise DocumentError("该 Excel 工作簿是空的，没有任何内容")
    return Document([TableBlock(rows) for rows in sheets], workbook=True)


def _sheet_rows(sheet: Any, cells: _Cells) -> list[list[str]]:
    """A sheet's cells as text; a vertically merged range repeats its value down, like a Word table."""
    cells.add_grid(sheet.max_row or 0, sheet.max_column or 0)
    rows = [[_xlsx_value(cell) for cell in row] for row in sheet.iter_rows()]
    merged = getattr(sheet, "merged_cells", None) or []
    _carry_merged(rows, ((m.min_row - 1, m.min_col - 1, m.max_row) for m in merged))
    return rows


def _carry_merged(rows: list[list[str]], ranges: Iterable[tuple[int, int, int]]) -> None:
    """Repeat each merged range's value down its first column, as Carried; ranges are (top, left, end row),
    counted from 0 with the end row excluded."""
    for top, left, end in ranges:
        if top >= len(rows) or left >= len(rows[top]):
            continue
        value = Carried(rows[top][left])
        for r in range(top + 1, min(end, len(rows))):
            if left < len(rows[r]):
                rows[r][left] = value


def _xlsx_value(cell: Any) -> str:
    """A cell value as its printed text: 1 not 1.0, dates as written (年月日 formats) or YYYY-MM-DD."""
    return _value_text(cell.value, getattr(cell, "number_format", "") or "")


def _value_text(value: object, number_format: str = "") -> str:
    """A spreadsheet value as its printed text (number_format is known for .xlsx only)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return f"{value:.10f}".rstrip("0").rstrip(".")
    if isinstance(value, datetime | date):
        return _xlsx_date(value, number_format)
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value)


def _xlsx_date(value: date, number_format: str) -> str:
    """A date cell in the spelling its number format asks for, else ISO."""
    day = value.date() if isinstance(value, datetime) else value
    if "年" in number_format and "日" in number_format:
        return f"{day.year}年{day.month}月{day.day}日"
    if "年" in number_format:
        return f"{day.year}年{day.month}月"
    if "月" in number_format and "日" in number_format:
        return f"{day.month}月{day.day}日"
    return day.isoformat()


# ---------------------------------------------------------------------------------------------------------
# .xls (python-calamine)
# ---------------------------------------------------------------------------------------------------------


def _read_xls(data: bytes) -> Document:
    """A legacy Excel workbook, read as the .xlsx reader reads one (calamine does not expose number
    formats, so a date cell prints as YYYY-MM-DD)."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum  # imported here so `core` loads without it

    cells = _Cells()
    with CalamineWorkbook.from_filelike(io.BytesIO(data)) as book:
        sheets = [
            _calamine_rows(book.get_sheet_by_index(index), cells)
            for index, meta in enumerate(book.sheets_metadata)
            if meta.typ == SheetTypeEnum.WorkSheet
        ]
    return _workbook(sheets)


def _calamine_rows(sheet: Any, cells: _Cells) -> list[list[str]]:
    """A calamine sheet's cells as text from A1, merged ranges as _sheet_rows treats them."""
    end = sheet.end
    cells.add_grid(end[0] + 1 if end else 0, end[1] + 1 if end else 0)
    rows = [[_value_text(value) for value in row] for row in sheet.to_python(skip_empty_area=False)]
    merged = sheet.merged_cell_ranges or []
    _carry_merged(rows, ((top, left, bottom + 1) for (top, left), (bottom, _right) in merged))
    return rows


# ---------------------------------------------------------------------------------------------------------
# .pdf (pdfplumber)
# ---------------------------------------------------------------------------------------------------------

_PAGE_NUMBER = re.compile(
    r"^[-—–－\s]*(?:第\s*)?\d{1,4}(?:\s*页)?(?:\s*[/／]\s*\d{1,4}|\s*共\s*\d+\s*页)?[-—–－\s]*$"
)


@dataclass(slots=True)
class _PdfBlock:
    """A text line or a ruled table of one page, where it sits."""

    top: float
    line: dict[str, Any] | None = None
    rows: list[list[str]] | None = None
    first_on_page: bool = False


def _read_pdf(data: bytes) -> Document:
    """Ruled tables as tab rows, other text as paragraphs rejoined across line and page breaks.

    A page without drawn lines and without a table header is read through pdfium (its text and character
    boxes, about 15× faster than laying the page out); pdfplumber lays out the pages where a table may be,
    for its table finding.
    """
    import pdfplumber  # imported here so `core` loads without it

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        if len(pdf.pages) > MAX_PDF_PAGES:
            raise DocumentError(f"PDF 页数过多（{len(pdf.pages)} 页），上限为 {MAX_PDF_PAGES} 页")
        _check_pdf_content(pdf.pages)
        fast = _pdfium_document(data, len(pdf.pages))
        blocks: list[_PdfBlock] = []
        has_text = False
        for index, page in enumerate(pdf.pages):
            lines = _pdfium_page_lines(fast[index]) if fast is not None else None
            if lines is not None:
                has_text = has_text or bool(lines)
                blocks += _line_blocks(lines, float(page.height), float(page.width))
            else:
                has_text = has_text or bool(page.chars)
                blocks += _pdf_page(page.dedupe_chars())
            page.close()
        if fast is not None:
            fast.close()
    if not has_text:
        raise DocumentError("此PDF没有可提取的文字（可能是扫描件）")
    return Document(_pdf_lines(blocks))


def _pdfium_document(data: bytes, pages: int) -> Any:
    """The PDF opened with pdfium for fast text, or None (pdfplumber then reads every page)."""
    try:
        import pypdfium2

        document = pypdfium2.PdfDocument(data)
    except Exception:  # pdfium refuses what pdfplumber took: read everything the slow, proven way
        return None
    if len(document) != pages:
        document.close()
        return None
    return document


# Pages with more drawn paths than this may hold a ruled table (a red rule under a title is one or two).
_MAX_PLAIN_PATHS = 2
# Characters pdfium reports that are no text: NUL, the noncharacters it uses for unknown glyphs.
_NO_CHAR = frozenset({0, 0xFFFE, 0xFFFF})


def _pdfium_page_lines(document_page: Any) -> list[dict[str, Any]] | None:
    """A plain page's text lines as pdfplumber gives them (text, x0, x1, top, bottom, size), or None when
    the page may hold a table (drawn lines, or a 序号 header) and needs laying out."""
    import pypdfium2.raw as pdfium_c

    objects = document_page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH], max_depth=2)
    if next(itertools.islice(objects, _MAX_PLAIN_PATHS, None), None) is not None:
        return None  # more drawn paths than a plain page has
    textpage = document_page.get_textpage()
    try:
        if any(hint in textpage.get_text_range() for hint in _HEADER_HINTS):
            return None
        height = document_page.get_height()
        chars: list[tuple[float, float, float, float, float, str]] = []
        for i in range(textpage.count_chars()):
            code = pdfium_c.FPDFText_GetUnicode(textpage.raw, i)
            if code in _NO_CHAR or pdfium_c.FPDFText_IsGenerated(textpage.raw, i) == 1 or chr(code) in "\r\n":
                continue
            left, bottom, right, top = textpage.get_charbox(i, loose=True)
            size = float(pdfium_c.FPDFText_GetFontSize(textpage.raw, i))
            chars.append((height - top, height - bottom, left, right, size, chr(code)))
    finally:
        textpage.close()
    return _char_lines(chars)


def _char_lines(chars: list[tuple[float, float, float, float, float, str]]) -> list[dict[str, Any]]:
    """Characters (top, bottom, left, right, size, char) grouped into lines the way pdfplumber does: tops
    within 3 pt make one line, read left to right, a gap over 3 pt is a space, overprinted duplicates once."""
    lines: list[list[tuple[float, float, float, float, float, str]]] = []
    for glyph in sorted(chars, key=lambda c: c[0]):
        if lines and abs(lines[-1][0][0] - glyph[0]) <= 3:
            lines[-1].append(glyph)
        else:
            lines.append([glyph])
    out: list[dict[str, Any]] = []
    for line in lines:
        line.sort(key=lambda c: c[2])
        text, previous = "", None
        for top, _bottom, left, right, _size, char in line:
            if (
                previous is not None
                and char == previous[5]
                and abs(left - previous[2]) < 1
                and abs(top - previous[0]) < 1
            ):
                continue  # the same glyph printed twice (fake bold)
            if previous is not None and left - previous[3] > 3 and not char.isspace():
                text += " "
            text += char
            previous = (top, _bottom, left, right, _size, char)
        if text.strip():
            out.append(
                {
                    "text": text.strip(),
                    "x0": line[0][2],
                    "x1": max(c[3] for c in line),
                    "top": min(c[0] for c in line),
                    "bottom": max(c[1] for c in line),
                    "size": max(c[4] for c in line) or 10.0,
                }
            )
    return out


def _line_blocks(lines: list[dict[str, Any]], height: float, width: float) -> list[_PdfBlock]:
    """A plain page's lines as blocks, page numbers near the top and bottom edge left out."""
    blocks: list[_PdfBlock] = []
    for line in lines:
        near_edge = line["top"] < height * 0.08 or line["bottom"] > height * 0.92
        if near_edge and _PAGE_NUMBER.match(line["text"]):
            continue
        line["page_width"] = width
        blocks.append(_PdfBlock(float(line["top"]), line=line))
    if blocks:
        blocks[0].first_on_page = True
    return blocks


def _check_pdf_content(pages: list[Any]) -> None:
    """Refuse pages whose drawing instructions, unpacked, are past the limits: laying out a page costs
    time for every instruction, and a few KB of compressed stream can hold millions of them."""
    from pdfminer.pdftypes import resolve1

    total = 0
    for page in pages:
        size = 0
        for stream in page.page_obj.contents:
            stream = resolve1(stream)
            size += len(stream.get_data()) if hasattr(stream, "get_data") else 0
        total += size
        if size > MAX_PDF_PAGE_CONTENT_BYTES:
            raise _stopped(f"第 {page.page_number} 页的绘制指令达 {_mb(size)} MB")
        if total > MAX_PDF_CONTENT_BYTES:
            raise _stopped(f"全部页面的绘制指令超过 {_mb(MAX_PDF_CONTENT_BYTES)} MB")


_TEXT_TABLE = {"vertical_strategy": "text", "horizontal_strategy": "text"}
# Every task header starts with one of these; pages without them skip the costly alignment search.
_HEADER_HINTS = ("序号", "编号")


def _pdf_page(page: Any) -> list[_PdfBlock]:
    """A page's text lines and tables from top to bottom."""
    tables = [t for t in page.find_tables() if len(t.rows) >= 2 and len(t.rows[0].cells) >= 2]
    unruled: list[Any] = []
    if not tables and any(hint in "".join(c["text"] for c in page.chars) for hint in _HEADER_HINTS):
        # A table without ruling lines is found from the text's alignment, and taken only when its task
        # header is on this page: column guesses without one shifted columns too often (wrong tasks are
        # worse than none; such a page stays text).
        unruled = [
            table
            for table in page.find_tables(_TEXT_TABLE)
            if any(is_task_header(trim_left([c or "" for c in row])) for row in table.extract())
        ]
        tables = unruled
    outside = page
    for table in tables:
        outside = outside.outside_bbox(table.bbox)
    height, width = float(page.height), float(page.width)
    blocks: list[_PdfBlock] = []
    for line in outside.extract_text_lines(return_chars=True):
        text = line["text"].strip()
        near_edge = line["top"] < height * 0.08 or line["bottom"] > height * 0.92
        if not text or (near_edge and _PAGE_NUMBER.match(text)):
            continue  # page numbers would end up inside a paragraph that runs over the page break
        line["size"] = max((c.get("size", 0) for c in line["chars"]), default=10.0) or 10.0
        line["page_width"] = width
        blocks.append(_PdfBlock(float(line["top"]), line=line))
    for table in tables:
        rows = [[_join_broken((cell or "").split("\n")) for cell in row] for row in table.extract()]
        if table in unruled:
            rows = _rejoin_wrapped_rows(rows)
        blocks.append(_PdfBlock(float(table.bbox[1]), rows=rows))
    blocks.sort(key=lambda block: block.top)
    if blocks:
        blocks[0].first_on_page = True
    return blocks


def _rejoin_wrapped_rows(rows: list[list[str]]) -> list[list[str]]:
    """An unruled table's rows with each wrapped line (no 序号, no header) glued back to the row above."""
    out: list[list[str]] = []
    for row in rows:
        if not any(c.strip() for c in row):
            continue
        header = is_task_header(trim_left(row))
        if out and not header and not row[0].strip() and not is_task_header(trim_left(out[-1])):
            out[-1] = [_join_broken([a, b]) for a, b in zip(out[-1], row, strict=False)]
        else:
            out.append(list(row))
    return out


def _pdf_lines(blocks: list[_PdfBlock]) -> list[Block]:
    """Plan text from the blocks of every page: paragraphs rejoined, tables as tab rows."""
    text_lines = [b.line for b in blocks if b.line is not None]
    left = min((ln["x0"] for ln in text_lines), default=0.0)
    right = _right_margin([ln["x1"] for ln in text_lines])
    out: list[Block] = []
    paragraph: list[str] = []
    open_paragraph = False
    header: list[str] | None = None
    for block in blocks:
        if block.rows is not None:
            if paragraph:
                out.append(_join_broken(paragraph))
                paragraph, open_paragraph = [], False
            out.append(TableBlock(_pdf_table_rows(block, header)))
            if block.rows and not (block.first_on_page and header is not None):
                header = [cell_text(c) for c in block.rows[0]]
            continue
        line = block.line
        assert line is not None
        size = line["size"]
        indented = line["x0"] > left + size * 0.9
        if paragraph and (indented or not open_paragraph):
            out.append(_join_broken(paragraph))
            paragraph = []
        paragraph.append(line["text"])
        # A line that reaches the right margin runs on; one that stops short ends its paragraph. A document
        # of short lines only has no margin to reach (right < 80% of the page): every line stands alone.
        open_paragraph = right >= line["page_width"] * 0.8 and line["x1"] >= right - size * 2
    if paragraph:
        out.append(_join_broken(paragraph))
    return out


def _pdf_table_rows(block: _PdfBlock, header: list[str] | None) -> list[list[str]]:
    """A table's rows, joined to the table on the page before when it goes on at the top of this page."""
    rows = block.rows or []
    if not (block.first_on_page and header is not None and rows):
        return rows
    if [cell_text(c) for c in rows[0]] == header:
        # The header repeated over each page: parse_plan skips a repeated task header; an outline table's
        # header would read as text of the task above, so it goes.
        return rows if is_task_header(header) else rows[1:]
    if is_task_header(header) and not is_task_header(trim_left(rows[0])):
        # A task table going on without its header: parse_plan skips the header put back here.
        return [header, *rows]
    return rows


def _right_margin(ends: list[float]) -> float:
    """Where full lines end: the median end of the long lines (hanging punctuation overshoots the max)."""
    if not ends:
        return 0.0
    longest = max(ends)
    long_ends = sorted(x for x in ends if x >= longest * 0.85)
    return long_ends[len(long_ends) // 2]


def _is_password_error(exc: BaseException) -> bool:
    """Whether exc (or what caused it) says the file needs a password."""
    seen: BaseException | None = exc
    while seen is not None:
        name = type(seen).__name__
        if "Password" in name or "Encrypt" in name or "password" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


# ---------------------------------------------------------------------------------------------------------
# .doc (antiword)
# ---------------------------------------------------------------------------------------------------------

DOC_HOWTO = "请在 Word 或 WPS 中打开该文件，选择“另存为”→“Word 文档（.docx）”，再导入 .docx 文件"


def _read_doc(data: bytes) -> Document:
    """A legacy Word file through antiword's DocBook output: paragraphs one per line, tables as rows."""
    antiword = shutil.which("antiword")
    if antiword is None:
        raise DocumentError(f"服务器未安装 antiword，无法读取旧版 Word 文档（.doc）；{DOC_HOWTO}")
    with tempfile.TemporaryDirectory(prefix="duban-doc-") as folder:
        path = Path(folder) / "plan.doc"
        path.write_bytes(data)
        try:
            result = subprocess.run(
                [antiword, "-x", "db", str(path)],
                capture_output=True,
                timeout=ANTIWORD_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise DocumentError(f"读取旧版 Word 文档（.doc）超时；{DOC_HOWTO}") from None
    message = result.stderr.decode("utf-8", "replace").lower()
    if "encrypt" in message or "password" in message:
        raise DocumentError(_encrypted("doc"))
    if result.returncode != 0 or not result.stdout.strip():
        raise DocumentError(f"无法读取该旧版 Word 文档（.doc），文件可能已损坏或版本过旧；{DOC_HOWTO}")
    return Document(_docbook_lines(result.stdout))


def _docbook_lines(xml: bytes) -> list[Block]:
    """antiword's DocBook as plan text: each <para> a line, each <informaltable> a table."""
    from xml.etree import ElementTree

    # antiword names an external DTD; the parser never fetches it, and the document declares no entities.
    root = ElementTree.fromstring(xml)
    lines: list[Block] = []

    def walk(node: ElementTree.Element) -> None:
        for child in node:
            if child.tag == "informaltable":
                rows = [
                    [cell_text(" ".join(entry.itertext())) for entry in row.iter("entry")]
                    for row in child.iter("row")
                ]
                lines.append(TableBlock(rows))
            elif child.tag == "para":
                if child.text and child.text.strip():
                    lines.extend(part.strip() for part in child.text.strip().split("\n"))
                walk(child)
                if child.tail and child.tail.strip():
                    lines.append(child.tail.strip())
            elif child.tag in ("bookinfo", "title"):
                continue
            else:
                walk(child)

    walk(root)
    return lines


# ---------------------------------------------------------------------------------------------------------
# .html (lxml): web pages, and Word or Excel documents saved as a web page
# ---------------------------------------------------------------------------------------------------------

_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta")
_DECLARED_CHARSET = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([a-z0-9_.:-]+)|<\?xml[^>]*?encoding\s*=\s*["']([a-z0-9_.:-]+)""",
    re.IGNORECASE,
)
# GB2312 and GBK are subsets of GB18030; pages often declare the smaller one and use characters beyond it.
_GB_NAMES = {"gb2312", "gbk", "x-gbk", "cp936", "gb_2312-80", "euc-cn", "csgb2312", "windows-936"}
_HTML_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")

# Elements that end the line before them and start a new one after them.
_HTML_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
    "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "form", "h1", "h2",
    "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "legend", "li", "main", "menu", "ol",
    "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"
})  # fmt: skip
# Never text of the plan: code, styles, page chrome, form controls, embedded objects, Word's XML islands.
_HTML_DROPPED = frozenset({
    "head", "title", "script", "style", "noscript", "template", "nav", "aside", "footer", "iframe",
    "object", "embed", "svg", "canvas", "button", "select", "option", "textarea", "input", "map",
    "xml", "o:p"
})  # fmt: skip
# id or class words (or their beginnings: navbar, bdsharebuttonbox) of page chrome
_CHROME_PREFIXES = (
    "nav", "menu", "breadcrumb", "crumb", "footer", "sidebar", "share", "bdshare", "copyright", "toolbar",
    "topbar", "skip",
)  # fmt: skip
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "search", "menu", "menubar"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|mso-hide\s*:\s*all", re.IGNORECASE)
_HTML_SPACE = re.compile(r"[ \t\r\n\f\xa0]+")  # &nbsp; runs are how a page spaces words
# HTML source wraps long lines anywhere: a break between two Chinese characters is no space.
_CJK_WRAP = re.compile(rf"(?<={_CJK_CHAR.pattern})[ \t\r\f]*\n[ \t\r\n\f]*(?={_CJK_CHAR.pattern})")
# What HTML allows a span to be (colspan ≤ 1000, rowspan ≤ 65534), and what rowspan=0 means (to the end).
MAX_HTML_COLSPAN = 1000
MAX_HTML_ROWSPAN = 65534


def _looks_like_html(data: bytes) -> bool:
    """Whether the bytes start like a web page (after a BOM, blank lines, comments or an XML declaration)."""
    head = data[:4096]
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            head = head.decode(encoding, "ignore").encode("utf-8")
            break
    head = head.lstrip().lower()
    while head.startswith((b"<!--", b"<?xml")):
        end = head.find(b"-->" if head.startswith(b"<!--") else b"?>")
        if end < 0:
            return False
        head = head[end + 3 :].lstrip()
    return head.startswith(_HTML_STARTS)


def _html_decode(data: bytes) -> str:
    """A page's text: by its BOM; else UTF-8 when it decodes; else the declared charset; else GB18030."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, "replace")
    candidates = ["utf-8"]
    found = _DECLARED_CHARSET.search(data[:8192])
    if found:
        declared = (found[1] or found[2]).decode("ascii").lower()
        declared = "gb18030" if declared in _GB_NAMES else declared
        with contextlib.suppress(LookupError):
            candidates.append(codecs.lookup(declared).name)
    candidates.append("gb18030")
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode(candidates[1], "replace")


def _read_html(data: bytes) -> Document:
    """Block elements one per line, tables as rows; scripts, styles, navigation and hidden parts dropped."""
    import lxml.html  # imported here so `core` loads without it

    text = _html_decode(data)
    if len(_HTML_CONTROL.findall(text)) > max(2, len(text) // 200):
        # binary bytes under an .html name (GB18030 decodes almost any byte pair, control bytes stay)
        raise DocumentError(
            "无法识别该网页文件的编码，可能不是网页文件（支持 UTF-8、GBK/GB18030 编码的 .html 文件）"
        )
    text = _XML_DECLARATION.sub("", _HTML_CONTROL.sub("", text))
    if not text.strip():
        return Document()
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
    root = lxml.html.document_fromstring(text, parser=parser)
    _check_cell_count(root.iter("td", "th"))
    lines = _HtmlLines(_Cells())
    lines.walk(root)
    lines.end_line()
    return Document(lines.lines)


def _html_tag(element: Any) -> str:
    """An element's tag in lower case without a namespace; "" for comments and processing instructions."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def _is_chrome(element: Any, tag: str) -> bool:
    """Whether an element is page chrome or hidden: navigation, footers, share bars, display:none."""
    if tag in _HTML_DROPPED:
        return True
    get = element.get
    if get("hidden") is not None or _HIDDEN_STYLE.search(get("style") or ""):
        return True
    if (get("role") or "").lower() in _CHROME_ROLES:
        return True
    if tag == "header":
        # A page's banner; an article's own header holds its title.
        return not any(_html_tag(a) in ("article", "main") for a in element.iterancestors())
    names = f"{get('id') or ''} {get('class') or ''}".lower()
    if not names.strip() or tag in ("table", "tr", "td", "th", "tbody", "thead", "body", "html"):
        return False
    words = re.split(r"[\s_-]+", names)
    chrome = any(word.startswith(_CHROME_PREFIXES) for word in words if word)
    return chrome and element.find(".//table") is None


class _HtmlLines:
    """Collects a page's lines: inline text joined, block elements as lines, data tables as rows."""

    def __init__(self, cells: _Cells) -> None:
        self.cells = cells
        self.lines: list[Block] = []
        self._pieces: list[str] = []

    def text(self, piece: str | None) -> None:
        """Inline text (whitespace is collapsed when the line ends)."""
        if piece:
            self._pieces.append(piece)

    def end_line(self) -> None:
        """End the line being collected (nothing when it is empty)."""
        raw = "".join(self._pieces)
        self._pieces = []
        for part in raw.split("\x00"):  # NUL marks a <br> (control characters are gone from the text)
            line = _HTML_SPACE.sub(" ", _CJK_WRAP.sub("", part)).strip()
            if line:
                self.lines.append(line)

    def walk(self, element: Any, pre: bool = False) -> None:
        """Add an element's text and its children's (not its tail)."""
        for child in self._content(element, pre):
            if isinstance(child, str):
                self.text(child)
                continue
            tag = _html_tag(child)
            if not tag or _is_chrome(child, tag):
                pass
            elif tag == "br":
                self.text("\x00")
            elif tag == "table" and _is_data_table(child):
                self.end_line()
                self.lines.append(TableBlock(_html_rows(child, self.cells)))
            elif tag in _HTML_BLOCKS:
                self.end_line()
                self.walk(child, pre or tag == "pre")
                self.end_line()
            else:
                self.walk(child, pre)
            if child.tail:
                self.text(child.tail.replace("\n", "\x00") if pre else child.tail)

    @staticmethod
    def _content(element: Any, pre: bool) -> Iterator[Any]:
        """An element's leading text, then its children."""
        if element.text:
            yield element.text.replace("\n", "\x00") if pre else element.text
        yield from element


def _is_data_table(table: Any) -> bool:
    """A table of data, not one laying out a page: no table inside it and at least two columns somewhere."""
    if table.find(".//table") is not None:
        return False
    return any(len(_html_cells(tr)) >= 2 for tr in _html_table_rows(table))


def _html_table_rows(table: Any) -> list[Any]:
    """A table's own rows (directly or in thead/tbody/tfoot), in document order."""
    rows: list[Any] = []
    for child in table:
        tag = _html_tag(child)
        if tag == "tr":
            rows.append(child)
        elif tag in ("thead", "tbody", "tfoot"):
            rows += [tr for tr in child if _html_tag(tr) == "tr"]
    return rows


def _html_cells(tr: Any) -> list[Any]:
    """A row's cells."""
    return [cell for cell in tr if _html_tag(cell) in ("td", "th")]


def _span(value: str | None, limit: int) -> int:
    """A colspan/rowspan attribute as a number (browsers read `3px` as 3; junk is 1); 0 stays 0."""
    found = re.match(r"\s*(\d+)", value or "")
    return min(int(found[1]), limit) if found else 1


def _htmlcell_text(cell: Any, cells: _Cells) -> str:
    """A cell's paragraphs joined with one space on one line."""
    lines = _HtmlLines(cells)
    lines.walk(cell)
    lines.end_line()
    parts = (b if isinstance(b, str) else " ".join(c for row in b.rows for c in row) for b in lines.lines)
    return cell_text(" ".join(parts))


def _html_rows(table: Any, cells: _Cells) -> list[list[str]]:
    """Rows of a table on its column grid, as _docx_rows gives them: a colspan fills its first column, a
    rowspan repeats the top cell's text (as core.tables.Carried) in every row it covers."""
    trs = _html_table_rows(table)
    rows: list[list[str]] = []
    # column → (rows still covered, text, colspan) of a cell spanning down from a row above
    pending: dict[int, tuple[int, str, int]] = {}

    def carry(row: list[str], column: int) -> None:
        carried.add(column)
        left, text, width = pending.pop(column)
        row += [Carried(text)] + [""] * (width - 1)
        if left > 1:
            pending[column] = (left - 1, text, width)

    for index, tr in enumerate(trs):
        row: list[str] = []
        carried: set[int] = set()
        covering = set(pending)
        for cell in _html_cells(tr):
            while len(row) in pending:
                carry(row, len(row))
            width = max(1, _span(cell.get("colspan"), MAX_HTML_COLSPAN))
            height = _span(cell.get("rowspan"), MAX_HTML_ROWSPAN)
            height = len(trs) - index if height == 0 else min(height, len(trs) - index)
            text = _htmlcell_text(cell, cells)
            if height > 1:
                pending[len(row)] = (height - 1, text, width)
            row += [text] + [""] * (width - 1)
            if len(row) > MAX_COLUMNS:
                raise _stopped(f"表格超过 {MAX_COLUMNS} 列")
        for column in sorted(c for c in pending if c >= len(row)):
            row += [""] * (column - len(row))
            carry(row, column)
        for column in [c for c in covering - carried if c in pending]:
            # a cell of this row overlapped the spanning cell (a malformed table): the span still ends
            left, text, width = pending.pop(column)
            if left > 1:
                pending[column] = (left - 1, text, width)
        rows.append(row)
        cells.add_row(row, len(rows))
    return rows


# ---------------------------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------------------------


def _read_text(data: bytes) -> Document:
    """A text file (UTF-8, UTF-8 with BOM, UTF-16 with BOM, GBK/GB18030), line by line."""
    return Document(list(decode_text(data).split("\n")))


def _read_csv(data: bytes) -> Document:
    """A comma-separated table."""
    text = decode_text(data)
    return Document([TableBlock([list(row) for row in csv.reader(io.StringIO(text))])])


_READERS: dict[str, Callable[[bytes], Document]] = {
    "docx": _read_docx,
    "xlsx": _read_xlsx,
    "pdf": _read_pdf,
    "doc": _read_doc,
    "xls": _read_xls,
    "html": _read_html,
    "csv": _read_csv,
    "text": _read_text,
}
