"""How the Twilio adapter classifies failures (VENDORS.md), each produced for real by the sandbox
over HTTP: Twilio's error codes, 429s, 5xx, timeouts and dropped connections."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from core.domain import SendFailure
from daemon.adapters.errors import (
    AdapterError,
    CannotReceive,
    ConfigError,
    Permanent,
    RateLimited,
    Suppress,
    Transient,
)
from daemon.adapters.twilio import TwilioAdapter, classify_error
from daemon.sandbox import Sandbox
from tests.integration.conftest import ACCOUNT_SID, AUTH_TOKEN, CALLER, OUR_SMS_NUMBER
from tests.sandbox_support import CALLS, MESSAGES, START


def _send(adapter: TwilioAdapter, to: str = CALLER, from_: str = OUR_SMS_NUMBER) -> str:
    return adapter.send_sms(to=to, from_number=from_, body="Hi there")


def _assert_no_personal_data(error: AdapterError) -> None:
    text = str(error)
    assert "7700900" not in text and "Hi there" not in text and "4496" not in text


@pytest.mark.parametrize(
    ("prepare", "to", "from_", "kind", "code"),
    [
        (lambda box: box.twilio.mark_landline(CALLER, refuse=True), CALLER, OUR_SMS_NUMBER,
         CannotReceive, 21614),
        (lambda box: None, "+4477", OUR_SMS_NUMBER, CannotReceive, 21211),
        (lambda box: box.twilio.mark_number(CALLER, refuse_code=21408), CALLER, OUR_SMS_NUMBER,
         CannotReceive, 21408),
        (lambda box: box.twilio.add_inbound_message(from_=CALLER, to=OUR_SMS_NUMBER, body="STOP"),
         CALLER, OUR_SMS_NUMBER, Suppress, 21610),
        (lambda box: None, CALLER, "+441134960000", ConfigError, 21606),
        (lambda box: None, CALLER, "+442079460000", ConfigError, 21606),
        (lambda box: None, CALLER, "not a number!", ConfigError, 21212),
    ],
    ids=["landline-refused", "invalid-to", "country-not-enabled", "stop", "uk-geographic-113",
         "uk-geographic-207", "invalid-from"],
)  # fmt: skip
def test_twilio_refusals_of_a_create_map_to_their_error_family(
    sandbox: Sandbox,
    twilio_adapter: TwilioAdapter,
    prepare: Callable[[Sandbox], object],
    to: str,
    from_: str,
    kind: type[AdapterError],
    code: int,
) -> None:
    prepare(sandbox)

    with pytest.raises(kind) as raised:
        _send(twilio_adapter, to=to, from_=from_)

    assert (raised.value.status, raised.value.code) == (400, code)
    assert raised.value.failure is kind.failure
    _assert_no_personal_data(raised.value)
    assert sandbox.twilio.sent_messages() == []


def test_start_lifts_twilios_block_so_the_next_create_is_accepted(
    sandbox: Sandbox, twilio_adapter: TwilioAdapter
) -> None:
    sandbox.twilio.add_inbound_message(from_=CALLER, to=OUR_SMS_NUMBER, body="Stop")
    with pytest.raises(Suppress):
        _send(twilio_adapter)
    sandbox.twilio.add_inbound_message(from_=CALLER, to=OUR_SMS_NUMBER, body="START")

    assert _send(twilio_adapter).startswith("SM")


def test_any_other_4xx_on_a_create_is_permanent(twilio_adapter: TwilioAdapter) -> None:
    with pytest.raises(Permanent) as raised:
        twilio_adapter.send_sms(to=CALLER, from_number=OUR_SMS_NUMBER, body="x" * 1601)

    assert (raised.value.status, raised.value.code) == (400, 21617)


def test_a_429_on_a_create_is_rate_limited_with_the_servers_retry_after(
    sandbox: Sandbox, twilio_adapter: TwilioAdapter
) -> None:
    sandbox.faults.add(method="POST", path=MESSAGES, action="status", status=429, retry_after=7)

    with pytest.raises(RateLimited) as raised:
        _send(twilio_adapter)

    assert (raised.value.code, raised.value.retry_after) == (20429, 7.0)
    assert sandbox.twilio.sent_messages() == []


def test_a_429_on_a_list_is_rate_limited(sandbox: Sandbox, twilio_adapter: TwilioAdapter) -> None:
    sandbox.faults.add(method="GET", path=CALLS, action="status", status=429, retry_after=2)

    with pytest.raises(RateLimited) as raised:
        twilio_adapter.list_calls(since=START)

    assert raised.value.retry_after == 2.0


def test_a_full_queue_21611_is_rate_limited(
    sandbox: Sandbox, twilio_adapter: TwilioAdapter
) -> None:
    sandbox.faults.add(method="POST", path=MESSAGES, action="status", status=400, code=21611)

    with pytest.raises(RateLimited) as raised:
        _send(twilio_adapter)

    assert (raised.value.code, raised.value.retry_after) == (21611, None)


def test_a_5xx_on_a_create_is_ambiguous_and_on_a_read_merely_transient(
    sandbox: Sandbox, twilio_adapter: TwilioAdapter
) -> None:
    sandbox.faults.add(method="POST", path=MESSAGES, action="status", status=500)
    sandbox.faults.add(method="GET", path=MESSAGES, action="status", status=503)
    sandbox.faults.add(
        method="GET", path=MESSAGES[:-5] + "/{Sid}.json", action="status", status=502
    )

    with pytest.raises(Transient) as create:
        _send(twilio_adapter)
    with pytest.raises(Transient) as listing:
        twilio_adapter.list_inbound_messages(to=OUR_SMS_NUMBER, since=START)
    with pytest.raises(Transient) as fetch:
        twilio_adapter.fetch_message("SM" + "0" * 32)

    assert (create.value.status, create.value.ambiguous) == (500, True)
    assert (listing.value.status, listing.value.ambiguous) == (503, False)
    assert (fetch.value.status, fetch.value.ambiguous) == (502, False)


@pytest.mark.parametrize("read", ["list", "fetch"])
def test_wrong_credentials_are_a_configuration_error_on_reads_and_creates(
    sandbox: Sandbox, read: str
) -> None:
    adapter = TwilioAdapter(
        account_sid=ACCOUNT_SID, auth_token="not-the-token", api_base=sandbox.base_url, timeout=2
    )

    with pytest.raises(ConfigError) as on_read:
        if read == "list":
            adapter.list_calls(since=START)
        else:
            adapter.fetch_call("CA" + "0" * 32)
    with pytest.raises(ConfigError) as on_create:
        _send(adapter)

    assert (on_read.value.status, on_read.value.code) == (401, 20003)
    assert (on_create.value.status, on_create.value.code) == (401, 20003)


def test_an_unknown_call_is_a_permanent_404(twilio_adapter: TwilioAdapter) -> None:
    with pytest.raises(Permanent) as raised:
        twilio_adapter.fetch_call("CA" + "0" * 32)

    assert (raised.value.status, raised.value.code) == (404, 20404)


def test_an_answer_slower_than_the_timeout_is_transient(sandbox: Sandbox) -> None:
    adapter = TwilioAdapter(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        api_base=sandbox.base_url,
        timeout=0.3,
    )
    sandbox.faults.add(method="GET", path=CALLS, action="delay", delay=3)
    sandbox.faults.add(method="POST", path=MESSAGES, action="delay", delay=3)

    with pytest.raises(Transient) as read:
        adapter.list_calls(since=START)
    with pytest.raises(Transient) as create:
        _send(adapter)

    assert (read.value.status, read.value.ambiguous, str(read.value)) == (
        None,
        False,
        "twilio: timed out",
    )
    assert create.value.ambiguous


def test_a_dropped_connection_is_transient_and_ambiguous_for_a_create(
    sandbox: Sandbox, twilio_adapter: TwilioAdapter
) -> None:
    sandbox.faults.add(method="GET", path=CALLS, action="drop")
    sandbox.faults.add(method="POST", path=MESSAGES, action="drop")

    with pytest.raises(Transient) as read:
        twilio_adapter.list_calls(since=START - timedelta(hours=1))
    with pytest.raises(Transient) as create:
        _send(twilio_adapter)

    assert (read.value.ambiguous, create.value.ambiguous) == (False, True)
    assert sandbox.twilio.sent_messages() == []  # dropped before the sandbox handled it
    assert twilio_adapter.list_calls(since=START - timedelta(hours=1)) == []  # fault used up


@pytest.mark.parametrize(
    ("status", "code", "creating", "kind"),
    [
        (429, 20429, False, RateLimited),
        (400, 21611, True, RateLimited),
        (400, 21610, True, Suppress),
        (400, 21211, True, CannotReceive),
        (400, 21614, True, CannotReceive),
        (400, 21408, True, CannotReceive),
        (400, 21606, True, ConfigError),
        (400, 21212, True, ConfigError),
        (401, 20003, False, ConfigError),
        (403, 20403, False, Permanent),
        (400, 21617, True, Permanent),
        (500, 20500, True, Transient),
        (None, None, True, Transient),
    ],
)
def test_classify_error_follows_the_vendor_table(
    status: int | None, code: int | None, creating: bool, kind: type[AdapterError]
) -> None:
    error = classify_error(status, code, creating=creating)

    assert type(error) is kind
    assert (
        error.failure
        is {
            RateLimited: SendFailure.RATE_LIMITED,
            Suppress: SendFailure.SUPPRESS,
            CannotReceive: SendFailure.CANNOT_RECEIVE,
            ConfigError: SendFailure.CONFIG,
            Permanent: SendFailure.PERMANENT,
            Transient: SendFailure.TRANSIENT,
        }[kind]
    )
    if isinstance(error, Transient):
        assert error.ambiguous is creating
