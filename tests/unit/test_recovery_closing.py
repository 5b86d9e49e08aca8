"""Unit tests for outcomes and closing: the first outcome stands, joins, cancelling, won or lost,
and closing as exhausted 24 hours after the last layer (PRODUCT.md section 2)."""

from __future__ import annotations

from dataclasses import replace

from core.domain import Actor, Attention, Outcome, RecoveryState, StepStatus
from core.observations import (
    ConsoleAction,
    ConsoleCommand,
    EmailAccepted,
    MissedCallJoined,
    OptOut,
    Reply,
    SmsAccepted,
)
from tests.unit.fakes import (
    ABROAD,
    CALLER,
    EMAIL,
    ON,
    callback_active,
    ended,
    opened,
    sms_sent,
    step,
    t,
)


def sms_sent_abroad() -> RecoveryState:
    """A caller abroad (no callback, no email) whose SMS went: it closes at 10:45 the next day."""
    state = opened(t(0, 10), caller=ABROAD, is_uk=False, email="").state
    sent = SmsAccepted(at=t(0, 10, 0, 1), message_sid="SM1")
    return step(state, sent, now=t(0, 10, 45)).state


def test_the_first_outcome_stands_whatever_follows() -> None:
    state = step(sms_sent(), Reply(at=t(0, 10, 1)), now=t(0, 10, 1)).state
    later = [
        OptOut(at=t(0, 10, 2), source="sms"),
        ConsoleAction(at=t(0, 10, 3), command=ConsoleCommand.CANCEL),
        ConsoleAction(at=t(0, 10, 4), command=ConsoleCommand.MARK_REACHED),
    ]
    decision = step(state, *later, now=t(3, 10))
    assert decision.state.outcome is Outcome.REACHED
    assert decision.state.outcome_at == t(0, 10, 1)


def test_in_one_batch_the_earliest_observation_decides_the_outcome() -> None:
    batch = [OptOut(at=t(0, 10, 2), source="sms"), Reply(at=t(0, 10, 1))]
    decision = step(sms_sent(), *batch, now=t(0, 10, 3))
    assert decision.state.outcome is Outcome.REACHED


def test_another_missed_call_joins_raises_the_count_and_changes_no_due_time() -> None:
    state = sms_sent()
    decision = step(state, MissedCallJoined(at=t(0, 10, 2), call_sid="CA2"), now=t(0, 10, 2))
    assert decision.state.repeat_count == 2 and decision.state.urgent
    assert decision.state.last_missed_at == t(0, 10, 2)
    assert decision.effects == ()
    due = ("sms_due_at", "callback_due_at", "callback_nominal_at", "email_due_at")
    assert all(getattr(decision.state, name) == getattr(state, name) for name in due)


def test_a_person_can_cancel_a_recovery() -> None:
    cancel = ConsoleAction(at=t(0, 10, 1), command=ConsoleCommand.CANCEL)
    decision = step(sms_sent(), cancel, now=t(0, 10, 1))
    assert decision.state.outcome is Outcome.CANCELLED
    assert decision.state.callback_status is StepStatus.CANCELLED
    assert decision.events[-1].actor is Actor.CONSOLE


def test_marking_won_or_lost_is_allowed_after_close_and_is_not_an_outcome() -> None:
    closed = step(sms_sent(), Reply(at=t(0, 10, 1)), now=t(0, 10, 1)).state
    won = ConsoleAction(at=t(2, 10), command=ConsoleCommand.MARK_WON, value=450.0)
    state = step(closed, won, now=t(2, 10)).state
    assert (state.won, state.won_value, state.outcome) == (True, 450.0, Outcome.REACHED)
    lost = ConsoleAction(at=t(2, 11), command=ConsoleCommand.MARK_LOST)
    state = step(state, lost, now=t(2, 11)).state
    assert (state.won, state.won_value, state.outcome) == (False, None, Outcome.REACHED)


def test_a_recovery_closes_as_exhausted_24_hours_after_its_last_layer() -> None:
    state = step(callback_active(), ended("dial_no_answer"), now=t(0, 10, 6)).state
    state = step(state, now=t(0, 10, 45)).state
    state = step(state, EmailAccepted(at=t(0, 10, 45, 1)), now=t(0, 10, 45, 1)).state
    assert state.closes_at == t(1, 10, 45, 1) == state.next_action_at
    assert step(state, now=t(1, 10, 45)).state.is_open
    decision = step(state, now=t(1, 10, 45, 1))
    assert decision.state.outcome is Outcome.EXHAUSTED
    assert decision.state.outcome_at == t(1, 10, 45, 1)


def test_a_reply_in_the_last_24_hours_still_reaches_even_if_read_after_the_close_time() -> None:
    state = sms_sent_abroad()
    assert state.closes_at == t(1, 10, 45)
    decision = step(state, Reply(at=t(1, 10, 44)), now=t(1, 12))
    assert decision.state.outcome is Outcome.REACHED


def test_an_eligible_recovery_that_contacts_nobody_is_exhausted_not_not_contacted() -> None:
    policy = replace(ON, layer2_on=False)
    state = opened(t(0, 10), is_landline=True, email="", policy=policy).state
    decision = step(state, now=t(5, 10), policy=policy)
    assert decision.state.outcome is Outcome.EXHAUSTED
    assert decision.state.contacted_at is None


def test_a_recovery_with_a_callback_in_progress_does_not_close() -> None:
    state = callback_active()
    state = step(state, now=t(0, 11)).state
    assert state.is_open and state.closes_at is None


def test_no_event_reason_holds_the_callers_number_or_email() -> None:
    state = callback_active()
    decision = step(state, ended(outcome="not_now"), Reply(at=t(0, 10, 7)), now=t(0, 10, 8))
    everything = [*opened(t(0, 10)).events, *decision.events]
    text = " ".join(f"{event.kind} {event.reason}" for event in everything)
    assert CALLER[-6:] not in text and EMAIL not in text and "example" not in text


def test_a_reply_sent_after_the_close_time_but_read_late_does_not_reopen_or_reach() -> None:
    state = sms_sent_abroad()
    decision = step(state, Reply(at=t(1, 10, 46)), now=t(1, 12))
    assert decision.state.outcome is Outcome.EXHAUSTED
    assert decision.state.outcome_at == t(1, 10, 45)
    assert decision.events[-1].attention is Attention.REPLY_AFTER_CLOSE


def test_a_reply_at_the_very_instant_of_the_close_still_counts() -> None:
    state = sms_sent_abroad()
    decision = step(state, Reply(at=t(1, 10, 45)), now=t(1, 12))
    assert decision.state.outcome is Outcome.REACHED
