"""Benchmark PDF reading: milliseconds per page through core.readers, warm, for PDFs made from the seeds.

Run as `.venv/bin/python bench/pdf.py [--repeat N]` (needs the dev extra: reportlab draws the PDFs, and
../shared/seeds beside the repository). Each seed becomes the PDF a word processor would print (prose plans
as paragraphs, table plans as paragraphs and a ruled table running over pages, page numbers); its tasks are
checked against the text version's, then it is read --repeat times and the median time per page printed.
Pages with a table are laid out by pdfplumber (its table finding); plain pages are read through pdfium.
The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from filemakers import make_pdf, prose_parts, table_parts  # noqa: E402

from core.documents import parse_plan  # noqa: E402
from core.readers import read_document  # noqa: E402

SEEDS = ROOT.parent / "shared" / "seeds"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    import pypdfium2

    figures: dict[str, dict[str, float]] = {}
    total_ms = total_pages = 0.0
    for seed in sorted(SEEDS.glob("*.txt")):
        text = seed.read_text(encoding="utf-8")
        parts = table_parts(text) if "\n序号\t" in text else prose_parts(text)
        data = make_pdf(parts)
        pages = len(pypdfium2.PdfDocument(data))
        read = read_document(data, "plan.pdf")  # warm, and the check below
        same = [t.content for t in parse_plan(read).tasks] == [t.content for t in parse_plan(text).tasks]
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            read_document(data, "plan.pdf")
            times.append(time.perf_counter() - started)
        ms = statistics.median(times) * 1000
        figures[seed.name[:3]] = {"pages": pages, "ms": round(ms, 1), "ms_per_page": round(ms / pages, 1)}
        total_ms += ms
        total_pages += pages
        print(
            f"{seed.name[:3]}: {pages:3d} pages  {ms:8.1f} ms  {ms / pages:6.1f} ms/page  same tasks: {same}"
        )
    per_page = total_ms / total_pages if total_pages else 0.0
    print(f"all seeds: {total_pages:.0f} pages, {per_page:.1f} ms a page (median of {args.repeat} runs each)")
    print(json.dumps({"benchmark": "pdf", "ms_per_page": round(per_page, 1), "seeds": figures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
