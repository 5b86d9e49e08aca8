"""Shell: the SQLModel tables.

Personal data (numbers, names, emails, message bodies) lives only in the columns listed in
`PERSONAL_FIELDS`, which an erasure blanks; the events table never holds any, so the timeline
and the KPIs survive an erasure. Every timestamp column uses the UTC type of `core.db`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from core.db import UTCDateTime


def _at(*, index: bool = False, nullable: bool = True) -> Any:
    """A UTC timestamp column."""
    return Field(default=None, sa_type=UTCDateTime, index=index, nullable=nullable)


class Recovery(SQLModel, table=True):
    """One caller's episode; the columns are exactly `core.domain.RecoveryState`'s fields."""

    id: int | None = Field(default=None, primary_key=True)
    caller: str = Field(default="", index=True)
    first_missed_at: datetime = Field(sa_type=UTCDateTime, index=True)
    first_call_sid: str = ""
    last_missed_at: datetime | None = _at()
    repeat_count: int = 1
    is_uk: bool = True
    is_landline: bool = False
    outcome: str | None = Field(default=None, index=True)
    outcome_reason: str = ""
    outcome_at: datetime | None = _at()
    paused: bool = False
    email: str = ""
    first_name: str = ""
    sms_status: str = "pending"
    sms_due_at: datetime | None = _at()
    sms_done_at: datetime | None = _at()
    sms_reason: str = ""
    sms_template: str = ""
    sms_delivery: str = ""
    callback_status: str = "pending"
    callback_nominal_at: datetime | None = _at()
    callback_due_at: datetime | None = _at()
    callback_done_at: datetime | None = _at()
    callback_reason: str = ""
    callback_id: str = ""
    callback_placed_at: datetime | None = _at()
    callback_result: str = ""
    callback_sub_outcome: str = ""
    email_status: str = "pending"
    email_due_at: datetime | None = _at()
    email_done_at: datetime | None = _at()
    email_reason: str = ""
    contacted_at: datetime | None = _at()
    reached_at: datetime | None = _at()
    reached_via: str = ""
    won: bool | None = None
    won_value: float | None = None
    closes_at: datetime | None = _at()
    next_action_at: datetime | None = _at(index=True)
    requested: str = ""
    version: int = 0


class Attempt(SQLModel, table=True):
    """One outbound SMS, call or email: written before the vendor call, its result after."""

    id: int | None = Field(default=None, primary_key=True)
    recovery_id: int = Field(foreign_key="recovery.id", index=True)
    channel: str
    purpose: str = ""  # layer1, layer2, layer3, promised, manual
    idempotency_key: str = Field(unique=True)
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = _at()
    result: str = ""  # "" while unknown; accepted, failed, ambiguous, found, not_found
    vendor_id: str = Field(default="", index=True)
    error_code: str = ""
    to_address: str = ""  # personal
    body: str = ""  # personal


class Event(SQLModel, table=True):
    """The append-only timeline and audit trail; never holds personal data."""

    id: int | None = Field(default=None, primary_key=True)
    recovery_id: int | None = Field(default=None, foreign_key="recovery.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    kind: str = Field(index=True)
    reason: str = ""
    actor: str = "daemon"
    attention: str | None = Field(default=None, index=True)


class Suppression(SQLModel, table=True):
    """The one suppression list: a normalised number or a lower-cased email; never erased."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    kind: str  # number, email
    active: bool = True
    source: str = ""  # sms, callback, email, crm, console, twilio_21610
    evidence: str = ""  # what happened, without the message itself
    created_at: datetime = Field(sa_type=UTCDateTime)
    lifted_at: datetime | None = _at()
    lift_reason: str = ""
    version: int = 0


class InboundCall(SQLModel, table=True):
    """Every inbound parent leg seen, with its classification and why."""

    sid: str = Field(primary_key=True)
    caller: str = ""  # personal: the raw caller ID
    to_number: str = ""
    status: str = ""
    verdict: str = ""
    reason: str = ""
    ended_at: datetime | None = _at(index=True)
    seen_at: datetime = Field(sa_type=UTCDateTime)
    recovery_id: int | None = Field(default=None, foreign_key="recovery.id", index=True)


class InboundMessage(SQLModel, table=True):
    """Every inbound message seen; the body is personal and blanked by an erasure."""

    sid: str = Field(primary_key=True)
    sender: str = Field(default="", index=True)
    to_number: str = ""
    body: str = ""
    sent_at: datetime = Field(sa_type=UTCDateTime)
    keyword: str = ""  # opt_out, resubscribe, none
    recovery_id: int | None = Field(default=None, foreign_key="recovery.id", index=True)


class PollCursor(SQLModel, table=True):
    name: str = Field(primary_key=True)
    value: datetime = Field(sa_type=UTCDateTime)


class Heartbeat(SQLModel, table=True):
    """One row: the daemon's health for the console."""

    id: int = Field(default=1, primary_key=True)
    pid: int = 0
    started_at: datetime | None = _at()
    beat_at: datetime | None = _at()
    last_poll_at: datetime | None = _at()
    last_error: str = ""
    last_error_at: datetime | None = _at()
    config_errors: str = ""  # one per line, e.g. "sms: 21606 ..."
    layers: str = ""
    clock_offset_s: float = 0.0  # the daemon's clock minus real time (the demo runs shifted)


class SavedSetting(SQLModel, table=True):
    """An operating setting saved in the console; it wins over the environment."""

    name: str = Field(primary_key=True)
    value: str
    saved_at: datetime = Field(sa_type=UTCDateTime)
    version: int = 0


PERSONAL_FIELDS: dict[type[SQLModel], tuple[str, ...]] = {
    Recovery: ("caller", "email", "first_name"),
    Attempt: ("to_address", "body"),
    InboundCall: ("caller",),
    InboundMessage: ("sender", "body"),
}
