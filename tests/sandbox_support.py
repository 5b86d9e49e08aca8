"""Test support for the tests against the sandbox: a clock the test moves by hand, Twilio's routes
as the sandbox names them, and the requests the sandbox recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from daemon.sandbox import Sandbox
from daemon.sandbox.store import RecordedRequest

START = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)  # a Tuesday morning
# Twilio's routes as the sandbox names them (faults are added per route).
CALLS = "/2010-04-01/Accounts/{AccountSid}/Calls.json"
MESSAGES = "/2010-04-01/Accounts/{AccountSid}/Messages.json"


class ManualClock:
    """A clock that only moves when the test says so."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def twilio_requests(sandbox: Sandbox, method: str, path_end: str = "") -> list[RecordedRequest]:
    """The requests the sandbox's Twilio API received with `method` to a path ending `path_end`."""
    return [
        r for r in sandbox.requests("twilio") if r.method == method and r.path.endswith(path_end)
    ]


def queries(sandbox: Sandbox, path_end: str) -> list[dict[str, str]]:
    """The query parameters of each GET to a path ending `path_end`, oldest first."""
    return [dict(r.query) for r in twilio_requests(sandbox, "GET", path_end)]
