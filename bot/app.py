"""The one place the Telegram Application is built: HTTP, defaults, rate limits, start-up and shutdown."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from loguru import logger
from telegram import BotCommand
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, Defaults

from bot import texts
from bot.handlers import register
from duban.context import AppContext
from jobs.digest import catch_up_digest, schedule_digest

Clock = Callable[[], datetime]


def rate_limiter(ctx: AppContext) -> AIORateLimiter:
    """PTB's limiter at Telegram's pace, smoothed; it waits out RetryAfter and retries up to max_retries."""
    t = ctx.settings.telegram
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
    me = application.bot.bot
    logger.info("机器人 @{} 已连接，命令菜单已设置", me.username)
    catch_up_digest(application)


async def post_shutdown(application: Application) -> None:
    """Release the database connections."""
    ctx: AppContext = application.bot_data["ctx"]
    ctx.engine.dispose()
    logger.info("机器人已停止")


def build_application(ctx: AppContext, token: str, *, clock: Clock | None = None) -> Application:
    """The bot for ctx: API URLs from config, time zone defaults, rate limiter, handlers and the digest job."""
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    tz = ctx.settings.tz
    t = ctx.settings.telegram
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(t.api_base_url)
        .base_file_url(t.api_base_file_url)
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
