"""core.services.record_message on a real SQLite file: replies, STOP, START and which recovery."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import Engine
from sqlmodel import select

from core import db, overrides, repository, services, suppression
from core.domain import Attention, CallVerdict, Channel, Outcome, StepStatus
from core.models import Attempt, InboundMessage, Recovery
from tests.integration import support
from tests.integration.support import (
    BODY,
    CALLER,
    EMAIL,
    LINE,
    OTHER,
    T0,
    all_events,
    no_personal_data_in_events,
    opened_id,
    record_call,
    record_message,
    sms_accepted,
    state_of,
)

SMS_FROM = "+447700900001"
CTX = replace(support.CTX, business_numbers=frozenset({LINE, SMS_FROM}))
# The SMS waits two minutes, so a quick reply can arrive before it goes.
DELAYED = replace(CTX, policy=replace(CTX.policy, sms_delay=timedelta(minutes=2)))
missed = partial(record_call, ctx=CTX)
message = partial(record_message, to=SMS_FROM, ctx=CTX)

_every_event_holds_no_personal_data = no_personal_data_in_events("boiler")


def is_suppressed(engine: Engine, value: str) -> bool:
    with db.read_session(engine) as session:
        return suppression.is_suppressed(session, value)


def contacted_and_closed(engine: Engine, *, at: datetime, sid: str) -> int:
    """A recovery whose SMS was accepted, closed as reached by an answered call at `at` + 1 min."""
    rid = opened_id(missed(engine, sid, ended=at))
    sms_accepted(engine, rid, at + timedelta(seconds=7), now=at + timedelta(seconds=8), ctx=CTX)
    missed(engine, sid + "A", ended=at + timedelta(minutes=1), verdict=CallVerdict.ANSWERED)
    assert state_of(engine, rid).outcome is Outcome.REACHED
    return rid


def test_a_reply_reaches_the_recovery_and_cancels_the_pending_sms(engine: Engine) -> None:
    rid = opened_id(missed(engine, "CA01", ctx=DELAYED))
    assert state_of(engine, rid).sms_status is StepStatus.PENDING
    replied = message(engine, "SM01", BODY, sent=T0 + timedelta(seconds=30), ctx=DELAYED)
    assert replied is not None and replied.claims == ()
    state = state_of(engine, rid)
    assert (state.outcome, state.reached_via) == (Outcome.REACHED, "reply")
    assert state.reached_at == T0 + timedelta(seconds=30)
    assert state.sms_status is StepStatus.CANCELLED
    assert state.callback_status is StepStatus.CANCELLED
    assert state.next_action_at is None


def test_a_reply_sent_before_the_sms_was_due_means_the_sms_is_never_sent(engine: Engine) -> None:
    rid = opened_id(missed(engine, "CA01", ctx=DELAYED))
    message(engine, "SM01", BODY, sent=T0 + timedelta(seconds=30), ctx=DELAYED)
    after_due = T0 + timedelta(minutes=5)
    with db.read_session(engine) as session:
        assert rid not in repository.due_recovery_ids(session, after_due)
    later = services.advance(engine, recovery_id=rid, now=after_due, ctx=DELAYED)
    assert later is not None and later.claims == ()
    with db.read_session(engine) as session:
        assert not session.exec(select(Attempt)).all()


def test_due_recoveries_can_leave_out_the_callers_whose_message_is_held(engine: Engine) -> None:
    """The daemon holds the steps of a caller whose message waits for their ringing call."""
    held = opened_id(missed(engine, "CA01", ctx=DELAYED))
    other = opened_id(missed(engine, "CA02", OTHER, ctx=DELAYED))
    after_due = T0 + timedelta(minutes=5)
    with db.read_session(engine) as session:
        assert sorted(repository.due_recovery_ids(session, after_due)) == sorted([held, other])
        assert repository.due_recovery_ids(session, after_due, except_callers={CALLER}) == [other]


def test_an_empty_message_counts_as_a_reply(engine: Engine) -> None:
    rid = opened_id(missed(engine, "CA01"))
    message(engine, "SM01", "", sent=T0 + timedelta(seconds=40))
    assert state_of(engine, rid).outcome is Outcome.REACHED


def test_stop_suppresses_the_number_and_its_email_and_closes_the_recovery_as_opted_out(
    engine: Engine,
) -> None:
    rid = opened_id(missed(engine, "CA01"))
    assert overrides.set_email(engine, recovery_id=rid, email=EMAIL, now=T0)
    stopped = message(engine, "SM01", "Stop texting me", sent=T0 + timedelta(minutes=1))
    assert stopped is not None and stopped.claims == ()
    state = state_of(engine, rid)
    assert (state.outcome, state.outcome_reason) == (Outcome.OPTED_OUT, "sms")
    assert state.callback_status is StepStatus.CANCELLED
    assert state.email_status is StepStatus.CANCELLED
    assert is_suppressed(engine, CALLER) and is_suppressed(engine, "Caller@Example.com")
    kinds = [e.kind for e in all_events(engine) if e.recovery_id == rid]
    assert "suppressed" in kinds and "opted_out" in kinds
    with db.read_session(engine) as session:
        stored = session.get(InboundMessage, "SM01")
    assert stored is not None and stored.keyword == "opt_out"


def test_stop_with_no_recovery_still_suppresses_the_number(engine: Engine) -> None:
    assert message(engine, "SM01", "STOP", sent=T0, sender="07700 900101") is None
    assert is_suppressed(engine, CALLER)
    [event] = all_events(engine)
    assert (event.kind, event.recovery_id) == ("suppressed", None)
    again = missed(engine, "CA01", ended=T0 + timedelta(hours=1))
    assert state_of(engine, opened_id(again)).outcome_reason == "suppressed"


def test_stop_long_after_the_last_recovery_closed_is_still_explained_by_an_event(
    engine: Engine,
) -> None:
    rid = contacted_and_closed(engine, at=T0, sid="CA01")
    message(engine, "SM01", "STOP", sent=T0 + timedelta(days=3))
    assert is_suppressed(engine, CALLER)
    [event] = [e for e in all_events(engine) if e.kind == "suppressed"]
    assert event.recovery_id is None  # it does not belong to a recovery closed days ago
    assert state_of(engine, rid).outcome is Outcome.REACHED


def test_start_lifts_the_number_only_and_the_email_stays_suppressed(engine: Engine) -> None:
    rid = opened_id(missed(engine, "CA01"))
    overrides.set_email(engine, recovery_id=rid, email=EMAIL, now=T0)
    message(engine, "SM01", "STOP", sent=T0 + timedelta(minutes=1))
    assert message(engine, "SM02", " start! ", sent=T0 + timedelta(minutes=2)) is None
    assert not is_suppressed(engine, CALLER)
    assert is_suppressed(engine, EMAIL)
    assert state_of(engine, rid).outcome is Outcome.OPTED_OUT  # a lift reopens nothing
    lifted = [e for e in all_events(engine) if e.kind == "suppression_lifted"]
    assert len(lifted) == 1 and lifted[0].actor == "caller"


def test_a_message_sid_read_twice_is_acted_on_once(engine: Engine) -> None:
    assert message(engine, "SM01", "STOP", sent=T0) is None
    assert message(engine, "SM01", "STOP", sent=T0) is None
    kinds = [e.kind for e in all_events(engine)]
    assert kinds == ["suppressed"]
    with db.read_session(engine) as session:
        assert len(session.exec(select(InboundMessage)).all()) == 1


def test_a_reply_read_twice_reaches_the_recovery_once(engine: Engine) -> None:
    rid = opened_id(missed(engine, "CA01"))
    assert message(engine, "SM01", BODY, sent=T0 + timedelta(minutes=1)) is not None
    assert message(engine, "SM01", BODY, sent=T0 + timedelta(minutes=1)) is None
    assert [e.kind for e in all_events(engine)].count("reached") == 1
    assert state_of(engine, rid).version == 1


def test_a_reply_belongs_to_the_latest_eligible_recovery_whose_first_missed_call_precedes_it(
    engine: Engine,
) -> None:
    first = contacted_and_closed(engine, at=T0, sid="CA01")
    cooled = opened_id(missed(engine, "CA02", ended=T0 + timedelta(hours=2)))
    assert state_of(engine, cooled).outcome is Outcome.NOT_CONTACTED  # passed over
    second = opened_id(missed(engine, "CA03", ended=T0 + timedelta(hours=25)))
    # Sent before the second recovery's first missed call, read after it opened.
    message(engine, "SM01", BODY, sent=T0 + timedelta(hours=20))
    assert state_of(engine, second).outcome is None
    [flag] = [e for e in all_events(engine) if e.attention == Attention.REPLY_AFTER_CLOSE]
    assert flag.recovery_id == first
    message(engine, "SM02", BODY, sent=T0 + timedelta(hours=25, minutes=1))
    assert state_of(engine, second).outcome is Outcome.REACHED
    assert state_of(engine, first).outcome is Outcome.REACHED
    assert state_of(engine, cooled).outcome is Outcome.NOT_CONTACTED


def test_a_reply_from_a_number_without_any_recovery_changes_nothing(engine: Engine) -> None:
    assert message(engine, "SM01", BODY, sent=T0) is None
    with db.read_session(engine) as session:
        assert not session.exec(select(Recovery)).all()
        stored = session.get(InboundMessage, "SM01")
    assert stored is not None and (stored.sender, stored.body) == (CALLER, BODY)


def test_a_reply_ends_the_sequence_so_later_passes_send_nothing(engine: Engine) -> None:
    rid = opened_id(missed(engine, "CA01", ctx=DELAYED))
    message(engine, "SM01", BODY, sent=T0 + timedelta(seconds=20), ctx=DELAYED)
    for minutes in (3, 45, 60 * 25):
        later = services.advance(
            engine, recovery_id=rid, now=T0 + timedelta(minutes=minutes), ctx=DELAYED
        )
        assert later is not None
        assert [c.channel for c in later.claims if c.channel is not Channel.SMS] == []
        assert later.claims == ()
