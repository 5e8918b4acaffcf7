"""What changed between two versions of one plan: tasks paired old → new, then added, removed and changed."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from core.digest import short_text
from core.models import Task

# Pairing thresholds on the similarity of normalised content (0..1). A task keeping its number and heading
# may have been rewritten more freely than one found elsewhere in the plan, so its bar is lower.
SAME_PLACE_SIMILARITY = 0.5
ANYWHERE_SIMILARITY = 0.7

# Fields compared, in the order they are reported; the Chinese names are what users see.
FIELD_NAMES = {
    "content": "任务内容",
    "units": "责任单位",
    "deadline": "时间节点",
    "seq": "序号",
    "category": "任务名称",
}
# A pair differing only in these is the same task moved or renumbered, not a changed one.
PLACE_FIELDS = frozenset({"seq", "category"})

_NOISE = re.compile(r"[\s\W_]+")


@dataclass(frozen=True, slots=True)
class Pair:
    """An old task (index in the old list) that the new task (index in the new list) continues."""

    old: int
    new: int
    fields: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether its content, units or deadline differ (a new number or heading alone does not count)."""
        return any(f not in PLACE_FIELDS for f in self.fields)

    @property
    def content_changed(self) -> bool:
        """Whether the wording of the task itself differs."""
        return "content" in self.fields


@dataclass(frozen=True, slots=True)
class PlanDiff:
    """Every old and every new task accounted for once: paired, removed (old only) or added (new only)."""

    pairs: tuple[Pair, ...]
    added: tuple[int, ...]
    removed: tuple[int, ...]

    @property
    def changed(self) -> tuple[Pair, ...]:
        """Pairs whose content, units or deadline differ, in new-plan order."""
        return tuple(p for p in self.pairs if p.changed)

    @property
    def unchanged(self) -> tuple[Pair, ...]:
        """Pairs that are the same task (perhaps renumbered), in new-plan order."""
        return tuple(p for p in self.pairs if not p.changed)

    @property
    def is_empty(self) -> bool:
        """Whether the new version has the same tasks (renumbering aside)."""
        return not (self.added or self.removed or self.changed)


def normalise(text: str) -> str:
    """Text for comparison: NFKC, without spaces and punctuation (line breaks and commas move in re-typing)."""
    return _NOISE.sub("", unicodedata.normalize("NFKC", text))


def similarity(a: str, b: str) -> float:
    """How alike two task contents are, 0..1, after normalise."""
    x, y = normalise(a), normalise(b)
    if not x and not y:
        return 1.0
    return SequenceMatcher(None, x, y, autojunk=False).ratio()


def _units(task: Task) -> frozenset[tuple[str, str]]:
    """The task's units with their roles, order aside."""
    return frozenset((u.name, u.role) for u in task.units)


def differing_fields(old: Task, new: Task) -> tuple[str, ...]:
    """The fields (keys of FIELD_NAMES, in that order) in which two versions of a task differ."""
    checks = {
        "content": normalise(old.content) != normalise(new.content),
        "units": _units(old) != _units(new),
        "deadline": normalise(old.deadline_text) != normalise(new.deadline_text),
        "seq": old.seq.strip() != new.seq.strip(),
        "category": normalise(old.category) != normalise(new.category),
    }
    return tuple(name for name in FIELD_NAMES if checks[name])


def diff_plans(old: Sequence[Task], new: Sequence[Task]) -> PlanDiff:
    """Pair the tasks of two versions of a plan.

    Three passes, each over what is still unpaired: (1) identical wording, nearest position first, so a task
    that only moved or was renumbered is found wherever it went; (2) the same 序号 and 任务名称 with content
    at least SAME_PLACE_SIMILARITY alike (a task reworded in place); (3) the most similar remaining pairs,
    at least ANYWHERE_SIMILARITY alike. Everything left is removed (old) or added (new).
    """
    free_old = set(range(len(old)))
    free_new = set(range(len(new)))
    paired: dict[int, int] = {}  # new index → old index

    def take(o: int, n: int) -> None:
        paired[n] = o
        free_old.discard(o)
        free_new.discard(n)

    # (1) identical content: prefer the same place, then the nearest position.
    by_text: dict[str, list[int]] = {}
    for o in range(len(old)):
        by_text.setdefault(normalise(old[o].content), []).append(o)
    for n in range(len(new)):
        candidates = [o for o in by_text.get(normalise(new[n].content), []) if o in free_old]
        if candidates:
            key = (new[n].seq.strip(), normalise(new[n].category))
            best = min(
                candidates,
                key=lambda o: ((old[o].seq.strip(), normalise(old[o].category)) != key, abs(o - n)),
            )
            take(best, n)

    # (2) same number and heading, reworded.
    by_place: dict[tuple[str, str], list[int]] = {}
    for o in sorted(free_old):
        by_place.setdefault((old[o].seq.strip(), normalise(old[o].category)), []).append(o)
    for n in sorted(free_new):
        place = (new[n].seq.strip(), normalise(new[n].category))
        scored = [
            (similarity(old[o].content, new[n].content), o) for o in by_place.get(place, []) if o in free_old
        ]
        scored = [(score, o) for score, o in scored if score >= SAME_PLACE_SIMILARITY]
        if scored:
            take(max(scored, key=lambda x: (x[0], -x[1]))[1], n)

    # (3) the most similar remaining pairs anywhere, best first.
    scored_pairs = []
    for n in sorted(free_new):
        for o in sorted(free_old):
            a, b = normalise(old[o].content), normalise(new[n].content)
            matcher = SequenceMatcher(None, a, b, autojunk=False)
            if (
                matcher.real_quick_ratio() < ANYWHERE_SIMILARITY
                or matcher.quick_ratio() < ANYWHERE_SIMILARITY
            ):
                continue
            score = matcher.ratio()
            if score >= ANYWHERE_SIMILARITY:
                scored_pairs.append((-score, abs(o - n), o, n))
    for _, _, o, n in sorted(scored_pairs):
        if o in free_old and n in free_new:
            take(o, n)

    pairs = tuple(
        Pair(old=paired[n], new=n, fields=differing_fields(old[paired[n]], new[n])) for n in sorted(paired)
    )
    return PlanDiff(pairs=pairs, added=tuple(sorted(free_new)), removed=tuple(sorted(free_old)))


def _label(tasks: Sequence[Task], ids: Sequence[int] | None, index: int) -> str:
    """#id for a stored task, else its 序号 as printed."""
    if ids is not None:
        return f"#{ids[index]}"
    seq = tasks[index].seq.strip()
    return f"序号{seq}" if seq else f"第{index + 1}项"


def _change_note(old: Task, new: Task, fields: tuple[str, ...]) -> str:
    """What changed in a task, in Chinese: old → new deadline and units, or that its wording changed."""
    notes = []
    if "deadline" in fields:
        notes.append(f"时间节点：{old.deadline_text or '（无）'} → {new.deadline_text or '（无）'}")
    if "units" in fields:
        notes.append(
            f"责任单位：{'、'.join(u.name for u in old.units)} → {'、'.join(u.name for u in new.units)}"
        )
    if "content" in fields:
        notes.append("任务内容有改动")
    return "；".join(notes)


def diff_summary(diff: PlanDiff) -> str:
    """One Chinese line: how many tasks were added, removed, changed and kept."""
    moved = sum(1 for p in diff.unchanged if p.fields)
    text = (
        f"新增 {len(diff.added)} 项，删除 {len(diff.removed)} 项，修改 {len(diff.changed)} 项，"
        f"未变 {len(diff.unchanged)} 项"
    )
    return text + (f"（其中 {moved} 项仅序号或任务名称有变）。" if moved else "。")


def diff_lines(
    diff: PlanDiff,
    old: Sequence[Task],
    new: Sequence[Task],
    *,
    old_ids: Sequence[int] | None = None,
    limit: int = 8,
    chars: int = 30,
) -> list[str]:
    """Chinese lines for a person: the summary, then up to `limit` added, removed and changed tasks each."""
    lines = [diff_summary(diff)]
    sections: list[tuple[str, list[str]]] = [
        ("＋ 新增", [f"{_label(new, None, n)} {short_text(new[n].content, chars)}" for n in diff.added]),
        ("－ 删除", [f"{_label(old, old_ids, o)} {short_text(old[o].content, chars)}" for o in diff.removed]),
        (
            "～ 修改",
            [
                f"{_label(old, old_ids, p.old)} {short_text(new[p.new].content, chars)}"
                f"（{_change_note(old[p.old], new[p.new], p.fields)}）"
                for p in diff.changed
            ],
        ),
    ]
    for head, entries in sections:
        for entry in entries[:limit]:
            lines.append(f"{head} {entry}")
        if len(entries) > limit:
            lines.append(f"{head} ……另有 {len(entries) - limit} 项")
    return lines
