"""Shell: the soak's chaos: vendor faults at random intervals, and the daemon killed and restarted.

`WatchedFaults` is the sandbox's fault injector that also counts every vendor request as it
arrives (so the traffic can find a moment between two of the daemon's polls) and can play a
*plan*: faults that must hit a sequence of requests in order, such as "lose the answer to the next
message create, then stall the look-up that follows" (the daemon is then SIGKILLed mid-send).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bench.soak_daemon import DaemonProcess
from daemon.sandbox.faults import Fault, FaultAction, FaultInjector

ADAPTER_TIMEOUT = 10.0  # daemon/main.py VENDOR_TIMEOUT: "slow" means slower than this
ACCOUNT = "/2010-04-01/Accounts/{AccountSid}"
CALLS, MESSAGES, MESSAGE = (
    f"{ACCOUNT}/Calls.json",
    f"{ACCOUNT}/Messages.json",
    f"{ACCOUNT}/Messages/{{Sid}}.json",
)
Step = tuple[str, str, Fault]  # method, path suffix, fault
MIN_GAP = 6.0  # seconds between one chaos action's end and the next
MID_SEND_WAIT = 30.0  # how long the mid-send SIGKILL waits for a send before killing anyway


class WatchedFaults(FaultInjector):
    """The sandbox's injector, counting arrivals and playing one plan at a time."""

    def __init__(self) -> None:
        super().__init__()
        self._watch = threading.Lock()
        self.arrivals = 0
        self._plan: list[Step] = []
        self._done: threading.Event | None = None
        self._previous = ""
        self._hook: Callable[[datetime], bool] | None = None
        self._calls_read_at: datetime | None = None

    def take(self, method: str, path: str) -> Fault | None:
        """Count the request; run a between-reads hook; the plan's next step wins over rules."""
        hook, read_at = self._between_reads(method.upper(), path)
        # In the request's own thread, before the sandbox answers it; False: not this poll.
        if hook is not None and read_at is not None and not hook(read_at):
            self.between_reads(hook)
        with self._watch:
            self.arrivals += 1
            if self._plan:
                want, suffix, fault = self._plan[0]
                if method.upper() == want and path.endswith(suffix):
                    self._plan.pop(0)
                    if not self._plan and self._done is not None:
                        self._done.set()
                    return fault
        return super().take(method, path)

    def arm(self, steps: list[Step]) -> threading.Event | None:
        """Start a plan; the event is set when its last step has hit (None: one is running)."""
        with self._watch:
            if self._plan:
                return None
            self._plan, self._done = list(steps), threading.Event()
            return self._done

    def disarm(self) -> None:
        """Drop the plan's remaining steps."""
        with self._watch:
            self._plan, self._done = [], None

    def between_reads(self, hook: Callable[[datetime], bool] | None) -> None:
        """Run `hook(when the calls were read)` as a poll's messages read arrives (None: drop it).

        The hook returns False to wait for a later poll.

        Only a calls read that arrives after this call counts, so the hook sees a poll that
        began after whatever the caller set up.
        """
        with self._watch:
            self._hook, self._calls_read_at = hook, None

    def _between_reads(
        self, method: str, path: str
    ) -> tuple[Callable[[datetime], bool] | None, datetime | None]:
        with self._watch:
            previous, self._previous = self._previous, f"{method} {path}"
            if self._hook is None or method != "GET":
                return None, None
            if path.endswith("/Calls.json"):
                self._calls_read_at = datetime.now(UTC)  # the sandbox runs on the real clock
            elif (
                path.endswith("/Messages.json")
                and previous.endswith("/Calls.json")
                and self._calls_read_at is not None
            ):
                hook, self._hook = self._hook, None
                return hook, self._calls_read_at
            return None, None


def lost_answer_then(lookup: Fault) -> list[Step]:
    """The next create really happens but its answer is lost; the look-up after it gets `lookup`."""
    return [
        ("POST", "/Messages.json", Fault(FaultAction.DROP_RESPONSE)),
        ("GET", "/Messages.json", lookup),
    ]


@dataclass(frozen=True)
class FaultKind:
    label: str
    method: str
    path: str
    action: str
    weight: float


MENU = (
    FaultKind("list calls: 500", "GET", CALLS, "status", 1.0),
    FaultKind("list calls: 429", "GET", CALLS, "429", 1.0),
    FaultKind("list calls: slower than the timeout", "GET", CALLS, "delay", 0.7),
    FaultKind("list calls: connection dropped", "GET", CALLS, "drop", 1.0),
    FaultKind("list messages: 503", "GET", MESSAGES, "status", 1.0),
    FaultKind("list messages: 429", "GET", MESSAGES, "429", 0.7),
    FaultKind("list messages: slower than the timeout", "GET", MESSAGES, "delay", 0.5),
    FaultKind("list messages: connection dropped", "GET", MESSAGES, "drop", 0.7),
    FaultKind("fetch message: 500", "GET", MESSAGE, "status", 0.5),
    FaultKind("fetch message: slower than the timeout", "GET", MESSAGE, "delay", 0.3),
    FaultKind("create message: 500", "POST", MESSAGES, "status", 1.5),
    FaultKind("create message: 429", "POST", MESSAGES, "429", 1.5),
    FaultKind("create message: dropped before Twilio saw it", "POST", MESSAGES, "drop", 1.5),
    FaultKind("create message: answer lost (ambiguous)", "POST", MESSAGES, "drop_response", 2.0),
)
LATE_CREATE = FaultKind("create message: slower than the timeout", "POST", MESSAGES, "delay", 1.0)


class FaultStream:
    """Adds one random fault from the menu every few seconds until told to stop."""

    def __init__(
        self, faults: WatchedFaults, rng: random.Random, *, late_creates: bool = False
    ) -> None:
        self.faults = faults
        self.rng = rng
        self.menu = (*MENU, LATE_CREATE) if late_creates else MENU
        self.added: Counter[str] = Counter()

    def one(self) -> None:
        """Add one fault rule (1 or 2 requests), chosen by weight."""
        kind = self.rng.choices(self.menu, weights=[k.weight for k in self.menu])[0]
        kw: dict[str, Any] = {"times": self.rng.choice((1, 1, 1, 2))}
        if kind.action == "status":
            kw.update(action="status", status=self.rng.choice((500, 502, 503)))
        elif kind.action == "429":
            kw.update(action="status", status=429, retry_after=self.rng.randint(1, 3))
        elif kind.action == "delay":
            kw.update(action="delay", delay=ADAPTER_TIMEOUT + self.rng.uniform(0.5, 2.5), times=1)
        else:
            kw.update(action=kind.action)
        self.faults.add(method=kind.method, path=kind.path, **kw)
        self.added[kind.label] += kw["times"]

    def run(self, stop: threading.Event, every: tuple[float, float] = (3.0, 9.0)) -> None:
        """One fault every `every` seconds (uniform) until `stop`."""
        while not stop.wait(self.rng.uniform(*every)):
            self.one()


class Chaos:
    """Kills and restarts the daemon on a seeded schedule, and restarts it if it dies alone."""

    def __init__(
        self, daemon: DaemonProcess, faults: WatchedFaults, rng: random.Random, duration: float
    ) -> None:
        self.daemon, self.faults, self.rng = daemon, faults, rng
        # The mid-send kill comes once SMS are flowing (the simulator's calls ring ~40 s), and the
        # failed look-up after the last restart, so nothing but the daemon itself can resolve it.
        acts = ["kill", "term"]
        rng.shuffle(acts)
        acts += ["kill_mid_send", "stuck_lookup"]
        slots = ((0.08, 0.2), (0.25, 0.38), (0.45, 0.55), (0.6, 0.7))
        self.schedule = [
            (duration * rng.uniform(a, b), act) for (a, b), act in zip(slots, acts, strict=True)
        ]
        self.log: list[str] = []
        self.plans: Counter[str] = Counter()
        self._started = time.monotonic()

    def run(self, stop: threading.Event, started: float) -> None:
        """Play the schedule, watching the daemon in between, until `stop`."""
        self._started = started
        done = started
        for at, act in self.schedule:
            # A daemon restarted a moment ago gets a few polls before the next blow.
            if not self._watch_until(stop, max(started + at, done + MIN_GAP)):
                return
            getattr(self, "_" + act)(stop)
            done = time.monotonic()
        self._watch_until(stop, float("inf"))

    def _watch_until(self, stop: threading.Event, when: float) -> bool:
        while time.monotonic() < when:
            if stop.wait(min(0.5, max(0.0, when - time.monotonic()))):
                return False
            if not self.daemon.alive:
                code = self.daemon.exit_code()
                self.daemon.problems.append(f"the daemon exited on its own (code {code})")
                self._restart(stop)
        return True

    def note(self, what: str) -> None:
        """Log one chaos action with its time into the traffic."""
        self.log.append(f"t+{time.monotonic() - self._started:.0f}s {what}")

    def _restart(self, stop: threading.Event) -> None:
        stop.wait(self.rng.uniform(0.5, 2.5))  # down for a moment, as after a real crash
        self.daemon.start()

    def _kill(self, stop: threading.Event, note: str = "") -> None:
        self.daemon.kill()
        self.note(f"SIGKILL{note}")
        self._restart(stop)

    def _kill_mid_send(self, stop: threading.Event) -> None:
        done = self.faults.arm(
            lost_answer_then(Fault(FaultAction.DELAY, delay=ADAPTER_TIMEOUT + 2))
        )
        hit = done is not None and wait_event(done, stop, MID_SEND_WAIT)
        self.faults.disarm()
        self.plans["SIGKILL mid-send"] += 1
        self._kill(stop, " during a look-up after an ambiguous create" if hit else " (no send)")

    def _term(self, stop: threading.Event) -> None:
        self.daemon.terminate(what="mid-run SIGTERM")
        self.note("SIGTERM")
        self._restart(stop)

    def _stuck_lookup(self, stop: threading.Event) -> None:
        done = self.faults.arm(lost_answer_then(Fault(FaultAction.STATUS, status=500)))
        if done is not None and wait_event(done, stop, float("inf")):
            self.plans["ambiguous create, then the look-up failed"] += 1
            self.note("ambiguous create, then a failed look-up")
        else:
            self.note("(no create to make ambiguous)")
        self.faults.disarm()


def wait_event(event: threading.Event, stop: threading.Event, deadline: float) -> bool:
    """Wait for `event` (polling `stop` too) up to `deadline` seconds."""
    end = time.monotonic() + deadline
    while time.monotonic() < end and not stop.is_set():
        if event.wait(0.1):
            return True
    return event.is_set()


def describe(counts: Counter[str], fmt: Callable[[str, int], str] = "{} x{}".format) -> str:
    """`label xN, ...` for a counter, largest first."""
    return ", ".join(fmt(k, v) for k, v in counts.most_common()) or "none"
