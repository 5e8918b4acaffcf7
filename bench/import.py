"""Benchmark plan import: seconds per plan through duban.importing.import_document, and how it grows.

Run as `.venv/bin/python bench/import.py [--quick] [--plans N] [--tasks T] [--pg URL]`.

Plans are generated variants of the sample plan shipped with Duban (duban/sample_plan.txt): variant i gets
its own county name in the title and issuer and its tasks repeated to T rows (30 by default) with a
distinguishing suffix, so every plan is new (its own content hash) while the units recur, as they do across
a district's plans. 1,000 plans (100 with --quick) are imported one after another into an empty database,
each in its own transaction, exactly as `duban import` does; the seconds per plan are reported per block of
plans, so growth with the size of the database shows. The time to read and parse alone (no database) is
measured on the same variants to show how the time splits. Re-importing the first plan (same content hash,
nothing stored) is timed too.

SQLite always (a file in a temporary directory); PostgreSQL too when --pg URL or $DUBAN_TEST_DATABASE_URL
is given (a scratch database is created on that server and dropped afterwards).
The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _engines import pg_engine, sqlite_engine  # noqa: E402
from sqlalchemy import Engine, func, select  # noqa: E402

from core.units import UnitDirectory  # noqa: E402
from duban.importing import import_document, read_plan  # noqa: E402
from storage.db import session_scope  # noqa: E402
from storage.models import AssignmentRow, PlanRow, TaskRow, UnitRow  # noqa: E402

SAMPLE = ROOT / "duban" / "sample_plan.txt"
NOW = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
DIGITS = "〇一二三四五六七八九"


def county(i: int) -> str:
    """A made-up county name for variant i (Chinese numerals, so unit names stay plausible)."""
    return "第" + "".join(DIGITS[int(d)] for d in str(i)) + "示例县"


def variant(sample: str, i: int, tasks: int) -> bytes:
    """Variant i of the sample plan with tasks rows."""
    lines = sample.strip().splitlines()
    header_at = next(n for n, line in enumerate(lines) if line.startswith("序号"))
    head = [line.replace("示例县", county(i)) for line in lines[: header_at + 1]]
    rows = [line.split("\t") for line in lines[header_at + 1 :]]
    out = []
    for n in range(tasks):
        cells = list(rows[n % len(rows)])
        cells[0] = str(n + 1)
        cells[2] = f"{cells[2]}（第{i}号计划第{n + 1}项）"
        out.append("\t".join(cells))
    return ("\n".join([*head, *out]) + "\n").encode("utf-8")


def counts(engine: Engine) -> dict[str, int]:
    """Rows stored per table."""
    with session_scope(engine) as s:
        return {
            m.__tablename__: s.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (PlanRow, TaskRow, UnitRow, AssignmentRow)
        }


def run_backend(label: str, make: Callable[[], Any], docs: list[bytes], block: int) -> dict[str, Any]:
    """Import every document into a fresh database; seconds per plan by block of plans."""
    directory = UnitDirectory.default()
    per_plan: list[float] = []
    print(f"\n== {label}: {len(docs):,} plans ==")
    print(f"{'plans':>11} {'ms/plan':>8} {'median':>8} {'max':>8}")
    blocks = []
    with make() as engine:
        started = time.perf_counter()
        for i, data in enumerate(docs, start=1):
            t = time.perf_counter()
            outcome = import_document(engine, data, source_name=f"plan{i}.txt", directory=directory, now=NOW)
            per_plan.append(time.perf_counter() - t)
            assert outcome.result.kind == "created", f"plan {i} was not new"
            if i % block == 0 or i == len(docs):
                part = per_plan[-(i - (i - 1) // block * block) :]
                row = {
                    "plans": i,
                    "ms_per_plan": round(1000 * statistics.fmean(part), 2),
                    "median_ms": round(1000 * statistics.median(part), 2),
                    "max_ms": round(1000 * max(part), 2),
                }
                blocks.append(row)
                print(
                    f"{(i - len(part) + 1):>5}–{i:<5} {row['ms_per_plan']:>8.2f} {row['median_ms']:>8.2f} "
                    f"{row['max_ms']:>8.2f}"
                )
        total = time.perf_counter() - started
        t = time.perf_counter()
        again = import_document(engine, docs[0], source_name="plan1.txt", directory=directory, now=NOW)
        reimport = time.perf_counter() - t
        assert again.result.kind == "unchanged"
        stored = counts(engine)
    first, last = blocks[0]["ms_per_plan"], blocks[-1]["ms_per_plan"]
    print(
        f"{label}: {total:.1f} s for {len(docs):,} plans ({1000 * total / len(docs):.2f} ms per plan); "
        f"last block / first block ×{last / first:.2f}; re-import of a known plan {1000 * reimport:.1f} ms; "
        f"stored {stored}"
    )
    return {
        "seconds": round(total, 2),
        "ms_per_plan": round(1000 * total / len(docs), 2),
        "growth_last_over_first_block": round(last / first, 2),
        "reimport_ms": round(1000 * reimport, 2),
        "blocks": blocks,
        "stored": stored,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 plans (under a minute)")
    parser.add_argument("--plans", type=int, help="how many plans (default 1,000; 100 with --quick)")
    parser.add_argument("--tasks", type=int, default=30, help="tasks per plan (default 30)")
    parser.add_argument("--pg", help="PostgreSQL server URL (default $DUBAN_TEST_DATABASE_URL)")
    args = parser.parse_args()
    n = args.plans or (100 if args.quick else 1_000)
    block = max(1, n // 10)
    sample = SAMPLE.read_text(encoding="utf-8")
    docs = [variant(sample, i, args.tasks) for i in range(1, n + 1)]
    # Reading and parsing alone (bytes → plan → resolved deadlines), no database.
    sample_docs = docs[: min(n, 100)]
    t = time.perf_counter()
    for data in sample_docs:
        read_plan(data, filename="plan.txt")
    parse_ms = 1000 * (time.perf_counter() - t) / len(sample_docs)
    print(f"{n:,} plans of {args.tasks} tasks; read + parse + resolve alone: {parse_ms:.2f} ms per plan")
    results: dict[str, Any] = {
        "benchmark": "import",
        "plans": n,
        "tasks_per_plan": args.tasks,
        "parse_ms_per_plan": round(parse_ms, 2),
    }
    pg = args.pg or os.environ.get("DUBAN_TEST_DATABASE_URL") or None
    backends: list[tuple[str, Callable[[], Any]]] = [("sqlite", sqlite_engine)]
    if pg:
        backends.append(("postgresql", lambda: pg_engine(pg)))
    else:
        print("PostgreSQL skipped: give --pg URL or set DUBAN_TEST_DATABASE_URL")
    for label, make in backends:
        results[label] = run_backend(label, make, docs, block)
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
