"""Sandbox: Twilio's call and message records, how their status moves with time, and their JSON.

A record keeps its whole timeline (when it rings, is answered, ends; when a message is sent and
delivered) and renders the view Twilio would give at the sandbox clock's `now`, so moving the
clock is enough to complete a ringing call or deliver a queued message.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from daemon.sandbox.router import Response

API_VERSION = "2010-04-01"
_GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = frozenset("{}[]~\\|^€\f")


def whole_second(moment: datetime) -> datetime:
    """`moment` in UTC cut to the whole second, as Twilio stamps its dates."""
    return moment.astimezone(UTC).replace(microsecond=0)


def rfc2822(moment: datetime | None) -> str | None:
    """Twilio's date format: `Fri, 18 Oct 2019 17:02:00 +0000`."""
    return None if moment is None else format_datetime(whole_second(moment))


def new_sid(prefix: str) -> str:
    """A fresh SID: two letters and 32 hex digits."""
    return prefix + uuid.uuid4().hex


def num_segments(body: str) -> int:
    """How many SMS parts `body` takes (GSM-7 160/153, else UCS-2 70/67)."""
    if all(ch in _GSM7 or ch in _GSM7_EXTENSION for ch in body):
        length = sum(2 if ch in _GSM7_EXTENSION else 1 for ch in body)
        single, part = 160, 153
    else:
        length = sum(2 if ord(ch) > 0xFFFF else 1 for ch in body)
        single, part = 70, 67
    return 1 if length <= single else math.ceil(length / part)


def error_response(
    status: int, code: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    """Twilio's error body: `{code, message, more_info, status}`."""
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return Response(status, body, dict(headers or {}))


@dataclass
class CallRecord:
    """One call leg and its timeline; `status` is the status it ends with."""

    sid: str
    parent_sid: str | None
    direction: str
    from_number: str
    to_number: str
    status: str
    start: datetime
    end: datetime
    answered_at: datetime | None
    answered_by: str | None
    seq: int

    def visible(self, now: datetime) -> bool:
        """A call appears in the log once it has started."""
        return self.start <= now

    def status_at(self, now: datetime) -> str:
        """The status Twilio reports at `now`."""
        if now >= self.end:
            return self.status
        if self.answered_at is not None and now >= self.answered_at:
            return "in-progress"
        return "ringing"

    def render(self, now: datetime, account_sid: str) -> dict[str, Any]:
        """The call resource as Twilio returns it at `now`."""
        ended = now >= self.end
        answered = self.answered_at is not None and now >= self.answered_at
        duration = None
        if ended and self.status == "completed":
            duration = str(int((whole_second(self.end) - whole_second(self.start)).total_seconds()))
        uri = f"/{API_VERSION}/Accounts/{account_sid}/Calls/{self.sid}"
        sub = ("notifications", "recordings", "payments", "events", "siprec", "streams")
        return {
            "sid": self.sid,
            "date_created": rfc2822(self.start),
            "date_updated": rfc2822(self.end if ended else (self.answered_at or self.start)),
            "parent_call_sid": self.parent_sid,
            "account_sid": account_sid,
            "to": self.to_number,
            "to_formatted": self.to_number,
            "from": self.from_number,
            "from_formatted": self.from_number,
            "phone_number_sid": None,
            "status": self.status_at(now),
            "start_time": rfc2822(self.start),
            "end_time": rfc2822(self.end) if ended else None,
            "duration": duration,
            "price": None,
            "price_unit": "USD",
            "direction": self.direction,
            "answered_by": self.answered_by if (ended or answered) else None,
            "api_version": API_VERSION,
            "forwarded_from": None,
            "group_sid": None,
            "caller_name": None,
            "queue_time": "0",
            "trunk_sid": None,
            "uri": f"{uri}.json",
            "subresource_uris": {name: f"{uri}/{name.capitalize()}.json" for name in sub},
        }


@dataclass
class MessageRecord:
    """One message and its timeline; `final_status` is where an outbound message ends."""

    sid: str
    direction: str
    from_number: str
    to_number: str
    body: str
    created: datetime
    sent_at: datetime
    final_at: datetime
    final_status: str
    error_code: int | None
    seq: int
    num_media: int = 0

    def visible(self, now: datetime) -> bool:
        """A message appears once it has been created."""
        return self.created <= now

    def status_at(self, now: datetime) -> str:
        """The status Twilio reports at `now`."""
        if self.direction == "inbound":
            return "received"
        if now >= self.final_at:
            return self.final_status
        return "sent" if now >= self.sent_at else "queued"

    def date_sent_at(self, now: datetime) -> datetime | None:
        """`date_sent` at `now`: empty while the message is queued."""
        return self.sent_at if now >= self.sent_at else None

    def render(self, now: datetime, account_sid: str) -> dict[str, Any]:
        """The message resource as Twilio returns it at `now`."""
        final = self.direction != "inbound" and now >= self.final_at
        updated = self.final_at if final else self.date_sent_at(now) or self.created
        uri = f"/{API_VERSION}/Accounts/{account_sid}/Messages/{self.sid}"
        return {
            "body": self.body,
            "num_segments": str(num_segments(self.body)),
            "direction": self.direction,
            "from": self.from_number,
            "to": self.to_number,
            "date_updated": rfc2822(updated),
            "price": None,
            "error_message": None,
            "uri": f"{uri}.json",
            "account_sid": account_sid,
            "num_media": str(self.num_media),
            "status": self.status_at(now),
            "messaging_service_sid": None,
            "sid": self.sid,
            "date_sent": rfc2822(self.date_sent_at(now)),
            "date_created": rfc2822(self.created),
            "error_code": self.error_code if final else None,
            "price_unit": "USD",
            "api_version": API_VERSION,
            "subresource_uris": {"media": f"{uri}/Media.json", "feedback": f"{uri}/Feedback.json"},
        }
