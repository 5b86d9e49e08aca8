"""A reply that arrives while a poll is between its call-log read and its messages read.

The call still rang when the log was read, so the reply (sent after the call ended) must wait for
the next poll and be applied after the call: the caller is reached and gets no SMS (PRODUCT.md
section 1, "Order of events"; section 2, "a reply that arrives before our SMS went out means the
SMS is not sent"). Found by the soak benchmark.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from daemon.sandbox import ChildLeg, Sandbox
from tests.e2e.support import (
    CALLER,
    LINE,
    OFFICE,
    SMS_FROM,
    Daemon,
    Database,
    now,
    sms_to,
    wait_for_recovery,
    wait_passes,
)

pytestmark = pytest.mark.slow

MESSAGES_LIST = "/2010-04-01/Accounts/{AccountSid}/Messages.json"


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
