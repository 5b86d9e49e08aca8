"""Shell: the database engine and everything that differs between SQLite and PostgreSQL.

Nothing outside this module is specific to one database: the engine (SQLite in WAL mode with a
30 s busy timeout and foreign keys), the UTC column type, `write_transaction()` (SQLite
`BEGIN IMMEDIATE`, so that a read-then-write never loses an update), schema creation that adds
missing columns, and `instance_lock(url)`, the one-daemon-per-database lock that the operating
system releases on death.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000
_PG_LOCK_KEY = 0x4D43_5256  # "MCRV": one advisory lock id for the daemon


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes stored as naive UTC, read back aware (SQLite drops zones silently)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for an in-memory database or another database."""
    if not is_sqlite(url):
        return None
    path = url.split("///", 1)[1] if "///" in url else ""
    if not path or path == ":memory:":
        return None
    return Path(path)


def make_engine(url: str) -> Engine:
    """The production engine for `url`, with the settings every process must share."""
    if not is_sqlite(url):
        return create_engine(url, pool_pre_ping=True)
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry) -> None:
        # Autocommit at the driver level: we issue BEGIN ourselves (the driver's own BEGIN is
        # deferred, which raises "database is locked" on a read-then-write under contention).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def create_schema(engine: Engine) -> None:
    """Create missing tables, and add missing nullable columns to existing ones."""
    from core import models  # noqa: F401  (registers the tables)

    SQLModel.metadata.create_all(engine)
    inspector = inspect(engine)
    with engine.begin() as conn:
        for table in SQLModel.metadata.sorted_tables:
            present = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in present:
                    continue
                ddl_type = column.type.compile(dialect=engine.dialect)
                default = _ddl_default(column.default)
                log.info("adding column %s.%s", table.name, column.name)
                conn.execute(
                    text(
                        f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {ddl_type}{default}'
                    )
                )


def _ddl_default(default: Any) -> str:
    value = getattr(default, "arg", None)
    if isinstance(value, bool):
        return f" DEFAULT {int(value)}"
    if isinstance(value, int | float):
        return f" DEFAULT {value}"
    if isinstance(value, str):
        return " DEFAULT '" + value.replace("'", "''") + "'"
    return ""


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reads; nothing it changes is committed."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Session]:
    """A session whose transaction takes the write lock at its start and commits on success."""
    bound = (
        engine.execution_options(sqlite_begin="IMMEDIATE") if is_sqlite(str(engine.url)) else engine
    )
    with Session(bound, expire_on_commit=False) as session, session.begin():
        session.connection()  # take the lock now, not at the first statement
        yield session


class AlreadyRunning(Exception):
    """Another process holds this database's instance lock."""


@contextmanager
def instance_lock(url: str) -> Iterator[None]:
    """Hold the one-daemon-per-database lock; the OS releases it if the process dies."""
    path = sqlite_path(url)
    if is_sqlite(url):
        if path is None:
            yield
            return
        lock_path = path.with_name(path.name + ".lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise AlreadyRunning(str(lock_path)) from exc
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
            yield
        finally:
            os.close(fd)
        return
    engine = create_engine(url)
    with engine.connect() as conn:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _PG_LOCK_KEY}).scalar()
        if not got:
            raise AlreadyRunning(url.split("@")[-1])
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_KEY})
    engine.dispose()
