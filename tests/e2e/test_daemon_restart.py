"""The daemon end to end: SIGKILL mid-send and restart sends exactly one SMS (ARCHITECTURE.md,
"The daemon's tick": the attempt row is written before the vendor call and reconciled at start).

Each kill lands at a known point: a fault on the sandbox holds the daemon inside a request (the
create itself, or the look-up after an ambiguous create) while the test sends SIGKILL.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.models import Attempt
from daemon.sandbox import Sandbox
from daemon.sandbox.store import RecordedRequest
from tests.e2e.support import (
    SMS_DEADLINE,
    Daemon,
    Database,
    missed_call,
    now,
    sms_to,
    wait_for,
    wait_for_recovery,
    wait_for_sms,
    wait_passes,
)
from tests.sandbox_support import MESSAGES, twilio_requests

pytestmark = pytest.mark.slow

STALLED = 20.0  # two passes whose message reads each stall


def _creates(sandbox: Sandbox) -> list[RecordedRequest]:
    return twilio_requests(sandbox, "POST", ".json")


def _unfinished(database: Database) -> list[Attempt]:
    return [a for a in database.attempts() if a.result == "" and a.body]


def _restart_and_settle(sandbox: Sandbox, daemon: Daemon, database: Database) -> None:
    sandbox.faults.clear()
    daemon.start()
    wait_for_recovery(  # a create with no answer may still land: looked up for 20 s first
        database, sms_status="done", deadline=40, what="the SMS recorded as done after the restart"
    )
    wait_passes(database, 3)


def test_killed_while_twilio_is_still_creating_the_message_restart_finds_it(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    daemon.start()
    sandbox.faults.add(method="POST", path=MESSAGES, action="delay", delay=2.0)
    missed_call(sandbox)
    wait_for(lambda: _unfinished(database), deadline=SMS_DEADLINE, what="the attempt row")
    daemon.kill()  # inside the create: the sandbox makes the message after the daemon died
    wait_for_sms(sandbox, what="the delayed create")
    _restart_and_settle(sandbox, daemon, database)
    assert len(sms_to(sandbox)) == 1
    attempts = database.attempts()
    assert [a.result for a in attempts] == ["found"]
    assert attempts[0].vendor_id == sms_to(sandbox)[0]["sid"]


def test_killed_after_twilio_created_the_message_but_its_answer_was_lost_no_second_sms(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    daemon.start()
    sandbox.faults.add(method="POST", path=MESSAGES, action="drop_response")
    # The look-up after the ambiguous create stalls, so the kill lands inside it (the pass's
    # own message reads stall too, hence the longer wait for the create).
    sandbox.faults.add(method="GET", path=MESSAGES, action="delay", delay=2.0, times=50)
    missed_call(sandbox)
    wait_for(lambda: _creates(sandbox), deadline=STALLED, what="the dropped create")
    daemon.kill()
    assert len(sms_to(sandbox)) == 1 and _unfinished(database)
    _restart_and_settle(sandbox, daemon, database)
    assert len(sms_to(sandbox)) == 1
    assert [a.result for a in database.attempts()] == ["found"]


def test_killed_after_the_create_was_lost_before_twilio_saw_it_restart_sends_once(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    daemon.start()
    sandbox.faults.add(method="POST", path=MESSAGES, action="drop")
    sandbox.faults.add(method="GET", path=MESSAGES, action="delay", delay=2.0, times=50)
    missed_call(sandbox)
    wait_for(lambda: _creates(sandbox), deadline=STALLED, what="the dropped create")
    daemon.kill()
    assert sms_to(sandbox) == [] and _unfinished(database)
    _restart_and_settle(sandbox, daemon, database)
    assert len(sms_to(sandbox)) == 1
    results = [a.result for a in database.attempts()]
    assert results == ["not_found", "accepted"]


def test_killed_right_after_detection_before_the_send_restart_sends_once(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    # Two callers in one poll: while the first one's create stalls, the second one's claim is
    # written (attempt row, no body yet) and its send has not started: the kill lands there.
    other = "+447700900456"
    daemon.start()
    wait_passes(database, 1)
    sandbox.faults.add(method="POST", path=MESSAGES, action="delay", delay=2.0)
    ended = now()
    missed_call(sandbox, ended=ended - timedelta(seconds=1))
    missed_call(sandbox, other, ended=ended)
    wait_for(
        lambda: (
            sorted(bool(a.body) for a in database.attempts()) == [False, True]
            and not sandbox.faults.pending()
        ),
        deadline=SMS_DEADLINE,
        what="one claim inside the create and one not started",
    )
    daemon.kill()
    wait_for_sms(sandbox, what="the stalled create")
    sandbox.faults.clear()
    daemon.start()
    wait_for_recovery(
        database, other, sms_status="done", what="the second caller's SMS after the restart"
    )
    wait_passes(database, 3)
    assert len(sms_to(sandbox)) == 1 and len(sms_to(sandbox, other)) == 1
    first, second = database.recovery(), database.recovery(other)
    assert first is not None and second is not None and first.sms_status == "done"
    assert [a.result for a in database.attempts(first.id)] == ["found"]
    assert [a.result for a in database.attempts(second.id)] == ["not_sent", "accepted"]
