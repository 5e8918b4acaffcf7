"""A small, real Telegram Bot API server on 127.0.0.1 for offline end-to-end tests.

PTB talks to it through its normal HTTP layer (`base_url=fake.base_url`, `base_file_url=fake.base_file_url`);
the test acts as users (`user_message`, `press_button`, ...) and inspects what the bot did (`sent`, `calls`).
Faults (429/500/timeouts/dropped connections) and Telegram's rate limits can be switched on per test.
Run `python tests/botapi/server.py` to get a standalone server for manual runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import inspect
import itertools
import json
import math
import random
import re
import struct
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from aiohttp import ClientSession, ClientTimeout, web

T = TypeVar("T")
JSON = dict[str, Any]

DEFAULT_TOKEN = "7000000001:AAHfakeTokenForOfflineTests_0123456"
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
SEND_METHODS = ("sendMessage", "sendDocument", "sendPhoto")
FAULT_KINDS = ("429", "500", "timeout", "reset")
# The "_after" kinds deliver the message and then lose the answer: the client cannot know it was sent.
ALL_FAULT_KINDS = (*FAULT_KINDS, "502", "timeout_after", "reset_after")
# Telegram's default when allowed_updates was never set: everything but these.
_NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# Form values arrive as text; these stay text, everything else is JSON-decoded like Telegram does.
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "secret_token",
        "file_id",
        "language_code",
        "description",
        "short_description",
        "name",
        "document",
        "photo",
        "ip_address",
        "business_connection_id",
        "message_effect_id",
    }
)
# Methods that only need to succeed; the call is recorded like every other.
_NOOP_METHODS = (
    "close",
    "logOut",
    "sendChatAction",
    "setMyDescription",
    "setMyShortDescription",
    "setMyName",
    "setChatMenuButton",
    "setMyDefaultAdministratorRights",
)


class ApiError(Exception):
    """An error answer of the Bot API: HTTP status, description and optional parameters."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> JSON:
        """The JSON body Telegram sends for this error."""
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def _too_many(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})


def _scope_key(scope: object) -> str:
    """A command scope as a key: its type, with the chat for the chat scopes (`chat:5900`)."""
    scope = scope if isinstance(scope, dict) else {}
    kind = str(scope.get("type", "default"))
    return f"{kind}:{scope['chat_id']}" if "chat_id" in scope else kind


def _u16(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


# ----------------------------------------------------------------------------------------------------------
# Formatting: parse_mode text → plain text + entities, with Telegram's error messages for bad markup.
# ----------------------------------------------------------------------------------------------------------

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);")
_HTML_ATTR_RE = re.compile(r"""([^\s=>/"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")


def _parse_error(detail: str) -> ApiError:
    return _bad(f"can't parse entities: {detail}")


def _decode_html_entity(name: str) -> str | None:
    if name.startswith(("#x", "#X")):
        code = int(name[2:], 16)
    elif name.startswith("#"):
        code = int(name[1:])
    else:
        return _HTML_NAMED.get(name)
    return chr(code) if 0 < code <= 0x10FFFF else None


def _finish(parts: list[str], entities: list[JSON]) -> tuple[str, list[JSON]]:
    """Join, trim trailing blanks (clipping entities like Telegram) and sort the entities."""
    text = "".join(parts)
    stripped = text.rstrip()
    end = _u16(stripped)
    kept = []
    for ent in entities:
        ent["length"] = min(ent["offset"] + ent["length"], end) - ent["offset"]
        if ent["length"] > 0:
            kept.append(ent)
    if not kept:
        stripped = stripped.lstrip()
    return stripped, sorted(kept, key=lambda e: (e["offset"], -e["length"]))


def parse_html(source: str) -> tuple[str, list[JSON]]:
    """Telegram's HTML parse mode: supported tags only, &lt;/&gt;/&amp;/&quot; and numeric entities."""
    src = source.strip()
    parts: list[str] = []
    u16 = 0
    stack: list[tuple[str, dict[str, str], int]] = []
    entities: list[JSON] = []
    i = 0
    while i < len(src):
        ch = src[i]
        if ch == "&":
            m = _HTML_ENTITY_RE.match(src, i)
            decoded = _decode_html_entity(m.group(1)) if m else None
            if m and decoded is not None:
                parts.append(decoded)
                u16 += _u16(decoded)
                i = m.end()
                continue
        if ch != "<":
            parts.append(ch)
            u16 += _u16(ch)
            i += 1
            continue
        at = len(src[:i].encode())
        if src.startswith("</", i):
            close = src.find(">", i)
            if close < 0:
                raise _parse_error(f"Unclosed end tag at byte offset {at}")
            name = src[i + 2 : close].strip().lower()
            if not stack:
                raise _parse_error(f"Unexpected end tag at byte offset {at}")
            tag, attrs, start = stack.pop()
            if name and name != tag:
                raise _parse_error(
                    f'Unmatched end tag at byte offset {at}, expected "</{tag}>", found "</{name}>"'
                )
            if tag == "code" and stack and stack[-1][0] == "pre":
                # <pre><code class="language-x"> is one pre entity with a language.
                stack[-1][1].setdefault("language", attrs.get("class", "").removeprefix("language-"))
            elif u16 > start:
                entities.append(_html_entity(tag, attrs, start, u16 - start))
        else:
            word = re.match(r"[^\s>]*", src[i + 1 :])
            assert word is not None  # the pattern matches the empty string too
            name = word.group()
            if name.lower() not in _HTML_TAGS:
                raise _parse_error(f'Unsupported start tag "{name.lower()}" at byte offset {at}')
            close = src.find(">", i)
            if close < 0:
                raise _parse_error(f"Unclosed start tag at byte offset {at}")
            rest = src[i + 1 + len(name) : close]
            name = name.lower()
            attrs = {m[0].lower(): m[1] or m[2] or m[3] for m in _HTML_ATTR_RE.findall(rest)}
            if name == "span" and attrs.get("class") != "tg-spoiler":
                raise _parse_error(f'Tag "span" must have class "tg-spoiler" at byte offset {at}')
            stack.append((name, attrs, u16))
        i = close + 1
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return _finish(parts, entities)


def _html_entity(tag: str, attrs: dict[str, str], offset: int, length: int) -> JSON:
    kind = _HTML_TAGS[tag]
    ent: JSON = {"type": kind, "offset": offset, "length": length}
    if kind == "text_link":
        ent["url"] = attrs.get("href", "")
    elif kind == "pre" and attrs.get("language"):
        ent["language"] = attrs["language"]
    elif kind == "blockquote" and "expandable" in attrs:
        ent["type"] = "expandable_blockquote"
    elif kind == "custom_emoji":
        ent["custom_emoji_id"] = attrs.get("emoji-id", "")
    return ent


_MD2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MD2_MARKS = (("||", "spoiler"), ("__", "underline"), ("*", "bold"), ("_", "italic"), ("~", "strikethrough"))
_MD2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
}


def parse_markdown_v2(source: str) -> tuple[str, list[JSON]]:
    """Telegram's MarkdownV2: nested marks, code/pre, links, '>' quotes; reserved characters must be escaped."""
    src = source
    parts: list[str] = []
    u16 = 0
    stack: list[tuple[str, int, int]] = []  # (kind, utf-16 offset, byte offset of the mark)
    entities: list[JSON] = []
    quote_start: int | None = None
    i = 0

    def emit(text: str) -> None:
        nonlocal u16
        parts.append(text)
        u16 += _u16(text)

    while i < len(src):
        ch = src[i]
        at = len(src[:i].encode())
        top = stack[-1][0] if stack else None
        if ch == "\\" and i + 1 < len(src) and 0 < ord(src[i + 1]) < 127:
            emit(src[i + 1])
            i += 2
            continue
        if top in ("code", "pre"):
            mark = "```" if top == "pre" else "`"
            if src.startswith(mark, i):
                kind, start, _ = stack.pop()
                if u16 > start:
                    entities.append({"type": kind, "offset": start, "length": u16 - start})
                i += len(mark)
            else:
                emit(ch)
                i += 1
            continue
        if ch == "\n" and quote_start is not None and not src.startswith(">", i + 1):
            entities.append({"type": "blockquote", "offset": quote_start, "length": u16 - quote_start})
            quote_start = None
        if ch == ">" and (i == 0 or src[i - 1] == "\n"):
            if quote_start is None:
                quote_start = u16
            i += 1
            continue
        if src.startswith("```", i):
            end_of_line = src.find("\n", i + 3)
            language = src[i + 3 : end_of_line] if end_of_line >= 0 else ""
            if language and not re.fullmatch(r"[\w+-]+", language):
                language = ""
            stack.append(("pre", u16, at))
            i = end_of_line + 1 if language or (end_of_line == i + 3) else i + 3
            continue
        if ch == "`":
            stack.append(("code", u16, at))
            i += 1
            continue
        for mark, kind in _MD2_MARKS:
            if src.startswith(mark, i):
                if top == kind:
                    _, start, _ = stack.pop()
                    if u16 > start:
                        entities.append({"type": kind, "offset": start, "length": u16 - start})
                elif any(k == kind for k, _, _ in stack):
                    raise _parse_error(
                        f"Can't find end of {_MD2_NAMES[top or kind]} entity at byte offset {at}"
                    )
                else:
                    stack.append((kind, u16, at))
                i += len(mark)
                break
        else:
            if ch == "[":
                stack.append(("text_link", u16, at))
                i += 1
            elif ch == "]" and top == "text_link":
                m = re.match(r"\(((?:\\.|[^)\\])*)\)", src[i + 1 :])
                if not m:
                    raise _parse_error(f"Can't find end of a URL at byte offset {at}")
                _, start, _ = stack.pop()
                url = re.sub(r"\\(.)", r"\1", m.group(1))
                if u16 > start:
                    entities.append({"type": "text_link", "offset": start, "length": u16 - start, "url": url})
                i += 1 + m.end()
            elif ch in _MD2_RESERVED:
                raise _parse_error(
                    f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
                )
            else:
                emit(ch)
                i += 1
    if stack:
        kind, _, at = stack[-1]
        raise _parse_error(f"Can't find end of {_MD2_NAMES[kind]} entity at byte offset {at}")
    if quote_start is not None and u16 > quote_start:
        entities.append({"type": "blockquote", "offset": quote_start, "length": u16 - quote_start})
    return _finish(parts, entities)


def parse_markdown(source: str) -> tuple[str, list[JSON]]:
    """Telegram's legacy Markdown: *bold*, _italic_, `code`, ```pre```, [text](url); no nesting."""
    src = source
    parts: list[str] = []
    entities: list[JSON] = []
    u16 = 0
    i = 0
    marks = {"*": "bold", "_": "italic", "`": "code"}
    while i < len(src):
        ch = src[i]
        at = len(src[:i].encode())
        if ch == "\\" and i + 1 < len(src) and src[i + 1] in "*_`[":
            parts.append(src[i + 1])
            u16 += 1
            i += 2
            continue
        if src.startswith("```", i) or ch in marks:
            mark = "```" if src.startswith("```", i) else ch
            end = src.find(mark, i + len(mark))
            if end < 0:
                raise _parse_error(f"Can't find end of the entity starting at byte offset {at}")
            inner = src[i + len(mark) : end]
            if inner:
                kind = "pre" if mark == "```" else marks[mark]
                entities.append({"type": kind, "offset": u16, "length": _u16(inner)})
            parts.append(inner)
            u16 += _u16(inner)
            i = end + len(mark)
            continue
        if ch == "[":
            m = re.match(r"\[([^\]]*)\]\(([^)]*)\)", src[i:])
            if not m:
                raise _parse_error(f"Can't find end of the entity starting at byte offset {at}")
            if m.group(1):
                entities.append(
                    {"type": "text_link", "offset": u16, "length": _u16(m.group(1)), "url": m.group(2)}
                )
            parts.append(m.group(1))
            u16 += _u16(m.group(1))
            i += m.end()
            continue
        parts.append(ch)
        u16 += _u16(ch)
        i += 1
    return _finish(parts, entities)


_PARSERS: dict[str, Callable[[str], tuple[str, list[JSON]]]] = {
    "html": parse_html,
    "markdownv2": parse_markdown_v2,
    "markdown": parse_markdown,
}
_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


# ----------------------------------------------------------------------------------------------------------
# State
# ----------------------------------------------------------------------------------------------------------


@dataclass
class _Chat:
    """A chat the server knows: its kind, whether the bot may write to it, its message counter."""

    id: int
    type: str
    title: str | None = None
    blocked: bool = False
    migrated_to: int | None = None
    last_message_id: int = 0

    def as_dict(self) -> JSON:
        """The Chat object as it appears inside messages."""
        chat: JSON = {"id": self.id, "type": self.type}
        if self.type == "private":
            chat.update(first_name=f"用户{self.id}", username=f"user{self.id}")
        else:
            chat["title"] = self.title or f"群组{abs(self.id)}"
        return chat


@dataclass
class _File:
    """A stored file: what getFile answers and what the download URL serves."""

    file_id: str
    file_unique_id: str
    file_path: str
    file_name: str | None
    mime_type: str | None
    data: bytes


@dataclass
class _Fault:
    """One scripted fault waiting for a matching call."""

    method: str
    kind: str
    remaining: int
    chat_id: int | None
    retry_after: int
    delay: float


@dataclass
class _Window:
    """A sliding-window rate limit: at most `limit` accepted sends per `period` seconds per key."""

    limit: int
    period: float
    hits: dict[Any, deque[float]] = field(default_factory=dict)

    def wait(self, key: Any, now: float) -> float:
        """Seconds until one more send for key fits (0 when it fits now)."""
        q = self.hits.setdefault(key, deque())
        while q and q[0] <= now - self.period:
            q.popleft()
        return 0.0 if len(q) < self.limit else q[0] + self.period - now


def _window(rate: float | None, period: float) -> _Window | None:
    """A window of `period` seconds holding rate × period sends (rate per second)."""
    if not rate:
        return None
    count = rate * period
    return _Window(int(count), period) if count >= 1 else _Window(1, 1 / rate)


def _guess_chat_type(chat_id: int) -> str:
    if chat_id > 0:
        return "private"
    return "supergroup" if str(chat_id).startswith("-100") else "group"


def _image_size(data: bytes) -> tuple[int, int]:
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    return 1, 1


class FakeTelegram:
    """A local Bot API server plus the test-facing controls; async context manager or `with` (own thread)."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "duban_test_bot",
        bot_name: str = "督办测试机器人",
        accept_any_chat: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.host = host
        self.port = port
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user: JSON = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
        }
        self.accept_any_chat = accept_any_chat
        self.clock = clock
        self.counters: Counter[str] = Counter()
        self._lock = threading.RLock()
        self._chats: dict[int, _Chat] = {}
        self._messages: dict[tuple[int, int], JSON] = {}
        self._bot_sent: list[tuple[int, int]] = []
        self._updates: list[JSON] = []
        self._update_ids = itertools.count(10_001)
        self._query_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._files: dict[str, _File] = {}
        self._files_by_path: dict[str, _File] = {}
        self._queries: dict[str, JSON] = {}
        self._answers: list[JSON] = []
        self._calls: list[JSON] = []
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._allowed_updates: list[str] | None = None
        self._webhook: JSON | None = None
        self._scripted: list[_Fault] = []
        self._fault_rate = 0.0
        self._fault_kinds: tuple[str, ...] = FAULT_KINDS
        self._fault_methods: frozenset[str] = frozenset(SEND_METHODS)
        self._fault_retry_after = 1
        self._fault_delay = 6.0
        self._rng = random.Random(0)
        self._limits: list[tuple[str, _Window]] = []
        self._limit_methods: frozenset[str] = frozenset(SEND_METHODS)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._poller: asyncio.Future[str] | None = None
        self._closing: asyncio.Event | None = None
        self._webhook_wake: asyncio.Event | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None
        self._methods: dict[str, tuple[str, Callable[..., Any]]] = {}
        for name, handler in (
            ("getMe", self._get_me),
            ("getUpdates", self._get_updates),
            ("setWebhook", self._set_webhook),
            ("deleteWebhook", self._delete_webhook),
            ("getWebhookInfo", self._get_webhook_info),
            ("setMyCommands", self._set_my_commands),
            ("getMyCommands", self._get_my_commands),
            ("deleteMyCommands", self._delete_my_commands),
            ("sendMessage", self._send_message),
            ("sendDocument", self._send_document),
            ("sendPhoto", self._send_photo),
            ("editMessageText", self._edit_message_text),
            ("editMessageReplyMarkup", self._edit_message_reply_markup),
            ("deleteMessage", self._delete_message),
            ("answerCallbackQuery", self._answer_callback_query),
            ("getFile", self._get_file),
            ("getChat", self._get_chat),
            *((name, self._noop) for name in _NOOP_METHODS),
        ):
            self._methods[name.lower()] = (name, handler)

    # ------------------------------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        """Root URL of the server, e.g. http://127.0.0.1:43210."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What PTB's `base_url` wants (the token is appended by PTB)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """What PTB's `base_file_url` wants."""
        return f"{self.url}/file/bot"

    async def start(self) -> FakeTelegram:
        """Bind a free port on 127.0.0.1 and serve."""
        self._loop = asyncio.get_running_loop()
        self._closing = asyncio.Event()
        self._webhook_wake = asyncio.Event()
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        # handler_cancellation: a long poll whose client went away must not linger as a phantom poller.
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Answer pending long polls at once, cut faulty delays short and close the server."""
        if self._runner is None:
            return
        assert self._closing is not None
        self._closing.set()
        self._wake_now("closing")
        if self._webhook_task:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._webhook_task
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def start_in_thread(self, timeout: float = 10.0) -> FakeTelegram:
        """Serve from a background thread with its own event loop (for sync tests and subprocess bots)."""
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(self.start())
            except BaseException as exc:
                failure.append(exc)
                started.set()
                loop.close()
                return
            started.set()
            loop.run_forever()
            loop.run_until_complete(self.stop())
            loop.close()

        self._thread = threading.Thread(target=run, name="FakeTelegram", daemon=True)
        self._thread.start()
        if not started.wait(timeout):
            raise TimeoutError("FakeTelegram did not start")
        if failure:
            raise failure[0]
        return self

    def stop_thread(self, timeout: float = 10.0) -> None:
        """Stop a server started with start_in_thread."""
        if self._thread is None or self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        self._thread = None

    def __enter__(self) -> FakeTelegram:
        return self.start_in_thread()

    def __exit__(self, *exc: object) -> None:
        self.stop_thread()

    # ------------------------------------------------------------------------------------- acting as users

    def add_chat(self, chat_id: int, *, chat_type: str | None = None, title: str | None = None) -> JSON:
        """Make a chat known (as if it had talked to the bot before) without sending an update."""
        with self._lock:
            return self._chat(chat_id, chat_type, title).as_dict()

    def user_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        reply_to: int | None = None,
        chat_type: str | None = None,
        title: str | None = None,
    ) -> JSON:
        """A user writes text in a chat; commands get bot_command entities. Returns the Message dict."""
        fields: JSON = {"text": text}
        entities = [
            {"type": "bot_command", "offset": _u16(text[: m.start()]), "length": _u16(m.group())}
            for m in _COMMAND_RE.finditer(text)
        ]
        if entities:
            fields["entities"] = entities
        return self._user_post(
            chat_id, fields, user_id=user_id, reply_to=reply_to, chat_type=chat_type, title=title
        )

    def user_document(
        self,
        chat_id: int,
        filename: str,
        data: bytes,
        *,
        user_id: int | None = None,
        caption: str | None = None,
        mime_type: str | None = None,
        reply_to: int | None = None,
    ) -> JSON:
        """A user sends a file; the bot can fetch it with getFile + download. Returns the Message dict."""
        with self._lock:
            stored = self._store_file("documents", filename, mime_type or _mime_for(filename), data)
        fields: JSON = {"document": self._document_dict(stored)}
        if caption:
            fields["caption"] = caption
        return self._user_post(chat_id, fields, user_id=user_id, reply_to=reply_to)

    def press_button(
        self,
        chat_id: int,
        message_id: int,
        callback_data: str,
        *,
        user_id: int | None = None,
        check: bool = True,
    ) -> str:
        """A user presses an inline button; returns the callback query id. check=False allows forged data."""
        with self._lock:
            msg = self._messages.get((chat_id, message_id))
            if msg is None:
                raise ValueError(f"no message {message_id} in chat {chat_id}")
            if check and callback_data not in [data for _, data in self.buttons(msg)]:
                raise ValueError(f"message {message_id} has no button {callback_data!r}: {self.buttons(msg)}")
            chat = self._chats[chat_id]
            user = self._user(self._default_user(chat, user_id))
            query_id = str(4_000_000_000_000 + next(self._query_ids))
            query = {
                "id": query_id,
                "from": user,
                "chat_instance": str(7_000_000 + abs(chat_id)),
                "message": copy.deepcopy(msg),
                "data": callback_data,
            }
            self._queries[query_id] = query
            self._push({"callback_query": query})
        return query_id

    def migrate_group(self, old_chat_id: int, new_chat_id: int, *, user_id: int | None = None) -> None:
        """Upgrade a group to a supergroup: service messages in both chats; the old id then answers 400."""
        with self._lock:
            old = self._chat(old_chat_id, "group", None)
            new = self._chat(new_chat_id, "supergroup", old.title)
            user = self._user(self._default_user(old, user_id))
            self._push({"message": self._new_message(old, user, {"migrate_to_chat_id": new_chat_id})})
            self._push({"message": self._new_message(new, user, {"migrate_from_chat_id": old_chat_id})})
            old.migrated_to = new_chat_id

    def block(self, chat_id: int, *, notify: bool = False) -> None:
        """The user blocks the bot (or the group kicks it): later sends get 403. notify=True adds my_chat_member."""
        with self._lock:
            chat = self._chat(chat_id, None, None)
            chat.blocked = True
            if notify:
                member = {"user": self.bot_user}
                self._push(
                    {
                        "my_chat_member": {
                            "chat": chat.as_dict(),
                            "from": self._user(self._default_user(chat, None)),
                            "date": int(self.clock()),
                            "old_chat_member": {**member, "status": "member"},
                            "new_chat_member": {**member, "status": "kicked", "until_date": 0},
                        }
                    }
                )

    def unblock(self, chat_id: int) -> None:
        """Undo block()."""
        with self._lock:
            self._chat(chat_id, None, None).blocked = False

    def push_update(self, update: JSON) -> int:
        """Queue a raw update (any kind); returns its update_id."""
        with self._lock:
            return self._push(copy.deepcopy(update))

    # ----------------------------------------------------------------------------------------- inspection

    def sent(self, chat_id: int | None = None) -> list[JSON]:
        """Messages the bot sent, in order, as they are now (after edits; deleted ones left out)."""
        with self._lock:
            return [
                copy.deepcopy(self._messages[key])
                for key in self._bot_sent
                if key in self._messages and (chat_id is None or key[0] == chat_id)
            ]

    def calls(self, method: str | None = None) -> list[JSON]:
        """Every request: {"method", "params", "files", "time" (monotonic), "outcome" ("ok", "400", "fault:429"…)}."""
        with self._lock:
            return [copy.deepcopy(c) for c in self._calls if method is None or c["method"] == method]

    @property
    def callback_answers(self) -> list[JSON]:
        """answerCallbackQuery calls, each with the query's chat_id, message_id, data and user_id."""
        with self._lock:
            return copy.deepcopy(self._answers)

    @property
    def commands(self) -> list[JSON]:
        """Commands set for the default scope and no language."""
        return self.commands_for()

    def commands_for(self, scope_type: str = "default", language_code: str = "") -> list[JSON]:
        """Commands set for one scope type and language."""
        with self._lock:
            return copy.deepcopy(self._commands.get((scope_type, language_code), []))

    @property
    def webhook(self) -> JSON | None:
        """The setWebhook parameters in force, or None."""
        with self._lock:
            return copy.deepcopy(self._webhook)

    @property
    def too_many_requests(self) -> int:
        """How many 429 answers were given (rate limits and injected faults)."""
        return self.counters["limit_429"] + self.counters["fault_429"]

    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed by the bot."""
        with self._lock:
            return copy.deepcopy(self._updates)

    def sent_files(self, chat_id: int | None = None) -> list[JSON]:
        """Files the bot sent: {"chat_id", "message_id", "filename", "mime_type", "data", "caption"}."""
        out = []
        for msg in self.sent(chat_id):
            media = msg.get("document") or (msg.get("photo") or [None])[-1]
            if media:
                out.append(
                    {
                        "chat_id": msg["chat"]["id"],
                        "message_id": msg["message_id"],
                        "filename": media.get("file_name"),
                        "mime_type": media.get("mime_type"),
                        "data": self.file_bytes(media["file_id"]),
                        "caption": msg.get("caption"),
                    }
                )
        return out

    def file_bytes(self, file_id: str) -> bytes:
        """Content of a stored file."""
        with self._lock:
            return self._files[file_id].data

    def chat_info(self, chat_id: int) -> JSON:
        """The server's view of a chat: type, blocked, migrated_to, last_message_id."""
        with self._lock:
            chat = self._chats[chat_id]
            return {
                **chat.as_dict(),
                "blocked": chat.blocked,
                "migrated_to": chat.migrated_to,
                "last_message_id": chat.last_message_id,
            }

    @staticmethod
    def buttons(message: JSON) -> list[tuple[str, str]]:
        """(text, callback_data) of every inline button of a message, row by row."""
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        return [(b["text"], b["callback_data"]) for row in rows for b in row if "callback_data" in b]

    # -------------------------------------------------------------------------------------------- waiting

    async def wait_until(
        self,
        condition: Callable[[], T | Literal[False] | None],
        timeout: float = 5.0,
        what: str = "condition",
    ) -> T:
        """Poll condition until it returns something truthy; TimeoutError with what was sent otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} not met within {timeout}s; bot sent: {self._summary()}")
            await asyncio.sleep(0.01)

    async def wait_for(
        self,
        predicate: Callable[[JSON], bool] | None = None,
        *,
        chat_id: int | None = None,
        count: int = 1,
        after: int | None = None,
        timeout: float = 5.0,
    ) -> list[JSON]:
        """Wait until at least count sent messages match (chat, message_id > after, predicate); returns them."""
        return await self.wait_until(
            lambda: self._matching(predicate, chat_id, count, after), timeout, f"{count} matching message(s)"
        )

    def wait_for_sync(
        self,
        predicate: Callable[[JSON], bool] | None = None,
        *,
        chat_id: int | None = None,
        count: int = 1,
        after: int | None = None,
        timeout: float = 5.0,
    ) -> list[JSON]:
        """wait_for for synchronous code (server in its own thread)."""
        deadline = time.monotonic() + timeout
        while not (found := self._matching(predicate, chat_id, count, after)):
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{count} matching message(s) not sent within {timeout}s: {self._summary()}"
                )
            time.sleep(0.01)
        return found

    async def wait_for_answer(self, query_id: str, timeout: float = 5.0) -> JSON:
        """Wait for the bot's answerCallbackQuery to a press; returns the answer."""

        def answer() -> JSON | None:
            return next((a for a in self.callback_answers if a["callback_query_id"] == query_id), None)

        return await self.wait_until(answer, timeout, f"answer to callback query {query_id}")

    async def wait_for_calls(self, method: str, count: int = 1, timeout: float = 5.0) -> list[JSON]:
        """Wait until method was called at least count times; returns those calls."""
        return await self.wait_until(
            lambda: (found := self.calls(method)) and len(found) >= count and found,
            timeout,
            f"{count}× {method}",
        )

    def _matching(
        self, predicate: Callable[[JSON], bool] | None, chat_id: int | None, count: int, after: int | None
    ) -> list[JSON]:
        with self._lock:
            # Filter before copying: polled every 10 ms, possibly over thousands of messages.
            found = [
                copy.deepcopy(m)
                for key in self._bot_sent
                if (m := self._messages.get(key)) is not None
                and (chat_id is None or key[0] == chat_id)
                and (after is None or key[1] > after)
                and (predicate is None or predicate(m))
            ]
        return found if len(found) >= count else []

    def _summary(self) -> str:
        return repr(
            [(m["chat"]["id"], m["message_id"], (m.get("text") or "")[:60]) for m in self.sent()][-10:]
        )

    # --------------------------------------------------------------------------------------- faults, limits

    def faults(
        self,
        rate: float = 0.2,
        kinds: Iterable[str] = FAULT_KINDS,
        *,
        seed: int | None = 0,
        methods: Iterable[str] = SEND_METHODS,
        retry_after: int = 1,
        delay: float = 6.0,
    ) -> None:
        """Answer a random share of calls to methods with a fault; delay must exceed the client's read timeout."""
        kinds = tuple(kinds)
        unknown = set(kinds) - set(ALL_FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; known: {ALL_FAULT_KINDS}")
        with self._lock:
            self._fault_rate = rate
            self._fault_kinds = kinds
            self._fault_methods = frozenset(methods)
            self._fault_retry_after = retry_after
            self._fault_delay = delay
            self._rng = random.Random(seed)

    def fail_next(
        self,
        method: str,
        kind: str = "429",
        *,
        count: int = 1,
        chat_id: int | None = None,
        retry_after: int = 1,
        delay: float = 6.0,
    ) -> None:
        """Script a fault for the next count calls of method (optionally only to chat_id)."""
        if kind not in ALL_FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {ALL_FAULT_KINDS}")
        with self._lock:
            self._scripted.append(_Fault(method, kind, count, chat_id, retry_after, delay))

    def clear_faults(self) -> None:
        """No more random or scripted faults."""
        with self._lock:
            self._fault_rate = 0.0
            self._scripted.clear()

    def enforce_limits(
        self,
        global_per_s: float | None = 30,
        per_chat_per_s: float | None = 1,
        per_group_per_min: float | None = 20,
        *,
        methods: Iterable[str] = SEND_METHODS,
    ) -> None:
        """Answer 429 with retry_after when a send would exceed Telegram's limits (sliding windows)."""
        limits = [
            ("global", _window(global_per_s, 1.0)),
            ("chat", _window(per_chat_per_s, 1.0)),
            ("group", _window(per_group_per_min and per_group_per_min / 60, 60.0)),
        ]
        with self._lock:
            self._limits = [(scope, w) for scope, w in limits if w is not None]
            self._limit_methods = frozenset(methods)

    def clear_limits(self) -> None:
        """No rate enforcement."""
        with self._lock:
            self._limits = []

    def _draw_fault(self, method: str, params: JSON) -> _Fault | None:
        with self._lock:
            chat_id = params.get("chat_id")
            for fault in self._scripted:
                if fault.method == method and fault.chat_id in (None, chat_id):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._scripted.remove(fault)
                    return fault
            if self._fault_rate and method in self._fault_methods and self._rng.random() < self._fault_rate:
                kind = self._rng.choice(self._fault_kinds)
                return _Fault(method, kind, 1, None, self._fault_retry_after, self._fault_delay)
        return None

    def _admit(self, method: str, chat: _Chat) -> None:
        """Count one send against the limits or answer 429."""
        if not self._limits or method not in self._limit_methods:
            return
        now = time.monotonic()
        keys = {"global": "*", "chat": chat.id, "group": chat.id if chat.type != "private" else None}
        active = [(w, keys[scope]) for scope, w in self._limits if keys[scope] is not None]
        wait = max((w.wait(key, now) for w, key in active), default=0.0)
        if wait > 0:
            self.counters["limit_429"] += 1
            raise _too_many(max(1, math.ceil(wait)))
        for w, key in active:
            w.hits[key].append(now)

    # ------------------------------------------------------------------------------------------- plumbing

    def _chat(self, chat_id: int, chat_type: str | None, title: str | None) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = _Chat(chat_id, chat_type or _guess_chat_type(chat_id), title)
        elif title:
            chat.title = title
        return chat

    def _default_user(self, chat: _Chat, user_id: int | None) -> int:
        if chat.type == "private":
            if user_id not in (None, chat.id):
                raise ValueError(f"in private chat {chat.id} only user {chat.id} can write")
            return chat.id
        return user_id if user_id is not None else 10_001

    def _user(self, user_id: int) -> JSON:
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": f"用户{user_id}",
            "username": f"user{user_id}",
            "language_code": "zh-hans",
        }

    def _new_message(self, chat: _Chat, sender: JSON, fields: JSON) -> JSON:
        chat.last_message_id += 1
        msg: JSON = {
            "message_id": chat.last_message_id,
            "from": sender,
            "chat": chat.as_dict(),
            "date": int(self.clock()),
        }
        msg.update(fields)
        self._messages[(chat.id, msg["message_id"])] = msg
        return msg

    def _reply_copy(self, chat: _Chat, message_id: int) -> JSON | None:
        target = self._messages.get((chat.id, message_id))
        if target is None:
            return None
        return {k: copy.deepcopy(v) for k, v in target.items() if k != "reply_to_message"}

    def _user_post(
        self,
        chat_id: int,
        fields: JSON,
        *,
        user_id: int | None,
        reply_to: int | None,
        chat_type: str | None = None,
        title: str | None = None,
    ) -> JSON:
        with self._lock:
            chat = self._chat(chat_id, chat_type, title)
            if chat.migrated_to is not None:
                raise ValueError(f"chat {chat_id} was migrated to {chat.migrated_to}")
            if chat.type == "private":
                chat.blocked = False  # writing to the bot again means the user unblocked it
            if reply_to is not None:
                replied = self._reply_copy(chat, reply_to)
                if replied is None:
                    raise ValueError(f"no message {reply_to} in chat {chat_id} to reply to")
                fields = {**fields, "reply_to_message": replied}
            msg = self._new_message(chat, self._user(self._default_user(chat, user_id)), fields)
            self._push({"message": msg})
            return copy.deepcopy(msg)

    def _push(self, update: JSON) -> int:
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, **copy.deepcopy(update)})
        self._wake()
        return update_id

    def _wake(self) -> None:
        """Wake the long poll / webhook sender from whichever thread added an update."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake_now("update")
        else:
            loop.call_soon_threadsafe(self._wake_now, "update")

    def _wake_now(self, reason: str) -> None:
        if self._poller is not None and not self._poller.done():
            self._poller.set_result(reason)
        if self._webhook_wake is not None:
            self._webhook_wake.set()

    def _store_file(self, folder: str, name: str | None, mime_type: str | None, data: bytes) -> _File:
        n = next(self._file_ids)
        suffix = ("." + name.rsplit(".", 1)[1]) if name and "." in name else ""
        stored = _File(
            f"BQACAgFake{n:08d}", f"AgAD{n:06d}", f"{folder}/file_{n}{suffix}", name, mime_type, data
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    @staticmethod
    def _document_dict(stored: _File) -> JSON:
        doc: JSON = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if stored.file_name:
            doc["file_name"] = stored.file_name
        if stored.mime_type:
            doc["mime_type"] = stored.mime_type
        return doc

    # ---------------------------------------------------------------------------------------- HTTP layer

    async def _read_params(
        self, request: web.Request
    ) -> tuple[JSON, dict[str, tuple[str | None, str | None, bytes]]]:
        raw: dict[str, Any] = dict(request.query)
        files: dict[str, tuple[str | None, str | None, bytes]] = {}
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                return {**raw, **body}, files
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = (value.filename, value.content_type, value.file.read())
                else:
                    raw[key] = value
        params: JSON = {}
        for key, value in raw.items():
            if key in _STRING_PARAMS or not isinstance(value, str):
                params[key] = value
            else:
                try:
                    params[key] = json.loads(value)
                except ValueError:
                    params[key] = value
        return params, files

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _json_response(ApiError(401, "Unauthorized").body(), 401)
        name = request.match_info["method"]
        method, handler = self._methods.get(name.lower(), (name, None))
        params, files = await self._read_params(request)
        call: JSON = {
            "method": method,
            "params": params,
            "files": {k: v[0] for k, v in files.items()},
            "time": time.monotonic(),
            "outcome": None,
        }
        with self._lock:
            self._calls.append(call)
            self.counters["calls"] += 1
        if handler is None:
            call["outcome"] = "404"
            return _json_response(ApiError(404, "Not Found").body(), 404)
        fault = self._draw_fault(method, params)
        if fault is not None:
            call["outcome"] = f"fault:{fault.kind}"
            self.counters[f"fault_{fault.kind}"] += 1
            early = await self._fault_before(request, fault)
            if early is not None:
                return early
        try:
            result = handler(params, files)
            if inspect.isawaitable(result):
                result = await result
        except ApiError as err:
            call["outcome"] = call["outcome"] or str(err.code)
            return _json_response(err.body(), err.code)
        call["outcome"] = call["outcome"] or "ok"
        if fault is not None:
            return await self._fault_after(request, fault, result)
        return _json_response({"ok": True, "result": result}, 200)

    async def _fault_before(self, request: web.Request, fault: _Fault) -> web.StreamResponse | None:
        """Faults that reject the call unprocessed; None lets it through (for the "_after" kinds)."""
        if fault.kind == "429":
            return _json_response(_too_many(fault.retry_after).body(), 429)
        if fault.kind == "500":
            return _json_response(ApiError(500, "Internal Server Error").body(), 500)
        if fault.kind == "502":
            return web.Response(
                status=502, text="<html><body>502 Bad Gateway</body></html>", content_type="text/html"
            )
        if fault.kind == "timeout":
            await self._sleep(fault.delay)
            return self._drop(request)
        if fault.kind == "reset":
            return self._drop(request)
        return None

    async def _fault_after(self, request: web.Request, fault: _Fault, result: Any) -> web.StreamResponse:
        """The call was carried out; now lose the answer."""
        if fault.kind == "timeout_after":
            await self._sleep(fault.delay)
            return _json_response({"ok": True, "result": result}, 200)
        return self._drop(request)

    async def _sleep(self, seconds: float) -> None:
        assert self._closing is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    @staticmethod
    def _drop(request: web.Request) -> web.StreamResponse:
        """Close the connection without an answer (the client sees a reset/disconnect)."""
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=204)  # never reaches the client: the transport is gone

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _json_response(ApiError(401, "Unauthorized").body(), 401)
        with self._lock:
            stored = self._files_by_path.get(request.match_info["path"])
            self._calls.append(
                {
                    "method": "download",
                    "params": {"path": request.match_info["path"]},
                    "files": {},
                    "time": time.monotonic(),
                    "outcome": "ok" if stored else "404",
                }
            )
        if stored is None:
            return _json_response(ApiError(404, "Not Found").body(), 404)
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")

    # -------------------------------------------------------------------------------------- Bot API methods

    def _noop(self, params: JSON, files: Any) -> bool:
        return True

    def _get_me(self, params: JSON, files: Any) -> JSON:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _deliverable(self, limit: int) -> list[JSON]:
        allowed = self._allowed_updates
        out = []
        for update in self._updates:
            kind = next(k for k in update if k != "update_id")
            if (kind in allowed) if allowed else (kind not in _NOT_BY_DEFAULT):
                out.append(copy.deepcopy(update))
                if len(out) >= limit:
                    break
        return out

    async def _get_updates(self, params: JSON, files: Any) -> list[JSON]:
        assert self._loop is not None and self._closing is not None
        with self._lock:
            if self._webhook:
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            offset = int(params.get("offset") or 0)
            if offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            elif offset < 0:
                self._updates = self._updates[offset:]
            if isinstance(params.get("allowed_updates"), list):
                self._allowed_updates = params["allowed_updates"]
            limit = min(max(int(params.get("limit") or 100), 1), 100)
            batch = self._deliverable(limit)
        # A newer getUpdates ends the older one, as on Telegram (two pollers = two instances).
        if self._poller is not None and not self._poller.done():
            self._poller.set_result("conflict")
        timeout = float(params.get("timeout") or 0)
        if batch or timeout <= 0 or self._closing.is_set():
            return batch
        poller: asyncio.Future[str] = self._loop.create_future()
        self._poller = poller
        try:
            await asyncio.wait({poller}, timeout=timeout)
        finally:
            if self._poller is poller:
                self._poller = None
        if poller.done() and poller.result() == "conflict":
            self.counters["conflict_409"] += 1
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
            )
        with self._lock:
            return self._deliverable(limit)

    def _set_webhook(self, params: JSON, files: Any) -> bool:
        url = params.get("url") or ""
        with self._lock:
            if not url:
                self._webhook = None
                return True
            if not url.startswith(("http://", "https://")):
                raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
            self._webhook = {k: v for k, v in params.items()}
            if params.get("drop_pending_updates"):
                self._updates.clear()
            if isinstance(params.get("allowed_updates"), list):
                self._allowed_updates = params["allowed_updates"]
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._deliver_webhook())
        return True

    def _delete_webhook(self, params: JSON, files: Any) -> bool:
        with self._lock:
            self._webhook = None
            if params.get("drop_pending_updates"):
                self._updates.clear()
        return True

    def _get_webhook_info(self, params: JSON, files: Any) -> JSON:
        with self._lock:
            hook = self._webhook or {}
            info: JSON = {
                "url": hook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
            if hook.get("allowed_updates"):
                info["allowed_updates"] = hook["allowed_updates"]
            return info

    async def _deliver_webhook(self) -> None:
        """POST pending updates one by one to the webhook URL, like Telegram, retrying until accepted."""
        assert self._webhook_wake is not None
        async with ClientSession(timeout=ClientTimeout(total=10)) as session:
            while True:
                with self._lock:
                    hook = self._webhook
                    batch = self._deliverable(1) if hook else []
                if not hook:
                    return
                if not batch:
                    self._webhook_wake.clear()
                    await self._webhook_wake.wait()
                    continue
                update = batch[0]
                headers = {}
                if hook.get("secret_token"):
                    headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
                try:
                    async with session.post(hook["url"], json=update, headers=headers) as resp:
                        accepted = 200 <= resp.status < 300
                except Exception:
                    accepted = False
                with self._lock:
                    if accepted:
                        self._updates = [u for u in self._updates if u["update_id"] != update["update_id"]]
                    self.counters["webhook_ok" if accepted else "webhook_failed"] += 1
                if not accepted:
                    await asyncio.sleep(0.2)

    def _set_my_commands(self, params: JSON, files: Any) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad("commands must be an array")
        for cmd in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(cmd.get("command", ""))):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(cmd.get("description", ""))) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = (_scope_key(params.get("scope")), params.get("language_code") or "")
        with self._lock:
            self._commands[key] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
        return True

    def _get_my_commands(self, params: JSON, files: Any) -> list[JSON]:
        return self.commands_for(_scope_key(params.get("scope")), params.get("language_code") or "")

    def _delete_my_commands(self, params: JSON, files: Any) -> bool:
        with self._lock:
            self._commands.pop((_scope_key(params.get("scope")), params.get("language_code") or ""), None)
        return True

    def _get_chat(self, params: JSON, files: Any) -> JSON:
        with self._lock:
            chat = self._target(params, for_send=False)
            return {**chat.as_dict(), "accent_color_id": 0, "max_reaction_count": 11}

    def _target(self, params: JSON, *, for_send: bool = True) -> _Chat:
        """The chat a call addresses, or the error Telegram gives for it."""
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _bad("chat_id is empty")
        if isinstance(chat_id, str):
            raise _bad("chat not found")
        chat = self._chats.get(chat_id)
        if chat is None:
            if not self.accept_any_chat:
                raise _bad("chat not found")
            chat = self._chat(chat_id, None, None)
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        if chat.blocked and for_send:
            if chat.type == "private":
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        return chat

    def _format(
        self, params: JSON, key: str, limit: int, too_long: str, required: bool
    ) -> tuple[str, list[JSON]]:
        """Text (or caption) after parse_mode, with Telegram's emptiness and length checks."""
        raw = params.get(key)
        if raw is None or raw == "":
            if required:
                raise _bad("message text is empty")
            return "", []
        raw = str(raw)
        mode = params.get("parse_mode")
        if mode:
            parser = _PARSERS.get(str(mode).lower())
            if parser is None:
                raise _bad(f"unsupported parse_mode {mode!r}")
            text, entities = parser(raw)
        else:
            given = params.get(f"{'caption_' if key == 'caption' else ''}entities")
            entities = copy.deepcopy(given) if isinstance(given, list) else []
            text = raw if entities else raw.strip()
        if required and not text.strip():
            raise _bad("message text is empty")
        if len(text) > limit:
            raise _bad(too_long)
        return text, entities

    @staticmethod
    def _markup(params: JSON) -> JSON | None:
        """Validate reply_markup; only inline keyboards end up on the message, as on Telegram."""
        markup = params.get("reply_markup")
        if markup in (None, ""):
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if rows is None:
            return None
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise _bad('field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays')
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise _bad(
                        "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                    )
                if "callback_data" in button:
                    size = len(str(button["callback_data"]).encode())
                    if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                        raise _bad("BUTTON_DATA_INVALID")
                elif not any(
                    k in button
                    for k in (
                        "url",
                        "switch_inline_query",
                        "web_app",
                        "login_url",
                        "pay",
                        "switch_inline_query_current_chat",
                        "copy_text",
                        "callback_game",
                    )
                ):
                    raise _bad(
                        "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                    )
        return {"inline_keyboard": copy.deepcopy(rows)} if rows else None

    def _reply_to(self, chat: _Chat, params: JSON) -> JSON | None:
        spec = params.get("reply_parameters")
        if not isinstance(spec, dict):
            spec = (
                {"message_id": params["reply_to_message_id"]} if params.get("reply_to_message_id") else None
            )
        if not spec:
            return None
        replied = self._reply_copy(chat, int(spec.get("message_id", 0)))
        if replied is None and not (
            spec.get("allow_sending_without_reply") or params.get("allow_sending_without_reply")
        ):
            raise _bad("message to be replied not found")
        return replied

    def _bot_post(self, method: str, chat: _Chat, params: JSON, fields: JSON) -> JSON:
        """Common tail of the send methods: markup, reply, rate limits, store."""
        markup = self._markup(params)
        replied = self._reply_to(chat, params)
        self._admit(method, chat)
        if markup:
            fields["reply_markup"] = markup
        if replied:
            fields["reply_to_message"] = replied
        msg = self._new_message(chat, dict(self.bot_user), fields)
        self._bot_sent.append((chat.id, msg["message_id"]))
        return copy.deepcopy(msg)

    def _send_message(self, params: JSON, files: Any) -> JSON:
        with self._lock:
            chat = self._target(params)
            text, entities = self._format(params, "text", MAX_TEXT_LENGTH, "message is too long", True)
            fields: JSON = {"text": text}
            if entities:
                fields["entities"] = entities
            return self._bot_post("sendMessage", chat, params, fields)

    def _upload(
        self, params: JSON, files: dict[str, tuple[str | None, str | None, bytes]], key: str
    ) -> _File:
        """The file of a send call: a multipart upload or the file_id of a stored file."""
        if key in files:
            name, mime, data = files[key]
            if not data:
                raise _bad("file must be non-empty")
            return self._store_file(
                f"{key}s",
                name,
                mime if mime and mime != "application/octet-stream" else _mime_for(name),
                data,
            )
        ref = params.get(key)
        if isinstance(ref, str) and ref in self._files:
            return self._files[ref]
        if isinstance(ref, str) and ref.startswith(("http://", "https://")):
            raise _bad("failed to get HTTP URL content")
        raise _bad(f"there is no {key} in the request")

    def _media_fields(self, params: JSON) -> JSON:
        caption, entities = self._format(
            params, "caption", MAX_CAPTION_LENGTH, "message caption is too long", False
        )
        fields: JSON = {}
        if caption:
            fields["caption"] = caption
        if entities:
            fields["caption_entities"] = entities
        return fields

    def _send_document(self, params: JSON, files: Any) -> JSON:
        with self._lock:
            chat = self._target(params)
            fields = self._media_fields(params)
            stored = self._upload(params, files, "document")
            return self._bot_post(
                "sendDocument", chat, params, {"document": self._document_dict(stored), **fields}
            )

    def _send_photo(self, params: JSON, files: Any) -> JSON:
        with self._lock:
            chat = self._target(params)
            fields = self._media_fields(params)
            stored = self._upload(params, files, "photo")
            width, height = _image_size(stored.data)
            photo = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": len(stored.data),
                "width": width,
                "height": height,
            }
            return self._bot_post("sendPhoto", chat, params, {"photo": [photo], **fields})

    def _editable(self, params: JSON) -> JSON:
        if params.get("inline_message_id"):
            raise _bad("message to edit not found")
        chat = self._target(params)
        msg = self._messages.get((chat.id, int(params.get("message_id") or 0)))
        if msg is None:
            raise _bad("message to edit not found")
        if msg["from"]["id"] != self.bot_id:
            raise _bad("message can't be edited")
        return msg

    def _apply_edit(self, msg: JSON, changes: JSON, markup: JSON | None) -> JSON:
        new = {k: v for k, v in msg.items() if k not in ("reply_markup", "edit_date")}
        new.update(changes)
        for key in ("entities", "caption_entities"):
            if not new.get(key):
                new.pop(key, None)
        if markup:
            new["reply_markup"] = markup
        old = {k: v for k, v in msg.items() if k != "edit_date"}
        if new == old:
            raise _bad(
                "message is not modified: specified new message content and reply markup are exactly the same "
                "as a current content and reply markup of the message"
            )
        new["edit_date"] = int(self.clock())
        msg.clear()
        msg.update(new)
        return copy.deepcopy(msg)

    def _edit_message_text(self, params: JSON, files: Any) -> JSON:
        with self._lock:
            msg = self._editable(params)
            if "text" not in msg:
                raise _bad("there is no text in the message to edit")
            text, entities = self._format(params, "text", MAX_TEXT_LENGTH, "message is too long", True)
            # Like Telegram: an edit without reply_markup removes the inline keyboard.
            return self._apply_edit(msg, {"text": text, "entities": entities}, self._markup(params))

    def _edit_message_reply_markup(self, params: JSON, files: Any) -> JSON:
        with self._lock:
            msg = self._editable(params)
            return self._apply_edit(msg, {}, self._markup(params))

    def _delete_message(self, params: JSON, files: Any) -> bool:
        with self._lock:
            chat = self._target(params, for_send=False)
            if self._messages.pop((chat.id, int(params.get("message_id") or 0)), None) is None:
                raise _bad("message to delete not found")
            return True

    def _answer_callback_query(self, params: JSON, files: Any) -> bool:
        with self._lock:
            query = self._queries.get(str(params.get("callback_query_id")))
            if query is None:
                raise _bad("query is too old and response timeout expired or query ID is invalid")
            if any(a["callback_query_id"] == query["id"] for a in self._answers):
                raise _bad("query is too old and response timeout expired or query ID is invalid")
            if len(str(params.get("text") or "")) > 200:
                raise _bad("MESSAGE_TOO_LONG")
            self._answers.append(
                {
                    "callback_query_id": query["id"],
                    "text": params.get("text"),
                    "show_alert": bool(params.get("show_alert")),
                    "url": params.get("url"),
                    "cache_time": params.get("cache_time"),
                    "data": query["data"],
                    "chat_id": query["message"]["chat"]["id"],
                    "message_id": query["message"]["message_id"],
                    "user_id": query["from"]["id"],
                }
            )
            return True

    def _get_file(self, params: JSON, files: Any) -> JSON:
        with self._lock:
            stored = self._files.get(str(params.get("file_id")))
            if stored is None:
                raise _bad("invalid file_id")
            if len(stored.data) > MAX_DOWNLOAD_BYTES:
                raise _bad("file is too big")
            return {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": len(stored.data),
                "file_path": stored.file_path,
            }


def _mime_for(filename: str | None) -> str | None:
    import mimetypes

    return mimetypes.guess_type(filename or "")[0] if filename else None


def _json_response(body: JSON, status: int) -> web.Response:
    return web.Response(
        status=status, text=json.dumps(body, ensure_ascii=False), content_type="application/json"
    )


async def _serve_forever(port: int) -> None:
    async with FakeTelegram(port=port, accept_any_chat=True) as fake:
        print(f"base_url={fake.base_url} base_file_url={fake.base_file_url} token={fake.token}", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    import sys

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_forever(int(sys.argv[1]) if len(sys.argv) > 1 else 8081))
