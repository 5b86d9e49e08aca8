"""The daemon end to end: observations applied in vendor-timestamp order, and the ways a caller is
reached besides a reply (PRODUCT.md section 1, "Order of events" and "Reached"; section 3).

Several tests put everything in the sandbox before the daemon starts, so its first poll reads a
call and a message together and must apply them in the order they happened.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.models import Suppression
from daemon.sandbox import Sandbox
from tests.e2e.support import (
    CALLER,
    LINE,
    SMS_FROM,
    Daemon,
    Database,
    missed_call,
    now,
    sms_to,
    wait_for_recovery,
    wait_for_sms,
    wait_passes,
)

pytestmark = pytest.mark.slow


def test_a_stop_sent_before_a_missed_call_read_in_the_same_poll_makes_it_suppressed(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    stopped = now() - timedelta(seconds=40)
    sandbox.twilio.add_inbound_message(from_=CALLER, to=SMS_FROM, body="STOP", at=stopped)
    missed_call(sandbox, ended=stopped + timedelta(seconds=30))
    daemon.start()
    recovery = wait_for_recovery(database, outcome="not_contacted", what="the recovery")
    wait_passes(database, 2)
    assert recovery.outcome_reason == "suppressed"
    assert database.rows(Suppression, Suppression.key == CALLER)
    assert sms_to(sandbox) == []


def test_a_stop_sent_after_a_missed_call_read_in_the_same_poll_opts_out_before_any_sms(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    ended = now() - timedelta(seconds=40)
    missed_call(sandbox, ended=ended)
    stopped = ended + timedelta(seconds=5)
    sandbox.twilio.add_inbound_message(from_=CALLER, to=SMS_FROM, body="stop", at=stopped)
    daemon.start()
    wait_for_recovery(database, outcome="opted_out", what="the opt-out")
    wait_passes(database, 2)
    recovery = database.recovery()
    assert recovery is not None and recovery.outcome_at == stopped.replace(microsecond=0)
    assert recovery.sms_status == "cancelled"
    assert sms_to(sandbox) == []


def test_the_caller_ringing_again_and_being_answered_reaches_them(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    daemon.start()
    missed_call(sandbox)
    wait_for_sms(sandbox, what="the first SMS")
    missed_call(sandbox, child_status="completed")  # answered this time
    reached = wait_for_recovery(database, outcome="reached", what="the recovery reached")
    assert reached.reached_via == "answered_call"
    assert len(sms_to(sandbox)) == 1


def test_a_person_calling_the_caller_back_from_a_business_line_reaches_them(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    daemon.start()
    missed_call(sandbox)
    wait_for_sms(sandbox, what="the first SMS")
    ended = now()
    sandbox.twilio.add_call(
        direction="outbound-api",
        from_=LINE,
        to=CALLER,
        status="completed",
        start=ended - timedelta(seconds=60),
        answered_at=ended - timedelta(seconds=55),
        end=ended,
    )
    reached = wait_for_recovery(database, outcome="reached", what="the recovery reached")
    assert reached.reached_at == ended.replace(microsecond=0)


def test_a_call_back_that_reached_voicemail_does_not_reach_the_caller(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    daemon.start()
    missed_call(sandbox)
    wait_for_sms(sandbox, what="the first SMS")
    sandbox.twilio.add_call(
        direction="outbound-api",
        from_=LINE,
        to=CALLER,
        status="completed",
        answered_by="machine_end_beep",
    )
    wait_passes(database, 3)
    recovery = database.recovery()
    assert recovery is not None and recovery.outcome is None
