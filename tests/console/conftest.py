"""Console fixtures: a real SQLite file seeded through core.repository, handed to the app."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from console import data
from core import db, repository
from core.domain import Actor, Event, Outcome, RecoveryState, StepStatus

APP = Path(__file__).resolve().parents[2] / "console" / "app.py"
URGENT_NUMBER = "+447700900123"  # open, called twice
NAMED_NUMBER = "+447700900456"  # open, first name known
REACHED_NUMBER = "+441134960789"  # closed: reached
FULL_NUMBERS = (URGENT_NUMBER, NAMED_NUMBER, REACHED_NUMBER)


@dataclass(frozen=True)
class Seeded:
    """The ids of the seeded recoveries and the instant they were seeded around."""

    now: datetime
    urgent_id: int
    named_id: int
    reached_id: int
    withheld_id: int


@pytest.fixture
def console_url(db_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The database the app reads, with no password and no display settings from the shell."""
    monkeypatch.setenv(data.URL_VARIABLE, db_url)
    for name in ("CONSOLE_PASSWORD", "RECOVERY_TIMEZONE", "RECOVERY_POLL_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    data.clear_cache()
    yield db_url
    data.clear_cache()


def insert(engine: Engine, state: RecoveryState, events: list[Event] | None = None) -> int:
    """Store a recovery (and its timeline) the way the daemon does; returns its id."""
    with db.write_transaction(engine) as session:
        stored = repository.insert_recovery(session, state)
        assert stored.id is not None
        repository.add_events(session, stored.id, events or [])
        return stored.id


def seed(engine: Engine, now: datetime) -> Seeded:
    """Two open recoveries (one urgent), one reached, one withheld caller not contacted."""
    first = now - timedelta(minutes=3)
    urgent_id = insert(
        engine,
        RecoveryState(
            caller=URGENT_NUMBER,
            first_missed_at=first,
            repeat_count=2,
            sms_status=StepStatus.DONE,
            sms_due_at=first,
            sms_done_at=first + timedelta(seconds=4),
            callback_due_at=now + timedelta(minutes=2),
            next_action_at=now + timedelta(minutes=2),
            contacted_at=first + timedelta(seconds=4),
        ),
        [
            Event(at=first, kind="missed_call", reason="missed call on the main line"),
            Event(at=first + timedelta(seconds=4), kind="sms_sent", reason="layer 1 SMS accepted"),
            Event(
                at=first + timedelta(minutes=1),
                kind="repeat_call",
                reason="called again while open",
                actor=Actor.CALLER,
            ),
        ],
    )
    named_id = insert(
        engine,
        RecoveryState(
            caller=NAMED_NUMBER,
            first_name="Priya",
            first_missed_at=now - timedelta(minutes=10),
            sms_status=StepStatus.IN_FLIGHT,
            next_action_at=now,
        ),
    )
    reached_id = insert(
        engine,
        RecoveryState(
            caller=REACHED_NUMBER,
            first_missed_at=now - timedelta(hours=3),
            outcome=Outcome.REACHED,
            outcome_reason="reply",
            outcome_at=now - timedelta(hours=2),
            sms_status=StepStatus.DONE,
            callback_status=StepStatus.CANCELLED,
            email_status=StepStatus.CANCELLED,
        ),
        [Event(at=now - timedelta(hours=2), kind="reached", reason="reply received")],
    )
    withheld_id = insert(
        engine,
        RecoveryState(
            caller="anonymous",
            first_missed_at=now - timedelta(hours=5),
            outcome=Outcome.NOT_CONTACTED,
            outcome_reason="withheld",
            outcome_at=now - timedelta(hours=5),
        ),
    )
    return Seeded(now, urgent_id, named_id, reached_id, withheld_id)


@pytest.fixture
def seeded(engine: Engine, console_url: str) -> Seeded:
    """The seeded database, around the real clock (the app reads the real clock)."""
    return seed(engine, datetime.now(UTC))
