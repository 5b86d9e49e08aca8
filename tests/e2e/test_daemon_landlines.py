"""The daemon end to end: callers who cannot get an SMS (PRODUCT.md section 2, "Landlines";
VENDORS.md codes 21614, 21610 and 30003).

A UK landline gets no SMS; a number Twilio refuses (21614) or whose message later fails (30003)
goes on as a landline; a number that sent STOP to our sender at Twilio (21610) is suppressed.
None of it crashes the daemon or closes the recovery by mistake.
"""

from __future__ import annotations

import pytest

from core.models import Suppression
from daemon.sandbox import Sandbox
from tests.e2e.support import (
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

pytestmark = pytest.mark.slow

LANDLINE = "+441134960321"  # Leeds drama range: phonenumbers says fixed line
MOBILE = "+447700900321"
DELIVERY_DEADLINE = 40.0  # the daemon re-reads a sent message's status every 15 s


def test_a_uk_landline_gets_no_sms_and_the_recovery_goes_on(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    daemon.start()
    sid = missed_call(sandbox, LANDLINE)
    wait_for(lambda: database.call(sid), deadline=SMS_DEADLINE, what="the landline's call")
    wait_passes(database, 2)
    recovery = database.recovery(LANDLINE)
    assert recovery is not None and recovery.is_landline
    assert (recovery.sms_status, recovery.sms_reason) == ("skipped", "not_mobile")
    assert recovery.outcome is None
    assert sandbox.twilio.sent_messages() == []


def test_a_number_twilio_refuses_as_not_mobile_goes_on_as_a_landline(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    sandbox.twilio.mark_landline(MOBILE, refuse=True)
    daemon.start()
    missed_call(sandbox, MOBILE)
    recovery = wait_for_recovery(
        database, MOBILE, sms_status="skipped", what="the refused SMS recorded"
    )
    wait_passes(database, 2)
    assert recovery.sms_reason == "cannot_receive_21614"
    assert recovery.outcome is None and recovery.contacted_at is None
    assert [a.error_code for a in database.attempts(recovery.id)] == ["21614"]
    assert database.rows(Suppression) == []
    assert daemon.alive


def test_a_message_that_ends_undelivered_with_30003_is_not_contact_and_goes_on_as_a_landline(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    sandbox.twilio.mark_landline(MOBILE, fail_code=30003)
    daemon.start()
    missed_call(sandbox, MOBILE)
    wait_for_sms(sandbox, MOBILE, what="the SMS")
    recovery = wait_for_recovery(
        database,
        MOBILE,
        sms_delivery="undelivered",
        what="the undelivered status read back",
        deadline=DELIVERY_DEADLINE,
    )
    assert recovery.sms_reason == "not_delivered_30003"
    assert recovery.contacted_at is None  # an undelivered SMS is not contact
    assert recovery.outcome is None
    assert "sms_undelivered" in database.event_kinds(recovery.id)
    assert daemon.alive


def test_a_number_that_sent_stop_to_our_sender_at_twilio_is_suppressed_on_21610(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    # The STOP came before this database existed (so the daemon never read it): Twilio refuses.
    sandbox.twilio.blocked.add((SMS_FROM, MOBILE))
    daemon.start()
    missed_call(sandbox, MOBILE)
    recovery = wait_for_recovery(
        database, MOBILE, outcome="opted_out", what="the recovery opted out on 21610"
    )
    wait_passes(database, 2)
    settled = database.recovery(MOBILE)
    assert settled is not None
    assert (settled.sms_status, settled.sms_reason) == ("skipped", "twilio_21610")
    entries = database.rows(Suppression, Suppression.key == MOBILE)
    assert [(e.active, e.source) for e in entries] == [(True, "twilio_21610")]
    assert recovery.contacted_at is None
    assert sms_to(sandbox, MOBILE) == []
