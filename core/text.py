"""Text helpers shared by the plan readers: spaces next to Chinese, a cell's units."""

from __future__ import annotations

import re

from core.models import UnitRef
from core.units import split_units

# CJK ideographs and the punctuation that sits between them; U+3000 is left out on purpose (it is whitespace).
_CJK = "\u2014\u2018-\u201d\u2026\u3001-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_SPACE_NEAR_CJK = re.compile(rf"\s+(?=[{_CJK}])|(?<=[{_CJK}])\s+")
_SPACES = re.compile(r"\s+")


def normalize_spaces(text: str) -> str:
    """Drop whitespace next to Chinese text or punctuation (PDF artefacts); keep one between Latin words."""
    return _SPACES.sub(" ", _SPACE_NEAR_CJK.sub("", text)).strip()


MARKUP = re.compile(r"\*\*|__|^#+\s*")


def clean_line(line: str) -> str:
    """A line without Markdown emphasis/heading marks and with its spaces normalized."""
    return normalize_spaces(MARKUP.sub("", line.strip()))


def units_of(text: str) -> list[UnitRef]:
    """Units of a cell or clause, each named once, in order."""
    seen: dict[UnitRef, None] = {}
    for ref in split_units(text.strip()):
        seen.setdefault(ref, None)
    return list(seen)


# Terminal escape sequences (CSI `ESC [ … m`, OSC `ESC ] … BEL`, other two-character escapes), C0 controls but
# tab and line breaks, DEL, C1 controls and NUL: nothing a plan means, and harmful when shown or stored.
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def sanitize(text: str) -> str:
    """Text without terminal escape sequences and control characters (tab and line breaks kept)."""
    return _CONTROLS.sub("", _ESCAPES.sub("", text))
