"""Which chats follow which units: subscribe, approve, unsubscribe, chat migration and blocked chats.

A subscription is 'pending' (approval mode, waiting for an admin), 'active' (gets digests, may mark items)
or 'inactive' (unsubscribed, denied, or the chat blocked the bot). Rows are kept, never deleted, so
re-subscribing reuses the (chat, unit) row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select, update

from storage.models import DeliveryRow, SubscriptionRow, UnitRequestRow, UnitRow
from storage.upsert import insert_ignore

PENDING, ACTIVE, INACTIVE = "pending", "active", "inactive"


def subscribe(
    s: Session,
    *,
    chat_id: int,
    unit_id: int,
    user_id: int | None,
    user_name: str | None,
    needs_approval: bool,
    now: datetime,
) -> SubscriptionRow:
    """The chat's subscription to the unit: created, or reactivated when inactive; a live one is unchanged.

    A reactivated row starts over: pending again when approval is needed, and who asked is updated.
    """
    status = PENDING if needs_approval else ACTIVE
    values = {
        "chat_id": chat_id,
        "unit_id": unit_id,
        "user_id": user_id,
        "user_name": user_name,
        "status": status,
        "created_at": now,
    }
    insert_ignore(s, SubscriptionRow, [values], ("chat_id", "unit_id"))
    # Only an inactive row changes; the WHERE makes a concurrent second request harmless.
    s.execute(
        update(SubscriptionRow)
        .where(
            col(SubscriptionRow.chat_id) == chat_id,
            col(SubscriptionRow.unit_id) == unit_id,
            col(SubscriptionRow.status) == INACTIVE,
        )
        .values(status=status, user_id=user_id, user_name=user_name, decided_by=None, created_at=now)
    )
    row = s.exec(
        select(SubscriptionRow)
        .where(SubscriptionRow.chat_id == chat_id, SubscriptionRow.unit_id == unit_id)
        .execution_options(populate_existing=True)
    ).one()
    return row


def decide(s: Session, sub_id: int, *, approve: bool, admin_id: int) -> SubscriptionRow | None:
    """Approve (→ active) or deny (→ inactive) a pending subscription; None when missing or already decided."""
    result = s.exec(
        update(SubscriptionRow)
        .where(col(SubscriptionRow.id) == sub_id, col(SubscriptionRow.status) == PENDING)
        .values(status=ACTIVE if approve else INACTIVE, decided_by=admin_id)
    )
    if not result.rowcount:
        return None
    return s.exec(
        select(SubscriptionRow).where(SubscriptionRow.id == sub_id).execution_options(populate_existing=True)
    ).one()


def get_subscription(s: Session, sub_id: int) -> SubscriptionRow | None:
    """A subscription by id."""
    return s.get(SubscriptionRow, sub_id)


def unsubscribe(s: Session, *, chat_id: int, unit_id: int) -> bool:
    """Stop following a unit (pending or active); False when the chat did not follow it."""
    result = s.exec(
        update(SubscriptionRow)
        .where(
            col(SubscriptionRow.chat_id) == chat_id,
            col(SubscriptionRow.unit_id) == unit_id,
            col(SubscriptionRow.status) != INACTIVE,
        )
        .values(status=INACTIVE)
    )
    return bool(result.rowcount)


def chat_subscriptions(s: Session, chat_id: int) -> list[tuple[SubscriptionRow, UnitRow]]:
    """The chat's pending and active subscriptions with their units, by unit name (for /mine, /unsubscribe)."""
    rows = s.exec(
        select(SubscriptionRow, UnitRow)
        .join(UnitRow, col(UnitRow.id) == col(SubscriptionRow.unit_id))
        .where(SubscriptionRow.chat_id == chat_id, col(SubscriptionRow.status) != INACTIVE)
        .order_by(col(UnitRow.name))
    )
    return [(sub, unit) for sub, unit in rows]


def pending_subscriptions(s: Session) -> list[tuple[SubscriptionRow, UnitRow]]:
    """Every subscription waiting for an admin, oldest first."""
    rows = s.exec(
        select(SubscriptionRow, UnitRow)
        .join(UnitRow, col(UnitRow.id) == col(SubscriptionRow.unit_id))
        .where(SubscriptionRow.status == PENDING)
        .order_by(col(SubscriptionRow.created_at), col(SubscriptionRow.id))
    )
    return [(sub, unit) for sub, unit in rows]


def deactivate_chat(s: Session, chat_id: int) -> int:
    """Make every live subscription of a chat inactive (it blocked the bot or left); how many changed."""
    result = s.exec(
        update(SubscriptionRow)
        .where(col(SubscriptionRow.chat_id) == chat_id, col(SubscriptionRow.status) != INACTIVE)
        .values(status=INACTIVE)
    )
    return result.rowcount or 0


def migrate_chat(s: Session, old: int, new: int) -> int:
    """Move a group's subscriptions and delivery ledger to its new supergroup id; how many subscriptions moved.

    Where the new chat already has a row for the same unit (or the same day), the new chat's row is kept and
    the old one is left behind inactive, so the unique constraints hold. Ledger rows move too, so a digest
    already sent today to the old group is not sent again to the supergroup.
    Sent-item rows keep the old chat id: the messages they map were sent to the old chat.
    """
    if old == new:
        return 0
    taken = select(SubscriptionRow.unit_id).where(SubscriptionRow.chat_id == new)
    moved = s.exec(
        update(SubscriptionRow)
        .where(col(SubscriptionRow.chat_id) == old, col(SubscriptionRow.unit_id).not_in(taken))
        .values(chat_id=new)
    ).rowcount
    deactivate_chat(s, old)
    theirs = aliased(DeliveryRow)
    clash = (
        select(theirs.id)
        .where(theirs.chat_id == new, theirs.day == DeliveryRow.day, theirs.kind == DeliveryRow.kind)
        .exists()
    )
    s.execute(update(DeliveryRow).where(col(DeliveryRow.chat_id) == old, ~clash).values(chat_id=new))
    return moved or 0


def active_chat_ids(s: Session) -> list[int]:
    """Chats with at least one active subscription, ascending."""
    query = select(SubscriptionRow.chat_id).where(SubscriptionRow.status == ACTIVE).distinct()
    return sorted(s.exec(query))


def unit_names(s: Session, *, include_groups: bool = False) -> list[str]:
    """Names of stored units, sorted; group names (各单位 …) only when asked, since nobody subscribes to them."""
    query = select(UnitRow.name).order_by(col(UnitRow.name))
    if not include_groups:
        query = query.where(col(UnitRow.is_group).is_(False))
    return list(s.exec(query))


def unit_by_name(s: Session, name: str) -> UnitRow | None:
    """The stored unit with exactly this name."""
    return s.exec(select(UnitRow).where(UnitRow.name == name)).first()


def ensure_unit(s: Session, name: str, *, kind: str, is_group: bool = False) -> UnitRow:
    """The stored unit with this name, created with kind when missing (a directory unit no plan named yet)."""
    insert_ignore(s, UnitRow, [{"name": name, "kind": kind, "is_group": is_group}], ("name",))
    return s.exec(select(UnitRow).where(UnitRow.name == name)).one()


# ------------------------------------------------------------------------------------------- unit requests


def request_unit(
    s: Session, *, name: str, chat_id: int, user_id: int | None, user_name: str | None, now: datetime
) -> tuple[UnitRequestRow, bool]:
    """The chat's request to add a unit (a pending one for the same name is reused); (row, new?)."""
    pending = s.exec(
        select(UnitRequestRow).where(
            UnitRequestRow.name == name, UnitRequestRow.chat_id == chat_id, UnitRequestRow.status == "pending"
        )
    ).first()
    if pending is not None:
        return pending, False
    row = UnitRequestRow(name=name, chat_id=chat_id, user_id=user_id, user_name=user_name, requested_at=now)
    s.add(row)
    s.flush()
    return row, True


def decide_unit_request(
    s: Session, request_id: int, *, kind: str | None, by_name: str | None, now: datetime
) -> tuple[UnitRequestRow, UnitRow | None] | None:
    """Add the requested unit with kind (and subscribe the asking chat), or decline it (kind None); None when
    the request is gone or already decided (a conditional UPDATE: of two admins pressing, one decides)."""
    decided = s.execute(
        update(UnitRequestRow)
        .where(col(UnitRequestRow.id) == request_id, col(UnitRequestRow.status) == "pending")
        .values(status="added" if kind else "declined", kind=kind, decided_by_name=by_name, decided_at=now)
    )
    if not decided.rowcount:  # type: ignore[attr-defined]
        return None
    row = s.exec(
        select(UnitRequestRow)
        .where(UnitRequestRow.id == request_id)
        .execution_options(populate_existing=True)
    ).one()
    if kind is None:
        return row, None
    unit = ensure_unit(s, row.name, kind=kind)
    assert unit.id is not None
    subscribe(
        s,
        chat_id=row.chat_id,
        unit_id=unit.id,
        user_id=row.user_id,
        user_name=row.user_name,
        needs_approval=False,  # an admin added the unit for this chat: that is the approval
        now=now,
    )
    s.execute(
        update(SubscriptionRow)
        .where(col(SubscriptionRow.chat_id) == row.chat_id, col(SubscriptionRow.unit_id) == unit.id)
        .values(status=ACTIVE)
    )
    return row, unit
