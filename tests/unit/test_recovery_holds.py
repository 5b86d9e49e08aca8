"""Unit tests for held steps, expiry, the calling window and the manual overrides (section 2)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from core.domain import (
    Attention,
    CallerFacts,
    Outcome,
    PlaceCallback,
    RecoveryState,
    SendEmail,
    SendSms,
    StepStatus,
    TemplateKind,
)
from core.observations import CallbackPlaced, CallbackReport, ConsoleAction, ConsoleCommand, Reply
from tests.unit.fakes import ON, kinds, opened, step, t

KILL = replace(ON, kill_switch=True)


def console(command: ConsoleCommand, minute: int, hour: int = 10, day: int = 0) -> ConsoleAction:
    return ConsoleAction(at=t(day, hour, minute), command=command)


def held_sms() -> RecoveryState:
    decision = opened(t(0, 10), policy=KILL)
    assert decision.effects == () and decision.state.sms_status is StepStatus.PENDING
    return decision.state


def test_the_kill_switch_holds_a_due_step_and_says_why() -> None:
    decision = opened(t(0, 10), policy=KILL)
    assert decision.effects == ()
    assert "sms_held" in kinds(decision)
    assert decision.state.sms_reason == "held_kill_switch"
    assert decision.state.next_action_at == t(0, 10)


def test_a_long_hold_is_explained_once_not_on_every_tick() -> None:
    state = held_sms()
    decision = step(state, now=t(0, 10, 0, 5), policy=KILL)
    assert decision.events == () and decision.effects == ()


def test_a_held_step_still_goes_if_released_within_the_catch_up_time() -> None:
    decision = step(held_sms(), now=t(0, 10, 29, 59))
    assert SendSms in [type(effect) for effect in decision.effects]
    assert decision.state.sms_status is StepStatus.IN_FLIGHT


def test_a_held_step_expires_at_its_due_time_plus_the_catch_up_and_is_listed() -> None:
    decision = step(held_sms(), now=t(0, 10, 30))
    assert not any(isinstance(effect, SendSms) for effect in decision.effects)
    assert decision.state.sms_status is StepStatus.EXPIRED
    assert decision.state.sms_done_at == t(0, 10, 30)
    expired = [event for event in decision.events if event.kind == "sms_expired"]
    assert expired and expired[0].attention is Attention.EXPIRED_STEP


def test_an_expired_sms_stands_in_for_layer_1_in_the_callbacks_formula() -> None:
    state = step(held_sms(), now=t(0, 10, 40), policy=KILL).state
    assert state.callback_nominal_at == t(0, 10, 33) == state.callback_due_at


def test_a_late_step_after_the_daemon_was_down_expires_as_of_its_expiry_instant() -> None:
    state = opened(t(0, 10), is_landline=True).state  # callback due 10:03
    decision = step(state, now=t(0, 11))
    assert decision.state.callback_status is StepStatus.EXPIRED
    assert decision.state.callback_done_at == t(0, 10, 33)
    assert decision.state.email_due_at == t(0, 10, 45)
    assert decision.effects == (SendEmail(reason="layer3"),)  # 10:45 + 30 min not passed yet


def test_a_late_step_within_the_catch_up_time_still_goes() -> None:
    state = opened(t(0, 10), is_landline=True).state
    decision = step(state, now=t(0, 10, 32))
    assert decision.effects == (PlaceCallback(manual=False, email_on_file=True),)


def test_an_expired_callback_pushes_the_email_to_its_expiry_instant() -> None:
    state = opened(t(0, 10, 20), is_landline=True).state  # callback due 10:23, email 11:05
    state = step(state, now=t(0, 10, 21), policy=replace(ON, email_delay=timedelta(0))).state
    decision = step(state, now=t(0, 10, 53), policy=KILL)
    assert decision.state.callback_status is StepStatus.EXPIRED
    assert decision.state.email_due_at == t(0, 11, 5)
    policy = replace(ON, email_delay=timedelta(minutes=1))
    early = opened(t(0, 10, 20), is_landline=True, policy=policy).state
    decision = step(early, now=t(0, 10, 53), policy=replace(policy, kill_switch=True))
    assert decision.state.email_due_at == t(0, 10, 53)


def test_a_paused_recovery_holds_its_automated_steps() -> None:
    state = opened(t(0, 10), is_landline=True).state
    decision = step(state, console(ConsoleCommand.PAUSE, 1), now=t(0, 10, 3))
    assert decision.effects == () and decision.state.paused
    assert decision.state.callback_reason == "held_paused"


def test_resuming_re_arms_nothing_that_expired() -> None:
    state = opened(t(0, 10), is_landline=True).state
    state = step(state, console(ConsoleCommand.PAUSE, 1), now=t(0, 10, 1)).state
    decision = step(state, console(ConsoleCommand.RESUME, 50), now=t(0, 10, 50))
    assert not decision.state.paused
    assert decision.state.callback_status is StepStatus.EXPIRED
    assert not any(isinstance(effect, PlaceCallback) for effect in decision.effects)
    assert "expired" in decision.events[-2].reason or "expired" in decision.events[-1].reason


def test_resuming_within_the_catch_up_time_lets_the_held_step_go() -> None:
    state = opened(t(0, 10), is_landline=True).state
    state = step(state, console(ConsoleCommand.PAUSE, 1), now=t(0, 10, 1)).state
    decision = step(state, console(ConsoleCommand.RESUME, 20), now=t(0, 10, 20))
    assert decision.effects == (PlaceCallback(manual=False, email_on_file=True),)


def test_a_callback_that_cannot_start_before_the_window_closes_moves_to_the_next_opening() -> None:
    state = opened(t(0, 17, 40), is_landline=True).state  # due 17:43, window closes 18:00
    state = step(state, now=t(0, 17, 43), policy=KILL).state
    decision = step(state, now=t(0, 18, 5))
    assert decision.effects == ()
    assert decision.state.callback_due_at == t(1, 9)
    assert "callback_moved" in kinds(decision)
    placed = step(decision.state, now=t(1, 9))
    assert placed.effects == (PlaceCallback(manual=False, email_on_file=True),)


def test_a_moved_callback_beyond_the_max_wait_is_skipped_too_far() -> None:
    policy = replace(ON, max_callback_wait=timedelta(hours=12))
    state = opened(t(0, 17, 40), is_landline=True, policy=policy).state
    decision = step(state, now=t(0, 18, 5), policy=replace(policy, kill_switch=True))
    assert decision.state.callback_status is StepStatus.SKIPPED
    assert decision.state.callback_reason == "callback_too_far"


def test_an_automated_callback_is_never_placed_outside_the_window() -> None:
    state = opened(t(5, 12, 59), is_landline=True).state  # Saturday: nominal 13:02, closed
    assert state.callback_due_at == t(7, 9)
    for instant in (t(5, 13, 2), t(5, 19), t(6, 10)):
        assert step(state, now=instant).effects == ()


def test_call_now_places_the_callback_outside_the_window_inside_the_hard_limit() -> None:
    state = opened(t(5, 12, 59), is_landline=True).state
    decision = step(state, console(ConsoleCommand.CALL_NOW, 30, hour=19, day=5), now=t(5, 19, 31))
    assert decision.effects == (PlaceCallback(manual=True, email_on_file=True),)
    assert decision.state.callback_due_at == t(5, 19, 31)
    assert decision.state.callback_status is StepStatus.IN_FLIGHT


def test_call_now_outside_the_hard_limit_is_refused() -> None:
    state = opened(t(5, 12, 59), is_landline=True).state
    decision = step(state, console(ConsoleCommand.CALL_NOW, 5, hour=21, day=5), now=t(5, 21, 5))
    assert decision.effects == ()
    assert decision.state.callback_status is StepStatus.PENDING
    assert "outside_hard_limit" in decision.events[-1].reason


def test_call_now_is_held_by_the_kill_switch() -> None:
    state = opened(t(0, 10), is_landline=True).state
    decision = step(state, console(ConsoleCommand.CALL_NOW, 1), now=t(0, 10, 1), policy=KILL)
    assert decision.effects == () and "kill_switch" in decision.events[-1].reason


def test_call_now_while_a_callback_is_in_progress_is_refused() -> None:
    state = step(opened(t(0, 10), is_landline=True).state, now=t(0, 10, 3)).state
    decision = step(state, console(ConsoleCommand.CALL_NOW, 4), now=t(0, 10, 4))
    assert decision.effects == () and decision.events[-1].kind == "call_now_refused"


def test_call_now_after_an_unanswered_automated_callback_is_allowed() -> None:
    state = step(opened(t(0, 10), is_landline=True).state, now=t(0, 10, 3)).state
    state = step(state, CallbackPlaced(at=t(0, 10, 3), call_id="c1"), now=t(0, 10, 3)).state
    busy = CallbackReport(at=t(0, 10, 4), call_status="ended", disconnection_reason="dial_busy")
    state = step(state, busy, now=t(0, 10, 4)).state
    decision = step(state, console(ConsoleCommand.CALL_NOW, 10), now=t(0, 10, 10))
    assert decision.effects == (PlaceCallback(manual=True, email_on_file=True),)


def test_call_now_within_72_hours_of_a_voicemail_is_refused() -> None:
    state = opened(t(0, 10), is_landline=True).state
    facts = CallerFacts(last_no_conversation_callback_at=t(0, 10, 5))
    decision = step(state, console(ConsoleCommand.CALL_NOW, 10), now=t(0, 10, 10), facts=facts)
    assert decision.effects == ()
    assert "recent_no_conversation" in decision.events[-1].reason


def test_call_now_on_a_closed_recovery_is_refused() -> None:
    cancel = console(ConsoleCommand.CANCEL, 1)
    call_now = console(ConsoleCommand.CALL_NOW, 2)
    decision = step(opened(t(0, 10)).state, cancel, call_now, now=t(0, 10, 2))
    assert decision.effects == () and decision.state.outcome is Outcome.CANCELLED


def test_email_now_sends_a_manual_email_through_the_gate() -> None:
    state = opened(t(0, 10)).state
    decision = step(state, console(ConsoleCommand.EMAIL_NOW, 1), now=t(0, 10, 1))
    assert decision.effects == (SendEmail(reason="manual"),)
    refused = step(replace(state, email=""), console(ConsoleCommand.EMAIL_NOW, 1), now=t(0, 10, 1))
    assert refused.effects == () and "no_email" in refused.events[-1].reason


def test_a_person_s_send_happens_at_now_not_at_the_click() -> None:
    state = opened(t(0, 10)).state
    decision = step(state, console(ConsoleCommand.EMAIL_NOW, 1), now=t(0, 10, 2))
    sent = [event for event in decision.events if event.kind == "email_requested"]
    assert sent and sent[0].at == t(0, 10, 2)


def test_the_after_hours_sms_after_a_hold_names_the_moved_callback_time() -> None:
    state = opened(t(0, 17, 50), policy=KILL).state  # SMS and callback held
    state = replace(state, sms_due_at=t(0, 18, 10))  # as if sent with a 20 min delay
    decision = step(state, now=t(0, 18, 12))
    sms = [effect for effect in decision.effects if isinstance(effect, SendSms)]
    assert sms == [SendSms(TemplateKind.AFTER_HOURS, t(1, 9))]


def test_an_email_due_while_the_daemon_was_down_without_an_address_is_skipped_not_expired() -> None:
    state = opened(t(0, 10), is_landline=True, email="").state
    state = step(state, now=t(0, 10, 3)).state
    busy = CallbackReport(at=t(0, 10, 4), call_status="not_connected")
    state = step(state, CallbackPlaced(at=t(0, 10, 3), call_id="c"), busy, now=t(0, 10, 4)).state
    decision = step(state, now=t(0, 13))
    assert decision.state.email_status is StepStatus.SKIPPED
    assert decision.state.email_reason == "no_email"
    assert all(event.attention is None for event in decision.events)


def test_a_step_that_expired_before_an_observation_is_listed_before_the_observation_applies() -> (
    None
):
    state = opened(t(0, 10), is_landline=True).state  # callback due 10:03, expires 10:33
    decision = step(state, Reply(at=t(0, 10, 40)), now=t(0, 10, 41))
    assert decision.state.callback_status is StepStatus.EXPIRED
    assert decision.state.outcome is Outcome.REACHED
    assert kinds(decision).index("callback_expired") < kinds(decision).index("reached")
