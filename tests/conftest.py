"""Shared fixtures: the seed documents beside the repository and the project's own fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def seed_path(prefix: str) -> Path:
    """Path of the seed whose name starts with prefix; skips the test visibly when seeds are absent."""
    if not SEEDS.is_dir():
        pytest.skip(f"种子文档目录不存在：{SEEDS}（只在带 ../shared/seeds 的检出中运行）")
    matches = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    if not matches:
        pytest.skip(f"缺少种子文档 {prefix}_*.txt")
    return matches[0]


def seed_text(prefix: str) -> str:
    """Text of one seed document."""
    return seed_path(prefix).read_text(encoding="utf-8")
