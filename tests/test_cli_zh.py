"""The command line's own words in Chinese: help panels, the usage line, usage errors (table-driven)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from duban.cli import app
from duban.cli_zh import translate


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("Missing argument 'files'.", "缺少参数 files。"),
        ("Missing option '--year'.", "缺少选项 --year。"),
        ("No such option: --foo", "没有这个选项：--foo"),
        ("No such option: --foo (Possible options: --format)", "没有这个选项：--foo（可用的选项：--format）"),
        ("No such command 'nosuch'.", "没有这个命令：nosuch。"),
        ("Got unexpected extra argument (x)", "多余的参数：x"),
        ("Option '--plan' requires an argument.", "选项 --plan 需要一个值。"),
        ("Invalid value for '--plan': 'x' is not a valid integer.", "'--plan' 的值无效：“x”不是整数"),
        (
            "Invalid value for '--plan': Input should be a valid integer, unable to parse",
            "'--plan' 的值无效：应为整数",
        ),
        ("Something new from click", "Something new from click"),  # unknown: shown as it is
    ],
)
def test_usage_errors_in_chinese(english: str, chinese: str) -> None:
    assert translate(english) == chinese


def test_help_and_errors_of_the_real_cli_are_chinese() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "80"})
    assert "用法：" in result.output and "选项" in result.output and "命令" in result.output
    assert "显示本帮助并退出" in result.output
    assert "Usage" not in result.output and "Show this message" not in result.output
    result = runner.invoke(app, ["tasks", "--foo"], env={"COLUMNS": "80"})
    assert result.exit_code == 2 and "没有这个选项：--foo" in result.output and "Usage" not in result.output
