"""Sandbox: shared state behind one lock: the sandbox clock, the request log and reset hooks.

Each vendor emulator keeps its own records but takes this lock around every read and write, and
reads time only from `Store.now()`, so tests (and the demo) can move the sandbox clock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real time, aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class RecordedRequest:
    """One vendor request the sandbox received and what it answered (for contract tests)."""

    vendor: str
    method: str
    path: str
    route: str | None  # the templated path that matched, None if nothing did
    query: tuple[tuple[str, str], ...]
    form: tuple[tuple[str, str], ...]
    json_body: Any
    status: int | None  # None when the connection was dropped without an answer
    response: Any
    fault: str | None = None
    at: datetime = field(default_factory=system_clock)  # answered (or given up)
    received: datetime | None = None  # arrived; a stalled request is logged long after this

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able view for the control API."""
        return {
            "vendor": self.vendor,
            "method": self.method,
            "path": self.path,
            "route": self.route,
            "query": [list(pair) for pair in self.query],
            "form": [list(pair) for pair in self.form],
            "json": self.json_body,
            "status": self.status,
            "response": self.response,
            "fault": self.fault,
            "at": self.at.isoformat(),
        }


class Store:
    """The lock, the clock and the request log shared by every vendor emulator."""

    def __init__(self, clock: Clock = system_clock) -> None:
        self.lock = threading.RLock()
        self._clock = clock
        self._offset = timedelta(0)
        self._requests: list[RecordedRequest] = []
        self._reset_hooks: list[Callable[[], None]] = []

    def now(self) -> datetime:
        """The sandbox's current time: the clock plus the offset, aware UTC."""
        with self.lock:
            offset = self._offset
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the sandbox clock must return an aware datetime")
        return now.astimezone(UTC) + offset

    @property
    def offset(self) -> timedelta:
        """How far the sandbox clock is ahead of the clock it was given."""
        with self.lock:
            return self._offset

    def set_offset(self, offset: timedelta) -> None:
        """Put the sandbox clock `offset` ahead of the given clock."""
        with self.lock:
            self._offset = offset

    def shift(self, delta: timedelta) -> None:
        """Move the sandbox clock by `delta` (forward when positive)."""
        with self.lock:
            self._offset += delta

    def record(self, entry: RecordedRequest) -> None:
        """Append one vendor request to the log."""
        with self.lock:
            self._requests.append(entry)

    def requests(self, vendor: str | None = None) -> list[RecordedRequest]:
        """The recorded vendor requests, oldest first, optionally of one vendor only."""
        with self.lock:
            return [r for r in self._requests if vendor is None or r.vendor == vendor]

    def on_reset(self, hook: Callable[[], None]) -> None:
        """Call `hook` (under the lock) whenever the sandbox is reset."""
        self._reset_hooks.append(hook)

    def reset(self) -> None:
        """Forget every record, the request log and the clock offset."""
        with self.lock:
            self._offset = timedelta(0)
            self._requests.clear()
            for hook in self._reset_hooks:
                hook()
