"""Shell: the use cases both processes share: record a call or a message, advance a recovery.

Each runs in one `write_transaction()`: load the recovery, gather the caller's facts, ask the pure
core (`core.opening`, `core.recovery`) what to do, write the new state with compare-and-set, append
the events, and write an attempt row for every send the decision asks for. Vendor calls never happen
here: the daemon makes them after the transaction, then records the result with `advance` again.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from core import db, domain, recovery, repository, suppression
from core.domain import CallerFacts, Channel, Decision, Effect, Policy, RecoveryState, Window
from core.observations import Observation

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    """What the rules need besides the recovery: the settings of this tick and the window."""

    policy: Policy
    window: Window
    business_numbers: frozenset[str] = frozenset()
    ignore_numbers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Claim:
    """A send the decision asked for, with the attempt row written before the vendor call."""

    effect: Effect
    attempt_id: int
    channel: Channel


@dataclass(frozen=True)
class Applied:
    decision: Decision
    claims: tuple[Claim, ...] = field(default_factory=tuple)


def caller_facts(session: Session, state: RecoveryState) -> CallerFacts:
    """The facts beyond this recovery that the rules and the gate need, read just now."""
    return CallerFacts(
        number_suppressed=suppression.is_suppressed(session, state.caller),
        email_suppressed=bool(state.email) and suppression.is_suppressed(session, state.email),
        last_no_conversation_callback_at=repository.last_no_conversation_callback(
            session, state.caller
        ),
    )


def store_decision(
    session: Session, before: RecoveryState | None, decision: Decision, now: datetime
) -> Applied:
    state = decision.state
    if before is None:
        state = repository.insert_recovery(session, state)
    elif not repository.compare_and_set(session, before, state):
        raise StaleRecovery(before.id)
    repository.add_events(session, state.id, decision.events)
    claims = []
    assert state.id is not None
    for effect in decision.effects:
        channel = _channel_of(effect)
        attempt = repository.create_attempt(
            session,
            recovery_id=state.id,
            channel=channel,
            purpose=_purpose_of(effect),
            started_at=now,
            to_address=state.email if channel is Channel.EMAIL else state.caller,
        )
        assert attempt.id is not None
        claims.append(Claim(effect=effect, attempt_id=attempt.id, channel=channel))
    stored = dataclasses.replace(state, version=(before.version + 1) if before else state.version)
    return Applied(decision=dataclasses.replace(decision, state=stored), claims=tuple(claims))


class StaleRecovery(Exception):
    """Someone else changed the recovery between the read and the write."""


def _channel_of(effect: Effect) -> Channel:
    if isinstance(effect, domain.SendSms):
        return Channel.SMS
    if isinstance(effect, domain.PlaceCallback):
        return Channel.CALL
    return Channel.EMAIL


def _purpose_of(effect: Effect) -> str:
    if isinstance(effect, domain.SendSms):
        return "layer1"
    if isinstance(effect, domain.PlaceCallback):
        return "manual" if effect.manual else "layer2"
    return "layer3" if effect.reason == "layer3" else effect.reason


def advance(
    engine: Engine,
    *,
    recovery_id: int,
    observations: Sequence[Observation] = (),
    now: datetime,
    ctx: Context,
    sends: bool = True,
) -> Applied | None:
    """Apply observations and the clock to one recovery; None if it does not exist."""
    with db.write_transaction(engine) as session:
        return advance_in(
            session,
            recovery_id=recovery_id,
            observations=observations,
            now=now,
            ctx=ctx,
            sends=sends,
        )


def advance_in(
    session: Session,
    *,
    recovery_id: int,
    observations: Sequence[Observation] = (),
    now: datetime,
    ctx: Context,
    sends: bool = True,
) -> Applied | None:
    """`advance` inside a transaction the caller holds.

    `sends=False` (the console, and results being recorded) applies what happened without making
    any send due now: those are the daemon's, on its next pass.
    """
    state = repository.get_recovery(session, recovery_id)
    if state is None:
        return None
    decision = recovery.decide(
        state,
        observations,
        now=now,
        policy=ctx.policy,
        window=ctx.window,
        facts=caller_facts(session, state),
        sends=sends,
    )
    return store_decision(session, state, decision, now)
