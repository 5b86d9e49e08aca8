"""Shell: the soak's own callers, on top of the demo simulator's stream.

Cases the simulator rarely or never plays: bursts of repeat calls, a reply or a STOP that reaches
Twilio before our SMS could go, a STOP followed by a call, landlines, and callers who ring again
after replying or opting out. A race case (reply or STOP first, reply while reading, STOP then call)
takes a number nobody has used, from a block the simulator leaves alone, or is skipped when none is
left; the others prefer unused numbers. Each remembers what it expects beyond the rules the final
checks apply to every call.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bench.soak_chaos import WatchedFaults, wait_event
from daemon.sandbox import ChildLeg, Sandbox
from daemon.sandbox.simulator import CallerSimulator
from daemon.sandbox.simulator_calls import LANDLINES, MOBILES

# The simulator never calls from CASE_MOBILES: a race case needs a number with no history (no open
# recovery, cooldown or STOP), so each takes one of these once, and is skipped when none is left.
CASE_MOBILES, SIMULATOR_MOBILES = MOBILES[500:], MOBILES[:500]

RACE_DEADLINE = 45.0  # how long a reply-while-reading case keeps trying for a poll to race
QUIET_DEADLINE = 25.0  # how long a case waits for a moment between two polls before giving up
CASES = (
    ("burst", 0.2),
    ("reply_first", 0.1),
    ("reply_while_reading", 0.1),
    ("stop_first", 0.1),
    ("stop_then_call", 0.1),
    ("landline", 0.2),
    ("call_again", 0.2),
)
REPLY_FIRST = ("Just seen the missed call, ring me back", "Hello? You called?", "")
STOP_FIRST = ("STOP", "Stop, wrong number", "unsubscribe")


@dataclass(frozen=True)
class Played:
    """One inbound call the soak added: who, to which line, when it ended, what it should be."""

    sid: str
    caller: str
    start: datetime
    end: datetime
    kind: str
    intended: str  # missed, machine or answered
    source: str  # simulator or soak


@dataclass(frozen=True)
class Case:
    """One extra case and what it fixes beyond the rules every call is checked against."""

    kind: str
    number: str
    at: datetime
    sid: str = ""  # the case's call, whose recovery must end as `outcome`
    outcome: str | None = None
    no_sms: bool = False  # no SMS to `number` from `at` on...
    until_next_call: bool = False  # ...until its next call (a reply before the SMS lifts nothing)


class Traffic:
    """The simulator's stream plus the soak's cases; collects every call played."""

    def __init__(
        self,
        *,
        sandbox: Sandbox,
        faults: WatchedFaults,
        simulator: CallerSimulator,
        lines: Sequence[str],
        sms_from: str,
        forward_to: str,
        rng: random.Random,
        pace: float,
    ) -> None:
        self.box, self.faults, self.sim = sandbox, faults, simulator
        self.lines, self.sms_from, self.forward_to = tuple(lines), sms_from, forward_to
        self.rng, self.pace = rng, pace
        self.played: dict[str, Played] = {}
        self.cases: list[Case] = []
        self.skipped = 0
        self._lock = threading.Lock()
        self._called_again: set[str] = set()

    def collect(self) -> None:
        """Copy the simulator's recent calls (it keeps only the latest few hundred)."""
        for p in self.sim.played():
            if p.sid not in self.played:
                with self._lock:
                    self.played[p.sid] = Played(
                        p.sid, p.caller, p.start, p.end, p.kind.value, p.intended.value, "simulator"
                    )

    def run(self, stop: threading.Event, every: tuple[float, float] = (12.0, 24.0)) -> None:
        """One extra case every `every` seconds / pace, collecting the simulator's calls too."""
        due = time.monotonic() + self.rng.uniform(*every) / self.pace
        first_round = [kind for kind, _ in CASES]  # every kind once, even in a short run
        self.rng.shuffle(first_round)
        while not stop.wait(0.5):
            self.collect()
            if time.monotonic() >= due:
                due = time.monotonic() + self.rng.uniform(*every) / self.pace
                kinds, weights = [k for k, _ in CASES], [w for _, w in CASES]
                kind = first_round.pop() if first_round else self.rng.choices(kinds, weights)[0]
                getattr(self, "_" + kind)(stop)
        self.collect()

    # The cases.

    def _burst(self, stop: threading.Event) -> None:
        number, start = self._fresh(SIMULATOR_MOBILES, reuse=True), self._now()
        for _ in range(self.rng.randint(3, 4)):
            start = self._missed(number, start, kind="burst").end
            start += timedelta(seconds=self.rng.randint(1, 4))
        self.cases.append(Case("burst", number, self._now()))

    def _reply_first(self, stop: threading.Event) -> None:
        self._call_and_text(stop, "reply_first", self.rng.choice(REPLY_FIRST), "reached")

    def _stop_first(self, stop: threading.Event) -> None:
        self._call_and_text(stop, "stop_first", self.rng.choice(STOP_FIRST), "opted_out")

    def _call_and_text(self, stop: threading.Event, kind: str, body: str, outcome: str) -> None:
        """A missed call and, a second after it ended, a message: both visible to the same poll."""
        number = self._fresh(CASE_MOBILES)
        end = time.monotonic() + QUIET_DEADLINE
        while number and not stop.is_set() and time.monotonic() < end:
            with self.box.store.lock:  # holds every vendor request while we look and add
                if self._between_polls():
                    # Both already in the past, so both are visible from now on.
                    now = self._now()
                    ended = now - timedelta(seconds=2)
                    call = self._missed(
                        number, ended - timedelta(seconds=25), kind=kind, ended=ended
                    )
                    to = self.rng.choice((self.sms_from, *self.lines))
                    self.box.twilio.add_inbound_message(
                        from_=number, to=to, body=body, at=now - timedelta(seconds=1)
                    )
                    again = kind == "reply_first"
                    self.cases.append(Case(kind, number, now, call.sid, outcome, True, again))
                    return
            time.sleep(0.02)
        self.skipped += 1

    def _reply_while_reading(self, stop: threading.Event) -> None:
        """The caller hangs up while a poll reads, and texts before that poll reads messages.

        The call is still ringing when the poll reads the call log; its messages read is slow
        (held here until a second after the call ended), and finds the reply. A restart or a
        fault can spoil the moment: then the call stays a plain missed call and a new one tries.
        """
        give_up = time.monotonic() + RACE_DEADLINE
        while time.monotonic() < give_up:
            if stop.is_set() or self._race_a_reply(stop):
                return
        self.skipped += 1

    def _race_a_reply(self, stop: threading.Event) -> bool:
        number, start = self._fresh(CASE_MOBILES), self._now()
        if not number:
            self.skipped += 1
            return True
        call = self._missed(number, start, kind="reply_while_reading")
        fired = threading.Event()

        def hook(calls_read_at: datetime) -> bool:
            if call.end - self.box.store.now() > timedelta(seconds=2):
                return False  # a slow read, not a stalled one: wait for a poll nearer the end
            if calls_read_at >= call.end:
                return True  # this poll already saw the call over: nothing to race
            while self.box.store.now() < call.end + timedelta(seconds=1.2):
                time.sleep(0.05)
            body = self.rng.choice(REPLY_FIRST)
            self.box.twilio.add_inbound_message(from_=number, to=self.sms_from, body=body)
            case = Case("reply_while_reading", number, call.end, call.sid, "reached", True, True)
            self.cases.append(case)
            fired.set()
            return True

        self.faults.between_reads(hook)
        fired_in_time = wait_event(fired, stop, (call.end - start).total_seconds() + 5)
        self.faults.between_reads(None)
        return fired_in_time or fired.is_set()

    def _stop_then_call(self, stop: threading.Event) -> None:
        number = self._fresh(CASE_MOBILES)
        if not number:
            self.skipped += 1
            return
        self.box.twilio.add_inbound_message(
            from_=number, to=self.sms_from, body=self.rng.choice(STOP_FIRST)
        )
        start = self._now() + timedelta(seconds=self.rng.randint(2, 6))
        call = self._missed(number, start, kind="stop_then_call")
        self.cases.append(
            Case("stop_then_call", number, self._now(), call.sid, "not_contacted", True)
        )

    def _landline(self, stop: threading.Event) -> None:
        number = self._fresh(LANDLINES, reuse=True)
        # Twilio would accept an SMS to a landline (and it would fail later) or refuse it.
        self.box.twilio.mark_landline(number, refuse=self.rng.random() < 0.5, fail_code=30006)
        self._missed(number, self._now(), kind="soak_landline")
        self.cases.append(Case("landline", number, self._now(), no_sms=True))

    def _call_again(self, stop: threading.Event) -> None:
        """A caller who texted us (a reply or a STOP) rings again: cooldown or suppressed."""
        with self.box.store.lock:
            texted = sorted(
                {
                    m.from_number
                    for m in self.box.twilio.messages
                    if m.direction == "inbound" and m.from_number not in self._called_again
                }
            )
        if not texted:
            self._burst(stop)
            return
        number = self.rng.choice(texted)
        self._called_again.add(number)
        self._missed(number, self._now(), kind="call_again")
        self.cases.append(Case("call_again", number, self._now()))

    # Helpers.

    def _now(self) -> datetime:
        return self.box.store.now().replace(microsecond=0)

    def _fresh(self, pool: Sequence[str], *, reuse: bool = False) -> str:
        """A number from `pool` that no call or message has used yet; once they run out, any
        from `pool` if `reuse`, else ""."""
        ours = {*self.lines, self.sms_from, self.forward_to}
        with self.box.store.lock:
            used = {c.from_number for c in self.box.twilio.calls}
            used |= {m.from_number for m in self.box.twilio.messages}
            used |= {m.to_number for m in self.box.twilio.messages}
        unused = [n for n in pool if n not in used and n not in ours]
        if not unused and not reuse:
            return ""
        return self.rng.choice(unused or [n for n in pool if n not in ours])

    def _missed(
        self, number: str, start: datetime, *, kind: str, ended: datetime | None = None
    ) -> Played:
        """A short forwarded call nobody answers, starting at `start` (ringing until it ends)."""
        end = ended or start + timedelta(seconds=self.rng.randint(4, 9))
        leg = ChildLeg(self.forward_to, "no-answer", None, start + timedelta(seconds=1), end)
        added = self.box.twilio.add_inbound_call(
            from_=number, to=self.rng.choice(self.lines), start=start, end=end, children=[leg]
        )
        played = Played(added.sid, number, start, end, kind, "missed", "soak")
        with self._lock:
            self.played[added.sid] = played
        return played

    def _between_polls(self) -> bool:
        """True if no vendor request is in flight and the last poll's reads are over.

        Called under the sandbox's lock: calls and messages added now are then first read by one
        and the same poll, as a caller who texts a second after hanging up would be.
        """
        done = self.box.requests()
        if self.faults.arrivals != len(done):
            return False
        message_lines = (*self.lines, self.sms_from)
        # Latest arrival first: a read that stalled past the daemon's timeout is logged when the
        # sandbox gives up on it, after newer reads, but it is not what the daemon did last.
        recent = sorted(done[-200:], key=lambda r: r.received or r.at, reverse=True)
        for request in recent:
            route = request.route or ""
            if request.method != "GET" or not route.endswith(("/Calls.json", "/Messages.json")):
                continue
            query = dict(request.query)
            if route.endswith("/Messages.json") and "From" in query:
                continue  # a look-up after an ambiguous create, not a poll
            if request.status != 200:
                return True  # a failed read ends the pass: the next one reads everything
            # The messages read ends a poll's reads (all lines at once, or one per line).
            to = query.get("To")
            return route.endswith("/Messages.json") and to in (None, message_lines[-1])
        return True
