"""Unit tests for reaching the caller: self-cancelling steps, what a callback's result does, and
opt-outs by SMS or on a call, before and after the recovery closed (PRODUCT.md section 2)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from core.domain import (
    Actor,
    Attention,
    CallbackResult,
    CallerFacts,
    Outcome,
    PlaceCallback,
    Policy,
    SendEmail,
    StepStatus,
)
from core.observations import AnsweredCall, ConsoleAction, ConsoleCommand, OptOut, Reply
from tests.unit.fakes import (
    EMAIL,
    ON,
    PLACED_AT,
    callback_active,
    ended,
    kinds,
    opened,
    sms_sent,
    step,
    t,
)


@pytest.mark.parametrize(
    ("observation", "via"),
    [
        (Reply(at=t(0, 10, 1)), "reply"),
        (AnsweredCall(at=t(0, 10, 1)), "answered_call"),
        (ConsoleAction(at=t(0, 10, 1), command=ConsoleCommand.MARK_REACHED), "console"),
    ],
)
def test_reaching_the_caller_closes_at_once_and_cancels_every_pending_step(
    observation: Reply | AnsweredCall | ConsoleAction, via: str
) -> None:
    decision = step(sms_sent(), observation, now=t(0, 10, 2))
    state = decision.state
    assert state.outcome is Outcome.REACHED and state.outcome_at == t(0, 10, 1)
    assert state.reached_via == via and state.reached_at == t(0, 10, 1)
    assert state.callback_status is StepStatus.CANCELLED
    assert state.email_status is StepStatus.CANCELLED
    assert state.next_action_at is None
    assert step(state, now=t(0, 10, 3)).effects == ()


def test_a_reply_before_our_sms_went_out_means_the_sms_is_not_sent() -> None:
    policy = replace(ON, sms_delay=timedelta(seconds=60))
    state = opened(t(0, 10), policy=policy).state
    decision = step(state, Reply(at=t(0, 10, 0, 30)), now=t(0, 10, 1, 5), policy=policy)
    assert decision.effects == ()
    assert decision.state.sms_status is StepStatus.CANCELLED


def test_a_reply_read_late_counts_as_of_when_it_was_sent() -> None:
    # The daemon was down from 10:00:02 to 10:20: the callback was due at 10:03.
    decision = step(sms_sent(), Reply(at=t(0, 10, 2)), now=t(0, 10, 20))
    assert decision.effects == ()
    assert decision.state.outcome is Outcome.REACHED
    assert decision.state.outcome_at == t(0, 10, 2)


def test_a_callback_that_reached_the_person_closes_as_reached() -> None:
    decision = step(callback_active(), ended(outcome="booked"), now=t(0, 10, 6))
    state = decision.state
    assert state.outcome is Outcome.REACHED and state.reached_via == "callback"
    assert state.callback_result == "reached" and state.callback_sub_outcome == "booked"
    assert state.email_status is StepStatus.CANCELLED and decision.effects == ()


def test_a_not_now_callback_sends_the_promised_email_at_once() -> None:
    decision = step(callback_active(), ended(outcome="not_now"), now=t(0, 10, 6))
    assert decision.state.outcome is Outcome.REACHED
    assert decision.effects == (SendEmail(reason="promised"),)
    assert decision.state.email_status is StepStatus.IN_FLIGHT


@pytest.mark.parametrize(
    ("policy", "email", "facts"),
    [
        (ON, "", CallerFacts()),
        (replace(ON, layer3_on=False), EMAIL, CallerFacts()),
        (ON, EMAIL, CallerFacts(email_suppressed=True)),
        (replace(ON, kill_switch=True), EMAIL, CallerFacts()),
    ],
    ids=["no_address", "layer3_off", "email_suppressed", "kill_switch"],
)
def test_a_promised_email_that_cannot_be_sent_goes_on_the_needs_a_person_list(
    policy: Policy, email: str, facts: CallerFacts
) -> None:
    state = callback_active(email=email)
    decision = step(state, ended(outcome="not_now"), now=t(0, 10, 6), policy=policy, facts=facts)
    assert decision.effects == ()
    attention = [event.attention for event in decision.events]
    assert Attention.PROMISED_EMAIL_NOT_SENT in attention
    assert decision.state.email_status is StepStatus.CANCELLED


@pytest.mark.parametrize(
    ("policy", "email", "facts", "on_file"),
    [
        (ON, EMAIL, CallerFacts(), True),
        (ON, "", CallerFacts(), False),
        (replace(ON, layer3_on=False), EMAIL, CallerFacts(), False),
        (ON, EMAIL, CallerFacts(email_suppressed=True), False),
    ],
)
def test_the_callback_is_told_email_on_file_only_when_an_email_can_be_sent(
    policy: Policy, email: str, facts: CallerFacts, on_file: bool
) -> None:
    state = opened(t(0, 10), is_landline=True, email=email, policy=policy, facts=facts).state
    decision = step(state, now=t(0, 10, 3), policy=policy, facts=facts)
    assert decision.effects == (PlaceCallback(manual=False, email_on_file=on_file),)


def test_an_opt_out_said_on_a_call_that_reached_the_person_wins() -> None:
    decision = step(callback_active(), ended(opt_out=True), now=t(0, 10, 6))
    assert decision.state.outcome is Outcome.OPTED_OUT
    assert decision.state.outcome_reason == "callback"
    assert "opt_out_on_callback" in kinds(decision)


def test_an_opt_out_closes_the_recovery_and_cancels_everything_pending() -> None:
    decision = step(sms_sent(), OptOut(at=t(0, 10, 1), source="sms"), now=t(0, 10, 5))
    state = decision.state
    assert state.outcome is Outcome.OPTED_OUT and state.outcome_at == t(0, 10, 1)
    assert state.callback_status is StepStatus.CANCELLED
    assert state.email_status is StepStatus.CANCELLED
    assert decision.effects == ()
    assert decision.events[-1].actor is Actor.CALLER


def test_a_stop_does_not_end_a_callback_already_placed() -> None:
    decision = step(callback_active(), OptOut(at=t(0, 10, 4), source="sms"), now=t(0, 10, 4))
    assert decision.state.outcome is Outcome.OPTED_OUT
    assert decision.state.callback_status is StepStatus.ACTIVE
    assert decision.state.next_action_at == PLACED_AT + timedelta(hours=2)


def test_a_callback_finished_after_the_recovery_closed_is_recorded_and_nothing_follows() -> None:
    closed = step(callback_active(), Reply(at=t(0, 10, 4)), now=t(0, 10, 4)).state
    decision = step(closed, ended(outcome="not_now"), now=t(0, 10, 6))
    assert decision.effects == ()
    assert decision.state.outcome is Outcome.REACHED and decision.state.reached_via == "reply"
    assert decision.state.callback_result == "reached"
    assert decision.state.callback_status is StepStatus.DONE
    assert decision.state.next_action_at is None


def test_a_voicemail_after_close_is_recorded_for_the_72_hour_rule() -> None:
    closed = step(callback_active(), OptOut(at=t(0, 10, 4), source="crm"), now=t(0, 10, 4)).state
    decision = step(closed, ended("voicemail_reached"), now=t(0, 10, 6))
    assert decision.state.callback_result == CallbackResult.NO_CONVERSATION.value
    assert decision.state.outcome is Outcome.OPTED_OUT


def test_a_callback_not_finished_2_hours_after_it_was_placed_is_an_error_for_a_person() -> None:
    state = callback_active()
    assert step(state, now=PLACED_AT + timedelta(hours=2, seconds=-1)).state.callback_result == ""
    decision = step(state, now=PLACED_AT + timedelta(hours=2))
    assert decision.state.callback_status is StepStatus.DONE
    assert decision.state.callback_result == "error"
    assert decision.events[0].attention is Attention.CALLBACK_ERROR
    assert decision.effects == (SendEmail(reason="layer3"),)


def test_a_reply_after_the_recovery_closed_goes_on_the_needs_a_person_list() -> None:
    closed = step(sms_sent(), Reply(at=t(0, 10, 1)), now=t(0, 10, 1)).state
    decision = step(closed, Reply(at=t(0, 11)), now=t(0, 11))
    assert decision.state.outcome_at == t(0, 10, 1)
    assert decision.events[-1].attention is Attention.REPLY_AFTER_CLOSE
