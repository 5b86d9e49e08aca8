"""End-to-end fixtures: the real daemon as a subprocess against an in-process sandbox."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from daemon.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT_SID = "AC" + "e2e0" * 8
AUTH_TOKEN = "e2e-auth-token"
LINE = "+441134960100"  # a recovered line (forwards to the office phone)
SMS_FROM = "+447700900001"  # the SMS-capable mobile long code
OFFICE = "+441134960199"  # where LINE forwards to
COMPANY = "Acme Plumbing"


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
