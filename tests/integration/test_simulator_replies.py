"""The demo's caller simulator against a real sandbox on loopback: texted callers answer from
their own numbers (a reply or a STOP), a seed replays a run, and a failing step never ends the
loop (PRODUCT.md 1-4, 8).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest

from core.messages import Keyword, parse_keyword
from daemon.adapters.twilio import SmsMessage, TwilioAdapter
from daemon.sandbox import Sandbox
from daemon.sandbox.simulator_calls import DEFAULT_FORWARD_TO
from tests.integration.conftest import ACCOUNT_SID, AUTH_TOKEN, OUR_LINE, OUR_SMS_NUMBER
from tests.integration.simulation import play_for, simulator_on
from tests.sandbox_support import START, ManualClock


def _texted_callers(adapter: TwilioAdapter, count: int) -> list[str]:
    callers = [f"+447700900{n:03d}" for n in range(100, 100 + count)]
    for caller in callers:
        adapter.send_sms(to=caller, from_number=OUR_SMS_NUMBER, body="Sorry we missed your call")
    return callers


def _inbound(adapter: TwilioAdapter) -> list[SmsMessage]:
    return adapter.list_inbound_messages(to=OUR_SMS_NUMBER, since=START)


def test_a_caller_we_texted_replies_from_their_number_within_a_minute(
    sandbox: Sandbox, clock: ManualClock, twilio_adapter: TwilioAdapter
) -> None:
    simulator = simulator_on(sandbox, clock, reply_rate=1.0, stop_rate=0.0)
    (caller,) = _texted_callers(twilio_adapter, 1)
    play_for(simulator, clock, 90)
    replies = [m for m in _inbound(twilio_adapter) if m.from_number == caller]

    assert len(replies) == 1
    assert parse_keyword(replies[0].body) is Keyword.NONE
    assert replies[0].date_sent is not None
    assert 10 <= (replies[0].date_sent - START).total_seconds() <= 61
    assert simulator.counts()["replies"] == 1


def test_about_a_third_of_texted_callers_reply_and_a_few_send_stop(
    sandbox: Sandbox, clock: ManualClock, twilio_adapter: TwilioAdapter
) -> None:
    simulator = simulator_on(sandbox, clock, seed=3)
    callers = _texted_callers(twilio_adapter, 120)
    play_for(simulator, clock, 90)
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
    simulator = simulator_on(sandbox, clock, reply_rate=1.0, stop_rate=0.0)
    for number in ("+441134960555", DEFAULT_FORWARD_TO, OUR_LINE, "+447700900321"):
        twilio_adapter.send_sms(to=number, from_number=OUR_SMS_NUMBER, body="Hello")
    play_for(simulator, clock, 90)

    assert [m.from_number for m in _inbound(twilio_adapter)] == ["+447700900321"]


def _transcript(seed: int) -> tuple[list[tuple[object, ...]], dict[str, int]]:
    clock = ManualClock(START)
    with Sandbox(clock=clock, twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN) as box:
        simulator = simulator_on(box, clock, seed=seed)
        adapter = TwilioAdapter(
            account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, api_base=box.base_url
        )
        _texted_callers(adapter, 30)
        play_for(simulator, clock, 5 * 60)
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
    simulator = simulator_on(sandbox, _SteppingClock())
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
