"""Shell: Twilio's call log and inbound messages -> recorded calls, replies and opt-outs.

Each poll reads the call log and the inbound messages, keeps what is new (de-duplicated by SID
against the database, since Twilio's date filters are only trustworthy to the day), waits while
any leg of a call is still live, and applies the rest through `core.services` in vendor-timestamp
order (a call's end, a message's `date_sent`). Cursors advance with what was applied.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from core import classify, db, intake, phone, repository, services
from core.classify import CallLeg
from core.domain import CallVerdict
from core.services import Claim, Context
from daemon.adapters.twilio import SmsMessage, TwilioAdapter

log = logging.getLogger(__name__)

CALLS, MESSAGES = "calls", "messages"
CALL_LOOKBACK = timedelta(hours=1)  # at start: the cursor minus this...
MAX_LOOKBACK = timedelta(hours=24)  # ...but never further back than this
SLACK = timedelta(minutes=2)  # Twilio's clock and ours differ; its dates are whole seconds


@dataclass(frozen=True)
class _Item:
    """One thing to apply, in vendor-timestamp order."""

    at: datetime
    call: CallLeg | None = None
    children: tuple[CallLeg, ...] = ()
    verdict: CallVerdict | None = None
    reason: str = ""
    outbound: bool = False
    message: SmsMessage | None = None


class Detector:
    """Polls Twilio and records what it finds; remembers where it got to in the database."""

    def __init__(
        self,
        *,
        engine: Engine,
        twilio: TwilioAdapter,
        recovered_lines: Collection[str],
        message_lines: Collection[str],
    ) -> None:
        self.engine = engine
        self.twilio = twilio
        self.recovered_lines = frozenset(recovered_lines)
        self.message_lines = tuple(dict.fromkeys(message_lines))
        self.forwarded_to: set[str] = set()
        self.held_callers: frozenset[str] = frozenset()  # E.164: their due steps wait (`poll`)
        self._calls_since: datetime | None = None
        self._messages_since: datetime | None = None

    def start(self, now: datetime) -> None:
        """Where the first poll reads back to (PRODUCT.md section 3)."""
        with db.read_session(self.engine) as session:
            calls = repository.get_cursor(session, CALLS)
            messages = repository.get_cursor(session, MESSAGES)
        floor = now - MAX_LOOKBACK
        self._calls_since = max(calls - CALL_LOOKBACK, floor) if calls else floor
        self._messages_since = messages - SLACK if messages else floor

    @property
    def business_numbers(self) -> frozenset[str]:
        """Our own lines plus every number they forward to: never treated as callers."""
        return self.recovered_lines | frozenset(self.forwarded_to)

    def poll(self, *, now: datetime, ctx: Context) -> list[Claim]:
        """Read, classify and record everything new; returns the sends it made due."""
        if self._calls_since is None or self._messages_since is None:
            self.start(now)
        assert self._calls_since is not None and self._messages_since is not None
        legs = self.twilio.list_calls(since=self._calls_since)
        messages: list[SmsMessage] = []
        # One request for every line's messages; only those to our lines count.
        for message in self.twilio.list_inbound_messages(since=self._messages_since):
            if classify.compact_number(message.to_number) in self.message_lines:
                messages.append(message)
        calls, live_since, live_callers = self._call_items(legs)
        fresh = self._message_items(messages)
        # A message that may follow the end of a call still ringing waits for the next poll, and
        # so do its sender's ended calls and due steps: it will close their recovery.
        waiting = [i for i in fresh if _may_follow_a_live_call(i.message, live_callers)]
        held = {_sender(i) for i in waiting}
        held_calls = [i for i in calls if _caller(i) in held]
        later = {id(i) for i in waiting + held_calls}
        items = [i for i in calls + fresh if id(i) not in later]
        self.held_callers = frozenset(phone.normalise(number) or number for number in held)
        items.sort(key=lambda item: item.at)
        ctx = services.Context(
            policy=ctx.policy,
            window=ctx.window,
            business_numbers=ctx.business_numbers | self.business_numbers,
            ignore_numbers=ctx.ignore_numbers,
        )
        claims: list[Claim] = []
        for item in items:
            claims.extend(self._apply(item, now, ctx))
        # Read again next time: calls from when the first live or held one started, messages
        # from the first held one.
        starts = [i.call.start_time or i.at for i in held_calls if i.call is not None]
        calls_from = min([*starts, live_since] if live_since else starts, default=None)
        self._advance_cursors(now, calls_from, items, min((i.at for i in waiting), default=None))
        return claims

    def _call_items(
        self, legs: list[CallLeg]
    ) -> tuple[list[_Item], datetime | None, dict[str, list[datetime | None]]]:
        """New calls to apply, when the earliest live one started, and who is still on a call
        (with when each of their live calls started; None: Twilio gave no start)."""
        children: dict[str, list[CallLeg]] = defaultdict(list)
        for leg in legs:
            if leg.parent_sid:
                children[leg.parent_sid].append(leg)
        parents = [leg for leg in legs if not leg.parent_sid and leg.direction == "inbound"]
        ours = {
            p.sid for p in parents if classify.compact_number(p.to_number) in self.recovered_lines
        }
        for sid in ours:
            self.forwarded_to |= classify.forwarded_to(children.get(sid, []))
        with db.read_session(self.engine) as session:
            known = repository.known_call_sids(session, [leg.sid for leg in legs])
        items: list[_Item] = []
        live_since: datetime | None = None
        live_callers: dict[str, list[datetime | None]] = defaultdict(list)
        for parent in parents:
            if parent.sid in known:
                continue
            kids = tuple(children.get(parent.sid, []))
            verdict, reason = classify.classify_inbound(
                parent, kids, recovered_lines=self.recovered_lines
            )
            if verdict is CallVerdict.IGNORED:
                continue
            if verdict is CallVerdict.PENDING:
                started = parent.start_time
                if started is not None and (live_since is None or started < live_since):
                    live_since = started
                live_callers[classify.compact_number(parent.from_number)].append(started)
                continue
            at = classify.missed_call_time(parent, kids)
            items.append(_Item(at=at, call=parent, children=kids, verdict=verdict, reason=reason))
        for leg in legs:
            if leg.sid in known or leg.direction not in ("outbound-api", "outbound-dial"):
                continue
            person = classify.classify_outbound(
                leg, business_numbers=self.business_numbers, inbound_parent_sids=ours
            )
            if person and leg.end_time is not None:
                items.append(_Item(at=leg.end_time, call=leg, outbound=True))
        return items, live_since, live_callers

    def _message_items(self, messages: list[SmsMessage]) -> list[_Item]:
        with db.read_session(self.engine) as session:
            known = repository.known_message_sids(session, [m.sid for m in messages])
        return [
            _Item(at=m.date_sent, message=m)
            for m in messages
            if m.sid not in known and m.date_sent is not None and m.direction == "inbound"
        ]

    def _apply(self, item: _Item, now: datetime, ctx: Context) -> tuple[Claim, ...]:
        applied: services.Applied | None
        if item.message is not None:
            m = item.message
            applied = intake.record_message(
                self.engine,
                sid=m.sid,
                sender_raw=m.from_number,
                to_number=m.to_number,
                body=m.body,
                sent_at=item.at,
                seen_at=now,
                ctx=ctx,
            )
        else:
            assert item.call is not None
            leg = item.call
            applied = intake.record_call(
                self.engine,
                sid=leg.sid,
                caller_raw=leg.to_number if item.outbound else leg.from_number,
                to_number=leg.to_number,
                status=leg.status,
                verdict=CallVerdict.ANSWERED
                if item.outbound
                else item.verdict or CallVerdict.IGNORED,
                reason="a person called the caller back and was answered"
                if item.outbound
                else item.reason,
                ended_at=item.at,
                seen_at=now,
                ctx=ctx,
                outbound=item.outbound,
            )
        return applied.claims if applied is not None else ()

    def _advance_cursors(
        self,
        now: datetime,
        calls_from: datetime | None,
        items: list[_Item],
        held_since: datetime | None = None,
    ) -> None:
        calls_to = now - SLACK
        if calls_from is not None:
            calls_to = min(calls_to, calls_from)
        self._calls_since = max(self._calls_since or calls_to, calls_to)
        sent = [i.at for i in items if i.message is not None]
        if sent:
            self._messages_since = max(self._messages_since or max(sent), max(sent) - SLACK)
        else:
            self._messages_since = max(self._messages_since or now, now - SLACK - SLACK)
        if held_since is not None:
            self._messages_since = min(self._messages_since, held_since)  # read it again
        with db.write_transaction(self.engine) as session:
            repository.set_cursor(session, CALLS, self._calls_since)
            repository.set_cursor(session, MESSAGES, self._messages_since)


def _may_follow_a_live_call(
    message: SmsMessage | None, live_callers: dict[str, list[datetime | None]]
) -> bool:
    """True if `message` must wait for the next poll: it may have been sent after the end of a
    call from its sender that still rang when the log was read, and that call must be applied
    first (vendor order). A message sent before such a call started precedes its end whatever
    it turns out to be, so it is applied now: holding it would let an SMS go to someone who has
    already replied. Both stamps are Twilio's whole seconds, so a tie waits."""
    assert message is not None
    sent = message.date_sent
    starts = live_callers.get(classify.compact_number(message.from_number), [])
    return any(sent is None or started is None or sent >= started for started in starts)


def _sender(item: _Item) -> str:
    assert item.message is not None
    return classify.compact_number(item.message.from_number)


def _caller(item: _Item) -> str | None:
    """Who made an inbound call item (None for other items)."""
    if item.call is None or item.outbound:
        return None
    return classify.compact_number(item.call.from_number)
