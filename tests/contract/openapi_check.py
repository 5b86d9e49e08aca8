"""Checks recorded sandbox traffic against a vendor's OpenAPI file (the trimmed copies in specs/).

A request is checked for its operation, path parameters, query parameter names and values, and
form fields; an answer against the operation's response schema (2xx) or the vendor's error
schema. Formats the specs use get checkers here, RFC 2822 dates included.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from jsonschema import FormatChecker
from openapi_schema_validator import OAS30Validator

from daemon.sandbox.router import compile_pattern
from daemon.sandbox.store import RecordedRequest

SPECS = Path(__file__).with_name("specs")
_RFC2822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d{2}:\d{2}:\d{2} \+0000$"
)
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_E164 = re.compile(r"^\+[1-9]\d{1,14}$")

FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time-rfc-2822", raises=(TypeError, ValueError))
def is_rfc2822(value: object) -> bool:
    """Twilio's dates: `Fri, 18 Oct 2019 17:02:00 +0000`, a real instant, whole seconds."""
    if not isinstance(value, str):
        return True
    return bool(_RFC2822.match(value)) and parsedate_to_datetime(value) is not None


@FORMATS.checks("date-time", raises=ValueError)
def is_rfc3339(value: object) -> bool:
    """An RFC 3339 date-time with an offset (what the SDK sends for date filters)."""
    if not isinstance(value, str):
        return True
    return bool(_RFC3339.match(value)) and datetime.fromisoformat(value) is not None


@FORMATS.checks("phone-number")
def is_e164(value: object) -> bool:
    """An E.164 number."""
    return not isinstance(value, str) or bool(_E164.match(value))


@FORMATS.checks("int64")
def is_int64(value: object) -> bool:
    """A 64-bit integer."""
    return not isinstance(value, int) or -(2**63) <= value < 2**63


def load(name: str) -> dict[str, Any]:
    """One spec file from specs/."""
    return json.loads((SPECS / name).read_text(encoding="utf-8"))


class SpecCheck:
    """Validates recorded requests and answers against one OpenAPI 3.0 document."""

    def __init__(self, spec: dict[str, Any], error_schema: dict[str, Any]) -> None:
        self.spec = spec
        self.error_schema = error_schema

    def _errors(self, schema: dict[str, Any], value: Any) -> list[str]:
        # `#/components/...` references resolve against the spec's own components.
        rooted = {**schema, "components": self.spec["components"]}
        validator = OAS30Validator(rooted, format_checker=FORMATS)
        return [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(value)
        ]

    def operation(self, method: str, route: str | None) -> dict[str, Any] | None:
        """The spec's operation for a templated path, or None."""
        return self.spec["paths"].get(route or "", {}).get(method.lower())

    def request_problems(self, entry: RecordedRequest) -> list[str]:
        """Every way `entry`'s request departs from the spec (empty when it conforms)."""
        op = self.operation(entry.method, entry.route)
        if op is None:
            return [f"{entry.method} {entry.path}: no such operation in the spec"]
        params = {(p["in"], p["name"]): p for p in op.get("parameters", [])}
        problems: list[str] = []
        found = compile_pattern(entry.route or "").match(entry.path)
        for name, value in (found.groupdict() if found else {}).items():
            problems += [
                f"path {name}: {e}" for e in self._errors(params[("path", name)]["schema"], value)
            ]
        names = [name for name, _ in entry.query]
        if len(names) != len(set(names)):
            problems.append(f"repeated query parameters: {names}")
        for name, raw in entry.query:
            param = params.get(("query", name))
            if param is None:
                problems.append(f"query {name!r} is not a parameter of {op['operationId']}")
                continue
            problems += [
                f"query {name}: {e}"
                for e in self._errors(param["schema"], _typed(param["schema"], raw))
            ]
        if entry.method in ("POST", "PUT", "PATCH"):
            problems += self._form_problems(op, entry)
        return problems

    def _form_problems(self, op: dict[str, Any], entry: RecordedRequest) -> list[str]:
        content = op.get("requestBody", {}).get("content", {})
        schema = content.get("application/x-www-form-urlencoded", {}).get("schema")
        if schema is None:
            return [f"{op['operationId']} takes no form body"]
        props = schema.get("properties", {})
        problems = [
            f"form {n!r} is not a field of {op['operationId']}"
            for n, _ in entry.form
            if n not in props
        ]
        sent = {n for n, _ in entry.form}
        problems += [f"form {n!r} is required" for n in schema.get("required", []) if n not in sent]
        for name, raw in entry.form:
            if name in props:
                problems += [
                    f"form {name}: {e}" for e in self._errors(props[name], _typed(props[name], raw))
                ]
        return problems

    def response_problems(self, entry: RecordedRequest) -> list[str]:
        """Every way `entry`'s answer departs from the spec (a dropped answer has none)."""
        if entry.status is None:
            return []
        if entry.status >= 400:
            return [f"error body: {e}" for e in self._errors(self.error_schema, entry.response)]
        op = self.operation(entry.method, entry.route)
        if op is None:
            return [f"{entry.method} {entry.path}: no such operation in the spec"]
        answer = op["responses"].get(str(entry.status))
        if answer is None:
            return [f"{op['operationId']} does not answer {entry.status}"]
        schema = answer["content"]["application/json"]["schema"]
        return self._errors(schema, entry.response)

    def schema(self, name: str) -> dict[str, Any]:
        """A component schema by name."""
        return self.spec["components"]["schemas"][name]

    def validate(self, schema: dict[str, Any], value: Any) -> list[str]:
        """The validation errors of `value` against `schema` (refs into this spec allowed)."""
        return self._errors(schema, value)


def _typed(schema: dict[str, Any], raw: str) -> Any:
    """A query or form value as the type the schema expects (the wire only has strings)."""
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            return float(raw)
    except ValueError:
        return raw
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw, raw)
    return raw
