"""Shell: saved operating settings and the daemon's heartbeat, as stored in the database."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, select

from core import db
from core.models import Heartbeat, SavedSetting

log = logging.getLogger(__name__)


def saved_settings(session: Session) -> dict[str, str]:
    """Every saved operating setting, by variable name."""
    return {row.name: row.value for row in session.exec(select(SavedSetting)).all()}


def read_saved(database_url: str) -> dict[str, str]:
    """Saved settings for start-up checks; an absent database has none (and is not created)."""
    path = db.sqlite_path(database_url)
    if path is not None and not path.exists():
        return {}
    engine = db.make_engine(database_url)
    try:
        db.create_schema(engine)
        with db.read_session(engine) as session:
            return saved_settings(session)
    finally:
        engine.dispose()


def save_setting(session: Session, *, name: str, value: str | None, at: datetime) -> None:
    """Save a setting (None drops the saved value, so the environment's applies again)."""
    row = session.get(SavedSetting, name)
    if value is None:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        session.add(SavedSetting(name=name, value=value, saved_at=at))
    else:
        row.value, row.saved_at, row.version = value, at, row.version + 1
        session.add(row)


def heartbeat(session: Session) -> Heartbeat:
    """The heartbeat row (created empty if the daemon never ran)."""
    row = session.get(Heartbeat, 1)
    return row if row is not None else Heartbeat(id=1)


def beat(
    engine: Engine,
    *,
    at: datetime,
    pid: int,
    polled: bool = False,
    error: str | None = None,
    config_errors: str | None = None,
    layers: str | None = None,
    clock_offset_s: float | None = None,
) -> None:
    """Record that the daemon is alive, and optionally its last poll, error and channel state."""
    with db.write_transaction(engine) as session:
        row = session.get(Heartbeat, 1) or Heartbeat(id=1, started_at=at)
        if row.pid != pid:
            row.pid, row.started_at = pid, at
        row.beat_at = at
        if polled:
            row.last_poll_at = at
        if error is not None:
            row.last_error, row.last_error_at = error, at
        if config_errors is not None:
            row.config_errors = config_errors
        if layers is not None:
            row.layers = layers
        if clock_offset_s is not None:
            row.clock_offset_s = clock_offset_s
        session.add(row)
