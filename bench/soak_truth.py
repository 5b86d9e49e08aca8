"""Shell: what the soak knows at the end: what was played (the truth) and what the daemon recorded.

The truth comes from the soak's own records and the sandbox (every call and message added, every
message Twilio created, every request the daemon made); the daemon's side is read from its SQLite
file after it has stopped. Nothing here asks the daemon's own rules what should have happened.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import select

from bench.soak_traffic import STOP_FIRST, Case, Played
from core import db
from core.models import Attempt, InboundCall, InboundMessage, Recovery, Suppression
from daemon.sandbox import Sandbox
from daemon.sandbox.simulator import STOPS
from daemon.sandbox.store import RecordedRequest
from daemon.sandbox.twilio_records import MessageRecord

OPT_OUTS = frozenset({*STOPS, *STOP_FIRST})  # every opt-out body the soak and simulator send
WITHHELD_MARKS = (":", "@")


def is_landline(number: str) -> bool:
    """A UK landline by PRODUCT.md section 1's fallback rule (+441, +442)."""
    return number.startswith(("+441", "+442"))


def is_withheld(number: str) -> bool:
    """Not a dialable E.164 number: what a withheld caller shows."""
    digits = number[1:]
    bad = any(mark in number for mark in WITHHELD_MARKS)
    return bad or not number.startswith("+") or not digits.isdigit() or len(digits) < 10


@dataclass
class Truth:
    """What was played, and what the sandbox saw the daemon do."""

    played: dict[str, Played]
    cases: list[Case]
    cutoff: datetime  # traffic stopped here: calls and messages up to it must be recorded
    inbound: list[MessageRecord]
    created: list[MessageRecord]  # outbound messages Twilio created for the daemon
    posts: list[RecordedRequest]  # every message-create request, answered or not
    seen: dict[str, datetime]  # inbound message SID -> first poll that returned it
    cooldown: timedelta
    calls_by_number: dict[str, list[Played]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        grouped: dict[str, list[Played]] = defaultdict(list)
        for call in sorted(self.played.values(), key=lambda c: c.start):
            grouped[call.caller].append(call)
        self.calls_by_number = dict(grouped)

    def opt_outs(self, number: str) -> list[MessageRecord]:
        """STOPs `number` sent, oldest first."""
        return [m for m in self.inbound if m.from_number == number and m.body in OPT_OUTS]

    def posts_to(self, number: str) -> list[RecordedRequest]:
        """Message-create requests to `number`, oldest first."""
        return [p for p in self.posts if dict(p.form).get("To") == number]


def gather(sandbox: Sandbox, *, played: dict[str, Played], cases: list[Case], **kw: Any) -> Truth:
    """The sandbox's records and request log, as they stand."""
    with sandbox.store.lock:
        messages = sorted(sandbox.twilio.messages, key=lambda m: m.seq)
    requests = sandbox.requests("twilio")
    posts = [
        r for r in requests if r.method == "POST" and (r.route or "").endswith("/Messages.json")
    ]
    seen: dict[str, datetime] = {}
    for r in requests:
        if r.method != "GET" or not (r.route or "").endswith("/Messages.json") or r.status != 200:
            continue
        for item in (r.response or {}).get("messages", []):
            if item.get("direction") == "inbound":
                seen.setdefault(str(item["sid"]), r.at)
    return Truth(
        played=played,
        cases=cases,
        inbound=[m for m in messages if m.direction == "inbound"],
        created=[m for m in messages if m.direction == "outbound-api"],
        posts=posts,
        seen=seen,
        **kw,
    )


@dataclass
class Rows:
    """The daemon's records, read after it stopped."""

    calls: dict[str, InboundCall]
    recoveries: dict[int, Recovery]
    attempts: list[Attempt]
    messages: dict[str, InboundMessage]
    suppressed: dict[str, Suppression]
    _by_caller: dict[str, list[Recovery]] = field(default_factory=dict)
    _attached: dict[int, list[InboundCall]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        by_caller: dict[str, list[Recovery]] = defaultdict(list)
        for recovery in sorted(self.recoveries.values(), key=lambda r: (r.first_missed_at, r.id)):
            by_caller[recovery.caller].append(recovery)
        attached: dict[int, list[InboundCall]] = defaultdict(list)
        for call in self.calls.values():
            if call.recovery_id is not None and call.verdict in ("missed", "machine"):
                attached[call.recovery_id].append(call)
        self._by_caller, self._attached = dict(by_caller), dict(attached)

    def recoveries_of(self, caller: str) -> list[Recovery]:
        """The caller's recoveries, oldest first."""
        return self._by_caller.get(caller, [])

    def calls_of(self, recovery_id: int) -> list[InboundCall]:
        """The missed calls the daemon attached to a recovery."""
        return self._attached.get(recovery_id, [])


def read_rows(database_url: str) -> Rows:
    """Every row the checks need, from the daemon's database."""
    engine = db.make_engine(database_url)
    try:
        with db.read_session(engine) as s:
            return Rows(
                calls={c.sid: c for c in s.exec(select(InboundCall)).all()},
                recoveries={r.id: r for r in s.exec(select(Recovery)).all() if r.id is not None},
                attempts=list(s.exec(select(Attempt)).all()),
                messages={m.sid: m for m in s.exec(select(InboundMessage)).all()},
                suppressed={x.key: x for x in s.exec(select(Suppression)).all() if x.active},
            )
    finally:
        engine.dispose()


def latencies(truth: Truth, rows: Rows) -> list[float]:
    """Seconds from each SMS'd missed call's end to the create request that Twilio acted on."""
    found: list[float] = []
    for recovery in rows.recoveries.values():
        call = truth.played.get(recovery.first_call_sid)
        if call is None or recovery.sms_status != "done":
            continue
        for post in truth.posts_to(recovery.caller):
            acted = post.status == 201 or post.fault == "drop_response"
            if acted and post.at >= call.end:
                found.append((post.at - call.end).total_seconds())
                break
    return found


def percentiles(values: list[float]) -> str:
    """`median x s, p95 y s, max z s (n=k)`, or a dash when there are none."""
    if not values:
        return "- (no SMS)"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    median = statistics.median(ordered)
    return f"median {median:.1f} s, p95 {p95:.1f} s, max {ordered[-1]:.1f} s (n={len(ordered)})"
