"""Benchmark the deadline engine against dateparser: accuracy and phrases per second.

Run as `.venv/bin/python bench/resolve.py [--quick] [--n N] [--seed S] [--passes P] [--changing-only]`. Three sets:
- the seeds' phrases: every distinct phrase extract_phrases finds in ../shared/seeds, scored against the
  hand-labelled due dates below (without the seeds, the built-in labelled set is used instead);
- a synthetic mix (100,000 phrases, 5,000 with --quick) generated from templates whose due dates follow the
  conventions table of issue 3, computed here independently of core.deadlines.
A reading is correct when its due date equals the expected one (None = "no date" counts as a date).
- speed with a new issue date each pass (no jionlp or dateparser needed): the 37 phrases of
  CHANGING_SET, P passes (2,000; 300 with --quick; at most 2,600), each pass issued one day later than the
  last in that year's plan, from 2004-01-01 (chinese_calendar's first year), so no result can be reused
  from an earlier pass. Printed for all 37, then for the two holiday phrases and for the other 35, each
  on issue dates of its own; --changing-only runs just this set.
The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import calendar
import json
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.deadlines import extract_phrases, resolve  # noqa: E402

SEEDS = ROOT.parent / "shared" / "seeds"
D = date
P21 = D(2022, 3, 21)  # 浦东 plan issue date
J20 = D(2023, 4, 20)  # 嘉定 plan issue date
# Year and issue date of each seed, by file prefix (000, 003 and 004 print no issue date).
SEED_CONTEXT: dict[str, tuple[int, date | None]] = {
    "000": (2022, None),
    "001": (2022, P21),
    "002": (2023, J20),
    "003": (2022, None),
    "004": (2022, None),
}


@dataclass(frozen=True, slots=True)
class Case:
    """One phrase with its context and the hand-checked due date (None: no date)."""

    text: str
    year: int
    issued: date | None
    due: date | None


def _cases(year: int, issued: date | None, rows: list[tuple[str, date | None]]) -> list[Case]:
    """Cases sharing one context."""
    return [Case(text, year, issued, due) for text, due in rows]


_NONE_PHRASES = (
    "3个工作日以内",
    "3个工作日内",
    "5个工作日内",
    "不超过5个工作日",
    "不得超过5个工作日",
    "1个工作日内",
    "1个工作日",
    "决策出台后10个工作日内",
    "决策出台后的10 个工作日内",
    "决策文件出台后的10个工作日内",
)


def _labels_2022(issued: date | None) -> list[tuple[str, date | None]]:
    """Hand-checked due dates of the 2022 plans' phrases, for a given issue date."""
    y = 2022
    rows: list[tuple[str, date | None]] = [
        ("全年", D(y, 12, 31)),
        ("年内", D(y, 12, 31)),
        ("于年内", D(y, 12, 31)),
        ("于年底前", D(y, 12, 31)),
        ("2022年底前", D(y, 12, 31)),
        ("12月底前", D(y, 12, 31)),
        ("11月底前", D(y, 11, 30)),
        ("10月底前", D(y, 10, 31)),
        ("于十月底前", D(y, 10, 31)),
        ("9月底前", D(y, 9, 30)),
        ("8月底前", D(y, 8, 31)),
        ("8月", D(y, 8, 31)),
        ("8月份", D(y, 8, 31)),
        ("7月底前", D(y, 7, 31)),
        ("6月底前", D(y, 6, 30)),
        ("3月底前", D(y, 3, 31)),
        ("于3月31日前", D(y, 3, 31)),
        ("1月底前", D(y, 1, 31)),
        ("三季度前", D(y, 9, 30)),
        ("于次年一季度", D(y + 1, 3, 31)),
        ("按季度", D(y, 3, 31)),
        ("每季度", D(y, 3, 31)),
        ("每月", D(y, 3, 31) if issued else D(y, 1, 31)),
        ("2周至少更新1次", (issued or D(y, 1, 1)) + timedelta(days=14)),
        ("每年", D(y, 12, 31)),
        ("本文印发后30日", issued + timedelta(days=30) if issued else None),
        ("本工作要点印发后30日内", issued + timedelta(days=30) if issued else None),
        ("2022年3月18日", D(y, 3, 18)),
        ("2022年3月21日", D(y, 3, 21)),
    ]
    return rows + [(text, None) for text in _NONE_PHRASES]


def labelled_set() -> list[Case]:
    """The built-in labelled phrases: the seeds' deadline phrases in each seed's context."""
    cases = _cases(2022, None, _labels_2022(None)) + _cases(2022, P21, _labels_2022(P21))
    cases += _cases(
        2023,
        J20,
        [
            ("2023年4月20日", D(2023, 4, 20)),
            ("年内", D(2023, 12, 31)),
            ("于3月31日前", D(2023, 3, 31)),
            ("决策出台后的10 个工作日内", None),
            ("每年8月", D(2023, 8, 31)),
            ("每年", D(2023, 12, 31)),
        ],
    )
    return cases


def seed_cases(seeds: Path) -> tuple[list[Case], list[str]]:
    """Distinct phrases found in the seeds, labelled; also the phrases no label covers."""
    labels = {(c.text, c.year, c.issued): c for c in labelled_set()}
    cases: list[Case] = []
    unlabelled: list[str] = []
    for prefix, (year, issued) in SEED_CONTEXT.items():
        paths = sorted(seeds.glob(f"{prefix}_*.txt"))
        if not paths:
            continue
        for phrase in dict.fromkeys(extract_phrases(paths[0].read_text(encoding="utf-8"))):
            case = labels.get((phrase, year, issued))
            if case is None:
                unlabelled.append(f"{prefix}:{phrase}")
            else:
                cases.append(case)
    return cases, unlabelled


# --- synthetic mix -------------------------------------------------------------------------------------------

_CN_MONTHS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"]
_CN_QUARTERS = ["一", "二", "三", "四"]
# First day of the announced break, from the State Council notices (independent of chinese_calendar).
_BREAK_START = {
    ("国庆节", 2022): D(2022, 10, 1),
    ("国庆节", 2023): D(2023, 9, 29),
    ("国庆节", 2024): D(2024, 10, 1),
    ("国庆节", 2025): D(2025, 10, 1),
    ("春节", 2022): D(2022, 1, 31),
    ("春节", 2023): D(2023, 1, 21),
    ("春节", 2024): D(2024, 2, 10),
    ("春节", 2025): D(2025, 1, 28),
}


def _month_end(y: int, m: int) -> date:
    """Last day of a month."""
    return D(y, m, calendar.monthrange(y, m)[1])


def _quarter_after(anchor: date) -> date:
    """First quarter end on or after anchor."""
    return min(
        e for y in (anchor.year, anchor.year + 1) for q in (3, 6, 9, 12) if (e := _month_end(y, q)) >= anchor
    )


Template = Callable[[random.Random, int, date | None], tuple[str, date | None]]


def _t_month_end(r: random.Random, y: int, i: date | None) -> tuple[str, date | None]:
    m = r.randint(1, 12)
    form = r.choice(["{m}月底前", "于{m}月底前", "{m}月底", "{c}月底前", "{m}月"])
    return form.format(m=m, c=_CN_MONTHS[m - 1]), _month_end(y, m)


def _t_day(r: random.Random, y: int, i: date | None) -> tuple[str, date | None]:
    m = r.randint(1, 12)
    d = r.randint(1, calendar.monthrange(y, m)[1])
    form = r.choice(["{m}月{d}日前", "于{m}月{d}日前", "{y}年{m}月{d}日前", "{m}月{d}日"])
    return form.format(y=y, m=m, d=d), D(y, m, d)


def _t_year_end(r: random.Random, y: int, i: date | None) -> tuple[str, date | None]:
    return r.choice(["年底前", "于年底前", f"{y}年底前", "12月底前"]), D(y, 12, 31)


def _t_ongoing(r: random.Random, y: int, i: date | None) -> tuple[str, date | None]:
    return r.choice(["全年", "年内", "持续", "长期", "常态化"]), D(y, 12, 31)


def _t_half(r: random.Random, y: int, i: date | None) -> tuple[str, date | None]:
    return r.choice(["上半年", "年中"]), D(y, 6, 30)


def _t_quarter(r: random.Random, y: int, i: date | None) -> tuple[str, date | None]:
    q = r.randint(1, 4)
    form = r.choice(["{c}季度末", "第{c}季度末前", "{c}季度", "{c}季度前"])
    return form.format(c=_CN_QUARTERS[q - 1]), _month_end(y, q * 3)


def _t_next_year(r: random.Random, y: int, i: date | None) -> tuple[str, date | None]:
    if r.random() < 0.5:
        q = r.randint(1, 4)
        return f"次年{_CN_QUARTERS[q - 1]}季度", _month_end(y + 1, q * 3)
    m = r.randint(1, 12)
    return f"次年{m}月底前", _month_end(y + 1, m)


def _t_issue(r: random.Random, y: int, i: date | None) -> tuple[str, date | None]:
    n = r.choice([10, 15, 20, 30, 60])
    form = r.choice(["本文印发后{n}日", "印发后{n}日内", "本通知印发后{n}天内"])
    return form.format(n=n), (i + timedelta(days=n)) if i else None


def _t_holiday(r: random.Random, y: int, i: date | None) -> tuple[str, date | None]:
    name = r.choice(["国庆节", "春节"])
    y = min(y, 2025)  # the table above; the generator keeps the year in range
    start = _BREAK_START[(name, y)]
    return f"{name}前", start - timedelta(days=1)


def _t_quarterly(r: random.Random, y: int, i: date | None) -> tuple[str, date | None]:
    return r.choice(["每季度", "按季度"]), _quarter_after(i or D(y, 1, 1))


def _t_yearly(r: random.Random, y: int, i: date | None) -> tuple[str, date | None]:
    m = r.randint(1, 12)
    anchor = i or D(y, 1, 1)
    due = _month_end(anchor.year, m)
    return f"每年{m}月", due if due >= anchor else _month_end(anchor.year + 1, m)


def _t_workdays(r: random.Random, y: int, i: date | None) -> tuple[str, date | None]:
    n = r.choice([1, 3, 5, 7, 10, 15])
    form = r.choice(
        ["{n}个工作日内", "决策出台后{n}个工作日内", "不超过{n}个工作日", "留言后{n}个工作日内答复"]
    )
    return form.format(n=n), None


TEMPLATES: list[Template] = [
    _t_month_end,
    _t_day,
    _t_year_end,
    _t_ongoing,
    _t_half,
    _t_quarter,
    _t_next_year,
    _t_issue,
    _t_holiday,
    _t_quarterly,
    _t_yearly,
    _t_workdays,
]


def synthetic(n: int, seed: int) -> list[Case]:
    """n phrases drawn evenly from the templates, with random plan years and issue dates."""
    r = random.Random(seed)
    cases: list[Case] = []
    for _ in range(n):
        year = r.randint(2022, 2025)
        issued = None if r.random() < 0.4 else D(year, 1, 1) + timedelta(days=r.randint(0, 150))
        template = r.choice(TEMPLATES)
        # Holiday and issue-relative phrases are scored in the plan year's context only.
        if template is _t_holiday:
            issued = None
        text, due = template(r, year, issued)
        cases.append(Case(text, year, issued, due))
    return cases


# --- speed with a new issue date each pass -----------------------------------------------------------------

# One phrase of every family in the conventions table of issue 3; the two holiday phrases are the slow ones.
HOLIDAY_PHRASES = ("国庆节前", "春节前")
CHANGING_SET: tuple[str, ...] = (
    "3月底前",
    "于3月底前",
    "十月底前",
    "8月",
    "1月底前",
    "6月30日前",
    "于9月15日前",
    "年底前",
    "于年底前",
    "12月底前",
    "全年",
    "年内",
    "持续",
    "长期",
    "常态化",
    "上半年",
    "下半年",
    "年中",
    "一季度末",
    "第三季度末前",
    "二季度",
    "三季度前",
    "次年一季度",
    "次年1月31日前",
    "本文印发后30日",
    "印发后30日内",
    "按季度",
    "每季度",
    "每月",
    "2周至少更新1次",
    "每年8月",
    "每年",
    "决策出台后10个工作日内",
    "3个工作日内",
    "印发后10个工作日内",
    *HOLIDAY_PHRASES,
)
FIRST_ISSUE_DATE = D(2004, 1, 1)  # chinese_calendar's first year


MAX_PASSES = 2_600  # three runs of issue dates, one after the other, stay within chinese_calendar's years


def changing_issue_dates(phrases: tuple[str, ...], passes: int, first_day: int) -> float:
    """Phrases per second over `passes` passes, issued on days first_day, first_day + 1, … of the calendar."""
    start = time.perf_counter()
    for k in range(first_day, first_day + passes):
        issued = FIRST_ISSUE_DATE + timedelta(days=k)
        for phrase in phrases:
            resolve(phrase, year=issued.year, issued=issued)
    elapsed = time.perf_counter() - start
    return len(phrases) * passes / elapsed if elapsed else 0.0


def changing_figures(passes: int) -> dict[str, object]:
    """The changing-issue-date figures: all 37 phrases, the holiday phrases, the other 35."""
    others = tuple(p for p in CHANGING_SET if p not in HOLIDAY_PHRASES)
    figures: dict[str, object] = {
        "changing_passes": passes,
        "changing_phrases": len(CHANGING_SET),
        "changing_per_second": round(changing_issue_dates(CHANGING_SET, passes, 0)),
        "changing_holiday_per_second": round(changing_issue_dates(HOLIDAY_PHRASES, passes, passes)),
        "changing_others_per_second": round(changing_issue_dates(others, passes, 2 * passes)),
    }
    print(
        f"new issue date each pass ({len(CHANGING_SET)} phrases × {passes} passes): "
        f"{figures['changing_per_second']:,}/s; holiday phrases {figures['changing_holiday_per_second']:,}/s; "
        f"the other {len(others)} {figures['changing_others_per_second']:,}/s"
    )
    return figures


# --- scoring -------------------------------------------------------------------------------------------------


def duban_due(case: Case) -> date | None:
    """Our reading."""
    return resolve(case.text, year=case.year, issued=case.issued).due


def dateparser_due(case: Case) -> date | None:
    """dateparser's reading, set up as well as it allows (Chinese, future dates, issue date as base)."""
    import dateparser

    base = case.issued or D(case.year, 1, 1)
    settings = {"PREFER_DATES_FROM": "future", "RELATIVE_BASE": datetime(base.year, base.month, base.day)}
    parsed = dateparser.parse(case.text, languages=["zh"], settings=settings)
    return parsed.date() if parsed else None


@dataclass(frozen=True, slots=True)
class Score:
    """How one reader did on one set."""

    accuracy: float  # all phrases; "no date" expected and returned counts as right
    dated_accuracy: float  # only the phrases that have a due date
    per_second: float
    wrong: list[Case]


def score(cases: list[Case], reader: Callable[[Case], date | None]) -> Score:
    """Accuracy, accuracy on dated phrases, phrases per second, and the cases read wrongly."""
    start = time.perf_counter()
    readings = [reader(c) for c in cases]
    elapsed = time.perf_counter() - start
    wrong = [c for c, got in zip(cases, readings, strict=True) if got != c.due]
    dated = [c for c in cases if c.due is not None]
    dated_wrong = [c for c in wrong if c.due is not None]
    return Score(
        accuracy=1 - len(wrong) / len(cases) if cases else 0.0,
        dated_accuracy=1 - len(dated_wrong) / len(dated) if dated else 0.0,
        per_second=len(cases) / elapsed if elapsed else 0.0,
        wrong=wrong,
    )


def main(argv: list[str] | None = None) -> int:
    """Run both sets through both readers and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 synthetic phrases instead of 100,000")
    parser.add_argument("--n", type=int, default=None, help="number of synthetic phrases")
    parser.add_argument("--seed", type=int, default=20220321, help="random seed of the synthetic mix")
    parser.add_argument("--seeds", type=Path, default=SEEDS, help="directory of the seed documents")
    parser.add_argument("--passes", type=int, default=None, help="passes of the changing-issue-date set")
    parser.add_argument("--changing-only", action="store_true", help="only the changing-issue-date set")
    args = parser.parse_args(argv)
    n = args.n or (5_000 if args.quick else 100_000)
    passes = args.passes or (300 if args.quick else 2_000)
    if not 0 < passes <= MAX_PASSES:
        parser.error(f"--passes 应在 1 到 {MAX_PASSES} 之间")
    if args.changing_only:
        print(json.dumps(changing_figures(passes), ensure_ascii=False))
        return 0

    import dateparser

    dateparser.parse("2022年1月1日", languages=["zh"])  # load its language data before timing

    if args.seeds.is_dir() and any(args.seeds.glob("*.txt")):
        seed_set, unlabelled = seed_cases(args.seeds)
        seed_label = f"seeds ({args.seeds})"
    else:
        print(f"种子文档目录不存在或为空：{args.seeds}；改用内置的标注短语集。")
        seed_set, unlabelled = labelled_set(), []
        seed_label = "built-in labelled set"
    if unlabelled:
        print(f"没有标注、未计入的种子短语：{', '.join(unlabelled)}")
    mix = synthetic(n, args.seed)

    figures: dict[str, object] = {"synthetic_n": n, "seed_phrases": len(seed_set), "seed_source": seed_label}
    print("accuracy = due date equal to the hand label (None counts); dated = only phrases that have a date")
    header = ("set", "phrases", "duban", "dateparser", "duban dated", "dp dated", "duban /s", "dp /s")
    print("{:<10}{:>9}{:>8}{:>12}{:>13}{:>10}{:>11}{:>9}".format(*header))
    for name, cases in (("seeds", seed_set), ("synthetic", mix)):
        ours = score(cases, duban_due)
        theirs = score(cases, dateparser_due)
        print(
            f"{name:<10}{len(cases):>9}{ours.accuracy:>8.1%}{theirs.accuracy:>12.1%}"
            f"{ours.dated_accuracy:>13.1%}{theirs.dated_accuracy:>10.1%}"
            f"{ours.per_second:>11,.0f}{theirs.per_second:>9,.0f}"
        )
        for case in ours.wrong[:5]:
            print(
                f"  duban wrong: {case.text!r} (year {case.year}, issued {case.issued}) expected {case.due}"
            )
        figures |= {
            f"{name}_duban_accuracy": round(ours.accuracy, 4),
            f"{name}_dateparser_accuracy": round(theirs.accuracy, 4),
            f"{name}_duban_dated_accuracy": round(ours.dated_accuracy, 4),
            f"{name}_dateparser_dated_accuracy": round(theirs.dated_accuracy, 4),
            f"{name}_duban_per_second": round(ours.per_second),
            f"{name}_dateparser_per_second": round(theirs.per_second),
        }
    figures |= changing_figures(passes)
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
