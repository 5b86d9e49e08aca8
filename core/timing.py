"""Pure: due times, the pure time-outs and the closing of a recovery (PRODUCT.md section 2).

The formulas for when each layer is due live here, with `advance`, which applies the clock-driven
transitions that need no decision (expiry, moving a callback to the next opening, a callback's
2 h limit, closing as exhausted) in the order of their instants. `core.recovery` decides the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from core.domain import (
    TERMINAL_STEP,
    Actor,
    Attention,
    CallbackResult,
    CallerFacts,
    Channel,
    Event,
    Outcome,
    Policy,
    RecoveryState,
    StepStatus,
    Window,
)

LISTEN_AFTER_LAST_LAYER = timedelta(hours=24)
CALLBACK_FINISH_LIMIT = timedelta(hours=2)
NO_CONVERSATION_GAP = timedelta(hours=72)
_MAX_TIMEOUTS = 1000  # a guard against a Window that never moves forward

Timeout = tuple[RecoveryState, list[Event]]


def status_of(state: RecoveryState, channel: Channel) -> StepStatus:
    """The status of one layer."""
    if channel is Channel.SMS:
        return state.sms_status
    return state.callback_status if channel is Channel.CALL else state.email_status


def step_name(channel: Channel) -> str:
    """The layer's name in event kinds and field names: sms, callback or email."""
    return {Channel.SMS: "sms", Channel.CALL: "callback", Channel.EMAIL: "email"}[channel]


def set_step(
    state: RecoveryState, channel: Channel, status: StepStatus, at: datetime, reason: str = ""
) -> RecoveryState:
    """Move one layer to `status` at `at`; a finished layer 2 pushes the email's due time."""
    prefix = step_name(channel)
    changes: dict[str, Any] = {f"{prefix}_status": status, f"{prefix}_reason": reason}
    if status in TERMINAL_STEP:
        changes[f"{prefix}_done_at"] = at
    new = replace(state, **changes)
    # Layer 3 is due at the later of its own delay and the instant layer 2 finished.
    if (
        channel is Channel.CALL
        and status in TERMINAL_STEP
        and new.email_status is StepStatus.PENDING
    ):
        due = new.email_due_at
        new = replace(new, email_due_at=at if due is None else max(due, at))
    return new


def close(state: RecoveryState, outcome: Outcome, reason: str, at: datetime) -> RecoveryState:
    """Give an open recovery its one outcome as of `at` and cancel every pending step."""
    if not state.is_open:
        return state
    for channel in Channel:
        if status_of(state, channel) is StepStatus.PENDING:
            state = set_step(state, channel, StepStatus.CANCELLED, at, outcome.value)
    return replace(state, outcome=outcome, outcome_reason=reason, outcome_at=at, closes_at=at)


def sms_counts(state: RecoveryState) -> bool:
    """An accepted SMS counts as contact unless it later ended undelivered or failed."""
    return state.sms_status is StepStatus.DONE and state.sms_delivery not in {
        "undelivered",
        "failed",
    }


def contacted_at(state: RecoveryState) -> datetime | None:
    """The first accepted SMS, call or email, keeping an earlier contact already recorded."""
    found = [state.callback_placed_at]
    found.append(state.sms_done_at if sms_counts(state) else None)
    found.append(state.email_done_at if state.email_status is StepStatus.DONE else None)
    earlier = state.contacted_at
    if earlier is not None and earlier == state.sms_done_at and not sms_counts(state):
        earlier = None
    instants = [t for t in [*found, earlier] if t is not None]
    return min(instants) if instants else None


def callback_skip_reason(
    state: RecoveryState, *, policy: Policy, facts: CallerFacts, due: datetime | None
) -> str | None:
    """Why layer 2 will not run at `due` (not configured, non-UK, the 72 h rule), or None."""
    if not policy.layer2_on:
        return "not_configured"
    if not (state.is_uk and state.caller.startswith("+44")):
        return "non_uk_number"
    last = facts.last_no_conversation_callback_at
    if last is not None and due is not None and due < last + NO_CONVERSATION_GAP:
        return "recent_no_conversation"
    return None


def plan_callback(
    state: RecoveryState,
    *,
    anchor: datetime,
    at: datetime,
    policy: Policy,
    window: Window,
    facts: CallerFacts,
) -> Timeout:
    """Set layer 2's nominal and due times from layer 1's due (or expiry) instant, or skip it."""
    nominal = anchor + policy.reply_wait
    due = nominal if window.is_open(nominal) else window.next_opening(nominal)
    state = replace(state, callback_nominal_at=nominal, callback_due_at=due)
    reason = callback_skip_reason(state, policy=policy, facts=facts, due=due)
    if reason is None and due - nominal > policy.max_callback_wait:
        reason = "callback_too_far"
    if reason is not None:
        text = f"callback skipped ({reason})"
        skipped = set_step(state, Channel.CALL, StepStatus.SKIPPED, at, reason)
        return skipped, [Event(at=at, kind="callback_skipped", reason=text)]
    when = "inside the calling window" if due == nominal else "at the next opening"
    return state, [Event(at=at, kind="callback_planned", reason=f"callback due {when}")]


def closing_instant(state: RecoveryState) -> datetime | None:
    """24 h after the last layer was done, skipped or expired; None while a layer is still live."""
    if not all(status_of(state, channel) in TERMINAL_STEP for channel in Channel):
        return None
    done = [state.sms_done_at, state.callback_done_at, state.email_done_at]
    instants = [t for t in done if t is not None]
    return max(instants) + LISTEN_AFTER_LAST_LAYER if instants else None


def next_action(state: RecoveryState) -> datetime | None:
    """The earliest instant at which `decide` has something clock-driven to do."""
    found: list[datetime | None] = []
    if state.callback_status is StepStatus.ACTIVE and state.callback_placed_at is not None:
        found.append(state.callback_placed_at + CALLBACK_FINISH_LIMIT)
    if state.is_open:
        if state.sms_status is StepStatus.PENDING:
            found.append(state.sms_due_at)
        if state.callback_status is StepStatus.PENDING:
            found.append(state.callback_due_at)
        elif state.callback_status in TERMINAL_STEP and state.email_status is StepStatus.PENDING:
            found.append(state.email_due_at)
        found.append(closing_instant(state))
    instants = [t for t in found if t is not None]
    return min(instants) if instants else None


def advance(
    state: RecoveryState,
    *,
    until: datetime,
    inclusive: bool,
    policy: Policy,
    window: Window,
    facts: CallerFacts,
) -> Timeout:
    """Apply every pure time-out due before `until` (or at it, if inclusive), oldest first."""
    events: list[Event] = []
    for _ in range(_MAX_TIMEOUTS):
        found = _next_timeout(state, policy, window)
        if found is None:
            break
        at, apply = found
        if at > until or (at == until and not inclusive):
            break
        state, new = apply(state, at, policy, window, facts)
        events.extend(new)
    return state, events


Apply = Callable[[RecoveryState, datetime, Policy, Window, CallerFacts], Timeout]


def _next_timeout(
    state: RecoveryState, policy: Policy, window: Window
) -> tuple[datetime, Apply] | None:
    found: list[tuple[datetime, Apply]] = []
    if state.callback_status is StepStatus.ACTIVE and state.callback_placed_at is not None:
        found.append((state.callback_placed_at + CALLBACK_FINISH_LIMIT, _callback_error))
    if state.is_open:
        if state.sms_status is StepStatus.PENDING and state.sms_due_at is not None:
            found.append((state.sms_due_at + policy.max_catchup, _expire_sms))
        due = state.callback_due_at
        if state.callback_status is StepStatus.PENDING and due is not None:
            # A callback that cannot start before its window closes moves; otherwise it expires.
            closes = window.closes_at(due) or due
            expires = due + policy.max_catchup
            found.append((closes, _move_callback) if closes <= expires else (expires, _expire_call))
        email_due = state.email_due_at
        waiting = state.email_status is StepStatus.PENDING and email_due is not None
        if waiting and email_due is not None and state.callback_status in TERMINAL_STEP:
            found.append((email_due + policy.max_catchup, _expire_email))
        closing = closing_instant(state)
        if closing is not None:
            found.append((closing, _exhaust))
    return min(found, key=lambda item: item[0]) if found else None


def _expired(state: RecoveryState, channel: Channel, at: datetime) -> Timeout:
    name = step_name(channel)
    text = f"{name} not started within the catch-up time: expired"
    event = Event(at=at, kind=f"{name}_expired", reason=text, actor=Actor.SYSTEM)
    expired = set_step(state, channel, StepStatus.EXPIRED, at, "expired")
    return expired, [replace(event, attention=Attention.EXPIRED_STEP)]


def _expire_sms(
    state: RecoveryState, at: datetime, p: Policy, w: Window, f: CallerFacts
) -> Timeout:
    state, events = _expired(state, Channel.SMS, at)
    if state.callback_status is StepStatus.PENDING:
        # The expiry instant stands in for layer 1 in layer 2's formula.
        state, more = plan_callback(state, anchor=at, at=at, policy=p, window=w, facts=f)
        events.extend(more)
    return state, events


def _move_callback(
    state: RecoveryState, at: datetime, p: Policy, w: Window, f: CallerFacts
) -> Timeout:
    due = w.next_opening(at)
    nominal = state.callback_nominal_at or at
    if due - nominal > p.max_callback_wait:
        state = set_step(state, Channel.CALL, StepStatus.SKIPPED, at, "callback_too_far")
        text = "callback could not start before the window closed; next opening too far away"
        return state, [Event(at=at, kind="callback_skipped", reason=text, actor=Actor.SYSTEM)]
    text = "callback could not start before the window closed: moved to the next opening"
    moved = replace(state, callback_due_at=due)
    return moved, [Event(at=at, kind="callback_moved", reason=text, actor=Actor.SYSTEM)]


def _expire_call(
    state: RecoveryState, at: datetime, p: Policy, w: Window, f: CallerFacts
) -> Timeout:
    due = state.callback_due_at or at
    reason = callback_skip_reason(state, policy=p, facts=f, due=due)
    if reason is None:
        return _expired(state, Channel.CALL, at)
    # It would have been refused at its due time anyway: a skip, not a step for a person.
    state = set_step(state, Channel.CALL, StepStatus.SKIPPED, due, reason)
    return state, [Event(at=due, kind="callback_skipped", reason=f"callback skipped ({reason})")]


def _expire_email(
    state: RecoveryState, at: datetime, p: Policy, w: Window, f: CallerFacts
) -> Timeout:
    due = state.email_due_at or at
    reason = "not_configured" if not p.layer3_on else "no_email" if not state.email else None
    if reason is None:
        return _expired(state, Channel.EMAIL, at)
    state = set_step(state, Channel.EMAIL, StepStatus.SKIPPED, due, reason)
    return state, [Event(at=due, kind="email_skipped", reason=f"email skipped ({reason})")]


def _callback_error(
    state: RecoveryState, at: datetime, p: Policy, w: Window, f: CallerFacts
) -> Timeout:
    state = set_step(state, Channel.CALL, StepStatus.DONE, at)
    state = replace(state, callback_result=CallbackResult.ERROR.value)
    text = "callback not finished 2 h after it was placed: finished as error"
    event = Event(at=at, kind="callback_finished", reason=text, actor=Actor.SYSTEM)
    return state, [replace(event, attention=Attention.CALLBACK_ERROR)]


def _exhaust(state: RecoveryState, at: datetime, p: Policy, w: Window, f: CallerFacts) -> Timeout:
    state = close(state, Outcome.EXHAUSTED, "nobody reached, nothing left to do", at)
    text = "24 h after the last layer with nobody reached: closed as exhausted"
    return state, [Event(at=at, kind="closed", reason=text, actor=Actor.SYSTEM)]
