"""Shell: every query and update of the recovery tables; compare-and-set on the version column.

Functions take an open `Session` (from `core.db.read_session` or `write_transaction`) and never
commit: the caller's transaction decides. Rows become `core.domain` values at this boundary.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from core import domain
from core.domain import RecoveryState, StepStatus
from core.models import Attempt, Event, InboundCall, InboundMessage, PollCursor, Recovery

_STATE_FIELDS = tuple(f.name for f in dataclasses.fields(RecoveryState))
_ENUM_FIELDS: dict[str, type[StrEnum]] = {
    "outcome": domain.Outcome,
    "sms_status": StepStatus,
    "callback_status": StepStatus,
    "email_status": StepStatus,
}


def to_state(row: Recovery) -> RecoveryState:
    """The pure value of a recovery row."""
    values: dict[str, Any] = {}
    for name in _STATE_FIELDS:
        value = getattr(row, name)
        enum = _ENUM_FIELDS.get(name)
        values[name] = enum(value) if enum is not None and value is not None else value
    return RecoveryState(**values)


def _row_values(state: RecoveryState) -> dict[str, Any]:
    values = {name: getattr(state, name) for name in _STATE_FIELDS}
    for name in _ENUM_FIELDS:
        if values[name] is not None:
            values[name] = str(values[name])
    return values


def insert_recovery(session: Session, state: RecoveryState) -> RecoveryState:
    """Store a new recovery and return it with its id."""
    values = _row_values(state)
    values.pop("id")
    row = Recovery(**values)
    session.add(row)
    session.flush()
    return dataclasses.replace(state, id=row.id)


def get_recovery(session: Session, recovery_id: int) -> RecoveryState | None:
    row = session.get(Recovery, recovery_id)
    return None if row is None else to_state(row)


def compare_and_set(session: Session, before: RecoveryState, after: RecoveryState) -> bool:
    """Write `after` only if the row is still at `before`'s version; True if it was written."""
    values = _row_values(after)
    values.pop("id")
    values["version"] = before.version + 1
    result = session.execute(
        update(Recovery)
        .where(col(Recovery.id) == before.id, col(Recovery.version) == before.version)
        .values(**values)
    )
    session.expire_all()
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def open_recovery_for(session: Session, caller: str) -> RecoveryState | None:
    """The caller's open recovery (there is at most one)."""
    row = session.exec(
        select(Recovery)
        .where(Recovery.caller == caller, col(Recovery.outcome).is_(None))
        .order_by(col(Recovery.id).desc())
    ).first()
    return None if row is None else to_state(row)


def latest_contacted_close(session: Session, caller: str) -> datetime | None:
    """When the caller's most recent contacted recovery closed (None if none has)."""
    row = session.exec(
        select(Recovery)
        .where(
            Recovery.caller == caller,
            col(Recovery.contacted_at).is_not(None),
            col(Recovery.outcome_at).is_not(None),
        )
        .order_by(col(Recovery.outcome_at).desc())
    ).first()
    return None if row is None else row.outcome_at


def latest_eligible_before(session: Session, caller: str, at: datetime) -> RecoveryState | None:
    """The caller's latest eligible recovery whose first missed call precedes `at`."""
    row = session.exec(
        select(Recovery)
        .where(
            Recovery.caller == caller,
            col(Recovery.first_missed_at) <= at,
            col(Recovery.outcome).is_distinct_from(domain.Outcome.NOT_CONTACTED.value),
        )
        .order_by(col(Recovery.first_missed_at).desc(), col(Recovery.id).desc())
    ).first()
    return None if row is None else to_state(row)


def last_no_conversation_callback(session: Session, caller: str) -> datetime | None:
    """When the latest callback to `caller` that hit voicemail or had no conversation finished."""
    row = session.exec(
        select(Recovery)
        .where(
            Recovery.caller == caller,
            Recovery.callback_result == domain.CallbackResult.NO_CONVERSATION.value,
        )
        .order_by(col(Recovery.callback_done_at).desc())
    ).first()
    return None if row is None else row.callback_done_at


def due_recovery_ids(
    session: Session, now: datetime, *, except_callers: Collection[str] = ()
) -> list[int]:
    """Recoveries with something clock-driven to do at `now` (paused ones too: they can expire),
    leaving out those of `except_callers`."""
    rows = session.exec(
        select(Recovery.id)
        .where(col(Recovery.next_action_at).is_not(None), col(Recovery.next_action_at) <= now)
        .where(col(Recovery.caller).not_in(list(except_callers)))
        .order_by(col(Recovery.next_action_at))
    ).all()
    return [r for r in rows if r is not None]


def active_callback_ids(session: Session) -> list[int]:
    """Recoveries (open or closed) with a placed callback that is not finished yet."""
    rows = session.exec(
        select(Recovery.id).where(Recovery.callback_status == StepStatus.ACTIVE.value)
    ).all()
    return [r for r in rows if r is not None]


def list_recoveries(
    session: Session, *, open_only: bool = False, limit: int = 500
) -> list[Recovery]:
    query = select(Recovery).order_by(col(Recovery.first_missed_at).desc()).limit(limit)
    if open_only:
        query = query.where(col(Recovery.outcome).is_(None))
    return list(session.exec(query).all())


def add_events(
    session: Session, recovery_id: int | None, events: tuple[domain.Event, ...] | list[domain.Event]
) -> None:
    """Append events to the timeline."""
    for e in events:
        session.add(
            Event(
                recovery_id=recovery_id,
                at=e.at,
                kind=e.kind,
                reason=e.reason,
                actor=str(e.actor),
                attention=None if e.attention is None else str(e.attention),
            )
        )


def timeline(session: Session, recovery_id: int) -> list[Event]:
    return list(
        session.exec(
            select(Event)
            .where(Event.recovery_id == recovery_id)
            .order_by(col(Event.at), col(Event.id))
        ).all()
    )


def attention_events(session: Session, since: datetime) -> list[Event]:
    """Events that put something on the "needs a person" list since `since`."""
    return list(
        session.exec(
            select(Event)
            .where(col(Event.attention).is_not(None), col(Event.at) >= since)
            .order_by(col(Event.at).desc())
        ).all()
    )


def create_attempt(
    session: Session,
    *,
    recovery_id: int,
    channel: domain.Channel,
    purpose: str,
    started_at: datetime,
    to_address: str,
    body: str = "",
) -> Attempt:
    """Write the attempt row before the vendor call; its key makes a second claim impossible."""
    count = len(
        session.exec(
            select(Attempt.id).where(
                Attempt.recovery_id == recovery_id,
                Attempt.channel == channel.value,
                Attempt.purpose == purpose,
            )
        ).all()
    )
    attempt = Attempt(
        recovery_id=recovery_id,
        channel=channel.value,
        purpose=purpose,
        idempotency_key=f"{recovery_id}:{channel.value}:{purpose}:{count + 1}",
        started_at=started_at,
        to_address=to_address,
        body=body,
    )
    session.add(attempt)
    session.flush()
    return attempt


def unfinished_attempts(session: Session) -> list[Attempt]:
    """Attempts written but never given a result: reconcile these before sending again."""
    return list(
        session.exec(select(Attempt).where(Attempt.result == "").order_by(col(Attempt.id))).all()
    )


def get_cursor(session: Session, name: str) -> datetime | None:
    row = session.get(PollCursor, name)
    return None if row is None else row.value


def set_cursor(session: Session, name: str, value: datetime) -> None:
    row = session.get(PollCursor, name)
    if row is None:
        session.add(PollCursor(name=name, value=value))
    elif value > row.value:
        row.value = value
        session.add(row)


def get_inbound_call(session: Session, sid: str) -> InboundCall | None:
    return session.get(InboundCall, sid)


def message_seen(session: Session, sid: str) -> bool:
    return session.get(InboundMessage, sid) is not None


def recoveries_of(session: Session, caller: str) -> list[Recovery]:
    return list(session.exec(select(Recovery).where(Recovery.caller == caller)).all())


def known_call_sids(session: Session, sids: list[str]) -> set[str]:
    """Which of these calls were already recorded."""
    if not sids:
        return set()
    rows = session.exec(select(InboundCall.sid).where(col(InboundCall.sid).in_(sids))).all()
    return set(rows)


def known_message_sids(session: Session, sids: list[str]) -> set[str]:
    """Which of these inbound messages were already recorded."""
    if not sids:
        return set()
    rows = session.exec(select(InboundMessage.sid).where(col(InboundMessage.sid).in_(sids))).all()
    return set(rows)


def sms_awaiting_delivery(session: Session, *, since: datetime) -> list[Attempt]:
    """Accepted SMS attempts since `since` whose message has no final status recorded yet."""
    final = ("delivered", "undelivered", "failed", "canceled")
    query = (
        select(Attempt)
        .join(Recovery, col(Recovery.id) == col(Attempt.recovery_id))
        .where(
            Attempt.channel == domain.Channel.SMS.value,
            col(Attempt.result).in_(("accepted", "found")),
            col(Attempt.finished_at) >= since,
            col(Recovery.sms_delivery).not_in(final),
        )
    )
    return list(session.exec(query).all())
