"""The sandbox's Twilio API over plain HTTP: auth, lists, filters, paging, dates, creates, STOP,
landlines, and fault injection, as Twilio itself would answer."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
import requests

from daemon.sandbox import ChildLeg, Sandbox
from tests.integration.conftest import (
    ACCOUNT,
    ACCOUNT_SID,
    AUTH_TOKEN,
    CALLER,
    OUR_LINE,
    OUR_SMS_NUMBER,
)
from tests.sandbox_support import MESSAGES, START, ManualClock


def _get(sandbox: Sandbox, path: str, **params: Any) -> requests.Response:
    url = sandbox.base_url + path
    return requests.get(url, params=params, auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5)


def _send(sandbox: Sandbox, to: str, from_: str = OUR_SMS_NUMBER, body: str = "Hi") -> Any:
    return requests.post(
        f"{sandbox.base_url}{ACCOUNT}/Messages.json",
        data={"To": to, "From": from_, "Body": body},
        auth=(ACCOUNT_SID, AUTH_TOKEN),
        timeout=5,
    )


def test_wrong_or_missing_credentials_answer_401_with_code_20003(sandbox: Sandbox) -> None:
    url = f"{sandbox.base_url}{ACCOUNT}/Calls.json"
    wrong = requests.get(url, auth=(ACCOUNT_SID, "nope"), timeout=5)
    missing = requests.get(url, timeout=5)

    for answer in (wrong, missing):
        assert answer.status_code == 401
        assert answer.json() == {
            "code": 20003,
            "message": "Authenticate",
            "more_info": "https://www.twilio.com/docs/errors/20003",
            "status": 401,
        }


def test_another_accounts_path_answers_404_with_code_20404(sandbox: Sandbox) -> None:
    other = "/2010-04-01/Accounts/AC" + "1" * 32 + "/Calls.json"

    answer = _get(sandbox, other)

    assert (answer.status_code, answer.json()["code"]) == (404, 20404)


def test_calls_come_newest_first_with_rfc_2822_dates_in_whole_seconds(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    clock.now = START + timedelta(microseconds=900_000)
    older = sandbox.twilio.add_call(
        direction="inbound", from_=CALLER, to=OUR_LINE, end=START - timedelta(minutes=5)
    )
    newer = sandbox.twilio.add_call(direction="inbound", from_=CALLER, to=OUR_LINE)

    calls = _get(sandbox, f"{ACCOUNT}/Calls.json").json()["calls"]

    assert [c["sid"] for c in calls] == [newer, older]
    assert calls[0]["end_time"] == "Tue, 10 Mar 2026 10:00:00 +0000"
    assert parsedate_to_datetime(calls[0]["start_time"]) == START - timedelta(seconds=25)


def test_call_filters_match_to_from_status_and_parent(sandbox: Sandbox) -> None:
    call = sandbox.twilio.add_inbound_call(
        from_=CALLER, to=OUR_LINE, children=[ChildLeg(to="+447700900555", status="busy")]
    )
    sandbox.twilio.add_call(direction="inbound", from_="+447700900999", to="+442079460000")

    def sids(**params: str) -> list[str]:
        return [c["sid"] for c in _get(sandbox, f"{ACCOUNT}/Calls.json", **params).json()["calls"]]

    assert sids(To=OUR_LINE) == [call.sid]
    assert sids(From=CALLER) == [*call.child_sids, call.sid]
    assert sids(Status="busy") == list(call.child_sids)
    assert sids(ParentCallSid=call.sid) == list(call.child_sids)


def test_date_filters_honour_only_the_day(sandbox: Sandbox) -> None:
    morning = sandbox.twilio.add_call(
        direction="inbound", from_=CALLER, to=OUR_LINE, end=START.replace(hour=8)
    )
    yesterday = sandbox.twilio.add_call(
        direction="inbound", from_=CALLER, to=OUR_LINE, end=START - timedelta(days=1)
    )

    def sids(**params: str) -> list[str]:
        return [c["sid"] for c in _get(sandbox, f"{ACCOUNT}/Calls.json", **params).json()["calls"]]

    # A time of day later than the call is ignored: Twilio promises only day granularity.
    assert sids(**{"StartTime>": "2026-03-10T09:30:00Z"}) == [morning]
    assert sids(**{"StartTime<": "2026-03-09"}) == [yesterday]
    assert sids(StartTime="2026-03-09") == [yesterday]
    assert sids(**{"EndTime>": "Tue, 10 Mar 2026 00:00:00 +0000"}) == [morning]
    bad = _get(sandbox, f"{ACCOUNT}/Calls.json", **{"StartTime>": "yesterday"})
    assert (bad.status_code, bad.json()["code"]) == (400, 20001)


def test_paging_follows_next_page_uri_with_a_page_token(sandbox: Sandbox) -> None:
    sids = [
        sandbox.twilio.add_call(
            direction="inbound", from_=CALLER, to=OUR_LINE, end=START - timedelta(minutes=m)
        )
        for m in range(5)
    ]

    first = _get(sandbox, f"{ACCOUNT}/Calls.json", To=OUR_LINE, PageSize=2).json()
    second = requests.get(
        sandbox.base_url + first["next_page_uri"], auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5
    ).json()
    third = requests.get(
        sandbox.base_url + second["next_page_uri"], auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5
    ).json()

    assert [c["sid"] for p in (first, second, third) for c in p["calls"]] == sids
    assert "PageToken=PA" in first["next_page_uri"] and "To=%2B44" in first["next_page_uri"]
    assert (first["page"], first["page_size"], first["start"], first["end"]) == (0, 2, 0, 1)
    assert (second["page"], second["start"], second["end"]) == (1, 2, 3)
    assert first["previous_page_uri"] is None and second["previous_page_uri"]
    assert third["next_page_uri"] is None and len(third["calls"]) == 1
    assert first["first_page_uri"] == second["first_page_uri"]


@pytest.mark.parametrize("size", ["0", "1001", "ten"])
def test_a_page_size_outside_1_to_1000_is_refused(sandbox: Sandbox, size: str) -> None:
    answer = _get(sandbox, f"{ACCOUNT}/Calls.json", PageSize=size)

    assert (answer.status_code, answer.json()["code"]) == (400, 20001)


def test_a_created_message_answers_201_and_advances_with_the_sandbox_clock(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    created = _send(sandbox, CALLER, body="Hi there")
    sid = created.json()["sid"]

    def status() -> tuple[str, str | None]:
        body = _get(sandbox, f"{ACCOUNT}/Messages/{sid}.json").json()
        return body["status"], body["date_sent"]

    queued = status()
    clock.advance(1)
    sent = status()
    clock.advance(3)

    assert created.status_code == 201
    assert created.json()["num_segments"] == "1" and created.json()["direction"] == "outbound-api"
    assert queued == ("queued", None)
    assert sent == ("sent", "Tue, 10 Mar 2026 10:00:01 +0000")
    assert status()[0] == "delivered"


def test_stop_blocks_the_sender_and_twilio_replies_itself(sandbox: Sandbox) -> None:
    sandbox.twilio.add_inbound_message(from_=CALLER, to=OUR_SMS_NUMBER, body="  unsubscribe ")

    refused = _send(sandbox, CALLER)
    other_sender = _send(sandbox, CALLER, from_="+447700900002")
    listed = _get(sandbox, f"{ACCOUNT}/Messages.json", To=CALLER).json()["messages"]

    assert (refused.status_code, refused.json()["code"]) == (400, 21610)
    assert other_sender.status_code == 201
    assert [m["direction"] for m in listed] == ["outbound-api", "outbound-reply"]


@pytest.mark.parametrize("word", ["STOP please", "Stopcock leaking", "stop!"])
def test_only_a_whole_message_keyword_blocks_at_twilio(sandbox: Sandbox, word: str) -> None:
    sandbox.twilio.add_inbound_message(from_=CALLER, to=OUR_SMS_NUMBER, body=word)

    assert _send(sandbox, CALLER).status_code == 201
    assert not sandbox.twilio.is_blocked(sender=OUR_SMS_NUMBER, recipient=CALLER)


@pytest.mark.parametrize("word", ["START", "yes", "Unstop"])
def test_start_yes_and_unstop_lift_the_block(sandbox: Sandbox, word: str) -> None:
    sandbox.twilio.add_inbound_message(from_=CALLER, to=OUR_SMS_NUMBER, body="STOP")
    sandbox.twilio.add_inbound_message(from_=CALLER, to=OUR_SMS_NUMBER, body=word)

    assert _send(sandbox, CALLER).status_code == 201


@pytest.mark.parametrize("sender", ["+441134960000", "+442079460000"])
def test_sending_from_a_uk_geographic_number_answers_21606(sandbox: Sandbox, sender: str) -> None:
    answer = _send(sandbox, CALLER, from_=sender)

    assert (answer.status_code, answer.json()["code"]) == (400, 21606)


def test_landlines_are_accepted_unless_a_test_marks_them_refusing(sandbox: Sandbox) -> None:
    sandbox.twilio.mark_landline("+441134960001", refuse=True)

    accepted = _send(sandbox, "+441134960002")
    refused = _send(sandbox, "+441134960001")

    assert accepted.status_code == 201
    assert (refused.status_code, refused.json()["code"]) == (400, 21614)


def test_missing_fields_answer_twilios_codes(sandbox: Sandbox) -> None:
    url = f"{sandbox.base_url}{ACCOUNT}/Messages.json"
    auth = (ACCOUNT_SID, AUTH_TOKEN)

    def code(data: dict[str, str]) -> int:
        return int(requests.post(url, data=data, auth=auth, timeout=5).json()["code"])

    assert code({"From": OUR_SMS_NUMBER, "Body": "x"}) == 21604
    assert code({"To": CALLER, "Body": "x"}) == 21603
    assert code({"To": CALLER, "From": OUR_SMS_NUMBER}) == 21602


def test_a_status_fault_answers_twilios_error_body_for_the_next_n_requests(
    sandbox: Sandbox,
) -> None:
    path = "/2010-04-01/Accounts/{AccountSid}/Calls.json"
    sandbox.faults.add(method="GET", path=path, action="status", status=429, times=2)

    answers = [_get(sandbox, f"{ACCOUNT}/Calls.json") for _ in range(3)]

    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].json()["code"] == 20429 and answers[0].headers["Retry-After"] == "1"


def test_a_delay_fault_stalls_the_answer_past_a_client_timeout(sandbox: Sandbox) -> None:
    sandbox.faults.add(method="GET", path="/2010-04-01/Accounts/{AccountSid}/Calls.json",
                       action="delay", delay=5)  # fmt: skip

    with pytest.raises(requests.ReadTimeout):
        requests.get(
            f"{sandbox.base_url}{ACCOUNT}/Calls.json", auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=0.2
        )


def test_a_drop_response_fault_creates_the_message_but_closes_without_an_answer(
    sandbox: Sandbox,
) -> None:
    sandbox.faults.add(method="POST", path=MESSAGES, action="drop_response")

    with pytest.raises(requests.ConnectionError):
        _send(sandbox, CALLER)

    assert len(sandbox.twilio.sent_messages(to=CALLER)) == 1
    assert [e.fault for e in sandbox.requests("twilio")] == ["drop_response"]


def test_unknown_twilio_paths_answer_twilios_404_body(sandbox: Sandbox) -> None:
    answer = _get(sandbox, f"{ACCOUNT}/Recordings.json")

    assert (answer.status_code, answer.json()["code"]) == (404, 20404)


def test_a_client_that_left_before_its_answer_is_no_traceback(
    sandbox: Sandbox, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """The daemon's timeout on a stalled answer leaves the sandbox writing to a closed socket:
    counted and logged at debug, not a traceback on stderr; any other failure is still logged."""
    server = sandbox._server
    assert server is not None
    for gone in (BrokenPipeError(32, "Broken pipe"), ConnectionResetError(104, "reset")):
        try:
            raise gone
        except ConnectionError:
            server.handle_error(None, ("127.0.0.1", 5555))
    assert server.clients_gone == 2
    try:
        raise RuntimeError("a real bug")
    except RuntimeError:
        server.handle_error(None, ("127.0.0.1", 5555))
    assert "Traceback" not in capfd.readouterr().err
    assert [r.levelname for r in caplog.records if "a real bug" in (r.exc_text or "")] == ["ERROR"]
