"""Webhook mode: the local Bot API server POSTs updates to the bot with the secret header; others are refused."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import ClientSession
from bot_harness import AFTER_DIGEST, Clock, import_plan, make_context
from botapi import FakeTelegram

from bot import texts
from bot.app import build_application, serve
from duban.config import ConfigError, load_settings

pytestmark = pytest.mark.slow  # the bot end to end by webhook

SECRET = "s3cret-token_for-tests"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        server.add_chat(7301)
        yield server


async def test_updates_arrive_by_webhook_and_requests_without_the_secret_are_refused(
    tmp_path: Path, fake: FakeTelegram
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    ctx = make_context(
        tmp_path,
        fake,
        f'mode = "webhook"\nwebhook_url = "{url}"\nwebhook_listen = "127.0.0.1"\n'
        f'webhook_port = {port}\nwebhook_path = "hook"\nwebhook_secret = "{SECRET}"\n',
    )
    import_plan(ctx)
    app = build_application(ctx, fake.token, clock=Clock(AFTER_DIGEST))
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, stop))
    try:
        hook = await fake.wait_until(lambda: fake.webhook, what="setWebhook")
        assert (hook["url"], hook["secret_token"]) == (url, SECRET)
        assert not fake.calls("getUpdates")  # webhook mode never polls

        asked = fake.user_message(7301, "/start")
        [answer] = await fake.wait_for(chat_id=7301, after=asked["message_id"])
        assert answer["text"] == texts.START
        assert fake.counters["webhook_ok"] >= 1

        # Someone who is not Telegram: no secret, a wrong one. Both refused, nothing answered.
        update = {"update_id": 99, "message": {**asked, "message_id": 999, "text": "/help"}}
        async with ClientSession() as http:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong-secret-000000"}):
                async with http.post(url, json=update, headers=headers) as resp:
                    assert resp.status == 403
            async with http.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
            ) as resp:
                assert resp.status == 200  # the same update with the secret is taken
        await fake.wait_until(lambda: any(m["text"] == texts.HELP for m in fake.sent(7301)), what="/help")
        assert sum(m["text"] == texts.HELP for m in fake.sent(7301)) == 1
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ('mode = "push"', "polling"),
        ('mode = "webhook"', "webhook_url"),
        ('mode = "webhook"\nwebhook_url = "https://bot.example.org/hook"', "密钥"),
        ('mode = "webhook"\nwebhook_url = "https://bot.example.org/hook"\nwebhook_secret = "short"', "密钥"),
        ("leader_lease_seconds = 10\nleader_renew_seconds = 6", "一半"),
    ],
)
def test_webhook_and_leader_settings_are_checked(tmp_path: Path, lines: str, message: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f"[telegram]\n{lines}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_settings(config)


def test_webhook_url_and_secret_may_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[telegram]\nmode = "webhook"\n', encoding="utf-8")
    monkeypatch.setenv("DUBAN_WEBHOOK_URL", "https://bot.example.org/hook")
    monkeypatch.setenv("DUBAN_WEBHOOK_SECRET", SECRET)
    t = load_settings(config).telegram
    assert (t.mode, t.webhook_url, t.webhook_secret) == ("webhook", "https://bot.example.org/hook", SECRET)


@pytest.mark.slow
async def test_a_token_refused_while_polling_stops_the_instance(tmp_path: Path, fake: FakeTelegram) -> None:
    ctx = make_context(tmp_path, fake)
    app = build_application(ctx, fake.token, clock=Clock(AFTER_DIGEST))
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, stop, poll_timeout=0.5))
    await fake.wait_until(lambda: fake.calls("getUpdates"), what="polling")
    fake.token = "987654:REVOKED"  # the token is revoked: every call now answers 401 Unauthorized
    await asyncio.wait_for(task, timeout=30)
    assert stop.is_set() and app.bot_data["token_refused"] is True
