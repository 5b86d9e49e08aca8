"""Unit tests for core.callbacks.assess_report (PRODUCT.md section 2, callbacks)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from core.callbacks import assess_report
from core.domain import Attention, CallbackResult, SubOutcome
from core.observations import CallbackReport
from tests.unit.fakes import t

PLACED = t(0, 10, 3)
CONNECTED = PLACED + timedelta(seconds=15)


def report(
    reason: str | None,
    *,
    status: str = "ended",
    talk: timedelta = timedelta(minutes=2),
    read_after_end: timedelta = timedelta(seconds=30),
    analysis: bool = True,
    in_voicemail: bool | None = False,
    outcome: str | None = None,
    opt_out: bool = False,
) -> CallbackReport:
    ended = CONNECTED + talk
    return CallbackReport(
        at=ended + read_after_end,
        call_status=status,
        disconnection_reason=reason,
        started_at=CONNECTED,
        ended_at=ended,
        analysis_present=analysis,
        in_voicemail=in_voicemail,
        custom_outcome=outcome,
        custom_opt_out=opt_out,
    )


@pytest.mark.parametrize(
    "reason", ["dial_no_answer", "dial_busy", "dial_failed", "invalid_destination"]
)
def test_a_callback_that_never_connected_is_finished_as_soon_as_reported(reason: str) -> None:
    found = assess_report(report(reason, analysis=False), placed_at=PLACED)
    assert found.finished and found.result is CallbackResult.NOT_CONNECTED
    assert not found.reached and not found.starts_no_call_rule


def test_a_not_connected_status_is_finished_at_once_without_a_reason() -> None:
    found = assess_report(report(None, status="not_connected", analysis=False), placed_at=PLACED)
    assert found.finished and found.result is CallbackResult.NOT_CONNECTED


def test_an_error_status_is_finished_at_once_as_error_for_a_person() -> None:
    found = assess_report(report(None, status="error", analysis=False), placed_at=PLACED)
    assert found.finished and found.result is CallbackResult.ERROR
    assert found.attention is Attention.CALLBACK_ERROR


@pytest.mark.parametrize("status", ["registered", "ongoing"])
def test_a_callback_still_in_progress_is_not_finished(status: str) -> None:
    found = assess_report(report(None, status=status, analysis=False), placed_at=PLACED)
    assert not found.finished and found.result is None


def test_a_connected_callback_waits_for_the_analysis() -> None:
    found = assess_report(report("agent_hangup", analysis=False), placed_at=PLACED)
    assert not found.finished


def test_a_connected_callback_is_finished_when_the_analysis_arrives() -> None:
    found = assess_report(report("agent_hangup", analysis=True), placed_at=PLACED)
    assert found.finished and found.reached


def test_a_connected_callback_is_finished_10_minutes_after_it_ended_without_analysis() -> None:
    early = report("agent_hangup", analysis=False, read_after_end=timedelta(minutes=9, seconds=59))
    late = report("agent_hangup", analysis=False, read_after_end=timedelta(minutes=10))
    assert not assess_report(early, placed_at=PLACED).finished
    found = assess_report(late, placed_at=PLACED)
    assert found.finished and found.reached and found.sub_outcome is SubOutcome.UNKNOWN


@pytest.mark.parametrize("reason", ["agent_hangup", "call_transfer"])
def test_agent_hangup_or_transfer_reaches_the_person(reason: str) -> None:
    assert assess_report(report(reason), placed_at=PLACED).result is CallbackResult.REACHED


def test_a_user_hangup_10_seconds_after_connecting_reaches_the_person() -> None:
    found = assess_report(report("user_hangup", talk=timedelta(seconds=10)), placed_at=PLACED)
    assert found.reached


def test_a_user_hangup_under_10_seconds_is_no_conversation_and_starts_the_72_hour_rule() -> None:
    short = report("user_hangup", talk=timedelta(seconds=9, milliseconds=999))
    found = assess_report(short, placed_at=PLACED)
    assert found.result is CallbackResult.NO_CONVERSATION and found.starts_no_call_rule


@pytest.mark.parametrize("reason", ["inactivity", "max_duration_reached", "voicemail_reached"])
def test_inactivity_max_duration_and_voicemail_are_no_conversation(reason: str) -> None:
    found = assess_report(report(reason), placed_at=PLACED)
    assert found.result is CallbackResult.NO_CONVERSATION and not found.reached


@pytest.mark.parametrize("reason", ["agent_hangup", "call_transfer", "user_hangup"])
def test_a_call_the_analysis_says_was_voicemail_never_reached_a_person(reason: str) -> None:
    found = assess_report(report(reason, in_voicemail=True), placed_at=PLACED)
    assert found.result is CallbackResult.NO_CONVERSATION and found.starts_no_call_rule


def test_an_unknown_in_voicemail_does_not_stop_a_reach() -> None:
    assert assess_report(report("agent_hangup", in_voicemail=None), placed_at=PLACED).reached


@pytest.mark.parametrize("reason", ["scam_detected", "machine_detected", "", "error_llm_websocket"])
def test_an_unknown_disconnection_reason_is_not_reached(reason: str) -> None:
    found = assess_report(report(reason), placed_at=PLACED)
    assert found.finished and not found.reached and not found.starts_no_call_rule


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        ("booked", SubOutcome.BOOKED),
        ("transferred", SubOutcome.TRANSFERRED),
        ("not_now", SubOutcome.NOT_NOW),
        ("maybe", SubOutcome.UNKNOWN),
        (None, SubOutcome.UNKNOWN),
    ],
)
def test_the_sub_outcome_comes_from_the_custom_analysis(
    outcome: str | None, expected: SubOutcome
) -> None:
    found = assess_report(report("agent_hangup", outcome=outcome), placed_at=PLACED)
    assert found.sub_outcome is expected


def test_custom_opt_out_true_is_an_opt_out() -> None:
    assert assess_report(report("agent_hangup", opt_out=True), placed_at=PLACED).opt_out
    assert not assess_report(report("agent_hangup"), placed_at=PLACED).opt_out


@pytest.mark.parametrize("status", ["registered", "ongoing", "ended"])
def test_a_callback_not_finished_2_hours_after_placing_is_an_error_for_a_person(
    status: str,
) -> None:
    def read_at(at: datetime) -> CallbackReport:
        return CallbackReport(at=at, call_status=status, ended_at=None)

    before = assess_report(read_at(PLACED + timedelta(hours=2, seconds=-1)), placed_at=PLACED)
    after = assess_report(read_at(PLACED + timedelta(hours=2)), placed_at=PLACED)
    assert not before.finished
    assert after.finished and after.result is CallbackResult.ERROR
    assert after.attention is Attention.CALLBACK_ERROR


def test_a_reason_holds_no_vendor_free_text_about_the_person() -> None:
    found = assess_report(report("agent_hangup", outcome="booked Mrs Smith"), placed_at=PLACED)
    assert "Smith" not in found.reason
