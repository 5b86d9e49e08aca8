"""Pure: the value formats of the configuration contract (PRODUCT.md section 7) and its problems.

Every check returns a message (or None) instead of raising, so the loader can list every problem at
once. Messages never quote a secret; phone numbers are quoted by their last three digits only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

E164 = re.compile(r"\+[1-9]\d{7,14}")
ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
DECIMAL = re.compile(r"\d+(\.\d+)?")
_ADDRESS = r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\".]+"
EMAIL = re.compile(_ADDRESS)
_MAIL_FROM_NAMED = re.compile(r"(?P<name>[^<>]*?)\s*<(?P<address>" + _ADDRESS + r")>")
HUBSPOT_PROPERTY = re.compile(r"[a-z][a-z0-9_]*")
TRUE_WORDS = frozenset({"true", "1", "yes"})
FALSE_WORDS = frozenset({"false", "0", "no"})
BANK_HOLIDAY_REGIONS = ("england", "wales", "scotland", "northern-ireland", "none")
COMPANY_NAME_MAX = 40


@dataclass(frozen=True)
class Problem:
    """One configuration problem or warning, rendered as a `NAME: problem` line."""

    name: str
    message: str

    def __str__(self) -> str:
        return f"{self.name}: {self.message}"


@dataclass
class Findings:
    """Every problem and warning found while reading settings, in the order found."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def problem(self, name: str, message: str) -> None:
        """Record a problem (the configuration is refused)."""
        self.problems.append(Problem(name, message))

    def warn(self, name: str, message: str) -> None:
        """Record a warning (the configuration is accepted)."""
        self.warnings.append(Problem(name, message))

    def extend(self, other: Findings) -> None:
        """Add another reading's findings to these."""
        self.problems.extend(other.problems)
        self.warnings.extend(other.warnings)


def value_of(environment: Mapping[str, str], name: str) -> str | None:
    """The stripped value of `name`, or None when it is unset, empty or only spaces."""
    value = environment.get(name)
    if value is None or not value.strip():
        return None
    return value.strip()


def last_digits(text: str) -> str:
    """How a number is quoted in a message: its last three characters only."""
    return f"ending '{text[-3:]}'"


def parse_numbers(text: str) -> tuple[tuple[str, ...], list[str]]:
    """Comma-separated E.164 numbers (spaces removed, blanks and repeats dropped); and problems."""
    numbers: list[str] = []
    problems: list[str] = []
    entries = [re.sub(r"\s+", "", entry) for entry in text.split(",")]
    for position, entry in enumerate(entries, start=1):
        if not entry:
            continue
        if not E164.fullmatch(entry):
            problems.append(
                f"entry {position} ({last_digits(entry)}) is not an E.164 number such as "
                "+447700900123"
            )
        elif entry not in numbers:
            numbers.append(entry)
    return tuple(numbers), problems


def parse_decimal(text: str) -> tuple[float, list[str]]:
    """A non-negative decimal such as 5 or 0.5 (0.0 with a problem if `text` is not one)."""
    if not DECIMAL.fullmatch(text):
        return 0.0, [f"'{text}' is not a decimal number such as 5 or 0.5"]
    return float(text), []


def parse_boolean(text: str) -> tuple[bool, list[str]]:
    """true/false/1/0/yes/no in any case (False with a problem if `text` is none of them)."""
    word = text.strip().lower()
    if word not in TRUE_WORDS | FALSE_WORDS:
        return False, [f"'{text}' is not a boolean (true/false/1/0/yes/no)"]
    return word in TRUE_WORDS, []


def parse_company_name(text: str) -> tuple[str, list[str]]:
    """RECOVERY_COMPANY_NAME: at most 40 characters, as the SMS templates are sized for it."""
    if len(text) > COMPANY_NAME_MAX:
        return text, [f"is {len(text)} characters long; at most {COMPANY_NAME_MAX} are allowed"]
    return text, []


def parse_bank_holidays(text: str) -> tuple[str, list[str]]:
    """RECOVERY_BANK_HOLIDAYS, lower-cased: one of BANK_HOLIDAY_REGIONS."""
    region = text.lower()
    if region not in BANK_HOLIDAY_REGIONS:
        return region, [f"'{text}' is not one of {', '.join(BANK_HOLIDAY_REGIONS)}"]
    return region, []


def parse_timezone(text: str) -> tuple[str, list[str]]:
    """A time zone name that zoneinfo knows, such as Europe/London."""
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        return text, [f"'{text}' is not a time zone name such as Europe/London"]
    return text, []


def parse_mail_from(text: str) -> tuple[str, str] | None:
    """(display name or "", address) from `name@domain` or `Name <name@domain>`; None if neither."""
    if EMAIL.fullmatch(text):
        return "", text
    match = _MAIL_FROM_NAMED.fullmatch(text)
    if match is None:
        return None
    return match.group("name").strip().strip('"').strip(), match.group("address")


def api_base_problem(text: str) -> str | None:
    """Why `text` is not `scheme://host[:port]` with no path, or None if it is."""
    expected = "must be scheme://host[:port] with no path, such as https://api.example.com"
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        return expected
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return expected
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        return expected
    if port == 0:
        return expected
    return None
