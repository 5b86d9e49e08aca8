"""Pure: which calls in Twilio's log are missed calls, and which outbound calls reach a caller.

PRODUCT.md section 3. A forwarded call is a parent leg (`inbound`) with child legs
(`outbound-dial`). The parent is usually `completed` even when nobody answered, so the children
decide. Reasons are short and hold no personal data: they go on the timeline.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from core.domain import CallVerdict

# Anything not final (queued, ringing, in-progress, or a status Twilio adds later) waits.
FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
NOT_ANSWERED_STATUSES = frozenset({"busy", "failed", "no-answer", "canceled"})


@dataclass(frozen=True)
class CallLeg:
    """One call record from Twilio's log; times are aware UTC (None while unknown)."""

    sid: str
    parent_sid: str | None
    direction: str  # inbound, outbound-api, outbound-dial, trunking-*
    status: str
    from_number: str
    to_number: str
    start_time: datetime | None
    end_time: datetime | None
    answered_by: str | None = None

    @property
    def is_trunking(self) -> bool:
        """True for legs of the SIP trunk (Retell's callbacks): never a caller nor a person."""
        return self.direction.startswith("trunking")

    @property
    def by_machine(self) -> bool:
        """True if answering-machine detection heard a machine or a fax."""
        answered_by = (self.answered_by or "").lower()
        return answered_by.startswith("machine") or answered_by == "fax"

    @property
    def answered_by_person(self) -> bool:
        """Completed and not a machine (`human`, `unknown` or no detection count as a person)."""
        return self.status == "completed" and not self.by_machine


def compact_number(number: str) -> str:
    """A number as compared here: with every space removed."""
    return "".join(number.split())


def _numbers(numbers: Iterable[str]) -> frozenset[str]:
    return frozenset(compact_number(number) for number in numbers)


def _children_of(parent: CallLeg, children: Sequence[CallLeg]) -> list[CallLeg]:
    """The parent's own non-trunking child legs."""
    return [c for c in children if c.parent_sid == parent.sid and not c.is_trunking]


def classify_inbound(
    parent: CallLeg, children: Sequence[CallLeg], *, recovered_lines: Collection[str]
) -> tuple[CallVerdict, str]:
    """The verdict on an inbound parent leg and its children, with a reason for the timeline."""
    if parent.is_trunking:
        return CallVerdict.IGNORED, "trunking leg"
    if parent.direction != "inbound":
        return CallVerdict.IGNORED, f"{parent.direction} leg is not an inbound call"
    if parent.parent_sid:
        return CallVerdict.IGNORED, "not a parent leg"
    if compact_number(parent.to_number) not in _numbers(recovered_lines):
        return CallVerdict.IGNORED, "to a line that is not recovered"
    legs = _children_of(parent, children)
    if parent.status not in FINAL_STATUSES:
        return CallVerdict.PENDING, f"call still {parent.status}"
    unfinished = [leg.status for leg in legs if leg.status not in FINAL_STATUSES]
    if unfinished:
        return CallVerdict.PENDING, f"forwarded leg still {unfinished[0]}"
    if any(leg.answered_by_person for leg in legs):
        return CallVerdict.ANSWERED, "answered on a forwarded leg"
    if legs:
        if any(leg.status == "completed" and leg.by_machine for leg in legs):
            return CallVerdict.MACHINE, "forwarded leg answered by a machine"
        statuses = ", ".join(sorted({leg.status for leg in legs}))
        return CallVerdict.MISSED, f"no forwarded leg answered ({statuses})"
    if parent.status == "completed":
        return CallVerdict.MISSED, "no forwarded leg: the line went straight to a recording"
    return CallVerdict.MISSED, f"no forwarded leg: call ended {parent.status}"


def missed_call_time(parent: CallLeg, children: Sequence[CallLeg]) -> datetime:
    """The end of the call's last leg (its start when no leg has ended; ValueError if no time)."""
    legs = [parent, *_children_of(parent, children)]
    ends = [leg.end_time for leg in legs if leg.end_time is not None]
    if ends:
        return max(ends)
    starts = [leg.start_time for leg in legs if leg.start_time is not None]
    if starts:
        return max(starts)
    raise ValueError(f"call {parent.sid} has no start or end time")


def forwarded_to(children: Iterable[CallLeg]) -> set[str]:
    """The numbers forwarded calls were dialled to: they are business numbers too."""
    return {
        compact_number(leg.to_number)
        for leg in children
        if leg.direction == "outbound-dial" and compact_number(leg.to_number)
    }


def classify_outbound(
    leg: CallLeg, *, business_numbers: Collection[str], inbound_parent_sids: Collection[str]
) -> bool:
    """True if `leg` is a person's answered call from a business number (it reaches its `to`)."""
    if leg.is_trunking or compact_number(leg.from_number) not in _numbers(business_numbers):
        return False
    if leg.direction == "outbound-dial":
        # A forwarded leg of a call to a business line is the caller ringing us, not us ringing.
        if leg.parent_sid is not None and leg.parent_sid in inbound_parent_sids:
            return False
    elif leg.direction != "outbound-api":
        return False
    return leg.answered_by_person
