"""Unit tests for decide(sends=False): nothing is sent, requests wait for the daemon's next pass."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from core.domain import (
    Actor,
    CallerFacts,
    Decision,
    Outcome,
    PlaceCallback,
    Policy,
    RecoveryState,
    SendEmail,
    SendSms,
    StepStatus,
)
from core.observations import (
    CallbackPlaced,
    CallbackReport,
    ConsoleAction,
    ConsoleCommand,
    Observation,
    SmsAccepted,
)
from core.recovery import decide
from tests.unit.fakes import ON, WINDOW, kinds, opened, t

DELAYED = replace(ON, sms_delay=timedelta(seconds=60))


def run(
    state: RecoveryState,
    *observations: Observation,
    now: datetime,
    sends: bool,
    policy: Policy = ON,
) -> Decision:
    return decide(
        state, observations, now=now, policy=policy, window=WINDOW, facts=CallerFacts(), sends=sends
    )


def sms_sent() -> RecoveryState:
    """Open, SMS accepted; the callback is due at 10:03."""
    state = opened(t(0, 10)).state
    return run(
        state, SmsAccepted(at=t(0, 10, 0, 1), message_sid="SM1"), now=t(0, 10, 0, 2), sends=False
    ).state


def click(command: ConsoleCommand, at: datetime) -> ConsoleAction:
    return ConsoleAction(at=at, command=command)


def test_without_sends_a_due_sms_is_not_sent_and_stays_due_for_the_daemon() -> None:
    state = opened(t(0, 10), policy=DELAYED).state
    decision = run(state, now=t(0, 10, 1, 30), sends=False, policy=DELAYED)
    assert decision.effects == ()
    assert decision.state.sms_status is StepStatus.PENDING
    assert decision.state.next_action_at == t(0, 10, 1)
    sent = run(decision.state, now=t(0, 10, 1, 35), sends=True, policy=DELAYED)
    assert [type(e) for e in sent.effects] == [SendSms]


def test_without_sends_call_now_is_kept_as_a_request_and_nothing_is_placed() -> None:
    decision = run(
        sms_sent(), click(ConsoleCommand.CALL_NOW, t(0, 10, 1)), now=t(0, 10, 1), sends=False
    )
    assert decision.effects == ()
    assert decision.state.requested == "call_now"
    assert decision.state.callback_status is StepStatus.PENDING


def test_the_next_pass_with_sends_makes_the_stored_request_and_clears_it() -> None:
    kept = run(
        sms_sent(), click(ConsoleCommand.CALL_NOW, t(0, 10, 1)), now=t(0, 10, 1), sends=False
    )
    made = run(kept.state, now=t(0, 10, 1, 2), sends=True)
    assert made.effects == (PlaceCallback(manual=True, email_on_file=True),)
    assert made.state.requested == ""
    assert made.state.callback_status is StepStatus.IN_FLIGHT
    assert made.state.callback_due_at == t(0, 10, 1, 2)


def test_next_action_is_now_while_a_request_waits() -> None:
    clicked = t(0, 10, 1)
    kept = run(sms_sent(), click(ConsoleCommand.CALL_NOW, clicked), now=clicked, sends=False)
    assert kept.state.next_action_at == clicked  # earlier than the callback's 10:03
    # A result recorded later without sends keeps the request due at once.
    later = t(0, 10, 1, 30)
    still = run(kept.state, now=later, sends=False)
    assert still.state.requested == "call_now" and still.state.next_action_at == later


def test_storing_a_request_writes_one_event_and_a_repeat_click_writes_none() -> None:
    first = run(
        sms_sent(), click(ConsoleCommand.CALL_NOW, t(0, 10, 1)), now=t(0, 10, 1), sends=False
    )
    assert kinds(first) == ["requested"]
    assert first.events[0].actor is Actor.CONSOLE
    again = run(
        first.state, click(ConsoleCommand.CALL_NOW, t(0, 10, 1, 5)), now=t(0, 10, 1, 5), sends=False
    )
    assert kinds(again) == [] and again.state.requested == "call_now"
    quiet = run(again.state, now=t(0, 10, 1, 9), sends=False)
    assert kinds(quiet) == []


def test_two_different_requests_are_both_kept_and_both_made() -> None:
    state = replace(sms_sent(), email="caller@example.com")
    kept = run(
        state,
        click(ConsoleCommand.CALL_NOW, t(0, 10, 1)),
        click(ConsoleCommand.EMAIL_NOW, t(0, 10, 1, 1)),
        now=t(0, 10, 1, 1),
        sends=False,
    )
    assert kept.state.requested == "call_now,email_now" and kinds(kept) == ["requested"] * 2
    made = run(kept.state, now=t(0, 10, 1, 3), sends=True)
    assert {type(e) for e in made.effects} == {PlaceCallback, SendEmail}
    assert SendEmail(reason="manual") in made.effects


def test_a_request_the_gate_refuses_on_the_next_pass_is_dropped_with_a_reason() -> None:
    off = replace(ON, layer2_on=False)
    kept = run(
        sms_sent(), click(ConsoleCommand.CALL_NOW, t(0, 10, 1)), now=t(0, 10, 1), sends=False
    )
    refused = run(kept.state, now=t(0, 10, 1, 2), sends=True, policy=off)
    assert refused.effects == () and refused.state.requested == ""
    assert "call_now_refused" in kinds(refused)
    assert "not_configured" in refused.events[kinds(refused).index("call_now_refused")].reason


def test_a_not_now_callback_recorded_without_sends_leaves_the_promised_email_to_the_next_pass() -> (
    None
):
    state = opened(t(0, 10), is_landline=True).state
    state = run(state, now=t(0, 10, 3), sends=True).state
    state = run(
        state, CallbackPlaced(at=t(0, 10, 3, 1), call_id="call_1"), now=t(0, 10, 3, 1), sends=False
    ).state
    report = CallbackReport(
        at=t(0, 10, 6),
        call_status="ended",
        disconnection_reason="agent_hangup",
        started_at=t(0, 10, 3, 10),
        ended_at=t(0, 10, 5),
        analysis_present=True,
        in_voicemail=False,
        custom_outcome="not_now",
    )
    recorded = run(state, report, now=t(0, 10, 6), sends=False)
    assert recorded.effects == () and recorded.state.outcome is Outcome.REACHED
    assert recorded.state.requested == "promised"
    assert recorded.state.next_action_at == t(0, 10, 6)
    made = run(recorded.state, now=t(0, 10, 6, 2), sends=True)
    assert made.effects == (SendEmail(reason="promised"),)
    assert made.state.requested == "" and made.state.email_status is StepStatus.IN_FLIGHT
