"""Shell: the one suppression list (numbers and emails), queried just before every send.

Keys are a normalised E.164 number or a lower-cased email. A lift (START, UNSTOP, or a console
removal with a reason) keeps the row, inactive, as evidence; an erasure never touches this table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_
from sqlmodel import Session, col, select

from core import phone
from core.models import Suppression


def key_for(value: str) -> str:
    """The list's key: emails lower-cased, numbers in E.164 (a CRM's "07700 900123" included)."""
    value = value.strip()
    return value.lower() if "@" in value else phone.normalise(value) or value


def is_suppressed(session: Session, value: str) -> bool:
    if not value:
        return False
    row = session.exec(select(Suppression).where(Suppression.key == key_for(value))).first()
    return row is not None and row.active


def suppress(session: Session, *, value: str, source: str, evidence: str, at: datetime) -> bool:
    """Put a number or email on the list; True if it was not on it already."""
    key = key_for(value)
    row = session.exec(select(Suppression).where(Suppression.key == key)).first()
    if row is None:
        session.add(
            Suppression(
                key=key,
                kind="email" if "@" in key else "number",
                source=source,
                evidence=evidence,
                created_at=at,
            )
        )
        session.flush()
        return True
    if row.active:
        return False
    row.active = True
    row.source, row.evidence, row.created_at = source, evidence, at
    row.lifted_at, row.lift_reason = None, ""
    row.version += 1
    session.add(row)
    session.flush()
    return True


def lift(session: Session, *, value: str, reason: str, at: datetime) -> bool:
    """Take a number or email off the list (the row stays, inactive); True if it was on it."""
    row = session.exec(select(Suppression).where(Suppression.key == key_for(value))).first()
    if row is None or not row.active:
        return False
    row.active = False
    row.lifted_at, row.lift_reason = at, reason
    row.version += 1
    session.add(row)
    session.flush()
    return True


def last_lift(session: Session, value: str) -> datetime | None:
    """When the number or email was last lifted (a CRM opt-out older than this is not new)."""
    row = session.exec(select(Suppression).where(Suppression.key == key_for(value))).first()
    return None if row is None else row.lifted_at


def entries(session: Session, *, search: str = "", active_only: bool = True) -> list[Suppression]:
    """The list, newest first; `search` matches part of a key, or a whole number in any format."""
    query = select(Suppression).order_by(col(Suppression.created_at).desc())
    if active_only:
        query = query.where(Suppression.active == True)  # noqa: E712
    needle = search.strip().lower()
    if needle:
        keys = col(Suppression.key)
        query = query.where(or_(keys.contains(needle), keys == key_for(needle)))
    return list(session.exec(query).all())
