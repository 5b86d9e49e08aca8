"""Sandbox: the Twilio account's calls, messages, opt-outs and number marks, with the control API.

Tests and the demo simulator drive the sandbox through these methods (or the JSON routes under
`/_sandbox/twilio/` that call them). Times default to the sandbox clock; every record is stamped in
whole seconds, as Twilio's are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from daemon.sandbox.router import Response
from daemon.sandbox.store import Store
from daemon.sandbox.twilio_records import (
    CallRecord,
    MessageRecord,
    new_sid,
    whole_second,
)
from daemon.sandbox.twilio_rules import (
    START_REPLY,
    STOP_REPLY,
    NumberMark,
    keyword,
    refusal,
)


@dataclass(frozen=True)
class ChildLeg:
    """A forwarded (`outbound-dial`) leg of an inbound call; times default from the parent."""

    to: str
    status: str = "no-answer"
    answered_by: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    answered_at: datetime | None = None
    from_: str | None = None


@dataclass(frozen=True)
class InboundCall:
    sid: str
    child_sids: tuple[str, ...]


class TwilioState:
    """One sandbox Twilio account: its records and the methods tests use to shape them."""

    def __init__(
        self,
        store: Store,
        *,
        account_sid: str,
        sent_after: timedelta = timedelta(seconds=1),
        delivered_after: timedelta = timedelta(seconds=4),
    ) -> None:
        self.store = store
        self.account_sid = account_sid
        self.sent_after = sent_after
        self.delivered_after = delivered_after
        self.calls: list[CallRecord] = []
        self.messages: list[MessageRecord] = []
        self.marks: dict[str, NumberMark] = {}
        self.blocked: set[tuple[str, str]] = set()  # (our sender, recipient)
        self._seq = 0
        store.on_reset(self._clear)

    def _clear(self) -> None:
        self.calls.clear()
        self.messages.clear()
        self.marks.clear()
        self.blocked.clear()

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def add_call(
        self,
        *,
        direction: str,
        from_: str,
        to: str,
        status: str = "completed",
        start: datetime | None = None,
        end: datetime | None = None,
        answered_at: datetime | None = None,
        answered_by: str | None = None,
        parent_sid: str | None = None,
    ) -> str:
        """Add one call leg (ringing until `end` if that is still ahead); returns its SID."""
        with self.store.lock:
            end = whole_second(end or self.store.now())
            start = whole_second(start or end - timedelta(seconds=25))
            if end < start:
                raise ValueError("a call cannot end before it starts")
            if answered_at is not None:
                answered_at = whole_second(answered_at)
            record = CallRecord(
                new_sid("CA"),
                parent_sid,
                direction,
                from_,
                to,
                status,
                start,
                end,
                answered_at,
                answered_by,
                self._next_seq(),
            )
            self.calls.append(record)
            return record.sid

    def add_inbound_call(
        self,
        *,
        from_: str,
        to: str,
        status: str = "completed",
        start: datetime | None = None,
        end: datetime | None = None,
        answered_by: str | None = None,
        children: Sequence[ChildLeg] = (),
    ) -> InboundCall:
        """Add an inbound parent leg and its forwarded child legs."""
        with self.store.lock:
            end = whole_second(end or self.store.now())
            start = whole_second(start or end - timedelta(seconds=25))
            parent = self.add_call(
                direction="inbound",
                from_=from_,
                to=to,
                status=status,
                start=start,
                end=end,
                answered_at=start if children else None,
                answered_by=answered_by,
            )
            sids = []
            for child in children:
                child_start = child.start or start + timedelta(seconds=1)
                answered_at = child.answered_at
                if child.status == "completed" and answered_at is None:
                    answered_at = child_start + timedelta(seconds=5)
                sids.append(
                    self.add_call(
                        direction="outbound-dial",
                        from_=child.from_ or from_,
                        to=child.to,
                        status=child.status,
                        start=child_start,
                        end=child.end or end,
                        answered_at=answered_at,
                        answered_by=child.answered_by,
                        parent_sid=parent,
                    )
                )
            return InboundCall(parent, tuple(sids))

    def add_inbound_message(
        self, *, from_: str, to: str, body: str, at: datetime | None = None, num_media: int = 0
    ) -> str:
        """Add a message from `from_` to our number `to`; Twilio's STOP/START handling applies."""
        with self.store.lock:
            at = whole_second(at or self.store.now())
            record = MessageRecord(
                new_sid("SM"),
                "inbound",
                from_,
                to,
                body,
                at,
                at,
                at,
                "received",
                None,
                self._next_seq(),
                num_media,
            )
            self.messages.append(record)
            word = keyword(body)
            if word == "stop":
                self.blocked.add((to, from_))
                self._auto_reply(to, from_, STOP_REPLY, at)
            elif word == "start" and (to, from_) in self.blocked:
                self.blocked.discard((to, from_))
                self._auto_reply(to, from_, START_REPLY, at)
            return record.sid

    def _auto_reply(self, from_: str, to: str, body: str, at: datetime) -> None:
        record = MessageRecord(
            new_sid("SM"),
            "outbound-reply",
            from_,
            to,
            body,
            at,
            at,
            at + self.delivered_after,
            "delivered",
            None,
            self._next_seq(),
        )
        self.messages.append(record)

    def mark_number(
        self,
        number: str,
        *,
        refuse_code: int | None = None,
        fail_code: int | None = None,
        fail_status: str = "undelivered",
    ) -> None:
        """Make SMS to `number` refused with `refuse_code`, or accepted then failing `fail_code`."""
        with self.store.lock:
            self.marks[number] = NumberMark(refuse_code, fail_code, fail_status)

    def mark_landline(
        self, number: str, *, refuse: bool = False, fail_code: int | None = None
    ) -> None:
        """A landline: accepted by default (as Twilio does), refused (21614) or failing later."""
        self.mark_number(number, refuse_code=21614 if refuse else None, fail_code=fail_code)

    def create_message(
        self, *, to: str | None, from_: str | None, body: str | None
    ) -> MessageRecord | Response:
        """Validate and store an outbound message as Twilio would: a record or an error Response."""
        with self.store.lock:
            blocked = (from_, to) in self.blocked
            problem = refusal(to, from_, body, blocked=blocked, mark=self.marks.get(to or ""))
            if problem is not None:
                return problem
            assert to is not None and from_ is not None and body is not None
            now = whole_second(self.store.now())
            mark = self.marks.get(to, NumberMark())
            final, code = "delivered", None
            if mark.fail_code is not None:
                final, code = mark.fail_status, mark.fail_code
            record = MessageRecord(
                new_sid("SM"),
                "outbound-api",
                from_,
                to,
                body,
                now,
                now + self.sent_after,
                now + self.delivered_after,
                final,
                code,
                self._next_seq(),
            )
            self.messages.append(record)
            return record

    def sent_messages(self, *, to: str | None = None) -> list[dict[str, Any]]:
        """The messages created through the API (oldest first), as Twilio renders them now."""
        with self.store.lock:
            now = self.store.now()
            return [
                m.render(now, self.account_sid)
                for m in sorted(self.messages, key=lambda m: m.seq)
                if m.direction == "outbound-api" and (to is None or m.to_number == to)
            ]

    def is_blocked(self, *, sender: str, recipient: str) -> bool:
        """True if `recipient` sent STOP to `sender` and has not lifted it."""
        with self.store.lock:
            return (sender, recipient) in self.blocked
