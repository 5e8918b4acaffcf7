"""Reading an uploaded file, bounded: the reader runs in a child process with a wall-time limit, a memory
limit and a CPU limit, so a hostile file (a zip bomb, a far-away cell, a dense PDF page) costs the caller
one Chinese sentence within seconds and nothing else.

Plain text and CSV are decoded in the calling process (decoding is linear and needs no library); every other
format (.docx, .xlsx, .xls, .pdf, .doc, .html) goes to a fresh `python` child that sets RLIMIT_AS and
RLIMIT_CPU on itself, reads the bytes from stdin, and answers with one JSON object on stdout. The child has
its own session, so the whole process group (antiword included) is killed when the time is up. Nothing the
child's libraries print reaches the caller's terminal: its stdout and stderr go to /dev/null, the answer
goes through a duplicate of the original stdout.

Limits: READ_TIMEOUT_S and READ_MEMORY_MB below, or DUBAN_READ_TIMEOUT_SECONDS / DUBAN_READ_MEMORY_MB in the
environment; what a file may declare (cells, rows, columns, pages, list levels, unpacked sizes) is limited
in core.readers.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from core.models import DocumentError
from core.readers import STOPPED, document_kind, read_document

READ_TIMEOUT_S = 30.0  # wall time for one file (a 100-page PDF takes about 15 s)
READ_MEMORY_MB = 1024  # address space of the reading process (its libraries alone take about 200 MB)
IN_PROCESS_KINDS = frozenset({"text", "csv"})

_ROOT = Path(__file__).resolve().parent.parent  # where `core` and `duban` are, for the child's imports
_CHILD = "from duban.reading import child_main; child_main()"


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """How long and how much memory one file may take to read."""

    seconds: float = READ_TIMEOUT_S
    memory_mb: int = READ_MEMORY_MB

    @classmethod
    def from_env(cls, seconds: float = READ_TIMEOUT_S, memory: int = READ_MEMORY_MB) -> ReadLimits:
        """The given limits ([import] read_timeout_seconds / read_memory_mb, else the defaults), or
        DUBAN_READ_TIMEOUT_SECONDS / DUBAN_READ_MEMORY_MB when set to positive numbers."""
        with contextlib.suppress(ValueError):
            seconds = float(os.environ.get("DUBAN_READ_TIMEOUT_SECONDS", "")) or seconds
        with contextlib.suppress(ValueError):
            memory = int(os.environ.get("DUBAN_READ_MEMORY_MB", "")) or memory
        return cls(seconds=max(seconds, 0.1), memory_mb=max(memory, 64))


def read_bounded(
    data: bytes, filename: str, *, max_bytes: int | None = None, limits: ReadLimits | None = None
) -> str:
    """read_document's text, read in a bounded child process; DocumentError with one Chinese sentence."""
    kind = document_kind(data, filename, max_bytes=max_bytes)
    if kind in IN_PROCESS_KINDS:
        return read_document(data, filename, max_bytes=max_bytes)
    limits = limits or ReadLimits.from_env()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_ROOT), env.get("PYTHONPATH", "")) if p)
    # -P: the caller's working directory is not on the child's path (a folder named `core` there would win)
    command = [sys.executable, "-P", "-c", _CHILD, filename, str(limits.memory_mb), str(limits.seconds)]
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=env,
    )
    _RUNNING.add(process)
    try:
        out, _ = process.communicate(data, timeout=limits.seconds)
    except subprocess.TimeoutExpired:
        raise DocumentError(f"{STOPPED}（读取超过 {limits.seconds:g} 秒）") from None
    finally:
        _RUNNING.discard(process)
        _kill_group(process)
    if process.returncode == -signal.SIGKILL and stopping.is_set():
        raise DocumentError("服务正在停止，文件未读取；请稍后重新发送")
    try:
        answer = json.loads(out)
    except ValueError:
        # killed by the memory or CPU limit, or a library aborted (a Rust allocation failure): no answer
        raise DocumentError(STOPPED) from None
    if "error" in answer:
        raise DocumentError(str(answer["error"]))
    return str(answer["text"])


# The children reading right now, so that a stopping bot (SIGTERM) ends them at once instead of waiting for
# each to finish or time out.
_RUNNING: set[subprocess.Popen[bytes]] = set()
stopping = threading.Event()


def stop_readers() -> None:
    """End every reading child now (the process is stopping); their callers get a Chinese sentence."""
    stopping.set()
    for process in list(_RUNNING):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """End the child and anything it started (antiword), and reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def child_main() -> None:
    """The child: limit itself, read stdin, answer {"text": …} or {"error": …} as JSON, exit."""
    import resource

    filename, memory_mb, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    answer_fd = os.dup(1)
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    data = sys.stdin.buffer.read()
    try:
        answer: dict[str, str] = {"text": read_document(data, filename)}
    except DocumentError as exc:
        answer = {"error": str(exc)}
    except MemoryError:
        answer = {"error": STOPPED}
    del data
    try:
        payload = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        with os.fdopen(answer_fd, "wb") as out:
            out.write(payload)
    except MemoryError:
        os._exit(3)
    os._exit(0)
