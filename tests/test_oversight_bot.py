"""Oversight end to end through the local Bot API server: progress, extensions, 催办, escalation, check-ins,
/report and occurrences of a recurring duty."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from bot_harness import (
    AFTER_DIGEST,
    BEFORE_DIGEST,
    SH,
    TODAY,
    Clock,
    import_plan,
    make_context,
    running,
    say,
    unit_id,
)
from botapi import FakeTelegram
from conftest import needs_cjk_font
from openpyxl import load_workbook
from sqlmodel import Session, select
from telegram.ext import Application

from bot import oversight as bot_oversight
from bot import texts
from core.digest import done_callback
from duban.context import AppContext
from jobs.digest import deliver_digests
from jobs.oversight import run_oversight, urge_callback
from storage import ledger, oversight
from storage.db import session_scope
from storage.models import ExtensionRow, TaskRow, UrgeRow

pytestmark = pytest.mark.slow  # oversight through the bot end to end against the local Bot API server

EDU = 6101  # an officer of 区教育局
FIN = 6102  # an officer of 区财政局
ADMIN = 6900
# On TODAY (2026-03-04) for 区教育局: #1 overdue, #2 due today (区财政局 leads), #3 due 3-06, #5 due 3-10.
# #6 is a quarterly duty of 区教育局, #7 a year-long one of 区财政局.
EXTRA = (
    "6\t专栏维护\t更新政务公开专栏的常见问题\t区教育局\t每季度\n"
    "7\t\t持续做好依申请公开的答复工作\t区财政局\t全年\n"
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        for chat in (EDU, FIN, ADMIN):
            server.add_chat(chat)
        yield server


@pytest.fixture
def ctx(tmp_path: Path, fake: FakeTelegram) -> AppContext:
    from bot_harness import PLAN

    context = make_context(tmp_path, fake, f"\n[access]\nadmins = [{ADMIN}]\n")
    import_plan(context, PLAN + EXTRA)
    return context


@pytest.fixture
def clock() -> Clock:
    return Clock(BEFORE_DIGEST)


@pytest.fixture
async def app(ctx: AppContext, fake: FakeTelegram, clock: Clock) -> AsyncIterator[Application]:
    async with running(ctx, fake, clock) as application:
        yield application


async def subscribe(fake: FakeTelegram, chat: int, unit: str) -> None:
    assert (await say(fake, chat, f"/subscribe {unit}"))["text"].startswith("已订阅")


async def digest(app: Application, ctx: AppContext, fake: FakeTelegram, chat: int, day: date = TODAY) -> dict:
    moment = datetime.combine(day, AFTER_DIGEST.timetz())
    report = await deliver_digests(app.bot, ctx, day=day, clock=lambda: moment, chat_ids=[chat])
    [message_id] = report.sent[chat]
    return next(m for m in fake.sent(chat) if m["message_id"] == message_id)


def line_of(text: str, task: int) -> str:
    return next(line for line in text.splitlines() if line.startswith(f"#{task} "))


# ------------------------------------------------------------------------------------------------ progress


async def test_progress_by_reply_and_command_shows_in_digest_and_turns_yellow_blue(
    app: Application, ctx: AppContext, fake: FakeTelegram
) -> None:
    await subscribe(fake, EDU, "区教育局")
    message = await digest(app, ctx, fake, EDU)
    assert line_of(message["text"], 3).startswith("#3 🟡黄 ")
    # Several items in the message: the reply must say which.
    which = await say(fake, EDU, "进度：正在准备", reply_to=message["message_id"])
    assert which["text"] == bot_oversight.PROGRESS_WHICH
    saved = await say(fake, EDU, "进度 3：已联系讲师，场地已落实", reply_to=message["message_id"])
    assert saved["text"] == "已记录 #3（区教育局）的进展：已联系讲师，场地已落实"
    assert (await say(fake, EDU, "进度 4：无关", reply_to=message["message_id"]))[
        "text"
    ] == "#4 不在这条消息里。"
    answer = await say(fake, EDU, "/progress 5 清单核对过半")
    assert answer["text"] == "已记录 #5（区教育局）的进展：清单核对过半"
    assert (await say(fake, EDU, "/progress 4 不是我的"))[
        "text"
    ] == "#4 不是本聊天所订阅单位的事项，不能填报或申请。"
    assert (await say(fake, EDU, "/progress 3"))["text"] == bot_oversight.PROGRESS_USAGE
    # The next day's digest: #3 is blue with its note; /tasks shows the note too.
    nxt = await digest(app, ctx, fake, EDU, date(2026, 3, 5))
    assert line_of(nxt["text"], 3) == (
        "#3 🔵蓝 开放平台：组织一次开放数据使用培训 — 区教育局（负责）· 截止 3月6日 周五 · 还有1天"
        " · 进度（3月4日）：已联系讲师，场地已落实"
    )
    listing = await say(fake, EDU, "/tasks")
    assert "进度（3月4日）：清单核对过半" in line_of(listing["text"], 5)
    with session_scope(ctx.engine) as s:
        notes = oversight.latest_progress(s)
    assert {(t, n.text) for (t, _), n in notes.items()} == {
        (3, "已联系讲师，场地已落实"),
        (5, "清单核对过半"),
    }


# --------------------------------------------------------------------------------------------- extensions


async def test_extension_request_approved_moves_the_due_date_and_keeps_history(
    app: Application, ctx: AppContext, fake: FakeTelegram
) -> None:
    await subscribe(fake, EDU, "区教育局")
    answer = await say(fake, EDU, "/extend 1 3月20日 需等待上级部门批复")
    assert answer["text"] == "已提交延期申请：#1（区教育局）2月28日 → 3月20日。管理员审批后会通知本聊天。"
    [request] = await fake.wait_for(chat_id=ADMIN)
    assert request["text"].startswith("延期申请 #1：") and "理由：需等待上级部门批复" in request["text"]
    assert [text for text, _ in fake.buttons(request)] == ["批准延期", "拒绝"]
    # Only an admin may decide (an officer forging the button's data is refused).
    refused = fake.press_button(EDU, answer["message_id"], "ea:1", check=False)
    assert (await fake.wait_for_answer(refused))["text"] == bot_oversight.ADMIN_ONLY
    pressed = fake.press_button(ADMIN, request["message_id"], "ea:1")
    await fake.wait_for_answer(pressed)
    notice = await fake.wait_for(lambda m: m["text"].startswith("管理员已批准延期"), chat_id=EDU)
    assert notice[0]["text"] == "管理员已批准延期：#1（区教育局）的截止日期改为 3月20日。"
    edited = await fake.wait_until(
        lambda: (
            (m := next(x for x in fake.sent(ADMIN) if x["message_id"] == request["message_id"]))[
                "text"
            ].startswith("✅")
            and m
        )
    )
    assert fake.buttons(edited) == []
    with session_scope(ctx.engine) as s:
        task = s.get(TaskRow, 1)
        assert task is not None and task.due == date(2026, 3, 20)
        [history] = oversight.extension_history(s, 1)
        assert (history.old_due, history.new_due, history.status, history.decided_by) == (
            date(2026, 2, 28),
            date(2026, 3, 20),
            "approved",
            ADMIN,
        )
        assert history.reason == "需等待上级部门批复" and history.requested_by == EDU
    # #1 is no longer overdue: due in 16 days, it is counted among the later items of the digest.
    text = (await digest(app, ctx, fake, EDU))["text"]
    assert not any(line.startswith("#1 ") for line in text.splitlines())
    assert "另有2项在7日后到期" in text and "已逾期" not in text
    # A second press on the same request is refused.
    again = fake.press_button(ADMIN, request["message_id"], "ea:1", check=False)
    assert (await fake.wait_for_answer(again))["text"] == bot_oversight.EXTEND_GONE


async def test_extension_denied_and_bad_requests(
    app: Application, ctx: AppContext, fake: FakeTelegram
) -> None:
    await subscribe(fake, EDU, "区教育局")
    await say(fake, EDU, "/extend 3 下周五 培训讲师时间冲突")
    [request] = await fake.wait_for(chat_id=ADMIN)
    pressed = fake.press_button(ADMIN, request["message_id"], "ed:1")
    await fake.wait_for_answer(pressed)
    [notice] = await fake.wait_for(lambda m: m["text"].startswith("管理员未批准"), chat_id=EDU)
    assert notice["text"] == "管理员未批准 #3（区教育局）的延期申请，截止日期仍为 3月6日。"
    with session_scope(ctx.engine) as s:
        task = s.get(TaskRow, 3)
        assert task is not None and task.due == date(2026, 3, 6)
        assert [e.status for e in s.exec(select(ExtensionRow))] == ["denied"]
    # The admin is asked for a reason; a reply to that prompt reaches the requester and is kept.
    [prompt] = await fake.wait_for(lambda m: m["text"].startswith("已拒绝延期申请 #1"), chat_id=ADMIN)
    answer = await say(fake, ADMIN, "培训讲师可以调换，请按期完成", reply_to=prompt["message_id"])
    assert answer["text"] == bot_oversight.EXTEND_REASON_SENT
    [told] = await fake.wait_for(lambda m: m["text"].startswith("关于 #3"), chat_id=EDU)
    assert told["text"] == "关于 #3（区教育局）的延期申请，管理员的说明：培训讲师可以调换，请按期完成"
    with session_scope(ctx.engine) as s:
        assert [e.decision_reason for e in s.exec(select(ExtensionRow))] == ["培训讲师可以调换，请按期完成"]
    for command, expected in [
        ("/extend", bot_oversight.EXTEND_USAGE),
        ("/extend 3", bot_oversight.EXTEND_USAGE),
        ("/extend 3 某天 理由", "看不懂“某天”这个日期，请写成 4月30日、2026-04-30 或 下周五 这样的形式。"),
        ("/extend 3 3月20日", bot_oversight.EXTEND_NO_REASON),
        ("/extend 3 3月5日 太早", "新的截止日期（3月5日）应当晚于现在的截止日期（3月6日）和今天。"),
        ("/extend 4 7月1日 不是我的", "#4 不是本聊天所订阅单位的事项，不能填报或申请。"),
        ("/extend 999 7月1日 没有这项", "没有编号为 #999 的事项。编号见提醒或 /tasks。"),
        ("/progress 999 没有这项", "没有编号为 #999 的事项。编号见提醒或 /tasks。"),
        ("/extend 6 7月1日 周期", "#6 是周期性事项，每期各有截止日期，不能申请延期。"),
    ]:
        assert (await say(fake, EDU, command))["text"] == expected, command
    with session_scope(ctx.engine) as s:
        assert len(s.exec(select(ExtensionRow)).all()) == 1  # nothing stored for the bad ones


# ------------------------------------------------------------------------------------ escalation and 催办


async def test_daily_run_escalates_to_lead_units_summarises_for_admins_and_urges(
    app: Application, ctx: AppContext, fake: FakeTelegram, clock: Clock
) -> None:
    await subscribe(fake, EDU, "区教育局")
    await subscribe(fake, FIN, "区财政局")
    day = date(2026, 3, 5)  # #2 (due 3-04) is now overdue for both 区财政局 (lead) and 区教育局 (support)
    clock.now = datetime(2026, 3, 5, 9, 30, tzinfo=SH)
    report = await run_oversight(app.bot, ctx, day=day, clock=clock)
    # The lead 区财政局 hears of 区教育局's overdue part of #2; 区教育局 leads nothing, so it gets no notice.
    assert set(report.escalation) == {FIN}
    [notice] = [m for m in fake.sent(FIN) if m["text"].startswith("🔴 牵头事项逾期提醒")]
    items = [line for line in notice["text"].splitlines() if line.startswith("#")]
    assert items == [
        "#2 🔴红 开放平台：公布本年度数据开放预算安排 — 区教育局（配合）· 截止 3月4日 周三 · 逾期1天"
    ]
    # The admins' summary, grouped by unit, with one 催办 button per overdue item.
    assert set(report.overdue) == {ADMIN}
    [summary] = [m for m in fake.sent(ADMIN) if m["text"].startswith("🔴 逾期事项汇总")]
    assert "【区教育局】2项" in summary["text"] and "【区财政局】1项" in summary["text"]
    edu, fin = unit_id(ctx, "区教育局"), unit_id(ctx, "区财政局")
    assert [d for _, d in fake.buttons(summary)] == [
        urge_callback(1, edu),
        urge_callback(2, edu),
        urge_callback(2, fin),
    ]
    # A second run the same day sends nothing again.
    again = await run_oversight(app.bot, ctx, day=day, clock=clock)
    assert (again.escalation, again.overdue) == ({}, {})
    # 催办: the officer gets it at once; it is recorded; an officer cannot press it.
    last = fake.sent(EDU)[-1]["message_id"]
    refused = fake.press_button(EDU, last, urge_callback(1, edu), check=False)
    assert (await fake.wait_for_answer(refused))["text"] == bot_oversight.ADMIN_ONLY
    before = len(fake.sent(EDU))
    pressed = fake.press_button(ADMIN, summary["message_id"], urge_callback(1, edu))
    assert (await fake.wait_for_answer(pressed))["text"] == "已向「区教育局」催办 #1（通知了 1 个聊天）。"
    [urged] = fake.sent(EDU)[before:]
    assert urged["text"].startswith(
        "📣 催办：#1「更新开放平台的数据目录说明」— 区教育局，截止 2月28日，已逾期5天。"
    )
    with session_scope(ctx.engine) as s:
        [row] = s.exec(select(UrgeRow)).all()
        assert (row.task_id, row.unit_id, row.admin_id, row.chats) == (1, edu, ADMIN, 1)
    # The officer answers the 催办 with a progress note, then marks it done by reply.
    answer = await say(fake, EDU, "进度：已提交审核", reply_to=urged["message_id"])
    assert answer["text"] == "已记录 #1（区教育局）的进展：已提交审核"
    # A second 催办 the same day is refused (the unit was told already); so is one for a done item.
    second_urge = fake.press_button(ADMIN, summary["message_id"], urge_callback(2, edu))
    assert "已向「区教育局」催办 #2" in (await fake.wait_for_answer(second_urge))["text"]
    twice = fake.press_button(ADMIN, summary["message_id"], urge_callback(2, edu))
    assert (await fake.wait_for_answer(twice))["text"] == bot_oversight.URGE_ALREADY_TODAY.format(
        unit="区教育局", task=2
    )
    answer = await say(fake, EDU, "完成", reply_to=urged["message_id"])
    assert answer["text"] == texts.MARKED.format(task=1, unit="区教育局")
    done = fake.press_button(ADMIN, summary["message_id"], urge_callback(1, edu), check=False)
    assert (await fake.wait_for_answer(done))["text"] == bot_oversight.URGE_ALREADY_DONE.format(
        unit="区教育局", task=1
    )


async def test_checkin_asks_units_with_year_long_items_once_per_quarter(
    app: Application, ctx: AppContext, fake: FakeTelegram
) -> None:
    await subscribe(fake, EDU, "区教育局")
    await subscribe(fake, FIN, "区财政局")
    quiet = await run_oversight(app.bot, ctx, day=date(2026, 3, 24), clock=lambda: AFTER_DIGEST)
    assert quiet.checkin == {}
    report = await run_oversight(app.bot, ctx, day=date(2026, 3, 25), clock=lambda: AFTER_DIGEST)
    assert set(report.checkin) == {FIN}  # only 区财政局 has a 全年 item (#7)
    [ask] = [m for m in fake.sent(FIN) if m["text"].startswith("📝 季度进展填报")]
    assert "#7 专栏维护：持续做好依申请公开的答复工作 — 区财政局（负责）· 截止 12月31日" in ask["text"]
    again = await run_oversight(app.bot, ctx, day=date(2026, 3, 27), clock=lambda: AFTER_DIGEST)
    assert again.checkin == {}  # once per quarter
    answer = await say(fake, FIN, "进度：一季度共答复申请12件", reply_to=ask["message_id"])
    assert answer["text"] == "已记录 #7（区财政局）的进展：一季度共答复申请12件"
    june = await run_oversight(app.bot, ctx, day=date(2026, 6, 26), clock=lambda: AFTER_DIGEST)
    assert set(june.checkin) == {FIN}


# --------------------------------------------------------------------------------------------- occurrences


async def test_marking_the_quarterly_duty_done_leaves_the_next_quarter_open(
    app: Application, ctx: AppContext, fake: FakeTelegram, clock: Clock
) -> None:
    await subscribe(fake, EDU, "区教育局")
    clock.now = datetime(2026, 3, 27, 10, 0, tzinfo=SH)
    message = await digest(app, ctx, fake, EDU, date(2026, 3, 27))
    assert "截止 3月31日" in line_of(message["text"], 6)
    pressed = fake.press_button(EDU, message["message_id"], done_callback(6, unit_id(ctx, "区教育局")))
    assert (await fake.wait_for_answer(pressed))["text"] == texts.CALLBACK_DONE
    listing = await say(fake, EDU, "/tasks")
    assert "截止 6月30日" in line_of(listing["text"], 6)  # the next quarter's occurrence
    assert (await say(fake, EDU, "/done 6"))["text"] == texts.ALREADY_DONE.format(task=6, unit="区教育局")
    clock.now = datetime(2026, 4, 2, 10, 0, tzinfo=SH)
    assert (await say(fake, EDU, "/done 6"))["text"] == texts.MARKED.format(task=6, unit="区教育局")
    listing = await say(fake, EDU, "/tasks")
    assert "截止 9月30日" in line_of(listing["text"], 6)
    assert "已撤销" in (await say(fake, EDU, "/undo 6"))["text"]
    listing = await say(fake, EDU, "/tasks")
    assert "截止 6月30日" in line_of(listing["text"], 6)  # undo took back the latest occurrence only


# ------------------------------------------------------------------------------------------------ /report


@needs_cjk_font
async def test_report_command_sends_chart_and_workbook_to_admins_only(
    app: Application, ctx: AppContext, fake: FakeTelegram, clock: Clock
) -> None:
    clock.now = AFTER_DIGEST
    assert (await say(fake, EDU, "/report"))["text"] == bot_oversight.ADMIN_ONLY
    fake.user_message(ADMIN, "/report")
    await fake.wait_for(lambda m: "document" in m, chat_id=ADMIN)
    photo, document = fake.sent_files(ADMIN)
    assert photo["data"][:8] == b"\x89PNG\r\n\x1a\n" and len(photo["data"]) > 5000
    assert photo["caption"].startswith("📊 督办台账（截至3月4日）：共 8 项，已完成 0 项，逾期 1 项。")
    assert document["filename"] == "督办台账_2026-03-04.xlsx"
    wb = load_workbook(io.BytesIO(document["data"]))
    assert wb.sheetnames[0] == "汇总" and len(wb.sheetnames) == 2
    sheet = wb[wb.sheetnames[1]]
    assert sheet["A1"].value == "序号" and sheet.max_row == 9
    assert (await say(fake, ADMIN, "/report 第二"))["text"] == bot_oversight.REPORT_BAD_PLAN
    assert (await say(fake, ADMIN, "/report 99"))[
        "text"
    ] == "没有编号为 99 的计划。发送 /report 导出全部计划。"


async def test_a_report_that_cannot_be_sent_is_said_so_not_called_empty(
    app: Application, ctx: AppContext, fake: FakeTelegram, clock: Clock
) -> None:
    clock.now = AFTER_DIGEST
    fake.fail_next("sendDocument", "500", chat_id=ADMIN)
    fake.user_message(ADMIN, "/report")
    # The chart (or, without a Chinese font, its caption as text) goes out first; then the answer.
    [answer] = await fake.wait_for(lambda m: not m.get("text", "📊").startswith("📊"), chat_id=ADMIN)
    assert answer["text"] == bot_oversight.REPORT_FAILED
    with session_scope(ctx.engine) as s:
        assert s.exec(select(TaskRow)).first() is not None  # there was something to report


def test_parse_progress_reply() -> None:
    cases = {
        "进度：已完成初稿": (None, "已完成初稿"),
        "进度:已完成初稿": (None, "已完成初稿"),
        "进度 12：开会讨论": (12, "开会讨论"),
        "进度#3: 过半": (3, "过半"),
        "进度": (None, ""),
        "完成": None,
        "目前进度很好": None,
    }
    for text, expected in cases.items():
        assert bot_oversight.parse_progress_reply(text) == expected, text


@needs_cjk_font
async def test_weekly_summary_goes_to_admins_on_mondays_once(
    app: Application, ctx: AppContext, fake: FakeTelegram
) -> None:
    tuesday = await run_oversight(app.bot, ctx, day=date(2026, 3, 10), clock=lambda: AFTER_DIGEST)
    assert tuesday.weekly == {}
    monday = await run_oversight(app.bot, ctx, day=date(2026, 3, 9), clock=lambda: AFTER_DIGEST)
    assert list(monday.weekly) == [ADMIN] and len(monday.weekly[ADMIN]) == 2
    photo, document = fake.sent_files(ADMIN)
    assert photo["caption"].startswith("📊 督办台账（截至3月9日）") and document["filename"].endswith(".xlsx")
    again = await run_oversight(app.bot, ctx, day=date(2026, 3, 9), clock=lambda: AFTER_DIGEST)
    assert again.weekly == {} and len(fake.sent_files(ADMIN)) == 2


async def test_one_chats_failure_does_not_stop_the_daily_run(
    app: Application, ctx: AppContext, fake: FakeTelegram, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await subscribe(fake, EDU, "区教育局")
    await subscribe(fake, FIN, "区财政局")  # leads #2, where 区教育局 is overdue: FIN gets an escalation
    real = ledger.claim

    def broken_for_fin(s: Session, *, chat_id: int, **kwargs: Any) -> bool:
        if chat_id == FIN:
            raise RuntimeError("database went away")
        return real(s, chat_id=chat_id, **kwargs)

    monkeypatch.setattr(ledger, "claim", broken_for_fin)
    clock.now = datetime(2026, 3, 5, 9, 30, tzinfo=SH)
    report = await run_oversight(app.bot, ctx, day=date(2026, 3, 5), clock=clock)
    assert "database went away" in report.failed[FIN]
    assert set(report.overdue) == {ADMIN}  # the admins' summary still went out
