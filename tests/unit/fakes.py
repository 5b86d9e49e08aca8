"""Test helpers: a fixed weekly calling window in UTC, instants, a quick way to open a recovery,
and recoveries part-way through (SMS accepted, callback in progress) with a callback's report."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta

from core.domain import CallerFacts, Decision, Policy, RecoveryState, StepStatus, Window
from core.observations import CallbackPlaced, CallbackReport, Observation, SmsAccepted
from core.opening import start
from core.recovery import decide

MONDAY = datetime(2025, 6, 2, tzinfo=UTC)  # a Monday with no bank holiday near it
CALLER = "+447700900123"
LANDLINE = "+441134960123"
ABROAD = "+33612345678"
EMAIL = "caller@example.com"
ON = Policy(layer2_on=True, layer3_on=True)

Hours = Mapping[int, Sequence[tuple[time, time]]]
DEFAULT_HOURS: Hours = {
    **{day: [(time(9), time(18))] for day in range(5)},
    5: [(time(9), time(13))],
}


def t(day: int = 0, hour: int = 10, minute: int = 0, second: int = 0) -> datetime:
    """An instant `day` days after Monday 2 June 2025 at hour:minute:second UTC."""
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute, seconds=second)


class WeeklyWindow:
    """The calling window as fixed weekly hours in UTC, less `closed_dates`, inside 08:00-21:00."""

    def __init__(self, hours: Hours = DEFAULT_HOURS, closed_dates: Iterable[date] = ()) -> None:
        self.hours = hours
        self.closed_dates = frozenset(closed_dates)

    def _intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        if day in self.closed_dates:
            return []
        found = []
        for start_time, end_time in self.hours.get(day.weekday(), ()):
            start_at = datetime.combine(day, max(start_time, time(8)), UTC)
            end_at = datetime.combine(day, min(end_time, time(21)), UTC)
            if start_at < end_at:
                found.append((start_at, end_at))
        return found

    def is_open(self, at: datetime) -> bool:
        return self.closes_at(at) is not None

    def closes_at(self, at: datetime) -> datetime | None:
        for start_at, end_at in self._intervals(at.date()):
            if start_at <= at < end_at:
                return end_at
        return None

    def next_opening(self, at: datetime) -> datetime:
        if self.is_open(at):
            return at
        for offset in range(0, 800):
            for start_at, _ in self._intervals(at.date() + timedelta(days=offset)):
                if start_at > at:
                    return start_at
        raise ValueError("the window never opens")

    def within_hard_limit(self, at: datetime) -> bool:
        return time(8) <= at.time() < time(21)


WINDOW: Window = WeeklyWindow()


def opened(
    ended_at: datetime,
    *,
    now: datetime | None = None,
    policy: Policy = ON,
    window: Window = WINDOW,
    facts: CallerFacts | None = None,
    caller: str = CALLER,
    is_uk: bool = True,
    is_landline: bool = False,
    email: str = EMAIL,
) -> Decision:
    """Open a recovery for a missed call that ended at `ended_at`, seen at `now`."""
    return start(
        caller=caller,
        call_sid="CA" + "0" * 32,
        ended_at=ended_at,
        is_uk=is_uk,
        is_landline=is_landline,
        facts=facts or CallerFacts(),
        policy=policy,
        window=window,
        now=now or ended_at,
        email=email,
    )


def step(
    state: RecoveryState,
    *observations: Observation,
    now: datetime,
    policy: Policy = ON,
    window: Window = WINDOW,
    facts: CallerFacts | None = None,
) -> Decision:
    """Call `decide` with the usual defaults."""
    return decide(
        state, observations, now=now, policy=policy, window=window, facts=facts or CallerFacts()
    )


def kinds(decision: Decision) -> list[str]:
    """The event kinds of a decision, in order."""
    return [event.kind for event in decision.events]


PLACED_AT = t(0, 10, 3, 1)  # when callback_active()'s callback was placed


def sms_sent() -> RecoveryState:
    """A recovery opened at 10:00 whose SMS Twilio accepted at 10:00:01."""
    state = opened(t(0, 10)).state
    return step(state, SmsAccepted(at=t(0, 10, 0, 1), message_sid="SM1"), now=t(0, 10, 0, 2)).state


def callback_active(*, policy: Policy = ON, email: str = EMAIL) -> RecoveryState:
    """A landline caller's recovery whose callback was placed at PLACED_AT and is in progress."""
    state = opened(t(0, 10), is_landline=True, policy=policy, email=email).state
    state = step(state, now=t(0, 10, 3), policy=policy).state
    placed = CallbackPlaced(at=PLACED_AT, call_id="call_1")
    state = step(state, placed, now=PLACED_AT, policy=policy).state
    assert state.callback_status is StepStatus.ACTIVE
    return state


def ended(
    reason: str = "agent_hangup", *, outcome: str | None = None, opt_out: bool = False
) -> CallbackReport:
    """The report of callback_active()'s callback, ended at 10:05 for `reason`."""
    return CallbackReport(
        at=t(0, 10, 6),
        call_status="ended",
        disconnection_reason=reason,
        started_at=t(0, 10, 3, 10),
        ended_at=t(0, 10, 5),
        analysis_present=True,
        in_voicemail=False,
        custom_outcome=outcome,
        custom_opt_out=opt_out,
    )
