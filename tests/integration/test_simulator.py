"""The demo's caller simulator against a real sandbox on loopback: the calls it plays read back
through the real Twilio SDK and classify as it meant, and texted callers answer (PRODUCT.md 1-4, 8).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest

from core.classify import CallLeg, classify_inbound
from core.domain import CallVerdict
from core.messages import Keyword, parse_keyword
from core.phone import is_drama_number, is_uk_landline, is_uk_mobile, is_withheld
from daemon.adapters.twilio import SmsMessage, TwilioAdapter
from daemon.sandbox import Sandbox
from daemon.sandbox.simulator import CallerSimulator, PlayedCall
from daemon.sandbox.simulator_calls import DEFAULT_FORWARD_TO, WITHHELD, CallKind
from tests.integration.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    OUR_LINE,
    OUR_SMS_NUMBER,
    START,
    ManualClock,
)

OTHER_LINE = "+442079460001"
LINES = (OUR_LINE, OTHER_LINE)
Stream = tuple[CallerSimulator, dict[str, CallLeg]]


def _simulator(sandbox: Sandbox, clock: Any, seed: int = 7, **options: Any) -> CallerSimulator:
    return CallerSimulator(
        sandbox=sandbox,
        business_numbers=LINES,
        sms_from=OUR_SMS_NUMBER,
        clock=clock,
        seed=seed,
        **options,
    )


def _play_for(simulator: CallerSimulator, clock: ManualClock, seconds: int) -> None:
    """Step once a (simulated) second, as the demo's thread does."""
    for _ in range(seconds):
        simulator.step()
        clock.advance(1)


def _legs(adapter: TwilioAdapter) -> dict[str, CallLeg]:
    return {leg.sid: leg for leg in adapter.list_calls(since=START - timedelta(hours=1))}


def _verdict(played: PlayedCall, legs: dict[str, CallLeg]) -> CallVerdict:
    children = [legs[sid] for sid in played.child_sids]
    verdict, _ = classify_inbound(legs[played.sid], children, recovered_lines=LINES)
    return verdict


def _texted_callers(adapter: TwilioAdapter, count: int) -> list[str]:
    callers = [f"+447700900{n:03d}" for n in range(100, 100 + count)]
    for caller in callers:
        adapter.send_sms(to=caller, from_number=OUR_SMS_NUMBER, body="Sorry we missed your call")
    return callers


def _inbound(adapter: TwilioAdapter) -> list[SmsMessage]:
    return adapter.list_inbound_messages(to=OUR_SMS_NUMBER, since=START)


@pytest.fixture
def stream(sandbox: Sandbox, clock: ManualClock, twilio_adapter: TwilioAdapter) -> Stream:
    """Half an hour of traffic at pace 1, then ten quiet minutes so every call has ended."""
    simulator = _simulator(sandbox, clock)
    _play_for(simulator, clock, 30 * 60)
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
    simulator = _simulator(sandbox, clock)
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
    simulator = _simulator(sandbox, clock)
    first = simulator.play(CallKind.REPEAT)
    _play_for(simulator, clock, 3 * 60)
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
    simulator = _simulator(sandbox, clock, pace=3.0)
    _play_for(simulator, clock, 10 * 60)

    assert 3 * 10 * 60 / 15 <= simulator.counts()["callers"] <= 3 * 10 * 60 / 8 + 1


def test_a_caller_we_texted_replies_from_their_number_within_a_minute(
    sandbox: Sandbox, clock: ManualClock, twilio_adapter: TwilioAdapter
) -> None:
    simulator = _simulator(sandbox, clock, reply_rate=1.0, stop_rate=0.0)
    (caller,) = _texted_callers(twilio_adapter, 1)
    _play_for(simulator, clock, 90)
    replies = [m for m in _inbound(twilio_adapter) if m.from_number == caller]

    assert len(replies) == 1
    assert parse_keyword(replies[0].body) is Keyword.NONE
    assert replies[0].date_sent is not None
    assert 10 <= (replies[0].date_sent - START).total_seconds() <= 61
    assert simulator.counts()["replies"] == 1


def test_about_a_third_of_texted_callers_reply_and_a_few_send_stop(
    sandbox: Sandbox, clock: ManualClock, twilio_adapter: TwilioAdapter
) -> None:
    simulator = _simulator(sandbox, clock, seed=3)
    callers = _texted_callers(twilio_adapter, 120)
    _play_for(simulator, clock, 90)
    answers = [m for m in _inbound(twilio_adapter) if m.from_number in callers]
    kinds = Counter(parse_keyword(m.body) for m in answers)

    assert len({m.from_number for m in answers}) == len(answers)  # one answer each
    assert 25 <= kinds[Keyword.NONE] <= 55
    assert 1 <= kinds[Keyword.OPT_OUT] < kinds[Keyword.NONE] / 3
    assert not kinds[Keyword.RESUBSCRIBE]
    stopped = [m.from_number for m in answers if parse_keyword(m.body) is Keyword.OPT_OUT]
    assert simulator.counts()["stops"] == len(stopped)


def test_only_texted_mobiles_reply_never_a_landline_or_a_business_number(
    sandbox: Sandbox, clock: ManualClock, twilio_adapter: TwilioAdapter
) -> None:
    simulator = _simulator(sandbox, clock, reply_rate=1.0, stop_rate=0.0)
    for number in ("+441134960555", DEFAULT_FORWARD_TO, OUR_LINE, "+447700900321"):
        twilio_adapter.send_sms(to=number, from_number=OUR_SMS_NUMBER, body="Hello")
    _play_for(simulator, clock, 90)

    assert [m.from_number for m in _inbound(twilio_adapter)] == ["+447700900321"]


def _transcript(seed: int) -> tuple[list[tuple[object, ...]], dict[str, int]]:
    clock = ManualClock(START)
    with Sandbox(clock=clock, twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN) as box:
        simulator = _simulator(box, clock, seed=seed)
        adapter = TwilioAdapter(
            account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, api_base=box.base_url
        )
        _texted_callers(adapter, 30)
        _play_for(simulator, clock, 5 * 60)
        calls = [(c.kind, c.caller, c.line, c.start, c.end) for c in simulator.played()]
        messages = sorted((m.from_number, m.body, m.date_sent) for m in _inbound(adapter))
        return [*calls, *messages], simulator.counts()


def test_the_same_seed_plays_the_same_callers_and_replies() -> None:
    first, again, other = _transcript(11), _transcript(11), _transcript(12)

    assert first == again
    assert first[0] != other[0]


class _SteppingClock:
    """A clock that moves 20 s each time it is read, so every step plays a caller."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=20)
        return self.now


def test_a_failing_step_is_logged_and_the_loop_carries_on_until_stopped(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    simulator = _simulator(sandbox, _SteppingClock())
    real_add = sandbox.twilio.add_inbound_call
    failures, played = [0], threading.Event()

    def flaky_add(**kwargs: Any) -> Any:
        if failures[0] < 3:
            failures[0] += 1
            raise RuntimeError("sandbox hiccup")
        played.set()
        return real_add(**kwargs)

    monkeypatch.setattr(sandbox.twilio, "add_inbound_call", flaky_add)
    stop = threading.Event()
    thread = threading.Thread(target=simulator.run, args=(stop,), kwargs={"interval": 0.001})
    with caplog.at_level(logging.INFO, logger="daemon.sandbox.simulator"):
        thread.start()
        recovered = played.wait(timeout=10)
        stop.set()
        thread.join(timeout=10)

    assert recovered and not thread.is_alive()
    assert simulator.counts()["errors"] == 3
    assert simulator.played()
    failed = [r for r in caplog.records if "step failed" in r.getMessage()]
    assert len(failed) == 1 and failed[0].exc_info is not None
    assert any("caller simulator stopped" in r.getMessage() for r in caplog.records)
