"""Sandbox: the JSON control routes under `/_sandbox/` shared by every vendor (clock, faults,
request log, reset), so that tests and the demo can drive a sandbox running in another process.

- `GET /_sandbox/health`; `POST /_sandbox/reset`
- `GET /_sandbox/clock`; `POST /_sandbox/clock` with `{"offset_seconds": n}` (absolute) or
  `{"shift_seconds": n}` (relative)
- `GET|POST|DELETE /_sandbox/faults` (POST takes `FaultInjector.add`'s keyword arguments)
- `GET /_sandbox/requests?vendor=twilio`
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from daemon.sandbox.router import Request, Response, Router

if TYPE_CHECKING:
    from daemon.sandbox.server import Sandbox

VENDOR = "sandbox"
FAULT_FIELDS = frozenset(
    {"method", "path", "action", "times", "status", "code", "message", "retry_after", "delay"}
)


def bad_request(message: str) -> Response:
    """The control API's error answer."""
    return Response(400, {"error": message})


def json_object(request: Request) -> dict[str, Any]:
    """The request's JSON body as an object; raises ValueError otherwise."""
    body = request.json()
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def register(router: Router, sandbox: Sandbox) -> None:
    """Add the shared control routes for `sandbox` to `router`."""

    def health(request: Request) -> Response:
        return Response(200, {"status": "ok", "now": sandbox.store.now().isoformat()})

    def reset(request: Request) -> Response:
        sandbox.reset()
        return Response(200, {"status": "reset"})

    def clock(request: Request) -> Response:
        if request.method == "POST":
            try:
                body = json_object(request)
                if "offset_seconds" in body:
                    sandbox.set_clock_offset(timedelta(seconds=float(body["offset_seconds"])))
                if "shift_seconds" in body:
                    sandbox.shift_clock(timedelta(seconds=float(body["shift_seconds"])))
            except (ValueError, TypeError) as exc:
                return bad_request(str(exc))
        offset = sandbox.store.offset.total_seconds()
        return Response(200, {"now": sandbox.store.now().isoformat(), "offset_seconds": offset})

    def faults(request: Request) -> Response:
        if request.method == "DELETE":
            sandbox.faults.clear()
        elif request.method == "POST":
            try:
                body = json_object(request)
                unknown = set(body) - FAULT_FIELDS
                if unknown:
                    raise ValueError(f"unknown fault fields: {sorted(unknown)}")
                sandbox.faults.add(**body)
            except (ValueError, TypeError) as exc:
                return bad_request(str(exc))
        return Response(200, {"faults": sandbox.faults.pending()})

    def requests(request: Request) -> Response:
        entries = sandbox.requests(request.arg("vendor"))
        return Response(200, {"requests": [entry.as_dict() for entry in entries]})

    router.add("GET", "/_sandbox/health", health, vendor=VENDOR)
    router.add("POST", "/_sandbox/reset", reset, vendor=VENDOR)
    for method in ("GET", "POST"):
        router.add(method, "/_sandbox/clock", clock, vendor=VENDOR)
    for method in ("GET", "POST", "DELETE"):
        router.add(method, "/_sandbox/faults", faults, vendor=VENDOR)
    router.add("GET", "/_sandbox/requests", requests, vendor=VENDOR)
