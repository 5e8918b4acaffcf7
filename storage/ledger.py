"""The delivery ledger (one row per chat, day and kind) and which items each sent message carries.

Exactly once, and after a crash at least once with a window of milliseconds for a duplicate:

- ``claim`` INSERTs the (chat, day, kind) row as 'claimed'; the unique constraint lets one caller win, so a
  second job run, a second process or a restart gets False while the claim is alive.
- Right before each HTTP attempt the sender calls ``begin_attempt`` (→ 'sending'); as soon as Telegram's
  answer is read, ``part_sent`` appends the message id (→ 'claimed' again), or ``attempt_refused`` notes
  an error answer (nothing went out → 'claimed'). ``complete`` (→ 'sent') ends it;
  ``fail`` (→ 'failed', nothing went out) lets a later run retry. Every step refreshes ``active_at``.
- Only a 'failed' row, or a claim silent for longer than ``stale_after`` (its process died), may be claimed
  again, up to ``max_attempts`` claims in all, by a conditional UPDATE so two takers cannot both win. The
  taker resumes after the parts already recorded in ``message_ids``.
- A dead claim still 'claimed' had no HTTP attempt in flight: nothing of it is in the chat beyond
  ``message_ids``, so resuming is exactly once. A dead claim in 'sending' is in doubt: the process died
  between ``begin_attempt`` and ``part_sent``, and Telegram cannot be asked whether that message arrived.
  The part is sent again (a reminder matters more than a rare repeat) and ``doubtful`` is counted. A
  duplicate needs the kill to land after Telegram accepted the message and before ``part_sent`` committed:
  the answer's way back plus one commit (milliseconds; the README gives the measured rate).
- Without ``stale_after`` a claim is never taken over (the old at-most-once rule): ``stale_claims`` lists
  them.
- If some messages of a split digest went out before an error, call ``complete`` with the ids that were
  sent (and log the rest): calling ``fail`` would let a retry send the first part twice.

Each call is meant to run in its own short transaction (``session_scope`` per step), so the claim and each
attempt are committed before anything is sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select, update

from core.digest import DigestItem
from storage.models import DeliveryRow, SentItemRow
from storage.upsert import insert_ignore

CLAIMED, SENDING, SENT, FAILED = "claimed", "sending", "sent", "failed"
LIVE = (CLAIMED, SENDING)


def last_sign() -> ColumnElement[datetime]:
    """The claimant's last sign of life (rows written before active_at existed have only claimed_at)."""
    return func.coalesce(DeliveryRow.active_at, DeliveryRow.claimed_at)


def _row(chat_id: int, day: date, kind: str) -> list[ColumnElement[bool]]:
    return [col(DeliveryRow.chat_id) == chat_id, col(DeliveryRow.day) == day, col(DeliveryRow.kind) == kind]


def claim(
    s: Session,
    *,
    chat_id: int,
    day: date,
    kind: str = "digest",
    now: datetime,
    max_attempts: int = 5,
    stale_after: timedelta | None = None,
) -> bool:
    """Take the right to send (chat, day, kind): the first claim, a retry of a failed send, or a dead claim."""
    row = {
        "chat_id": chat_id,
        "day": day,
        "kind": kind,
        "status": CLAIMED,
        "attempts": 1,
        "claimed_at": now,
        "active_at": now,
        "message_ids": [],
        "doubtful": 0,
    }
    if insert_ignore(s, DeliveryRow, [row], ("chat_id", "day", "kind")):
        return True
    retry = dict(status=CLAIMED, attempts=DeliveryRow.attempts + 1, claimed_at=now, active_at=now)
    under_cap = col(DeliveryRow.attempts) < max_attempts
    if _update(s, [*_row(chat_id, day, kind), col(DeliveryRow.status) == FAILED, under_cap], retry):
        return True
    if stale_after is None:
        return False
    dead = last_sign() < now - stale_after
    if _update(s, [*_row(chat_id, day, kind), col(DeliveryRow.status) == CLAIMED, dead, under_cap], retry):
        return True
    # An HTTP attempt was in flight when the claimant died: the part is resent, and the doubt counted.
    doubtful = {**retry, "doubtful": DeliveryRow.doubtful + 1}
    return _update(
        s, [*_row(chat_id, day, kind), col(DeliveryRow.status) == SENDING, dead, under_cap], doubtful
    )


def _update(s: Session, where: list[ColumnElement[bool]], values: dict[str, Any]) -> bool:
    result = s.exec(update(DeliveryRow).where(*where).values(**values))
    return bool(result.rowcount)


def begin_attempt(s: Session, *, chat_id: int, day: date, kind: str = "digest", now: datetime) -> None:
    """Record that an HTTP attempt to send the next part starts now (commit before the request goes out)."""
    _update(
        s,
        [*_row(chat_id, day, kind), col(DeliveryRow.status).in_(LIVE)],
        {"status": SENDING, "active_at": now},
    )


def attempt_refused(s: Session, *, chat_id: int, day: date, kind: str = "digest", now: datetime) -> None:
    """Telegram answered the attempt with an error: nothing went out, no attempt in flight any more."""
    _update(
        s,
        [*_row(chat_id, day, kind), col(DeliveryRow.status) == SENDING],
        {"status": CLAIMED, "active_at": now},
    )


def part_sent(
    s: Session,
    *,
    chat_id: int,
    day: date,
    kind: str = "digest",
    message_id: int,
    items: Iterable[DigestItem | tuple[int, int]] = (),
    target: int | None = None,
    now: datetime,
) -> None:
    """Record one part that Telegram accepted (its id and the items it carries); no attempt in flight now."""
    row = delivery(s, chat_id=chat_id, day=day, kind=kind)
    if row is None:
        return
    _update(
        s,
        [*_row(chat_id, day, kind)],
        {
            "status": CLAIMED if row.status in LIVE else row.status,
            "message_ids": [*row.message_ids, message_id],
            "active_at": now,
        },
    )
    record_items(s, chat_id=target if target is not None else chat_id, message_id=message_id, items=items)


def touch(s: Session, *, chat_id: int, day: date, kind: str = "digest", now: datetime) -> None:
    """A sign of life from the claimant while it waits (a pause Telegram asked for, a backoff)."""
    _update(s, [*_row(chat_id, day, kind), col(DeliveryRow.status).in_(LIVE)], {"active_at": now})


def live_claims(s: Session, day: date, kind: str = "digest", *, since: datetime) -> set[int]:
    """Chats whose claim for day is held by a sender that showed life since `since` (leave them alone)."""
    query = select(DeliveryRow.chat_id).where(
        DeliveryRow.day == day,
        DeliveryRow.kind == kind,
        col(DeliveryRow.status).in_(LIVE),
        last_sign() >= since,
    )
    return set(s.exec(query))


def move_chat(s: Session, old: int, new: int) -> int:
    """A group became a supergroup: its ledger rows follow it, so the new id is not sent today's digest again."""
    taken = select(col(DeliveryRow.day)).where(DeliveryRow.chat_id == new)
    result = s.exec(
        update(DeliveryRow)
        .where(col(DeliveryRow.chat_id) == old, col(DeliveryRow.day).not_in(taken))
        .values(chat_id=new)
    )
    return int(result.rowcount or 0)


def complete(
    s: Session, *, chat_id: int, day: date, kind: str = "digest", message_ids: Sequence[int], now: datetime
) -> None:
    """Mark a claimed delivery sent, with the Telegram message ids (all parts, also those of earlier claims)."""
    s.execute(
        update(DeliveryRow)
        .where(
            col(DeliveryRow.chat_id) == chat_id, col(DeliveryRow.day) == day, col(DeliveryRow.kind) == kind
        )
        .values(status=SENT, sent_at=now, message_ids=list(message_ids), last_error=None, active_at=now)
    )


def fail(s: Session, *, chat_id: int, day: date, kind: str = "digest", error: str, now: datetime) -> None:
    """Mark a claimed delivery failed (nothing was sent), so a later run may retry; the claim time is kept."""
    s.execute(
        update(DeliveryRow)
        .where(
            col(DeliveryRow.chat_id) == chat_id,
            col(DeliveryRow.day) == day,
            col(DeliveryRow.kind) == kind,
            col(DeliveryRow.status).in_(LIVE),
        )
        .values(status=FAILED, last_error=error[:2000], active_at=now)
    )


def delivery(s: Session, *, chat_id: int, day: date, kind: str = "digest") -> DeliveryRow | None:
    """The ledger row of (chat, day, kind), if any."""
    return s.exec(
        select(DeliveryRow).where(
            DeliveryRow.chat_id == chat_id, DeliveryRow.day == day, DeliveryRow.kind == kind
        )
    ).first()


def delivered_today(s: Session, day: date, kind: str = "digest") -> set[int]:
    """Chats that must not get day's digest again now: sent, or claimed (being sent, or dead: see stale)."""
    query = select(DeliveryRow.chat_id).where(
        DeliveryRow.day == day, DeliveryRow.kind == kind, col(DeliveryRow.status).in_([SENT, *LIVE])
    )
    return set(s.exec(query))


def stale_claims(s: Session, *, before: datetime) -> list[DeliveryRow]:
    """Deliveries claimed and silent since before: a crash between claim and complete (see claim's stale_after)."""
    query = select(DeliveryRow).where(col(DeliveryRow.status).in_(LIVE), last_sign() < before)
    return list(s.exec(query.order_by(col(DeliveryRow.claimed_at))))


def record_items(
    s: Session, *, chat_id: int, message_id: int, items: Iterable[DigestItem | tuple[int, int]]
) -> int:
    """Remember which (task, unit) items a sent message carries; recording twice is harmless."""
    rows = []
    for item in items:
        task_id, unit_id = (item.task_id, item.unit_id) if isinstance(item, DigestItem) else item
        rows.append({"chat_id": chat_id, "message_id": message_id, "task_id": task_id, "unit_id": unit_id})
    return insert_ignore(s, SentItemRow, rows, ("chat_id", "message_id", "task_id", "unit_id"))


def items_of_message(s: Session, *, chat_id: int, message_id: int) -> list[tuple[int, int]]:
    """The (task_id, unit_id) items a bot message carries, in the order recorded; [] for unknown messages."""
    query = (
        select(SentItemRow.task_id, SentItemRow.unit_id)
        .where(SentItemRow.chat_id == chat_id, SentItemRow.message_id == message_id)
        .order_by(col(SentItemRow.id))
    )
    return [(t, u) for t, u in s.exec(query)]
