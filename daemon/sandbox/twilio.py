"""Sandbox: Twilio's REST API 2010-04-01 (Calls and Messages) over HTTP, with its own paths,
parameters, Basic auth, status codes, error bodies, RFC 2822 dates and `PageToken` paging.

Date filters honour only the day (`StartTime>` = on or after that UTC date), which is all Twilio
documents; lists come newest first. `register` adds the routes to the sandbox's router.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Callable
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

from daemon.sandbox.router import Request, Response, Router
from daemon.sandbox.twilio_records import API_VERSION, CallRecord, MessageRecord, error_response
from daemon.sandbox.twilio_state import TwilioState

VENDOR = "twilio"
ACCOUNT = f"/{API_VERSION}/Accounts/{{AccountSid}}"
PAGING_KEYS = ("Page", "PageSize", "PageToken")
CALL_FILTERS = ("To", "From", "Status", "ParentCallSid")


class _BadParameter(Exception):
    pass


def register(router: Router, state: TwilioState, *, auth_token: str) -> None:
    """Add the Twilio routes, each behind Twilio's Basic auth, to `router`."""

    def guarded(
        handler: Callable[[Request, TwilioState], Response],
    ) -> Callable[[Request], Response]:
        def run(request: Request) -> Response:
            refusal = _check_auth(request, state.account_sid, auth_token)
            if refusal is not None:
                return refusal
            try:
                return handler(request, state)
            except _BadParameter as exc:
                return error_response(400, 20001, str(exc))

        return run

    router.add("GET", f"{ACCOUNT}/Calls.json", guarded(_list_calls), vendor=VENDOR)
    router.add("GET", f"{ACCOUNT}/Calls/{{Sid}}.json", guarded(_fetch_call), vendor=VENDOR)
    router.add("GET", f"{ACCOUNT}/Messages.json", guarded(_list_messages), vendor=VENDOR)
    router.add("POST", f"{ACCOUNT}/Messages.json", guarded(_create_message), vendor=VENDOR)
    router.add("GET", f"{ACCOUNT}/Messages/{{Sid}}.json", guarded(_fetch_message), vendor=VENDOR)


def not_found(path: str) -> Response:
    """Twilio's 404 body."""
    return error_response(404, 20404, f"The requested resource {path} was not found")


def _check_auth(request: Request, account_sid: str, auth_token: str) -> Response | None:
    header = request.headers.get("authorization", "")
    user, password = "", ""
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
            user, _, password = decoded.partition(":")
        except (ValueError, UnicodeDecodeError):
            user = ""
    good = hmac.compare_digest(user.encode(), account_sid.encode()) and hmac.compare_digest(
        password.encode(), auth_token.encode()
    )
    if not good:
        challenge = {"WWW-Authenticate": 'Basic realm="Twilio API"'}
        return error_response(401, 20003, "Authenticate", challenge)
    if request.params.get("AccountSid") != account_sid:
        return not_found(request.path)
    return None


def _day(request: Request, name: str) -> date | None:
    """A date filter's value, only to the day (YYYY-MM-DD, ISO 8601 date-time or RFC 2822)."""
    raw = request.arg(name)
    if raw is None or raw == "":
        return None
    try:
        if len(raw) >= 10 and raw[4] == "-" and raw[7] == "-":
            return date.fromisoformat(raw[:10])
        return parsedate_to_datetime(raw).date()
    except (ValueError, TypeError, IndexError) as exc:
        raise _BadParameter(f"Invalid value for parameter {name}: {raw}") from exc


DayBounds = tuple[date | None, date | None, date | None]


def _bounds(request: Request, field: str) -> DayBounds:
    """The `field`, `field>` and `field<` filters, each to the day."""
    on, after, before = (_day(request, field + suffix) for suffix in ("", ">", "<"))
    return on, after, before


def _in_days(bounds: DayBounds, value: datetime | None) -> bool:
    """True if `value` passes the day filters (`>` on or after, `<` on or before)."""
    on, after, before = bounds
    if on is None and after is None and before is None:
        return True
    if value is None:
        return False
    day = value.date()
    return (
        (on is None or day == on)
        and (after is None or day >= after)
        and (before is None or day <= before)
    )


def _page(
    request: Request, key: str, records: list[Any], render: Callable[[Any], dict[str, Any]]
) -> Response:
    """One page of `records` (already newest first) with Twilio's paging keys."""
    raw_size = request.arg("PageSize") or "50"
    raw_page = request.arg("Page") or "0"
    if not raw_size.isdigit() or not 1 <= int(raw_size) <= 1000:
        raise _BadParameter(f"Invalid value for parameter PageSize: {raw_size}")
    if not raw_page.isdigit():
        raise _BadParameter(f"Invalid value for parameter Page: {raw_page}")
    size, page = int(raw_size), int(raw_page)
    sids = [r.sid for r in records]
    token = request.arg("PageToken") or ""
    if token[:2] in ("PA", "PB") and token[2:] in sids:
        at = sids.index(token[2:])
        first = at + 1 if token.startswith("PA") else max(0, at - size)
    elif token:
        raise _BadParameter(f"Invalid value for parameter PageToken: {token}")
    else:
        first = page * size
    chosen = records[first : first + size]
    filters = [(k, v) for k, v in request.query if k not in PAGING_KEYS]

    def uri(page_number: int, page_token: str | None) -> str:
        pairs = [*filters, ("PageSize", str(size)), ("Page", str(page_number))]
        if page_token:
            pairs.append(("PageToken", page_token))
        return f"{request.path}?{urlencode(pairs)}"

    has_next = first + size < len(records) and bool(chosen)
    return Response(
        200,
        {
            key: [render(r) for r in chosen],
            "end": page * size + max(len(chosen) - 1, 0),
            "first_page_uri": uri(0, None),
            "next_page_uri": uri(page + 1, "PA" + chosen[-1].sid) if has_next else None,
            "page": page,
            "page_size": size,
            "previous_page_uri": uri(page - 1, "PB" + chosen[0].sid) if page and chosen else None,
            "start": page * size,
            "uri": uri(page, token or None),
        },
    )


def _newest_first(records: list[Any], moment: Callable[[Any], datetime]) -> list[Any]:
    return sorted(records, key=lambda r: (moment(r), r.seq), reverse=True)


def _list_calls(request: Request, state: TwilioState) -> Response:
    with state.store.lock:
        now = state.store.now()
        wanted = {name: request.arg(name) for name in CALL_FILTERS}
        started, ended = _bounds(request, "StartTime"), _bounds(request, "EndTime")

        def keep(call: CallRecord) -> bool:
            actual = {
                "To": call.to_number,
                "From": call.from_number,
                "Status": call.status_at(now),
                "ParentCallSid": call.parent_sid,
            }
            if any(v is not None and actual[k] != v for k, v in wanted.items()):
                return False
            end = call.end if now >= call.end else None
            return _in_days(started, call.start) and _in_days(ended, end)

        calls = [c for c in state.calls if c.visible(now) and keep(c)]
        ordered = _newest_first(calls, lambda c: c.start)
        return _page(request, "calls", ordered, lambda c: c.render(now, state.account_sid))


def _fetch_call(request: Request, state: TwilioState) -> Response:
    with state.store.lock:
        now = state.store.now()
        for call in state.calls:
            if call.sid == request.params["Sid"] and call.visible(now):
                return Response(200, call.render(now, state.account_sid))
    return not_found(request.path)


def _list_messages(request: Request, state: TwilioState) -> Response:
    with state.store.lock:
        now = state.store.now()
        to, from_ = request.arg("To"), request.arg("From")
        sent = _bounds(request, "DateSent")

        def keep(message: MessageRecord) -> bool:
            if (to is not None and message.to_number != to) or (
                from_ is not None and message.from_number != from_
            ):
                return False
            return _in_days(sent, message.date_sent_at(now))

        messages = [m for m in state.messages if m.visible(now) and keep(m)]
        ordered = _newest_first(messages, lambda m: m.created)
        return _page(request, "messages", ordered, lambda m: m.render(now, state.account_sid))


def _fetch_message(request: Request, state: TwilioState) -> Response:
    with state.store.lock:
        now = state.store.now()
        for message in state.messages:
            if message.sid == request.params["Sid"] and message.visible(now):
                return Response(200, message.render(now, state.account_sid))
    return not_found(request.path)


def _create_message(request: Request, state: TwilioState) -> Response:
    form = {name: request.form_value(name) for name in ("To", "From", "Body")}
    result = state.create_message(to=form["To"], from_=form["From"], body=form["Body"])
    if isinstance(result, Response):
        return result
    with state.store.lock:
        return Response(201, result.render(state.store.now(), state.account_sid))


_DEFAULT_ERRORS = {
    400: (20001, "Invalid parameter"),
    401: (20003, "Authenticate"),
    403: (20403, "Forbidden"),
    404: (20404, "The requested resource was not found"),
    405: (20004, "Method not allowed"),
    429: (20429, "Too Many Requests"),
    500: (20500, "Internal Server Error"),
    502: (20502, "Bad Gateway"),
    503: (20503, "Service Unavailable"),
}


def fault_response(
    status: int, code: int | None, message: str | None, headers: dict[str, str]
) -> Response:
    """Twilio's error body for an injected fault or an unknown path."""
    default_code, default_message = _DEFAULT_ERRORS.get(
        status, (20500 if status >= 500 else 20001, "Error")
    )
    return error_response(status, code or default_code, message or default_message, headers)
