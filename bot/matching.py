"""Fuzzy matching of what a person types against unit names (pure; rapidfuzz)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process, utils

from core.units import normalize_name

# WRatio scores (0-100). A clear match scores at least CLEAR and leads the runner-up by MARGIN; anything
# within MARGIN of the best and at least CANDIDATE is offered as a button; below that only suggestions.
# Tuned on the built-in directory: 教育局 → 区教育局 86 vs 72 (clear); 区政务 → 区政务服务办/区政务公开办
# 90/90 (choose); 区文旅 → 区文化旅游局/区文广旅游体育局 72/72 (choose); 公安局 → 50 (none).
CLEAR = 80.0
MARGIN = 8.0
# A one-character typo in a short name scores about 75 (区财正局 → 区财政局 75, runner-up 50): clear enough
# when nothing else comes close.
TYPO = 70.0
TYPO_MARGIN = 20.0
CANDIDATE = 65.0
MAX_CHOICES = 8
# Below this a name is no suggestion at all: 石化街道 scores 26–30 against every bureau.
SUGGEST = 55.0


@dataclass(frozen=True, slots=True)
class UnitMatch:
    """The outcome of matching a query: one unit, several to choose from, or none (with the closest)."""

    kind: Literal["one", "several", "none"]
    names: tuple[str, ...]


def match_unit(query: str, names: Iterable[str], aliases: Mapping[str, str] | None = None) -> UnitMatch:
    """Match query against canonical names (and aliases → canonical); exact and unique-substring hits win."""
    pool = list(dict.fromkeys(names))
    if not pool:
        return UnitMatch("none", ())
    known = set(pool)
    alias_map = {a: c for a, c in (aliases or {}).items() if c in known}
    q = normalize_name(query)
    if q in known:
        return UnitMatch("one", (q,))
    # An alias, also with the district prefix left off (环保局 → 区环保局, a former name of 区生态环境局).
    for spelling in (q, "区" + q):
        if spelling in alias_map:
            return UnitMatch("one", (alias_map[spelling],))
    containing = [n for n in pool if q and q in n]
    if len(containing) == 1:
        return UnitMatch("one", (containing[0],))
    # Score every spelling, keep the best score per canonical unit.
    spellings = {n: n for n in pool} | alias_map
    best: dict[str, float] = {}
    for spelling, score, _ in process.extract(
        q, list(spellings), scorer=fuzz.WRatio, processor=utils.default_process, limit=None
    ):
        canon = spellings[spelling]
        best[canon] = max(best.get(canon, 0.0), score)
    ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
    top = ranked[0][1]
    if containing:
        # Several names contain the query: those are the candidates, best-scored first.
        chosen = [n for n, _ in ranked if n in containing][:MAX_CHOICES]
        return UnitMatch("several", tuple(chosen))
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if (top >= CLEAR and top - runner_up >= MARGIN) or (top >= TYPO and top - runner_up >= TYPO_MARGIN):
        return UnitMatch("one", (ranked[0][0],))
    close = [n for n, s in ranked if s >= CANDIDATE and s >= top - MARGIN][:MAX_CHOICES]
    if close:
        return UnitMatch("several", tuple(close))
    return UnitMatch("none", tuple(n for n, s in ranked[:3] if s >= SUGGEST))
