"""Pure: operating settings (PRODUCT.md section 7), re-read by the daemon at the start of each tick.

Precedence is default < environment < saved (in the console), except the kill switch
RECOVERY_PAUSED, which is on if either the saved value or the environment says so. Every layer
that is present is checked, so a bad environment value is reported even while a saved one hides it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import TypeVar
from zoneinfo import ZoneInfo

from core.config_formats import (
    Findings,
    parse_bank_holidays,
    parse_boolean,
    parse_company_name,
    parse_decimal,
    parse_numbers,
    parse_timezone,
    value_of,
)
from core.domain import Policy, TemplateKind
from core.hours import DEFAULT_HOURS_TEXT, WeeklyHours, days_outside_hard_limit, parse_hours
from core.messages import DEFAULT_TEMPLATES, template_problems

T = TypeVar("T")

LONDON = "Europe/London"
TEMPLATE_VARIABLES: Mapping[TemplateKind, str] = MappingProxyType(
    {
        TemplateKind.IN_HOURS: "RECOVERY_SMS_TEMPLATE",
        TemplateKind.AFTER_HOURS: "RECOVERY_SMS_AFTER_HOURS_TEMPLATE",
        TemplateKind.NO_CALL: "RECOVERY_SMS_NO_CALL_TEMPLATE",
    }
)
DECIMAL_DEFAULTS: Mapping[str, float] = MappingProxyType(
    {
        "RECOVERY_POLL_SECONDS": 5,
        "RECOVERY_SMS_DELAY_SECONDS": 0,
        "RECOVERY_REPLY_WAIT_SECONDS": 180,
        "RECOVERY_EMAIL_DELAY_SECONDS": 2700,
        "RECOVERY_COOLDOWN_HOURS": 24,
        "RECOVERY_MAX_CATCHUP_MINUTES": 30,
        "RECOVERY_MAX_CALLBACK_WAIT_HOURS": 72,
        "RECOVERY_BASELINE_CONVERSION": 0.2,
    }
)
# The default of every operating variable as text; None where there is none (company name).
OPERATING_DEFAULTS: Mapping[str, str | None] = MappingProxyType(
    {
        "RECOVERY_COMPANY_NAME": None,
        **{name: f"{value:g}" for name, value in DECIMAL_DEFAULTS.items()},
        "RECOVERY_TIMEZONE": LONDON,
        "RECOVERY_HOURS": DEFAULT_HOURS_TEXT,
        "RECOVERY_BANK_HOLIDAYS": "england",
        "RECOVERY_IGNORE_NUMBERS": "",
        "RECOVERY_PAUSED": "false",
        **{TEMPLATE_VARIABLES[kind]: text for kind, text in DEFAULT_TEMPLATES.items()},
    }
)
OPERATING_VARIABLES: tuple[str, ...] = tuple(OPERATING_DEFAULTS)
# The console keeps its own edits inside these (in each variable's own unit); environment values
# outside them are accepted (tests use seconds where production uses minutes) with a warning.
SANE_RANGES: Mapping[str, tuple[float, float]] = MappingProxyType(
    {
        "RECOVERY_POLL_SECONDS": (2, 60),
        "RECOVERY_SMS_DELAY_SECONDS": (0, 300),
        "RECOVERY_REPLY_WAIT_SECONDS": (60, 900),
        "RECOVERY_EMAIL_DELAY_SECONDS": (1800, 3600),
        "RECOVERY_COOLDOWN_HOURS": (1, 168),
        "RECOVERY_MAX_CATCHUP_MINUTES": (5, 120),
        "RECOVERY_MAX_CALLBACK_WAIT_HOURS": (24, 168),
        "RECOVERY_BASELINE_CONVERSION": (0.01, 0.9),
    }
)
_HOLIDAY_SUBDIVISIONS = {"england": "ENG", "wales": "ENG", "scotland": "SCT"}
_HOLIDAY_SUBDIVISIONS["northern-ireland"] = "NIR"


@dataclass(frozen=True)
class OperatingSettings:
    """The effective operating settings, each in its variable's own unit, and each one's source."""

    company_name: str
    poll_seconds: float
    sms_delay_seconds: float
    reply_wait_seconds: float
    email_delay_seconds: float
    cooldown_hours: float
    max_catchup_minutes: float
    max_callback_wait_hours: float
    baseline_conversion: float
    timezone: str
    hours: WeeklyHours = field(hash=False)
    bank_holidays: str
    ignore_numbers: tuple[str, ...]
    paused: bool
    templates: Mapping[TemplateKind, str] = field(hash=False)
    # variable name -> "default" | "environment" | "saved"
    sources: Mapping[str, str] = field(hash=False)

    @property
    def zone(self) -> ZoneInfo:
        """The business's own time zone."""
        return ZoneInfo(self.timezone)

    @property
    def holiday_subdivision(self) -> str | None:
        """The `holidays.UK` subdivision for RECOVERY_BANK_HOLIDAYS; None for `none`."""
        return _HOLIDAY_SUBDIVISIONS.get(self.bank_holidays)

    def to_policy(self, *, layer2_on: bool, layer3_on: bool) -> Policy:
        """The rules' view of these settings, in core units."""
        return Policy(
            sms_delay=timedelta(seconds=self.sms_delay_seconds),
            reply_wait=timedelta(seconds=self.reply_wait_seconds),
            email_delay=timedelta(seconds=self.email_delay_seconds),
            cooldown=timedelta(hours=self.cooldown_hours),
            max_catchup=timedelta(minutes=self.max_catchup_minutes),
            max_callback_wait=timedelta(hours=self.max_callback_wait_hours),
            layer2_on=layer2_on,
            layer3_on=layer3_on,
            kill_switch=self.paused,
        )


def read_operating_settings(
    *, environment: Mapping[str, str], saved: Mapping[str, str]
) -> tuple[OperatingSettings | None, Findings]:
    """The effective operating settings (None if any problem) and every problem and warning."""
    reader = _Reader(environment, saved)
    decimals = {
        name: reader.read(name, parse_decimal, default)
        for name, default in DECIMAL_DEFAULTS.items()
    }
    _check_decimals(reader, decimals)
    company = reader.read("RECOVERY_COMPANY_NAME", parse_company_name, "")
    if not company and not reader.has_problem("RECOVERY_COMPANY_NAME"):
        reader.findings.problem(
            "RECOVERY_COMPANY_NAME", "required: set it in the environment (.env) or in the console"
        )
    timezone = reader.read("RECOVERY_TIMEZONE", parse_timezone, LONDON)
    hours = reader.read("RECOVERY_HOURS", _hours, parse_hours(DEFAULT_HOURS_TEXT)[0] or {})
    bank_holidays = reader.read("RECOVERY_BANK_HOLIDAYS", parse_bank_holidays, "england")
    no_numbers: tuple[str, ...] = ()
    ignore = reader.read("RECOVERY_IGNORE_NUMBERS", parse_numbers, no_numbers)
    templates = {
        kind: reader.read(TEMPLATE_VARIABLES[kind], _template, text)
        for kind, text in DEFAULT_TEMPLATES.items()
    }
    paused = reader.read_kill_switch()
    if reader.findings.problems:
        return None, reader.findings
    _warn(reader, decimals, timezone, hours)
    settings = OperatingSettings(
        company_name=company,
        poll_seconds=decimals["RECOVERY_POLL_SECONDS"],
        sms_delay_seconds=decimals["RECOVERY_SMS_DELAY_SECONDS"],
        reply_wait_seconds=decimals["RECOVERY_REPLY_WAIT_SECONDS"],
        email_delay_seconds=decimals["RECOVERY_EMAIL_DELAY_SECONDS"],
        cooldown_hours=decimals["RECOVERY_COOLDOWN_HOURS"],
        max_catchup_minutes=decimals["RECOVERY_MAX_CATCHUP_MINUTES"],
        max_callback_wait_hours=decimals["RECOVERY_MAX_CALLBACK_WAIT_HOURS"],
        baseline_conversion=decimals["RECOVERY_BASELINE_CONVERSION"],
        timezone=timezone,
        hours=hours,
        bank_holidays=bank_holidays,
        ignore_numbers=ignore,
        paused=paused,
        templates=MappingProxyType(templates),
        sources=MappingProxyType(dict(reader.sources)),
    )
    return settings, reader.findings


class _Reader:
    """Reads one variable at a time from its layers, recording its source and its problems."""

    def __init__(self, environment: Mapping[str, str], saved: Mapping[str, str]) -> None:
        self.environment = environment
        self.saved = saved
        self.findings = Findings()
        self.sources: dict[str, str] = {}

    def has_problem(self, name: str) -> bool:
        return any(problem.name == name for problem in self.findings.problems)

    def _layers(self, name: str) -> list[tuple[str, str]]:
        """(source, text) for each layer that sets `name`, highest precedence first."""
        layers = [("saved", value_of(self.saved, name))]
        layers.append(("environment", value_of(self.environment, name)))
        return [(source, text) for source, text in layers if text is not None]

    def read(self, name: str, parse: Callable[[str], tuple[T, list[str]]], default: T) -> T:
        """The highest layer's value of `name` (or `default`); every layer's problems recorded."""
        chosen, source = default, "default"
        for index, (layer, text) in enumerate(self._layers(name)):
            value, problems = parse(text)
            self._record(name, layer, problems)
            if index == 0:
                chosen, source = value, layer
        self.sources[name] = source
        return chosen

    def read_kill_switch(self) -> bool:
        """RECOVERY_PAUSED: on if either layer says so."""
        name = "RECOVERY_PAUSED"
        values: list[tuple[str, bool]] = []
        for layer, text in self._layers(name):
            value, problems = parse_boolean(text)
            self._record(name, layer, problems)
            values.append((layer, value))
        on = [layer for layer, value in values if value]
        self.sources[name] = on[0] if on else (values[0][0] if values else "default")
        return bool(on)

    def problem(self, name: str, message: str) -> None:
        """Record a problem with the effective value of `name`, saying where it was set."""
        self._record(name, self.sources.get(name, "default"), [message])

    def _record(self, name: str, layer: str, problems: list[str]) -> None:
        suffix = " (saved in the console)" if layer == "saved" else ""
        for problem in problems:
            self.findings.problem(name, problem + suffix)


def _check_decimals(reader: _Reader, decimals: dict[str, float]) -> None:
    """The rules that need more than the decimal format; skipped for values already refused."""
    ok = {name: not reader.has_problem(name) for name in decimals}
    poll, catchup = decimals["RECOVERY_POLL_SECONDS"], decimals["RECOVERY_MAX_CATCHUP_MINUTES"]
    if ok["RECOVERY_POLL_SECONDS"] and poll <= 0:
        reader.problem("RECOVERY_POLL_SECONDS", "must be above 0")
    if ok["RECOVERY_MAX_CATCHUP_MINUTES"] and catchup <= 0:
        reader.problem("RECOVERY_MAX_CATCHUP_MINUTES", "must be above 0")
    elif ok["RECOVERY_MAX_CATCHUP_MINUTES"] and ok["RECOVERY_POLL_SECONDS"] and catchup < poll / 30:
        reader.problem(
            "RECOVERY_MAX_CATCHUP_MINUTES",
            f"must be at least 2 x RECOVERY_POLL_SECONDS / 60 = {poll / 30:g} minutes",
        )
    baseline = decimals["RECOVERY_BASELINE_CONVERSION"]
    if ok["RECOVERY_BASELINE_CONVERSION"] and baseline > 1:
        reader.problem("RECOVERY_BASELINE_CONVERSION", "must be between 0 and 1")


def _warn(reader: _Reader, decimals: dict[str, float], timezone: str, hours: WeeklyHours) -> None:
    """Start-up warnings: values accepted, but worth a look."""
    for name, value in decimals.items():
        low, high = SANE_RANGES[name]
        if reader.sources[name] == "environment" and not low <= value <= high:
            reader.findings.warn(
                name,
                f"{value:g} is outside the console's range {low:g} to {high:g} (accepted as given)",
            )
    if timezone != LONDON:
        reader.findings.warn(
            "RECOVERY_TIMEZONE",
            f"{timezone} is not {LONDON}: the calling window and the 08:00-21:00 hard limit use "
            f"{timezone}, and callbacks go only to UK numbers",
        )
    outside = days_outside_hard_limit(hours)
    if outside:
        reader.findings.warn(
            "RECOVERY_HOURS",
            f"hours outside 08:00-21:00 on {', '.join(outside)}: accepted, but no call starts "
            "outside the hard limit",
        )


def _hours(text: str) -> tuple[WeeklyHours, list[str]]:
    hours, problems = parse_hours(text)
    return hours or {}, problems


def _template(text: str) -> tuple[str, list[str]]:
    return text, template_problems(text)
