"""End-to-end fixtures: the real daemon as a subprocess against an in-process sandbox.

Besides the sandbox and the daemon, `database` reads the daemon's SQLite file (rows as the daemon
wrote them); tests/e2e/support.py holds what the tests call to shape and read them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from core import db as core_db
from daemon.sandbox import Sandbox
from tests.e2e.support import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    COMPANY,
    LINE,
    SMS_FROM,
    Daemon,
    Database,
)


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


@pytest.fixture
def database(daemon_env: dict[str, str]) -> Iterator[Database]:
    """The daemon's database (schema created up front, so it can be read before the first pass)."""
    engine = core_db.make_engine(daemon_env["DATABASE_URL"])
    core_db.create_schema(engine)
    yield Database(engine)
    engine.dispose()
