"""Sandbox: JSON control routes for the Twilio emulator, for a sandbox in another process.

- `POST /_sandbox/twilio/calls`: `{"from", "to", "status", "start", "end", "answered_by",
  "children": [{"to", "status", "answered_by", "start", "end", "answered_at"}]}` adds an inbound
  call (parent and forwarded legs); with `"direction"` other than `inbound` it adds one leg.
  Times are ISO 8601 with an offset; a call whose `end` is ahead of the sandbox clock is ringing.
- `POST /_sandbox/twilio/messages`: `{"from", "to", "body", "at"}` adds an inbound message.
- `POST /_sandbox/twilio/numbers`: `{"number", "refuse_code", "fail_code", "fail_status"}`, or
  `{"number", "landline": true, "refuse": bool}`.
- `GET /_sandbox/twilio/sent?to=`: the messages sent through the API, as Twilio renders them now.
- `GET /_sandbox/twilio/blocked`: the `[sender, recipient]` pairs blocked by STOP.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from daemon.sandbox.control import bad_request, json_object
from daemon.sandbox.router import Request, Response, Router
from daemon.sandbox.twilio_state import ChildLeg, TwilioState

VENDOR = "sandbox"


def _time(body: dict[str, Any], name: str) -> datetime | None:
    raw = body.get(name)
    if raw is None:
        return None
    moment = datetime.fromisoformat(str(raw))
    if moment.tzinfo is None:
        raise ValueError(f"{name} needs a UTC offset")
    return moment


def _child(raw: dict[str, Any]) -> ChildLeg:
    return ChildLeg(
        to=str(raw["to"]),
        status=str(raw.get("status", "no-answer")),
        answered_by=raw.get("answered_by"),
        start=_time(raw, "start"),
        end=_time(raw, "end"),
        answered_at=_time(raw, "answered_at"),
        from_=raw.get("from"),
    )


def register(router: Router, state: TwilioState) -> None:
    """Add the Twilio control routes to `router`."""

    def calls(body: dict[str, Any]) -> Response:
        direction = str(body.get("direction", "inbound"))
        from_, to = str(body["from"]), str(body["to"])
        status = str(body.get("status", "completed"))
        start, end = _time(body, "start"), _time(body, "end")
        answered_by = body.get("answered_by")
        if direction == "inbound" and not body.get("parent_sid"):
            children = [_child(raw) for raw in body.get("children", [])]
            added = state.add_inbound_call(
                from_=from_, to=to, status=status, start=start, end=end,
                answered_by=answered_by, children=children,
            )  # fmt: skip
            return Response(201, {"sid": added.sid, "children": list(added.child_sids)})
        sid = state.add_call(
            direction=direction, from_=from_, to=to, status=status, start=start, end=end,
            answered_at=_time(body, "answered_at"), answered_by=answered_by,
            parent_sid=body.get("parent_sid"),
        )  # fmt: skip
        return Response(201, {"sid": sid, "children": []})

    def messages(body: dict[str, Any]) -> Response:
        sid = state.add_inbound_message(
            from_=str(body["from"]),
            to=str(body["to"]),
            body=str(body.get("body", "")),
            at=_time(body, "at"),
            num_media=int(body.get("num_media", 0)),
        )
        return Response(201, {"sid": sid})

    def numbers(body: dict[str, Any]) -> Response:
        number = str(body["number"])
        if body.get("landline"):
            refuse = bool(body.get("refuse"))
            state.mark_landline(number, refuse=refuse, fail_code=body.get("fail_code"))
        else:
            state.mark_number(
                number,
                refuse_code=body.get("refuse_code"),
                fail_code=body.get("fail_code"),
                fail_status=str(body.get("fail_status", "undelivered")),
            )
        return Response(200, {"number": number})

    def sent(request: Request) -> Response:
        return Response(200, {"messages": state.sent_messages(to=request.arg("to"))})

    def blocked(request: Request) -> Response:
        with state.store.lock:
            pairs = sorted([sender, recipient] for sender, recipient in state.blocked)
        return Response(200, {"blocked": pairs})

    def posted(action: Callable[[dict[str, Any]], Response]) -> Callable[[Request], Response]:
        def run(request: Request) -> Response:
            try:
                return action(json_object(request))
            except (KeyError, ValueError, TypeError) as exc:
                return bad_request(f"{type(exc).__name__}: {exc}")

        return run

    router.add("POST", "/_sandbox/twilio/calls", posted(calls), vendor=VENDOR)
    router.add("POST", "/_sandbox/twilio/messages", posted(messages), vendor=VENDOR)
    router.add("POST", "/_sandbox/twilio/numbers", posted(numbers), vendor=VENDOR)
    router.add("GET", "/_sandbox/twilio/sent", sent, vendor=VENDOR)
    router.add("GET", "/_sandbox/twilio/blocked", blocked, vendor=VENDOR)
