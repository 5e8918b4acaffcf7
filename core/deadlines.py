"""Deadline phrases of Chinese work plans: find them in prose and resolve them to dates or rules."""

from __future__ import annotations

import re

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
    ("quarterly", r"(?:每个?|按|逐)季度?"),
    ("monthly", r"(?:每个?|按|逐)月(?!份)"),
    (
        "yearly",
        rf"每年(?:度)?(?:(?P<yr_m>{_MONTH})月份?(?:(?P<yr_d>{_DAY})[日号])?(?P<yr_part>底|末)?{_BEFORE}?)?",
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
    ("ongoing", r"于?(?:全年|(?P<o_y>20\d{2})?(?<![\d一二两三四五六七八九十])年内|年度内)"),
]
# Words that mean "all year" in a deadline cell but are everyday verbs in prose ("持续完善").
_ONGOING_WORDS = ("ongoing_word", r"持续|长期|常态化|经常性")


def _compile(alternatives: list[tuple[str, str]]) -> re.Pattern[str]:
    """One scanner over all alternatives, each in a group named after its family."""
    return re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in alternatives))


_PROSE_SCANNER = _compile(_ALTERNATIVES)
_CELL_SCANNER = _compile([*_ALTERNATIVES, _ONGOING_WORDS])


def extract_phrases(text: str) -> list[str]:
    """Deadline and timing phrases found inline in prose, in order, as written."""
    return [m.group(0).strip() for m in _PROSE_SCANNER.finditer(text)]
