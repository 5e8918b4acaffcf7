"""The local Bot API server, driven by PTB's real Bot and Application over HTTP."""

from __future__ import annotations

import asyncio
import json
import ssl
import time
import urllib.request
from datetime import timedelta

import pytest
from aiohttp import web
from botapi import ApiError, FakeTelegram, parse_html, parse_markdown, parse_markdown_v2
from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest

pytestmark = pytest.mark.filterwarnings("ignore:.*attribute `retry_after` will be of type")

USER = 4201
GROUP = -4202
# One CA bundle load for every test bot: httpx builds a fresh SSL context per client otherwise (~70 ms each).
_TLS = ssl.create_default_context()


def _request() -> HTTPXRequest:
    return HTTPXRequest(connect_timeout=1, read_timeout=1, write_timeout=1, httpx_kwargs={"verify": _TLS})


def _bot(fake: FakeTelegram) -> Bot:
    return Bot(
        fake.token,
        base_url=fake.base_url,
        base_file_url=fake.base_file_url,
        request=_request(),
        get_updates_request=_request(),
    )


def _keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(f"✅ {d}", callback_data=d)] for d in data])


def _message(update: Update) -> Message:
    assert update.message is not None
    return update.message


def _query(update: Update) -> CallbackQuery:
    assert update.callback_query is not None
    return update.callback_query


@pytest.fixture
async def tg():
    async with FakeTelegram() as fake:
        fake.add_chat(USER)
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram):
    async with _bot(tg) as b:
        yield b


async def test_get_me_reports_the_bot_of_the_token(tg: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (tg.bot_id, True, "duban_test_bot")


async def test_wrong_token_is_unauthorized(tg: FakeTelegram) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("1:wrong", base_url=tg.base_url, request=_request(), get_updates_request=_request()):
            pass


async def test_send_then_edit_keeps_state_and_counts_ids_per_chat(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_chat(GROUP)
    first = await bot.send_message(
        USER, "<b>今日到期</b>\n1. 某项工作", parse_mode="HTML", reply_markup=_keyboard("d:1")
    )
    second = await bot.send_message(USER, "第二条")
    other = await bot.send_message(GROUP, "群里第一条")
    assert (first.message_id, second.message_id, other.message_id) == (1, 2, 1)
    assert first.text == "今日到期\n1. 某项工作" and first.entities[0].type == "bold"
    assert first.from_user is not None
    assert first.from_user.id == tg.bot_id and first.chat.id == USER

    edited = await bot.edit_message_text("✅ 已完成", USER, first.message_id, reply_markup=_keyboard("u:1"))
    assert isinstance(edited, Message) and edited.edit_date is not None
    [now] = [m for m in tg.sent(USER) if m["message_id"] == first.message_id]
    assert now["text"] == "✅ 已完成" and tg.buttons(now) == [("✅ u:1", "u:1")]
    assert [m["text"] for m in tg.sent(GROUP)] == ["群里第一条"]


async def test_edit_without_markup_removes_the_keyboard_like_telegram(tg: FakeTelegram, bot: Bot) -> None:
    msg = await bot.send_message(USER, "带按钮", reply_markup=_keyboard("d:1"))
    await bot.edit_message_text("不带按钮", USER, msg.message_id)
    assert "reply_markup" not in tg.sent(USER)[0]


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (
            lambda b, mid: b.edit_message_text("原文", USER, mid, reply_markup=_keyboard("d:1")),
            "not modified",
        ),
        (
            lambda b, mid: b.edit_message_reply_markup(USER, mid, reply_markup=_keyboard("d:1")),
            "not modified",
        ),
        (lambda b, mid: b.edit_message_text("新文", USER, mid + 99), "Message to edit not found"),
        (lambda b, mid: b.send_message(999, "x"), "Chat not found"),
        (lambda b, mid: b.send_message(USER, "   "), "Message text is empty"),
        (lambda b, mid: b.send_message(USER, "x", reply_markup=_keyboard("d" * 65)), "Button_data_invalid"),
        (lambda b, mid: b.send_message(USER, "a < b", parse_mode="HTML"), 'unsupported start tag ""'),
        (lambda b, mid: b.send_message(USER, "<b>x", parse_mode="HTML"), "find end tag"),
        (
            lambda b, mid: b.send_message(USER, "1. 项目", parse_mode="MarkdownV2"),
            r"(?i)character '\.' is reserved",
        ),
        (
            lambda b, mid: b.send_message(USER, "回复", reply_parameters=ReplyParameters(mid + 50)),
            "Message to be replied not found",
        ),
    ],
    ids=[
        "same-text",
        "same-markup",
        "edit-missing",
        "unknown-chat",
        "empty",
        "long-data",
        "bare-lt",
        "unclosed",
        "md2-dot",
        "reply-missing",
    ],
)
async def test_bad_requests_carry_telegrams_description(tg: FakeTelegram, bot: Bot, call, error: str) -> None:
    msg = await bot.send_message(USER, "原文", reply_markup=_keyboard("d:1"))
    with pytest.raises(BadRequest, match=error):
        await call(bot, msg.message_id)


@pytest.mark.parametrize(
    ("text", "parse_mode", "ok"),
    [
        ("字" * 4096, None, True),
        ("字" * 4097, None, False),
        ("a" * 4097, None, False),
        # the limit applies after entity parsing: markup does not count
        ("<b>" + "字" * 4096 + "</b>", "HTML", True),
        ("&lt;" * 4096, "HTML", True),
        ("&lt;" * 4097, "HTML", False),
    ],
    ids=["4096", "4097", "ascii-4097", "html-markup-free", "html-escapes-4096", "html-escapes-4097"],
)
async def test_text_length_limit_is_4096_after_parsing(
    bot: Bot, text: str, parse_mode: str | None, ok: bool
) -> None:
    if ok:
        sent = (await bot.send_message(USER, text, parse_mode=parse_mode)).text
        assert sent is not None and len(sent) == 4096
    else:
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(USER, text, parse_mode=parse_mode)


async def test_reply_to_a_user_message_and_to_a_missing_one_allowed(tg: FakeTelegram, bot: Bot) -> None:
    asked = tg.user_message(USER, "完成 3")
    answer = await bot.send_message(USER, "好的", reply_parameters=ReplyParameters(asked["message_id"]))
    assert answer.reply_to_message is not None and answer.reply_to_message.text == "完成 3"
    lenient = ReplyParameters(asked["message_id"] + 40, allow_sending_without_reply=True)
    assert (await bot.send_message(USER, "照发", reply_parameters=lenient)).reply_to_message is None


async def test_inline_keyboard_round_trip(tg: FakeTelegram, bot: Bot) -> None:
    msg = await bot.send_message(USER, "1. 某项工作", reply_markup=_keyboard("d:7", "d:8"))
    query_id = tg.press_button(USER, msg.message_id, "d:8")
    [update] = await bot.get_updates(timeout=1)
    query = _query(update)
    assert query.message is not None
    assert query.data == "d:8" and query.message.message_id == msg.message_id
    assert query.from_user.id == USER
    await query.answer("已标记完成")
    answer = await tg.wait_for_answer(query_id)
    assert (answer["text"], answer["data"], answer["chat_id"], answer["user_id"]) == (
        "已标记完成",
        "d:8",
        USER,
        USER,
    )
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await query.answer("again")


async def test_press_button_refuses_missing_buttons_unless_forged(tg: FakeTelegram, bot: Bot) -> None:
    msg = await bot.send_message(USER, "x", reply_markup=_keyboard("d:1"))
    with pytest.raises(ValueError, match="no button"):
        tg.press_button(USER, msg.message_id, "d:2")
    tg.press_button(USER, msg.message_id, "d:2", check=False)
    [update] = await bot.get_updates()
    assert _query(update).data == "d:2"


@pytest.mark.parametrize(
    ("chat_id", "chat_type", "error"),
    [
        (USER, None, "bot was blocked by the user"),
        (GROUP, None, "bot was kicked from the group chat"),
        (-1004203, None, "bot was kicked from the supergroup chat"),
    ],
)
async def test_blocked_chat_answers_forbidden(
    tg: FakeTelegram, bot: Bot, chat_id: int, chat_type: str | None, error: str
) -> None:
    tg.add_chat(chat_id, chat_type=chat_type)
    await bot.send_message(chat_id, "之前能发")
    tg.block(chat_id)
    with pytest.raises(Forbidden, match=error):
        await bot.send_message(chat_id, "之后不能")
    tg.unblock(chat_id)
    await bot.send_message(chat_id, "解除后又能发")


async def test_a_user_writing_again_has_unblocked_the_bot(tg: FakeTelegram, bot: Bot) -> None:
    tg.block(USER)
    with pytest.raises(Forbidden):
        await bot.send_message(USER, "被屏蔽")
    tg.user_message(USER, "/start")
    assert (await bot.send_message(USER, "又能发了")).text == "又能发了"


async def test_block_with_notify_sends_my_chat_member(tg: FakeTelegram, bot: Bot) -> None:
    tg.block(USER, notify=True)
    [update] = await bot.get_updates(allowed_updates=["message", "my_chat_member"])
    assert update.my_chat_member is not None
    assert update.my_chat_member.new_chat_member.status == "kicked"


async def test_group_migration_gives_service_messages_and_chat_migrated(tg: FakeTelegram, bot: Bot) -> None:
    tg.user_message(GROUP, "/subscribe 区教育局", user_id=USER)
    tg.migrate_group(GROUP, -1009999)
    updates = await bot.get_updates()
    assert [_message(u).migrate_to_chat_id for u in updates] == [None, -1009999, None]
    migrated = _message(updates[2])
    assert migrated.migrate_from_chat_id == GROUP and migrated.chat.type == "supergroup"
    with pytest.raises(ChatMigrated) as err:
        await bot.send_message(GROUP, "旧群")
    assert err.value.new_chat_id == -1009999
    assert (await bot.send_message(-1009999, "新群")).chat.id == -1009999


async def test_user_command_has_bot_command_entity_and_offsets_are_utf16(tg: FakeTelegram, bot: Bot) -> None:
    tg.user_message(USER, "😀 /done@duban_test_bot 3")
    [update] = await bot.get_updates()
    [entity] = _message(update).entities
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 3, 20)
    assert _message(update).parse_entity(entity) == "/done@duban_test_bot"


async def test_updates_are_confirmed_by_offset(tg: FakeTelegram, bot: Bot) -> None:
    for text in ("一", "二", "三"):
        tg.user_message(USER, text)
    updates = await bot.get_updates(limit=2)
    assert [_message(u).text for u in updates] == ["一", "二"]
    rest = await bot.get_updates(offset=updates[-1].update_id + 1)
    assert [_message(u).text for u in rest] == ["三"]
    assert [u["message"]["text"] for u in tg.pending_updates()] == ["三"]


async def test_long_poll_wakes_on_a_new_update(tg: FakeTelegram, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    tg.user_message(USER, "来了")
    [update] = await poll
    assert _message(update).text == "来了" and time.monotonic() - started < 0.5


async def test_stop_ends_a_pending_long_poll_at_once() -> None:
    fake = await FakeTelegram().start()
    async with _bot(fake) as b:
        poll = asyncio.create_task(b.get_updates(timeout=30, read_timeout=35))
        await asyncio.sleep(0.1)
        started = time.monotonic()
        await fake.stop()
        assert await poll == ()
        assert time.monotonic() - started < 1.5


async def test_second_instance_terminates_the_first_poll_with_conflict(tg: FakeTelegram, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    async with _bot(tg) as other_instance:
        second = asyncio.create_task(other_instance.get_updates(timeout=5))
        await asyncio.sleep(0.1)
        tg.user_message(USER, "给后来者")
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await first
        assert [_message(u).text for u in await second] == ["给后来者"]
    assert tg.counters["conflict_409"] == 1


async def test_document_both_ways(tg: FakeTelegram, bot: Bot) -> None:
    payload = "2025年政务公开工作要点\n一、某项任务".encode()
    tg.user_document(USER, "要点.txt", payload, caption="导入")
    [update] = await bot.get_updates()
    doc = _message(update).document
    assert doc is not None
    assert (doc.file_name, doc.mime_type, doc.file_size, _message(update).caption) == (
        "要点.txt",
        "text/plain",
        len(payload),
        "导入",
    )
    file = await bot.get_file(doc.file_id)
    assert file.file_path is not None and file.file_path.startswith(tg.base_file_url)
    assert bytes(await file.download_as_bytearray()) == payload

    sent = await bot.send_document(USER, b"col1,col2\n", filename="tasks.csv", caption="导出")
    assert sent.document is not None and sent.document.file_name == "tasks.csv"
    [record] = tg.sent_files(USER)
    assert (record["filename"], record["data"], record["caption"]) == ("tasks.csv", b"col1,col2\n", "导出")
    again = await bot.send_document(USER, sent.document.file_id)
    assert again.document is not None and again.document.file_id == sent.document.file_id


async def test_send_photo_records_the_upload(tg: FakeTelegram, bot: Bot) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (640).to_bytes(4, "big") + (480).to_bytes(4, "big")
    msg = await bot.send_photo(USER, png, caption="图")
    assert (msg.photo[-1].width, msg.photo[-1].height) == (640, 480)
    assert tg.sent_files(USER)[0]["data"] == png


async def test_commands_round_trip_per_scope(tg: FakeTelegram, bot: Bot) -> None:
    from telegram import BotCommand, BotCommandScopeAllGroupChats

    await bot.set_my_commands([BotCommand("subscribe", "订阅单位"), BotCommand("tasks", "查看待办")])
    await bot.set_my_commands([BotCommand("mine", "我的单位")], scope=BotCommandScopeAllGroupChats())
    assert tg.commands == [
        {"command": "subscribe", "description": "订阅单位"},
        {"command": "tasks", "description": "查看待办"},
    ]
    assert [c.command for c in await bot.get_my_commands()] == ["subscribe", "tasks"]
    assert tg.commands_for("all_group_chats") == [{"command": "mine", "description": "我的单位"}]
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Subscribe", "大写不行")])


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("429", RetryAfter),
        ("500", NetworkError),
        ("502", NetworkError),
        ("reset", NetworkError),
        ("timeout", TimedOut),
    ],
)
async def test_scripted_fault_reaches_ptb_as_its_error_and_nothing_is_sent(
    tg: FakeTelegram, bot: Bot, kind: str, error: type[Exception]
) -> None:
    tg.fail_next("sendMessage", kind, delay=0.6)
    with pytest.raises(error):
        await bot.send_message(USER, "第一次", read_timeout=0.3)
    await bot.send_message(USER, "重试")
    assert [m["text"] for m in tg.sent(USER)] == ["重试"]
    assert [c["outcome"] for c in tg.calls("sendMessage")] == [f"fault:{kind}", "ok"]
    assert tg.counters[f"fault_{kind}"] == 1


@pytest.mark.parametrize(("kind", "error"), [("reset_after", NetworkError), ("timeout_after", TimedOut)])
async def test_after_faults_deliver_but_lose_the_answer(
    tg: FakeTelegram, bot: Bot, kind: str, error: type[Exception]
) -> None:
    tg.fail_next("sendMessage", kind, delay=0.6)
    with pytest.raises(error):
        await bot.send_message(USER, "其实发出去了", read_timeout=0.3)
    assert [m["text"] for m in tg.sent(USER)] == ["其实发出去了"]


async def test_fail_next_can_target_one_chat(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_chat(GROUP)
    tg.fail_next("sendMessage", "429", chat_id=GROUP, retry_after=3)
    await bot.send_message(USER, "不受影响")
    with pytest.raises(RetryAfter) as err:
        await bot.send_message(GROUP, "受影响")
    assert err.value.retry_after in (3, pytest.approx(3))


async def test_random_faults_are_reproducible_with_a_seed(tg: FakeTelegram, bot: Bot) -> None:
    async def outcomes(seed: int) -> list[str]:
        tg.faults(rate=0.5, kinds=("429", "500"), seed=seed)
        result = []
        for i in range(20):
            try:
                await bot.send_message(USER, f"第{i}条")
                result.append("ok")
            except RetryAfter:
                result.append("429")
            except NetworkError:
                result.append("500")
        return result

    first, second = await outcomes(7), await outcomes(7)
    assert first == second and {"ok", "429", "500"} == set(first)
    tg.clear_faults()
    await bot.send_message(USER, "恢复")


async def test_rate_limits_answer_429_with_retry_after(tg: FakeTelegram, bot: Bot) -> None:
    chats = [5001, 5002, 5003, 5004]
    for chat in chats:
        tg.add_chat(chat)
    tg.enforce_limits(global_per_s=3, per_chat_per_s=1)
    await bot.send_message(chats[0], "一")
    with pytest.raises(RetryAfter) as err:
        await bot.send_message(chats[0], "同一会话一秒内第二条")
    assert err.value.retry_after in (1, pytest.approx(1))
    await bot.send_message(chats[1], "二")
    await bot.send_message(chats[2], "三")
    with pytest.raises(RetryAfter):
        await bot.send_message(chats[3], "全局第四条")
    assert tg.too_many_requests == tg.counters["limit_429"] == 2
    tg.clear_limits()
    await bot.send_message(chats[3], "不限了")


async def test_group_limit_is_per_minute(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_chat(GROUP)
    tg.enforce_limits(global_per_s=None, per_chat_per_s=None, per_group_per_min=2)
    await bot.send_message(GROUP, "一")
    await bot.send_message(GROUP, "二")
    with pytest.raises(RetryAfter) as err:
        await bot.send_message(GROUP, "三")
    retry_after = err.value.retry_after  # seconds, or a timedelta once PTB_TIMEDELTA is set
    assert 55 <= (retry_after.total_seconds() if isinstance(retry_after, timedelta) else retry_after) <= 60
    await bot.send_message(USER, "私聊不受群组限制")


async def test_application_polls_replies_to_a_command_and_a_button(tg: FakeTelegram) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(
            f"你好 {context.args}", reply_markup=_keyboard("d:1"), do_quote=True
        )

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = _query(update)
        await query.answer("收到")
        await query.edit_message_text(f"按了 {query.data}")

    app = (
        ApplicationBuilder()
        .token(tg.token)
        .base_url(tg.base_url)
        .base_file_url(tg.base_file_url)
        .get_updates_read_timeout(2)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    assert app.updater is not None
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        asked = tg.user_message(USER, "/start 区教育局")
        [reply] = await tg.wait_for(
            lambda m: m["text"].startswith("你好"), chat_id=USER, after=asked["message_id"]
        )
        assert (
            reply["text"] == "你好 ['区教育局']"
            and reply["reply_to_message"]["message_id"] == asked["message_id"]
        )
        query_id = tg.press_button(USER, reply["message_id"], "d:1")
        assert (await tg.wait_for_answer(query_id))["text"] == "收到"
        await tg.wait_for(lambda m: m["text"] == "按了 d:1", chat_id=USER)
    finally:
        started = time.monotonic()
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        stop_seconds = time.monotonic() - started
    assert stop_seconds < 1.0
    assert tg.pending_updates() == [] and tg.counters["conflict_409"] == 0
    assert {c["method"] for c in tg.calls()} >= {"getMe", "deleteWebhook", "getUpdates", "sendMessage"}


async def test_webhook_delivery_with_secret_token(tg: FakeTelegram, bot: Bot) -> None:
    received: list[tuple[str | None, dict]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()
        tg.user_message(USER, "经由 webhook")
        await tg.wait_until(lambda: received, what="webhook delivery")
        assert received[0][0] == "s3cret" and received[0][1]["message"]["text"] == "经由 webhook"
        assert (await bot.get_webhook_info()).url.endswith("/hook")
        await bot.delete_webhook()
        assert tg.webhook is None
    finally:
        await runner.cleanup()


def test_threaded_server_serves_plain_synchronous_code() -> None:
    with FakeTelegram(accept_any_chat=True) as fake:
        body = json.dumps({"chat_id": 77, "text": "同步发送"}).encode()
        request = urllib.request.Request(
            f"{fake.base_url}{fake.token}/sendMessage", body, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            answer = json.load(response)
        assert answer["ok"] and answer["result"]["chat"]["id"] == 77
        assert [m["text"] for m in fake.wait_for_sync(chat_id=77)] == ["同步发送"]
        fake.user_message(77, "线程外注入")
        assert fake.pending_updates()[0]["message"]["text"] == "线程外注入"


@pytest.mark.parametrize(
    ("source", "text", "entities"),
    [
        ("<b>粗</b>体", "粗体", [("bold", 0, 1)]),
        ("<i>a<b>b</b></i>", "ab", [("italic", 0, 2), ("bold", 1, 1)]),
        ('<a href="https://x.cn/?a=1&amp;b=2">链接</a>', "链接", [("text_link", 0, 2)]),
        ("&lt;不是标签&gt; &amp; &quot;", '<不是标签> & "', []),
        ("😀<u>x</u>", "😀x", [("underline", 2, 1)]),
        ('<pre><code class="language-python">x = 1</code></pre>', "x = 1", [("pre", 0, 5)]),
        ('<span class="tg-spoiler">秘</span>', "秘", [("spoiler", 0, 1)]),
        ("  <b>尾部空白  </b>  ", "尾部空白", [("bold", 0, 4)]),
        ("&nbsp;未知实体保留", "&nbsp;未知实体保留", []),
    ],
)
def test_parse_html(source: str, text: str, entities: list[tuple[str, int, int]]) -> None:
    plain, found = parse_html(source)
    assert plain == text
    assert [(e["type"], e["offset"], e["length"]) for e in found] == entities


@pytest.mark.parametrize(
    ("parser", "source", "error"),
    [
        (parse_html, "<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        (parse_html, "好<b>x</i>", 'Unmatched end tag at byte offset 7, expected "</b>", found "</i>"'),
        (parse_html, "<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        (parse_html, "x</b>", "Unexpected end tag at byte offset 1"),
        (parse_html, "<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        (
            parse_markdown_v2,
            "完成 3!",
            "Character '!' is reserved and must be escaped with the preceding '\\'",
        ),
        (parse_markdown_v2, "*粗", "Can't find end of Bold entity at byte offset 0"),
        (parse_markdown, "*粗", "Can't find end of the entity starting at byte offset 0"),
    ],
)
def test_parse_errors_use_telegrams_wording(parser, source: str, error: str) -> None:
    with pytest.raises(ApiError) as err:
        parser(source)
    assert err.value.code == 400 and err.value.description == f"Bad Request: can't parse entities: {error}"


@pytest.mark.parametrize(
    ("source", "text", "entities"),
    [
        (
            "*粗* _斜_ __下__ ~删~ ||隐||",
            "粗 斜 下 删 隐",
            [
                ("bold", 0, 1),
                ("italic", 2, 1),
                ("underline", 4, 1),
                ("strikethrough", 6, 1),
                ("spoiler", 8, 1),
            ],
        ),
        ("第 1\\. 项 \\(截至 6\\-30\\)", "第 1. 项 (截至 6-30)", []),
        ("[文档](https://x.cn/a\\)b)", "文档", [("text_link", 0, 2)]),
        ("`code_*`", "code_*", [("code", 0, 6)]),
        ("*粗 _斜_*", "粗 斜", [("bold", 0, 3), ("italic", 2, 1)]),
        (">引用一\n>引用二\n正文", "引用一\n引用二\n正文", [("blockquote", 0, 7)]),
    ],
)
def test_parse_markdown_v2(source: str, text: str, entities: list[tuple[str, int, int]]) -> None:
    plain, found = parse_markdown_v2(source)
    assert plain == text
    assert [(e["type"], e["offset"], e["length"]) for e in found] == entities
