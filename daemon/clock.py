"""Shell: the daemon's clock, the only place outside tests that reads the time of day.

The demo runs daemon, sandbox and simulator on one shifted clock (real speed, another date), so a
clock is an object passed around, never `datetime.now()` called deep inside the code.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class Clock:
    """UTC now, optionally shifted by a fixed offset."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    @classmethod
    def starting_at(cls, start: datetime) -> Clock:
        """A clock that reads `start` now and runs at real speed from there."""
        return cls(start - datetime.now(UTC))


Now = Callable[[], datetime]
