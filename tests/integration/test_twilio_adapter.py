"""The Twilio adapter against the sandbox over HTTP with the real SDK: paging, windows, filters,
sending, delivery status, the look-up after an ambiguous create, and the SDK's traps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from daemon.adapters.errors import ConfigError, Transient
from daemon.adapters.twilio import TwilioAdapter
from daemon.sandbox import ChildLeg, Sandbox
from tests.integration.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CALLER,
    OUR_LINE,
    OUR_SMS_NUMBER,
    START,
    ManualClock,
)

MESSAGES = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
FORWARD_TO = "+447700900555"


def _adapter(sandbox: Sandbox, **kwargs: object) -> TwilioAdapter:
    options: dict = {"timeout": 2, **kwargs}
    return TwilioAdapter(
        account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, api_base=sandbox.base_url, **options
    )


def _queries(sandbox: Sandbox, route_end: str) -> list[dict[str, str]]:
    """The query parameters of each GET to a route ending `route_end`, oldest first."""
    entries = sandbox.requests("twilio")
    return [dict(e.query) for e in entries if e.method == "GET" and e.path.endswith(route_end)]


def test_list_calls_reads_every_page_and_returns_each_leg_once(sandbox: Sandbox) -> None:
    added = set()
    for minutes in range(1, 8):
        call = sandbox.twilio.add_inbound_call(
            from_=f"+44770090010{minutes}", to=OUR_LINE, end=START - timedelta(minutes=minutes),
            children=[ChildLeg(to=FORWARD_TO)],
        )  # fmt: skip
        added |= {call.sid, *call.child_sids}

    legs = _adapter(sandbox, page_size=3).list_calls(since=START - timedelta(hours=1))

    assert sorted(leg.sid for leg in legs) == sorted(added)
    assert len(_queries(sandbox, "/Calls.json")) == 5  # 14 legs in pages of 3
    assert [leg.start_time for leg in legs] == sorted(leg.start_time for leg in legs)


def test_list_calls_maps_parent_and_child_legs_with_aware_utc_times(
    sandbox: Sandbox, twilio_adapter: TwilioAdapter
) -> None:
    end = START - timedelta(minutes=1)
    call = sandbox.twilio.add_inbound_call(
        from_=CALLER, to=OUR_LINE, start=end - timedelta(seconds=30), end=end,
        children=[ChildLeg(to=FORWARD_TO, status="completed", answered_by="machine_start")],
    )  # fmt: skip

    legs = {leg.sid: leg for leg in twilio_adapter.list_calls(since=START - timedelta(hours=1))}

    parent, child = legs[call.sid], legs[call.child_sids[0]]
    assert (parent.direction, parent.parent_sid, parent.status) == ("inbound", None, "completed")
    assert (parent.from_number, parent.to_number) == (CALLER, OUR_LINE)
    assert parent.end_time == end and parent.end_time.tzinfo is not None
    assert (child.direction, child.parent_sid, child.to_number) == (
        "outbound-dial",
        call.sid,
        FORWARD_TO,
    )
    assert child.answered_by == "machine_start" and child.by_machine


def test_list_calls_keeps_only_legs_that_ended_in_the_window_or_are_still_live(
    sandbox: Sandbox, twilio_adapter: TwilioAdapter
) -> None:
    twilio = sandbox.twilio
    since = START - timedelta(minutes=30)
    over = twilio.add_call(
        direction="inbound", from_=CALLER, to=OUR_LINE, end=since - timedelta(seconds=1)
    )
    long_call = twilio.add_call(
        direction="inbound", from_=CALLER, to=OUR_LINE,
        start=since - timedelta(hours=2), end=since + timedelta(minutes=5),
    )  # fmt: skip
    live = twilio.add_call(
        direction="inbound", from_=CALLER, to=OUR_LINE,
        start=START - timedelta(seconds=5), end=START + timedelta(minutes=1),
    )  # fmt: skip
    yesterday = twilio.add_call(
        direction="inbound", from_=CALLER, to=OUR_LINE, end=START - timedelta(days=1)
    )

    legs = {leg.sid: leg for leg in twilio_adapter.list_calls(since=since)}

    assert set(legs) == {long_call, live}
    assert over not in legs and yesterday not in legs
    assert legs[live].status == "ringing" and legs[live].end_time is None
    # Date filters are trusted only to the day: the adapter asks from UTC midnight a day back.
    assert _queries(sandbox, "/Calls.json")[0]["StartTime>"] == "2026-03-10T00:00:00Z"


def test_list_calls_until_leaves_out_legs_that_started_later(
    sandbox: Sandbox, twilio_adapter: TwilioAdapter
) -> None:
    early = sandbox.twilio.add_call(
        direction="inbound", from_=CALLER, to=OUR_LINE, end=START - timedelta(minutes=20)
    )
    sandbox.twilio.add_call(
        direction="inbound", from_=CALLER, to=OUR_LINE, end=START - timedelta(minutes=1)
    )

    legs = twilio_adapter.list_calls(
        since=START - timedelta(hours=1), until=START - timedelta(minutes=10)
    )

    assert [leg.sid for leg in legs] == [early]


def test_a_ringing_call_reads_as_completed_once_the_sandbox_clock_passes_its_end(
    sandbox: Sandbox, twilio_adapter: TwilioAdapter, clock: ManualClock
) -> None:
    call = sandbox.twilio.add_inbound_call(
        from_=CALLER, to=OUR_LINE, start=START - timedelta(seconds=3),
        end=START + timedelta(seconds=20), children=[ChildLeg(to=FORWARD_TO)],
    )  # fmt: skip
    before = {leg.sid: leg.status for leg in twilio_adapter.list_calls(since=START)}
    clock.advance(21)
    after = {leg.sid: leg.status for leg in twilio_adapter.list_calls(since=START)}

    assert before == {call.sid: "in-progress", call.child_sids[0]: "ringing"}
    assert after == {call.sid: "completed", call.child_sids[0]: "no-answer"}


def test_list_calls_stops_paging_once_newest_first_order_passes_the_window(
    sandbox: Sandbox,
) -> None:
    for hour in range(1, 6):  # early this morning, long before the window
        sandbox.twilio.add_call(
            direction="inbound", from_=CALLER, to=OUR_LINE,
            end=START.replace(hour=0) + timedelta(hours=hour),
        )  # fmt: skip
    recent = sandbox.twilio.add_call(
        direction="inbound", from_=CALLER, to=OUR_LINE, end=START - timedelta(minutes=1)
    )

    legs = _adapter(sandbox, page_size=2).list_calls(since=START - timedelta(minutes=10))

    assert [leg.sid for leg in legs] == [recent]
    assert len(_queries(sandbox, "/Calls.json")) == 1


def test_fetch_call_returns_one_leg(sandbox: Sandbox, twilio_adapter: TwilioAdapter) -> None:
    sid = sandbox.twilio.add_call(direction="outbound-api", from_=OUR_LINE, to=CALLER)

    leg = twilio_adapter.fetch_call(sid)

    assert (leg.sid, leg.direction, leg.to_number) == (sid, "outbound-api", CALLER)


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
    assert _queries(sandbox, "/Messages.json")[0]["DateSent>"] == "2026-03-10T00:00:00Z"


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
    lookup = _queries(sandbox, "/Messages.json")[-1]
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


def test_twilio_region_and_edge_in_the_environment_are_ignored(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_REGION", "ie1")
    monkeypatch.setenv("TWILIO_EDGE", "dublin")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "9" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "wrong-token-from-the-environment")
    sid = sandbox.twilio.add_call(direction="inbound", from_=CALLER, to=OUR_LINE)

    adapter = _adapter(sandbox)

    legs = adapter.list_calls(since=START - timedelta(hours=1))

    assert [leg.sid for leg in legs] == [sid]
    # Without an api_base too, the SDK must not rewrite the host from the environment.
    url = "https://api.twilio.com/2010-04-01/Accounts.json"
    assert adapter._client.get_hostname(url) == url


def test_naive_datetimes_are_refused(twilio_adapter: TwilioAdapter) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        twilio_adapter.list_calls(since=datetime(2026, 3, 10, 9, 0))


def test_an_api_base_with_a_path_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError):
        TwilioAdapter(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, api_base="http://x/api")


def test_a_page_size_above_twilios_maximum_is_refused() -> None:
    with pytest.raises(ValueError, match="page_size"):
        TwilioAdapter(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, page_size=1001)


def test_start_time_of_the_window_is_converted_to_utc(
    sandbox: Sandbox, twilio_adapter: TwilioAdapter
) -> None:
    from zoneinfo import ZoneInfo

    since = datetime(2026, 3, 10, 0, 30, tzinfo=ZoneInfo("Asia/Tokyo"))  # 2026-03-09 15:30 UTC
    twilio_adapter.list_calls(since=since)

    assert since.astimezone(UTC).date().isoformat() == "2026-03-09"
    assert _queries(sandbox, "/Calls.json")[0]["StartTime>"] == "2026-03-09T00:00:00Z"
