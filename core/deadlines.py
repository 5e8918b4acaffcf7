"""Deadline phrases of Chinese work plans: find them in prose and resolve them to dates or rules."""

from __future__ import annotations

import calendar as _calendar
import re
import unicodedata
from dataclasses import replace
from datetime import date, datetime, timedelta
from itertools import pairwise

from core.models import Deadline, Flag
from core.workdays import UnknownYearError, WorkCalendar, add_workdays, holiday_start

# Numerals as printed in plans: Arabic or Chinese, never both in one number.
_CN = "〇零一二两三四五六七八九十"
_NUM = rf"(?:\d{{1,3}}|[{_CN}]{{1,3}})"
_MONTH = r"(?:1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
_DAY = r"(?:3[01]|[12]\d|0?[1-9]|[二三]?十[一二三四五六七八九]?|[一二三四五六七八九])"
_BEFORE = r"(?:之前|以前|前)"
# A number may not continue a longer one on its left ("12345热线", "二十五日").
_NOT_AFTER_NUM = rf"(?<![\d{_CN}])"
_YEAR_PREFIX = r"(?:20\d{2}年|次年|明年|今年|本年)"

# One alternative per phrase family; order matters only between alternatives that start at the same place.
_ALTERNATIVES: list[tuple[str, str]] = [
    ("holiday", rf"于?(?P<hol>国庆节?|春节|元旦|清明节?|劳动节|五一|端午节?|中秋节?)(?:假期)?{_BEFORE}"),
    (
        "issue",
        rf"(?:本文件?|本通知|本工作要点|本要点|本方案|本计划|文件)?印发(?:之日)?[后起]的?\s*"
        rf"(?P<iss_n>{_NUM})\s*(?P<iss_unit>个工作日|日|天)(?:之内|以内|内)?",
    ),
    (
        "workdays",
        rf"(?:(?P<wd_event>[\u4e00-\u9fff]{{2,6}}?)后的?)?(?:不得超过|不超过)?\s*"
        rf"(?P<wd_n>{_NUM})\s*个\s*工作日(?:之内|以内|内)?",
    ),
    (
        "periodic",
        r"(?P<per_n>\d{1,2}|[一两二三四])(?P<per_unit>周|个月)(?:至少|不少于)?[\u4e00-\u9fff]{0,4}?"
        r"(?:\d+|[一两二三])次",
    ),
    ("weekly", r"每(?P<wk_n>两|二|2)?个?(?:周|星期)"),
    ("halfyearly", r"每半年|半年一次"),
    ("quarterly", r"(?:每个?|按|逐)季度?"),
    ("monthly", rf"(?:每个?|按|逐)月(?!份)(?:(?P<mo_d>{_DAY})[日号]{_BEFORE}?)?"),
    (
        "yearly",
        rf"每年(?:度)?(?:(?P<yr_m>{_MONTH})月份?(?:(?P<yr_d>{_DAY})[日号])?(?P<yr_part>底|末)?{_BEFORE}?)?",
    ),
    # `资金下达2月内`, `验收后3个月内`: months after an event.
    (
        "months_after",
        rf"(?P<ma_event>[\u4e00-\u9fff]{{2,8}}?)(?:后|之后)?的?(?P<ma_n>{_NUM})\s*个?月(?:之内|以内|内)",
    ),
    # `2021年4－5月`, `（1—4月）`: a window of months is due at the end of its last month.
    (
        "window",
        rf"于?(?P<w_y>{_YEAR_PREFIX})?{_NOT_AFTER_NUM}(?P<w_m1>{_MONTH})\s*(?:[-－—–~～]+|至|到)\s*"
        rf"(?P<w_m2>{_MONTH})月份?(?:底|末)?(?:{_BEFORE})?(?![\d{_CN}日号])",
    ),
    # `2021年3月开始`, `3月1日起`, `3月并长期坚持`: when work starts, not when it is due.
    (
        "start",
        rf"(?:自|从)?(?P<st_y>{_YEAR_PREFIX})?{_NOT_AFTER_NUM}(?P<st_m>{_MONTH})月份?(?:(?P<st_d>{_DAY})[日号])?"
        r"(?:开始|起(?!草|施行|实施|执行|生效)|并长期坚持|并长期)",
    ),
    # `开展“12.4”国家宪法日活动`: an observance day written month.day inside quotes.
    ("obsday", r"[“\"「](?P<ob_m>1[0-2]|0?[1-9])[.·・．](?P<ob_d>3[01]|[12]\d|0?[1-9])[”\"」]"),
    # `投诉发生后的24小时内`: hours after an event.
    (
        "hours",
        rf"(?:(?P<hr_event>[\u4e00-\u9fff]{{2,8}}?)后的?)?(?P<hr_n>{_NUM})\s*个?\s*小时(?:之内|以内|内)",
    ),
    (
        "isodate",
        rf"(?<!\d)(?P<iso_y>20\d{{2}})[-./](?P<iso_m>1[0-2]|0?[1-9])[-./](?P<iso_d>3[01]|[12]\d|0?[1-9])(?!\d)"
        rf"(?:{_BEFORE}(?!后))?(?![起后])",
    ),
    (
        "date",
        rf"于?(?P<d_y>{_YEAR_PREFIX})?{_NOT_AFTER_NUM}(?P<d_m>{_MONTH})月(?P<d_d>{_DAY})[日号]"
        rf"(?:{_BEFORE}(?!后))?(?![起后])",
    ),
    (
        "quarter",
        rf"于?(?P<q_y>{_YEAR_PREFIX})?(?P<q_pre>前|第)?(?P<q_n>[一二三四1-4])季度"
        rf"(?P<q_end>末|底)?(?P<q_before>{_BEFORE})?",
    ),
    ("yearend", rf"于?(?:(?P<ye_y>20\d{{2}}|次|明|今|本)|{_NOT_AFTER_NUM})年(?:底|末)(?:{_BEFORE})?"),
    (
        "half",
        rf"于?(?P<h_y>次年|明年)?(?P<h>上半年|下半年|(?<![\d年])年中(?![央国心华期]))(?:末|底)?(?:{_BEFORE})?",
    ),
    (
        "month",
        rf"于?(?P<m_y>{_YEAR_PREFIX})?{_NOT_AFTER_NUM}(?P<m_m>{_MONTH})月份?"
        rf"(?P<m_part>底|末|上旬|中旬|下旬)?(?:{_BEFORE})?(?![\d{_CN}日号])",
    ),
    ("ongoing", r"于?(?:全年|(?:(?P<o_y>20\d{2})|(?<![\d一二两三四五六七八九十]))年内|年度内)"),
]
# Words that mean "all year" in a deadline cell but are everyday verbs in prose ("持续完善").
_ONGOING_WORDS = ("ongoing_word", r"持续|长期|常态化|经常性")
# Recurrences a deadline cell states but prose uses as adverbs ("定期开展", "每日巡查" in a sentence).
_CELL_RECURRENCES = [("daily", r"每日|每天|逐日"), ("regularly", r"定期")]


def _compile(alternatives: list[tuple[str, str]]) -> re.Pattern[str]:
    """One scanner over all alternatives, each in a group named after its family."""
    return re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in alternatives))


_PROSE_SCANNER = _compile(_ALTERNATIVES)
_CELL_SCANNER = _compile([*_ALTERNATIVES, *_CELL_RECURRENCES, _ONGOING_WORDS])


def extract_phrases(text: str) -> list[str]:
    """Deadline and timing phrases found inline in prose, in order, as written; a span (`4月1日-4月30日`)
    stays one phrase so that it is due at its end."""
    phrases: list[str] = []
    last_end = -1
    for m in _PROSE_SCANNER.finditer(text):
        if phrases and text[last_end : m.start()].strip() in _RANGE_WORDS:
            phrases[-1] = (phrases[-1] + text[last_end : m.end()]).strip()
        else:
            phrases.append(m.group(0).strip())
        last_end = m.end()
    return phrases


# ○ and Ｏ stand in for 〇 in typed dates (二○二三年).
_CN_DIGITS = dict(zip("〇○Ｏ零一二两三四五六七八九", (0, 0, 0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))


def cn_to_int(token: str) -> int:
    """Value of an Arabic or Chinese number: up to 999 ("十二", "一百零五"), or read digit by digit ("二〇二三")."""
    token = token.strip()
    if token.isdigit():
        return int(token)
    if len(token) > 1 and all(char in _CN_DIGITS for char in token):
        return int("".join(str(_CN_DIGITS[char]) for char in token))
    total, current = 0, 0
    for char in token:
        if char in _CN_DIGITS:
            current = current * 10 + _CN_DIGITS[char] if current and char in "〇零" else _CN_DIGITS[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
        else:
            raise ValueError(f"不是数字：{token}")
    return total + current


def month_end(year: int, month: int) -> date:
    """Last day of a month."""
    return date(year, month, _calendar.monthrange(year, month)[1])


def _quarter_end(year: int, quarter: int) -> date:
    """Last day of a quarter (1-4)."""
    return month_end(year, quarter * 3)


def _year_of(token: str | None, year: int) -> int:
    """The year a prefix names: "2023年" → 2023, "次年"/"明年" → Y+1, none/"今年"/"本年" → Y."""
    if not token:
        return year
    if token[0].isdigit():
        return int(token[:4])
    if token[0] in "次明":
        return year + 1
    return year


def _first_on_or_after(anchor: date, candidates: list[date]) -> date:
    """The earliest candidate date that is not before anchor."""
    return min(day for day in candidates if day >= anchor)


def _next_period_end(anchor: date, months: int) -> date:
    """First end of a months-long period (1 = month, 3 = quarter, 6 = half year) on or after anchor."""
    ends = [month_end(y, m) for y in (anchor.year, anchor.year + 1) for m in range(months, 13, months)]
    return _first_on_or_after(anchor, ends)


def _next_yearly(anchor: date, month: int, day: int | None) -> date:
    """Next occurrence of a month (its last day) or month/day on or after anchor."""

    def at(y: int) -> date:
        return date(y, month, day) if day else month_end(y, month)

    return _first_on_or_after(anchor, [at(anchor.year), at(anchor.year + 1)])


def _next_monthly(anchor: date, day: int) -> date:
    """The next given day of a month on or after anchor (the month's last day where the month is shorter)."""
    following_year, following_month = divmod(anchor.year * 12 + anchor.month, 12)  # month is 1-based
    ends = [month_end(anchor.year, anchor.month), month_end(following_year, following_month + 1)]
    return _first_on_or_after(anchor, [end.replace(day=min(day, end.day)) for end in ends])


def next_occurrence(recurrence: str, due: date, today: date) -> date:
    """The occurrence of a recurring duty a reminder should show on today: due itself until it passes, then the next one."""
    if due >= today:
        return due
    if recurrence == "monthly" and due != month_end(due.year, due.month):
        return _next_monthly(today, due.day)  # 每月10日前: the 10th of every month, not its last day
    if recurrence in _PERIOD_MONTHS:
        return _next_period_end(today, _PERIOD_MONTHS[recurrence])
    step = {"daily": 1, "weekly": 7, "biweekly": 14}.get(recurrence)
    if step is not None:
        return due + timedelta(days=-(-(today - due).days // step) * step)
    if recurrence == "yearly":
        day = None if due == month_end(due.year, due.month) else due.day
        return _next_yearly(today, due.month, day)
    return due  # an unknown rule stays on its stored date rather than guessing a period


_PER_UNIT = {"周": {1: "weekly", 2: "biweekly"}, "个月": {1: "monthly", 3: "quarterly", 6: "halfyearly"}}
_PERIOD_MONTHS = {"monthly": 1, "quarterly": 3, "halfyearly": 6}


def _recurring(phrase: str, span: tuple[int, int], recurrence: str, anchor: date) -> Deadline:
    """A recurring rule whose next due date is the first period end on or after anchor."""
    if recurrence in _PERIOD_MONTHS:
        due = _next_period_end(anchor, _PERIOD_MONTHS[recurrence])
    elif recurrence == "weekly":
        due = anchor + timedelta(days=7)
    elif recurrence == "biweekly":
        due = anchor + timedelta(days=14)
    else:
        due = _next_yearly(anchor, 12, None)
    return Deadline(text=phrase, kind="recurring", due=due, recurrence=recurrence, span=span)


def _unresolved(phrase: str, span: tuple[int, int] | None, *flags: Flag) -> Deadline:
    """No date: the text is kept and flagged for a person."""
    return Deadline(text=phrase, kind="unresolved", flags=flags or ("unresolved",), span=span)


def _resolve_match(
    m: re.Match[str], *, year: int, issued: date | None, calendar: WorkCalendar | None
) -> Deadline:
    """Meaning of one matched phrase."""
    family = m.lastgroup or ""
    phrase = m.group(0).strip()
    span = m.span()
    anchor = issued or date(year, 1, 1)
    flags: list[Flag] = []

    if family in ("ongoing", "ongoing_word"):
        own_year = int(m["o_y"]) if m["o_y"] else year
        return Deadline(text=phrase, kind="ongoing", due=date(own_year, 12, 31), span=span)
    if family == "start":
        # A start (`3月开始`) says the work goes on from then: ongoing through its year, no deadline.
        own_year = _year_of(m["st_y"], year)
        return Deadline(text=phrase, kind="ongoing", due=date(own_year, 12, 31), span=span)
    if family == "months_after":
        return Deadline(text=phrase, kind="event_relative", event=m["ma_event"] + "后", span=span)
    if family == "daily":
        return Deadline(text=phrase, kind="recurring", due=anchor, recurrence="daily", span=span)
    if family == "regularly":
        # 定期: recurring at an interval the plan leaves open; shown on the year's end until a person sets one.
        return Deadline(
            text=phrase, kind="recurring", due=date(year, 12, 31), recurrence="periodic", span=span
        )
    if family == "hours":
        event = (m["hr_event"] or "").strip() or None
        return Deadline(text=phrase, kind="event_relative", event=event and event + "后", span=span)
    if family == "workdays":
        event = (m["wd_event"] or "").strip() or None
        if event:
            event += "后"
        return Deadline(
            text=phrase, kind="event_relative", event=event, workdays=cn_to_int(m["wd_n"]), span=span
        )
    if family == "issue":
        if issued is None:
            return _unresolved(phrase, span, "needs_issue_date")
        n = cn_to_int(m["iss_n"])
        if m["iss_unit"] == "个工作日":
            due = add_workdays(issued, n, calendar)
            return Deadline(text=phrase, kind="fixed", due=due, event="印发", workdays=n, span=span)
        return Deadline(text=phrase, kind="fixed", due=issued + timedelta(days=n), event="印发", span=span)
    if family == "periodic":
        n = cn_to_int(m["per_n"])
        recurrence = _PER_UNIT[m["per_unit"]].get(n)
        if recurrence is None:
            return _unresolved(phrase, span)
        return _recurring(phrase, span, recurrence, anchor)
    if family == "weekly":
        return _recurring(phrase, span, "biweekly" if m["wk_n"] else "weekly", anchor)
    if family == "quarterly":
        return _recurring(phrase, span, "quarterly", anchor)
    if family == "monthly":
        if m["mo_d"]:
            due = _next_monthly(anchor, cn_to_int(m["mo_d"]))
            return Deadline(text=phrase, kind="recurring", due=due, recurrence="monthly", span=span)
        return _recurring(phrase, span, "monthly", anchor)
    if family == "halfyearly":
        return _recurring(phrase, span, "halfyearly", anchor)
    if family == "yearly":
        if m["yr_m"]:
            day = cn_to_int(m["yr_d"]) if m["yr_d"] else None
            due = _next_yearly(anchor, cn_to_int(m["yr_m"]), day)
        else:
            due = _next_yearly(anchor, 12, None)
        return Deadline(text=phrase, kind="recurring", due=due, recurrence="yearly", span=span)

    if family == "holiday":
        start = holiday_start(m["hol"], anchor, calendar)
        if start is None:
            return _unresolved(phrase, span)
        due = start - timedelta(days=1)
    elif family == "window":
        due = month_end(_year_of(m["w_y"], year), cn_to_int(m["w_m2"]))
    elif family == "obsday":
        due = date(year, int(m["ob_m"]), int(m["ob_d"]))
    elif family == "isodate":
        due = date(int(m["iso_y"]), int(m["iso_m"]), int(m["iso_d"]))
    elif family == "date":
        due = date(_year_of(m["d_y"], year), cn_to_int(m["d_m"]), cn_to_int(m["d_d"]))
    elif family == "quarter":
        due = _quarter_end(_year_of(m["q_y"], year), cn_to_int(m["q_n"]))
        # "三季度前" may mean before the quarter starts; "三季度末前" and "前三季度" are clear.
        if m["q_before"] and not m["q_end"] and m["q_pre"] != "前":
            flags.append("ambiguous")
    elif family == "yearend":
        token = m["ye_y"]
        own_year = int(token) if token and token.isdigit() else _year_of(token and token + "年", year)
        due = date(own_year, 12, 31)
    elif family == "half":
        own_year = _year_of(m["h_y"], year)
        due = date(own_year, 12, 31) if m["h"] == "下半年" else date(own_year, 6, 30)
        if m["h"] == "年中":
            flags.append("ambiguous")
    elif family == "month":
        own_year = _year_of(m["m_y"], year)
        month = cn_to_int(m["m_m"])
        part_day = {"上旬": 10, "中旬": 20}.get(m["m_part"] or "")
        due = date(own_year, month, part_day) if part_day else month_end(own_year, month)
    else:
        return _unresolved(phrase, span)

    if issued is not None and due < issued:
        flags.append("before_issue_date")
    if not year - 1 <= due.year <= year + 2:
        # `2092年3月底前` in a 2022 plan: a typo more likely than a plan for seventy years.
        flags.append("implausible_year")
    return Deadline(text=phrase, kind="fixed", due=due, flags=tuple(flags), span=span)


# Which phrase decides when a text holds several; lower wins, ties go to the earlier due date, then position.
_PRIORITY = {"fixed": 0, "recurring": 1, "unresolved": 2, "event_relative": 3, "ongoing": 4}


def _rank(d: Deadline) -> tuple[int, date, int]:
    """Sort key choosing the deciding phrase."""
    priority = _PRIORITY[d.kind] if d.kind != "fixed" or d.due is not None else 2
    return (priority, d.due or date.max, d.span[0] if d.span else 0)


def resolve(
    text: str, *, year: int, issued: date | None = None, calendar: WorkCalendar | None = None
) -> Deadline:
    """Resolve a deadline cell or a run of inline phrases; never raises, always returns a kind."""
    try:
        return _resolve(text, year=year, issued=issued, calendar=calendar)
    except Exception:  # the engine must not take an import down; the text goes to review instead
        return _unresolved(text if isinstance(text, str) else str(text), None)


def _resolve(text: str, *, year: int, issued: date | None, calendar: WorkCalendar | None) -> Deadline:
    """resolve() without the safety net."""
    if not text.strip():
        return Deadline(text=text, kind="ongoing", due=date(year, 12, 31))
    found: list[Deadline] = []
    for m in _CELL_SCANNER.finditer(text):
        try:
            found.append(_resolve_match(m, year=year, issued=issued, calendar=calendar))
        except UnknownYearError:
            found.append(_unresolved(m.group(0).strip(), m.span()))
        except ValueError:  # an impossible date such as 2月30日
            found.append(_unresolved(m.group(0).strip(), m.span()))
    if not found:
        return _unresolved(text, None)
    # `3月至6月`: work through a span is due at its end, so the span's start may not decide.
    starts = {id(a) for a, b in pairwise(found) if _is_range(text, a, b)}
    primary = min((d for d in found if id(d) not in starts), key=_rank)
    others = tuple(d for d in found if d is not primary)
    return replace(primary, text=text, others=others)


_RANGE_WORDS = frozenset({"至", "到", "-", "－", "—", "——", "~", "～", "〜"})


def _is_range(text: str, start: Deadline, end: Deadline) -> bool:
    """Whether two fixed dates are joined as the start and end of one span (`3月至6月`, `9月—12月底`)."""
    if start.kind != "fixed" or end.kind != "fixed" or start.span is None or end.span is None:
        return False
    return text[start.span[1] : end.span[0]].strip() in _RANGE_WORDS


def dated_steps(d: Deadline) -> list[Deadline]:
    """The fixed dates a resolved text names, in text order, without the starts of spans (`3月至6月`)."""
    spanned = [(x.span[0], x) for x in (d, *d.others) if x.span is not None]
    found = [x for _, x in sorted(spanned, key=lambda pair: pair[0])]
    starts = {id(a) for a, b in pairwise(found) if _is_range(d.text, a, b)}
    return [x for x in found if x.kind == "fixed" and x.due is not None and id(x) not in starts]


def phrase_of(d: Deadline) -> str:
    """The phrase that decided d (its span inside d.text), or the whole text."""
    if d.span is not None:
        return d.text[d.span[0] : d.span[1]].strip() or d.text
    return d.text


def _reasons(d: Deadline, phrase: str) -> list[str]:
    """Why one deadline needs a person, in Chinese."""
    reasons: list[str] = []
    if "needs_issue_date" in d.flags:
        reasons.append(f"“{phrase}”从印发日期起算，但不知道印发日期，请补充印发日期或直接设定截止日期")
    if "ambiguous" in d.flags:
        if "年中" in phrase:
            reasons.append(f"“{phrase}”含义不明确，已暂按 {d.due} 处理，请确认")
        elif "季度" in phrase:
            reasons.append(
                f"“{phrase}”可理解为该季度开始之前，也可理解为该季度结束之前，"
                f"已暂按季度末 {d.due} 处理，请确认"
            )
        else:
            reasons.append(f"“{phrase}”含义不明确，已暂按 {d.due} 处理，请确认")
    if "before_issue_date" in d.flags:
        reasons.append(f"“{phrase}”对应的截止日期 {d.due} 早于文件印发日期，可能已过期或应顺延到次年，请确认")
    if "implausible_year" in d.flags and d.due is not None:
        reasons.append(f"“{phrase}”的年份（{d.due.year}年）与计划年度相差太大，可能有误，请确认")
    if d.kind == "unresolved" and "needs_issue_date" not in d.flags:
        if _HOLIDAY_WORD.search(phrase):
            reasons.append(
                f"“{phrase}”所需年份的节假日安排未知，请在节假日覆盖文件中补充后重新导入，或直接设定截止日期"
            )
        else:
            reasons.append(f"无法识别期限“{phrase}”，请人工设定截止日期")
    return reasons


_HOLIDAY_WORD = re.compile(r"国庆|春节|元旦|清明|劳动节|五一|端午|中秋")


def review_reason(d: Deadline) -> str | None:
    """Chinese reason a person should look at this deadline, or None when it needs nobody."""
    reasons = _reasons(d, phrase_of(d))
    for other in d.others:
        for reason in _reasons(other, other.text):
            if reason not in reasons:
                reasons.append(reason)
    return "；".join(reasons) if reasons else None


def suggested_date(d: Deadline) -> date | None:
    """A date to offer the reviewer: the provisional guess, or next year's same day for a lapsed date."""
    if d.due is None:
        return None
    if "before_issue_date" in d.flags:
        try:
            return d.due.replace(year=d.due.year + 1)
        except ValueError:  # 2月29日
            return d.due.replace(year=d.due.year + 1, day=28)
    if "ambiguous" in d.flags:
        return d.due
    return None


_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}
_USER_FULL = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?")
_USER_MONTH_DAY = re.compile(rf"({_MONTH})\s*[-/月]\s*({_DAY})\s*[日号]?")
_USER_WEEKDAY = re.compile(r"(本|这|下下|下|上)?个?(?:周|星期|礼拜)([一二三四五六日天末1-7])")
_USER_OFFSET = re.compile(rf"({_NUM})\s*(天|日|个?星期|周|个月)[以之]?后")
_USER_RELATIVE_DAYS = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3, "昨天": -1}
_USER_FILLER = re.compile(r"^(?:截止|截至|到|于|在)|(?:之前|以前|前|截止|为止)$")


def parse_user_date(text: str, *, today: date) -> date | None:
    """A date typed by a person (`2022-10-31`, `10月31日`, `下周五`, `明天`, `10月底`); None when not a date.

    dateparser 1.5 returns None for `10月31日` and `下周五`, so month/day, weekday and "N天后" forms are read
    here first; dateparser handles the rest (PREFER_DATES_FROM future, RELATIVE_BASE today).
    """
    try:
        cleaned = unicodedata.normalize("NFKC", text).strip()
        cleaned = _USER_FILLER.sub("", cleaned).strip()
        if not cleaned:
            return None
        return _parse_user_date(cleaned, today)
    except (ValueError, OverflowError):
        return None


def _parse_user_date(text: str, today: date) -> date | None:
    """parse_user_date() on normalized text."""
    if text in _USER_RELATIVE_DAYS:
        return today + timedelta(days=_USER_RELATIVE_DAYS[text])
    if m := _USER_FULL.fullmatch(text):
        return date(int(m[1]), int(m[2]), int(m[3]))
    if m := _USER_MONTH_DAY.fullmatch(text):
        day = date(today.year, cn_to_int(m[1]), cn_to_int(m[2]))
        # A typed month/day already past this year means next year's (a due date is in the future).
        return day if day >= today else day.replace(year=today.year + 1)
    if m := _USER_WEEKDAY.fullmatch(text):
        weekday = int(m[2]) - 1 if m[2].isdigit() else _WEEKDAYS[m[2]]
        monday = today - timedelta(days=today.weekday())
        weeks = {"下": 1, "下下": 2, "上": -1}.get(m[1] or "", 0)
        day = monday + timedelta(weeks=weeks, days=weekday)
        if m[1] is None and day < today:
            day += timedelta(weeks=1)
        return day
    if m := _USER_OFFSET.fullmatch(text):
        n = cn_to_int(m[1])
        unit = m[2]
        if unit in ("天", "日"):
            return today + timedelta(days=n)
        if unit == "个月":
            month_index = today.month - 1 + n
            year, month = today.year + month_index // 12, month_index % 12 + 1
            return min(
                today.replace(year=year, month=month, day=1) + timedelta(days=today.day - 1),
                month_end(year, month),
            )
        return today + timedelta(weeks=n)
    parsed = _dateparser_date(text, today)
    if parsed is not None:
        return parsed
    # Plan idioms a person may type too (`10月底`, `年底`, `三季度末`).
    resolved = resolve(text, year=today.year, issued=today)
    if resolved.kind == "fixed" and resolved.due is not None and not resolved.others:
        return resolved.due
    return None


def _dateparser_date(text: str, today: date) -> date | None:
    """dateparser's reading, discarded when absurdly far away (it reads `10/31` as 2110-10-31)."""
    import dateparser  # slow to import; only the bot and the benchmark need it

    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": datetime(today.year, today.month, today.day),
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    parsed = dateparser.parse(text, languages=["zh"], settings=settings)
    if parsed is None or abs(parsed.year - today.year) > 5:
        return None
    return parsed.date()
