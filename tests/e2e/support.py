"""What the end-to-end tests share: the office's numbers and the daemon's environment, waiting
with a deadline, one `run_daemon.py` process, and the sandbox's Twilio account and the daemon's
SQLite file as a test shapes and reads them.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

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


def run_daemon_once(
    env: dict[str, str], *args: str, script: Path = ROOT / "run_daemon.py", cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """Run `run_daemon.py` to its end with exactly `env`; what it printed is kept as text."""
    return subprocess.run(
        [sys.executable, str(script), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


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


def wait_for_sms(
    sandbox: Sandbox, number: str = CALLER, *, what: str, deadline: float = SMS_DEADLINE
) -> list[dict[str, Any]]:
    """Wait until the daemon has created a message to `number`; return them, oldest first."""
    return wait_for(lambda: sms_to(sandbox, number), deadline=deadline, what=what)


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


def wait_for_recovery(
    database: Database,
    caller: str = CALLER,
    *,
    what: str,
    deadline: float = SMS_DEADLINE,
    **fields: object,
) -> Recovery:
    """Wait until the caller's latest recovery has every one of `fields`; return it."""

    def arrived() -> Recovery | None:
        recovery = database.recovery(caller)
        if recovery is None:
            return None
        return recovery if all(getattr(recovery, k) == v for k, v in fields.items()) else None

    found: Recovery = wait_for(arrived, deadline=deadline, what=what)
    return found


def wait_passes(database: Database, count: int = 2, *, deadline: float = 10.0) -> None:
    """Wait until the daemon has finished `count` more passes (one starts after this call)."""
    for _ in range(count):
        mark = now()

        def beaten(mark: datetime = mark) -> bool:
            beat = database.heartbeat()
            return beat is not None and beat.beat_at is not None and beat.beat_at > mark

        wait_for(beaten, deadline=deadline, what="the daemon's next pass")
