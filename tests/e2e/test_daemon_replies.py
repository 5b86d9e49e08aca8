"""The daemon end to end: replies, opt-outs and the order of events (PRODUCT.md sections 1, 2, 4).

Inbound messages are applied with calls in the order of their vendor timestamps, whenever they
are read; Twilio's own `outbound-reply` messages are never replies; STOP suppresses the number.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.models import Suppression
from daemon.sandbox import Sandbox
from tests.e2e.support import (
    CALLER,
    SMS_DEADLINE,
    SMS_FROM,
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

pytestmark = pytest.mark.slow


def test_a_reply_reaches_the_caller_and_closes_the_recovery_with_nothing_more_sent(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    daemon.start()
    missed_call(sandbox)
    wait_for_sms(sandbox, what="the first SMS")
    replied = now()
    sandbox.twilio.add_inbound_message(from_=CALLER, to=SMS_FROM, body="Yes please", at=replied)
    reached = wait_for_recovery(database, outcome="reached", what="the recovery reached")
    wait_passes(database, 2)
    assert reached.reached_via == "reply"
    assert reached.reached_at == replied.replace(microsecond=0)  # as of the message's date_sent
    assert len(sms_to(sandbox)) == 1
    assert "reached" in database.event_kinds(reached.id)


def test_twilios_own_outbound_reply_is_not_a_reply(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    daemon.start()
    missed_call(sandbox)
    wait_for_sms(sandbox, what="the first SMS")
    # What Twilio sends by itself (an auto-reply) shows in the log as `outbound-reply`.
    sandbox.twilio._auto_reply(CALLER, SMS_FROM, "Thanks for the message", now())
    wait_passes(database, 3)
    recovery = database.recovery()
    assert recovery is not None and recovery.outcome is None
    assert "reached" not in database.event_kinds(recovery.id)


def test_stop_suppresses_the_number_and_its_next_missed_call_gets_nothing(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    daemon.start()
    missed_call(sandbox)
    wait_for_sms(sandbox, what="the first SMS")
    sandbox.twilio.add_inbound_message(from_=CALLER, to=SMS_FROM, body="Stop")
    opted = wait_for_recovery(database, outcome="opted_out", what="the recovery opted out")
    entries = database.rows(Suppression, Suppression.key == CALLER)
    assert len(entries) == 1 and entries[0].active and entries[0].source == "sms"
    again = missed_call(sandbox)
    call = wait_for(lambda: database.call(again), deadline=SMS_DEADLINE, what="the next call")
    wait_passes(database, 2)
    second = database.recovery()
    assert second is not None and second.id != opted.id and second.id == call.recovery_id
    assert (second.outcome, second.outcome_reason) == ("not_contacted", "suppressed")
    assert len(sms_to(sandbox)) == 1


def test_stop_with_more_words_is_an_opt_out_though_twilio_does_not_catch_it(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    daemon.start()
    missed_call(sandbox)
    wait_for_sms(sandbox, what="the first SMS")
    sandbox.twilio.add_inbound_message(from_=CALLER, to=SMS_FROM, body="Stop texting me!")
    wait_for_recovery(database, outcome="opted_out", what="the recovery opted out")
    assert not sandbox.twilio.is_blocked(sender=SMS_FROM, recipient=CALLER)
    assert database.rows(Suppression, Suppression.key == CALLER)


def test_a_reply_sent_before_our_sms_cancels_it_when_both_are_read_in_one_poll(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    ended = now() - timedelta(seconds=30)
    missed_call(sandbox, ended=ended)
    replied = ended + timedelta(seconds=10)
    sandbox.twilio.add_inbound_message(from_=CALLER, to=SMS_FROM, body="call me", at=replied)
    daemon.start()
    reached = wait_for_recovery(database, outcome="reached", what="the recovery reached")
    wait_passes(database, 2)
    assert sms_to(sandbox) == []
    assert reached.reached_at == replied.replace(microsecond=0)
    settled = database.recovery()
    assert settled is not None and (settled.sms_status, settled.sms_reason) == (
        "cancelled",
        "reached",
    )
    assert [a.result for a in database.attempts(settled.id)] in ([], ["withdrawn"])


def test_a_reply_read_late_counts_as_of_when_it_was_sent(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    ended = now() - timedelta(seconds=5)
    missed_call(sandbox, ended=ended)
    daemon.start()
    wait_for_sms(sandbox, what="the first SMS")
    # Sent a second after the call ended (before our SMS went), but only in the log now.
    replied = ended + timedelta(seconds=1)
    sandbox.twilio.add_inbound_message(from_=CALLER, to=SMS_FROM, body="hello?", at=replied)
    reached = wait_for_recovery(database, outcome="reached", what="the recovery reached")
    assert reached.reached_at == replied.replace(microsecond=0)
    assert reached.outcome_at == reached.reached_at
    assert len(sms_to(sandbox)) == 1


def test_a_missed_call_first_seen_after_the_catch_up_time_is_too_old(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    sid = missed_call(sandbox, ended=now() - timedelta(minutes=3))  # catch-up is 2 minutes
    daemon.start()
    call = wait_for(lambda: database.call(sid), deadline=SMS_DEADLINE, what="the old call")
    wait_passes(database, 2)
    recovery = database.recovery()
    assert recovery is not None and recovery.id == call.recovery_id
    assert (recovery.outcome, recovery.outcome_reason) == ("not_contacted", "too_old")
    events = database.events(recovery.id)
    assert [e.attention for e in events] == ["too_old"]
    assert sms_to(sandbox) == []


def test_a_call_missed_before_the_daemon_started_is_read_back_and_recovered(
    sandbox: Sandbox, daemon: Daemon
) -> None:
    missed_call(sandbox, ended=now() - timedelta(seconds=30))
    daemon.start()
    wait_for_sms(sandbox, what="the first SMS")


def test_a_call_missed_while_the_daemon_was_stopped_is_recovered_on_restart(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    daemon.start()
    wait_passes(database, 1)
    assert daemon.stop() == 0
    missed_call(sandbox)
    daemon.start()
    wait_for_sms(sandbox, what="the first SMS")
