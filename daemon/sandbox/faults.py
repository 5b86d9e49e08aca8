"""Sandbox: fault injection: the next N requests to a route fail, stall or lose their connection.

A fault names a method and a path pattern (the router's syntax, `{Name}` matches one segment) and
one action:
- `status`: answer `status` with the vendor's own error body (429 carries `Retry-After`);
- `delay`: wait `delay` seconds, then answer normally (longer than a client's timeout = a timeout);
- `drop`: close the connection without any answer, before the request is handled;
- `drop_response`: handle the request (a create really happens), then close without answering.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from daemon.sandbox.router import compile_pattern


class FaultAction(StrEnum):
    STATUS = "status"
    DELAY = "delay"
    DROP = "drop"
    DROP_RESPONSE = "drop_response"


@dataclass(frozen=True)
class Fault:
    """What happens to one request that a fault rule caught."""

    action: FaultAction
    status: int = 500
    code: int | None = None  # the vendor's error code; the vendor's default when None
    message: str | None = None
    retry_after: int | None = None  # seconds, sent as Retry-After
    delay: float = 0.0


@dataclass
class _Rule:
    method: str
    pattern: str
    fault: Fault
    remaining: int

    def matches(self, method: str, path: str) -> bool:
        method_ok = self.method in ("*", method.upper())
        return method_ok and compile_pattern(self.pattern).match(path) is not None


class FaultInjector:
    """Holds fault rules; `take` hands out the first matching rule's fault and counts it down."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []

    def add(
        self,
        *,
        method: str,
        path: str,
        action: FaultAction | str,
        times: int = 1,
        status: int = 500,
        code: int | None = None,
        message: str | None = None,
        retry_after: int | None = None,
        delay: float = 0.0,
    ) -> None:
        """Make the next `times` requests matching `method` and `path` suffer `action`."""
        if times < 1:
            raise ValueError("times must be at least 1")
        if not 400 <= status <= 599:
            raise ValueError("a fault status must be 4xx or 5xx")
        kind = FaultAction(action)
        if kind is FaultAction.DELAY and delay <= 0:
            raise ValueError("a delay fault needs a delay above 0 seconds")
        if status == 429 and retry_after is None:
            retry_after = 1
        fault = Fault(kind, status, code, message, retry_after, delay)
        with self._lock:
            self._rules.append(_Rule(method.upper(), path, fault, times))

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if a rule matches it (using up one of its requests)."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path):
                    rule.remaining -= 1
                    if rule.remaining == 0:
                        self._rules.remove(rule)
                    return rule.fault
        return None

    def pending(self) -> list[dict[str, Any]]:
        """The rules not used up yet, as JSON-able dicts."""
        with self._lock:
            return [
                {
                    "method": r.method,
                    "path": r.pattern,
                    "action": r.fault.action.value,
                    "remaining": r.remaining,
                    "status": r.fault.status,
                    "code": r.fault.code,
                    "delay": r.fault.delay,
                }
                for r in self._rules
            ]

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()
