"""Shell: the soak's daemon: `run_daemon.py` as a subprocess, its restarts and its log.

The daemon gets a clean environment (PATH and the soak's settings only, RECOVERY_ENV_FILE=none),
so a developer's `.env` or shell never leaks in. Every start appends to one log file, which
`scan_log` reads at the end for errors nobody expected.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from itertools import takewhile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STOP_DEADLINE = 45.0  # a pass stuck in three 10 s vendor timeouts still ends well inside this

# Warnings the soak provokes on purpose (vendor faults) or by its settings; anything else is listed.
EXPECTED_WARNINGS = {
    "vendor fault seen by the adapter": re.compile(r"WARNING twilio [a-z ]+ failed: "),
    "pass ended early by a vendor fault": re.compile(r"WARNING pass ended early: "),
    "429: reads paused": re.compile(r"WARNING Twilio asks us to slow down"),
    "look-up after an ambiguous create failed": re.compile(r"WARNING attempt \d+: look-up failed"),
    "soak settings outside the console's ranges": re.compile(r"outside the console's range"),
    "layers 2 and 3 not built": re.compile(r"WARNING layers 2 and 3 are not built yet"),
}
UNEXPECTED = re.compile(r"Traceback|\b(ERROR|CRITICAL)\b|^error: ")


def daemon_env(
    *, database_url: str, api_base: str, account_sid: str, auth_token: str, line: str, sms_from: str
) -> dict[str, str]:
    """The daemon's whole environment: one recovered line, an SMS number, 1 s polls."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "RECOVERY_ENV_FILE": "none",
        "DATABASE_URL": database_url,
        "TWILIO_ACCOUNT_SID": account_sid,
        "TWILIO_AUTH_TOKEN": auth_token,
        "TWILIO_NUMBERS": line,
        "TWILIO_SMS_FROM": sms_from,
        "TWILIO_API_BASE": api_base,
        "RECOVERY_COMPANY_NAME": "Soak Test Plumbing",
        "RECOVERY_POLL_SECONDS": "1",
        "RECOVERY_MAX_CATCHUP_MINUTES": "2",
        "RECOVERY_COOLDOWN_HOURS": "24",
    }


@dataclass
class DaemonProcess:
    """One daemon at a time; remembers every start, signal and exit code."""

    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    kills: int = 0
    terms: int = 0
    problems: list[str] = field(default_factory=list)

    def start(self) -> None:
        """Start a new daemon process (the previous one must have exited)."""
        assert self.proc is None or self.proc.poll() is not None
        with self.log_path.open("ab") as log:
            log.write(f"----- soak: daemon start {self.starts + 1}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                [sys.executable, str(ROOT / "run_daemon.py")],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1

    @property
    def alive(self) -> bool:
        """True while the current process runs."""
        return self.proc is not None and self.proc.poll() is None

    def exit_code(self) -> int | None:
        """The current process's exit code, None while it runs."""
        return None if self.proc is None else self.proc.poll()

    def kill(self) -> None:
        """SIGKILL, as `kill -9` would, and reap it."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.kills += 1

    def terminate(self, *, what: str) -> int | None:
        """SIGTERM and wait; records a problem unless it exits 0 within the deadline."""
        assert self.proc is not None
        if self.proc.poll() is not None:
            self.problems.append(f"{what}: the daemon had already exited ({self.proc.returncode})")
            return self.proc.returncode
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        self.terms += 1
        try:
            code = self.proc.wait(timeout=STOP_DEADLINE)
        except subprocess.TimeoutExpired:
            self.problems.append(f"{what}: no exit {STOP_DEADLINE:.0f} s after SIGTERM (killed)")
            self.proc.kill()
            self.proc.wait(timeout=10)
            return None
        if code != 0:
            self.problems.append(f"{what}: SIGTERM ended the daemon with exit code {code}")
        elif time.monotonic() - started > STOP_DEADLINE / 2:
            self.problems.append(f"{what}: stopping took {time.monotonic() - started:.0f} s")
        return code

    def reap(self) -> None:
        """Kill whatever still runs (the soak is ending early)."""
        if self.alive:
            assert self.proc is not None
            self.proc.kill()
            self.proc.wait(timeout=10)

    def log_text(self) -> str:
        """Everything every start printed."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass
class LogScan:
    """What the daemon's log holds besides INFO lines."""

    unexpected: list[str]
    expected: Counter[str]
    other_warnings: list[str]


def scan_log(text: str) -> LogScan:
    """Sort the log's warning and error lines into expected, other and unexpected."""
    unexpected: list[str] = []
    expected: Counter[str] = Counter()
    others: list[str] = []
    lines = text.splitlines()
    for at, line in enumerate(lines):
        if line.startswith((" ", "\t")):
            continue  # inside a traceback: reported with its first and last lines below
        if line.startswith("Traceback"):
            block = takewhile(lambda x: x.startswith((" ", "\t")), lines[at + 1 :])
            end = at + 1 + sum(1 for _ in block)
            last = lines[end].strip() if end < len(lines) else "(log ends)"
            unexpected.append(f"Traceback ... {last}")
            continue
        if UNEXPECTED.search(line):
            unexpected.append(line.strip())
            continue
        if " WARNING " not in line:
            continue
        label = next((k for k, p in EXPECTED_WARNINGS.items() if p.search(line)), None)
        if label is None:
            others.append(line.strip())
        else:
            expected[label] += 1
    return LogScan(unexpected, expected, others)
