"""Shared fixtures: no test touches the internet, databases are real SQLite files, and the sandbox
runs on loopback on a clock the test moves (each folder that uses it names its Twilio account)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from core import db
from daemon.sandbox import Sandbox
from tests.sandbox_support import START, ManualClock

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _is_loopback(host: object) -> bool:
    if not isinstance(host, str):
        return True  # AF_UNIX paths and the like
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection beyond loopback fails loudly."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def _check(sock: socket.socket, address: object) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(host):
            raise RuntimeError(f"test tried to reach {host!r}: tests never touch the internet")

    def connect(sock: socket.socket, address: object) -> None:
        _check(sock, address)
        real_connect(sock, address)  # type: ignore[arg-type]

    def connect_ex(sock: socket.socket, address: object) -> int:
        _check(sock, address)
        return real_connect_ex(sock, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'recovery.db'}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """The production engine on a real SQLite file, schema created."""
    eng = db.make_engine(db_url)
    db.create_schema(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def sandbox(clock: ManualClock, twilio_account: tuple[str, str]) -> Iterator[Sandbox]:
    """A sandbox on 127.0.0.1 and a free port, on `clock`, serving the folder's Twilio account."""
    account_sid, auth_token = twilio_account
    box = Sandbox(
        host="127.0.0.1",
        port=0,
        clock=clock,
        twilio_account_sid=account_sid,
        twilio_auth_token=auth_token,
    ).start()
    yield box
    box.stop()
