"""Sandbox: requests, responses and a small router from (method, path pattern) to a handler.

Patterns use the vendors' own templated paths (`/2010-04-01/Accounts/{AccountSid}/Calls.json`);
each placeholder matches one path segment. Every vendor module registers its routes here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Request:
    """One HTTP request as the handlers see it (query and form already decoded)."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)  # path placeholders

    def arg(self, name: str) -> str | None:
        """The first query value named `name`, or None."""
        return next((value for key, value in self.query if key == name), None)

    @property
    def content_type(self) -> str:
        """The media type of the body, without parameters, lower-cased."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def form(self) -> tuple[tuple[str, str], ...]:
        """The form-encoded body as (name, value) pairs, in order."""
        if self.content_type != "application/x-www-form-urlencoded":
            return ()
        return tuple(parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))

    def form_value(self, name: str) -> str | None:
        """The first form value named `name`, or None."""
        return next((value for key, value in self.form if key == name), None)

    def json(self) -> Any:
        """The body parsed as JSON (None when empty); raises ValueError when malformed."""
        return json.loads(self.body) if self.body.strip() else None


@dataclass
class Response:
    """What a handler answers: a status, a JSON-able body (or raw bytes) and extra headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        """The body as bytes, JSON unless it already is bytes."""
        if isinstance(self.body, bytes):
            return self.body
        if self.body is None and self.status == 204:
            return b""
        return json.dumps(self.body).encode("utf-8")


Handler = Callable[[Request], Response]


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """A templated path as a regular expression whose groups are the placeholders."""
    parts = _PLACEHOLDER.split(pattern)
    regex = ""
    for index, part in enumerate(parts):
        regex += f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part)
    return re.compile(f"^{regex}$")


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    handler: Handler
    vendor: str
    regex: re.Pattern[str]


class Router:
    """Routes (method, templated path) to handlers; first registered match wins."""

    def __init__(self) -> None:
        self._routes: list[Route] = []

    def add(self, method: str, pattern: str, handler: Handler, *, vendor: str) -> None:
        """Register `handler` for `method` on paths matching `pattern`."""
        route = Route(method.upper(), pattern, handler, vendor, compile_pattern(pattern))
        self._routes.append(route)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route for this request and its path parameters, or None."""
        for route in self._routes:
            found = route.regex.match(path)
            if found and route.method == method.upper():
                return route, found.groupdict()
        return None

    def allows(self, path: str) -> list[str]:
        """The methods registered for `path` (for a 405 answer)."""
        return sorted({r.method for r in self._routes if r.regex.match(path)})
