"""core.overrides on a real SQLite file: console buttons, the opt-out list, erasure, settings."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from core import calendar, db, intake, overrides, repository, services, settings_store, suppression
from core.domain import (
    Attention,
    CallVerdict,
    Channel,
    Outcome,
    PlaceCallback,
    Policy,
    RecoveryState,
    SendEmail,
    StepStatus,
)
from core.models import Attempt, Event, InboundCall, InboundMessage, Suppression
from core.observations import ConsoleCommand, SmsAccepted

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # a Tuesday; London is on UTC in December
LINE = "+441134960000"
CALLER = "+447700900101"
NATIONAL = "07700 900101"
OTHER = "+447700900202"
EMAIL = "caller@example.com"
BODY = "Yes please, the boiler is leaking"
FIRST_NAME = "Samantha"
WINDOW = calendar.CallingWindow(
    hours=calendar.DEFAULT_HOURS, timezone="Europe/London", bank_holidays="england"
)
CTX = services.Context(
    policy=Policy(layer2_on=True, layer3_on=True), window=WINDOW, business_numbers=frozenset({LINE})
)
NO_LAYER2 = replace(CTX, policy=replace(CTX.policy, layer2_on=False))


def missed(engine: Engine, sid: str, caller: str = CALLER, *, ended: datetime = T0) -> int:
    """Record a missed call and return its (new or joined) recovery's id."""
    applied = intake.record_call(
        engine,
        sid=sid,
        caller_raw=caller,
        to_number=LINE,
        status="completed",
        verdict=CallVerdict.MISSED,
        reason="test",
        ended_at=ended,
        seen_at=ended + timedelta(seconds=5),
        ctx=CTX,
    )
    assert applied is not None and applied.decision.state.id is not None
    return applied.decision.state.id


def sms_went(engine: Engine, recovery_id: int, at: datetime, body: str = "") -> None:
    """What the sender records: the body on the attempt before the call, then Twilio's answer."""
    with db.write_transaction(engine) as session:
        for attempt in session.exec(select(Attempt).where(Attempt.recovery_id == recovery_id)):
            attempt.body, attempt.result, attempt.finished_at = body, "accepted", at
            session.add(attempt)
    services.advance(
        engine,
        recovery_id=recovery_id,
        observations=[SmsAccepted(at=at, message_sid="SM" + "1" * 32)],
        now=at,
        ctx=CTX,
        sends=False,
    )


def text_from_caller(engine: Engine, sid: str, body: str, at: datetime) -> None:
    intake.record_message(
        engine,
        sid=sid,
        sender_raw=CALLER,
        to_number=LINE,
        body=body,
        sent_at=at,
        seen_at=at,
        ctx=CTX,
    )


def in_progress(engine: Engine, caller: str = CALLER) -> int:
    """An open recovery whose SMS went; its callback is due at T0 + 3 min."""
    rid = missed(engine, "CA01", caller)
    sms_went(engine, rid, T0 + timedelta(seconds=7))
    return rid


def act(
    engine: Engine,
    rid: int,
    command: ConsoleCommand,
    *,
    at: datetime,
    ctx: services.Context = CTX,
    value: float | None = None,
) -> services.Applied:
    applied = overrides.console_action(
        engine, recovery_id=rid, command=command, now=at, ctx=ctx, value=value
    )
    assert applied is not None
    return applied


def daemon_pass(
    engine: Engine, rid: int, at: datetime, ctx: services.Context = CTX
) -> services.Applied:
    applied = services.advance(engine, recovery_id=rid, now=at, ctx=ctx)
    assert applied is not None
    return applied


def state_of(engine: Engine, recovery_id: int) -> RecoveryState:
    with db.read_session(engine) as session:
        state = repository.get_recovery(session, recovery_id)
    assert state is not None
    return state


def all_events(engine: Engine) -> list[Event]:
    with db.read_session(engine) as session:
        return list(session.exec(select(Event).order_by(Event.id)).all())  # type: ignore[arg-type]


def assert_events_hold_no_personal_data(engine: Engine) -> None:
    for event in all_events(engine):
        text = " ".join([event.kind, event.reason, event.actor, event.attention or ""])
        assert not re.search(r"\d{7,}", text.replace(" ", "")), text
        assert "@" not in text, text
        for word in ("boiler", FIRST_NAME, "Acme"):
            assert word.lower() not in text.lower(), text


@pytest.fixture(autouse=True)
def _every_event_holds_no_personal_data(engine: Engine) -> Iterator[None]:
    yield
    assert_events_hold_no_personal_data(engine)


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


def _personal_values(db_url: str) -> list[tuple[str, str]]:
    """Every (table, value) in the file that still holds one of the person's details."""
    needles = (CALLER, NATIONAL, EMAIL, "boiler", FIRST_NAME)
    found = []
    con = sqlite3.connect(db.sqlite_path(db_url))  # type: ignore[arg-type]
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in con.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    text = str(value).lower()
                    if any(n.lower() in text for n in needles):
                        found.append((table, str(value)))
    finally:
        con.close()
    return found


def _a_persons_history(engine: Engine) -> tuple[int, int, int]:
    """A reached recovery with an SMS and a reply, a STOP then START, and an open recovery."""
    first = missed(engine, "CA01")
    sms_went(engine, first, T0 + timedelta(seconds=7), body=f"Hi {FIRST_NAME}, sorry we missed")
    for sid, body, minutes in (("SM01", BODY, 1), ("SM02", "STOP", 2), ("SM03", "START", 3)):
        text_from_caller(engine, sid, body, T0 + timedelta(minutes=minutes))
    # The second call's caller ID came in national format.
    second = missed(engine, "CA02", NATIONAL, ended=T0 + timedelta(days=2))
    overrides.set_email(engine, recovery_id=second, email=EMAIL, now=T0 + timedelta(days=2))
    with db.write_transaction(engine) as session:
        state = repository.get_recovery(session, second)
        assert state is not None
        repository.compare_and_set(session, state, replace(state, first_name=FIRST_NAME))
    overrides.opt_out(engine, value=EMAIL, now=T0 + timedelta(days=2), ctx=CTX)
    other = missed(engine, "CA03", OTHER, ended=T0 + timedelta(days=2))
    return first, second, other


def test_erasing_a_person_blanks_their_data_everywhere_but_keeps_timeline_and_suppression(
    engine: Engine, db_url: str
) -> None:
    first, second, other = _a_persons_history(engine)
    assert state_of(engine, second).outcome is None
    assert_events_hold_no_personal_data(engine)
    before = [(e.id, e.kind, e.recovery_id) for e in all_events(engine)]
    other_before = state_of(engine, other)

    erased = overrides.erase_person(engine, number=NATIONAL, now=T0 + timedelta(days=3), ctx=CTX)

    assert erased == 2
    for rid in (first, second):
        state = state_of(engine, rid)
        assert (state.caller, state.email, state.first_name) == ("", "", "")
    assert state_of(engine, first).outcome is Outcome.REACHED
    assert (state_of(engine, second).outcome, state_of(engine, second).outcome_reason) == (
        Outcome.CANCELLED,
        "console",
    )
    with db.read_session(engine) as session:
        attempts = session.exec(select(Attempt).where(Attempt.recovery_id == first)).all()
        calls = {c.sid: c.caller for c in session.exec(select(InboundCall)).all()}
        messages = session.exec(select(InboundMessage)).all()
        keys = {(s.key, s.active) for s in session.exec(select(Suppression)).all()}
    assert attempts and all((a.to_address, a.body) == ("", "") for a in attempts)
    assert calls["CA01"] == calls["CA02"] == "" and calls["CA03"] == OTHER
    assert len(messages) == 3 and all((m.sender, m.body) == ("", "") for m in messages)
    assert keys == {(CALLER, False), (EMAIL, True)}
    assert _personal_values(db_url) == [("suppression", CALLER), ("suppression", EMAIL)]
    after = [(e.id, e.kind, e.recovery_id) for e in all_events(engine)]
    assert after[: len(before)] == before
    assert [k for _, k, r in after[len(before) :] if r is None] == ["erased"]
    assert state_of(engine, other) == other_before
    assert_events_hold_no_personal_data(engine)


def test_erasing_someone_with_only_a_stop_blanks_the_message_and_keeps_the_entry(
    engine: Engine,
) -> None:
    text_from_caller(engine, "SM01", "STOP", T0)
    assert overrides.erase_person(engine, number=CALLER, now=T0, ctx=CTX) == 0
    with db.read_session(engine) as session:
        stored = session.get(InboundMessage, "SM01")
        assert suppression.is_suppressed(session, CALLER)
    assert stored is not None and (stored.sender, stored.body) == ("", "")
    assert [e.kind for e in all_events(engine)] == ["suppressed", "erased"]


def test_saving_a_setting_stores_it_and_its_event_never_holds_the_value(
    engine: Engine, db_url: str
) -> None:
    overrides.save_setting(engine, name="RECOVERY_COMPANY_NAME", value="Acme Plumbing", now=T0)
    overrides.save_setting(engine, name="RECOVERY_COMPANY_NAME", value="Acme Heating", now=T0)
    assert settings_store.read_saved(db_url) == {"RECOVERY_COMPANY_NAME": "Acme Heating"}
    events = [e for e in all_events(engine) if e.kind == "setting_changed"]
    assert len(events) == 2 and all("RECOVERY_COMPANY_NAME" in e.reason for e in events)
    assert all(e.actor == "console" for e in events)


def test_saving_none_drops_the_saved_value_so_the_environment_applies_again(
    engine: Engine, db_url: str
) -> None:
    overrides.save_setting(engine, name="RECOVERY_PAUSED", value="true", now=T0)
    overrides.save_setting(engine, name="RECOVERY_PAUSED", value=None, now=T0)
    assert settings_store.read_saved(db_url) == {}
    assert [e.reason for e in all_events(engine)][-1] == "RECOVERY_PAUSED: saved value dropped"


def test_read_saved_on_a_database_that_does_not_exist_reads_nothing_and_creates_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "absent" / "recovery.db"
    assert settings_store.read_saved(f"sqlite:///{path}") == {}
    assert not path.exists()


def test_console_overrides_never_send_anything_themselves(engine: Engine) -> None:
    rid = in_progress(engine)
    overrides.set_email(engine, recovery_id=rid, email=EMAIL, now=T0)
    at = T0 + timedelta(minutes=4)  # the callback is due: only the daemon's pass may claim it
    for command in (ConsoleCommand.CALL_NOW, ConsoleCommand.EMAIL_NOW, ConsoleCommand.PAUSE):
        assert act(engine, rid, command, at=at).claims == ()
    with db.read_session(engine) as session:
        channels = [a.channel for a in session.exec(select(Attempt)).all()]
    assert channels == [Channel.SMS.value]
