"""Fixtures for the contract tests: the trimmed vendor specs, a sandbox, a hand-moved clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from daemon.adapters.twilio import TwilioAdapter
from daemon.sandbox import Sandbox
from tests.contract.openapi_check import SpecCheck, load

ACCOUNT_SID = "AC" + "fedcba9876543210" * 2
AUTH_TOKEN = "contract-auth-token"
START = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


class ManualClock:
    """A clock that only moves when the test says so."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(scope="session")
def twilio_spec() -> SpecCheck:
    return SpecCheck(load("twilio_api_v2010.json"), load("twilio_error.schema.json"))


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
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        api_base=sandbox.base_url,
        timeout=5,
        page_size=2,  # small pages, so that paging requests are checked too
    )
