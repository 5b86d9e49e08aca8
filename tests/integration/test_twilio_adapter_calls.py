"""The Twilio adapter against the sandbox over HTTP with the real SDK: reading the call log (paging,
the window, aware UTC times, one leg by SID) and the SDK's traps (region and edge from the
environment, naive datetimes, a bad api_base or page size)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from daemon.adapters.errors import ConfigError
from daemon.adapters.twilio import TwilioAdapter
from daemon.sandbox import ChildLeg, Sandbox
from tests.integration.conftest import ACCOUNT_SID, AUTH_TOKEN, CALLER, OUR_LINE
from tests.sandbox_support import START, ManualClock, queries

FORWARD_TO = "+447700900555"


def _adapter(sandbox: Sandbox, **kwargs: object) -> TwilioAdapter:
    options: dict = {"timeout": 2, **kwargs}
    return TwilioAdapter(
        account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, api_base=sandbox.base_url, **options
    )


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
    assert len(queries(sandbox, "/Calls.json")) == 5  # 14 legs in pages of 3
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
    assert queries(sandbox, "/Calls.json")[0]["StartTime>"] == "2026-03-10T00:00:00Z"


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
    assert len(queries(sandbox, "/Calls.json")) == 1


def test_fetch_call_returns_one_leg(sandbox: Sandbox, twilio_adapter: TwilioAdapter) -> None:
    sid = sandbox.twilio.add_call(direction="outbound-api", from_=OUR_LINE, to=CALLER)

    leg = twilio_adapter.fetch_call(sid)

    assert (leg.sid, leg.direction, leg.to_number) == (sid, "outbound-api", CALLER)


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
    assert queries(sandbox, "/Calls.json")[0]["StartTime>"] == "2026-03-09T00:00:00Z"
