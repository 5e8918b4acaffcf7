"""The one place the Telegram Application is built and run: HTTP, defaults, rate limits, leader, webhook."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from loguru import logger
from telegram import BotCommand, BotCommandScopeChat
from telegram.error import BadRequest, InvalidToken
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, Defaults
from telegram.request import HTTPXRequest

from bot import texts
from bot.handlers import register
from duban.context import AppContext
from jobs.digest import SEND_HOOKS, catch_up_digest, schedule_digest
from jobs.leader import Leadership, leads

Clock = Callable[[], datetime]
SEND_METHODS = frozenset({"sendmessage", "senddocument", "sendphoto"})


class LedgerRequest(HTTPXRequest):
    """PTB's HTTP layer, telling the delivery ledger around each send request (see jobs.digest.SendHooks)."""

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        """The request, with the current task's SEND_HOOKS (if any) called right before and right after."""
        hooks = SEND_HOOKS.get()
        if hooks is None or url.rsplit("/", 1)[-1].lower() not in SEND_METHODS:
            return await super().do_request(url, method, *args, **kwargs)
        # After the rate limiter let the request through: the in-doubt window is the HTTP round trip only.
        hooks.before()
        status, body = await super().do_request(url, method, *args, **kwargs)
        # Before PTB parses the answer and before any other task runs: the id is committed at once.
        hooks.after(status, body)
        return status, body


def ledger_request(ctx: AppContext) -> LedgerRequest:
    """The HTTP layer for sending, with the configured timeouts."""
    t = ctx.settings.telegram
    return LedgerRequest(
        connection_pool_size=64,
        connect_timeout=t.connect_timeout,
        read_timeout=t.read_timeout,
        write_timeout=t.read_timeout,
    )


class _RateLimitLog(logging.Handler):
    """AIORateLimiter reports its retries through the standard logging module; pass them on to loguru."""

    def emit(self, record: logging.LogRecord) -> None:
        level = "WARNING" if record.levelno >= logging.INFO else "DEBUG"
        logger.log(level, "限流重试（AIORateLimiter）：{}", record.getMessage())


def rate_limiter(ctx: AppContext) -> AIORateLimiter:
    """PTB's limiter at Telegram's pace, smoothed; it waits out RetryAfter and retries up to max_retries."""
    t = ctx.settings.telegram
    ptb_log = logging.getLogger("telegram.ext.AIORateLimiter")
    if not any(isinstance(h, _RateLimitLog) for h in ptb_log.handlers):
        ptb_log.addHandler(_RateLimitLog())
        ptb_log.setLevel(logging.INFO)
        ptb_log.propagate = False  # said here in Chinese; the root logger's InterceptHandler would repeat it
    # aiolimiter's bucket starts full: AsyncLimiter(30, 1) lets about 60 messages through in the first
    # second, which Telegram (and the local test server's sliding window) answers with 429 and a pause for
    # everyone. One token every 1/rate seconds never bursts: measured 300 chats, 0 × 429 instead of 67.
    return AIORateLimiter(
        overall_max_rate=1 if t.overall_max_rate else 0,
        overall_time_period=1 / t.overall_max_rate if t.overall_max_rate else 0,
        group_max_rate=1 if t.group_max_rate else 0,
        group_time_period=60 / t.group_max_rate if t.group_max_rate else 0,
        max_retries=t.max_retries,
    )


async def post_init(application: Application) -> None:
    """Register the command menu and send today's digest if the bot was down at digest time."""
    await application.bot.set_my_commands([BotCommand(name, text) for name, text in texts.COMMANDS])
    ctx: AppContext = application.bot_data["ctx"]
    admin_menu = [BotCommand(name, text) for name, text in texts.ADMIN_COMMANDS]
    for admin in sorted(ctx.settings.access.admins):
        try:
            # An admin's private chat has the admin's user id; the menu shows there only.
            await application.bot.set_my_commands(admin_menu, scope=BotCommandScopeChat(admin))
        except BadRequest as exc:  # the admin has not opened a chat with the bot yet
            logger.info("管理员 {} 的命令菜单暂未设置：{}", admin, exc.message)
    me = application.bot.bot
    logger.info(
        "机器人 @{} 已连接，命令菜单已设置（管理员 {} 人另有管理命令）",
        me.username,
        len(ctx.settings.access.admins),
    )
    if leads(application.bot_data):
        catch_up_digest(application)


async def post_shutdown(application: Application) -> None:
    """Release the database connections."""
    ctx: AppContext = application.bot_data["ctx"]
    ctx.engine.dispose()
    logger.info("机器人已停止")


def build_application(ctx: AppContext, token: str, *, clock: Clock | None = None) -> Application:
    """The bot for ctx: API URLs from config, time zone defaults, rate limiter, handlers and the digest job."""
    # httpx logs every request URL at INFO, and Bot API URLs contain the token (duban.logs masks it and keeps
    # httpx at WARNING; this covers an application built without setup_logging, as in tests).
    logging.getLogger("httpx").setLevel(logging.WARNING)
    tz = ctx.settings.tz
    t = ctx.settings.telegram
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(t.api_base_url)
        .base_file_url(t.api_base_file_url)
        .request(ledger_request(ctx))
        .defaults(Defaults(tzinfo=tz))
        .rate_limiter(rate_limiter(ctx))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    application.bot_data["ctx"] = ctx
    application.bot_data["clock"] = clock or (lambda: datetime.now(tz))
    register(application)
    schedule_digest(application)
    return application


# The name python-telegram-bot gives its long-polling task.
POLLING_TASK = "Updater:start_polling:polling_task"


async def serve(application: Application, stop: asyncio.Event, *, poll_timeout: float = 10) -> None:
    """Run one instance until stop is set: webhook server or (leader only) long polling; digest on the leader.

    Several instances may share one database. In polling mode only the leader polls getUpdates (Telegram
    allows one poller); in webhook mode every instance serves the webhook behind a load balancer. Either
    way only the leader runs the daily digest, and the ledger would make a second run harmless anyway.
    """
    ctx: AppContext = application.bot_data["ctx"]
    t = ctx.settings.telegram
    updater = application.updater
    assert updater is not None

    def polling_ended(task: asyncio.Task[object]) -> None:
        # PTB ends its polling loop on InvalidToken and leaves the process running: stop, and say why.
        if not task.cancelled() and isinstance(task.exception(), InvalidToken):
            logger.error("Telegram 拒绝了机器人令牌（可能已被撤销或更换），本实例停止运行")
            application.bot_data["token_refused"] = True
            stop.set()

    async def gain() -> None:
        if t.mode == "polling":
            await updater.start_polling(timeout=timedelta(seconds=poll_timeout), allowed_updates=None)
            for task in asyncio.all_tasks():
                if task.get_name() == POLLING_TASK:
                    task.add_done_callback(polling_ended)
        catch_up_digest(application)

    async def lose() -> None:
        if t.mode == "polling" and updater.running:
            with contextlib.suppress(InvalidToken):
                await updater.stop()

    leadership = Leadership(
        ctx.engine,
        lease_seconds=t.leader_lease_seconds,
        renew_seconds=t.leader_renew_seconds,
        on_gain=gain,
        on_lose=lose,
    )
    application.bot_data["leadership"] = leadership
    await application.initialize()
    try:
        if application.post_init:
            await application.post_init(application)
        await application.start()
        if t.mode == "webhook":
            # Every instance sets the same URL and secret (idempotent); the load balancer spreads the POSTs.
            await updater.start_webhook(
                listen=t.webhook_listen,
                port=t.webhook_port,
                url_path=t.webhook_path,
                webhook_url=t.webhook_url,
                secret_token=t.webhook_secret,
            )
            logger.info("webhook 已启动：监听 {}:{}/{}", t.webhook_listen, t.webhook_port, t.webhook_path)
        await leadership.run(stop)
    finally:
        if updater.running:
            # Stopping re-raises how polling ended; a refused token is reported by run_bot instead.
            with contextlib.suppress(InvalidToken):
                await updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)


def run_bot(ctx: AppContext, token: str) -> None:
    """`duban run` with a token: serve until SIGINT or SIGTERM."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()

        def stopping() -> None:
            # Reading children are ended at once: shutting down must not wait for a 30-second read.
            from duban.reading import stop_readers

            stop_readers()
            stop.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):  # Windows
                loop.add_signal_handler(sig, stopping)
        application = build_application(ctx, token)
        await serve(application, stop)
        if application.bot_data.get("token_refused"):
            raise InvalidToken()

    asyncio.run(main())
