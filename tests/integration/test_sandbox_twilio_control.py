"""The sandbox's control API (Python and JSON under /_sandbox/) and `python -m daemon.sandbox`,
so that tests and the demo can drive a sandbox in another process."""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests

from daemon.sandbox import Sandbox
from tests.integration.conftest import (
    ACCOUNT,
    ACCOUNT_SID,
    AUTH_TOKEN,
    CALLER,
    OUR_LINE,
    OUR_SMS_NUMBER,
)
from tests.sandbox_support import START

ROOT = Path(__file__).resolve().parents[2]


def _control(sandbox: Sandbox, method: str, path: str, body: Any = None) -> Any:
    answer = requests.request(method, f"{sandbox.base_url}/_sandbox/{path}", json=body, timeout=5)
    assert answer.status_code < 300, answer.text
    return answer.json()


def _twilio(sandbox: Sandbox, path: str, **params: str) -> Any:
    url = f"{sandbox.base_url}{ACCOUNT}/{path}"
    return requests.get(url, params=params, auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5).json()


def test_a_call_added_over_http_rings_until_the_clock_passes_its_end(sandbox: Sandbox) -> None:
    added = _control(
        sandbox,
        "POST",
        "twilio/calls",
        {
            "from": CALLER,
            "to": OUR_LINE,
            "start": (START - timedelta(seconds=5)).isoformat(),
            "end": (START + timedelta(seconds=20)).isoformat(),
            "children": [{"to": "+447700900555", "status": "completed", "answered_by": "human"}],
        },
    )
    ringing = {c["sid"]: c["status"] for c in _twilio(sandbox, "Calls.json")["calls"]}
    _control(sandbox, "POST", "clock", {"shift_seconds": 30})
    done = {c["sid"]: c for c in _twilio(sandbox, "Calls.json")["calls"]}

    child = added["children"][0]
    assert ringing == {added["sid"]: "in-progress", child: "ringing"}
    assert done[added["sid"]]["status"] == "completed"
    assert (done[child]["status"], done[child]["answered_by"]) == ("completed", "human")
    assert done[child]["parent_call_sid"] == added["sid"]


def test_an_inbound_message_added_over_http_is_listed_and_stop_is_recorded(
    sandbox: Sandbox,
) -> None:
    _control(
        sandbox, "POST", "twilio/messages", {"from": CALLER, "to": OUR_SMS_NUMBER, "body": "Hi"}
    )
    _control(
        sandbox, "POST", "twilio/messages", {"from": CALLER, "to": OUR_SMS_NUMBER, "body": "STOP"}
    )

    listed = _twilio(sandbox, "Messages.json", To=OUR_SMS_NUMBER)["messages"]
    blocked = _control(sandbox, "GET", "twilio/blocked")

    assert [m["body"] for m in listed] == ["STOP", "Hi"]
    assert blocked == {"blocked": [[OUR_SMS_NUMBER, CALLER]]}


def test_numbers_marked_over_http_fail_later_and_sent_messages_can_be_listed(
    sandbox: Sandbox,
) -> None:
    _control(sandbox, "POST", "twilio/numbers", {"number": "+441134960123", "fail_code": 30006})
    requests.post(
        f"{sandbox.base_url}{ACCOUNT}/Messages.json",
        data={"To": "+441134960123", "From": OUR_SMS_NUMBER, "Body": "Hi"},
        auth=(ACCOUNT_SID, AUTH_TOKEN),
        timeout=5,
    )
    _control(sandbox, "POST", "clock", {"offset_seconds": 60})

    sent = _control(sandbox, "GET", "twilio/sent?to=%2B441134960123")["messages"]

    assert [(m["status"], m["error_code"]) for m in sent] == [("undelivered", 30006)]


def test_faults_requests_clock_and_reset_over_http(sandbox: Sandbox) -> None:
    path = "/2010-04-01/Accounts/{AccountSid}/Calls.json"
    faults = _control(
        sandbox,
        "POST",
        "faults",
        {"method": "GET", "path": path, "action": "status", "status": 503},
    )
    failed = requests.get(
        f"{sandbox.base_url}{ACCOUNT}/Calls.json", auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5
    )
    logged = _control(sandbox, "GET", "requests?vendor=twilio")["requests"]
    clock = _control(sandbox, "POST", "clock", {"shift_seconds": 90})
    _control(sandbox, "POST", "reset")

    assert faults["faults"][0]["remaining"] == 1
    assert (failed.status_code, failed.json()["code"]) == (503, 20503)
    assert [(e["status"], e["fault"]) for e in logged] == [(503, "status")]
    assert clock["offset_seconds"] == 90.0
    assert _control(sandbox, "GET", "clock")["offset_seconds"] == 0.0
    assert _control(sandbox, "GET", "requests")["requests"] == []


def test_a_bad_control_request_answers_400_with_a_reason(sandbox: Sandbox) -> None:
    answer = requests.post(
        f"{sandbox.base_url}/_sandbox/twilio/calls", json={"to": OUR_LINE}, timeout=5
    )
    naive = requests.post(
        f"{sandbox.base_url}/_sandbox/twilio/messages",
        json={"from": CALLER, "to": OUR_SMS_NUMBER, "at": "2026-03-10T10:00:00"},
        timeout=5,
    )

    assert answer.status_code == 400 and "from" in answer.json()["error"]
    assert naive.status_code == 400 and "offset" in naive.json()["error"]


def test_reset_forgets_records_marks_and_faults(sandbox: Sandbox) -> None:
    sandbox.twilio.add_call(direction="inbound", from_=CALLER, to=OUR_LINE)
    sandbox.twilio.mark_landline(CALLER, refuse=True)
    sandbox.faults.add(method="*", path="/{Anything}", action="drop")

    sandbox.reset()

    assert _twilio(sandbox, "Calls.json")["calls"] == []
    assert sandbox.faults.pending() == [] and sandbox.twilio.marks == {}


def test_python_m_daemon_sandbox_serves_on_loopback_and_stops_on_sigterm() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SANDBOX_TWILIO_AUTH_TOKEN": "cli-token"}
    process = subprocess.Popen(
        [sys.executable, "-m", "daemon.sandbox", "--port", "0", "--log-level", "WARNING"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = _read_line(process, deadline=time.monotonic() + 20)
        base = line.rsplit(" ", 1)[-1]
        health = requests.get(f"{base}/_sandbox/health", timeout=5).json()
        calls = requests.get(
            f"{base}/2010-04-01/Accounts/AC{'5a' * 16}/Calls.json",
            auth=(f"AC{'5a' * 16}", "cli-token"),
            timeout=5,
        )
    finally:
        process.terminate()
        code = process.wait(timeout=10)

    assert base.startswith("http://127.0.0.1:")
    assert health["status"] == "ok"
    assert calls.status_code == 200 and calls.json()["calls"] == []
    assert code == 0


def _read_line(process: subprocess.Popen[str], *, deadline: float) -> str:
    """The child's first stdout line, waiting no later than `deadline`."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if selector.select(timeout=max(0.0, deadline - time.monotonic())):
                return process.stdout.readline().strip()
    raise AssertionError("the sandbox did not announce its address in time")
