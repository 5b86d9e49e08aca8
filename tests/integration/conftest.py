"""Fixtures for the adapters against the sandbox: the Twilio account it serves (tests/conftest.py
runs it on loopback on a hand-moved clock), and a Twilio adapter pointed at it with the real SDK."""

from __future__ import annotations

import pytest

from daemon.adapters.twilio import TwilioAdapter
from daemon.sandbox import Sandbox

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "integration-auth-token"
OUR_SMS_NUMBER = "+447700900001"
OUR_LINE = "+441134960000"
CALLER = "+447700900123"
ACCOUNT = f"/2010-04-01/Accounts/{ACCOUNT_SID}"  # the account's own path on the API


@pytest.fixture
def twilio_account() -> tuple[str, str]:
    """The account SID and auth token the sandbox serves."""
    return ACCOUNT_SID, AUTH_TOKEN


@pytest.fixture
def twilio_adapter(sandbox: Sandbox) -> TwilioAdapter:
    return TwilioAdapter(
        account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, api_base=sandbox.base_url, timeout=5
    )
