"""Fixtures for the contract tests: the trimmed vendor specs, the Twilio account the sandbox serves
(tests/conftest.py runs it on a hand-moved clock) and an adapter that reads it in small pages."""

from __future__ import annotations

import pytest

from daemon.adapters.twilio import TwilioAdapter
from daemon.sandbox import Sandbox
from tests.contract.openapi_check import SpecCheck, load

ACCOUNT_SID = "AC" + "fedcba9876543210" * 2
AUTH_TOKEN = "contract-auth-token"


@pytest.fixture(scope="session")
def twilio_spec() -> SpecCheck:
    return SpecCheck(load("twilio_api_v2010.json"), load("twilio_error.schema.json"))


@pytest.fixture
def twilio_account() -> tuple[str, str]:
    """The account SID and auth token the sandbox serves."""
    return ACCOUNT_SID, AUTH_TOKEN


@pytest.fixture
def twilio_adapter(sandbox: Sandbox) -> TwilioAdapter:
    return TwilioAdapter(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        api_base=sandbox.base_url,
        timeout=5,
        page_size=2,  # small pages, so that paging requests are checked too
    )
