"""Unit tests for the three layers' due times and the SMS templates (PRODUCT.md section 2)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta

import pytest

from core.domain import (
    CallerFacts,
    PlaceCallback,
    Policy,
    SendEmail,
    SendSms,
    StepStatus,
    TemplateKind,
)
from core.observations import CallbackPlaced, CallbackReport, SmsAccepted
from tests.unit.fakes import ABROAD, ON, WeeklyWindow, opened, step, t


def sms_effects(effects: tuple[object, ...]) -> list[SendSms]:
    return [effect for effect in effects if isinstance(effect, SendSms)]


def test_the_sms_is_due_at_the_calls_end_plus_the_sms_delay() -> None:
    policy = replace(ON, sms_delay=timedelta(seconds=60))
    first = opened(t(0, 10), policy=policy)
    assert first.effects == () and first.state.sms_due_at == t(0, 10, 1)
    assert first.state.next_action_at == t(0, 10, 1)
    assert step(first.state, now=t(0, 10, 0, 59), policy=policy).effects == ()
    assert sms_effects(step(first.state, now=t(0, 10, 1), policy=policy).effects)


def test_with_no_delay_the_sms_goes_when_the_call_is_first_seen() -> None:
    decision = opened(t(0, 10), now=t(0, 10, 0, 4))
    assert sms_effects(decision.effects)
    assert decision.state.sms_status is StepStatus.IN_FLIGHT


def test_an_accepted_sms_is_done_and_makes_the_recovery_contacted() -> None:
    state = opened(t(0, 10)).state
    after = step(state, SmsAccepted(at=t(0, 10, 0, 2), message_sid="SM1"), now=t(0, 10, 0, 3))
    assert after.state.sms_status is StepStatus.DONE
    assert after.state.contacted_at == t(0, 10, 0, 2)


def test_the_callback_is_due_at_the_sms_due_time_plus_the_reply_wait() -> None:
    policy = replace(ON, sms_delay=timedelta(seconds=30), reply_wait=timedelta(seconds=180))
    state = opened(t(0, 10), policy=policy).state
    assert state.callback_nominal_at == t(0, 10, 3, 30) == state.callback_due_at


def test_the_callback_time_counts_from_the_sms_due_time_even_when_no_sms_went() -> None:
    state = opened(t(0, 10), is_landline=True).state
    assert state.sms_status is StepStatus.SKIPPED
    assert state.callback_due_at == t(0, 10, 3)


def test_the_callback_is_not_placed_before_it_is_due_and_is_placed_when_due() -> None:
    state = opened(t(0, 10), is_landline=True).state
    assert step(state, now=t(0, 10, 2, 59)).effects == ()
    placed = step(state, now=t(0, 10, 3))
    assert placed.effects == (PlaceCallback(manual=False, email_on_file=True),)
    assert placed.state.callback_status is StepStatus.IN_FLIGHT


def test_a_placed_callback_is_active_and_makes_the_recovery_contacted() -> None:
    state = step(opened(t(0, 10), is_landline=True).state, now=t(0, 10, 3)).state
    after = step(state, CallbackPlaced(at=t(0, 10, 3, 1), call_id="call_1"), now=t(0, 10, 3, 2))
    assert after.state.callback_status is StepStatus.ACTIVE
    assert after.state.callback_id == "call_1"
    assert after.state.contacted_at == t(0, 10, 3, 1)


def test_a_callback_whose_nominal_time_is_after_hours_is_due_at_the_next_opening() -> None:
    state = opened(t(0, 17, 58)).state  # Monday 17:58, nominal 18:01
    assert state.callback_nominal_at == t(0, 18, 1)
    assert state.callback_due_at == t(1, 9)


def test_a_callback_more_than_the_max_wait_after_its_nominal_time_is_skipped_too_far() -> None:
    policy = replace(ON, max_callback_wait=timedelta(hours=12))
    state = opened(t(0, 17, 58), policy=policy).state  # next opening 14 h 59 min away
    assert state.callback_status is StepStatus.SKIPPED
    assert state.callback_reason == "callback_too_far"


def test_a_friday_evening_call_before_a_bank_holiday_monday_is_too_far_by_default() -> None:
    weekdays = WeeklyWindow(
        {day: [(time(9), time(18))] for day in range(5)}, closed_dates=[date(2025, 6, 9)]
    )
    state = opened(t(4, 17, 58), window=weekdays).state  # next opening Tuesday 09:00, 87 h
    assert state.callback_reason == "callback_too_far"
    within = opened(t(4, 17, 58), window=WeeklyWindow({0: [(time(9), time(18))]})).state
    assert within.callback_status is StepStatus.PENDING and within.callback_due_at == t(7, 9)


def test_layer_2_off_skips_the_callback_as_not_configured() -> None:
    state = opened(t(0, 10), policy=replace(ON, layer2_on=False)).state
    assert state.callback_status is StepStatus.SKIPPED
    assert state.callback_reason == "not_configured"


def test_a_non_uk_number_gets_no_callback_but_still_sms_and_email() -> None:
    decision = opened(t(0, 10), caller=ABROAD, is_uk=False)
    assert decision.state.callback_reason == "non_uk_number"
    assert sms_effects(decision.effects)
    assert decision.state.email_status is StepStatus.PENDING


def test_a_callback_within_72_hours_of_a_no_conversation_callback_is_skipped() -> None:
    recent = CallerFacts(last_no_conversation_callback_at=t(0, 10, 3) - timedelta(hours=71))
    state = opened(t(0, 10), facts=recent).state
    assert state.callback_reason == "recent_no_conversation"
    older = CallerFacts(last_no_conversation_callback_at=t(0, 10, 3) - timedelta(hours=72))
    assert opened(t(0, 10), facts=older).state.callback_status is StepStatus.PENDING


def test_the_email_is_due_at_the_email_delay_when_layer_2_finished_earlier() -> None:
    state = opened(t(0, 10), is_landline=True).state
    state = step(state, now=t(0, 10, 3)).state
    state = step(state, CallbackPlaced(at=t(0, 10, 3), call_id="c"), now=t(0, 10, 3)).state
    not_connected = CallbackReport(at=t(0, 10, 4), call_status="not_connected")
    state = step(state, not_connected, now=t(0, 10, 4)).state
    assert state.email_due_at == t(0, 10, 45) == state.next_action_at
    assert step(state, now=t(0, 10, 44, 59)).effects == ()
    assert step(state, now=t(0, 10, 45)).effects == (SendEmail(reason="layer3"),)


def test_the_email_waits_for_a_callback_that_finishes_after_the_email_delay() -> None:
    state = opened(t(0, 17, 58)).state  # callback due Tuesday 09:00
    assert step(state, now=t(0, 18, 43)).effects == ()  # first missed call + 45 min: not yet
    state = step(state, now=t(1, 9)).state
    state = step(state, CallbackPlaced(at=t(1, 9), call_id="c"), now=t(1, 9)).state
    voicemail = CallbackReport(at=t(1, 9, 2), call_status="ended", disconnection_reason="dial_busy")
    finished = step(state, voicemail, now=t(1, 9, 2))
    assert finished.state.email_due_at == t(1, 9, 2)
    assert finished.effects == (SendEmail(reason="layer3"),)


def test_the_email_after_a_skipped_callback_is_due_at_the_later_of_delay_and_skip() -> None:
    state = opened(t(0, 10), caller=ABROAD, is_uk=False).state
    assert state.email_due_at == t(0, 10, 45)


def test_an_email_due_without_an_address_is_skipped_no_email() -> None:
    state = opened(t(0, 10), caller=ABROAD, is_uk=False, email="").state
    decision = step(state, now=t(0, 10, 45))
    assert decision.effects == ()
    assert decision.state.email_status is StepStatus.SKIPPED
    assert decision.state.email_reason == "no_email"


def test_an_address_set_before_the_email_is_due_is_used() -> None:
    state = opened(t(0, 10), caller=ABROAD, is_uk=False, email="").state
    state = replace(state, email="later@example.com")
    assert step(state, now=t(0, 10, 45)).effects == (SendEmail(reason="layer3"),)


def test_an_email_due_with_layer_3_off_is_skipped_not_configured() -> None:
    policy = replace(ON, layer3_on=False)
    state = opened(t(0, 10), caller=ABROAD, is_uk=False, policy=policy).state
    decision = step(state, now=t(0, 10, 45), policy=policy)
    assert decision.effects == () and decision.state.email_reason == "not_configured"


def test_the_in_hours_sms_is_sent_when_the_callbacks_nominal_time_is_inside_the_window() -> None:
    decision = opened(t(0, 10))
    assert sms_effects(decision.effects) == [SendSms(TemplateKind.IN_HOURS, None)]
    assert decision.state.sms_template == "in_hours"


def test_the_after_hours_sms_names_the_callbacks_due_time() -> None:
    decision = opened(t(0, 17, 58))
    assert sms_effects(decision.effects) == [SendSms(TemplateKind.AFTER_HOURS, t(1, 9))]


@pytest.mark.parametrize(
    ("policy", "caller", "facts"),
    [
        (replace(ON, layer2_on=False), "+447700900123", CallerFacts()),
        (ON, ABROAD, CallerFacts()),
        (ON, "+447700900123", CallerFacts(last_no_conversation_callback_at=t(0, 9))),
        (replace(ON, max_callback_wait=timedelta(hours=1)), "+447700900123", CallerFacts()),
    ],
    ids=["not_configured", "non_uk", "72h_rule", "too_far"],
)
def test_the_no_call_sms_is_sent_when_layer_2_will_not_run(
    policy: Policy, caller: str, facts: CallerFacts
) -> None:
    decision = opened(
        t(0, 17, 58), policy=policy, caller=caller, is_uk=caller.startswith("+44"), facts=facts
    )
    assert sms_effects(decision.effects) == [SendSms(TemplateKind.NO_CALL, None)]


def test_the_template_is_picked_when_the_sms_is_sent_not_when_the_call_was_seen() -> None:
    held = replace(ON, kill_switch=True)
    state = opened(t(0, 10), policy=held).state
    assert state.callback_status is StepStatus.PENDING
    facts = CallerFacts(last_no_conversation_callback_at=t(0, 10, 1))
    decision = step(state, now=t(0, 10, 2), facts=facts)
    assert sms_effects(decision.effects) == [SendSms(TemplateKind.NO_CALL, None)]
    assert decision.state.callback_reason == "recent_no_conversation"
