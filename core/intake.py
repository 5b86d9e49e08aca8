"""Shell: what comes in, recorded once: classified calls, inbound messages, opt-outs and lifts.

Each use case runs in one `write_transaction()` and hands the rules an observation through
`core.services`: a missed call opens, joins or is `not_contacted`; an answered call or a reply
reaches the recovery it belongs to (or goes on the "needs a person" list after it closed); STOP
suppresses the number everywhere; START or UNSTOP lifts it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from core import (
    db,
    domain,
    messages,
    observations,
    opening,
    phone,
    repository,
    services,
    suppression,
)
from core.domain import Actor, Attention, CallerFacts, CallVerdict
from core.models import InboundCall, InboundMessage
from core.observations import Observation
from core.services import Applied, Context, store_decision

BELONGS_AFTER_CLOSE = timedelta(hours=24)


def record_call(
    engine: Engine,
    *,
    sid: str,
    caller_raw: str | None,
    to_number: str,
    status: str,
    verdict: CallVerdict,
    reason: str,
    ended_at: datetime | None,
    seen_at: datetime,
    ctx: Context,
    outbound: bool = False,
) -> Applied | None:
    """Record a classified call and open, join or reach a recovery as the rules say.

    `outbound`: a person's answered call from a business number to `caller_raw`; it reaches that
    number's open recovery and nothing else.
    """
    with db.write_transaction(engine) as session:
        if repository.get_inbound_call(session, sid) is not None:
            return None  # each call is acted on once, however often it is read back
        row = InboundCall(
            sid=sid,
            caller=caller_raw or "",
            to_number=to_number,
            status=status,
            verdict=verdict.value,
            reason=reason,
            ended_at=ended_at,
            seen_at=seen_at,
        )
        session.add(row)
        if outbound:
            applied = _reach_open(session, caller_raw, ended_at or seen_at, seen_at, ctx)
        else:
            applied = _act_on_call(session, row, caller_raw, verdict, ended_at, seen_at, ctx)
        if applied is not None:
            row.recovery_id = applied.decision.state.id
            session.add(row)
        return applied


def _act_on_call(
    session: Session,
    row: InboundCall,
    caller_raw: str | None,
    verdict: CallVerdict,
    ended_at: datetime | None,
    seen_at: datetime,
    ctx: Context,
) -> Applied | None:
    caller = (
        phone.normalise(caller_raw) if caller_raw and not phone.is_withheld(caller_raw) else None
    )
    at = ended_at or seen_at
    if verdict is CallVerdict.ANSWERED:
        if caller is None:
            return None
        return _reach_or_flag(session, caller, observations.AnsweredCall(at=at), at, seen_at, ctx)
    if verdict not in (CallVerdict.MISSED, CallVerdict.MACHINE):
        return None
    if caller is not None:
        open_one = repository.open_recovery_for(session, caller)
        if open_one is not None and open_one.id is not None:
            joined = observations.MissedCallJoined(at=at, call_sid=row.sid)
            return services.advance_in(
                session, recovery_id=open_one.id, observations=[joined], now=seen_at, ctx=ctx
            )
    facts = opening.NewCallFacts(
        number_suppressed=caller is not None and suppression.is_suppressed(session, caller),
        last_contacted_closed_at=None
        if caller is None
        else repository.latest_contacted_close(session, caller),
    )
    why = opening.assess_call(
        caller_raw=caller_raw,
        ended_at=at,
        seen_at=seen_at,
        business_numbers=ctx.business_numbers,
        ignore_numbers=ctx.ignore_numbers,
        facts=facts,
        policy=ctx.policy,
    )
    if why is not None:
        decision = opening.not_contacted(
            caller=caller or "", call_sid=row.sid, ended_at=at, reason=why, now=seen_at
        )
        return store_decision(session, None, decision, seen_at)
    assert caller is not None
    decision = opening.start(
        caller=caller,
        call_sid=row.sid,
        ended_at=at,
        is_uk=phone.is_uk(caller),
        is_landline=phone.is_uk_landline(caller),
        facts=CallerFacts(
            last_no_conversation_callback_at=repository.last_no_conversation_callback(
                session, caller
            )
        ),
        policy=ctx.policy,
        window=ctx.window,
        now=seen_at,
    )
    return store_decision(session, None, decision, seen_at)


def _reach_open(
    session: Session, number_raw: str | None, at: datetime, now: datetime, ctx: Context
) -> Applied | None:
    number = phone.normalise(number_raw) if number_raw else None
    target = None if number is None else repository.open_recovery_for(session, number)
    if target is None or target.id is None:
        return None
    observation = observations.AnsweredCall(at=at)
    return services.advance_in(
        session, recovery_id=target.id, observations=[observation], now=now, ctx=ctx
    )


def _reach_or_flag(
    session: Session,
    caller: str,
    observation: Observation,
    at: datetime,
    now: datetime,
    ctx: Context,
) -> Applied | None:
    """Apply a reply or answered call to the recovery it belongs to, or flag it for a person."""
    target = repository.latest_eligible_before(session, caller, at)
    if target is None or target.id is None:
        return None
    if target.is_open:
        return services.advance_in(
            session, recovery_id=target.id, observations=[observation], now=now, ctx=ctx
        )
    closed_at = target.outcome_at or at
    belongs = at <= closed_at + BELONGS_AFTER_CLOSE
    kind = "reply" if isinstance(observation, observations.Reply) else "answered_call"
    repository.add_events(
        session,
        target.id if belongs else None,
        [
            domain.Event(
                at=at,
                kind=f"{kind}_after_close",
                reason=f"{kind.replace('_', ' ')} after the recovery closed: a person follows up",
                actor=Actor.CALLER,
                attention=Attention.REPLY_AFTER_CLOSE,
            )
        ],
    )
    return None


def record_message(
    engine: Engine,
    *,
    sid: str,
    sender_raw: str,
    to_number: str,
    body: str,
    sent_at: datetime,
    seen_at: datetime,
    ctx: Context,
) -> Applied | None:
    """Record an inbound message: an opt-out, a re-subscribe, or a reply."""
    with db.write_transaction(engine) as session:
        if repository.message_seen(session, sid):
            return None
        keyword = messages.parse_keyword(body)
        sender = phone.normalise(sender_raw) or sender_raw
        session.add(
            InboundMessage(
                sid=sid,
                sender=sender,
                to_number=to_number,
                body=body,
                sent_at=sent_at,
                keyword=keyword.value,
            )
        )
        if keyword is messages.Keyword.OPT_OUT:
            return opt_out_in(
                session, number=sender, source="sms", at=sent_at, now=seen_at, ctx=ctx
            )
        if keyword is messages.Keyword.RESUBSCRIBE:
            lift_in(
                session, value=sender, reason="re-subscribed by SMS", actor=Actor.CALLER, at=sent_at
            )
            return None
        return _reach_or_flag(
            session, sender, observations.Reply(at=sent_at), sent_at, seen_at, ctx
        )


def opt_out_in(
    session: Session, *, number: str, source: str, at: datetime, now: datetime, ctx: Context
) -> Applied | None:
    """Suppress the number and any email known for it, and close its open recovery as opted out."""
    target = repository.latest_eligible_before(session, number, at)
    new = suppression.suppress(
        session, value=number, source=source, evidence=f"opt-out via {source}", at=at
    )
    if target is not None and target.email:
        suppression.suppress(
            session, value=target.email, source=source, evidence="number opted out", at=at
        )
    event = domain.Event(
        at=at,
        kind="suppressed" if new else "opt_out_repeated",
        reason=f"opt-out received via {source}; the number is suppressed on every channel",
        actor=Actor.CONSOLE if source == "console" else Actor.CALLER,
    )
    belongs = target is not None and (
        target.is_open
        or (target.outcome_at is not None and at <= target.outcome_at + BELONGS_AFTER_CLOSE)
    )
    # The opt-out is always explained; it names a recovery only if it belongs to one.
    repository.add_events(session, target.id if target is not None and belongs else None, [event])
    if target is None or target.id is None or not target.is_open:
        return None
    observation = observations.OptOut(at=at, source=source)
    return services.advance_in(
        session, recovery_id=target.id, observations=[observation], now=now, ctx=ctx
    )


def lift_in(session: Session, *, value: str, reason: str, actor: Actor, at: datetime) -> bool:
    """Lift a number (START, UNSTOP or a console removal with a reason); emails stay as they are."""
    lifted = suppression.lift(session, value=value, reason=reason, at=at)
    repository.add_events(
        session,
        None,
        [
            domain.Event(
                at=at,
                kind="suppression_lifted" if lifted else "lift_ignored",
                reason=reason if lifted else "not on the suppression list",
                actor=actor,
            )
        ],
    )
    return lifted
