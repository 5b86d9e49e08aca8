"""Property tests for the recovery sequence over the real calling window, three years of it.

A small simulated shell drives a recovery: it answers every effect with a vendor result, adds random
replies, opt-outs, repeat calls, console actions and callback reports, flips the kill switch, and
moves the clock by random steps across clock changes and (substitute) bank holidays.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.calendar import DEFAULT_HOURS, CallingWindow
from core.domain import (
    TERMINAL_STEP,
    CallerFacts,
    Decision,
    Effect,
    PlaceCallback,
    Policy,
    RecoveryState,
    SendEmail,
    SendFailure,
    SendSms,
    StepStatus,
)
from core.observations import (
    AnsweredCall,
    CallbackFailed,
    CallbackPlaced,
    CallbackReport,
    ConsoleAction,
    ConsoleCommand,
    EmailAccepted,
    EmailFailed,
    MissedCallJoined,
    Observation,
    OptOut,
    Reply,
    SmsAccepted,
    SmsDeliveryFinal,
    SmsFailed,
)
from core.opening import start
from core.recovery import decide

WINDOW = CallingWindow(hours=DEFAULT_HOURS, timezone="Europe/London", bank_holidays="england")
# The hours are an operating setting, re-read every tick: a person may narrow them mid-recovery.
NARROW = CallingWindow(
    hours={day: ((10 * 60, 12 * 60), (14 * 60, 16 * 60)) for day in range(4)},
    timezone="Europe/London",
    bank_holidays="scotland",
)
FIRST = datetime(2025, 1, 1, tzinfo=UTC)
SPAN = int(timedelta(days=3 * 365).total_seconds())
# Clock changes, substitute bank holidays (Boxing Day 2026, Christmas 2027) and closing times.
SPECIAL = [
    datetime(2025, 3, 30, 1, tzinfo=UTC),
    datetime(2025, 10, 26, 1, tzinfo=UTC),
    datetime(2026, 3, 29, 1, tzinfo=UTC),
    datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(2027, 3, 28, 1, tzinfo=UTC),
    datetime(2027, 10, 31, 1, tzinfo=UTC),
    datetime(2026, 12, 28, 9, tzinfo=UTC),
    datetime(2027, 12, 27, 9, tzinfo=UTC),
    datetime(2027, 12, 28, 9, tzinfo=UTC),
    datetime(2025, 5, 3, 11, 55, tzinfo=UTC),
    datetime(2025, 6, 6, 16, 50, tzinfo=UTC),
    datetime(2026, 1, 9, 17, 50, tzinfo=UTC),
]
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BOOLEANS = st.booleans()
instants = st.one_of(
    st.integers(0, SPAN).map(lambda s: FIRST + timedelta(seconds=s)),
    st.tuples(st.sampled_from(SPECIAL), st.integers(-3 * 86400, 3 * 86400)).map(
        lambda pair: pair[0] + timedelta(seconds=pair[1])
    ),
)
seconds = st.integers(0, 3600).map(lambda s: timedelta(seconds=s))


def policies(*, layer2: st.SearchStrategy[bool] = BOOLEANS) -> st.SearchStrategy[Policy]:
    """Random operating settings, in seconds where production uses minutes."""
    return st.builds(
        Policy,
        sms_delay=seconds,
        reply_wait=seconds,
        email_delay=st.integers(0, 3 * 3600).map(lambda s: timedelta(seconds=s)),
        max_catchup=st.integers(60, 3600).map(lambda s: timedelta(seconds=s)),
        max_callback_wait=st.integers(1, 100).map(lambda h: timedelta(hours=h)),
        layer2_on=layer2,
        layer3_on=st.booleans(),
        sms_config_error=st.sampled_from([False, False, True]),
    )


failures = st.sampled_from(list(SendFailure))
reasons = st.sampled_from(
    [None, "agent_hangup", "call_transfer", "user_hangup", "voicemail_reached", "inactivity",
     "max_duration_reached", "dial_no_answer", "invalid_destination", "error_unknown", "odd"]
)  # fmt: skip


@dataclass(frozen=True)
class Tick:
    """One pass of the simulated shell."""

    wait: timedelta
    narrow: bool
    to_next_action: bool  # a daemon that is up wakes at the recovery's next_action_at
    kill_switch: bool
    accept: bool
    failure: SendFailure
    external: str | None
    lateness: timedelta
    status: str
    reason: str | None
    analysis: bool
    outcome: str | None
    opt_out: bool
    command: ConsoleCommand


ticks = st.builds(
    Tick,
    wait=st.one_of(
        st.integers(0, 300), st.integers(300, 6 * 3600), st.integers(6 * 3600, 4 * 86400)
    ).map(lambda s: timedelta(seconds=s)),
    narrow=st.sampled_from([False, False, True]),
    to_next_action=st.sampled_from([True, True, False]),
    kill_switch=st.sampled_from([False, False, False, True]),
    accept=st.booleans(),
    failure=failures,
    external=st.sampled_from(
        [*[None] * 12, "reply", "answered", "opt_out", "joined", "console", "delivery"]
    ),
    lateness=st.integers(0, 7200).map(lambda s: timedelta(seconds=s)),
    status=st.sampled_from(["ended", "ended", "ongoing", "not_connected", "error"]),
    reason=reasons,
    analysis=st.booleans(),
    outcome=st.sampled_from([None, "booked", "transferred", "not_now", "other"]),
    opt_out=st.sampled_from([False, False, False, True]),
    command=st.sampled_from(list(ConsoleCommand)),
)


def results(effects: tuple[Effect, ...], at: datetime, tick: Tick) -> list[Observation]:
    """The vendor's answer to each effect of the previous pass."""
    found: list[Observation] = []
    for effect in effects:
        if isinstance(effect, SendSms):
            found.append(
                SmsAccepted(at=at, message_sid="SM1")
                if tick.accept
                else SmsFailed(at=at, failure=tick.failure, code=21211)
            )
        elif isinstance(effect, PlaceCallback):
            found.append(
                CallbackPlaced(at=at, call_id="c1")
                if tick.accept
                else CallbackFailed(at=at, failure=tick.failure)
            )
        elif isinstance(effect, SendEmail):
            found.append(
                EmailAccepted(at=at) if tick.accept else EmailFailed(at=at, failure=tick.failure)
            )
    return found


def external(state: RecoveryState, at: datetime, tick: Tick) -> list[Observation]:
    """Something the caller, a person or a vendor did at `at`."""
    found: list[Observation] = []
    if tick.external == "reply":
        found.append(Reply(at=at))
    elif tick.external == "answered":
        found.append(AnsweredCall(at=at))
    elif tick.external == "opt_out":
        found.append(OptOut(at=at, source="sms"))
    elif tick.external == "joined":
        found.append(MissedCallJoined(at=at, call_sid="CA2"))
    elif tick.external == "console":
        found.append(ConsoleAction(at=at, command=tick.command, value=100.0))
    elif tick.external == "delivery":
        found.append(SmsDeliveryFinal(at=at, status="undelivered", error_code=30003))
    placed = state.callback_placed_at
    if state.callback_status is StepStatus.ACTIVE and placed is not None:
        ended = max(placed, at - timedelta(minutes=5))
        found.append(
            CallbackReport(
                at=at,
                call_status=tick.status,
                disconnection_reason=tick.reason,
                started_at=placed,
                ended_at=ended,
                analysis_present=tick.analysis,
                in_voicemail=False,
                custom_outcome=tick.outcome,
                custom_opt_out=tick.opt_out,
            )
        )
    return found


def drive(
    ended_at: datetime, policy: Policy, facts: CallerFacts, plan: list[Tick]
) -> list[tuple[datetime, Decision, CallingWindow]]:
    """Open a recovery, run the shell's passes, then ten days on: each (now, decision, window)."""
    now = ended_at + timedelta(seconds=5)
    decision = start(caller="+447700900123", call_sid="CA1", ended_at=ended_at, is_uk=True,
                     is_landline=False, facts=facts, policy=policy, window=WINDOW, now=now,
                     email="caller@example.com")  # fmt: skip
    seen = [(now, decision, WINDOW)]
    for tick in [*plan, *[Tick(timedelta(days=10), False, False, False, True, *_QUIET)] * 3]:
        previous, due = now, decision.state.next_action_at
        if tick.to_next_action and due is not None:
            now = max(now, due) + tick.wait / 1000
        else:
            now = now + tick.wait
        answered = previous + (now - previous) / 2
        observations = results(decision.effects, answered, tick)
        observations += external(decision.state, max(previous, now - tick.lateness), tick)
        current = replace(policy, kill_switch=tick.kill_switch)
        window = NARROW if tick.narrow else WINDOW
        decision = decide(
            decision.state, observations, now=now, policy=current, window=window, facts=facts
        )
        seen.append((now, decision, window))
    return seen


_QUIET = (SendFailure.TRANSIENT, None, timedelta(0), "ended", "odd", True, None, False,
          ConsoleCommand.MARK_LOST)  # fmt: skip


@PROPERTY
@given(instants, policies(layer2=st.just(True)), st.lists(ticks, max_size=12))
def test_no_callback_starts_outside_the_window_or_the_hard_limit(
    ended_at: datetime, policy: Policy, plan: list[Tick]
) -> None:
    for now, decision, window in drive(ended_at, policy, CallerFacts(), plan):
        for effect in decision.effects:
            if isinstance(effect, PlaceCallback):
                assert window.within_hard_limit(now)
                assert effect.manual or window.is_open(now)


@PROPERTY
@given(instants, policies(), st.lists(ticks, max_size=12))
def test_nothing_is_ever_sent_to_a_suppressed_number(
    ended_at: datetime, policy: Policy, plan: list[Tick]
) -> None:
    suppressed = CallerFacts(number_suppressed=True)
    for _, decision, _ in drive(ended_at, policy, suppressed, plan):
        assert decision.effects == ()


@PROPERTY
@given(instants, policies(), st.lists(ticks, max_size=12), st.booleans())
def test_every_recovery_ends_with_exactly_one_outcome_that_never_changes(
    ended_at: datetime, policy: Policy, plan: list[Tick], recent_voicemail: bool
) -> None:
    last = ended_at - timedelta(hours=1) if recent_voicemail else None
    facts = CallerFacts(last_no_conversation_callback_at=last)
    first: tuple[object, object] | None = None
    history = drive(ended_at, policy, facts, plan)
    for now, decision, _ in history:
        state = decision.state
        if first is not None:
            assert (state.outcome, state.outcome_at) == first
        elif state.outcome is not None:
            first = (state.outcome, state.outcome_at)
            assert state.outcome_at is not None and state.outcome_at <= now
        if not state.is_open:
            statuses = (state.sms_status, state.callback_status, state.email_status)
            assert StepStatus.PENDING not in statuses
    final = history[-1][1].state
    assert final.outcome is not None and final.next_action_at is None
    assert final.callback_status in TERMINAL_STEP
