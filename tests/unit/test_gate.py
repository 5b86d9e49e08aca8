"""Unit tests for core.gate.check: the one gate every SMS, call and email passes."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from core.domain import CallerFacts, Channel, Policy, RecoveryState
from core.gate import GateVerdict, Verdict, check
from tests.unit.fakes import ABROAD, CALLER, EMAIL, ON, WINDOW, t

STATE = RecoveryState(caller=CALLER, first_missed_at=t(0, 10), email=EMAIL)
SATURDAY_EVENING = t(5, 19, 30)  # window closed, inside the 08:00-21:00 hard limit
LATE_NIGHT = t(0, 21, 0)  # outside the hard limit
MONDAY_MORNING = t(0, 10)


def gate(
    channel: Channel,
    *,
    now: datetime = MONDAY_MORNING,
    state: RecoveryState = STATE,
    policy: Policy = ON,
    facts: CallerFacts | None = None,
    manual: bool = False,
) -> GateVerdict:
    return check(
        channel=channel,
        state=state,
        now=now,
        policy=policy,
        window=WINDOW,
        facts=facts or CallerFacts(),
        manual=manual,
    )


def test_every_channel_passes_inside_the_window_with_everything_on() -> None:
    assert all(gate(channel).allowed for channel in Channel)


@pytest.mark.parametrize("channel", list(Channel))
@pytest.mark.parametrize("manual", [False, True])
def test_a_suppressed_number_is_refused_on_every_channel(channel: Channel, manual: bool) -> None:
    verdict = gate(channel, facts=CallerFacts(number_suppressed=True), manual=manual)
    assert verdict == GateVerdict(Verdict.REFUSE, "suppressed")


def test_a_suppressed_email_address_refuses_email_only() -> None:
    facts = CallerFacts(email_suppressed=True)
    assert gate(Channel.EMAIL, facts=facts) == GateVerdict(Verdict.REFUSE, "email_suppressed")
    assert gate(Channel.SMS, facts=facts).allowed
    assert gate(Channel.CALL, facts=facts).allowed


@pytest.mark.parametrize("channel", list(Channel))
@pytest.mark.parametrize("manual", [False, True])
def test_the_kill_switch_holds_every_channel_even_a_person_s(
    channel: Channel, manual: bool
) -> None:
    verdict = gate(channel, policy=replace(ON, kill_switch=True), manual=manual)
    assert verdict == GateVerdict(Verdict.HOLD, "kill_switch")


@pytest.mark.parametrize("channel", list(Channel))
def test_a_paused_recovery_holds_automated_steps_but_not_a_person_s(channel: Channel) -> None:
    paused = replace(STATE, paused=True)
    assert gate(channel, state=paused) == GateVerdict(Verdict.HOLD, "paused")
    assert gate(channel, state=paused, manual=True).allowed


@pytest.mark.parametrize("manual", [False, True])
def test_a_call_needs_layer_2_on(manual: bool) -> None:
    verdict = gate(Channel.CALL, policy=replace(ON, layer2_on=False), manual=manual)
    assert verdict == GateVerdict(Verdict.REFUSE, "not_configured")


@pytest.mark.parametrize("manual", [False, True])
def test_a_call_goes_only_to_a_uk_number(manual: bool) -> None:
    abroad = replace(STATE, caller=ABROAD, is_uk=False)
    assert gate(Channel.CALL, state=abroad, manual=manual).reason == "non_uk_number"
    assert gate(Channel.SMS, state=abroad).allowed


def test_a_number_marked_uk_without_plus_44_is_still_refused_a_call() -> None:
    odd = replace(STATE, caller=ABROAD, is_uk=True)
    assert gate(Channel.CALL, state=odd).reason == "non_uk_number"


@pytest.mark.parametrize("manual", [False, True])
def test_no_call_within_72_hours_of_a_callback_with_no_conversation(manual: bool) -> None:
    now = t(3, 10)
    just_inside = CallerFacts(
        last_no_conversation_callback_at=now - timedelta(hours=72) + timedelta(seconds=1)
    )
    just_outside = CallerFacts(last_no_conversation_callback_at=now - timedelta(hours=72))
    refused = gate(Channel.CALL, now=now, facts=just_inside, manual=manual)
    assert refused == GateVerdict(Verdict.REFUSE, "recent_no_conversation")
    assert gate(Channel.CALL, now=now, facts=just_outside, manual=manual).allowed


def test_the_72_hour_rule_does_not_stop_sms_or_email() -> None:
    facts = CallerFacts(last_no_conversation_callback_at=t(0, 9))
    assert gate(Channel.SMS, facts=facts).allowed
    assert gate(Channel.EMAIL, facts=facts).allowed


def test_an_automated_call_is_held_outside_the_calling_window() -> None:
    verdict = gate(Channel.CALL, now=SATURDAY_EVENING)
    assert verdict == GateVerdict(Verdict.HOLD, "window_closed")


def test_call_now_may_go_outside_the_window_inside_the_hard_limit() -> None:
    assert gate(Channel.CALL, now=SATURDAY_EVENING, manual=True).allowed


@pytest.mark.parametrize("now", [LATE_NIGHT, t(1, 7, 59, 59), t(6, 3)])
def test_call_now_never_crosses_the_hard_limit(now: datetime) -> None:
    assert gate(Channel.CALL, now=now, manual=True) == GateVerdict(
        Verdict.REFUSE, "outside_hard_limit"
    )


def test_an_automated_call_is_held_outside_the_hard_limit_whatever_the_window_says() -> None:
    class OpenAllNight:
        def is_open(self, at: datetime) -> bool:
            return True

        def next_opening(self, at: datetime) -> datetime:
            return at

        def closes_at(self, at: datetime) -> datetime | None:
            return at + timedelta(days=1)

        def within_hard_limit(self, at: datetime) -> bool:
            return WINDOW.within_hard_limit(at)

    verdict = check(
        channel=Channel.CALL,
        state=STATE,
        now=LATE_NIGHT,
        policy=ON,
        window=OpenAllNight(),
        facts=CallerFacts(),
    )
    assert verdict == GateVerdict(Verdict.HOLD, "outside_hard_limit")


@pytest.mark.parametrize("now", [LATE_NIGHT, t(6, 3), SATURDAY_EVENING])
def test_sms_and_email_may_go_at_any_hour(now: datetime) -> None:
    assert gate(Channel.SMS, now=now).allowed
    assert gate(Channel.EMAIL, now=now).allowed


def test_email_needs_layer_3_on() -> None:
    verdict = gate(Channel.EMAIL, policy=replace(ON, layer3_on=False))
    assert verdict == GateVerdict(Verdict.REFUSE, "not_configured")


def test_email_needs_an_address() -> None:
    verdict = gate(Channel.EMAIL, state=replace(STATE, email=""))
    assert verdict == GateVerdict(Verdict.REFUSE, "no_email")


def test_a_refusal_outranks_the_kill_switch_so_the_step_is_skipped_not_held() -> None:
    policy = replace(ON, kill_switch=True, layer2_on=False)
    assert gate(Channel.CALL, policy=policy).verdict is Verdict.REFUSE
