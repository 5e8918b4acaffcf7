"""The delivery ledger (one row per chat, day and kind) and which items each sent message carries.

Exactly-once rule, at-most-once on a crash:

- ``claim`` INSERTs the (chat, day, kind) row as 'claimed'; the unique constraint lets one caller win, so a
  second job run, a second process or a restart gets False and sends nothing.
- The sender then sends, and calls ``complete`` (→ 'sent', with the message ids) or, when nothing at all
  went out, ``fail`` (→ 'failed', with the error).
- Only a 'failed' row may be claimed again (a retry), up to ``max_attempts`` claims in all, by a
  conditional UPDATE so two retries cannot both win.
- A row left 'claimed' (the process died between claim and complete) is NEVER claimed again, however old:
  the digest may already be in the chat, and a duplicate is worse than a missing one. The trade-off: a
  crash in that window loses that chat's digest for the day; the row stays 'claimed' with its claimed_at,
  so the loss is visible (``stale_claims``) and can be looked at.
- If some messages of a split digest went out before an error, call ``complete`` with the ids that were
  sent (and log the rest): calling ``fail`` would let a retry send the first part twice.

Each call is meant to run in its own short transaction (``session_scope`` per step), so the claim is
committed before anything is sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlmodel import Session, col, select, update

from core.digest import DigestItem
from storage.models import DeliveryRow, SentItemRow
from storage.upsert import insert_ignore

CLAIMED, SENT, FAILED = "claimed", "sent", "failed"


def claim(
    s: Session, *, chat_id: int, day: date, kind: str = "digest", now: datetime, max_attempts: int = 5
) -> bool:
    """Take the right to send (chat, day, kind): True for the first claim, or a retry of a failed send."""
    row = {
        "chat_id": chat_id,
        "day": day,
        "kind": kind,
        "status": CLAIMED,
        "attempts": 1,
        "claimed_at": now,
        "message_ids": [],
    }
    if insert_ignore(s, DeliveryRow, [row], ("chat_id", "day", "kind")):
        return True
    result = s.execute(
        update(DeliveryRow)
        .where(
            col(DeliveryRow.chat_id) == chat_id,
            col(DeliveryRow.day) == day,
            col(DeliveryRow.kind) == kind,
            col(DeliveryRow.status) == FAILED,
            col(DeliveryRow.attempts) < max_attempts,
        )
        .values(status=CLAIMED, attempts=DeliveryRow.attempts + 1, claimed_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def complete(
    s: Session, *, chat_id: int, day: date, kind: str = "digest", message_ids: Sequence[int], now: datetime
) -> None:
    """Mark a claimed delivery sent, with the Telegram message ids."""
    s.execute(
        update(DeliveryRow)
        .where(
            col(DeliveryRow.chat_id) == chat_id, col(DeliveryRow.day) == day, col(DeliveryRow.kind) == kind
        )
        .values(status=SENT, sent_at=now, message_ids=list(message_ids), last_error=None)
    )


def fail(s: Session, *, chat_id: int, day: date, kind: str = "digest", error: str, now: datetime) -> None:
    """Mark a claimed delivery failed (nothing was sent), so a later run may retry; the claim time is kept."""
    s.execute(
        update(DeliveryRow)
        .where(
            col(DeliveryRow.chat_id) == chat_id,
            col(DeliveryRow.day) == day,
            col(DeliveryRow.kind) == kind,
            col(DeliveryRow.status) == CLAIMED,
        )
        .values(status=FAILED, last_error=error[:2000])
    )


def delivery(s: Session, *, chat_id: int, day: date, kind: str = "digest") -> DeliveryRow | None:
    """The ledger row of (chat, day, kind), if any."""
    return s.exec(
        select(DeliveryRow).where(
            DeliveryRow.chat_id == chat_id, DeliveryRow.day == day, DeliveryRow.kind == kind
        )
    ).first()


def delivered_today(s: Session, day: date, kind: str = "digest") -> set[int]:
    """Chats that must not get day's digest again: sent, or claimed (maybe sent, see the module docstring)."""
    query = select(DeliveryRow.chat_id).where(
        DeliveryRow.day == day, DeliveryRow.kind == kind, col(DeliveryRow.status).in_([SENT, CLAIMED])
    )
    return set(s.exec(query))


def stale_claims(s: Session, *, before: datetime) -> list[DeliveryRow]:
    """Deliveries still 'claimed' since before: a crash between claim and complete (never retried)."""
    query = select(DeliveryRow).where(DeliveryRow.status == CLAIMED, col(DeliveryRow.claimed_at) < before)
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
