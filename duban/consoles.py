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
