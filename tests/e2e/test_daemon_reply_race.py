"""A reply that arrives while a poll is between its call-log read and its messages read.

The call still rang when the log was read, so the reply (sent after the call ended) must wait for
the next poll and be applied after the call: the caller is reached and gets no SMS (PRODUCT.md
section 1, "Order of events"; section 2, "a reply that arrives before our SMS went out means the
SMS is not sent"). Found by the soak benchmark.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from daemon.sandbox import ChildLeg, Sandbox
from daemon.sandbox.store import RecordedRequest
from tests.e2e.support import (
    CALLER,
    LINE,
    OFFICE,
    SMS_FROM,
    Daemon,
    Database,
    now,
    sms_to,
    wait_for,
    wait_for_recovery,
    wait_passes,
)
from tests.sandbox_support import twilio_requests

pytestmark = pytest.mark.slow

MESSAGES_LIST = MESSAGES_CREATE = "/2010-04-01/Accounts/{AccountSid}/Messages.json"


def _creates(sandbox: Sandbox) -> list[RecordedRequest]:
    return twilio_requests(sandbox, "POST", "/Messages.json")


def _assert_reached_by_reply_without_sms(
    sandbox: Sandbox, database: Database, *, first_call: str
) -> None:
    recovery = wait_for_recovery(database, outcome="reached", what="the caller reached")
    wait_passes(database, 2)
    assert sms_to(sandbox) == []
    assert recovery.reached_via == "reply" and recovery.first_call_sid == first_call


def _call(sandbox: Sandbox, at: datetime, start: int, end: int, *, answered: bool = False) -> str:
    """A call from CALLER to LINE from `at + start` to `at + end` seconds; returns its SID."""
    return sandbox.twilio.add_inbound_call(
        from_=CALLER,
        to=LINE,
        start=at + timedelta(seconds=start),
        end=at + timedelta(seconds=end),
        children=[ChildLeg(to=OFFICE, status="completed" if answered else "no-answer")],
    ).sid


def test_a_reply_read_while_its_call_still_rang_in_the_log_stops_the_sms(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    daemon.start()
    wait_passes(database, 1)
    ends = now().replace(microsecond=0) + timedelta(seconds=2)
    sandbox.twilio.add_inbound_call(
        from_=CALLER,
        to=LINE,
        start=ends - timedelta(seconds=25),
        end=ends,
        children=[ChildLeg(to=OFFICE, status="no-answer")],
    )
    # The next poll reads the call log while the call rings, then its messages read stalls
    # until after the call has ended and the caller has replied.
    sandbox.faults.add(method="GET", path=MESSAGES_LIST, action="delay", delay=4.0)
    replied = threading.Event()

    def reply() -> None:  # a second or two after the call ends, while the read is stalled
        if not sandbox.stopping.wait(3.0):
            sandbox.twilio.add_inbound_message(from_=CALLER, to=SMS_FROM, body="Yes call me")
            replied.set()

    threading.Thread(target=reply, daemon=True).start()
    recovery = wait_for_recovery(
        database, outcome="reached", what="the caller reached", deadline=20
    )
    assert replied.is_set()
    wait_passes(database, 2)
    assert sms_to(sandbox) == []
    assert recovery.reached_via == "reply"


def test_a_reply_sent_before_the_callers_next_call_started_is_not_held_by_that_call(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    """Missed call, reply, then the caller rings again: the reply still stops the first SMS.

    The second call is still ringing when the log is read, but the reply was sent before it
    started, so it precedes that call's end whatever it turns out to be and is applied at once.
    Holding it until the second call ended let the SMS go (found by the soak benchmark).
    """
    daemon.start()
    wait_passes(database, 1)
    with sandbox.store.lock:  # all three first read by one and the same poll
        at = now().replace(microsecond=0)
        first = _call(sandbox, at, -30, -4)
        sandbox.twilio.add_inbound_message(
            from_=CALLER, to=SMS_FROM, body="Sorry, call me back", at=at - timedelta(seconds=3)
        )
        _call(sandbox, at, -1, 60)
    _assert_reached_by_reply_without_sms(sandbox, database, first_call=first)


def test_a_reply_sent_while_the_callers_next_call_rings_holds_the_first_calls_sms(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    """Missed call, the caller rings again and texts while it rings: no SMS for the first call.

    The reply may follow the ringing call's end, so it waits for that call; the first call waits
    with it, since the reply will close the recovery it opens. (The second call is answered: a
    second missed call ending after the reply would open a recovery of its own.)
    """
    daemon.start()
    wait_passes(database, 1)
    with sandbox.store.lock:  # all three first read by one and the same poll
        at = now().replace(microsecond=0)
        first = _call(sandbox, at, -30, -4)
        _call(sandbox, at, -3, 4, answered=True)
        sandbox.twilio.add_inbound_message(
            from_=CALLER, to=SMS_FROM, body="Sorry, call me back", at=at - timedelta(seconds=1)
        )
    _assert_reached_by_reply_without_sms(sandbox, database, first_call=first)


def test_an_sms_retry_waits_while_a_reply_waits_for_the_callers_ringing_call(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    """The first SMS met Twilio's 429; before its retry, the caller rings again and texts while
    it rings. The retry waits with the held reply, which then reaches them: no SMS at all."""
    daemon.start()
    wait_passes(database, 1)
    sandbox.faults.add(
        method="POST", path=MESSAGES_CREATE, action="status", status=429, retry_after=3
    )
    with sandbox.store.lock:
        at = now().replace(microsecond=0)
        _call(sandbox, at, -30, -1)
    wait_for(lambda: _creates(sandbox), what="the first create answered 429")
    with sandbox.store.lock:
        at = now().replace(microsecond=0)
        _call(sandbox, at, -1, 8, answered=True)
        sandbox.twilio.add_inbound_message(from_=CALLER, to=SMS_FROM, body="Ring me", at=at)
    recovery = wait_for_recovery(
        database, outcome="reached", what="the caller reached", deadline=20
    )
    wait_passes(database, 2)
    assert [r.status for r in _creates(sandbox)] == [429]
    assert recovery.reached_via == "reply"
