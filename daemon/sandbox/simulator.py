"""Sandbox: the demo's stream of simulated callers, played against the in-process sandbox.

`CallerSimulator.step()` (called about once a second by `run` on a background thread) adds a new
caller every 8-15 s at pace 1.0, plays due repeat calls, and answers some of the SMS the daemon sent
to callers: about a third reply within 10-60 s and about one in twenty replies STOP. `clock` paces
the traffic (in the demo it is the clock the daemon and the sandbox share); records are stamped
with the sandbox's own time so that every new call rings "now" there. Seeded runs are repeatable.
"""

from __future__ import annotations

import heapq
import logging
import random
import re
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.domain import CallVerdict
from daemon.sandbox.server import Sandbox
from daemon.sandbox.simulator_calls import (
    ARRIVAL_MIX,
    DEFAULT_FORWARD_TO,
    WITHHELD,
    CallKind,
    NumberPool,
    intended_verdict,
    plan_call,
    weighted,
)

logger = logging.getLogger(__name__)

ARRIVAL_GAP = (8.0, 15.0)  # seconds between new callers at pace 1.0
REPEAT_AFTER = (50, 75)  # seconds after a repeat caller's first call ends
REPLY_DELAY = (10, 60)  # seconds after our SMS is seen
REPLY_RATE, STOP_RATE = 1 / 3, 0.05
REPLIES = (
    "Yes please call me back",
    "Can you call after 3?",
    "Hi, it was about the flat on Park Road. Call me when you can",
    "I'm at work till 5, can you ring then?",
    "Thanks, tomorrow morning is best",
    "Sorry who is this?",
    "ok",
)
STOPS = ("Stop", "STOP", "STOP texting me", "Stop, wrong number")
TEXTABLE = re.compile(r"^\+447700900\d{3}$")  # only reserved mobiles ever "reply"
PLAYED_KEPT = 500


@dataclass(frozen=True)
class PlayedCall:
    """One call the simulator added: what it meant, and the sandbox's SIDs for its legs."""

    kind: CallKind
    caller: str
    line: str
    sid: str
    child_sids: tuple[str, ...]
    start: datetime
    end: datetime
    intended: CallVerdict


class CallerSimulator:
    """Realistic inbound traffic for the demo: missed, answered and machine-answered forwards,
    recordings, withheld and landline callers, repeat callers, replies and the odd STOP.

    `exclude_callers`: numbers it never calls from (a benchmark keeps them for its own cases)."""

    def __init__(
        self,
        *,
        sandbox: Sandbox,
        business_numbers: Sequence[str],
        sms_from: str,
        clock: Callable[[], datetime],
        seed: int | None = None,
        pace: float = 1.0,
        forward_to: str = DEFAULT_FORWARD_TO,
        reply_rate: float = REPLY_RATE,
        stop_rate: float = STOP_RATE,
        exclude_callers: Iterable[str] = (),
    ) -> None:
        if not business_numbers:
            raise ValueError("the simulator needs at least one business number to ring")
        if pace <= 0:
            raise ValueError("pace must be positive")
        if not 0 <= stop_rate <= stop_rate + reply_rate <= 1:
            raise ValueError("reply_rate and stop_rate must be chances that add up to at most 1")
        self.sandbox = sandbox
        self.lines = tuple(business_numbers)
        self.sms_from = sms_from
        self.forward_to = forward_to
        self.pace = pace
        self.reply_rate, self.stop_rate = reply_rate, stop_rate
        self._clock = clock
        self._rng = random.Random(seed)
        ours = {*self.lines, sms_from, forward_to}
        self._ours = frozenset(ours)
        self._numbers = NumberPool(self._rng, exclude=ours | set(exclude_callers))
        self._lock = threading.Lock()
        self._next_arrival: datetime | None = None
        self._seq = 0
        # Heaps of (due, seq, ...): repeat calls (caller, line) and replies (sender, to, body).
        self._repeats: list[tuple[datetime, int, str, str]] = []
        self._replies: list[tuple[datetime, int, str, str, str]] = []
        self._replying: set[str] = set()
        self._seen_sms: set[str] = set()
        self._counts: Counter[str] = Counter()
        self._played: deque[PlayedCall] = deque(maxlen=PLAYED_KEPT)
        self._failures_in_a_row = 0

    def step(self) -> None:
        """Play whatever is due now: a new caller, repeat calls, replies to our SMS."""
        now = self._clock()
        with self._lock:
            self._counts["steps"] += 1
            self._watch_sent_messages(now)
            self._play_due_repeats(now)
            self._send_due_replies(now)
            longest = timedelta(seconds=ARRIVAL_GAP[1] / self.pace)
            if self._next_arrival is None or self._next_arrival - now > longest:
                self._next_arrival = now  # the first step, or the clock went back
            if now >= self._next_arrival:
                # Scheduled from now, not from when it was due: a clock jump plays one caller,
                # not a backlog of them.
                gap = self._rng.uniform(*ARRIVAL_GAP) / self.pace
                self._next_arrival = now + timedelta(seconds=gap)
                self._arrive(now)

    def run(self, stop_event: threading.Event, interval: float = 1.0) -> None:
        """Step every `interval` seconds until `stop_event` is set; no exception escapes."""
        logger.info("caller simulator started (pace %.2f)", self.pace)
        while not stop_event.is_set():
            try:
                self.step()
                self._failures_in_a_row = 0
            except Exception:
                with self._lock:
                    self._counts["errors"] += 1
                self._failures_in_a_row += 1
                # Full detail for the first failure of a run of them, then a line a minute.
                if self._failures_in_a_row == 1:
                    logger.exception("caller simulator step failed; carrying on")
                elif self._failures_in_a_row % 60 == 0:
                    logger.warning(
                        "caller simulator: %d steps failed in a row", self._failures_in_a_row
                    )
            stop_event.wait(interval)
        logger.info("caller simulator stopped: %s", self.summary())

    def play(self, kind: CallKind) -> PlayedCall:
        """Play one new caller of `kind` now, as the stream would (a repeat caller rings twice)."""
        with self._lock:
            return self._arrive(self._clock(), kind)

    def played(self) -> list[PlayedCall]:
        """The calls played so far (the latest few hundred), oldest first."""
        with self._lock:
            return list(self._played)

    def counts(self) -> dict[str, int]:
        """How many of each kind of call, replies, STOPs and failed steps were played."""
        with self._lock:
            return dict(self._counts)

    def summary(self) -> str:
        """One line for the log: what the simulator has played so far."""
        counts = self.counts()
        kinds = ", ".join(f"{counts[k.value]} {k.value}" for k in CallKind if counts.get(k.value))
        calls = sum(counts.get(k.value, 0) for k in CallKind)
        return (
            f"{counts.get('callers', 0)} callers, {calls} calls ({kinds or 'none yet'}), "
            f"{counts.get('replies', 0)} replies, "
            f"{counts.get('stops', 0)} STOP, {counts.get('errors', 0)} failed steps"
        )

    # Everything below runs under self._lock.

    def _arrive(self, now: datetime, kind: CallKind | None = None) -> PlayedCall:
        if kind is None:
            kind = weighted(self._rng, ARRIVAL_MIX)
        self._counts["callers"] += 1
        first = self._play(kind)
        if kind is CallKind.REPEAT:
            after = timedelta(seconds=self._rng.randint(*REPEAT_AFTER))
            self._push_repeat(now + (first.end - first.start) + after, first.caller, first.line)
        return first

    def _play(
        self, kind: CallKind, caller: str | None = None, line: str | None = None
    ) -> PlayedCall:
        if line is None:
            line = self._rng.choice(self.lines)
        if caller is None:
            caller = self._caller_for(kind)
        if kind is CallKind.LANDLINE:
            # Twilio accepts SMS to a landline and it never arrives; the daemon must not try.
            self.sandbox.twilio.mark_landline(caller, fail_code=30006)
        plan = plan_call(
            kind,
            self._rng,
            caller=caller,
            line=line,
            forward_to=self.forward_to,
            now=self.sandbox.store.now(),
        )
        added = self.sandbox.twilio.add_inbound_call(
            from_=plan.caller,
            to=plan.line,
            status=plan.status,
            start=plan.start,
            end=plan.end,
            children=plan.children,
        )
        played = PlayedCall(
            kind,
            caller,
            line,
            added.sid,
            added.child_sids,
            plan.start,
            plan.end,
            intended_verdict(kind),
        )
        self._played.append(played)
        self._counts[kind.value] += 1
        logger.debug("simulated %s call %s", kind.value, added.sid)
        return played

    def _caller_for(self, kind: CallKind) -> str:
        if kind is CallKind.WITHHELD:
            return self._rng.choice(WITHHELD)
        if kind is CallKind.LANDLINE:
            return self._numbers.landline()
        return self._numbers.mobile()

    def _push_repeat(self, due: datetime, caller: str, line: str) -> None:
        self._seq += 1
        heapq.heappush(self._repeats, (due, self._seq, caller, line))

    def _play_due_repeats(self, now: datetime) -> None:
        while self._repeats and self._repeats[0][0] <= now:
            _, _, caller, line = heapq.heappop(self._repeats)
            self._play(CallKind.REPEAT, caller=caller, line=line)

    def _watch_sent_messages(self, now: datetime) -> None:
        """Decide, once per SMS the daemon sent to a caller, whether and how that caller answers."""
        for message in self.sandbox.twilio.sent_messages():
            sid = str(message["sid"])
            if sid in self._seen_sms:
                continue
            self._seen_sms.add(sid)
            caller, ours = str(message["to"]), str(message["from"] or self.sms_from)
            if not TEXTABLE.match(caller) or caller in self._ours or caller in self._replying:
                continue
            roll = self._rng.random()
            if roll < self.stop_rate:
                body = self._rng.choice(STOPS)
            elif roll < self.stop_rate + self.reply_rate:
                body = self._rng.choice(REPLIES)
            else:
                continue
            due = now + timedelta(seconds=self._rng.randint(*REPLY_DELAY))
            self._seq += 1
            heapq.heappush(self._replies, (due, self._seq, caller, ours, body))
            self._replying.add(caller)

    def _send_due_replies(self, now: datetime) -> None:
        while self._replies and self._replies[0][0] <= now:
            _, _, caller, ours, body = heapq.heappop(self._replies)
            self._replying.discard(caller)
            self.sandbox.twilio.add_inbound_message(from_=caller, to=ours, body=body)
            stop = body.upper().startswith("STOP")
            self._counts["stops" if stop else "replies"] += 1
            logger.debug("simulated %s from a texted caller", "STOP" if stop else "a reply")
