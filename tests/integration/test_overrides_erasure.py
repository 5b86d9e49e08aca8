"""core.overrides on a real SQLite file: erasing a person everywhere but the timeline and the
opt-out list, and saved settings whose events never hold the value."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import select

from core import db, overrides, repository, settings_store, suppression
from core.domain import Outcome
from core.models import Attempt, InboundCall, InboundMessage, Suppression
from tests.integration.support import (
    BODY,
    CALLER,
    CTX,
    EMAIL,
    FIRST_NAME,
    NATIONAL,
    OTHER,
    PERSONAL_WORDS,
    T0,
    all_events,
    assert_events_hold_no_personal_data,
    no_personal_data_in_events,
    opened_id,
    record_call,
    record_message,
    sms_went,
    state_of,
)

_every_event_holds_no_personal_data = no_personal_data_in_events(*PERSONAL_WORDS)


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
    first = opened_id(record_call(engine, "CA01"))
    sms_went(engine, first, T0 + timedelta(seconds=7), body=f"Hi {FIRST_NAME}, sorry we missed")
    for sid, body, minutes in (("SM01", BODY, 1), ("SM02", "STOP", 2), ("SM03", "START", 3)):
        at = T0 + timedelta(minutes=minutes)
        record_message(engine, sid, body, sent=at, seen=at)
    # The second call's caller ID came in national format.
    second = opened_id(record_call(engine, "CA02", NATIONAL, ended=T0 + timedelta(days=2)))
    overrides.set_email(engine, recovery_id=second, email=EMAIL, now=T0 + timedelta(days=2))
    with db.write_transaction(engine) as session:
        state = repository.get_recovery(session, second)
        assert state is not None
        repository.compare_and_set(session, state, replace(state, first_name=FIRST_NAME))
    overrides.opt_out(engine, value=EMAIL, now=T0 + timedelta(days=2), ctx=CTX)
    other = opened_id(record_call(engine, "CA03", OTHER, ended=T0 + timedelta(days=2)))
    return first, second, other


def test_erasing_a_person_blanks_their_data_everywhere_but_keeps_timeline_and_suppression(
    engine: Engine, db_url: str
) -> None:
    first, second, other = _a_persons_history(engine)
    assert state_of(engine, second).outcome is None
    assert_events_hold_no_personal_data(engine, *PERSONAL_WORDS)
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
    assert_events_hold_no_personal_data(engine, *PERSONAL_WORDS)


def test_erasing_someone_with_only_a_stop_blanks_the_message_and_keeps_the_entry(
    engine: Engine,
) -> None:
    record_message(engine, "SM01", "STOP", sent=T0, seen=T0)
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
