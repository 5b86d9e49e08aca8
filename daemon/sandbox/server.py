"""Sandbox: the local vendor emulator: one threaded HTTP server, vendor routes, control routes.

`Sandbox(...).start()` serves Twilio's API (more vendors slot in as modules that register routes
on the same router) on 127.0.0.1 by default, plus a JSON control API under `/_sandbox/` so that a
subprocess can be driven too. Every vendor request is recorded for the contract tests, and
`faults` can make chosen requests fail, stall or lose their connection.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import socket
import sys
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qsl, urlsplit

from daemon.sandbox import control, twilio, twilio_control
from daemon.sandbox.faults import Fault, FaultAction, FaultInjector
from daemon.sandbox.router import Request, Response, Route, Router
from daemon.sandbox.store import Clock, RecordedRequest, Store, system_clock
from daemon.sandbox.twilio_records import API_VERSION
from daemon.sandbox.twilio_state import TwilioState

logger = logging.getLogger(__name__)

DEFAULT_TWILIO_ACCOUNT_SID = "AC" + "5a" * 16
DEFAULT_TWILIO_AUTH_TOKEN = "sandbox-auth-token"
CONTROL_PREFIX = "/_sandbox/"
ErrorRenderer = Callable[[int, int | None, str | None, dict[str, str]], Response]


def _generic_error(
    status: int, code: int | None, message: str | None, headers: dict[str, str]
) -> Response:
    return Response(status, {"error": message or "sandbox error", "code": code}, headers)


class Sandbox:
    """The vendor emulator: start it, point the `*_API_BASE` variables at `base_url`, stop it."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock = system_clock,
        twilio_account_sid: str = DEFAULT_TWILIO_ACCOUNT_SID,
        twilio_auth_token: str = DEFAULT_TWILIO_AUTH_TOKEN,
    ) -> None:
        self.host, self.port = host, port
        self.store = Store(clock)
        self.faults = FaultInjector()
        self.router = Router()
        self.control = Router()
        self.twilio = TwilioState(self.store, account_sid=twilio_account_sid)
        twilio.register(self.router, self.twilio, auth_token=twilio_auth_token)
        twilio_control.register(self.control, self.twilio)
        control.register(self.control, self)
        # Which vendor answers a path that no route matched (for its own 404 body).
        self.vendor_prefixes: dict[str, str] = {f"/{API_VERSION}/": twilio.VENDOR}
        self.error_renderers: dict[str, ErrorRenderer] = {twilio.VENDOR: twilio.fault_response}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.stopping = threading.Event()

    @property
    def base_url(self) -> str:
        """`http://host:port` of the running server (what `TWILIO_API_BASE` should be)."""
        if self._server is None:
            raise RuntimeError("the sandbox is not running")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._server.server_address[1]}"

    def start(self) -> Sandbox:
        """Bind and serve in a background thread; returns self."""
        handler = type("SandboxHandler", (_Handler,), {"sandbox": self})
        server = _Server((self.host, self.port), handler)
        server.daemon_threads = True
        self._server = server
        self.stopping.clear()
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        logger.info("sandbox listening on %s", self.base_url)
        return self

    def stop(self) -> None:
        """Stop serving and release the port (stalled requests are cut short)."""
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def shift_clock(self, delta: timedelta) -> None:
        """Move the sandbox clock (calls complete, messages advance as their times pass)."""
        self.store.shift(delta)

    def set_clock_offset(self, offset: timedelta) -> None:
        """Put the sandbox clock `offset` ahead of the clock it was given."""
        self.store.set_offset(offset)

    def reset(self) -> None:
        """Forget every record, fault, logged request and clock offset."""
        self.faults.clear()
        self.store.reset()

    def requests(self, vendor: str | None = None) -> list[RecordedRequest]:
        """The vendor requests received so far, oldest first."""
        return self.store.requests(vendor)

    def vendor_of(self, path: str) -> str:
        """The vendor whose API `path` belongs to ("" if none)."""
        return next((v for p, v in self.vendor_prefixes.items() if path.startswith(p)), "")

    def error(self, vendor: str, status: int, fault: Fault | None = None) -> Response:
        """The vendor's own error body for `status` (or for an injected fault)."""
        render = self.error_renderers.get(vendor, _generic_error)
        headers = {}
        if fault is not None and fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        code = fault.code if fault else None
        return render(status, code, fault.message if fault else None, headers)


class _Server(ThreadingHTTPServer):
    """A client that gave up (its timeout, a stalled answer) is normal here, not a traceback."""

    clients_gone = 0

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):  # broken pipe, reset by the client
            self.clients_gone += 1
            logger.debug("sandbox: the client of %s left before its answer", client_address)
            return
        logger.exception("sandbox: request from %s failed", client_address)


class _Handler(BaseHTTPRequestHandler):
    sandbox: Sandbox
    protocol_version = "HTTP/1.0"  # one request per connection: no stale keep-alive sockets

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("sandbox %s", format % args)

    def _handle(self) -> None:
        box = self.sandbox
        received = box.store.now()
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(
            method=self.command,
            path=parts.path,
            query=tuple(parse_qsl(parts.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        if parts.path.startswith(CONTROL_PREFIX):
            found = box.control.match(self.command, parts.path)
            if found is None:
                self._write(Response(404, {"error": f"no control route {parts.path}"}))
                return
            route, params = found
            self._write(self._run(route.handler, request, params, ""))
            return
        found = box.router.match(self.command, parts.path)
        vendor = found[0].vendor if found else box.vendor_of(parts.path)
        fault = box.faults.take(self.command, parts.path)
        stalled = fault is not None and fault.action is FaultAction.DELAY
        if stalled and fault is not None and box.stopping.wait(fault.delay):
            fault = Fault(FaultAction.DROP)  # the sandbox is stopping: give up on the request
        if fault is not None and fault.action is FaultAction.DROP:
            self._record(vendor, request, found, None, fault, received)
            self._drop()
            return
        if fault is not None and fault.action is FaultAction.STATUS:
            response = box.error(vendor, fault.status, fault)
        elif found is None:
            response = box.error(vendor, 405 if box.router.allows(parts.path) else 404)
        else:
            response = self._run(found[0].handler, request, found[1], vendor)
        if fault is not None and fault.action is FaultAction.DROP_RESPONSE:
            self._record(vendor, request, found, None, fault, received)
            self._drop()
            return
        self._record(vendor, request, found, response, fault, received)
        self._write(response)

    def _run(
        self,
        handler: Callable[[Request], Response],
        request: Request,
        params: dict[str, str],
        vendor: str,
    ) -> Response:
        try:
            return handler(dataclasses.replace(request, params=params))
        except Exception:
            logger.exception("sandbox handler failed on %s %s", request.method, request.path)
            return self.sandbox.error(vendor, 500)

    def _record(
        self,
        vendor: str,
        request: Request,
        found: tuple[Route, dict[str, str]] | None,
        response: Response | None,
        fault: Fault | None,
        received: datetime,
    ) -> None:
        try:
            body = request.json() if request.content_type == "application/json" else None
        except ValueError:
            body = None
        entry = RecordedRequest(
            vendor=vendor,
            method=request.method,
            path=request.path,
            route=None if found is None else found[0].pattern,
            query=request.query,
            form=request.form,
            json_body=body,
            status=None if response is None else response.status,
            response=None if response is None else response.body,
            fault=None if fault is None else fault.action.value,
            at=self.sandbox.store.now(),
            received=received,
        )
        self.sandbox.store.record(entry)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _write(self, response: Response) -> None:
        payload = response.encoded()
        self.send_response(response.status)
        if payload:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if payload:
            self.wfile.write(payload)
