"""core.services.record_call on a real SQLite file: opening a recovery with its SMS claim, acting
once per call, joining a repeat call, and the SMS each kind of number gets."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from core import db, services
from core.domain import Channel, PlaceCallback, SendSms, StepStatus, TemplateKind
from core.models import Attempt, Event, InboundCall, Recovery
from tests.integration import support
from tests.integration.support import (
    CALLER,
    T0,
    no_personal_data_in_events,
    opened_id,
    record_call,
    rows,
    sms_accepted,
    state_of,
)

IGNORED = "+447700900555"
LANDLINE = "+441134960101"
ABROAD = "+12025550123"  # a fictional US number (555-01xx)
CTX = replace(support.CTX, ignore_numbers=frozenset({IGNORED}))
missed = partial(record_call, ctx=CTX)

_every_event_holds_no_personal_data = no_personal_data_in_events()


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
    sms_accepted(engine, rid, T0 + timedelta(seconds=7), ctx=CTX)
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
