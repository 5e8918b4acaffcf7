"""The bot's pure parts: unit matching, keyboards and the ✅ edit, and the bot's config keys."""

from __future__ import annotations

import re
from datetime import date, time
from pathlib import Path

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.keyboards import done_keyboard, mark_done_in_text, without_button
from bot.matching import match_unit
from core.digest import DigestItem, done_callback
from core.units import UnitDirectory
from duban.config import ConfigError, load_settings

DIRECTORY = UnitDirectory.default()
NAMES = [*DIRECTORY.units, "县教育局", "县政府办公室"]


@pytest.mark.parametrize(
    ("query", "kind", "names"),
    [
        ("区教育局", "one", ("区教育局",)),  # exact
        ("区教委", "one", ("区教育局",)),  # alias
        ("区卫健委", "one", ("区卫生健康委",)),  # alias
        ("教育局", "several", ("区教育局", "县教育局")),  # contained in two names
        ("市场监管", "one", ("区市场监管局",)),  # contained in one name
        ("区财正局", "one", ("区财政局",)),  # one-character typo
        ("区市场监督局", "one", ("区市场监管局",)),  # near an alias of it
        ("区政务", "several", ("区政务公开办", "区政务服务办")),
        ("区文旅", "one", ("区文化旅游局",)),  # near its alias 区文旅局, not 区文广旅游体育局
        ("区建设", "several", ("区建设管理委", "区建设和交通委员会")),
        ("环保局", "one", ("区生态环境局",)),  # a former name, the district prefix left off
        ("安监局", "one", ("区应急管理局",)),
        ("公安分局", "none", None),  # nothing close enough to choose: the closest, as suggestions
        ("石化街道", "none", ()),  # nothing alike at all: no suggestion rather than unrelated bureaus
        ("", "none", ()),
    ],
)
def test_match_unit(query: str, kind: str, names: tuple[str, ...] | None) -> None:
    match = match_unit(query, NAMES, DIRECTORY.aliases)
    assert match.kind == kind, match
    if names is not None:
        assert set(match.names) == set(names)
    else:
        assert 1 <= len(match.names) <= 3


def test_match_unit_with_no_names() -> None:
    assert match_unit("区教育局", []).kind == "none"


def item(task: int, unit: int, name: str = "区教育局") -> DigestItem:
    return DigestItem(task, unit, name, "lead", "1", "内容", date(2026, 3, 4), "计划", "fixed", None)


@pytest.mark.parametrize(
    ("items", "labels", "per_row"),
    [
        (
            [item(1, 7), item(2, 7), item(3, 7), item(4, 7)],
            ["✅ 完成 #1", "✅ 完成 #2", "✅ 完成 #3", "✅ 完成 #4"],
            3,
        ),
        ([item(1, 7), item(1, 8, "区财政局")], ["✅ #1 区教育局", "✅ #1 区财政局"], 1),
    ],
)
def test_done_keyboard_labels_and_layout(items: list[DigestItem], labels: list[str], per_row: int) -> None:
    markup = done_keyboard(items)
    assert markup is not None
    buttons = [b for row in markup.inline_keyboard for b in row]
    assert [b.text for b in buttons] == labels
    assert [b.callback_data for b in buttons] == [done_callback(i.task_id, i.unit_id) for i in items]
    assert max(len(row) for row in markup.inline_keyboard) == per_row


def test_done_keyboard_empty() -> None:
    assert done_keyboard([]) is None


TEXT = "📋 督办提醒\n\n⚠️ 已逾期（2项）\n#1 甲 — 区教育局（牵头）· 逾期1天\n#12 乙 — 区教育局（配合）· 逾期1天\n#1 甲 — 区财政局（配合）"


@pytest.mark.parametrize(
    ("task", "unit", "marked"),
    [
        (1, "区教育局", ["#1 甲 — 区教育局（牵头）· 逾期1天"]),
        (1, "区财政局", ["#1 甲 — 区财政局（配合）"]),
        (12, "区教育局", ["#12 乙 — 区教育局（配合）· 逾期1天"]),
        (2, "区教育局", []),
    ],
)
def test_mark_done_in_text_marks_exactly_that_line(task: int, unit: str, marked: list[str]) -> None:
    out = mark_done_in_text(TEXT, task, unit)
    assert [line[2:] for line in out.splitlines() if line.startswith("✅ ")] == marked
    assert mark_done_in_text(out, task, unit) == out  # marking twice changes nothing


def test_without_button_drops_one_and_empty_rows() -> None:
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("a", callback_data="d:1:7")],
            [InlineKeyboardButton("b", callback_data="d:2:7")],
        ]
    )
    left = without_button(markup, "d:1:7")
    assert left is not None and [[b.callback_data for b in r] for r in left.inline_keyboard] == [["d:2:7"]]
    assert without_button(left, "d:2:7") is None


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bot_config_defaults(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, ""))
    assert s.telegram.api_base_url == "https://api.telegram.org/bot"
    assert s.telegram.api_base_file_url == "https://api.telegram.org/file/bot"
    assert (s.digest.time, s.digest.window_days, s.digest.workdays_only) == (time(9, 0), 7, True)
    assert (s.access.mode, s.access.admins, s.routing) == ("open", frozenset(), {})


def test_bot_config_values(tmp_path: Path) -> None:
    s = load_settings(
        write(
            tmp_path,
            '[telegram]\napi_base_url = "http://127.0.0.1:8081/bot"\nmax_retries = 5\n'
            '[digest]\ntime = "08:30"\nwindow_days = 14\n'
            '[access]\nmode = "approval"\nadmins = [1, 2]\n'
            '[routing]\n"各单位" = ["全部"]\n"各镇街" = ["镇", "街道", "区档案馆"]\n',
        )
    )
    assert s.telegram.api_base_file_url == "http://127.0.0.1:8081/file/bot"
    assert s.telegram.max_retries == 5
    assert (s.digest.time, s.digest.window_days) == (time(8, 30), 14)
    assert s.access.needs_approval and s.access.admins == {1, 2}
    assert s.routing["各单位"] == {"department", "town", "street", "other"}
    assert s.routing["各镇街"] == {"town", "street", "区档案馆"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[digest]\ntime = "9点"\n', "digest.time"),
        ("[digest]\nwindow_days = 0\n", "digest.window_days"),
        ('[access]\nmode = "closed"\n', "access.mode"),
        ('[access]\nadmins = ["alice"]\n', "access.admins"),
        ('[telegram]\nmax_retries = "3"\n', "telegram.max_retries"),
        ('[routing]\n"各单位" = 3\n', "routing.各单位"),
    ],
)
def test_bot_config_errors_are_clear(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        load_settings(write(tmp_path, text))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[digest]\ntme = "09:00"\n', "未知的配置项 digest.tme"),
        ('[telegarm]\nmode = "polling"\n', "未知的配置节 [telegarm]"),
        ('[storage]\ndatabase = "x"\n', "未知的配置项 storage.database"),
    ],
)
def test_unknown_config_keys_are_errors_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(path)


def test_every_key_of_the_shipped_config_is_known_and_read() -> None:
    import tomllib

    from duban.config import KNOWN_KEYS

    shipped = tomllib.loads(
        (Path(__file__).resolve().parent.parent / "config.toml").read_text(encoding="utf-8")
    )
    for section, table in shipped.items():
        known = KNOWN_KEYS[section]
        assert known is None or set(table) <= known, section
    settings = load_settings(Path(__file__).resolve().parent.parent / "config.toml")
    assert (settings.digest.parallel_sends, settings.imports.read_timeout_seconds) == (1, 30.0)
