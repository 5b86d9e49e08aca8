"""The daemon end to end: Twilio failing, slowing us down or refusing our sender (VENDORS.md,
"How to treat the codes"; ARCHITECTURE.md, errors classified at the adapter boundary).

Faults are injected in the sandbox; the daemon must stay up, send exactly one SMS once Twilio
recovers, wait what a 429 says, and treat 21606 as our configuration, never the caller's fault.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.models import Suppression
from daemon.sandbox import Sandbox
from daemon.sandbox.store import RecordedRequest
from tests.e2e.support import (
    CALLER,
    SMS_DEADLINE,
    SMS_FROM,
    Daemon,
    Database,
    missed_call,
    sms_to,
    wait_for,
    wait_for_recovery,
    wait_for_sms,
    wait_passes,
)
from tests.sandbox_support import CALLS, MESSAGES, twilio_requests

pytestmark = pytest.mark.slow

GEOGRAPHIC_SMS_FROM = "+441134960555"  # a UK landline number: Twilio answers 21606
OTHER_CALLER, THIRD_CALLER = "+447700900456", "+447700900789"


def _creates(sandbox: Sandbox) -> list[RecordedRequest]:
    return twilio_requests(sandbox, "POST", "/Messages.json")


@pytest.mark.parametrize("status", [500, 503, 429])
def test_twilio_failing_for_a_while_ends_in_one_sms_and_a_live_daemon(
    sandbox: Sandbox, daemon: Daemon, database: Database, status: int
) -> None:
    daemon.start()
    wait_passes(database, 1)
    sandbox.faults.add(method="GET", path=CALLS, action="status", status=status, times=3)
    sandbox.faults.add(method="POST", path=MESSAGES, action="status", status=status, times=2)
    missed_call(sandbox)
    wait_for_sms(sandbox, deadline=2 * SMS_DEADLINE, what="the SMS once Twilio works")
    wait_passes(database, 3)
    assert len(sms_to(sandbox)) == 1
    assert len(_creates(sandbox)) == 3  # two refused, one accepted
    assert daemon.alive
    beat = database.heartbeat()
    assert beat is not None and f"HTTP {status}" in beat.last_error
    recovery = database.recovery()
    assert recovery is not None and recovery.sms_status == "done"
    kinds = database.event_kinds(recovery.id)
    assert kinds.count("sms_retry") == 2 and kinds.count("sms_sent") == 1


def test_an_ambiguous_create_that_twilio_did_make_is_found_and_not_sent_again(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    daemon.start()
    sandbox.faults.add(method="POST", path=MESSAGES, action="drop_response")
    missed_call(sandbox)
    wait_for_recovery(database, sms_status="done", what="the SMS found by the look-up")
    wait_passes(database, 2)
    assert len(sms_to(sandbox)) == 1 and len(_creates(sandbox)) == 1
    assert [a.result for a in database.attempts()] == ["found"]


def test_a_429_on_the_call_log_holds_polling_for_what_retry_after_says(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    daemon.start()
    wait_passes(database, 1)
    sandbox.faults.add(method="GET", path=CALLS, action="status", status=429, retry_after=3)
    wait_for(
        lambda: any(r.status == 429 for r in twilio_requests(sandbox, "GET", "/Calls.json")),
        deadline=SMS_DEADLINE,
        what="the 429",
    )
    missed_call(sandbox)
    wait_for_sms(sandbox, what="the SMS after the wait")
    reads = twilio_requests(sandbox, "GET", "/Calls.json")
    limited = next(i for i, r in enumerate(reads) if r.status == 429)
    assert reads[limited + 1].at - reads[limited].at >= timedelta(seconds=2.9)
    assert daemon.alive


def test_a_429_on_create_waits_what_retry_after_says_before_the_next_try(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    daemon.start()
    sandbox.faults.add(method="POST", path=MESSAGES, action="status", status=429, retry_after=3)
    missed_call(sandbox)
    wait_for_sms(sandbox, what="the SMS after the wait")
    wait_passes(database, 2)
    creates = _creates(sandbox)
    assert [r.status for r in creates] == [429, 201]
    assert creates[1].at - creates[0].at >= timedelta(seconds=2.9)
    recovery = database.recovery()
    assert recovery is not None
    assert database.event_kinds(recovery.id).count("sms_retry") == 1


def test_no_sms_goes_while_a_429_holds_the_reads_so_a_reply_in_that_time_still_counts(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    """The SMS retry comes due while Twilio's 429 holds our reads: it waits for a read, which
    finds the caller's reply, so it never goes (a reply before our SMS means no SMS)."""
    daemon.start()
    wait_passes(database, 1)
    sandbox.faults.add(method="POST", path=MESSAGES, action="status", status=429, retry_after=1)
    missed_call(sandbox)
    wait_for(lambda: _creates(sandbox), what="the create answered 429")
    sandbox.faults.add(method="GET", path=CALLS, action="status", status=429, retry_after=6)
    wait_for(
        lambda: any(r.status == 429 for r in twilio_requests(sandbox, "GET", "/Calls.json")),
        what="the read answered 429",
    )
    sandbox.twilio.add_inbound_message(from_=CALLER, to=SMS_FROM, body="Call me please")
    recovery = wait_for_recovery(database, outcome="reached", what="the reply read", deadline=20)
    wait_passes(database, 2)
    assert [r.status for r in _creates(sandbox)] == [429]
    assert recovery.reached_via == "reply"


@pytest.fixture
def geographic_sender(daemon_env: dict[str, str]) -> str:
    daemon_env["TWILIO_SMS_FROM"] = GEOGRAPHIC_SMS_FROM
    return GEOGRAPHIC_SMS_FROM


def test_a_geographic_sms_number_is_a_configuration_error_not_the_callers_fault(
    sandbox: Sandbox, geographic_sender: str, daemon: Daemon, database: Database
) -> None:
    daemon.start()
    missed_call(sandbox)
    missed_call(sandbox, OTHER_CALLER)
    wait_for(lambda: _creates(sandbox), deadline=SMS_DEADLINE, what="the refused create")
    wait_for(
        lambda: (b := database.heartbeat()) is not None and "21606" in b.config_errors,
        deadline=SMS_DEADLINE,
        what="the configuration error in the heartbeat",
    )
    later = missed_call(sandbox, THIRD_CALLER)
    wait_for(lambda: database.call(later), deadline=SMS_DEADLINE, what="the third call")
    wait_passes(database, 3)
    # One try, then SMS stops for every recovery until the 5-minute retry.
    assert [r.status for r in _creates(sandbox)] == [400]
    assert sms_to(sandbox, geographic_sender) == []
    for caller in (None, OTHER_CALLER, THIRD_CALLER):
        recovery = database.recovery(caller) if caller else database.recovery()
        assert recovery is not None
        assert recovery.outcome is None  # not opted out, not closed: on to the next layer
        assert (recovery.sms_status, recovery.sms_reason) == ("skipped", "sms_config_error")
    assert database.rows(Suppression) == []
    assert daemon.alive
    assert "TWILIO_SMS_FROM" in daemon.output  # the start-up warning names it


def test_a_create_twilio_completes_after_our_timeout_is_found_not_sent_twice(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    daemon.start()
    wait_passes(database, 1)
    # The sandbox holds the create 12 s before making the message: past the adapter's 10 s
    # timeout, so the daemon's first look-up finds nothing; the message appears 2 s later.
    sandbox.faults.add(method="POST", path=MESSAGES, action="delay", delay=12.0)
    missed_call(sandbox)
    recovery = wait_for_recovery(database, sms_status="done", deadline=40, what="the SMS found")
    wait_passes(database, 6)  # past the moment the held create completes at the sandbox
    assert len(sms_to(sandbox)) == 1, "a second SMS: the late create was not waited for"
    assert recovery.sms_status == "done"
