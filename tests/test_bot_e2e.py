"""The bot end to end: PTB's real Application long-polls a local Bot API server; the tests act as officers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from bot_harness import (
    AFTER_DIGEST,
    BEFORE_DIGEST,
    TODAY,
    Clock,
    import_plan,
    long_plan,
    make_context,
    running,
    say,
    settle,
    unit_id,
)
from botapi import FakeTelegram
from loguru import logger
from sqlmodel import col, select
from telegram.ext import Application

from bot import texts
from bot.oversight import EXTEND_USAGE, PROGRESS_USAGE
from core.digest import done_callback, make_callback
from duban.context import AppContext
from jobs.digest import deliver_digests
from storage import subscriptions
from storage.db import session_scope
from storage.models import CompletionRow, SubscriptionRow, UnitRow

pytestmark = pytest.mark.slow  # the bot end to end against the local Bot API server

OFFICER = 5101  # private chat with an officer of 区教育局
OTHER = 5102  # private chat with an officer of 区财政局
ADMIN = 5900


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        for chat in (OFFICER, OTHER, ADMIN):
            server.add_chat(chat)
        yield server


@pytest.fixture
def ctx(tmp_path: Path, fake: FakeTelegram) -> AppContext:
    context = make_context(tmp_path, fake)
    import_plan(context)
    return context


@pytest.fixture
def clock() -> Clock:
    return Clock(BEFORE_DIGEST)


@pytest.fixture
async def app(ctx: AppContext, fake: FakeTelegram, clock: Clock) -> AsyncIterator[Application]:
    async with running(ctx, fake, clock) as application:
        yield application


def statuses(ctx: AppContext, chat_id: int) -> dict[str, str]:
    with session_scope(ctx.engine) as s:
        rows = s.exec(
            select(SubscriptionRow, UnitRow)
            .join(UnitRow, col(UnitRow.id) == col(SubscriptionRow.unit_id))
            .where(SubscriptionRow.chat_id == chat_id)
        ).all()
        return {unit.name: sub.status for sub, unit in rows}


def done_pairs(ctx: AppContext) -> set[tuple[int, int]]:
    with session_scope(ctx.engine) as s:
        return {(c.task_id, c.unit_id) for c in s.exec(select(CompletionRow))}


async def subscribe(fake: FakeTelegram, chat: int, unit: str) -> None:
    answer = await say(fake, chat, f"/subscribe {unit}")
    assert answer["text"].startswith("已订阅"), answer["text"]


async def edited(fake: FakeTelegram, chat: int, message_id: int, done_lines: int) -> dict:
    """The bot message once it shows done_lines items with ✅ (edits come after the answer)."""

    def current() -> dict | None:
        message = next(m for m in fake.sent(chat) if m["message_id"] == message_id)
        marked = sum(line.startswith("✅ #") for line in message["text"].splitlines())
        return message if marked == done_lines else None

    return await fake.wait_until(current, what=f"{done_lines} ✅ in message {message_id}")


async def digest_message(app: Application, ctx: AppContext, fake: FakeTelegram, chat: int) -> dict:
    report = await deliver_digests(app.bot, ctx, day=TODAY, clock=lambda: AFTER_DIGEST, chat_ids=[chat])
    [message_id] = report.sent[chat]
    return next(m for m in fake.sent(chat) if m["message_id"] == message_id)


# ----------------------------------------------------------------------------------------------- start-up


async def test_commands_are_registered_in_chinese_and_help_lists_them(
    app: Application, fake: FakeTelegram
) -> None:
    assert [c["command"] for c in fake.commands] == [name for name, _ in texts.COMMANDS]
    assert all("\u4e00" <= c["description"][0] <= "\u9fff" for c in fake.commands)
    answer = await say(fake, OFFICER, "/help")
    assert all(f"/{name}" in answer["text"] for name in ("subscribe", "unsubscribe", "mine", "tasks", "done"))
    assert (await say(fake, OFFICER, "/start"))["text"].startswith("你好")


# -------------------------------------------------------------------------------------------- subscribing


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("区教育局", "已订阅「区教育局」"),  # exact
        ("区教委", "已订阅「区教育局」"),  # alias from the directory
        ("教育", "已订阅「区教育局」"),  # fuzzy: the only unit containing it
        ("区财正局", "已订阅「区财政局」"),  # fuzzy: a typo
    ],
)
async def test_subscribe_one_clear_match(
    app: Application, fake: FakeTelegram, ctx, query: str, expected: str
) -> None:
    answer = await say(fake, OFFICER, f"/subscribe {query}")
    assert answer["text"].startswith(expected), answer["text"]
    assert "09:00" in answer["text"]
    assert set(statuses(ctx, OFFICER).values()) == {"active"}


async def test_subscribe_ambiguous_offers_buttons_and_a_press_subscribes(
    app: Application, fake: FakeTelegram, ctx: AppContext
) -> None:
    answer = await say(fake, OFFICER, "/subscribe 区政务")
    labels = [text for text, _ in fake.buttons(answer)]
    assert answer["text"].startswith("“区政务”可能是") and set(labels) == {"区政务服务办", "区政务公开办"}
    data = dict(fake.buttons(answer))["区政务公开办"]
    query = fake.press_button(OFFICER, answer["message_id"], data)
    await fake.wait_for_answer(query)
    await fake.wait_for(lambda m: m["text"].startswith("已订阅「区政务公开办」"), chat_id=OFFICER)
    assert statuses(ctx, OFFICER) == {"区政务公开办": "active"}


async def test_subscribe_unknown_suggests_the_closest(app: Application, fake: FakeTelegram, ctx) -> None:
    answer = await say(fake, OFFICER, "/subscribe 公安分局")
    assert answer["text"].startswith("没有找到“公安分局”这个单位。最接近的是：")
    assert fake.buttons(answer) == [] and statuses(ctx, OFFICER) == {}


async def test_a_group_name_is_explained_and_nothing_alike_suggests_nothing(
    app: Application, fake: FakeTelegram, ctx
) -> None:
    assert (await say(fake, OFFICER, "/subscribe 各单位"))["text"] == texts.GROUP_NAME.format(query="各单位")
    expected = texts.NOT_FOUND.format(query="石化街道") + texts.REQUEST_HINT.format(query="石化街道")
    assert (await say(fake, OFFICER, "/subscribe 石化街道"))["text"] == expected
    assert statuses(ctx, OFFICER) == {}


async def test_overlong_inputs_get_a_clear_answer_and_change_nothing(
    app: Application, fake: FakeTelegram, ctx
) -> None:
    answer = await say(fake, OFFICER, "/subscribe " + "区" * 4096)
    assert answer["text"] == texts.NAME_TOO_LONG and statuses(ctx, OFFICER) == {}
    assert (await say(fake, OFFICER, "/unsubscribe " + "局" * 60))["text"] == texts.NAME_TOO_LONG
    assert (await say(fake, OFFICER, "/done 1 " + "好" * 501))["text"] == texts.NOTE_TOO_LONG


async def test_subscribe_without_a_name_lists_units_plan_units_first(
    app: Application, fake: FakeTelegram
) -> None:
    answer = await say(fake, OFFICER, "/subscribe")
    labels = [text for text, _ in fake.buttons(answer)]
    assert answer["text"] == texts.CHOOSE_UNIT
    assert labels[:3] == ["区政府办公室", "区教育局", "区财政局"]  # the plan's units, by name, come first
    assert "各单位" not in labels and len(labels) <= 60


async def test_several_units_mine_and_unsubscribe_by_name_and_button(
    app: Application, fake: FakeTelegram, ctx: AppContext
) -> None:
    await subscribe(fake, OFFICER, "区教育局")
    await subscribe(fake, OFFICER, "区财政局")
    again = await say(fake, OFFICER, "/subscribe 区教育局")
    assert again["text"] == "本聊天已经订阅了「区教育局」。"
    mine = await say(fake, OFFICER, "/mine")
    assert mine["text"].splitlines() == ["本聊天订阅的单位：", "· 区教育局", "· 区财政局"]
    gone = await say(fake, OFFICER, "/unsubscribe 财政")
    assert gone["text"] == "已取消订阅「区财政局」。"
    menu = await say(fake, OFFICER, "/unsubscribe")
    assert [t for t, _ in fake.buttons(menu)] == ["区教育局"]
    query = fake.press_button(OFFICER, menu["message_id"], make_callback("x", unit_id(ctx, "区教育局")))
    await fake.wait_for_answer(query)
    await fake.wait_until(lambda: fake.sent(OFFICER)[-1]["text"] == "已取消订阅「区教育局」。")
    assert set(statuses(ctx, OFFICER).values()) == {"inactive"}
    assert (await say(fake, OFFICER, "/mine"))["text"] == texts.NO_SUBSCRIPTIONS


# ------------------------------------------------------------------------------------------------ digests


async def test_digest_for_a_fixed_date_has_sections_content_and_buttons(
    app: Application, fake: FakeTelegram, ctx: AppContext
) -> None:
    await subscribe(fake, OFFICER, "区教育局")
    message = await digest_message(app, ctx, fake, OFFICER)
    text = message["text"]
    assert text.startswith("📋 督办提醒 · 3月4日 周三（共4项待办）")
    sections = [line for line in text.splitlines() if line.startswith(("⚠️", "📌", "🗓"))]
    assert sections == ["⚠️ 已逾期（1项）", "📌 今日到期（1项）", "🗓 7日内到期（2项）"]
    assert (
        "#1 🔴红 开放平台：更新开放平台的数据目录说明 — 区教育局（负责）· 截止 2月28日 周六 · 逾期4天" in text
    )
    assert (
        "#2 🟡黄 开放平台：公布本年度数据开放预算安排 — 区教育局（配合）· 截止 3月4日 周三 · 今天到期" in text
    )
    assert "#3 🟡黄 开放平台：组织一次开放数据使用培训 — 区教育局（负责）· 截止 3月6日 周五 · 还有2天" in text
    assert "#4" not in text  # 区政府办公室's own task
    edu = unit_id(ctx, "区教育局")
    assert fake.buttons(message) == [(f"✅ 完成 #{t}", done_callback(t, edu)) for t in (1, 2, 3, 5)]


async def test_long_digest_is_split_below_telegrams_limit_each_part_with_its_buttons(
    app: Application, fake: FakeTelegram, ctx: AppContext
) -> None:
    import_plan(ctx, long_plan(120))
    await subscribe(fake, OFFICER, "区教育局")
    report = await deliver_digests(app.bot, ctx, day=TODAY, clock=lambda: AFTER_DIGEST, chat_ids=[OFFICER])
    ids = report.sent[OFFICER]
    messages = [m for m in fake.sent(OFFICER) if m["message_id"] in ids]
    assert len(messages) >= 3
    assert all(len(m["text"].encode("utf-16-le")) // 2 <= 4000 for m in messages)
    numbers = [
        int(line.split()[0][1:]) for m in messages for line in m["text"].splitlines() if line.startswith("#")
    ]
    buttons = [data for m in messages for _, data in fake.buttons(m)]
    assert len(numbers) == len(set(numbers)) == len(buttons) == 124  # 120 + #1 #2 #3 #5
    assert messages[1]["text"].startswith("📋 督办提醒 · 3月4日（续）")


# -------------------------------------------------------------------------------------------- marking done


async def test_done_by_button_edits_the_digest_and_twice_is_harmless(
    app: Application, fake: FakeTelegram, ctx: AppContext
) -> None:
    await subscribe(fake, OFFICER, "区教育局")
    message = await digest_message(app, ctx, fake, OFFICER)
    edu = unit_id(ctx, "区教育局")
    query = fake.press_button(OFFICER, message["message_id"], done_callback(2, edu))
    assert (await fake.wait_for_answer(query))["text"] == texts.CALLBACK_DONE
    after = await edited(fake, OFFICER, message["message_id"], 1)
    assert "✅ #2 🟡黄 开放平台：公布本年度数据开放预算安排" in after["text"]
    assert [d for _, d in fake.buttons(after)] == [done_callback(t, edu) for t in (1, 3, 5)]
    assert done_pairs(ctx) == {(2, edu)}
    # The old keyboard pressed again (a second device): already done, nothing changes.
    again = fake.press_button(OFFICER, message["message_id"], done_callback(2, edu), check=False)
    assert (await fake.wait_for_answer(again))["text"] == texts.CALLBACK_ALREADY
    listed = await say(fake, OFFICER, "/tasks")
    assert "#2 " not in listed["text"] and "#1 " in listed["text"]


async def test_done_by_reply_with_numbers_and_asking_which_without(
    app: Application, fake: FakeTelegram, ctx: AppContext
) -> None:
    await subscribe(fake, OFFICER, "区教育局")
    message = await digest_message(app, ctx, fake, OFFICER)
    edu = unit_id(ctx, "区教育局")
    answer = await say(fake, OFFICER, "完成 1、3", reply_to=message["message_id"])
    assert answer["text"] == "已标记完成：#1（区教育局）。\n已标记完成：#3（区教育局）。"
    assert done_pairs(ctx) == {(1, edu), (3, edu)}
    after = await edited(fake, OFFICER, message["message_id"], 2)
    assert [d for _, d in fake.buttons(after)] == [done_callback(t, edu) for t in (2, 5)]
    ask = await say(fake, OFFICER, "已完成", reply_to=message["message_id"])
    # Only the items still open are offered (#1 and #3 are done).
    assert ask["text"] == texts.WHICH_ITEM and [d for _, d in fake.buttons(ask)] == [
        done_callback(t, edu) for t in (2, 5)
    ]
    query = fake.press_button(OFFICER, ask["message_id"], done_callback(5, edu))
    await fake.wait_for_answer(query)
    assert (5, edu) in done_pairs(ctx)
    missing = await say(fake, OFFICER, "done 4", reply_to=message["message_id"])
    assert missing["text"] == "#4 不在这条消息里。"


async def test_done_and_undo_by_command_with_a_note(
    app: Application, fake: FakeTelegram, ctx: AppContext
) -> None:
    await subscribe(fake, OFFICER, "区教育局")
    edu = unit_id(ctx, "区教育局")
    answer = await say(fake, OFFICER, "/done 3 已在门户网站发布")
    assert answer["text"] == "已标记完成：#3（区教育局）。"
    with session_scope(ctx.engine) as s:
        row = s.exec(select(CompletionRow)).one()
        assert (row.task_id, row.unit_id, row.note, row.done_by) == (3, edu, "已在门户网站发布", OFFICER)
    assert (await say(fake, OFFICER, "/done 3"))["text"] == "#3（区教育局）之前已经标记为完成。"
    assert (await say(fake, OFFICER, "/undo 3"))["text"] == "已撤销：#3（区教育局）恢复为未完成。"
    assert done_pairs(ctx) == set()
    assert (await say(fake, OFFICER, "/done"))["text"] == texts.DONE_USAGE


async def test_an_item_number_that_is_no_number_gets_the_usage_not_an_error(
    app: Application, fake: FakeTelegram, ctx: AppContext
) -> None:
    await subscribe(fake, OFFICER, "区教育局")
    for command, usage in [
        ("/done ²", texts.DONE_USAGE),  # str.isdigit() says yes, int() says no
        ("/undo ³", texts.UNDO_USAGE),
        ("/done 99999999999999999999", texts.DONE_USAGE),  # beyond SQLite's INTEGER
        ("/progress ² 已完成初稿", PROGRESS_USAGE),
        ("/extend 99999999999999999999 4月30日 等待批复", EXTEND_USAGE),
    ]:
        assert (await say(fake, OFFICER, command))["text"] == usage, command
    assert (await say(fake, OFFICER, "/done ３"))["text"] == "已标记完成：#3（区教育局）。"


async def test_a_group_task_done_by_one_unit_stays_open_for_the_others(
    app: Application, fake: FakeTelegram, ctx: AppContext
) -> None:
    await subscribe(fake, OFFICER, "区教育局")
    await subscribe(fake, OTHER, "区财政局")
    await say(fake, OFFICER, "/done 3")
    assert "#3 " not in (await say(fake, OFFICER, "/tasks"))["text"]
    assert "#3 " in (await say(fake, OTHER, "/tasks"))["text"]


async def test_someone_elses_item_is_refused_by_button_reply_and_command(
    app: Application, fake: FakeTelegram, ctx: AppContext
) -> None:
    await subscribe(fake, OFFICER, "区教育局")
    await subscribe(fake, OTHER, "区财政局")
    edu = unit_id(ctx, "区教育局")
    assert (await say(fake, OTHER, "/done 1"))["text"] == "#1 不是本聊天所订阅单位的事项，不能标记。"
    for command in ("/done 999", "/undo 999"):
        assert (await say(fake, OTHER, command))["text"] == "没有编号为 #999 的事项。编号见提醒或 /tasks。"
    other_digest = await digest_message(app, ctx, fake, OTHER)
    forged = fake.press_button(OTHER, other_digest["message_id"], done_callback(1, edu), check=False)
    assert (await fake.wait_for_answer(forged))["text"] == texts.CALLBACK_REFUSED
    garbage = fake.press_button(OTHER, other_digest["message_id"], "d:1:2:3' OR 1=1", check=False)
    assert (await fake.wait_for_answer(garbage))["text"] == texts.CALLBACK_UNKNOWN
    assert done_pairs(ctx) == set()


# --------------------------------------------------------------------------------------------- access


@pytest.fixture
def approval_ctx(tmp_path: Path, fake: FakeTelegram) -> AppContext:
    context = make_context(tmp_path, fake, f'[access]\nmode = "approval"\nadmins = [{ADMIN}]\n')
    import_plan(context)
    return context


async def test_approval_mode_waits_for_an_admin(
    fake: FakeTelegram, approval_ctx: AppContext, clock: Clock
) -> None:
    ctx = approval_ctx
    async with running(ctx, fake, clock) as app:
        answer = await say(fake, OFFICER, "/subscribe 区教育局")
        assert answer["text"] == "已提交订阅「区教育局」的申请，管理员批准后生效。"
        [request] = await fake.wait_for(chat_id=ADMIN)
        assert "申请在聊天 5101 订阅「区教育局」" in request["text"]
        assert statuses(ctx, OFFICER) == {"区教育局": "pending"}
        # Pending: no digest, may mark nothing, /tasks explains.
        report = await deliver_digests(app.bot, ctx, day=TODAY, clock=lambda: AFTER_DIGEST)
        assert report.sent == {}
        assert (await say(fake, OFFICER, "/done 1"))["text"].startswith("#1 不是本聊天")
        assert (await say(fake, OFFICER, "/tasks"))["text"] == texts.ONLY_PENDING
        # Admin-only things refuse everyone else politely.
        assert (await say(fake, OFFICER, "/pending"))["text"] == texts.ADMIN_ONLY
        approve = dict(fake.buttons(request))[texts.APPROVE]
        # The officer forging the admin's button gets a polite refusal and changes nothing.
        forged = fake.press_button(OFFICER, answer["message_id"], approve, check=False)
        assert (await fake.wait_for_answer(forged))["text"] == texts.ADMIN_ONLY
        assert statuses(ctx, OFFICER) == {"区教育局": "pending"}
        await fake.wait_for_answer(fake.press_button(ADMIN, request["message_id"], approve))
        notice = await fake.wait_for(lambda m: m["text"].startswith("管理员已批准"), chat_id=OFFICER)
        assert notice and statuses(ctx, OFFICER) == {"区教育局": "active"}
        edited = next(m for m in fake.sent(ADMIN) if m["message_id"] == request["message_id"])
        assert edited["text"].startswith("✅ 已批准") and fake.buttons(edited) == []
        report = await deliver_digests(app.bot, ctx, day=TODAY, clock=lambda: AFTER_DIGEST)
        assert list(report.sent) == [OFFICER]
        # The admin's own subscriptions need nobody's approval; /pending is empty now.
        assert (await say(fake, ADMIN, "/subscribe 区财政局"))["text"].startswith("已订阅")
        assert (await say(fake, ADMIN, "/pending"))["text"] == texts.NO_PENDING


async def test_denied_subscription_gets_nothing(
    fake: FakeTelegram, approval_ctx: AppContext, clock: Clock
) -> None:
    async with running(approval_ctx, fake, clock):
        await say(fake, OFFICER, "/subscribe 区教育局")
        listing = await say(fake, ADMIN, "/pending")
        assert listing["text"] == "等待审批的订阅申请（共 1 个）："
        [request] = await fake.wait_for(
            lambda m: bool(fake.buttons(m)), chat_id=ADMIN, after=listing["message_id"]
        )
        query = fake.press_button(ADMIN, request["message_id"], dict(fake.buttons(request))[texts.DENY])
        await fake.wait_for_answer(query)
        await fake.wait_for(lambda m: m["text"].startswith("管理员未批准"), chat_id=OFFICER)
        assert statuses(approval_ctx, OFFICER) == {"区教育局": "inactive"}


# ------------------------------------------------------------------------------------- chats and errors


async def test_group_migration_moves_subscriptions(
    app: Application, fake: FakeTelegram, ctx: AppContext
) -> None:
    group, supergroup = -4301, -1004301
    answer = await say(
        fake, group, "/subscribe 区教育局", user_id=777, chat_type="group", title="教育局联络群"
    )
    assert answer["text"].startswith("已订阅")
    fake.migrate_group(group, supergroup)
    await settle(fake)
    assert statuses(ctx, supergroup) == {"区教育局": "active"}
    report = await deliver_digests(app.bot, ctx, day=TODAY, clock=lambda: AFTER_DIGEST)
    assert list(report.sent) == [supergroup]


async def test_blocking_the_bot_deactivates_the_chat(
    app: Application, fake: FakeTelegram, ctx: AppContext
) -> None:
    await subscribe(fake, OFFICER, "区教育局")
    fake.block(OFFICER, notify=True)
    await settle(fake)
    assert statuses(ctx, OFFICER) == {"区教育局": "inactive"}


async def test_errors_are_logged_without_the_token_and_answered_in_chinese(
    app: Application, fake: FakeTelegram, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines: list[str] = []
    sink = logger.add(lines.append, level="ERROR", filter=__import__("duban.logs").logs._mask_token)
    monkeypatch.setenv("DUBAN_TELEGRAM_TOKEN", fake.token)

    def broken(*args, **kwargs):
        raise RuntimeError(f"database exploded near {fake.base_url}{fake.token}/getMe")

    monkeypatch.setattr(subscriptions, "unit_names", broken)
    try:
        answer = await say(fake, OFFICER, "/subscribe 区教育局")
    finally:
        logger.remove(sink)
    assert answer["text"] == texts.ERROR
    logged = "".join(lines)
    assert "database exploded" in logged and "<token>" in logged and fake.token not in logged


async def test_a_private_chat_always_gets_an_answer(
    app: Application, fake: FakeTelegram, ctx: AppContext
) -> None:
    await subscribe(fake, OFFICER, "区教育局")
    assert (await say(fake, OFFICER, "/foo"))["text"] == texts.UNKNOWN_COMMAND.format(command="/foo")
    assert (await say(fake, OFFICER, "你好，请问怎么用？"))["text"] == texts.NOT_UNDERSTOOD
    # 完成 N without replying works when N is the chat's; several numbers in one /done.
    assert (await say(fake, OFFICER, "完成 3"))["text"] == "已标记完成：#3（区教育局）。"
    assert (await say(fake, OFFICER, "完成"))["text"] == texts.DONE_WHICH
    answer = await say(fake, OFFICER, "/done 2、4 已公开")
    assert answer["text"] == "已标记完成：#2（区教育局）。\n#4 不是本聊天所订阅单位的事项，不能标记。"
    assert {(3, unit_id(ctx, "区教育局")), (2, unit_id(ctx, "区教育局"))} <= done_pairs(ctx)
    # A photo captioned with the number and 已完成.
    photo = {
        "photo": [{"file_id": "p1", "file_unique_id": "u1", "width": 9, "height": 9}],
        "caption": "#5 已完成",
    }
    sent = fake._user_post(OFFICER, photo, user_id=None, reply_to=None)
    [answer] = await fake.wait_for(chat_id=OFFICER, after=sent["message_id"])
    assert answer["text"] == "已标记完成：#5（区教育局）。"
    # A command the bot has gets its own answer only.
    help_asked = fake.user_message(OFFICER, "/help")
    await fake.wait_for(chat_id=OFFICER, after=help_asked["message_id"])
    await asyncio.sleep(0.3)
    assert [m["text"] for m in fake.sent(OFFICER) if m["message_id"] > help_asked["message_id"]] == [
        texts.HELP
    ]


async def test_admins_get_their_own_menu_and_help(
    fake: FakeTelegram, approval_ctx: AppContext, clock: Clock
) -> None:
    async with running(approval_ctx, fake, clock):
        officer_menu = [c["command"] for c in fake.commands]
        admin_menu = [c["command"] for c in fake.commands_for(f"chat:{ADMIN}")]
        assert "report" not in officer_menu and "review" not in officer_menu
        assert [name for name, _ in texts.ADMIN_COMMANDS] == admin_menu
        assert {"review", "setdue", "pending", "report"} <= set(admin_menu)
        assert (await say(fake, ADMIN, "/help"))["text"] == texts.HELP + texts.ADMIN_HELP
        assert (await say(fake, OFFICER, "/help"))["text"] == texts.HELP


async def test_an_officer_of_a_street_not_yet_known_asks_for_it_and_gets_its_tasks(
    fake: FakeTelegram, approval_ctx: AppContext, clock: Clock
) -> None:
    from storage.oversight import ledger_rows

    ctx = approval_ctx
    async with running(ctx, fake, clock):
        answer = await say(fake, OFFICER, "/subscribe 石化街道")
        assert answer["text"].startswith(texts.NOT_FOUND.format(query="石化街道"))
        assert "/request 石化街道" in answer["text"]
        answer = await say(fake, OFFICER, "/request 石化街道")
        assert answer["text"] == texts.REQUEST_SENT.format(name="石化街道")
        assert (await say(fake, OFFICER, "/request 石化街道"))["text"] == texts.REQUEST_ALREADY.format(
            name="石化街道"
        )
        [request] = await fake.wait_for(lambda m: m["text"].startswith("单位申请："), chat_id=ADMIN)
        assert [label for label, _ in fake.buttons(request)] == ["部门", "镇", "街道", "其他单位", "不添加"]
        data = dict(fake.buttons(request))["街道"]
        await fake.wait_for_answer(fake.press_button(ADMIN, request["message_id"], data))
        [told] = await fake.wait_for(lambda m: m["text"].startswith("管理员已把"), chat_id=OFFICER)
        # Task 3 is for 各单位: it reaches the new street at once.
        assert told["text"] == texts.UNIT_ADDED_USER.format(name="石化街道", kind="街道", count=1)
        assert statuses(ctx, OFFICER) == {"石化街道": "active"}
        assert (await say(fake, OFFICER, "/done 3"))["text"] == "已标记完成：#3（石化街道）。"
        again = await fake.wait_for_answer(fake.press_button(ADMIN, request["message_id"], data, check=False))
        assert again["text"] == texts.UNIT_REQUEST_GONE
    with session_scope(ctx.engine) as s:
        rows = [r for r in ledger_rows(s, today=TODAY, group_routes=ctx.group_routes(s)) if r.task_id == 3]
    assert [(r.unit, r.status) for r in rows] == [("各单位", "done")]  # its only subscribed member is done
