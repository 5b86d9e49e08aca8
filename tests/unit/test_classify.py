"""Unit tests for core.classify: what counts as a missed call (PRODUCT.md section 3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.classify import (
    CallLeg,
    classify_inbound,
    classify_outbound,
    forwarded_to,
    missed_call_time,
)
from core.domain import CallVerdict

LINE = "+441134960000"
SMS_FROM = "+447700900001"
RETELL_FROM = "+442079460002"
LINES = {LINE, SMS_FROM, RETELL_FROM}
CALLER = "+447700900123"
MOBILE = "+447700900555"  # where the line forwards to
T0 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)


def parent(status: str = "completed", **changes: Any) -> CallLeg:
    leg = CallLeg(
        sid="CA" + "0" * 32,
        parent_sid=None,
        direction="inbound",
        status=status,
        from_number=CALLER,
        to_number=LINE,
        start_time=T0,
        end_time=T0 + timedelta(seconds=25),
    )
    return replace(leg, **changes)


def child(status: str, answered_by: str | None = None, n: int = 1, **changes: Any) -> CallLeg:
    leg = CallLeg(
        sid=f"CA{n:032d}",
        parent_sid="CA" + "0" * 32,
        direction="outbound-dial",
        status=status,
        from_number=CALLER,
        to_number=MOBILE,
        start_time=T0 + timedelta(seconds=1),
        end_time=T0 + timedelta(seconds=21),
        answered_by=answered_by,
    )
    return replace(leg, **changes)


def verdict(p: CallLeg, *children: CallLeg) -> CallVerdict:
    return classify_inbound(p, children, recovered_lines=LINES)[0]


# --- which legs are classified ------------------------------------------------------------------


def test_call_to_a_line_that_is_not_recovered_is_ignored() -> None:
    assert verdict(parent(to_number="+441134960999")) is CallVerdict.IGNORED


@pytest.mark.parametrize("line", [SMS_FROM, RETELL_FROM])
def test_calls_to_the_sms_number_and_the_retell_number_are_classified(line: str) -> None:
    assert verdict(parent("no-answer", to_number=line)) is CallVerdict.MISSED


def test_numbers_are_compared_after_removing_spaces() -> None:
    lines = {"+44 113 496 0000"}
    p = parent("no-answer", to_number="+441134960000")
    assert classify_inbound(p, [], recovered_lines=lines)[0] is CallVerdict.MISSED
    spaced = parent("no-answer", to_number="+44 1134 960000")
    assert verdict(spaced) is CallVerdict.MISSED


def test_trunking_leg_is_ignored() -> None:
    assert verdict(parent("no-answer", direction="trunking-originating")) is CallVerdict.IGNORED


@pytest.mark.parametrize("direction", ["outbound-api", "outbound-dial"])
def test_outbound_leg_is_not_classified_as_inbound(direction: str) -> None:
    assert verdict(parent("no-answer", direction=direction)) is CallVerdict.IGNORED


def test_inbound_leg_with_a_parent_is_not_a_parent_leg() -> None:
    assert verdict(parent("no-answer", parent_sid="CA" + "9" * 32)) is CallVerdict.IGNORED


# --- never decide early -------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["queued", "ringing", "in-progress"])
def test_call_is_not_decided_while_the_parent_is_live(status: str) -> None:
    assert verdict(parent(status, end_time=None)) is CallVerdict.PENDING


@pytest.mark.parametrize("status", ["queued", "ringing", "in-progress"])
def test_call_is_not_decided_while_a_child_is_live(status: str) -> None:
    assert verdict(parent(), child(status, end_time=None)) is CallVerdict.PENDING


def test_call_is_not_decided_while_a_child_is_ringing_even_if_another_answered() -> None:
    answered = child("completed", "human")
    ringing = child("ringing", n=2, end_time=None)
    assert verdict(parent(), answered, ringing) is CallVerdict.PENDING


def test_unknown_status_waits_rather_than_guessing() -> None:
    assert verdict(parent(), child("scheduled")) is CallVerdict.PENDING


# --- answered -----------------------------------------------------------------------------------


@pytest.mark.parametrize("answered_by", [None, "human", "unknown"])
def test_completed_child_answered_by_a_person_is_answered(answered_by: str | None) -> None:
    assert verdict(parent(), child("completed", answered_by)) is CallVerdict.ANSWERED


def test_one_answered_child_among_missed_ones_is_answered() -> None:
    legs = (child("no-answer"), child("completed", "human", n=2), child("canceled", n=3))
    assert verdict(parent(), *legs) is CallVerdict.ANSWERED


def test_children_of_another_call_do_not_decide_this_one() -> None:
    stranger = child("completed", "human", parent_sid="CA" + "7" * 32)
    assert verdict(parent("no-answer"), stranger) is CallVerdict.MISSED


# --- missed with children -----------------------------------------------------------------------


def test_parent_completed_with_no_answer_child_is_missed() -> None:
    assert verdict(parent(), child("no-answer")) is CallVerdict.MISSED


@pytest.mark.parametrize("status", ["busy", "failed", "canceled", "no-answer"])
def test_every_unanswered_child_status_is_missed(status: str) -> None:
    assert verdict(parent(), child(status)) is CallVerdict.MISSED


@pytest.mark.parametrize("answered_by", ["machine_start", "machine_end_beep", "machine_end_other"])
def test_child_answered_by_voicemail_is_a_machine_verdict(answered_by: str) -> None:
    assert verdict(parent(), child("completed", answered_by)) is CallVerdict.MACHINE


def test_child_answered_by_a_fax_is_a_machine_verdict() -> None:
    assert verdict(parent(), child("completed", "fax")) is CallVerdict.MACHINE


def test_machine_and_no_answer_children_are_a_machine_verdict() -> None:
    legs = (child("no-answer"), child("completed", "machine_start", n=2))
    assert verdict(parent(), *legs) is CallVerdict.MACHINE


def test_trunking_child_does_not_count_as_answered() -> None:
    trunk = child("completed", "human", n=2, direction="trunking-terminating")
    assert verdict(parent(), child("no-answer"), trunk) is CallVerdict.MISSED


# --- missed without children --------------------------------------------------------------------


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed", "canceled"])
def test_parent_ended_unanswered_with_no_child_is_missed(status: str) -> None:
    assert verdict(parent(status)) is CallVerdict.MISSED


def test_parent_completed_with_no_child_went_to_a_recording_and_is_missed() -> None:
    result, reason = classify_inbound(parent(), [], recovered_lines=LINES)
    assert result is CallVerdict.MISSED
    assert "recording" in reason


def test_reason_holds_no_phone_number() -> None:
    for legs in ((), (child("no-answer"),), (child("completed", "human"),)):
        _, reason = classify_inbound(parent(), legs, recovered_lines=LINES)
        assert CALLER not in reason and MOBILE not in reason and LINE not in reason


# --- time and forwarded numbers -----------------------------------------------------------------


def test_missed_call_time_is_the_end_of_its_last_leg() -> None:
    late = child("no-answer", n=2, end_time=T0 + timedelta(seconds=40))
    p = parent(end_time=T0 + timedelta(seconds=30))
    assert missed_call_time(p, [child("no-answer"), late]) == T0 + timedelta(seconds=40)


def test_missed_call_time_without_children_is_the_parents_end() -> None:
    assert missed_call_time(parent(), []) == T0 + timedelta(seconds=25)


def test_missed_call_time_ignores_trunking_legs() -> None:
    trunk = child("completed", direction="trunking-x", end_time=T0 + timedelta(hours=1))
    assert missed_call_time(parent(), [trunk]) == T0 + timedelta(seconds=25)


def test_missed_call_time_without_any_time_is_an_error() -> None:
    with pytest.raises(ValueError):
        missed_call_time(parent(start_time=None, end_time=None), [])


def test_forwarded_to_gives_the_numbers_of_outbound_dial_children() -> None:
    legs = [
        child("no-answer", to_number="+44 7700 900555"),
        child("completed", n=2, to_number="+447700900556"),
        child("completed", n=3, direction="trunking-terminating", to_number="+447700900557"),
    ]
    assert forwarded_to(legs) == {"+447700900555", "+447700900556"}


# --- outbound calls that reach a caller ---------------------------------------------------------


def outbound(direction: str = "outbound-api", **changes: Any) -> CallLeg:
    leg = CallLeg(
        sid="CA" + "5" * 32,
        parent_sid=None,
        direction=direction,
        status="completed",
        from_number=LINE,
        to_number=CALLER,
        start_time=T0,
        end_time=T0 + timedelta(minutes=2),
        answered_by=None,
    )
    return replace(leg, **changes)


def reaches(leg: CallLeg, inbound_parent_sids: set[str] | None = None) -> bool:
    return classify_outbound(
        leg, business_numbers=LINES, inbound_parent_sids=inbound_parent_sids or set()
    )


def test_answered_api_call_from_a_business_number_reaches_the_caller() -> None:
    assert reaches(outbound())


def test_answered_softphone_dial_from_a_business_number_reaches_the_caller() -> None:
    softphone = outbound("outbound-dial", parent_sid="CA" + "6" * 32)
    assert reaches(softphone, {"CA" + "0" * 32})


def test_forwarded_leg_of_an_inbound_call_to_a_business_line_does_not_reach_anyone() -> None:
    forwarded = outbound("outbound-dial", parent_sid="CA" + "0" * 32)
    assert not reaches(forwarded, {"CA" + "0" * 32})


def test_outbound_call_answered_by_voicemail_does_not_reach_the_caller() -> None:
    assert not reaches(outbound(answered_by="machine_end_beep"))


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed", "canceled", "in-progress"])
def test_outbound_call_that_did_not_complete_does_not_reach_the_caller(status: str) -> None:
    assert not reaches(outbound(status=status))


def test_outbound_call_from_a_number_that_is_not_ours_does_not_count() -> None:
    assert not reaches(outbound(from_number="+447700900777"))


def test_outbound_call_from_a_spaced_business_number_counts() -> None:
    assert reaches(outbound(from_number="+44 113 496 0000"))


def test_trunking_leg_never_reaches_a_caller() -> None:
    assert not reaches(outbound("trunking-originating"))


def test_inbound_leg_is_not_an_outbound_call() -> None:
    assert not reaches(outbound("inbound"))
