"""The Twilio adapter against the sandbox over HTTP with the real SDK: inbound messages since an
instant, sending, delivery status by the sandbox clock, and the look-up after an ambiguous
create."""

from __future__ import annotations

from datetime import timedelta

import pytest

from daemon.adapters.errors import Transient
from daemon.adapters.twilio import TwilioAdapter
from daemon.sandbox import Sandbox
from tests.integration.conftest import CALLER, OUR_SMS_NUMBER
from tests.sandbox_support import MESSAGES, START, ManualClock, queries


def test_inbound_messages_since_an_instant_leave_out_older_and_outbound_ones(
    sandbox: Sandbox, twilio_adapter: TwilioAdapter
) -> None:
    twilio = sandbox.twilio
    since = START - timedelta(minutes=10)
    twilio.add_inbound_message(
        from_=CALLER, to=OUR_SMS_NUMBER, body="old", at=since - timedelta(seconds=1)
    )
    first = twilio.add_inbound_message(from_=CALLER, to=OUR_SMS_NUMBER, body="", at=since)
    twilio.add_inbound_message(from_=CALLER, to="+447700900002", body="other line")
    second = twilio.add_inbound_message(from_="+447700900456", to=OUR_SMS_NUMBER, body="Hi")
    twilio_adapter.send_sms(to=CALLER, from_number=OUR_SMS_NUMBER, body="ours")

    found = twilio_adapter.list_inbound_messages(to=OUR_SMS_NUMBER, since=since)

    assert [m.sid for m in found] == [first, second]
    assert all(m.direction == "inbound" and m.status == "received" for m in found)
    assert queries(sandbox, "/Messages.json")[0]["DateSent>"] == "2026-03-10T00:00:00Z"


def test_inbound_messages_are_read_back_across_days(
    sandbox: Sandbox, twilio_adapter: TwilioAdapter
) -> None:
    sids = [
        sandbox.twilio.add_inbound_message(
            from_=CALLER, to=OUR_SMS_NUMBER, body=f"day {days}", at=START - timedelta(days=days)
        )
        for days in (3, 2, 1)
    ]

    found = twilio_adapter.list_inbound_messages(to=OUR_SMS_NUMBER, since=START - timedelta(days=4))

    assert [m.sid for m in found] == sids


def test_a_sent_message_is_queued_then_sent_then_delivered_by_the_sandbox_clock(
    sandbox: Sandbox, twilio_adapter: TwilioAdapter, clock: ManualClock
) -> None:
    sid = twilio_adapter.send_sms(to=CALLER, from_number=OUR_SMS_NUMBER, body="Hi there")
    queued = twilio_adapter.fetch_message(sid)
    clock.advance(2)
    sent = twilio_adapter.fetch_message(sid)
    clock.advance(10)
    delivered = twilio_adapter.fetch_message(sid)

    assert (queued.status, queued.date_sent, queued.is_final) == ("queued", None, False)
    assert sent.status == "sent" and sent.date_sent is not None
    assert (delivered.status, delivered.error_code, delivered.is_final) == ("delivered", None, True)


@pytest.mark.parametrize("code", [30003, 30005, 30006])
def test_a_landline_marked_failing_ends_undelivered_with_its_error_code(
    sandbox: Sandbox, twilio_adapter: TwilioAdapter, clock: ManualClock, code: int
) -> None:
    sandbox.twilio.mark_landline("+441134960123", fail_code=code)
    sid = twilio_adapter.send_sms(to="+441134960123", from_number=OUR_SMS_NUMBER, body="Hi")
    clock.advance(60)

    message = twilio_adapter.fetch_message(sid)

    assert (message.status, message.error_code, message.is_final) == ("undelivered", code, True)


def test_an_sms_to_an_unmarked_uk_landline_is_accepted_as_twilio_does(
    sandbox: Sandbox, twilio_adapter: TwilioAdapter, clock: ManualClock
) -> None:
    sid = twilio_adapter.send_sms(to="+442079460123", from_number=OUR_SMS_NUMBER, body="Hi")
    clock.advance(60)

    assert twilio_adapter.fetch_message(sid).status == "delivered"


def test_an_ambiguous_create_is_found_exactly_once_by_the_look_up(
    sandbox: Sandbox, twilio_adapter: TwilioAdapter, clock: ManualClock
) -> None:
    attempt = START + timedelta(microseconds=700_000)  # our clock; Twilio stamps whole seconds
    clock.now = attempt
    body = "Hi there, sorry we missed your call."
    sandbox.faults.add(method="POST", path=MESSAGES, action="drop_response")
    with pytest.raises(Transient) as raised:
        twilio_adapter.send_sms(to=CALLER, from_number=OUR_SMS_NUMBER, body=body)
    assert raised.value.ambiguous

    found = twilio_adapter.find_sent_message(
        to=CALLER, from_number=OUR_SMS_NUMBER, body=body, attempt_started_at=attempt
    )

    sent = sandbox.twilio.sent_messages(to=CALLER)
    assert [m["sid"] for m in sent] == [found]
    lookup = queries(sandbox, "/Messages.json")[-1]
    assert not any(key.startswith("DateSent") for key in lookup)  # a queued one has no date_sent


def test_the_look_up_ignores_other_bodies_and_messages_older_than_the_slack(
    sandbox: Sandbox, twilio_adapter: TwilioAdapter, clock: ManualClock
) -> None:
    twilio_adapter.send_sms(to=CALLER, from_number=OUR_SMS_NUMBER, body="Hi there")
    clock.advance(121)

    late = twilio_adapter.find_sent_message(
        to=CALLER, from_number=OUR_SMS_NUMBER, body="Hi there", attempt_started_at=clock.now
    )
    other = twilio_adapter.find_sent_message(
        to=CALLER, from_number=OUR_SMS_NUMBER, body="Hello", attempt_started_at=START
    )

    assert late is None and other is None


def test_the_look_up_tolerates_a_twilio_clock_behind_ours_by_up_to_120_seconds(
    sandbox: Sandbox, twilio_adapter: TwilioAdapter
) -> None:
    sid = twilio_adapter.send_sms(to=CALLER, from_number=OUR_SMS_NUMBER, body="Hi there")

    found = twilio_adapter.find_sent_message(
        to=CALLER,
        from_number=OUR_SMS_NUMBER,
        body="Hi there",
        attempt_started_at=START + timedelta(seconds=119, microseconds=999_999),
    )

    assert found == sid
