"""Contract: every request the Twilio adapter makes and every answer the sandbox gives conform to
Twilio's OpenAPI file (tests/contract/specs/twilio_api_v2010.json) and its error body."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest

from daemon.adapters.errors import AdapterError
from daemon.adapters.twilio import TwilioAdapter
from daemon.sandbox import ChildLeg, Sandbox
from daemon.sandbox.store import RecordedRequest
from tests.contract.conftest import ACCOUNT_SID
from tests.contract.openapi_check import SpecCheck
from tests.sandbox_support import CALLS, MESSAGES, START, ManualClock

OUR_NUMBER = "+447700900001"
LINE = "+441134960000"
CALLER = "+447700900123"
LANDLINE = "+442079460123"


def _exercise(sandbox: Sandbox, adapter: TwilioAdapter, clock: ManualClock) -> None:
    """Drive every adapter method, and every error family, through the sandbox."""
    twilio = sandbox.twilio
    twilio.add_inbound_call(
        from_=CALLER, to=LINE, end=START - timedelta(minutes=5),
        children=[ChildLeg(to="+447700900555", status="completed", answered_by="human")],
    )  # fmt: skip
    twilio.add_inbound_call(
        from_=CALLER, to=LINE, end=START - timedelta(minutes=3),
        children=[ChildLeg(to="+447700900555", status="no-answer")],
    )  # fmt: skip
    twilio.add_inbound_call(
        from_=CALLER, to=LINE, status="no-answer", end=START - timedelta(minutes=2),
        children=[ChildLeg(to="+447700900555", status="completed", answered_by="machine_start")],
    )  # fmt: skip
    ringing = twilio.add_inbound_call(
        from_=CALLER, to=LINE, start=START - timedelta(seconds=10),
        end=START + timedelta(seconds=30), children=[ChildLeg(to="+447700900555")],
    )  # fmt: skip
    twilio.add_call(direction="outbound-api", from_=OUR_NUMBER, to=CALLER, status="busy")
    legs = adapter.list_calls(since=START - timedelta(hours=1))
    assert len(legs) == 9
    adapter.fetch_call(ringing.sid)

    twilio.add_inbound_message(from_=CALLER, to=OUR_NUMBER, body="Yes please call me")
    adapter.list_inbound_messages(to=OUR_NUMBER, since=START - timedelta(hours=1))
    sid = adapter.send_sms(to=CALLER, from_number=OUR_NUMBER, body="Hi there, sorry we missed you")
    adapter.fetch_message(sid)  # queued
    clock.advance(2)
    adapter.fetch_message(sid)  # sent
    clock.advance(10)
    adapter.fetch_message(sid)  # delivered
    twilio.mark_landline(LANDLINE, fail_code=30006)
    failed = adapter.send_sms(to=LANDLINE, from_number=OUR_NUMBER, body="Hi there")
    clock.advance(10)
    adapter.fetch_message(failed)  # undelivered, 30006
    attempt = clock.now
    sandbox.faults.add(method="POST", path=MESSAGES, action="drop_response")
    with contextlib.suppress(AdapterError):
        adapter.send_sms(to=CALLER, from_number=OUR_NUMBER, body="Hello again")
    assert adapter.find_sent_message(
        to=CALLER, from_number=OUR_NUMBER, body="Hello again", attempt_started_at=attempt
    )

    twilio.add_inbound_message(from_=CALLER, to=OUR_NUMBER, body="STOP")
    twilio.mark_landline("+441134960999", refuse=True)
    sandbox.faults.add(method="GET", path=CALLS, action="status", status=500)
    sandbox.faults.add(method="POST", path=MESSAGES, action="status", status=429, retry_after=3)
    wrong = TwilioAdapter(
        account_sid=ACCOUNT_SID, auth_token="wrong", api_base=sandbox.base_url, timeout=2
    )
    failing = [
        lambda: adapter.list_calls(since=START),  # 500
        lambda: adapter.send_sms(to=CALLER, from_number=OUR_NUMBER, body="x"),  # 429
        lambda: adapter.send_sms(to=CALLER, from_number=OUR_NUMBER, body="x"),  # 21610
        lambda: adapter.send_sms(to=CALLER, from_number=LINE, body="x"),  # 21606
        lambda: adapter.send_sms(to="+441134960999", from_number=OUR_NUMBER, body="x"),  # 21614
        lambda: adapter.fetch_call("CA" + "0" * 32),  # 404
        lambda: wrong.list_inbound_messages(to=OUR_NUMBER, since=START),  # 401
    ]
    for attempt_call in failing:
        with pytest.raises(AdapterError):
            attempt_call()


@pytest.fixture
def traffic(
    sandbox: Sandbox, twilio_adapter: TwilioAdapter, clock: ManualClock
) -> list[RecordedRequest]:
    _exercise(sandbox, twilio_adapter, clock)
    return sandbox.requests("twilio")


def test_every_request_the_adapter_makes_conforms_to_twilios_spec(
    traffic: list[RecordedRequest], twilio_spec: SpecCheck
) -> None:
    problems = {f"{e.method} {e.path}": twilio_spec.request_problems(e) for e in traffic}
    assert {k: v for k, v in problems.items() if v} == {}
    routes = {(e.method, e.route) for e in traffic}
    assert ("GET", CALLS) in routes and ("POST", MESSAGES) in routes
    assert any(name == "PageToken" for e in traffic for name, _ in e.query), "paging was not used"


def test_every_answer_the_sandbox_gives_conforms_to_twilios_spec(
    traffic: list[RecordedRequest], twilio_spec: SpecCheck
) -> None:
    problems = {
        f"{e.method} {e.path} {e.status}": twilio_spec.response_problems(e) for e in traffic
    }
    assert {k: v for k, v in problems.items() if v} == {}
    assert {200, 201, 400, 401, 404, 429, 500, None} <= {e.status for e in traffic}


def test_every_list_request_sets_a_page_size_of_at_most_1000(
    traffic: list[RecordedRequest],
) -> None:
    lists = [e for e in traffic if e.method == "GET" and e.route in (CALLS, MESSAGES)]
    assert lists
    for entry in lists:
        sizes = [int(value) for name, value in entry.query if name == "PageSize"]
        assert len(sizes) == 1 and 1 <= sizes[0] <= 1000


def test_sandbox_resources_carry_exactly_the_fields_twilio_documents(
    traffic: list[RecordedRequest], twilio_spec: SpecCheck
) -> None:
    call_fields = set(twilio_spec.schema("api.v2010.account.call")["properties"])
    message_fields = set(twilio_spec.schema("api.v2010.account.message")["properties"])
    calls = [
        c for e in traffic if e.status == 200 and e.route == CALLS for c in e.response["calls"]
    ]
    messages = [
        e.response for e in traffic if e.status in (200, 201) and "/Messages/" in e.path
    ] + [
        m
        for e in traffic
        if e.status == 200 and e.route == MESSAGES
        for m in e.response["messages"]
    ]
    assert {c["status"] for c in calls} >= {
        "completed",
        "no-answer",
        "in-progress",
        "ringing",
        "busy",
    }
    assert {m["status"] for m in messages} >= {"queued", "sent", "delivered", "undelivered"}
    assert all(set(c) == call_fields for c in calls)
    assert all(set(m) == message_fields for m in messages)


def test_the_date_checker_rejects_iso_dates_where_twilio_uses_rfc_2822(
    twilio_spec: SpecCheck,
) -> None:
    schema = twilio_spec.schema("api.v2010.account.message")
    good = {"date_created": "Tue, 10 Mar 2026 10:00:00 +0000", "status": "queued"}
    bad = {"date_created": "2026-03-10T10:00:00Z", "status": "queued"}
    assert twilio_spec.validate(schema, good) == []
    assert twilio_spec.validate(schema, bad)


def test_the_request_check_catches_unknown_parameters_and_oversized_pages(
    twilio_spec: SpecCheck,
) -> None:
    entry = RecordedRequest(
        vendor="twilio", method="GET", path=f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json",
        route=CALLS, query=(("StartTimeAfter", "2026-03-10"), ("PageSize", "5000")), form=(),
        json_body=None, status=200, response={},
    )  # fmt: skip
    problems = twilio_spec.request_problems(entry)
    assert any("StartTimeAfter" in p for p in problems)
    assert any("PageSize" in p for p in problems)


def test_the_trimmed_spec_keeps_every_operation_the_daemon_uses(twilio_spec: SpecCheck) -> None:
    operations = {
        op["operationId"] for item in twilio_spec.spec["paths"].values()
        for key, op in item.items() if key in ("get", "post")
    }  # fmt: skip
    assert operations == {"ListCall", "FetchCall", "ListMessage", "CreateMessage", "FetchMessage"}
