"""Leader election between bot instances sharing one database: the leader polls Telegram and runs the digest.

The others renew nothing and try to take the lease every renew_seconds; when the leader dies its lease
expires after lease_seconds and one of them takes over (within lease + renew seconds, 40 s by default).
A leader that cannot renew (database unreachable) steps down before its lease can expire, so two instances
never poll at once for longer than one poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from loguru import logger
from sqlalchemy import Engine

from storage import locks
from storage.db import session_scope

LEASE = "telegram-leader"
Hook = Callable[[], Awaitable[None]]


def leads(bot_data: Mapping[str, object]) -> bool:
    """Whether this instance runs the daily jobs: the leader of several whose lease is surely still its own,
    or a lone instance (no leadership set up)."""
    leadership = bot_data.get("leadership")
    if leadership is None:
        return True
    return bool(getattr(leadership, "is_leader", False)) and bool(getattr(leadership, "lease_fresh", True))


def instance_id() -> str:
    """A name for this process that is unique across hosts and restarts: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


async def _noop() -> None:
    return None


class Leadership:
    """Holds (or waits for) the leader lease; calls on_gain / on_lose when that changes."""

    def __init__(
        self,
        engine: Engine,
        *,
        lease_seconds: float,
        renew_seconds: float,
        holder: str | None = None,
        on_gain: Hook = _noop,
        on_lose: Hook = _noop,
        name: str = LEASE,
    ) -> None:
        self.engine = engine
        self.lease = timedelta(seconds=lease_seconds)
        self.renew_seconds = renew_seconds
        self.holder = holder or instance_id()
        self.on_gain, self.on_lose = on_gain, on_lose
        self.name = name
        self.is_leader = False
        self._renewed = 0.0  # monotonic time of the last successful renewal
        # The lease has a thread of its own: handlers and readers filling asyncio's default pool (stuck
        # imports, slow sends) must never make a renewal wait until the lease expires.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="duban-lease")

    @property
    def lease_fresh(self) -> bool:
        """Whether the last renewal is recent enough that the lease is surely still ours."""
        return time.monotonic() - self._renewed < self.lease.total_seconds() - self.renew_seconds

    def _try(self) -> bool:
        with session_scope(self.engine) as s:
            return locks.acquire(s, name=self.name, holder=self.holder, now=datetime.now(UTC), ttl=self.lease)

    async def step(self) -> bool:
        """One round: take or renew the lease, and switch role if that changed; returns is_leader."""
        try:
            held = await asyncio.get_running_loop().run_in_executor(self._executor, self._try)
        except (
            Exception
        ) as exc:  # the database is unreachable: keep the role only while the lease is surely ours
            logger.warning("无法续租主实例租约：{}", repr(exc))
            held = self.is_leader and self.lease_fresh
        else:
            if held:
                self._renewed = time.monotonic()
        if held and not self.is_leader:
            self.is_leader = True
            logger.info("本实例 {} 成为主实例（负责接收更新和每日提醒）", self.holder)
            await self.on_gain()
        elif not held and self.is_leader:
            self.is_leader = False
            logger.warning("本实例 {} 不再是主实例，停止接收更新", self.holder)
            await self.on_lose()
        return self.is_leader

    async def run(self, stop: asyncio.Event) -> None:
        """Step every renew_seconds until stop is set; then step down and release the lease."""
        waiting_logged = False
        try:
            while not stop.is_set():
                leader = await self.step()
                if not leader and not waiting_logged:
                    logger.info("另一个实例是主实例；本实例 {} 待命，主实例失联后接替", self.holder)
                waiting_logged = not leader
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.renew_seconds)
        finally:
            if self.is_leader:
                self.is_leader = False
                await self.on_lose()
                try:
                    await asyncio.get_running_loop().run_in_executor(self._executor, self._release)
                except Exception as exc:  # it expires by itself; the others then wait lease_seconds
                    logger.warning("释放主实例租约失败：{}", repr(exc))
            self._executor.shutdown(wait=False)

    def _release(self) -> None:
        with session_scope(self.engine) as s:
            locks.release(s, name=self.name, holder=self.holder)
