"""The daemon end to end: which calls get the first SMS (PRODUCT.md sections 1, 2 and 3).

`run_daemon.py` runs as a subprocess against the sandbox with a 1-second poll; each test adds
calls to the sandbox's Twilio account and reads what the daemon sent and recorded.
"""

from __future__ import annotations

import pytest

from core.models import Recovery
from daemon.sandbox import Sandbox
from tests.e2e.support import (
    CALLER,
    COMPANY,
    OFFICE,
    SMS_DEADLINE,
    SMS_FROM,
    STOP_LINE,
    Daemon,
    Database,
    missed_call,
    sms_to,
    wait_for,
    wait_for_sms,
    wait_passes,
)

pytestmark = pytest.mark.slow


def test_an_unanswered_forward_gets_one_sms_from_the_sms_number_naming_the_company(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    daemon.start()
    missed_call(sandbox)
    sent = wait_for_sms(sandbox, what="the first SMS")
    wait_passes(database, 3)
    assert len(sms_to(sandbox)) == 1
    message = sent[0]
    assert message["from"] == SMS_FROM
    assert COMPANY in message["body"]
    assert message["body"].endswith(STOP_LINE)
    recovery = database.recovery()
    assert recovery is not None and recovery.sms_status == "done"
    assert recovery.outcome is None  # open: listening for a reply


def test_a_missed_call_to_the_sms_number_itself_is_recovered_too(
    sandbox: Sandbox, daemon: Daemon
) -> None:
    daemon.start()
    missed_call(sandbox, to=SMS_FROM)
    wait_for_sms(sandbox, what="the SMS for a call to it")
    assert sms_to(sandbox)[0]["from"] == SMS_FROM


def test_an_answered_call_gets_no_sms(sandbox: Sandbox, daemon: Daemon, database: Database) -> None:
    daemon.start()
    sid = missed_call(sandbox, child_status="completed")
    call = wait_for(lambda: database.call(sid), deadline=SMS_DEADLINE, what="the call recorded")
    wait_passes(database, 2)
    assert call.verdict == "answered"
    assert sms_to(sandbox) == []
    assert database.recoveries(CALLER) == []


def test_a_call_answered_by_voicemail_is_missed_and_gets_the_sms(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    daemon.start()
    sid = missed_call(sandbox, child_status="completed", answered_by="machine_end_beep")
    wait_for_sms(sandbox, what="the SMS after voicemail")
    call = database.call(sid)
    assert call is not None and call.verdict == "machine"


@pytest.mark.parametrize(
    ("caller", "reason"),
    [
        ("anonymous", "withheld"),
        ("", "withheld"),
        ("client:reception", "withheld"),
        ("+266696687", "withheld"),
        (OFFICE, "business"),
        (SMS_FROM, "business"),
        ("+44abc", "invalid_number"),
        ("12", "invalid_number"),
    ],
)
def test_callers_we_must_not_text_are_recorded_as_not_contacted_with_the_reason(
    sandbox: Sandbox, daemon: Daemon, database: Database, caller: str, reason: str
) -> None:
    daemon.start()
    sid = missed_call(sandbox, caller)
    call = wait_for(lambda: database.call(sid), deadline=SMS_DEADLINE, what="the call recorded")
    wait_passes(database, 2)
    assert call.verdict == "missed"
    assert call.recovery_id is not None
    recovery = database.rows(Recovery, Recovery.id == call.recovery_id)[0]
    assert (recovery.outcome, recovery.outcome_reason) == ("not_contacted", reason)
    kinds = database.event_kinds(recovery.id)
    assert kinds == ["not_contacted"]
    assert sandbox.twilio.sent_messages() == []
    assert daemon.alive


def test_three_missed_calls_in_a_row_get_one_sms_and_an_urgent_recovery(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    daemon.start()
    first = missed_call(sandbox)
    wait_for_sms(sandbox, what="the first SMS")
    second, third = missed_call(sandbox), missed_call(sandbox)
    wait_for(
        lambda: database.call(second) and database.call(third),
        deadline=SMS_DEADLINE,
        what="the repeat calls recorded",
    )
    wait_passes(database, 2)
    assert len(sms_to(sandbox)) == 1
    recoveries = database.recoveries(CALLER)
    assert len(recoveries) == 1
    assert recoveries[0].repeat_count == 3
    assert recoveries[0].first_call_sid == first
    assert database.event_kinds(recoveries[0].id).count("repeat_call") == 2


def test_the_kill_switch_holds_the_sms_while_calls_are_still_recorded(
    sandbox: Sandbox, daemon: Daemon, daemon_env: dict[str, str], database: Database
) -> None:
    daemon_env["RECOVERY_PAUSED"] = "true"
    daemon.start()
    sid = missed_call(sandbox)
    call = wait_for(lambda: database.call(sid), deadline=SMS_DEADLINE, what="the call recorded")
    wait_passes(database, 2)
    recovery = database.recovery()
    assert recovery is not None and recovery.id == call.recovery_id
    assert (recovery.sms_status, recovery.sms_reason) == ("pending", "held_kill_switch")
    assert sms_to(sandbox) == []
