"""Unit tests for layer 1: landlines, SMS failures and delivery (PRODUCT.md section 2)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from core.domain import (
    Attention,
    Outcome,
    PlaceCallback,
    RecoveryState,
    SendFailure,
    SendSms,
    StepStatus,
)
from core.observations import CallbackPlaced, SmsAccepted, SmsDeliveryFinal, SmsFailed
from tests.unit.fakes import ON, kinds, opened, step, t

SENT_AT = t(0, 10, 0, 1)


def in_flight() -> RecoveryState:
    state = opened(t(0, 10)).state
    assert state.sms_status is StepStatus.IN_FLIGHT
    return state


def accepted() -> RecoveryState:
    return step(in_flight(), SmsAccepted(at=SENT_AT, message_sid="SM1"), now=SENT_AT).state


def test_a_uk_landline_gets_no_sms_and_goes_on_to_the_callback_and_email() -> None:
    decision = opened(t(0, 10), is_landline=True)
    assert decision.effects == ()
    assert decision.state.sms_status is StepStatus.SKIPPED
    assert decision.state.sms_reason == "not_mobile"
    assert decision.state.callback_status is StepStatus.PENDING
    assert decision.state.email_status is StepStatus.PENDING


@pytest.mark.parametrize("code", [21211, 21614, 21408])
def test_a_number_that_cannot_receive_sms_skips_layer_1_with_the_code(code: int) -> None:
    failed = SmsFailed(at=SENT_AT, failure=SendFailure.CANNOT_RECEIVE, code=code)
    decision = step(in_flight(), failed, now=SENT_AT)
    assert decision.state.sms_status is StepStatus.SKIPPED
    assert str(code) in decision.state.sms_reason
    assert decision.state.is_open and decision.state.callback_status is StepStatus.PENDING
    assert decision.state.contacted_at is None


def test_twilio_21610_means_the_number_sent_stop_and_the_recovery_is_opted_out() -> None:
    failed = SmsFailed(at=SENT_AT, failure=SendFailure.SUPPRESS, code=21610)
    decision = step(in_flight(), failed, now=SENT_AT)
    assert decision.state.outcome is Outcome.OPTED_OUT
    assert decision.state.outcome_reason == "twilio_21610"
    assert decision.state.callback_status is StepStatus.CANCELLED
    assert decision.state.email_status is StepStatus.CANCELLED


def test_a_permanent_sms_failure_skips_layer_1_and_the_recovery_goes_on() -> None:
    failed = SmsFailed(at=SENT_AT, failure=SendFailure.PERMANENT, code=21610 + 1)
    decision = step(in_flight(), failed, now=SENT_AT)
    assert decision.state.sms_status is StepStatus.SKIPPED
    assert decision.state.is_open


def test_an_sms_configuration_failure_skips_layer_1_and_is_listed_for_a_person() -> None:
    failed = SmsFailed(at=SENT_AT, failure=SendFailure.CONFIG, code=21606)
    decision = step(in_flight(), failed, now=SENT_AT)
    assert decision.state.sms_reason == "sms_config_error"
    assert decision.events[-1].attention is Attention.CONFIG_ERROR
    assert decision.state.callback_status is StepStatus.PENDING


def test_while_sms_is_stopped_for_a_config_error_layer_1_is_skipped_like_a_landline() -> None:
    decision = opened(t(0, 10), policy=replace(ON, sms_config_error=True))
    assert decision.effects == ()
    assert decision.state.sms_reason == "sms_config_error"
    assert decision.state.callback_due_at == t(0, 10, 3)


@pytest.mark.parametrize("failure", [SendFailure.RATE_LIMITED, SendFailure.TRANSIENT])
def test_a_rate_limited_or_transient_sms_is_retried_on_the_next_tick(failure: SendFailure) -> None:
    failed = step(in_flight(), SmsFailed(at=SENT_AT, failure=failure), now=SENT_AT)
    assert failed.state.sms_status is StepStatus.PENDING
    assert failed.state.next_action_at is not None and failed.state.next_action_at <= SENT_AT
    retried = step(failed.state, now=t(0, 10, 0, 6))
    assert [type(effect) for effect in retried.effects] == [SendSms]


def test_a_transient_sms_failure_past_the_catch_up_time_expires_instead_of_retrying() -> None:
    late = t(0, 10, 31)
    failed = SmsFailed(at=late, failure=SendFailure.TRANSIENT)
    decision = step(in_flight(), failed, now=late)
    assert not any(isinstance(effect, SendSms) for effect in decision.effects)
    assert decision.state.sms_status is StepStatus.EXPIRED
    assert decision.state.sms_done_at == t(0, 10, 30)


@pytest.mark.parametrize("code", [30003, 30005, 30006])
def test_an_sms_undelivered_with_a_landline_code_counts_as_no_sms(code: int) -> None:
    final = SmsDeliveryFinal(at=t(0, 10, 1), status="undelivered", error_code=code)
    decision = step(accepted(), final, now=t(0, 10, 1))
    assert decision.state.contacted_at is None
    assert decision.state.sms_reason == f"not_delivered_{code}"
    assert decision.state.sms_delivery == "undelivered"
    assert decision.state.callback_status is StepStatus.PENDING
    assert "sms_undelivered" in kinds(decision)


def test_an_sms_that_failed_for_another_reason_does_not_count_as_contact_either() -> None:
    final = SmsDeliveryFinal(at=t(0, 10, 1), status="failed", error_code=30008)
    decision = step(accepted(), final, now=t(0, 10, 1))
    assert decision.state.contacted_at is None
    assert decision.state.sms_reason == ""


def test_a_delivered_sms_stays_the_first_contact() -> None:
    final = SmsDeliveryFinal(at=t(0, 10, 1), status="delivered")
    decision = step(accepted(), final, now=t(0, 10, 1))
    assert decision.state.contacted_at == SENT_AT
    assert decision.state.sms_delivery == "delivered"


def test_after_an_undelivered_sms_the_callback_is_the_first_contact() -> None:
    final = SmsDeliveryFinal(at=t(0, 10, 1), status="undelivered", error_code=30003)
    state = step(accepted(), final, now=t(0, 10, 1)).state
    placing = step(state, now=t(0, 10, 3))
    assert [type(effect) for effect in placing.effects] == [PlaceCallback]
    placed = step(placing.state, CallbackPlaced(at=t(0, 10, 3, 1), call_id="c"), now=t(0, 10, 4))
    assert placed.state.contacted_at == t(0, 10, 3, 1)


def test_a_repeated_acceptance_does_not_move_the_sms_time() -> None:
    again = SmsAccepted(at=SENT_AT + timedelta(minutes=5), message_sid="SM1")
    assert step(accepted(), again, now=t(0, 10, 6)).state.sms_done_at == SENT_AT
