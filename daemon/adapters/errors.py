"""Adapter: the errors every vendor adapter raises, one class per way the daemon reacts.

ARCHITECTURE.md, "Errors are classified at the adapter boundary": rate-limited (wait what the
server says), transient (back off; for a create it is ambiguous: look the record up before trying
again), permanent (skip the step for this attempt), cannot-receive (this recipient cannot get this
channel: go on to the next layer), suppress (the recipient opted out at the vendor) and
configuration (stop the channel until it works again). Messages carry the vendor, the HTTP status
and the vendor's code only: never a number, a name, an address or a message body.
"""

from __future__ import annotations

from typing import ClassVar

from core.domain import SendFailure


class AdapterError(Exception):
    """A vendor call failed; `failure` says how the daemon should react."""

    failure: ClassVar[SendFailure]

    def __init__(
        self,
        message: str,
        *,
        vendor: str,
        status: int | None = None,
        code: int | str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.vendor = vendor
        self.status = status  # the HTTP status, None when no answer came back
        self.code = code  # the vendor's own error code, when it gave one

    def __str__(self) -> str:
        parts = [f"{self.vendor}: {self.message}"]
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.code is not None:
            parts.append(f"code {self.code}")
        return ", ".join(parts)


class RateLimited(AdapterError):
    """The vendor asked us to slow down; retry after `retry_after` seconds (None: back off)."""

    failure = SendFailure.RATE_LIMITED

    def __init__(
        self,
        message: str,
        *,
        vendor: str,
        status: int | None = None,
        code: int | str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, vendor=vendor, status=status, code=code)
        self.retry_after = retry_after


class Transient(AdapterError):
    """A 5xx, a timeout or a dropped connection; `ambiguous` when a create may have happened."""

    failure = SendFailure.TRANSIENT

    def __init__(
        self,
        message: str,
        *,
        vendor: str,
        status: int | None = None,
        code: int | str | None = None,
        ambiguous: bool = False,
    ) -> None:
        super().__init__(message, vendor=vendor, status=status, code=code)
        self.ambiguous = ambiguous


class Permanent(AdapterError):
    """The vendor refused this request for good: skip this attempt and record why."""

    failure = SendFailure.PERMANENT


class CannotReceive(AdapterError):
    """This recipient cannot get this channel (a landline, a country not enabled, ...)."""

    failure = SendFailure.CANNOT_RECEIVE


class Suppress(AdapterError):
    """The recipient opted out at the vendor (Twilio 21610): suppress the number."""

    failure = SendFailure.SUPPRESS


class ConfigError(AdapterError):
    """Our configuration is wrong (credentials, sender): stop the channel and show it."""

    failure = SendFailure.CONFIG


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header given in seconds; None if absent or an HTTP date."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return max(seconds, 0.0)
