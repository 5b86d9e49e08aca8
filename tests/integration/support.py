"""Shared by the services and overrides tests on a real SQLite file: the calling context, ways to
record calls, messages and accepted SMSs as the daemon does, readers of the stored state, and the
check that no event holds personal data (ARCHITECTURE.md, "Data")."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from sqlalchemy import Engine
from sqlmodel import SQLModel, select

from core import calendar, db, intake, overrides, repository, services
from core.domain import CallVerdict, Policy, RecoveryState
from core.models import Attempt, Event
from core.observations import ConsoleCommand, SmsAccepted
from core.services import Applied

Row = TypeVar("Row", bound=SQLModel)

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # a Tuesday; London is on UTC in December
LINE = "+441134960000"
CALLER = "+447700900101"
NATIONAL = "07700 900101"  # CALLER as a person types it
OTHER = "+447700900202"
EMAIL = "caller@example.com"
BODY = "Yes please, the boiler is leaking"
FIRST_NAME = "Samantha"
PERSONAL_WORDS = ("boiler", FIRST_NAME, "Acme")  # from BODY, a name, a company's name
WINDOW = calendar.CallingWindow(
    hours=calendar.DEFAULT_HOURS, timezone="Europe/London", bank_holidays="england"
)
CTX = services.Context(
    policy=Policy(layer2_on=True, layer3_on=True), window=WINDOW, business_numbers=frozenset({LINE})
)
NO_LAYER2 = replace(CTX, policy=replace(CTX.policy, layer2_on=False))


def record_call(
    engine: Engine,
    sid: str,
    caller: str | None = CALLER,
    *,
    ended: datetime = T0,
    seen: datetime | None = None,
    verdict: CallVerdict = CallVerdict.MISSED,
    outbound: bool = False,
    ctx: services.Context = CTX,
) -> Applied | None:
    """Record one classified call to LINE, seen 5 s after it ended unless told otherwise."""
    return intake.record_call(
        engine,
        sid=sid,
        caller_raw=caller,
        to_number=LINE,
        status="completed",
        verdict=verdict,
        reason="test",
        ended_at=ended,
        seen_at=seen or ended + timedelta(seconds=5),
        ctx=ctx,
        outbound=outbound,
    )


def record_message(
    engine: Engine,
    sid: str,
    body: str,
    *,
    sent: datetime,
    seen: datetime | None = None,
    sender: str = CALLER,
    to: str = LINE,
    ctx: services.Context = CTX,
) -> Applied | None:
    """Record one inbound message to `to`, seen 3 s after it was sent unless told otherwise."""
    return intake.record_message(
        engine,
        sid=sid,
        sender_raw=sender,
        to_number=to,
        body=body,
        sent_at=sent,
        seen_at=seen or sent + timedelta(seconds=3),
        ctx=ctx,
    )


def opened_id(applied: Applied | None) -> int:
    """The id of the recovery a recorded call opened or joined."""
    assert applied is not None and applied.decision.state.id is not None
    return applied.decision.state.id


def sms_accepted(
    engine: Engine,
    recovery_id: int,
    at: datetime,
    *,
    now: datetime | None = None,
    ctx: services.Context = CTX,
) -> None:
    """Record what the daemon records when Twilio accepts the SMS at `at` (noticed at `now`)."""
    services.advance(
        engine,
        recovery_id=recovery_id,
        observations=[SmsAccepted(at=at, message_sid="SM" + "1" * 32)],
        now=now or at,
        ctx=ctx,
        sends=False,
    )


def sms_went(engine: Engine, recovery_id: int, at: datetime, body: str = "") -> None:
    """What the sender records: the body on the attempt before the call, then Twilio's answer."""
    with db.write_transaction(engine) as session:
        for attempt in session.exec(select(Attempt).where(Attempt.recovery_id == recovery_id)):
            attempt.body, attempt.result, attempt.finished_at = body, "accepted", at
            session.add(attempt)
    sms_accepted(engine, recovery_id, at)


def in_progress(engine: Engine, caller: str = CALLER) -> int:
    """An open recovery whose SMS went; its callback is due at T0 + 3 min."""
    rid = opened_id(record_call(engine, "CA01", caller))
    sms_went(engine, rid, T0 + timedelta(seconds=7))
    return rid


def act(
    engine: Engine,
    rid: int,
    command: ConsoleCommand,
    *,
    at: datetime,
    ctx: services.Context = CTX,
    value: float | None = None,
) -> Applied:
    """Press a console button on recovery `rid` at `at`."""
    applied = overrides.console_action(
        engine, recovery_id=rid, command=command, now=at, ctx=ctx, value=value
    )
    assert applied is not None
    return applied


def daemon_pass(engine: Engine, rid: int, at: datetime, ctx: services.Context = CTX) -> Applied:
    """One daemon pass over recovery `rid` at `at`."""
    applied = services.advance(engine, recovery_id=rid, now=at, ctx=ctx)
    assert applied is not None
    return applied


def state_of(engine: Engine, recovery_id: int | None) -> RecoveryState:
    """The stored state of one recovery."""
    assert recovery_id is not None
    with db.read_session(engine) as session:
        state = repository.get_recovery(session, recovery_id)
    assert state is not None
    return state


def rows(engine: Engine, table: type[Row]) -> list[Row]:
    """Every row of `table`."""
    with db.read_session(engine) as session:
        return list(session.exec(select(table)).all())


def all_events(engine: Engine) -> list[Event]:
    """The timeline, oldest first."""
    with db.read_session(engine) as session:
        return list(session.exec(select(Event).order_by(Event.id)).all())  # type: ignore[arg-type]


def assert_events_hold_no_personal_data(engine: Engine, *words: str) -> None:
    """No event names a phone number (7+ digits in a row), an email, or any of `words`."""
    for event in all_events(engine):
        text = " ".join([event.kind, event.reason, event.actor, event.attention or ""])
        assert not re.search(r"\d{7,}", text.replace(" ", "")), text
        assert "@" not in text, text
        for word in words:
            assert word.lower() not in text.lower(), text


def no_personal_data_in_events(*words: str) -> Callable[..., Iterator[None]]:
    """An autouse fixture for a test module: after each test, no event holds personal data."""

    @pytest.fixture(autouse=True)
    def _every_event_holds_no_personal_data(engine: Engine) -> Iterator[None]:
        yield
        assert_events_hold_no_personal_data(engine, *words)

    return _every_event_holds_no_personal_data
