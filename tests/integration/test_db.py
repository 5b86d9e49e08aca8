"""The data layer on a real SQLite file with the production engine settings."""

from __future__ import annotations

import dataclasses
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from core import db, repository, suppression
from core.domain import RecoveryState
from core.models import Recovery

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def _new(engine: Engine, caller: str = "+447700900101") -> RecoveryState:
    with db.write_transaction(engine) as s:
        return repository.insert_recovery(s, RecoveryState(caller=caller, first_missed_at=T0))


def test_sqlite_runs_in_wal_mode_with_a_30_second_busy_timeout(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_write_transaction_takes_the_write_lock_before_its_first_statement(
    engine: Engine, db_url: str
) -> None:
    other = sqlite3.connect(db.sqlite_path(db_url), timeout=0)  # type: ignore[arg-type]
    with db.write_transaction(engine), pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")
    other.rollback()


def test_utc_column_gives_back_the_same_instant_with_its_zone(engine: Engine) -> None:
    plus_two = datetime(2026, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    with db.write_transaction(engine) as s:
        rid = repository.insert_recovery(
            s, RecoveryState(caller="+447700900102", first_missed_at=plus_two)
        ).id
    with db.read_session(engine) as s:
        got = repository.get_recovery(s, rid)  # type: ignore[arg-type]
    assert got is not None
    assert got.first_missed_at == plus_two
    assert got.first_missed_at.tzinfo == UTC


def test_utc_column_refuses_a_naive_datetime(engine: Engine) -> None:
    with pytest.raises(Exception, match="naive"), db.write_transaction(engine) as s:
        s.add(Recovery(caller="+447700900103", first_missed_at=datetime(2026, 1, 1)))
        s.flush()


def test_state_survives_a_round_trip_through_its_row(engine: Engine) -> None:
    state = _new(engine)
    changed = dataclasses.replace(state, repeat_count=3, won=True, won_value=250.0)
    with db.write_transaction(engine) as s:
        assert repository.compare_and_set(s, state, changed)
    with db.read_session(engine) as s:
        got = repository.get_recovery(s, state.id)  # type: ignore[arg-type]
    assert got == dataclasses.replace(changed, version=state.version + 1)


def test_compare_and_set_refuses_a_stale_version(engine: Engine) -> None:
    state = _new(engine)
    with db.write_transaction(engine) as s:
        assert repository.compare_and_set(s, state, dataclasses.replace(state, repeat_count=2))
    with db.write_transaction(engine) as s:
        assert not repository.compare_and_set(s, state, dataclasses.replace(state, paused=True))
    with db.read_session(engine) as s:
        got = repository.get_recovery(s, state.id)  # type: ignore[arg-type]
    assert got is not None and got.repeat_count == 2 and not got.paused


def _increment(url: str, rid: int, times: int) -> None:
    eng = db.make_engine(url)
    for _ in range(times):
        with db.write_transaction(eng) as s:
            cur = repository.get_recovery(s, rid)
            assert cur is not None
            new = dataclasses.replace(cur, repeat_count=cur.repeat_count + 1)
            assert repository.compare_and_set(s, cur, new)
    eng.dispose()


def test_two_writers_at_once_lose_no_update(engine: Engine, db_url: str) -> None:
    rid = _new(engine).id
    assert rid is not None
    threads = [threading.Thread(target=_increment, args=(db_url, rid, 40)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    with db.read_session(engine) as s:
        got = repository.get_recovery(s, rid)
    assert got is not None and got.repeat_count == 81


def test_create_schema_adds_columns_missing_from_an_older_database(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE heartbeat (id INTEGER PRIMARY KEY, pid INTEGER)")
    con.execute("INSERT INTO heartbeat (id, pid) VALUES (1, 42)")
    con.commit()
    con.close()
    eng = db.make_engine(f"sqlite:///{path}")
    db.create_schema(eng)
    with eng.connect() as conn:
        cols = {r[1] for r in conn.execute(text("PRAGMA table_info(heartbeat)"))}
        assert {"last_error", "beat_at", "config_errors"} <= cols
        assert conn.execute(text("SELECT pid FROM heartbeat")).scalar() == 42
    eng.dispose()


_HOLD = (
    "import sys, time\nfrom core import db\nwith db.instance_lock(sys.argv[1]):\n"
    "    print('held', flush=True)\n    time.sleep(60)\n"
)


def test_instance_lock_refuses_a_second_holder_and_frees_on_kill(db_url: str) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, db_url], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(db.AlreadyRunning), db.instance_lock(db_url):
            pass
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
    with db.instance_lock(db_url):
        pass


def test_a_lift_keeps_the_row_and_a_new_opt_out_reactivates_it(engine: Engine) -> None:
    with db.write_transaction(engine) as s:
        assert suppression.suppress(s, value="+447700900104", source="sms", evidence="STOP", at=T0)
        assert not suppression.suppress(s, value="+447700900104", source="sms", evidence="", at=T0)
        assert suppression.suppress(
            s, value="Someone@Example.com", source="email", evidence="unsub", at=T0
        )
    with db.write_transaction(engine) as s:
        assert suppression.is_suppressed(s, "someone@example.com")
        assert suppression.lift(s, value="+447700900104", reason="START", at=T0)
        assert not suppression.is_suppressed(s, "+447700900104")
        assert suppression.last_lift(s, "+447700900104") == T0
    with db.read_session(engine) as s:
        keys = {e.key for e in suppression.entries(s, active_only=False)}
    assert keys == {"+447700900104", "someone@example.com"}
