"""core.overrides on a real SQLite file: the console's buttons on one recovery (cancel, pause,
call now, email now, set email, reached, won and lost), which never send anything themselves."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from core import db, overrides, repository
from core.domain import Attention, Channel, Outcome, PlaceCallback, SendEmail, StepStatus
from core.models import Attempt
from core.observations import ConsoleCommand
from tests.integration.support import (
    EMAIL,
    NO_LAYER2,
    PERSONAL_WORDS,
    T0,
    act,
    all_events,
    daemon_pass,
    in_progress,
    no_personal_data_in_events,
    state_of,
)

_every_event_holds_no_personal_data = no_personal_data_in_events(*PERSONAL_WORDS)


def test_cancel_closes_the_recovery_and_cancels_every_pending_step(engine: Engine) -> None:
    rid = in_progress(engine)
    applied = act(engine, rid, ConsoleCommand.CANCEL, at=T0 + timedelta(minutes=1))
    assert applied.claims == ()
    state = state_of(engine, rid)
    assert (state.outcome, state.outcome_reason) == (Outcome.CANCELLED, "console")
    assert state.callback_status is StepStatus.CANCELLED
    assert state.email_status is StepStatus.CANCELLED
    assert daemon_pass(engine, rid, T0 + timedelta(minutes=5)).claims == ()
    [event] = [e for e in all_events(engine) if e.kind == "cancelled"]
    assert event.actor == "console" and event.recovery_id == rid


def test_a_paused_recovery_holds_its_callback_and_resuming_rearms_nothing_that_expired(
    engine: Engine,
) -> None:
    rid = in_progress(engine)
    act(engine, rid, ConsoleCommand.PAUSE, at=T0 + timedelta(minutes=1))
    assert daemon_pass(engine, rid, T0 + timedelta(minutes=3)).claims == ()
    assert state_of(engine, rid).callback_reason == "held_paused"
    assert daemon_pass(engine, rid, T0 + timedelta(minutes=34)).claims == ()
    assert state_of(engine, rid).callback_status is StepStatus.EXPIRED
    resumed = act(engine, rid, ConsoleCommand.RESUME, at=T0 + timedelta(minutes=35))
    assert resumed.claims == ()
    state = state_of(engine, rid)
    assert not state.paused and state.callback_status is StepStatus.EXPIRED
    later = daemon_pass(engine, rid, T0 + timedelta(minutes=36))
    assert not [c for c in later.claims if isinstance(c.effect, PlaceCallback)]
    expired = [e for e in all_events(engine) if e.kind == "callback_expired"]
    assert len(expired) == 1 and expired[0].attention == Attention.EXPIRED_STEP


def test_call_now_is_kept_as_a_request_and_the_next_daemon_pass_places_it(
    engine: Engine,
) -> None:
    rid = in_progress(engine)
    clicked = T0 + timedelta(minutes=1)
    applied = act(engine, rid, ConsoleCommand.CALL_NOW, at=clicked)
    assert applied.claims == ()
    state = state_of(engine, rid)
    assert state.requested == "call_now" and state.next_action_at == clicked
    assert state.callback_status is StepStatus.PENDING
    with db.read_session(engine) as session:
        assert rid in repository.due_recovery_ids(session, clicked)
        assert session.exec(select(Attempt).where(Attempt.channel == "call")).first() is None
    placed = daemon_pass(engine, rid, clicked + timedelta(seconds=2))
    [claim] = placed.claims
    assert isinstance(claim.effect, PlaceCallback) and claim.effect.manual
    with db.read_session(engine) as session:
        attempt = session.get(Attempt, claim.attempt_id)
    assert attempt is not None and (attempt.channel, attempt.purpose) == ("call", "manual")
    state = state_of(engine, rid)
    assert state.requested == "" and state.callback_status is StepStatus.IN_FLIGHT


def test_call_now_with_layer_2_off_is_refused_with_a_reason_and_places_nothing(
    engine: Engine,
) -> None:
    rid = in_progress(engine)
    clicked = T0 + timedelta(minutes=1)
    act(engine, rid, ConsoleCommand.CALL_NOW, at=clicked, ctx=NO_LAYER2)
    later = daemon_pass(engine, rid, clicked + timedelta(seconds=2), ctx=NO_LAYER2)
    assert later.claims == ()
    assert state_of(engine, rid).requested == ""
    [refused] = [e for e in all_events(engine) if e.kind == "call_now_refused"]
    assert "not_configured" in refused.reason and refused.actor == "console"


def test_email_now_is_kept_as_a_request_and_the_next_daemon_pass_sends_it(engine: Engine) -> None:
    rid = in_progress(engine)
    assert overrides.set_email(engine, recovery_id=rid, email=EMAIL, now=T0)
    clicked = T0 + timedelta(minutes=1)
    assert act(engine, rid, ConsoleCommand.EMAIL_NOW, at=clicked).claims == ()
    assert state_of(engine, rid).requested == "email_now"
    sent = daemon_pass(engine, rid, clicked + timedelta(seconds=2))
    [claim] = sent.claims
    assert isinstance(claim.effect, SendEmail) and claim.effect.reason == "manual"
    with db.read_session(engine) as session:
        attempt = session.get(Attempt, claim.attempt_id)
    assert attempt is not None and (attempt.channel, attempt.to_address) == ("email", EMAIL)


def test_set_email_stores_a_trimmed_address_and_clears_with_an_empty_one(engine: Engine) -> None:
    rid = in_progress(engine)
    assert overrides.set_email(engine, recovery_id=rid, email="  " + EMAIL + " ", now=T0)
    assert state_of(engine, rid).email == EMAIL
    assert overrides.set_email(engine, recovery_id=rid, email="", now=T0)
    assert state_of(engine, rid).email == ""
    assert not overrides.set_email(engine, recovery_id=rid + 99, email=EMAIL, now=T0)
    kinds = [(e.kind, e.actor) for e in all_events(engine) if e.kind == "email_set"]
    assert kinds == [("email_set", "console")] * 2


@pytest.mark.parametrize("bad", ["caller.example.com", "caller @example.com"])
def test_set_email_refuses_something_that_is_not_an_email_address(engine: Engine, bad: str) -> None:
    rid = in_progress(engine)
    with pytest.raises(ValueError, match="email"):
        overrides.set_email(engine, recovery_id=rid, email=bad, now=T0)
    assert state_of(engine, rid).email == ""


def test_mark_reached_closes_the_recovery_as_reached_by_the_console(engine: Engine) -> None:
    rid = in_progress(engine)
    at = T0 + timedelta(minutes=2)
    assert act(engine, rid, ConsoleCommand.MARK_REACHED, at=at).claims == ()
    state = state_of(engine, rid)
    assert (state.outcome, state.reached_via, state.reached_at) == (Outcome.REACHED, "console", at)
    assert state.callback_status is StepStatus.CANCELLED


def test_a_closed_recovery_can_be_marked_won_with_a_value_and_then_lost(engine: Engine) -> None:
    rid = in_progress(engine)
    act(engine, rid, ConsoleCommand.MARK_REACHED, at=T0 + timedelta(minutes=2))
    act(engine, rid, ConsoleCommand.MARK_WON, at=T0 + timedelta(days=2), value=250.0)
    state = state_of(engine, rid)
    assert (state.won, state.won_value, state.outcome) == (True, 250.0, Outcome.REACHED)
    act(engine, rid, ConsoleCommand.MARK_LOST, at=T0 + timedelta(days=3))
    state = state_of(engine, rid)
    assert (state.won, state.won_value, state.outcome) == (False, None, Outcome.REACHED)


def test_console_overrides_never_send_anything_themselves(engine: Engine) -> None:
    rid = in_progress(engine)
    overrides.set_email(engine, recovery_id=rid, email=EMAIL, now=T0)
    at = T0 + timedelta(minutes=4)  # the callback is due: only the daemon's pass may claim it
    for command in (ConsoleCommand.CALL_NOW, ConsoleCommand.EMAIL_NOW, ConsoleCommand.PAUSE):
        assert act(engine, rid, command, at=at).claims == ()
    with db.read_session(engine) as session:
        channels = [a.channel for a in session.exec(select(Attempt)).all()]
    assert channels == [Channel.SMS.value]
