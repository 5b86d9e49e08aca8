"""Adapter: Twilio through the official SDK: the call log, inbound messages, sending an SMS,
finding a message after an ambiguous create, and reading a sent message's status.

Traps handled here (VENDORS.md): `api_base` replaces any `*.twilio.com` host in the HTTP client,
so TWILIO_REGION / TWILIO_EDGE cannot rewrite it (the SDK is also given its own environment);
every request has a timeout; `page_size` is always set; date filters are sent as UTC midnight a
day or more back and the real window is applied here, de-duplicating by SID; list and create
errors (TwilioException / TwilioRestException / requests errors) become daemon.adapters.errors.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from core.classify import CallLeg
from daemon.adapters.errors import (
    AdapterError,
    CannotReceive,
    ConfigError,
    Permanent,
    RateLimited,
    Suppress,
    Transient,
    parse_retry_after,
)

logger = logging.getLogger(__name__)

VENDOR = "twilio"
MAX_PAGE_SIZE = 1000
MAX_CALL_LENGTH = timedelta(hours=4)  # Twilio's default call time limit
LOOKUP_SLACK = timedelta(seconds=120)  # Twilio's clock and ours differ; its dates are whole seconds
RATE_LIMIT_CODES = frozenset({20429, 21611})
SUPPRESS_CODES = frozenset({21610})
CANNOT_RECEIVE_CODES = frozenset({21211, 21614, 21408})
CONFIG_CODES = frozenset({21606, 21212, 20003})
FINAL_MESSAGE_STATUSES = frozenset({"delivered", "undelivered", "failed", "received", "canceled"})
_API_BASE = re.compile(r"^https?://[^/?#\s]+$")
_STARTED, _SENT, _CREATED = (attrgetter(a) for a in ("start_time", "date_sent", "date_created"))


@dataclass(frozen=True)
class SmsMessage:
    """One message from Twilio's log; times are aware UTC (`date_sent` is None while queued)."""

    sid: str
    direction: str  # inbound, outbound-api, outbound-reply, outbound-call
    status: str
    from_number: str
    to_number: str
    body: str
    date_created: datetime | None
    date_sent: datetime | None
    error_code: int | None = None
    num_media: int = 0

    @property
    def is_final(self) -> bool:
        """True once the status can no longer change (unknown statuses count as pending)."""
        return self.status in FINAL_MESSAGE_STATUSES


def classify_error(
    status: int | None, code: int | None, *, creating: bool, retry_after: float | None = None
) -> AdapterError:
    """The daemon's view of a Twilio failure (VENDORS.md, "How to treat the codes")."""
    kw: dict[str, Any] = {"vendor": VENDOR, "status": status, "code": code}
    if status == 429 or code in RATE_LIMIT_CODES:
        return RateLimited("rate limited", retry_after=retry_after, **kw)
    if code in SUPPRESS_CODES:
        return Suppress("recipient opted out at Twilio", **kw)
    if code in CANNOT_RECEIVE_CODES:
        return CannotReceive("recipient cannot receive SMS", **kw)
    if code in CONFIG_CODES or status == 401:
        return ConfigError("Twilio configuration refused", **kw)
    if status is None or status >= 500:
        return Transient("no usable answer", ambiguous=creating, **kw)
    return Permanent("request refused", **kw)


def _body_code(text: str | None) -> int | None:
    try:
        code = json.loads(text or "").get("code")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, int) else None


class ApiBaseHttpClient(TwilioHttpClient):  # type: ignore[misc]  # the SDK is untyped
    """The SDK's HTTP client with a timeout, sending `*.twilio.com` requests to `api_base`."""

    def __init__(self, *, api_base: str | None, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self._base = urlsplit(api_base) if api_base else None

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        """Send the request to `api_base`; a 429 becomes RateLimited here, with Retry-After."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if self._base is not None and (host == "twilio.com" or host.endswith(".twilio.com")):
            url = urlunsplit((self._base.scheme, self._base.netloc, *parts[2:]))
        response = super().request(method, url, *args, **kwargs)
        if response.status_code == 429:
            retry_after = parse_retry_after((response.headers or {}).get("Retry-After"))
            code = _body_code(response.text)
            raise classify_error(429, code, creating=False, retry_after=retry_after)
        return response


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("Twilio adapter: datetimes must be timezone-aware")
    return moment.astimezone(UTC)


def _day_start(moment: datetime) -> datetime:
    """UTC midnight of `moment`'s day: Twilio's date filters are only trustworthy to the day."""
    return _utc(moment).replace(hour=0, minute=0, second=0, microsecond=0)


class TwilioAdapter:
    """Twilio's call log and messages for one account, through the official SDK."""

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        api_base: str | None = None,
        timeout: float = 10,
        page_size: int = MAX_PAGE_SIZE,
    ) -> None:
        if api_base is not None and not _API_BASE.match(api_base):
            raise ConfigError("TWILIO_API_BASE must be scheme://host[:port]", vendor=VENDOR)
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}")
        self.page_size = page_size
        self.http_client = ApiBaseHttpClient(api_base=api_base, timeout=timeout)
        # A non-empty environment: the SDK then ignores os.environ (TWILIO_REGION, TWILIO_EDGE).
        environment = {"TWILIO_ACCOUNT_SID": account_sid}
        self._client = Client(
            account_sid, auth_token, http_client=self.http_client, environment=environment
        )

    @contextmanager
    def _errors(self, operation: str, *, creating: bool = False) -> Iterator[None]:
        """Turn SDK and transport failures into AdapterError (never chained: they hold numbers)."""
        error: AdapterError | None = None
        try:
            yield
        except AdapterError as exc:
            error = exc
        except TwilioRestException as exc:
            code = exc.code if isinstance(exc.code, int) else None
            error = classify_error(exc.status, code, creating=creating)
        except TwilioException as exc:  # list/page: ("Unable to fetch page", response)
            response = exc.args[1] if len(exc.args) > 1 else None
            status = getattr(response, "status_code", None)
            code = _body_code(getattr(response, "text", None))
            error = classify_error(status, code, creating=creating)
        except requests.Timeout:
            error = Transient("timed out", vendor=VENDOR, ambiguous=creating)
        except requests.RequestException:
            error = Transient("connection failed", vendor=VENDOR, ambiguous=creating)
        except json.JSONDecodeError:
            error = Transient("unreadable answer", vendor=VENDOR, ambiguous=creating)
        if error is not None:
            logger.warning("twilio %s failed: %s", operation, error)
            raise error from None

    def _pages(
        self, listing: Any, moment: Callable[[Any], datetime | None], stop: datetime, **filters: Any
    ) -> Iterator[Any]:
        """Records page by page; stops early once newest-first order has passed `stop`."""
        page: Any = listing.page(page_size=self.page_size, **filters)
        newest_first, previous = True, None
        while page is not None:
            last = None
            for record in page:
                last = moment(record)
                if previous is not None and last is not None and last > previous:
                    newest_first = False  # order is common, not promised: then read every page
                previous = last if last is not None else previous
                yield record
            if newest_first and last is not None and last < stop:
                return
            page = page.next_page()

    def list_calls(self, *, since: datetime, until: datetime | None = None) -> list[CallLeg]:
        """Legs that started, ended or were still live at or after `since`, oldest first."""
        since = _utc(since)
        earliest = since - MAX_CALL_LENGTH
        legs: dict[str, CallLeg] = {}
        with self._errors("list calls"):
            day = _day_start(earliest)
            calls = self._pages(self._client.calls, _STARTED, earliest, start_time_after=day)
            for record in calls:
                leg = _call_leg(record)
                if leg.end_time is not None and leg.end_time < since:
                    continue  # over before the window (a live leg has no end yet)
                if until is not None and leg.start_time is not None and leg.start_time >= until:
                    continue
                legs.setdefault(leg.sid, leg)
        far = datetime.max.replace(tzinfo=UTC)
        return sorted(legs.values(), key=lambda leg: (leg.start_time or far, leg.sid))

    def fetch_call(self, sid: str) -> CallLeg:
        """One call leg by SID."""
        with self._errors("fetch call"):
            return _call_leg(self._client.calls(sid).fetch())

    def list_inbound_messages(self, *, to: str | None = None, since: datetime) -> list[SmsMessage]:
        """Inbound messages (to `to`, or to any of our numbers: one request) since `since`."""
        since = _utc(since)
        found: dict[str, SmsMessage] = {}
        filters: dict[str, Any] = {"date_sent_after": _day_start(since)}
        if to is not None:
            filters["to"] = to
        with self._errors("list inbound messages"):
            messages = self._pages(self._client.messages, _SENT, since, **filters)
            for record in messages:
                message = _sms(record)
                sent = message.date_sent
                if message.direction == "inbound" and sent is not None and sent >= since:
                    found.setdefault(message.sid, message)
        far = datetime.max.replace(tzinfo=UTC)
        return sorted(found.values(), key=lambda m: (m.date_sent or far, m.sid))

    def send_sms(self, *, to: str, from_number: str, body: str) -> str:
        """Create the message; returns its SID. Transient(ambiguous=True): look it up first."""
        with self._errors("send sms", creating=True):
            message = self._client.messages.create(to=to, from_=from_number, body=body)
        logger.info("twilio accepted sms %s to ...%s", message.sid, to[-3:])
        return str(message.sid)

    def find_sent_message(
        self, *, to: str, from_number: str, body: str, attempt_started_at: datetime
    ) -> str | None:
        """The SID of a message an ambiguous create made, or None (VENDORS.md's look-up)."""
        cutoff = _utc(attempt_started_at).replace(microsecond=0) - LOOKUP_SLACK
        with self._errors("find sent message"):
            # No date filter: a message still queued has no date_sent and would be missed.
            found = self._pages(self._client.messages, _CREATED, cutoff, to=to, from_=from_number)
            for record in found:
                message = _sms(record)
                created = message.date_created
                ours = message.direction == "outbound-api" and message.body == body
                if ours and created is not None and created >= cutoff:
                    return message.sid
        return None

    def fetch_message(self, sid: str) -> SmsMessage:
        """One message by SID: its status, error code and dates."""
        with self._errors("fetch message"):
            return _sms(self._client.messages(sid).fetch())


def _call_leg(record: Any) -> CallLeg:
    return CallLeg(
        sid=str(record.sid),
        parent_sid=record.parent_call_sid or None,
        direction=str(record.direction or ""),
        status=str(record.status or ""),
        from_number=str(record._from or ""),
        to_number=str(record.to or ""),
        start_time=record.start_time,
        end_time=record.end_time,
        answered_by=record.answered_by or None,
    )


def _sms(record: Any) -> SmsMessage:
    return SmsMessage(
        sid=str(record.sid),
        direction=str(record.direction or ""),
        status=str(record.status or ""),
        from_number=str(record.from_ or ""),
        to_number=str(record.to or ""),
        body=str(record.body or ""),
        date_created=record.date_created,
        date_sent=record.date_sent,
        error_code=record.error_code,
        num_media=int(record.num_media or 0),
    )
