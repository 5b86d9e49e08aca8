"""core.services.record_call on a real SQLite file: opening, joining, not contacting, reaching."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, select

from core import calendar, db, intake, repository, services, suppression
from core.domain import (
    Attention,
    CallVerdict,
    Channel,
    Outcome,
    PlaceCallback,
    Policy,
    RecoveryState,
    SendSms,
    StepStatus,
    TemplateKind,
)
from core.models import Attempt, Event, InboundCall, Recovery
from core.observations import SmsAccepted
from core.services import Applied

Row = TypeVar("Row", bound=SQLModel)

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # a Tuesday; London is on UTC in December
LINE = "+441134960000"
CALLER = "+447700900101"
IGNORED = "+447700900555"
LANDLINE = "+441134960101"
ABROAD = "+12025550123"  # a fictional US number (555-01xx)
WINDOW = calendar.CallingWindow(
    hours=calendar.DEFAULT_HOURS, timezone="Europe/London", bank_holidays="england"
)
CTX = services.Context(
    policy=Policy(layer2_on=True, layer3_on=True),
    window=WINDOW,
    business_numbers=frozenset({LINE}),
    ignore_numbers=frozenset({IGNORED}),
)


def missed(
    engine: Engine,
    sid: str,
    caller: str | None = CALLER,
    *,
    ended: datetime = T0,
    seen: datetime | None = None,
    verdict: CallVerdict = CallVerdict.MISSED,
    outbound: bool = False,
) -> Applied | None:
    """Record one classified call, seen 5 s after it ended unless told otherwise."""
    return intake.record_call(
        engine,
        sid=sid,
        caller_raw=caller,
        to_number=LINE,
        status="completed",
        verdict=verdict,
        reason="test",
        ended_at=ended,
        seen_at=seen or ended + timedelta(seconds=5),
        ctx=CTX,
        outbound=outbound,
    )


def state_of(engine: Engine, recovery_id: int | None) -> RecoveryState:
    assert recovery_id is not None
    with db.read_session(engine) as session:
        state = repository.get_recovery(session, recovery_id)
    assert state is not None
    return state


def rows(engine: Engine, table: type[Row]) -> list[Row]:
    with db.read_session(engine) as session:
        return list(session.exec(select(table)).all())


def opened_id(applied: Applied | None) -> int:
    assert applied is not None and applied.decision.state.id is not None
    return applied.decision.state.id


def sms_accepted(engine: Engine, recovery_id: int, at: datetime) -> None:
    """Record what the daemon records when Twilio accepts the SMS."""
    services.advance(
        engine,
        recovery_id=recovery_id,
        observations=[SmsAccepted(at=at, message_sid="SM" + "1" * 32)],
        now=at,
        ctx=CTX,
        sends=False,
    )


def assert_events_hold_no_personal_data(engine: Engine, *needles: str) -> None:
    """No event names a phone number (7+ digits in a row), an email, or any of `needles`."""
    for event in rows(engine, Event):
        text = " ".join([event.kind, event.reason, event.actor, event.attention or ""])
        assert not re.search(r"\d{7,}", text.replace(" ", "")), text
        assert "@" not in text, text
        for needle in needles:
            assert needle.lower() not in text.lower(), text


@pytest.fixture(autouse=True)
def _every_event_holds_no_personal_data(engine: Engine) -> Iterator[None]:
    yield
    assert_events_hold_no_personal_data(engine)


def test_a_missed_call_opens_a_recovery_and_claims_its_sms_with_an_attempt_row(
    engine: Engine,
) -> None:
    applied = missed(engine, "CA01")
    assert applied is not None
    [claim] = applied.claims
    assert isinstance(claim.effect, SendSms) and claim.effect.template is TemplateKind.IN_HOURS
    state = state_of(engine, opened_id(applied))
    assert state.outcome is None and state.sms_status is StepStatus.IN_FLIGHT
    [attempt] = rows(engine, Attempt)
    assert (attempt.id, attempt.recovery_id) == (claim.attempt_id, state.id)
    assert (attempt.channel, attempt.purpose, attempt.result) == ("sms", "layer1", "")
    assert attempt.to_address == CALLER and attempt.idempotency_key
    with db.read_session(engine) as session:
        call = session.get(InboundCall, "CA01")
    assert call is not None and call.recovery_id == state.id


def test_every_claim_gets_its_own_idempotency_key_and_a_duplicate_key_is_refused(
    engine: Engine,
) -> None:
    rid = opened_id(missed(engine, "CA01"))
    sms_accepted(engine, rid, T0 + timedelta(seconds=7))
    later = services.advance(engine, recovery_id=rid, now=T0 + timedelta(minutes=3), ctx=CTX)
    assert later is not None and [c.channel for c in later.claims] == [Channel.CALL]
    keys = [a.idempotency_key for a in rows(engine, Attempt)]
    assert len(keys) == 2 and len(set(keys)) == 2
    with pytest.raises(IntegrityError), db.write_transaction(engine) as session:
        session.add(Attempt(recovery_id=rid, channel="sms", idempotency_key=keys[0], started_at=T0))
        session.flush()


def test_the_same_call_sid_recorded_twice_acts_once(engine: Engine) -> None:
    assert missed(engine, "CA01") is not None
    assert missed(engine, "CA01", seen=T0 + timedelta(seconds=10)) is None
    assert len(rows(engine, Recovery)) == 1
    assert len(rows(engine, Attempt)) == 1
    assert [e.kind for e in rows(engine, Event)].count("recovery_opened") == 1


def test_a_second_missed_call_from_the_same_number_joins_the_open_recovery(
    engine: Engine,
) -> None:
    rid = opened_id(missed(engine, "CA01"))
    before = state_of(engine, rid)
    joined = missed(engine, "CA02", "07700 900101", ended=T0 + timedelta(minutes=1))
    assert joined is not None and joined.claims == ()
    after = state_of(engine, rid)
    assert after.repeat_count == 2 and after.urgent
    assert after.last_missed_at == T0 + timedelta(minutes=1)
    assert (after.sms_due_at, after.callback_due_at, after.email_due_at) == (
        before.sms_due_at,
        before.callback_due_at,
        before.email_due_at,
    )
    assert len(rows(engine, Recovery)) == 1 and len(rows(engine, Attempt)) == 1
    with db.read_session(engine) as session:
        second = session.get(InboundCall, "CA02")
    assert second is not None and second.recovery_id == rid


def _suppress(engine: Engine, number: str) -> None:
    with db.write_transaction(engine) as session:
        suppression.suppress(session, value=number, source="sms", evidence="STOP", at=T0)


def _contacted_and_closed(engine: Engine, *, at: datetime, sid: str = "CA00") -> int:
    """A recovery whose SMS was accepted, closed as reached by an answered call at `at` + 1 min."""
    rid = opened_id(missed(engine, sid, ended=at))
    sms_accepted(engine, rid, at + timedelta(seconds=7))
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
    applied = intake.record_call(
        engine,
        sid="CA99",
        caller_raw=caller,
        to_number=LINE,
        status="completed",
        verdict=CallVerdict.MISSED,
        reason="test",
        ended_at=ended,
        seen_at=ended + timedelta(seconds=seen_after),
        ctx=ctx,
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


def test_a_uk_landline_gets_no_sms_claim_and_goes_on_to_the_callback(engine: Engine) -> None:
    applied = missed(engine, "CA01", LANDLINE)
    assert applied is not None and applied.claims == ()
    state = state_of(engine, opened_id(applied))
    assert state.is_landline and (state.sms_status, state.sms_reason) == (
        StepStatus.SKIPPED,
        "not_mobile",
    )
    assert not rows(engine, Attempt)
    later = services.advance(
        engine, recovery_id=state.id or 0, now=T0 + timedelta(minutes=3), ctx=CTX
    )
    assert later is not None
    [claim] = later.claims
    assert isinstance(claim.effect, PlaceCallback) and not claim.effect.manual


def test_a_number_outside_the_uk_gets_the_no_call_template(engine: Engine) -> None:
    applied = missed(engine, "CA01", ABROAD)
    assert applied is not None
    [claim] = applied.claims
    assert isinstance(claim.effect, SendSms) and claim.effect.template is TemplateKind.NO_CALL
    state = state_of(engine, opened_id(applied))
    assert (state.is_uk, state.callback_status, state.callback_reason) == (
        False,
        StepStatus.SKIPPED,
        "non_uk_number",
    )


def test_a_call_missed_after_hours_gets_the_after_hours_template_naming_the_opening(
    engine: Engine,
) -> None:
    evening = T0.replace(hour=19)
    applied = missed(engine, "CA01", ended=evening)
    assert applied is not None
    [claim] = applied.claims
    assert isinstance(claim.effect, SendSms)
    assert claim.effect.template is TemplateKind.AFTER_HOURS
    assert claim.effect.callback_due_at == T0.replace(hour=9) + timedelta(days=1)
