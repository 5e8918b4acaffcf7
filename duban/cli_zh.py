"""The command line's own words in Chinese: typer's help panels and usage line, and click's usage errors.

Typer (0.29) vendors click and writes these in English, partly as f-strings, so they are translated where
they are shown: the panel titles and fixed strings are typer.rich_utils constants; the usage prefix and the
--help option's text are set where click makes them; an error's message is translated by the table below
just before typer prints it. Messages not in the table are shown as they are.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import re
import sys
import types
from collections.abc import Callable
from typing import Any

# (pattern, Chinese) for click's usage errors; a replacement may call the table again through `{inner}`.
_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), text)
    for pattern, text in (
        (
            r"^No such option: (?P<a>\S+) \(Possible options: (?P<b>.+)\)\.?$",
            "没有这个选项：{a}（可用的选项：{b}）",
        ),
        (r"^No such option: (?P<a>\S+)\.?$", "没有这个选项：{a}"),
        (r"^Missing argument '(?P<a>.+)'\.$", "缺少参数 {a}。"),
        (r"^Missing option '(?P<a>.+)'\.$", "缺少选项 {a}。"),
        (r"^Got unexpected extra arguments? \((?P<a>.+)\)$", "多余的参数：{a}"),
        (r"^No such command '(?P<a>.+)'\.$", "没有这个命令：{a}。"),
        (r"^Missing command\.$", "缺少命令。"),
        (r"^Option '(?P<a>.+)' requires an argument\.$", "选项 {a} 需要一个值。"),
        (r"^Option '(?P<a>.+)' does not take a value\.$", "选项 {a} 不带值。"),
        (r"^Invalid value for (?P<a>.+?): (?P<b>.+)$", "{a} 的值无效：{b}"),
        (r"^'?(?P<a>.*?)'? is not a valid integer(?: range)?\.?$", "“{a}”不是整数"),
        (r"^'?(?P<a>.*?)'? is not a valid float(?: range)?\.?$", "“{a}”不是数字"),
        (r"^'?(?P<a>.*?)'? is not one of (?P<b>.+)\.$", "“{a}”不是可选的值（{b}）"),
        (r"^'?(?P<a>.*?)'? is not a valid boolean\.?$", "“{a}”不是 true 或 false"),
        # typer converts values with pydantic, whose messages carry no value
        (r"^Input should be a valid integer.*$", "应为整数"),
        (r"^Input should be a valid number.*$", "应为数字"),
        (r"^Input should be a valid boolean.*$", "应为 true 或 false"),
    )
)
# Hints click appends to a message (anywhere in it).
_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r" ?\(Possible options?: (?P<a>[^)]+)\)"), "（可用的选项：{a}）"),
    (re.compile(r" ?Did you mean (?P<a>.+?)\?$"), "（你是不是想写 {a}？）"),
)


def _filled(template: str) -> Callable[[re.Match[str]], str]:
    """A replacement that fills template with the match's named groups."""
    return lambda m: template.format(**m.groupdict())


def translate(message: str) -> str:
    """A click error message in Chinese where the table knows it (nested parts too)."""
    for hint, text in _HINTS:
        message = hint.sub(_filled(text), message)
    for pattern, text in _ERRORS:
        found = pattern.match(message)
        if found:
            parts = {k: (translate(v) if k == "b" and v else v) for k, v in found.groupdict().items()}
            return text.format(**parts)
    return message


def install() -> None:
    """Put the Chinese words in place (once, before the first command is built or run). typer.rich_utils
    (which imports rich) is patched when typer first imports it, so commands that print no help stay light."""
    from typer._click import core, formatting

    write_usage: Callable[..., None] = formatting.HelpFormatter.write_usage

    def chinese_usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        args = args.replace("[OPTIONS]", "[选项]").replace("COMMAND [ARGS]...", "命令 [参数]...")
        write_usage(self, prog, args, "用法：" if prefix is None else prefix)

    formatting.HelpFormatter.write_usage = chinese_usage  # type: ignore[method-assign]

    get_help_option: Callable[..., Any] = core.Command.get_help_option

    def chinese_help_option(self: Any, ctx: Any) -> Any:
        option = get_help_option(self, ctx)
        if option is not None:
            option.help = "显示本帮助并退出。"
        return option

    core.Command.get_help_option = chinese_help_option  # type: ignore[method-assign]

    if "typer.rich_utils" in sys.modules:
        _patch_rich_utils(sys.modules["typer.rich_utils"])
    else:
        sys.meta_path.insert(0, _RichUtilsHook())


class _RichUtilsHook(importlib.abc.MetaPathFinder):
    """Patches typer.rich_utils right after typer imports it (once)."""

    def find_spec(
        self, fullname: str, path: Any, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "typer.rich_utils":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        execute = loader.exec_module

        def exec_module(module: types.ModuleType) -> None:
            execute(module)
            _patch_rich_utils(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _patch_rich_utils(ru: Any) -> None:
    """typer's panel titles and fixed strings in Chinese, and its error printer translating messages."""
    ru.ARGUMENTS_PANEL_TITLE = "参数"
    ru.OPTIONS_PANEL_TITLE = "选项"
    ru.COMMANDS_PANEL_TITLE = "命令"
    ru.ERRORS_PANEL_TITLE = "错误"
    ru.ABORTED_TEXT = "已中止。"
    ru.RICH_HELP = "用 [blue]'{command_path} {help_option}'[/] 查看用法。"
    ru.DEFAULT_STRING = "[默认：{}]"
    ru.ENVVAR_STRING = "[环境变量：{}]"
    ru.REQUIRED_LONG_STRING = "[必填]"
    ru.DEPRECATED_STRING = "（已弃用）"
    format_error: Callable[[Any], None] = ru.rich_format_error

    def chinese_error(self: Any) -> None:
        if isinstance(getattr(self, "message", None), str):
            self.message = translate(self.message)
        original = self.format_message

        def message() -> str:
            return translate(original())

        self.format_message = message
        format_error(self)

    ru.rich_format_error = chinese_error
