"""Pure: the value types every layer shares (stages, outcomes, observations, effects, decisions).

The words follow PRODUCT.md section 1. Everything here is immutable data: no clock, no I/O.
All datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol


class Outcome(StrEnum):
    """Exactly one per recovery; None while the recovery is open."""

    REACHED = "reached"
    OPTED_OUT = "opted_out"
    CANCELLED = "cancelled"
    EXHAUSTED = "exhausted"
    NOT_CONTACTED = "not_contacted"


class NotContactedReason(StrEnum):
    """The first matching reason wins, in this order (PRODUCT.md section 1)."""

    WITHHELD = "withheld"
    INVALID_NUMBER = "invalid_number"
    BUSINESS = "business"
    IGNORED = "ignored"
    SUPPRESSED = "suppressed"
    COOLDOWN = "cooldown"
    TOO_OLD = "too_old"


class StepStatus(StrEnum):
    """The state of one layer (SMS, callback, email) of a recovery."""

    PENDING = "pending"  # waiting for its due time (or held)
    IN_FLIGHT = "in_flight"  # handed to the vendor; the result is not recorded yet
    ACTIVE = "active"  # callback placed and not finished yet
    DONE = "done"  # accepted by the vendor (a callback: finished)
    SKIPPED = "skipped"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


TERMINAL_STEP = frozenset(
    {StepStatus.DONE, StepStatus.SKIPPED, StepStatus.EXPIRED, StepStatus.CANCELLED}
)


class Channel(StrEnum):
    SMS = "sms"
    CALL = "call"
    EMAIL = "email"


class TemplateKind(StrEnum):
    IN_HOURS = "in_hours"
    AFTER_HOURS = "after_hours"
    NO_CALL = "no_call"


class CallbackResult(StrEnum):
    """How a finished callback ended (PRODUCT.md section 2, callbacks)."""

    REACHED = "reached"
    NO_CONVERSATION = "no_conversation"  # voicemail, inactivity, short hang-up: 72 h rule
    NOT_CONNECTED = "not_connected"
    ERROR = "error"


class SubOutcome(StrEnum):
    BOOKED = "booked"
    TRANSFERRED = "transferred"
    NOT_NOW = "not_now"
    UNKNOWN = "unknown"


class CallVerdict(StrEnum):
    """Classification of an inbound parent leg and its children (PRODUCT.md section 3)."""

    PENDING = "pending"  # some leg still queued, ringing or in progress: decide later
    ANSWERED = "answered"
    MISSED = "missed"
    MACHINE = "machine"  # answered by a machine or voicemail: a missed call too
    IGNORED = "ignored"  # not ours to classify (trunking, our own, not a business line)


class Actor(StrEnum):
    DAEMON = "daemon"
    CONSOLE = "console"
    CALLER = "caller"
    VENDOR = "vendor"
    SYSTEM = "system"


class Attention(StrEnum):
    """Why an event puts a recovery (or the daemon) on the console's "needs a person" list."""

    SUPPRESSED = "suppressed"
    COOLDOWN = "cooldown"
    TOO_OLD = "too_old"
    EXPIRED_STEP = "expired_step"
    REPLY_AFTER_CLOSE = "reply_after_close"
    PROMISED_EMAIL_NOT_SENT = "promised_email_not_sent"
    CALLBACK_ERROR = "callback_error"
    CONFIG_ERROR = "config_error"


class SendFailure(StrEnum):
    """How an adapter classifies a failed send (ARCHITECTURE.md, errors at the adapter boundary)."""

    RATE_LIMITED = "rate_limited"  # wait and retry
    TRANSIENT = "transient"  # back off and retry (a read) / ambiguous (a create: look it up first)
    PERMANENT = "permanent"  # skip this step for this attempt, record why
    CANNOT_RECEIVE = "cannot_receive"  # 21211, 21614, 21408: no SMS here, next layer
    SUPPRESS = "suppress"  # the recipient opted out at the vendor (21610): suppress the number
    CONFIG = "config"  # our configuration is wrong (21606, 21212, 20003): stop the channel


class Window(Protocol):
    """The calling window (PRODUCT.md section 2) as the rules see it; `core.calendar` implements it.

    "Open" always means inside `RECOVERY_HOURS`, not a bank holiday, and inside the 08:00-21:00 hard
    limit, in the business's time zone. Arguments and results are UTC datetimes.
    """

    def is_open(self, at: datetime) -> bool:
        """True if an automated callback may start at `at`."""
        ...

    def next_opening(self, at: datetime) -> datetime:
        """`at` itself if open, else the start of the next open interval."""
        ...

    def closes_at(self, at: datetime) -> datetime | None:
        """The end (exclusive) of the open interval containing `at`; None if closed at `at`."""
        ...

    def within_hard_limit(self, at: datetime) -> bool:
        """True if 08:00:00 <= local time < 21:00:00: no call ever starts outside it."""
        ...


# --- context, policy, effects, decision ---------------------------------------------------------


@dataclass(frozen=True)
class CallerFacts:
    """Facts about the caller beyond this recovery, gathered by the shell just before deciding."""

    number_suppressed: bool = False
    email_suppressed: bool = False
    # The latest finished callback to this number that hit voicemail or had no conversation.
    last_no_conversation_callback_at: datetime | None = None


@dataclass(frozen=True)
class Policy:
    """The operating settings the rules need, in core units (PRODUCT.md section 7)."""

    sms_delay: timedelta = timedelta(0)
    reply_wait: timedelta = timedelta(seconds=180)
    email_delay: timedelta = timedelta(seconds=2700)
    cooldown: timedelta = timedelta(hours=24)
    max_catchup: timedelta = timedelta(minutes=30)
    max_callback_wait: timedelta = timedelta(hours=72)
    layer2_on: bool = False
    layer3_on: bool = False
    kill_switch: bool = False
    sms_config_error: bool = False  # SMS is stopped for every recovery until an SMS succeeds


@dataclass(frozen=True)
class SendSms:
    template: TemplateKind
    callback_due_at: datetime | None  # named by the after-hours template


@dataclass(frozen=True)
class PlaceCallback:
    manual: bool = False
    email_on_file: bool = False


@dataclass(frozen=True)
class SendEmail:
    reason: str  # layer3, promised (not_now), manual


Effect = SendSms | PlaceCallback | SendEmail


@dataclass(frozen=True)
class Event:
    """One line of the timeline: no personal data, ever."""

    at: datetime
    kind: str
    reason: str
    actor: Actor = Actor.DAEMON
    attention: Attention | None = None


@dataclass(frozen=True)
class Decision:
    state: RecoveryState
    effects: tuple[Effect, ...] = ()
    events: tuple[Event, ...] = ()

    @property
    def reason(self) -> str:
        """The one-line reason for the timeline: the last event's."""
        return self.events[-1].reason if self.events else "nothing to do"


@dataclass(frozen=True)
class RecoveryState:
    """The pure view of one recovery; `core.models.Recovery` stores the same fields."""

    caller: str  # E.164
    first_missed_at: datetime  # end of the first missed call
    id: int | None = None
    first_call_sid: str = ""
    last_missed_at: datetime | None = None
    repeat_count: int = 1
    is_uk: bool = True
    is_landline: bool = False
    outcome: Outcome | None = None
    outcome_reason: str = ""
    outcome_at: datetime | None = None
    paused: bool = False
    email: str = ""
    first_name: str = ""
    sms_status: StepStatus = StepStatus.PENDING
    sms_due_at: datetime | None = None
    sms_done_at: datetime | None = None
    sms_reason: str = ""
    sms_template: str = ""
    sms_delivery: str = ""  # the message's last known status
    callback_status: StepStatus = StepStatus.PENDING
    callback_nominal_at: datetime | None = None
    callback_due_at: datetime | None = None
    callback_done_at: datetime | None = None
    callback_reason: str = ""
    callback_id: str = ""
    callback_placed_at: datetime | None = None
    callback_result: str = ""
    callback_sub_outcome: str = ""
    email_status: StepStatus = StepStatus.PENDING
    email_due_at: datetime | None = None
    email_done_at: datetime | None = None
    email_reason: str = ""
    contacted_at: datetime | None = None
    reached_at: datetime | None = None
    reached_via: str = ""
    won: bool | None = None
    won_value: float | None = None
    closes_at: datetime | None = None
    next_action_at: datetime | None = None
    requested: str = ""  # console requests (call_now, email_now) waiting for the daemon's pass
    version: int = 0

    @property
    def is_open(self) -> bool:
        return self.outcome is None

    @property
    def urgent(self) -> bool:
        return self.repeat_count >= 2
