"""core.overrides on a real SQLite file: the console's opt-out list (adding a number or an address,
lifting an entry with a reason, E.164 keys and searching in any format)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from core import db, overrides, suppression
from core.domain import Outcome
from tests.integration.support import (
    CALLER,
    CTX,
    EMAIL,
    NATIONAL,
    OTHER,
    PERSONAL_WORDS,
    T0,
    all_events,
    in_progress,
    no_personal_data_in_events,
    state_of,
)

_every_event_holds_no_personal_data = no_personal_data_in_events(*PERSONAL_WORDS)


def test_opt_out_from_the_console_suppresses_number_and_email_and_closes_the_recovery(
    engine: Engine,
) -> None:
    rid = in_progress(engine)
    overrides.set_email(engine, recovery_id=rid, email=EMAIL, now=T0)
    applied = overrides.opt_out(engine, value=NATIONAL, now=T0 + timedelta(minutes=1), ctx=CTX)
    assert applied is not None and applied.claims == ()
    state = state_of(engine, rid)
    assert (state.outcome, state.outcome_reason) == (Outcome.OPTED_OUT, "console")
    with db.read_session(engine) as session:
        assert suppression.is_suppressed(session, CALLER)
        assert suppression.is_suppressed(session, EMAIL)
        [entry] = suppression.entries(session, search=CALLER)
    assert entry.source == "console"
    actors = {e.actor for e in all_events(engine) if e.kind in ("suppressed", "opted_out")}
    assert actors == {"console"}


def test_opt_out_of_an_email_from_the_console_suppresses_just_that_address(
    engine: Engine,
) -> None:
    rid = in_progress(engine)
    assert overrides.opt_out(engine, value="Caller@Example.com", now=T0, ctx=CTX) is None
    with db.read_session(engine) as session:
        assert suppression.is_suppressed(session, EMAIL)
        assert not suppression.is_suppressed(session, CALLER)
    assert state_of(engine, rid).outcome is None
    [event] = [e for e in all_events(engine) if e.kind == "suppressed"]
    assert event.recovery_id is None and event.actor == "console"


@pytest.mark.parametrize("typed", ["", "Mrs Smith", "caller at example.com"])
def test_opt_out_from_the_console_refuses_what_is_neither_a_number_nor_an_address(
    engine: Engine, typed: str
) -> None:
    with pytest.raises(ValueError, match="number"):
        overrides.opt_out(engine, value=typed, now=T0, ctx=CTX)
    with db.read_session(engine) as session:
        assert suppression.entries(session, active_only=False) == []
    assert all_events(engine) == []


@pytest.mark.parametrize("reason", ["", "   "])
def test_removing_an_opt_out_needs_a_reason(engine: Engine, reason: str) -> None:
    overrides.opt_out(engine, value=CALLER, now=T0, ctx=CTX)
    with pytest.raises(ValueError, match="reason"):
        overrides.remove_opt_out(engine, value=CALLER, reason=reason, now=T0)
    with db.read_session(engine) as session:
        assert suppression.is_suppressed(session, CALLER)


def test_removing_an_opt_out_with_a_reason_lifts_it_and_keeps_the_row(engine: Engine) -> None:
    overrides.opt_out(engine, value=CALLER, now=T0, ctx=CTX)
    at = T0 + timedelta(hours=1)
    assert overrides.remove_opt_out(engine, value=NATIONAL, reason="asked us by letter", now=at)
    with db.read_session(engine) as session:
        assert not suppression.is_suppressed(session, CALLER)
        [entry] = suppression.entries(session, active_only=False)
    assert (entry.active, entry.lifted_at) == (False, at)
    assert "asked us by letter" in entry.lift_reason
    assert not overrides.remove_opt_out(engine, value=CALLER, reason="again", now=at)
    kinds = [e.kind for e in all_events(engine) if e.actor == "console"]
    assert kinds == ["suppressed", "suppression_lifted", "lift_ignored"]


def test_the_list_keys_a_number_in_e164_whatever_format_it_arrives_in(engine: Engine) -> None:
    with db.write_transaction(engine) as session:
        # A CRM's stored format: the entry must still stop sends to the E.164 caller.
        assert suppression.suppress(session, value=NATIONAL, source="crm", evidence="crm", at=T0)
    with db.read_session(engine) as session:
        assert suppression.is_suppressed(session, CALLER)
        assert [e.key for e in suppression.entries(session)] == [CALLER]
    assert overrides.remove_opt_out(engine, value="+44 7700 900101", reason="asked", now=T0)


@pytest.mark.parametrize("search", [NATIONAL, "900101", "+447700900101", "EXAMPLE.COM"])
def test_searching_the_opt_out_list_finds_a_number_typed_in_any_format(
    engine: Engine, search: str
) -> None:
    overrides.opt_out(engine, value=CALLER, now=T0, ctx=CTX)
    overrides.opt_out(engine, value=EMAIL, now=T0, ctx=CTX)
    overrides.opt_out(engine, value=OTHER, now=T0, ctx=CTX)
    with db.read_session(engine) as session:
        found = {e.key for e in suppression.entries(session, search=search)}
    assert found == ({EMAIL} if "@" in search or "." in search else {CALLER})
