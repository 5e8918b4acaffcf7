"""Benchmark the daily digest composition: seconds, peak memory and statements, by number of assignments.

Run as `.venv/bin/python bench/digest.py [--quick] [--pg URL] [--subscriptions N] [--sizes A,B,…]`.

A synthetic district: 1,000 concrete units (departments, towns, streets) and three group names
(各单位, 区政府各部门, 各街镇); 10,000 subscriptions (9,000 chats, 1,000 of them following two units);
tasks with 2.5 assignments each on average, 1% of the assignments naming a group, due dates spread over
the year around the digest day (5% undated), a fifth of the direct assignments already done.
For each size the database is filled afresh with Core executemany inserts, then a fresh interpreter runs
the real path of `jobs.digest.compose`: `storage.digest.group_routes_for` + `followed_units` (the query,
with its grouping in Python: each unit's items listed once, those due after the 7-day window only counted;
the assignments SELECT is also timed alone, rows fetched only), then `core.digest.compose_digests` (each
unit's items selected and rendered once, each distinct set of followed units composed once), every chat's
messages held to the end as the job holds them. It times the first
composition (cold: statement compilation, route caches, the database's own caches; its CPU seconds too,
which a busy machine disturbs less than the wall clock) and a second one (warm),
and runs a third under tracemalloc for the peak memory of Python allocations; the peak resident set
(ru_maxrss) is read before tracing starts, after the first two.
A SQLAlchemy event listener counts the statements the composition runs, which must not grow with the data
(no per-item queries); the query plan of the assignments SELECT is printed for the largest size.

SQLite always (a file in a temporary directory); PostgreSQL too when --pg URL or $DUBAN_TEST_DATABASE_URL
is given (a scratch database is created on that server and dropped afterwards).
The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _engines import pg_engine, sqlite_engine  # noqa: E402
from sqlalchemy import Engine, event, text  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402

from core.digest import compose_digests  # noqa: E402
from core.units import UnitDirectory  # noqa: E402
from storage.db import make_engine, session_scope  # noqa: E402
from storage.digest import followed_units, group_routes_for  # noqa: E402
from storage.models import (  # noqa: E402
    AssignmentRow,
    CompletionRow,
    PlanRow,
    SubscriptionRow,
    TaskRow,
    UnitRow,
)

TODAY = date(2026, 3, 25)
NOW = datetime(2026, 3, 25, 1, 0, tzinfo=UTC)
GROUPS = ("各单位", "区政府各部门", "各街镇")
KINDS = ("department", "town", "street")
ROLES = ("lead", "support", "owner")
UNITS = 1_000
GROUP_SHARE = 0.01
DONE_SHARE = 0.2
UNDATED_SHARE = 0.05
BATCH = 5_000
# Issue 14: at 100,000 assignments, within 3 s and no more memory than before (324 MiB RSS then).
GOAL_SECONDS = 3.0
GOAL_RSS_MIB = 324


def chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """rows in executemany batches."""
    for i in range(0, len(rows), BATCH):
        yield rows[i : i + BATCH]


def fill(engine: Engine, *, assignments: int, subscriptions: int, seed: int = 6) -> dict[str, int]:
    """Fill an empty database with a synthetic district; returns the row counts."""
    rnd = random.Random(seed)
    units = [
        {"id": i, "name": f"单位{i:04d}", "kind": KINDS[i % 3], "is_group": False}
        for i in range(1, UNITS + 1)
    ]
    units += [
        {"id": UNITS + 1 + g, "name": name, "kind": "other", "is_group": True}
        for g, name in enumerate(GROUPS)
    ]
    n_tasks = max(1, round(assignments / 2.5))
    plans = [
        {
            "id": p,
            "title": f"2026年政务公开工作要点（{p}）",
            "layout": "table",
            "source_name": f"p{p}.txt",
            "content_hash": f"h{p}",
            "imported_at": NOW,
        }
        for p in range(1, max(1, n_tasks // 400) + 1)
    ]
    tasks: list[dict[str, Any]] = []
    assigned: list[dict[str, Any]] = []
    done: list[dict[str, Any]] = []
    start = date(2026, 1, 1)
    pairs: set[tuple[int, int]] = set()
    for t in range(1, n_tasks + 1):
        due = None if rnd.random() < UNDATED_SHARE else start + timedelta(days=rnd.randrange(365))
        tasks.append(
            {
                "id": t,
                "plan_id": plans[(t - 1) % len(plans)]["id"],
                "position": t,
                "seq": str(t),
                "category": "公开平台建设",
                "content": f"做好第{t}项政务公开工作，按要求及时更新专栏内容并报送情况",
                "deadline_text": "3月底前" if due else "全年",
                "due": due,
                "kind": "fixed" if due else "ongoing",
                "flags": [],
                "rules": [],
            }
        )
    # Assignments: every task gets one, the rest are spread at random over the tasks (2.5 per task).
    task_ids = [t for t in range(1, n_tasks + 1)] + [
        rnd.randrange(1, n_tasks + 1) for _ in range(assignments)
    ]
    for t in task_ids:
        if len(assigned) >= assignments:
            break
        if rnd.random() < GROUP_SHARE:
            unit_id = UNITS + 1 + rnd.randrange(len(GROUPS))
        else:
            unit_id = rnd.randrange(1, UNITS + 1)
        if (t, unit_id) in pairs:
            continue
        pairs.add((t, unit_id))
        assigned.append(
            {"task_id": t, "unit_id": unit_id, "position": len(assigned), "role": ROLES[len(assigned) % 3]}
        )
        if unit_id <= UNITS and rnd.random() < DONE_SHARE:
            done.append({"task_id": t, "unit_id": unit_id, "done_at": NOW, "done_by": 1})
    subs = []
    two_units = subscriptions // 10
    chats = subscriptions - two_units
    for c in range(1, chats + 1):
        unit_ids = [(c - 1) % UNITS + 1]
        if c <= two_units:
            unit_ids.append((c * 7) % UNITS + 1)
            if unit_ids[1] == unit_ids[0]:
                unit_ids[1] = unit_ids[0] % UNITS + 1
        for u in unit_ids:
            subs.append({"chat_id": -1000_0000 - c, "unit_id": u, "status": "active", "created_at": NOW})
    with engine.begin() as conn:
        for model, rows in (
            (UnitRow, units),
            (PlanRow, plans),
            (TaskRow, tasks),
            (AssignmentRow, assigned),
            (CompletionRow, done),
            (SubscriptionRow, subs),
        ):
            table = SQLModel.metadata.tables[str(model.__tablename__)]
            for batch in chunks(rows):
                conn.execute(table.insert(), batch)
        if engine.dialect.name == "postgresql":
            # A fresh id sequence and fresh planner statistics, as autovacuum would leave them.
            for model in (UnitRow, PlanRow, TaskRow):
                name = model.__tablename__
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"
                    )
                )
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    return {
        "units": len(units),
        "tasks": len(tasks),
        "assignments": len(assigned),
        "completions": len(done),
        "subscriptions": len(subs),
        "chats": chats,
    }


def compose(engine: Engine, directory: UnitDirectory) -> tuple[int, int, float]:
    """The digest job's composition (jobs.digest.compose without its AppContext): (chats with a digest,
    messages, seconds spent in the query). Every chat's messages are held until the end, as the job holds
    them while it sends."""
    started = time.perf_counter()
    with session_scope(engine) as s:
        followed = followed_units(
            s, group_routes=group_routes_for(s, directory), listed_until=TODAY + timedelta(days=7)
        )
    queried = time.perf_counter() - started
    composed = compose_digests(
        followed.chat_units, followed.items, later=followed.later, today=TODAY, window_days=7, limit=4000
    )
    return len(composed), sum(len(m) for m in composed.values()), queried


@contextmanager
def counting(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """Record every statement (and its parameters) the engine sends while the block runs."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def explain(engine: Engine, statement: str, parameters: Any) -> list[str]:
    """The database's plan for one recorded statement."""
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + statement, parameters).all()
    if engine.dialect.name == "sqlite":
        return [f"{'  ' * (0 if r[1] == 0 else 1)}{r[-1]}" for r in rows]
    # The subscribed unit ids come inline as a literal array; a few of them say enough.
    return [re.sub(r"'\{([^}]{60})[^}]*\}'", r"'{\1…}'", r[0]) for r in rows]


def measure(url: str) -> dict[str, Any]:
    """In this (child) process: time a cold and a warm composition, count statements, trace the peak memory."""
    engine = make_engine(url)
    directory = UnitDirectory.default()
    with engine.connect():
        pass
    gc.collect()
    with counting(engine) as seen:
        started, cpu_started = time.perf_counter(), time.process_time()
        chats, messages, queried = compose(engine, directory)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    gc.collect()
    warm_started = time.perf_counter()
    compose(engine, directory)
    warm = time.perf_counter() - warm_started
    # The process's peak resident set so far (two compositions, no tracing): what the digest job costs.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    gc.collect()
    tracemalloc.start()
    compose(engine, directory)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    selects = [(st, p) for st, p in seen if st.lstrip().upper().startswith("SELECT")]
    biggest = max(selects, key=lambda sp: sp[0].count("JOIN"))
    plan = explain(engine, *biggest)
    # The assignments SELECT alone, rows fetched but not turned into items: the database's share.
    with engine.connect() as conn:
        sql_started = time.perf_counter()
        fetched = len(conn.exec_driver_sql(*biggest).all())
        sql_seconds = time.perf_counter() - sql_started
    engine.dispose()
    return {
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
        "warm_seconds": round(warm, 3),
        "query_seconds": round(queried, 3),
        "sql_seconds": round(sql_seconds, 3),
        "rows": fetched,
        "peak_mb": round(peak / 2**20, 1),
        "peak_rss_mb": round(rss / 2**20, 1),
        "statements": len(seen),
        "selects": len(selects),
        "chats_with_digest": chats,
        "messages": messages,
        "plan": plan,
    }


def measure_in_child(engine: Engine) -> dict[str, Any]:
    """measure() in a fresh interpreter, so its peak memory is its own."""
    url = engine.url.render_as_string(hide_password=False)
    done = subprocess.run(
        [sys.executable, __file__, "--child", url], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_backend(
    label: str, make: Callable[[], Any], sizes: list[int], subscriptions: int
) -> list[dict[str, Any]]:
    """Every size on one backend, a fresh database each."""
    rows = []
    print(f"\n== {label}: {subscriptions:,} subscriptions ==")
    print(
        f"{'assignments':>12} {'fill s':>7} {'SQL s':>6} {'rows':>7} {'query s':>8} {'cold s':>8} {'CPU s':>7} {'warm s':>7} {'peak MB':>8} "
        f"{'RSS MiB':>8} {'SELECTs':>8} {'messages':>9}"
    )
    for n in sizes:
        with make() as engine:
            started = time.perf_counter()
            counts = fill(engine, assignments=n, subscriptions=subscriptions)
            filled = time.perf_counter() - started
            m = measure_in_child(engine)
        plan = m.pop("plan")
        row = {"backend": label, **counts, "fill_seconds": round(filled, 2), **m}
        rows.append(row)
        print(
            f"{counts['assignments']:>12,} {filled:>7.1f} {m['sql_seconds']:>6.2f} {m['rows']:>7,} "
            f"{m['query_seconds']:>8.3f} {m['seconds']:>8.3f} {m['cpu_seconds']:>7.3f} "
            f"{m['warm_seconds']:>7.3f} {m['peak_mb']:>8.1f} "
            f"{m['peak_rss_mb']:>8.1f} {m['selects']:>8} {m['messages']:>9,}"
        )
    print(f"Query plan of the assignments SELECT ({label}, {rows[-1]['assignments']:,} assignments):")
    for line in plan:
        print("   ", line)
    return rows


def growth(rows: list[dict[str, Any]], key: str) -> float | None:
    """How much key grows from the smallest to the largest size."""
    first, last = rows[0][key], rows[-1][key]
    return round(last / first, 1) if first else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes 1,000 and 5,000 only (under a minute)")
    parser.add_argument("--pg", help="PostgreSQL server URL (default $DUBAN_TEST_DATABASE_URL)")
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--sizes", help="comma-separated assignment counts (default 1000,10000,100000)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child), ensure_ascii=False))
        return
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else [1_000, 10_000, 100_000]
    if args.quick and not args.sizes:
        sizes = [1_000, 5_000]
    pg = args.pg or os.environ.get("DUBAN_TEST_DATABASE_URL") or None
    results: dict[str, Any] = {"benchmark": "digest", "subscriptions": args.subscriptions, "sizes": sizes}
    backends: list[tuple[str, Callable[[], Any]]] = [("sqlite", sqlite_engine)]
    if pg:
        backends.append(("postgresql", lambda: pg_engine(pg)))
    else:
        print("PostgreSQL skipped: give --pg URL or set DUBAN_TEST_DATABASE_URL")
    for label, make in backends:
        rows = run_backend(label, make, sizes, args.subscriptions)
        if len({r["statements"] for r in rows}) != 1:
            print(
                f"!! {label}: the number of statements changes with the data: {[r['statements'] for r in rows]}"
            )
        results[label] = {
            "runs": [
                {
                    k: r[k]
                    for k in (
                        "assignments",
                        "seconds",
                        "cpu_seconds",
                        "warm_seconds",
                        "query_seconds",
                        "sql_seconds",
                        "rows",
                        "peak_mb",
                        "peak_rss_mb",
                        "statements",
                        "messages",
                    )
                }
                for r in rows
            ],
            "seconds_growth": growth(rows, "seconds"),
            "peak_mb_growth": growth(rows, "peak_mb"),
            "statements_constant": len({r["statements"] for r in rows}) == 1,
        }
        print(
            f"{label}: {rows[0]['assignments']:,} → {rows[-1]['assignments']:,} assignments: "
            f"time ×{results[label]['seconds_growth']}, peak memory ×{results[label]['peak_mb_growth']}"
        )
        last = rows[-1]
        print(
            f"{label}: {last['assignments']:,} assignments composed in {last['seconds']:.2f} s "
            f"({last['cpu_seconds']:.2f} s CPU; goal ≤ {GOAL_SECONDS:g} s at 100,000), "
            f"{last['statements']} statements, peak RSS {last['peak_rss_mb']:.0f} MiB (goal ≤ {GOAL_RSS_MIB} MiB)"
        )
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
