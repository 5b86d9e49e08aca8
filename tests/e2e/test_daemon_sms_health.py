"""The daemon's passes in process, on a clock the test moves: SMS stopped by a configuration error
is tried once every 5 minutes, and the heartbeat shows the error until an SMS succeeds
(VENDORS.md, 21606; ARCHITECTURE.md, configuration errors stop that channel).

Waiting five real minutes is not a test, so these run `daemon.main.build_tick` in the test's
process, against a sandbox sharing the test's clock; the subprocess tests cover the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.config import load_configuration
from daemon.adapters import errors
from daemon.main import build_tick
from daemon.sandbox import Sandbox
from daemon.tick import Tick
from tests.e2e.support import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    ROOT,
    Database,
    missed_call,
    now,
)
from tests.sandbox_support import MESSAGES, twilio_requests

CALLERS = [f"+4477009005{n:02d}" for n in range(10)]


class MovingClock:
    """A UTC clock that stands still until the test moves it."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at

    def move(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def clock() -> MovingClock:
    return MovingClock(now())


@pytest.fixture
def shared_sandbox(clock: MovingClock) -> Iterator[Sandbox]:
    box = Sandbox(twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN, clock=clock)
    yield box.start()
    box.stop()


def _nothing_saved(database_url: str) -> dict[str, str]:
    return {}


@pytest.fixture
def tick(
    shared_sandbox: Sandbox, daemon_env: dict[str, str], clock: MovingClock, tmp_path: Path
) -> Tick:
    environ = {**daemon_env, "TWILIO_API_BASE": shared_sandbox.base_url}
    configuration = load_configuration(
        project_root=ROOT, environ=environ, read_saved=_nothing_saved
    )
    assert configuration.ok, configuration.problems
    return build_tick(configuration, clock=clock)


@pytest.fixture
def store(tick: Tick) -> Iterator[Database]:
    yield Database(tick.engine)
    tick.engine.dispose()


def _creates(sandbox: Sandbox) -> list[int | None]:
    return [r.status for r in twilio_requests(sandbox, "POST")]


def _miss_and_pass(sandbox: Sandbox, tick: Tick, clock: MovingClock, *callers: str) -> None:
    for caller in callers:
        missed_call(sandbox, caller, ended=clock())
    tick.run()


def _sms(store: Database, caller: str) -> tuple[str, str]:
    recovery = store.recovery(caller)
    assert recovery is not None
    return recovery.sms_status, recovery.sms_reason


def _config_errors(store: Database) -> str:
    beat = store.heartbeat()
    assert beat is not None
    return beat.config_errors


def test_sms_stopped_by_21606_is_tried_once_per_5_minutes_until_it_works(
    shared_sandbox: Sandbox, tick: Tick, store: Database, clock: MovingClock
) -> None:
    shared_sandbox.faults.add(
        method="POST", path=MESSAGES, action="status", status=400, code=21606, times=2
    )
    a, b, c, d, e = CALLERS[:5]
    _miss_and_pass(shared_sandbox, tick, clock, a)
    assert _creates(shared_sandbox) == [400]
    assert "21606" in _config_errors(store)
    assert _sms(store, a) == ("skipped", "sms_config_error")

    clock.move(minutes=1)
    _miss_and_pass(shared_sandbox, tick, clock, b)
    assert _creates(shared_sandbox) == [400]  # stopped: no try within the 5 minutes
    assert _sms(store, b) == ("skipped", "sms_config_error")

    clock.move(minutes=4, seconds=1)
    _miss_and_pass(shared_sandbox, tick, clock, c, d)
    assert _creates(shared_sandbox) == [400, 400]  # one try for the pass, not one per caller
    assert _sms(store, c) == _sms(store, d) == ("skipped", "sms_config_error")
    assert "21606" in _config_errors(store)

    clock.move(minutes=5, seconds=1)
    _miss_and_pass(shared_sandbox, tick, clock, e)
    assert _creates(shared_sandbox) == [400, 400, 201]
    assert _sms(store, e) == ("done", "")
    assert _config_errors(store) == ""  # cleared by the SMS that worked
    for caller in (a, b, c, d, e):
        recovery = store.recovery(caller)
        assert recovery is not None and recovery.outcome is None


def test_a_configuration_error_is_listed_for_a_person_once_per_recovery(
    shared_sandbox: Sandbox, tick: Tick, store: Database, clock: MovingClock
) -> None:
    shared_sandbox.faults.add(
        method="POST", path=MESSAGES, action="status", status=401, code=20003, times=1
    )
    _miss_and_pass(shared_sandbox, tick, clock, CALLERS[0])
    recovery = store.recovery(CALLERS[0])
    assert recovery is not None
    attention = [e.attention for e in store.events(recovery.id) if e.attention]
    assert attention == ["config_error"]
    assert "20003" in _config_errors(store)


def test_a_look_up_that_fails_is_tried_again_next_pass_and_nothing_is_sent_meanwhile(
    shared_sandbox: Sandbox,
    tick: Tick,
    store: Database,
    clock: MovingClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shared_sandbox.faults.add(method="POST", path=MESSAGES, action="drop")  # Twilio never saw it
    real_find = tick.sender.twilio.find_sent_message
    answers: list[str] = []

    def find_once_failing(**kwargs: Any) -> str | None:
        if not answers:
            answers.append("failed")
            raise errors.Transient("connection failed", vendor="twilio")
        answers.append("answered")
        return real_find(**kwargs)

    monkeypatch.setattr(tick.sender.twilio, "find_sent_message", find_once_failing)
    _miss_and_pass(shared_sandbox, tick, clock, CALLERS[0])
    assert [a.result for a in store.attempts()] == [""]  # unknown: nothing may be sent yet
    for _ in range(3):  # the create got no answer: it may still land, so look for 20 s first
        clock.move(seconds=12)
        tick.run()
    assert answers == ["failed", "answered", "answered"]
    assert [a.result for a in store.attempts()] == ["not_found", "accepted"]
    assert len(shared_sandbox.twilio.sent_messages(to=CALLERS[0])) == 1
    assert _sms(store, CALLERS[0]) == ("done", "")
