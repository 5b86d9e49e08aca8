"""Pure: one recovery as a row of the Live table (masked caller, stage, next step, age).

No clock and no I/O: `now` and the business's time zone are arguments. A caller's number is shown
only as its last three digits, as in the logs.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core.domain import RecoveryState, StepStatus

COLUMNS = (
    "id",
    "Caller",
    "Stage",
    "Outcome",
    "Repeat calls",
    "Urgent",
    "Next step",
    "When",
    "Age",
)
SHOWN = COLUMNS[1:]  # the id only maps a selected row back to its recovery
MASK = "•••"


def mask_number(number: str) -> str:
    """A caller ID as the console shows it: its last three digits only."""
    digits = [c for c in number if c.isdigit()]
    if len(digits) < 3 or any(c in number for c in ":@"):
        return "withheld" if number.strip() else "no number"
    return MASK + "".join(digits[-3:])


def caller_label(state: RecoveryState) -> str:
    """The caller's first name if known, else the masked number."""
    name = state.first_name.strip()
    return name if name else mask_number(state.caller)


def local_time(
    at: datetime, zone: ZoneInfo, *, now: datetime | None = None, seconds: bool = False
) -> str:
    """A UTC instant in the business's zone: the time alone when it is today, else with the day."""
    local = at.astimezone(zone)
    clock = f"{local:%H:%M:%S}" if seconds else f"{local:%H:%M}"
    if now is not None and local.date() == now.astimezone(zone).date():
        return clock
    return f"{local:%a} {local.day} {local:%b} {clock}"


def age(since: datetime, now: datetime) -> str:
    """How long ago, coarsely: 45 s, 12 min, 3 h 05 min, 2 d 4 h."""
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def _layers(state: RecoveryState) -> list[tuple[str, StepStatus, datetime | None]]:
    return [
        ("SMS", state.sms_status, state.sms_due_at),
        ("callback", state.callback_status, state.callback_due_at),
        ("email", state.email_status, state.email_due_at),
    ]


def stage(state: RecoveryState) -> str:
    """Which layer is pending, in flight or active; `listening` once every layer is over."""
    if not state.is_open:
        return "closed"
    current = "listening for a reply"
    for name, status, _due in _layers(state):
        if status == StepStatus.PENDING:
            current = f"{name} pending"
            break
        if status == StepStatus.IN_FLIGHT:
            current = f"{name} in flight"
            break
        if status == StepStatus.ACTIVE:
            current = f"{name} active"
            break
    return f"paused: {current}" if state.paused else current


def next_step(state: RecoveryState) -> tuple[str, datetime | None]:
    """What the daemon does next for this recovery, and when (None: as soon as it can, or never)."""
    if not state.is_open:
        return "", None
    if state.paused:
        return "held while paused", None
    for name, status, due in _layers(state):
        if status == StepStatus.PENDING:
            return f"send {name}" if name != "callback" else "place callback", (
                due or state.next_action_at
            )
        if status == StepStatus.IN_FLIGHT:
            return f"record the {name} result", state.next_action_at
        if status == StepStatus.ACTIVE:
            return "read the callback's result", state.next_action_at
    return "close as exhausted", state.closes_at or state.next_action_at


def outcome_label(state: RecoveryState) -> str:
    """`open`, or the outcome with its reason in words (not contacted: cooldown)."""
    if state.outcome is None:
        return "open"
    words = str(state.outcome).replace("_", " ")
    reason = state.outcome_reason.replace("_", " ").strip()
    return f"{words}: {reason}" if reason and reason != words else words


def row(state: RecoveryState, *, now: datetime, zone: ZoneInfo) -> dict[str, object]:
    """The Live table's row for one recovery; no full number ever appears in it."""
    step, when = next_step(state)
    return {
        "id": state.id,
        "Caller": caller_label(state),
        "Stage": stage(state),
        "Outcome": outcome_label(state),
        "Repeat calls": state.repeat_count,
        "Urgent": "urgent" if state.is_open and state.urgent else "",
        "Next step": step,
        "When": "" if when is None else local_time(when, zone, now=now),
        "Age": age(state.first_missed_at, now),
    }
