"""Shell: the console's only door to core: cached reads, returned as pandas DataFrames.

Nothing here builds SQL: every read goes through `core.repository`, `core.settings_store` and
`core.db.read_session`. Caller numbers never leave this module unmasked (last three digits only).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from console.app_pages import live_rows
from core import db, repository, settings_store
from core.config import load_environment, resolve_database_url
from core.config_formats import parse_decimal, parse_timezone, value_of
from core.domain import RecoveryState

PROJECT_ROOT = Path(__file__).resolve().parent.parent
URL_VARIABLE = "RECOVERY_CONSOLE_DATABASE_URL"  # set by run_console.py
CACHE_SECONDS = 2  # below the page's 3 s refresh, so each refresh sees new rows
CLOSED_SHOWN = 50
DEFAULT_POLL_SECONDS = 5.0
MIN_STALE_SECONDS = 10.0  # one slow tick must not make a healthy daemon look dead
LONDON = "Europe/London"


@dataclass(frozen=True)
class DaemonHealth:
    """The daemon's heartbeat as the sidebar shows it."""

    running: bool
    beat_at: datetime | None
    last_poll_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    config_errors: tuple[str, ...]
    stale_after: timedelta


@dataclass(frozen=True)
class DisplaySettings:
    """The operating settings the console needs to show times: saved wins over the environment."""

    zone: ZoneInfo
    poll_seconds: float


def console_environment() -> Mapping[str, str]:
    """The environment: as run_console.py passed it, else the real one over `.env`."""
    if value_of(os.environ, URL_VARIABLE) is not None:
        return os.environ
    merged, _problems = load_environment(project_root=PROJECT_ROOT, environ=os.environ)
    return merged


def database_url() -> str:
    """The database the console reads (run_console.py's choice, else DATABASE_URL)."""
    environment = console_environment()
    chosen = value_of(environment, URL_VARIABLE)
    if chosen is not None:
        return chosen
    url = resolve_database_url(value_of(environment, "DATABASE_URL"), project_root=PROJECT_ROOT)
    if url is None:
        raise ValueError("DATABASE_URL is not a valid database URL")
    return url


def console_password() -> str | None:
    """CONSOLE_PASSWORD, or None when the console is open to whoever can reach it."""
    return value_of(console_environment(), "CONSOLE_PASSWORD")


def _file_identity(url: str) -> int | None:
    # The demo daemon moves data/demo.db aside and starts a new file: a new inode, a new engine.
    path = db.sqlite_path(url)
    return path.stat().st_ino if path is not None and path.exists() else None


@st.cache_resource(max_entries=4, show_spinner=False)
def _engine(
    url: str, identity: int | None
) -> Any:  # an Engine: the console never imports sqlalchemy
    engine = db.make_engine(url)
    db.create_schema(engine)  # a console started before the daemon still has tables to read
    return engine


def engine_for(url: str) -> Any:
    """The shared engine for `url`, with the production settings."""
    return _engine(url, _file_identity(url))


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _recovery_states(url: str) -> list[RecoveryState]:
    with db.read_session(engine_for(url)) as session:
        open_rows = repository.list_recoveries(session, open_only=True)
        recent = repository.list_recoveries(session, limit=len(open_rows) + CLOSED_SHOWN)
        rows = open_rows + [r for r in recent if r.outcome is not None][:CLOSED_SHOWN]
        return [repository.to_state(row) for row in rows]


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _timeline_rows(url: str, recovery_id: int) -> list[tuple[datetime, str, str, str, str]]:
    with db.read_session(engine_for(url)) as session:
        return [
            (e.at, e.kind, e.reason, e.actor, e.attention or "")
            for e in repository.timeline(session, recovery_id)
        ]


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _saved_settings(url: str) -> dict[str, str]:
    with db.read_session(engine_for(url)) as session:
        return settings_store.saved_settings(session)


def display_settings(url: str) -> DisplaySettings:
    """The time zone and poll interval in force (saved, else environment, else default)."""
    saved, environment = _saved_settings(url), console_environment()

    def effective(name: str) -> str | None:
        return value_of(saved, name) or value_of(environment, name)

    zone_text, problems = parse_timezone(effective("RECOVERY_TIMEZONE") or LONDON)
    zone = ZoneInfo(LONDON if problems else zone_text)
    poll, problems = parse_decimal(effective("RECOVERY_POLL_SECONDS") or "")
    return DisplaySettings(zone=zone, poll_seconds=DEFAULT_POLL_SECONDS if problems else poll)


def daemon_health(url: str, *, now: datetime) -> DaemonHealth:
    """The heartbeat row, judged: not running when older than about three poll intervals."""
    with db.read_session(engine_for(url)) as session:
        row = settings_store.heartbeat(session)
    poll = display_settings(url).poll_seconds
    stale_after = timedelta(seconds=max(3 * poll, MIN_STALE_SECONDS))
    running = row.beat_at is not None and now - row.beat_at <= stale_after
    return DaemonHealth(
        running=running,
        beat_at=row.beat_at,
        last_poll_at=row.last_poll_at,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
        config_errors=tuple(line for line in row.config_errors.splitlines() if line.strip()),
        stale_after=stale_after,
    )


def live_frame(url: str, *, now: datetime, zone: ZoneInfo) -> pd.DataFrame:
    """Open recoveries (urgent first, newest first), then the recently closed ones."""
    states = _recovery_states(url)
    open_ = sorted(
        (s for s in states if s.is_open),
        key=lambda s: (not s.urgent, -s.first_missed_at.timestamp()),
    )
    closed = sorted(
        (s for s in states if not s.is_open),
        key=lambda s: -(s.outcome_at or s.first_missed_at).timestamp(),
    )
    rows = [live_rows.row(s, now=now, zone=zone) for s in [*open_, *closed]]
    return pd.DataFrame(rows, columns=list(live_rows.COLUMNS))


def timeline_frame(url: str, recovery_id: int, *, zone: ZoneInfo) -> pd.DataFrame:
    """The recovery's timeline, oldest first: time, kind, reason, actor, attention."""
    rows = [
        (live_rows.local_time(at, zone, seconds=True), kind, reason, actor, attention)
        for at, kind, reason, actor, attention in _timeline_rows(url, recovery_id)
    ]
    return pd.DataFrame(rows, columns=["Time", "Kind", "Reason", "Actor", "Attention"])


def clear_cache() -> None:
    """Forget cached reads (after a write, or between tests)."""
    _recovery_states.clear()
    _timeline_rows.clear()
    _saved_settings.clear()


def now_utc(url: str) -> datetime:
    """The console's clock: aware UTC, on the daemon's clock (the demo's runs on another day)."""
    with db.read_session(engine_for(url)) as session:
        offset = settings_store.heartbeat(session).clock_offset_s or 0.0
    return datetime.now(UTC) + timedelta(seconds=offset)
