"""Pure: observations, what the shell saw (or a person did), applied in vendor-timestamp order.

Each carries `at`, its vendor timestamp (a message's `date_sent`, a call's end) or the instant of a
person's click; `core.recovery.decide` applies them in that order. All datetimes are aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core.domain import SendFailure


@dataclass(frozen=True)
class Observation:
    """Something that happened at `at` (a vendor timestamp or a person's click)."""

    at: datetime


@dataclass(frozen=True)
class MissedCallJoined(Observation):
    """Another missed call from the caller of an open recovery."""

    call_sid: str


@dataclass(frozen=True)
class Reply(Observation):
    """An inbound message that is a reply (not an opt-out or re-subscribe keyword)."""


@dataclass(frozen=True)
class AnsweredCall(Observation):
    """An answered inbound call from the caller, or a person's answered call to them."""


@dataclass(frozen=True)
class OptOut(Observation):
    """STOP by SMS, on the callback, a new email unsubscribe, a CRM opt-out or a console action."""

    source: str  # sms, callback, email, crm, console, twilio_21610


@dataclass(frozen=True)
class SmsAccepted(Observation):
    message_sid: str


@dataclass(frozen=True)
class SmsFailed(Observation):
    failure: SendFailure
    code: int | None = None


@dataclass(frozen=True)
class SmsDeliveryFinal(Observation):
    """The sent message reached a final status (delivered, undelivered or failed)."""

    status: str
    error_code: int | None = None


@dataclass(frozen=True)
class CallbackPlaced(Observation):
    call_id: str


@dataclass(frozen=True)
class CallbackFailed(Observation):
    failure: SendFailure
    detail: str = ""


@dataclass(frozen=True)
class CallbackReport(Observation):
    """A read of the callback from Retell; `at` is when it was read (epoch ms made UTC)."""

    call_status: str  # registered, ongoing, ended, error, not_connected
    disconnection_reason: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    analysis_present: bool = False
    in_voicemail: bool | None = None
    custom_outcome: str | None = None
    custom_opt_out: bool = False


@dataclass(frozen=True)
class EmailAccepted(Observation):
    pass


@dataclass(frozen=True)
class EmailFailed(Observation):
    failure: SendFailure
    detail: str = ""


class ConsoleCommand(StrEnum):
    CANCEL = "cancel"
    PAUSE = "pause"
    RESUME = "resume"
    CALL_NOW = "call_now"
    EMAIL_NOW = "email_now"
    MARK_REACHED = "mark_reached"
    MARK_WON = "mark_won"
    MARK_LOST = "mark_lost"


@dataclass(frozen=True)
class ConsoleAction(Observation):
    command: ConsoleCommand
    value: float | None = None  # the won value
    note: str = ""
