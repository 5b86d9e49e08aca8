"""Shell: the console's overrides, opt-out list edits, erasure and settings, as core use cases.

The console never sends: an override that contacts someone ("call now", "email now") only records
the intent through the rules; the daemon's next tick sends it through the one gate. Every override
is an event with the console as its actor.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy import Engine, or_, update
from sqlmodel import col, select

from core import (
    db,
    domain,
    intake,
    observations,
    phone,
    repository,
    services,
    settings_store,
    suppression,
)
from core.domain import Actor
from core.models import PERSONAL_FIELDS, Attempt, InboundCall, InboundMessage, Recovery
from core.observations import ConsoleCommand
from core.services import Applied, Context


def console_action(
    engine: Engine,
    *,
    recovery_id: int,
    command: ConsoleCommand,
    now: datetime,
    ctx: Context,
    value: float | None = None,
    note: str = "",
) -> Applied | None:
    """Cancel, pause, resume, call now, email now, mark reached, won or lost."""
    observation = observations.ConsoleAction(at=now, command=command, value=value, note=note)
    with db.write_transaction(engine) as session:
        return services.advance_in(
            session,
            recovery_id=recovery_id,
            observations=[observation],
            now=now,
            ctx=ctx,
            sends=False,
        )


def set_email(engine: Engine, *, recovery_id: int, email: str, now: datetime) -> bool:
    """Give a recovery an email address for layer 3 (or clear it with "")."""
    email = email.strip()
    if email and ("@" not in email or " " in email):
        raise ValueError("not an email address")
    with db.write_transaction(engine) as session:
        state = repository.get_recovery(session, recovery_id)
        if state is None:
            return False
        changed = dataclasses.replace(state, email=email)
        if not repository.compare_and_set(session, state, changed):
            return False
        event = domain.Event(
            at=now,
            kind="email_set",
            reason="email address set in the console" if email else "email address cleared",
            actor=Actor.CONSOLE,
        )
        repository.add_events(session, recovery_id, [event])
        return True


def opt_out(engine: Engine, *, value: str, now: datetime, ctx: Context) -> Applied | None:
    """Add a number or email to the suppression list from the console."""
    value = value.strip()
    number = phone.normalise(value) if "@" not in value else None
    if number is None and ("@" not in value or " " in value):
        raise ValueError("not a phone number or an email address")
    with db.write_transaction(engine) as session:
        if number is None:
            added = suppression.suppress(
                session, value=value, source="console", evidence="added in the console", at=now
            )
            event = domain.Event(
                at=now,
                kind="suppressed" if added else "opt_out_repeated",
                reason="email added to the suppression list in the console",
                actor=Actor.CONSOLE,
            )
            repository.add_events(session, None, [event])
            return None
        return intake.opt_out_in(session, number=number, source="console", at=now, now=now, ctx=ctx)


def remove_opt_out(engine: Engine, *, value: str, reason: str, now: datetime) -> bool:
    """Lift a suppression from the console; a reason is required."""
    if not reason.strip():
        raise ValueError("a reason is required to remove an opt-out")
    key = phone.normalise(value) if "@" not in value else None
    with db.write_transaction(engine) as session:
        return intake.lift_in(
            session,
            value=key or value,
            reason=f"removed in the console: {reason.strip()}",
            actor=Actor.CONSOLE,
            at=now,
        )


def erase_person(engine: Engine, *, number: str, now: datetime, ctx: Context) -> int:
    """Blank a caller's personal data everywhere; the timeline and suppression entry stay."""
    caller = phone.normalise(number) or number.strip()
    with db.write_transaction(engine) as session:
        rows = list(session.exec(select(Recovery).where(Recovery.caller == caller)).all())
        ids = [r.id for r in rows if r.id is not None]
        for rid in ids:
            state = repository.get_recovery(session, rid)
            if state is not None and state.is_open:
                cancel = observations.ConsoleAction(
                    at=now, command=ConsoleCommand.CANCEL, note="personal data erased"
                )
                services.advance_in(
                    session,
                    recovery_id=rid,
                    observations=[cancel],
                    now=now,
                    ctx=ctx,
                    sends=False,
                )
        blank = {name: "" for name in PERSONAL_FIELDS[Recovery]}
        session.execute(update(Recovery).where(col(Recovery.id).in_(ids)).values(**blank))
        session.execute(
            update(Attempt)
            .where(col(Attempt.recovery_id).in_(ids))
            .values(**{name: "" for name in PERSONAL_FIELDS[Attempt]})
        )
        # A call is the person's by its recovery too: its raw caller ID may not be in E.164.
        session.execute(
            update(InboundCall)
            .where(or_(col(InboundCall.caller) == caller, col(InboundCall.recovery_id).in_(ids)))
            .values(caller="")
        )
        session.execute(
            update(InboundMessage)
            .where(col(InboundMessage.sender) == caller)
            .values(**{name: "" for name in PERSONAL_FIELDS[InboundMessage]})
        )
        repository.add_events(
            session,
            None,
            [
                domain.Event(
                    at=now,
                    kind="erased",
                    reason=f"personal data erased from {len(ids)} recoveries; suppression kept",
                    actor=Actor.CONSOLE,
                )
            ],
        )
        for rid in ids:
            repository.add_events(
                session,
                rid,
                [
                    domain.Event(
                        at=now, kind="erased", reason="personal data erased", actor=Actor.CONSOLE
                    )
                ],
            )
        return len(ids)


def save_setting(engine: Engine, *, name: str, value: str | None, now: datetime) -> None:
    """Save an operating setting (None drops the saved value); the event never holds the value."""
    with db.write_transaction(engine) as session:
        settings_store.save_setting(session, name=name, value=value, at=now)
        reason = (
            f"{name} saved in the console" if value is not None else f"{name}: saved value dropped"
        )
        repository.add_events(
            session,
            None,
            [domain.Event(at=now, kind="setting_changed", reason=reason, actor=Actor.CONSOLE)],
        )
