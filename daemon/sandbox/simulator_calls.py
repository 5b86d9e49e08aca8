"""Sandbox: the demo's simulated callers: which kinds of call they make, how often, from which
reserved numbers, and the legs each kind leaves in Twilio's log (PRODUCT.md section 3).

Every number is an Ofcom drama number (mobiles 07700 900xxx, landlines 0113 496 0xxx and
020 7946 0xxx) or one of the withheld caller IDs Twilio shows, so the demo never texts anyone.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from core.domain import CallVerdict
from daemon.sandbox.twilio_state import ChildLeg

MOBILES = tuple(f"+447700900{n:03d}" for n in range(1000))
LANDLINES = tuple(f"+44{block}{n:03d}" for block in ("1134960", "2079460") for n in range(1000))
WITHHELD = ("anonymous", "+266696687", "client:alice")
DEFAULT_FORWARD_TO = "+447700900999"  # the owner's mobile the business lines forward to
RING_SECONDS = (18, 22)  # the <Dial> timeout is about 20 s (section 3)


class CallKind(StrEnum):
    """What a simulated caller does; the counts in the simulator's summary use these names."""

    MISSED = "missed"  # forwarded, nobody answered (no-answer, busy or the caller hung up)
    RECORDING = "recording"  # no forwarded leg: the line goes straight to a recording
    ANSWERED = "answered"  # a person picked up the forwarded call
    MACHINE = "machine"  # the forwarded phone's voicemail picked up
    WITHHELD = "withheld"  # a missed call from a withheld caller ID
    LANDLINE = "landline"  # a missed call from a UK landline (cannot be texted)
    REPEAT = "repeat"  # a missed call, and the same number again about a minute later


# How often each kind arrives: 60% missed (with the recordings), then the rest.
ARRIVAL_MIX: tuple[tuple[CallKind, float], ...] = (
    (CallKind.MISSED, 0.50),
    (CallKind.RECORDING, 0.10),
    (CallKind.ANSWERED, 0.15),
    (CallKind.MACHINE, 0.10),
    (CallKind.WITHHELD, 0.05),
    (CallKind.LANDLINE, 0.05),
    (CallKind.REPEAT, 0.05),
)
INTENDED = {
    CallKind.ANSWERED: CallVerdict.ANSWERED,
    CallKind.MACHINE: CallVerdict.MACHINE,
}
MACHINE_ANSWERS = (
    ("machine_end_beep", 0.7),
    ("machine_end_silence", 0.15),
    ("machine_start", 0.15),
)
MISSED_ENDINGS = (("no-answer", 0.8), ("busy", 0.1), ("canceled", 0.1))
T = TypeVar("T")


def weighted(rng: random.Random, choices: Iterable[tuple[T, float]]) -> T:
    """One of `choices`, drawn by weight."""
    pairs = list(choices)
    chosen: T = rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]
    return chosen


def intended_verdict(kind: CallKind) -> CallVerdict:
    """What classify_inbound should make of a call of this kind once every leg has ended."""
    return INTENDED.get(kind, CallVerdict.MISSED)


class NumberPool:
    """Reserved caller numbers in a seeded order, never a business number; cycles when used up."""

    def __init__(self, rng: random.Random, *, exclude: Iterable[str]) -> None:
        excluded = set(exclude)
        self._mobiles = [n for n in MOBILES if n not in excluded]
        self._landlines = [n for n in LANDLINES if n not in excluded]
        rng.shuffle(self._mobiles)
        rng.shuffle(self._landlines)
        self._next = {"mobile": 0, "landline": 0}

    def _take(self, numbers: list[str], kind: str) -> str:
        at = self._next[kind]
        self._next[kind] = (at + 1) % len(numbers)
        return numbers[at]

    def mobile(self) -> str:
        """The next fresh mobile caller."""
        return self._take(self._mobiles, "mobile")

    def landline(self) -> str:
        """The next fresh landline caller."""
        return self._take(self._landlines, "landline")


@dataclass(frozen=True)
class CallPlan:
    """The legs of one inbound call, ready for `sandbox.twilio.add_inbound_call`."""

    caller: str
    line: str
    start: datetime
    end: datetime
    children: tuple[ChildLeg, ...]
    status: str = "completed"


def plan_call(
    kind: CallKind,
    rng: random.Random,
    *,
    caller: str,
    line: str,
    forward_to: str,
    now: datetime,
) -> CallPlan:
    """The legs a call of `kind` leaves, starting `now`: it rings in the sandbox until it ends."""
    start = now.replace(microsecond=0)
    dial = start + timedelta(seconds=1)  # Twilio dials the forward a moment after it answers
    if kind is CallKind.RECORDING:
        end = start + timedelta(seconds=rng.randint(20, 45))  # greeting, maybe a voicemail
        return CallPlan(caller, line, start, end, ())
    if kind is CallKind.ANSWERED:
        answered = dial + timedelta(seconds=rng.randint(4, 12))
        end = answered + timedelta(seconds=rng.randint(30, 150))
        leg = ChildLeg(forward_to, "completed", "human", dial, end, answered)
        return CallPlan(caller, line, start, end, (leg,))
    if kind is CallKind.MACHINE:
        # The phone was off: its voicemail picks up at once, and detection waits for the beep.
        answered = dial + timedelta(seconds=rng.randint(3, 8))
        end = answered + timedelta(seconds=rng.randint(20, 45))
        by = weighted(rng, MACHINE_ANSWERS)
        leg = ChildLeg(forward_to, "completed", by, dial, end, answered)
        return CallPlan(caller, line, start, end + timedelta(seconds=1), (leg,))
    ending = weighted(rng, MISSED_ENDINGS)
    if ending == "busy":
        dial_end = dial + timedelta(seconds=rng.randint(2, 4))
    elif ending == "canceled":
        dial_end = dial + timedelta(seconds=rng.randint(6, 14))  # the caller gave up first
    else:
        dial_end = dial + timedelta(seconds=rng.randint(*RING_SECONDS))
    # After the dial the line plays "please leave a message"; a caller who hung up is gone.
    tail = 0 if ending == "canceled" else rng.randint(1, 20)
    leg = ChildLeg(forward_to, ending, None, dial, dial_end)
    return CallPlan(caller, line, start, dial_end + timedelta(seconds=tail), (leg,))
