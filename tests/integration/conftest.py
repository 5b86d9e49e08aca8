"""Fixtures for the adapters against the sandbox: a running sandbox on loopback, a clock the test
moves by hand, and a Twilio adapter pointed at the sandbox with the real SDK."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from daemon.adapters.twilio import TwilioAdapter
from daemon.sandbox import Sandbox

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "integration-auth-token"
START = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)  # a Tuesday morning
OUR_SMS_NUMBER = "+447700900001"
OUR_LINE = "+441134960000"
CALLER = "+447700900123"


class ManualClock:
    """A clock that only moves when the test says so."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def sandbox(clock: ManualClock) -> Iterator[Sandbox]:
    box = Sandbox(
        host="127.0.0.1",
        port=0,
        clock=clock,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
    ).start()
    yield box
    box.stop()


@pytest.fixture
def twilio_adapter(sandbox: Sandbox) -> TwilioAdapter:
    return TwilioAdapter(
        account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, api_base=sandbox.base_url, timeout=5
    )
