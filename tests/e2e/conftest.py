"""End-to-end fixtures: the real daemon as a subprocess against an in-process sandbox.

Besides the sandbox and the daemon, `db` reads the daemon's SQLite file (rows as the daemon wrote
them), and `missed_call` / `sms_to` shape and read the sandbox's Twilio account.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine
from sqlmodel import SQLModel, col, select

from core import db as core_db
from core.models import Attempt, Event, Heartbeat, InboundCall, Recovery
from daemon.sandbox import ChildLeg, Sandbox

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT_SID = "AC" + "e2e0" * 8
AUTH_TOKEN = "e2e-auth-token"
LINE = "+441134960100"  # a recovered line (forwards to the office phone)
SMS_FROM = "+447700900001"  # the SMS-capable mobile long code
OFFICE = "+441134960199"  # where LINE forwards to
COMPANY = "Acme Plumbing"
CALLER = "+447700900123"  # a UK mobile (drama range)
STOP_LINE = "Reply STOP to opt out."
SMS_DEADLINE = 10.0  # a guard, not a target: the smoke run sends in about a second

Row = TypeVar("Row", bound=SQLModel)


def wait_for(condition: Callable[[], Any], *, deadline: float = 10.0, what: str = "") -> Any:
    """Poll `condition` until it is truthy or the deadline passes (then fail, saying what)."""
    end = time.monotonic() + deadline
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {deadline}s waiting for {what or condition}")
        time.sleep(0.05)


@dataclass
class Daemon:
    """One `run_daemon.py` process and what it printed."""

    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self) -> Daemon:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "run_daemon.py")],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.starts.append(self.proc)
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=10)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    box = Sandbox(twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN).start()
    yield box
    box.stop()


@pytest.fixture
def daemon_env(sandbox: Sandbox, tmp_path: Path) -> dict[str, str]:
    """A complete environment for the daemon (nothing from the machine's own but PATH)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "RECOVERY_ENV_FILE": "none",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'e2e.db'}",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_NUMBERS": LINE,
        "TWILIO_SMS_FROM": SMS_FROM,
        "TWILIO_API_BASE": sandbox.base_url,
        "RECOVERY_COMPANY_NAME": COMPANY,
        "RECOVERY_POLL_SECONDS": "1",
        "RECOVERY_MAX_CATCHUP_MINUTES": "2",
    }


@pytest.fixture
def daemon(daemon_env: dict[str, str], tmp_path: Path) -> Iterator[Daemon]:
    d = Daemon(env=daemon_env, log_path=tmp_path / "daemon.log")
    yield d
    for proc in d.starts:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def now() -> datetime:
    """The real time, aware UTC (the sandbox and the daemon both run on it here)."""
    return datetime.now(UTC)


def missed_call(
    sandbox: Sandbox,
    caller: str = CALLER,
    *,
    to: str = LINE,
    ended: datetime | None = None,
    child_status: str = "no-answer",
    answered_by: str | None = None,
) -> str:
    """An inbound call to `to` forwarded to the office phone; returns the parent's SID.

    By default nobody answers the forward (a missed call); `child_status="completed"` with
    `answered_by=None` is an answered call, with `answered_by="machine_start"` a machine.
    """
    ended = ended or now()
    leg = ChildLeg(to=OFFICE, status=child_status, answered_by=answered_by)
    added = sandbox.twilio.add_inbound_call(
        from_=caller, to=to, start=ended - timedelta(seconds=25), end=ended, children=[leg]
    )
    return added.sid


def sms_to(sandbox: Sandbox, number: str = CALLER) -> list[dict[str, Any]]:
    """The messages the daemon created to `number`, oldest first, as Twilio renders them."""
    return sandbox.twilio.sent_messages(to=number)


class Database:
    """Read access to the daemon's SQLite file, as it stands at each call."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def rows(self, model: type[Row], *where: Any) -> list[Row]:
        with core_db.read_session(self.engine) as session:
            query = select(model)
            for clause in where:
                query = query.where(clause)
            return list(session.exec(query).all())

    def recoveries(self, caller: str | None = None) -> list[Recovery]:
        where = [] if caller is None else [Recovery.caller == caller]
        return sorted(self.rows(Recovery, *where), key=lambda r: r.id or 0)

    def recovery(self, caller: str = CALLER) -> Recovery | None:
        """The caller's latest recovery."""
        found = self.recoveries(caller)
        return found[-1] if found else None

    def call(self, sid: str) -> InboundCall | None:
        found = self.rows(InboundCall, InboundCall.sid == sid)
        return found[0] if found else None

    def events(self, recovery_id: int | None) -> list[Event]:
        rows = self.rows(Event, col(Event.recovery_id) == recovery_id)
        return sorted(rows, key=lambda e: (e.at, e.id or 0))

    def event_kinds(self, recovery_id: int | None) -> list[str]:
        return [e.kind for e in self.events(recovery_id)]

    def attempts(self, recovery_id: int | None = None) -> list[Attempt]:
        where = [] if recovery_id is None else [Attempt.recovery_id == recovery_id]
        return sorted(self.rows(Attempt, *where), key=lambda a: a.id or 0)

    def heartbeat(self) -> Heartbeat | None:
        found = self.rows(Heartbeat)
        return found[0] if found else None


@pytest.fixture
def database(daemon_env: dict[str, str]) -> Iterator[Database]:
    """The daemon's database (schema created up front, so it can be read before the first pass)."""
    engine = core_db.make_engine(daemon_env["DATABASE_URL"])
    core_db.create_schema(engine)
    yield Database(engine)
    engine.dispose()


def wait_passes(database: Database, count: int = 2, *, deadline: float = 10.0) -> None:
    """Wait until the daemon has finished `count` more passes (one starts after this call)."""
    for _ in range(count):
        mark = now()

        def beaten(mark: datetime = mark) -> bool:
            beat = database.heartbeat()
            return beat is not None and beat.beat_at is not None and beat.beat_at > mark

        wait_for(beaten, deadline=deadline, what="the daemon's next pass")
