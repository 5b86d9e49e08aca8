"""Pure: what happens when a missed call is first seen (PRODUCT.md sections 1 and 2).

A call from a number with an open recovery joins it (the shell decides that, then sends
`MissedCallJoined`). Otherwise `assess_call` says whether the call opens a recovery that is
`not_contacted` (and why, first matching reason wins), and `start` or `not_contacted` builds it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core import phone, timing
from core.domain import (
    Actor,
    Attention,
    CallerFacts,
    Channel,
    Decision,
    Event,
    NotContactedReason,
    Outcome,
    Policy,
    RecoveryState,
    StepStatus,
    Window,
)
from core.recovery import decide

_ATTENTION = {
    NotContactedReason.SUPPRESSED: Attention.SUPPRESSED,
    NotContactedReason.COOLDOWN: Attention.COOLDOWN,
    NotContactedReason.TOO_OLD: Attention.TOO_OLD,
}
_WHY = {
    NotContactedReason.WITHHELD: "caller ID withheld",
    NotContactedReason.INVALID_NUMBER: "caller ID is not a valid number",
    NotContactedReason.BUSINESS: "the caller is one of the business's own numbers",
    NotContactedReason.IGNORED: "the caller is on the ignore list",
    NotContactedReason.SUPPRESSED: "the number is on the suppression list",
    NotContactedReason.COOLDOWN: "the number's last contacted recovery closed within the cooldown",
    NotContactedReason.TOO_OLD: "the call was first seen after the catch-up time",
}


@dataclass(frozen=True)
class NewCallFacts:
    """What the shell knows about a caller with no open recovery."""

    number_suppressed: bool = False
    # When the number's most recent *contacted* recovery closed (None if it has none).
    last_contacted_closed_at: datetime | None = None


def assess_call(
    *,
    caller_raw: str | None,
    ended_at: datetime,
    seen_at: datetime,
    business_numbers: Collection[str],
    ignore_numbers: Collection[str],
    facts: NewCallFacts,
    policy: Policy,
) -> NotContactedReason | None:
    """The first matching reason this missed call is not contacted, or None if it is eligible."""
    raw = caller_raw or ""
    if phone.is_withheld(raw):
        return NotContactedReason.WITHHELD
    number = phone.normalise(raw)
    if number is None or not phone.is_valid_caller(raw):
        return NotContactedReason.INVALID_NUMBER
    if number in business_numbers:
        return NotContactedReason.BUSINESS
    if number in ignore_numbers:
        return NotContactedReason.IGNORED
    if facts.number_suppressed:
        return NotContactedReason.SUPPRESSED
    last = facts.last_contacted_closed_at
    if last is not None and ended_at - last < policy.cooldown:
        return NotContactedReason.COOLDOWN
    if seen_at - ended_at > policy.max_catchup:
        return NotContactedReason.TOO_OLD
    return None


def start(
    *,
    caller: str,
    call_sid: str,
    ended_at: datetime,
    is_uk: bool,
    is_landline: bool,
    facts: CallerFacts,
    policy: Policy,
    window: Window,
    now: datetime,
    email: str = "",
    first_name: str = "",
) -> Decision:
    """Open an eligible recovery with its due times, and send whatever is already due."""
    sms_due = ended_at + policy.sms_delay
    state = _opened_by(
        caller,
        call_sid,
        ended_at,
        is_uk=is_uk,
        is_landline=is_landline,
        email=email,
        first_name=first_name,
        sms_due_at=sms_due,
        # Provisional: layer 3 is due at the later of this and the instant layer 2 ends.
        email_due_at=ended_at + policy.email_delay,
    )
    events = [Event(at=now, kind="recovery_opened", reason="missed call seen: recovery opened")]
    if is_landline:
        state = timing.set_step(state, Channel.SMS, StepStatus.SKIPPED, now, "not_mobile")
        events.append(Event(at=now, kind="sms_skipped", reason="UK landline: no SMS (not_mobile)"))
    state, planned = timing.plan_callback(
        state, anchor=sms_due, at=now, policy=policy, window=window, facts=facts
    )
    decision = decide(state, (), now=now, policy=policy, window=window, facts=facts)
    return Decision(decision.state, decision.effects, (*events, *planned, *decision.events))


def not_contacted(
    *,
    caller: str,
    call_sid: str,
    ended_at: datetime,
    reason: NotContactedReason,
    now: datetime,
    is_uk: bool = True,
    is_landline: bool = False,
) -> Decision:
    """A recovery closed at once as `not_contacted`, as of the call's end; seen at `now`."""
    skipped = StepStatus.SKIPPED
    state = _opened_by(
        caller,
        call_sid,
        ended_at,
        is_uk=is_uk,
        is_landline=is_landline,
        outcome=Outcome.NOT_CONTACTED,
        outcome_reason=reason.value,
        outcome_at=ended_at,
        sms_status=skipped,
        sms_done_at=ended_at,
        sms_reason=reason.value,
        callback_status=skipped,
        callback_done_at=ended_at,
        callback_reason=reason.value,
        email_status=skipped,
        email_done_at=ended_at,
        email_reason=reason.value,
        closes_at=ended_at,
    )
    text = f"not contacted ({reason.value}): {_WHY[reason]}"
    event = Event(
        at=now,
        kind="not_contacted",
        reason=text,
        actor=Actor.DAEMON,
        attention=_ATTENTION.get(reason),
    )
    return Decision(state=state, events=(event,))


def _opened_by(caller: str, call_sid: str, ended_at: datetime, **fields: Any) -> RecoveryState:
    """A recovery as its first missed call opens it (the caller and the call's end)."""
    return RecoveryState(
        caller=caller,
        first_missed_at=ended_at,
        first_call_sid=call_sid,
        last_missed_at=ended_at,
        **fields,
    )
