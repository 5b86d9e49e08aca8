"""Two processes' writers on one SQLite file at once: no lost update, no "database is locked".

Each thread has its own engine on the same file, as the daemon and the console do.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from core import db, overrides, repository, services
from core.domain import Outcome
from core.models import Attempt, Event, Recovery
from core.observations import ConsoleCommand
from tests.integration.support import (
    CALLER,
    CTX,
    T0,
    opened_id,
    record_call,
    sms_accepted,
    state_of,
)

JOIN = 120  # seconds a thread may take before the test calls it stuck


def run_together(db_url: str, *workers: Callable[[Engine], None]) -> list[BaseException]:
    """Start every worker at the same instant, each with its own engine; return what they raised."""
    start = threading.Barrier(len(workers))
    raised: list[BaseException] = []

    def run(work: Callable[[Engine], None]) -> None:
        engine = db.make_engine(db_url)
        try:
            start.wait()
            work(engine)
        except BaseException as exc:
            raised.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN)
    assert not any(t.is_alive() for t in threads), "a writer is stuck"
    return raised


def in_progress(engine: Engine) -> int:
    """An open recovery whose SMS went; its callback is due at T0 + 3 min."""
    rid = opened_id(record_call(engine, "CA01", CALLER))
    sms_accepted(engine, rid, T0 + timedelta(seconds=7), now=T0 + timedelta(seconds=8))
    return rid


def test_the_console_cancelling_while_the_daemon_advances_loses_no_update(
    engine: Engine, db_url: str
) -> None:
    rid = in_progress(engine)
    version = state_of(engine, rid).version
    daemon_passes, toggles = 60, 30

    def daemon(eng: Engine) -> None:
        for i in range(daemon_passes):
            # Across the callback's due time, so the daemon claims it if nothing stops it.
            now = T0 + timedelta(minutes=2, seconds=4 * i)
            with db.read_session(eng) as session:
                session.exec(select(Recovery)).all()  # the console's page reads meanwhile
            services.advance(eng, recovery_id=rid, now=now, ctx=CTX)

    def console(eng: Engine) -> None:
        for i in range(toggles):
            command = ConsoleCommand.PAUSE if i % 2 == 0 else ConsoleCommand.RESUME
            at = T0 + timedelta(minutes=2, seconds=i)
            overrides.console_action(eng, recovery_id=rid, command=command, now=at, ctx=CTX)
        cancel_at = T0 + timedelta(minutes=3)
        overrides.console_action(
            eng, recovery_id=rid, command=ConsoleCommand.CANCEL, now=cancel_at, ctx=CTX
        )

    assert run_together(db_url, daemon, console) == []
    state = state_of(engine, rid)
    assert state.version == version + daemon_passes + toggles + 1  # every write kept
    assert state.outcome is Outcome.CANCELLED and not state.paused
    with db.read_session(engine) as session:
        kinds = [e.kind for e in session.exec(select(Event).where(Event.recovery_id == rid))]
        calls = session.exec(select(Attempt).where(Attempt.channel == "call")).all()
    assert (kinds.count("paused"), kinds.count("resumed"), kinds.count("cancelled")) == (15, 15, 1)
    assert len(calls) <= 1  # at most one automated callback, however the writes interleave


def test_the_same_call_read_by_two_writers_at_once_opens_one_recovery_and_one_sms(
    engine: Engine, db_url: str
) -> None:
    callers = [f"+4477009001{n:02d}" for n in range(10)]
    results: list[services.Applied | None] = []

    def reader(eng: Engine) -> None:
        for n, caller in enumerate(callers):
            results.append(record_call(eng, f"CA{n:02d}", caller))

    assert run_together(db_url, reader, reader) == []
    assert sum(r is not None for r in results) == len(callers)
    with db.read_session(engine) as session:
        assert len(session.exec(select(Recovery)).all()) == len(callers)
        assert len(session.exec(select(Attempt)).all()) == len(callers)


def test_two_missed_calls_from_one_number_at_once_join_one_recovery(
    engine: Engine, db_url: str
) -> None:
    callers = [f"+4477009002{n:02d}" for n in range(10)]

    def calls(prefix: str) -> Callable[[Engine], None]:
        def work(eng: Engine) -> None:
            for n, caller in enumerate(callers):
                record_call(eng, f"{prefix}{n:02d}", caller)

        return work

    assert run_together(db_url, calls("CA"), calls("CB")) == []
    with db.read_session(engine) as session:
        recoveries = session.exec(select(Recovery)).all()
        attempts = session.exec(select(Attempt)).all()
    assert sorted(r.caller for r in recoveries) == callers
    assert all(r.repeat_count == 2 and r.outcome is None for r in recoveries)
    assert len(attempts) == len(callers)  # one SMS each, never a second


def test_compare_and_set_rejects_a_write_based_on_a_stale_read(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    rid = in_progress(engine)
    stale = state_of(engine, rid)
    overrides.console_action(
        engine,
        recovery_id=rid,
        command=ConsoleCommand.CANCEL,
        now=T0 + timedelta(minutes=1),
        ctx=CTX,
    )
    cancelled = state_of(engine, rid)
    with db.read_session(engine) as session:
        events_before = len(session.exec(select(Event)).all())
        attempts_before = len(session.exec(select(Attempt)).all())

    # A writer that read the row before the cancel (as under READ COMMITTED on PostgreSQL).
    monkeypatch.setattr(repository, "get_recovery", lambda session, recovery_id: stale)
    with pytest.raises(services.StaleRecovery):
        services.advance(engine, recovery_id=rid, now=T0 + timedelta(minutes=3), ctx=CTX)
    monkeypatch.undo()

    assert state_of(engine, rid) == cancelled  # the cancel stands
    with db.read_session(engine) as session:
        assert len(session.exec(select(Event)).all()) == events_before
        assert len(session.exec(select(Attempt)).all()) == attempts_before  # no callback claim


def test_set_email_on_a_stale_read_writes_nothing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    rid = in_progress(engine)
    stale = state_of(engine, rid)
    with db.write_transaction(engine) as session:
        assert repository.compare_and_set(session, stale, replace(stale, first_name="Sam"))
    monkeypatch.setattr(repository, "get_recovery", lambda session, recovery_id: stale)
    assert not overrides.set_email(engine, recovery_id=rid, email="caller@example.com", now=T0)
    monkeypatch.undo()
    state = state_of(engine, rid)
    assert (state.first_name, state.email) == ("Sam", "")
    with db.read_session(engine) as session:
        assert not session.exec(select(Event).where(Event.kind == "email_set")).all()
