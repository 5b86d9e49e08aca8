"""The demo's caller simulator against a real sandbox on loopback: the calls it plays read back
through the real Twilio SDK and classify as it meant, with the numbers and pace of the spec
(PRODUCT.md 1-3, 8).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from core.classify import CallLeg, classify_inbound
from core.domain import CallVerdict
from core.phone import is_drama_number, is_uk_landline, is_uk_mobile, is_withheld
from daemon.adapters.twilio import TwilioAdapter
from daemon.sandbox import Sandbox
from daemon.sandbox.simulator import CallerSimulator, PlayedCall
from daemon.sandbox.simulator_calls import DEFAULT_FORWARD_TO, WITHHELD, CallKind
from tests.integration.conftest import OUR_SMS_NUMBER
from tests.integration.simulation import LINES, play_for, simulator_on
from tests.sandbox_support import START, ManualClock

Stream = tuple[CallerSimulator, dict[str, CallLeg]]


def _legs(adapter: TwilioAdapter) -> dict[str, CallLeg]:
    return {leg.sid: leg for leg in adapter.list_calls(since=START - timedelta(hours=1))}


def _verdict(played: PlayedCall, legs: dict[str, CallLeg]) -> CallVerdict:
    children = [legs[sid] for sid in played.child_sids]
    verdict, _ = classify_inbound(legs[played.sid], children, recovered_lines=LINES)
    return verdict


@pytest.fixture
def stream(sandbox: Sandbox, clock: ManualClock, twilio_adapter: TwilioAdapter) -> Stream:
    """Half an hour of traffic at pace 1, then ten quiet minutes so every call has ended."""
    simulator = simulator_on(sandbox, clock)
    play_for(simulator, clock, 30 * 60)
    clock.advance(600)
    return simulator, _legs(twilio_adapter)


def test_every_played_call_classifies_as_the_simulator_meant(stream: Stream) -> None:
    simulator, legs = stream
    played = simulator.played()

    assert {call.kind for call in played} == set(CallKind)
    assert [_verdict(call, legs) for call in played] == [call.intended for call in played]


def test_each_kind_leaves_the_leg_shape_twilio_shows_for_it(stream: Stream) -> None:
    simulator, legs = stream
    for call in simulator.played():
        parent, children = legs[call.sid], [legs[sid] for sid in call.child_sids]
        assert (parent.direction, parent.status, parent.to_number) == (
            "inbound",
            "completed",
            call.line,
        )
        assert all(c.direction == "outbound-dial" and c.parent_sid == call.sid for c in children)
        assert all(c.to_number == DEFAULT_FORWARD_TO for c in children)
        if call.kind is CallKind.RECORDING:
            assert children == []
            continue
        (child,) = children
        if call.kind is CallKind.ANSWERED:
            assert (child.status, child.answered_by) == ("completed", "human")
        elif call.kind is CallKind.MACHINE:
            assert child.status == "completed" and (child.answered_by or "").startswith("machine")
        else:
            assert child.status in {"no-answer", "busy", "canceled"} and child.answered_by is None
        if child.status == "no-answer":
            assert child.start_time and child.end_time
            assert 18 <= (child.end_time - child.start_time).total_seconds() <= 22


def test_a_missed_call_rings_in_the_sandbox_until_its_legs_end(
    sandbox: Sandbox, clock: ManualClock, twilio_adapter: TwilioAdapter
) -> None:
    simulator = simulator_on(sandbox, clock)
    call = simulator.play(CallKind.MISSED)
    answering = _legs(twilio_adapter)
    clock.advance(2)  # Twilio dials the forward a second after the call comes in
    ringing = _legs(twilio_adapter)
    clock.advance((call.end - call.start).total_seconds() - 2)
    ended = _legs(twilio_adapter)

    assert set(answering) == {call.sid}
    assert ringing[call.sid].status == "in-progress" and ringing[call.sid].end_time is None
    assert [ringing[sid].status for sid in call.child_sids] == ["ringing"]
    assert _verdict(call, ringing) is CallVerdict.PENDING
    assert _verdict(call, ended) is CallVerdict.MISSED
    assert ended[call.sid].end_time == call.end


def test_withheld_and_landline_callers_use_their_own_caller_ids(
    stream: Stream, sandbox: Sandbox
) -> None:
    simulator, legs = stream
    withheld = [c for c in simulator.played() if c.kind is CallKind.WITHHELD]
    landlines = [c for c in simulator.played() if c.kind is CallKind.LANDLINE]

    assert withheld and all(legs[c.sid].from_number in WITHHELD for c in withheld)
    assert all(is_withheld(c.caller) for c in withheld)
    assert landlines and all(is_uk_landline(c.caller) for c in landlines)
    # Twilio would accept an SMS to them and it would never arrive.
    assert all(sandbox.twilio.marks[c.caller].fail_code == 30006 for c in landlines)
    others = [c for c in simulator.played() if c.kind not in (CallKind.WITHHELD, CallKind.LANDLINE)]
    assert all(is_uk_mobile(c.caller) for c in others)


def test_every_number_it_uses_is_a_reserved_drama_number_or_a_withheld_id(stream: Stream) -> None:
    _, legs = stream
    numbers = {n for leg in legs.values() for n in (leg.from_number, leg.to_number)}

    assert numbers
    assert all(is_drama_number(n) or n in WITHHELD for n in numbers), sorted(numbers)
    callers = {leg.from_number for leg in legs.values() if leg.direction == "inbound"}
    assert not callers & {*LINES, OUR_SMS_NUMBER, DEFAULT_FORWARD_TO}


def test_a_repeat_caller_rings_the_same_line_again_about_a_minute_later(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    simulator = simulator_on(sandbox, clock)
    first = simulator.play(CallKind.REPEAT)
    play_for(simulator, clock, 3 * 60)
    again = [c for c in simulator.played() if c.caller == first.caller]

    assert [c.kind for c in again] == [CallKind.REPEAT, CallKind.REPEAT]
    assert again[1].line == first.line
    assert 50 <= (again[1].start - first.end).total_seconds() <= 77


def test_mostly_missed_callers_arrive_every_8_to_15_s_and_the_summary_counts_them(
    stream: Stream,
) -> None:
    simulator, _ = stream
    counts, played = simulator.counts(), Counter(c.kind.value for c in simulator.played())
    calls = sum(played.values())
    missed = calls - played["answered"] - played["machine"]

    assert 30 * 60 / 15 <= counts["callers"] <= 30 * 60 / 8 + 1
    assert 0.6 <= missed / calls <= 0.85
    assert {k: v for k, v in counts.items() if k in set(CallKind)} == dict(played)
    assert calls > counts["callers"]  # repeat callers ring twice
    assert simulator.summary().startswith(f"{counts['callers']} callers, {calls} calls (")
    assert f"{counts['missed']} missed" in simulator.summary()


def test_a_higher_pace_brings_callers_faster(sandbox: Sandbox, clock: ManualClock) -> None:
    simulator = simulator_on(sandbox, clock, pace=3.0)
    play_for(simulator, clock, 10 * 60)

    assert 3 * 10 * 60 / 15 <= simulator.counts()["callers"] <= 3 * 10 * 60 / 8 + 1
