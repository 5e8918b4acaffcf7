"""The command line's rich consoles (stdout and stderr), made on first use.

A command that prints nothing through rich (`duban resolve` prints JSON) then never imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


class LazyConsole:
    """A rich Console created on first use; every attribute is the real console's."""

    __slots__ = ("_console", "_stderr")

    def __init__(self, *, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    def get(self) -> Console:
        """The real console (for APIs that want one, such as rich.progress.Progress)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.get(), name)


out = LazyConsole(stderr=False)
err = LazyConsole(stderr=True)


def escape(text: str) -> str:
    """Stored or typed text made safe to print: no terminal escape codes or control characters (a plan file
    could carry them), and rich markup such as `[/b]` shown as written, not interpreted."""
    from rich.markup import escape as rich_escape

    from core.text import sanitize

    return rich_escape(sanitize(text))


def print_table(table: Any) -> None:
    """A rich table on a terminal; piped or redirected, plain tab-separated lines on stdout (a header line,
    then a line a row, markup dropped, line breaks in a cell made spaces) that other programs can read, and
    the title on stderr."""
    import sys

    if out.is_terminal:
        out.print(table)
        return
    from rich.text import Text

    if table.title:  # on stderr, so that stdout is the table alone
        err.print(table.title, markup=False, highlight=False)

    def plain(cell: Any) -> str:
        text = Text.from_markup(cell).plain if isinstance(cell, str) else str(cell)
        return " ".join(text.replace("\t", " ").split())

    lines = ["\t".join(plain(column.header) for column in table.columns)]
    for row in zip(*(column._cells for column in table.columns), strict=True):
        lines.append("\t".join(plain(cell) for cell in row))
    sys.stdout.write("\n".join(lines) + "\n")
