"""core.services.record_call on a real SQLite file: calls closed at once as not contacted (and
which reason wins), the cooldown, and answered or outbound calls that reach the caller."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial

import pytest
from sqlalchemy import Engine

from core import db, suppression
from core.domain import Attention, CallVerdict, Channel, Outcome, StepStatus
from core.models import Attempt, Event, Recovery
from tests.integration import support
from tests.integration.support import (
    CALLER,
    LINE,
    T0,
    no_personal_data_in_events,
    opened_id,
    record_call,
    rows,
    sms_accepted,
    state_of,
)

IGNORED = "+447700900555"
CTX = replace(support.CTX, ignore_numbers=frozenset({IGNORED}))
missed = partial(record_call, ctx=CTX)

_every_event_holds_no_personal_data = no_personal_data_in_events()


def _suppress(engine: Engine, number: str) -> None:
    with db.write_transaction(engine) as session:
        suppression.suppress(session, value=number, source="sms", evidence="STOP", at=T0)


def _contacted_and_closed(engine: Engine, *, at: datetime, sid: str = "CA00") -> int:
    """A recovery whose SMS was accepted, closed as reached by an answered call at `at` + 1 min."""
    rid = opened_id(missed(engine, sid, ended=at))
    sms_accepted(engine, rid, at + timedelta(seconds=7), ctx=CTX)
    missed(engine, sid + "A", ended=at + timedelta(minutes=1), verdict=CallVerdict.ANSWERED)
    state = state_of(engine, rid)
    assert state.outcome is Outcome.REACHED and state.contacted_at is not None
    return rid


@pytest.mark.parametrize(
    ("caller", "setup", "seen_after", "reason", "attention"),
    [
        ("anonymous", None, 5, "withheld", None),
        ("+4412", None, 5, "invalid_number", None),
        (LINE, None, 5, "business", None),
        (IGNORED, None, 5, "ignored", None),
        (CALLER, "suppressed", 5, "suppressed", Attention.SUPPRESSED),
        (CALLER, "contacted", 5, "cooldown", Attention.COOLDOWN),
        (CALLER, None, 31 * 60, "too_old", Attention.TOO_OLD),
    ],
)
def test_a_call_that_is_not_contacted_is_closed_at_once_with_its_reason_and_no_claim(
    engine: Engine,
    caller: str,
    setup: str | None,
    seen_after: int,
    reason: str,
    attention: Attention | None,
) -> None:
    ended = T0 + timedelta(hours=2)
    if setup == "suppressed":
        _suppress(engine, caller)
    if setup == "contacted":
        _contacted_and_closed(engine, at=T0)
    attempts_before = len(rows(engine, Attempt))
    applied = missed(
        engine, "CA99", caller, ended=ended, seen=ended + timedelta(seconds=seen_after)
    )
    assert applied is not None and applied.claims == ()
    state = state_of(engine, opened_id(applied))
    assert (state.outcome, state.outcome_reason) == (Outcome.NOT_CONTACTED, reason)
    assert state.next_action_at is None
    assert len(rows(engine, Attempt)) == attempts_before
    [event] = [e for e in rows(engine, Event) if e.kind == "not_contacted"]
    assert event.recovery_id == state.id and event.attention == attention


@pytest.mark.parametrize(
    ("caller", "setup", "seen_after", "reason"),
    [
        (LINE, "ignore_line", 5, "business"),  # a business number on the ignore list stays business
        (IGNORED, "suppressed", 5, "ignored"),
        (CALLER, "suppressed", 31 * 60, "suppressed"),
        (CALLER, "contacted", 31 * 60, "cooldown"),
    ],
)
def test_the_first_matching_not_contacted_reason_wins(
    engine: Engine, caller: str, setup: str, seen_after: int, reason: str
) -> None:
    ctx = CTX
    if setup == "ignore_line":
        ctx = replace(CTX, ignore_numbers=frozenset({LINE, IGNORED}))
    if setup == "suppressed":
        _suppress(engine, caller)
    if setup == "contacted":
        _contacted_and_closed(engine, at=T0)
    ended = T0 + timedelta(hours=2)
    applied = record_call(
        engine, "CA99", caller, ended=ended, seen=ended + timedelta(seconds=seen_after), ctx=ctx
    )
    assert state_of(engine, opened_id(applied)).outcome_reason == reason


def test_cooldown_counts_only_recoveries_that_contacted_someone(engine: Engine) -> None:
    # Reached by an answered call before any SMS went: closed, but nobody was contacted.
    first = opened_id(missed(engine, "CA01"))
    missed(engine, "CA02", ended=T0 + timedelta(seconds=6), verdict=CallVerdict.ANSWERED)
    closed = state_of(engine, first)
    assert closed.outcome is Outcome.REACHED and closed.contacted_at is None
    again = missed(engine, "CA03", ended=T0 + timedelta(hours=1))
    assert again is not None and state_of(engine, opened_id(again)).outcome is None
    assert [c.channel for c in again.claims] == [Channel.SMS]


def test_a_cooldown_recovery_starts_no_cooldown_of_its_own(engine: Engine) -> None:
    _contacted_and_closed(engine, at=T0)  # closed at T0 + 1 min
    cooled = missed(engine, "CA10", ended=T0 + timedelta(hours=10))
    assert state_of(engine, opened_id(cooled)).outcome_reason == "cooldown"
    # 24 h after the contacted one closed, but only 14 h after the cooldown one: eligible.
    fresh = missed(engine, "CA11", ended=T0 + timedelta(hours=24, minutes=2))
    assert fresh is not None and state_of(engine, opened_id(fresh)).outcome is None
    assert [c.channel for c in fresh.claims] == [Channel.SMS]


def test_an_answered_call_from_the_caller_reaches_the_open_recovery(engine: Engine) -> None:
    rid = opened_id(missed(engine, "CA01"))
    at = T0 + timedelta(minutes=2)
    answered = missed(engine, "CA02", ended=at, verdict=CallVerdict.ANSWERED)
    assert answered is not None and answered.claims == ()
    state = state_of(engine, rid)
    assert (state.outcome, state.reached_via, state.reached_at) == (
        Outcome.REACHED,
        "answered_call",
        at,
    )
    assert state.callback_status is StepStatus.CANCELLED and state.next_action_at is None


def test_an_answered_call_within_24_hours_of_the_close_is_flagged_reply_after_close(
    engine: Engine,
) -> None:
    rid = _contacted_and_closed(engine, at=T0)
    before = state_of(engine, rid)
    assert (
        missed(engine, "CA05", ended=T0 + timedelta(hours=5), verdict=CallVerdict.ANSWERED) is None
    )
    assert state_of(engine, rid) == before
    [flag] = [e for e in rows(engine, Event) if e.attention == Attention.REPLY_AFTER_CLOSE]
    assert flag.recovery_id == rid and flag.at == T0 + timedelta(hours=5)


def test_an_answered_call_a_day_after_the_close_is_flagged_but_belongs_to_no_recovery(
    engine: Engine,
) -> None:
    _contacted_and_closed(engine, at=T0)
    missed(engine, "CA05", ended=T0 + timedelta(hours=30), verdict=CallVerdict.ANSWERED)
    [flag] = [e for e in rows(engine, Event) if e.attention == Attention.REPLY_AFTER_CLOSE]
    assert flag.recovery_id is None


def test_a_persons_outbound_call_reaches_the_open_recovery(engine: Engine) -> None:
    rid = opened_id(missed(engine, "CA01"))
    at = T0 + timedelta(minutes=2)
    assert missed(engine, "CA02", ended=at, verdict=CallVerdict.ANSWERED, outbound=True)
    state = state_of(engine, rid)
    assert (state.outcome, state.reached_via, state.reached_at) == (
        Outcome.REACHED,
        "answered_call",
        at,
    )


def test_a_persons_outbound_call_reaches_only_an_open_recovery(engine: Engine) -> None:
    rid = _contacted_and_closed(engine, at=T0)
    before = state_of(engine, rid)
    later = T0 + timedelta(hours=1)
    assert missed(engine, "CA07", ended=later, verdict=CallVerdict.ANSWERED, outbound=True) is None
    assert missed(engine, "CA08", "+447700900202", ended=later, outbound=True) is None
    assert state_of(engine, rid) == before
    assert len(rows(engine, Recovery)) == 1
    assert not [e for e in rows(engine, Event) if e.attention == Attention.REPLY_AFTER_CLOSE]
