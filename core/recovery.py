"""Pure: the recovery sequence, one transition table (PRODUCT.md sections 1 and 2).

`decide` applies the observations in the order of their vendor timestamps, each after the pure
time-outs due before it (`core.timing.advance`), then the time-outs up to `now`, and only then
sends (`core.gate`): effects are for `now`, never in the past, and each passes the gate. The
outcome is set once, as of the observation or time-out that decided it, and never changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from core import timing
from core.callbacks import assess_report
from core.domain import (
    Actor,
    Attention,
    CallerFacts,
    Channel,
    Decision,
    Outcome,
    Policy,
    RecoveryState,
    SendFailure,
    StepStatus,
    SubOutcome,
    Window,
)
from core.gate import Draft, call_now, email_now, promised_email, send_due
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

# Event kinds the shell acts on: an opt-out heard on a callback suppresses the number and email.
OPT_OUT_ON_CALLBACK = "opt_out_on_callback"
_RETRY = frozenset({SendFailure.RATE_LIMITED, SendFailure.TRANSIENT})
_UNSETTLED = frozenset({StepStatus.PENDING, StepStatus.IN_FLIGHT})
_LANDLINE_LIKE = frozenset({30003, 30005, 30006})
_OPT_OUT_ACTORS = {"sms": Actor.CALLER, "callback": Actor.CALLER, "console": Actor.CONSOLE}


@dataclass
class _Run(Draft):
    """One call of `decide`: a draft plus the sends asked for on the way, made at `now`."""

    requests: list[str] = field(default_factory=list)  # call_now, email_now, promised

    def advance(self, until: datetime, *, inclusive: bool) -> None:
        self.state, events = timing.advance(
            self.state,
            until=until,
            inclusive=inclusive,
            policy=self.policy,
            window=self.window,
            facts=self.facts,
        )
        self.events.extend(events)


def decide(
    state: RecoveryState,
    observations: Sequence[Observation],
    *,
    now: datetime,
    policy: Policy,
    window: Window,
    facts: CallerFacts,
    sends: bool = True,
) -> Decision:
    """Apply what was observed and the clock up to `now`; say what to send now and why.

    With `sends=False` (the console, or a result being recorded) nothing is sent: requests such
    as "call now" are kept on the recovery for the daemon's next pass, which makes them.
    """
    run = _Run(state, policy, window, facts)
    for observation in sorted(observations, key=lambda o: o.at):
        run.advance(min(observation.at, now), inclusive=False)
        _observe(run, observation)
    run.advance(now, inclusive=True)
    requests = list(dict.fromkeys([*filter(None, state.requested.split(",")), *run.requests]))
    if sends:
        run.state = replace(run.state, requested="")
        for request in requests:
            _REQUESTS[request](run, now)
        send_due(run, now)
    elif requests:
        kept = [r for r in requests if r not in state.requested.split(",")]
        for request in kept:
            run.log(now, "requested", f"{request}: the daemon acts on its next pass", Actor.CONSOLE)
        run.state = replace(run.state, requested=",".join(requests))
    return Decision(
        state=_settle(run.state, now), effects=tuple(run.effects), events=tuple(run.events)
    )


def _settle(state: RecoveryState, now: datetime) -> RecoveryState:
    state = replace(state, contacted_at=timing.contacted_at(state))
    if state.is_open:
        state = replace(state, closes_at=timing.closing_instant(state))
    next_action = timing.next_action(state)
    if state.requested:
        next_action = now if next_action is None else min(next_action, now)
    return replace(state, next_action_at=next_action)


# --- the transition table: one observation at its own instant ------------------------------------


def _observe(run: _Run, obs: Observation) -> None:
    s, at = run.state, obs.at
    match obs:
        case MissedCallJoined() if s.is_open:
            last = max(s.last_missed_at or at, at)
            run.state = replace(s, repeat_count=s.repeat_count + 1, last_missed_at=last)
            run.log(
                at, "repeat_call", "another missed call joined the recovery: urgent", Actor.CALLER
            )
        case Reply() | AnsweredCall():
            via = "reply" if isinstance(obs, Reply) else "answered_call"
            if s.is_open:
                _reach(run, at, via, Actor.CALLER)
            else:
                run.log(
                    at,
                    "reply_after_close",
                    f"{via} after the recovery closed",
                    Actor.CALLER,
                    Attention.REPLY_AFTER_CLOSE,
                )
        case OptOut():
            _opt_out(run, at, obs.source, _OPT_OUT_ACTORS.get(obs.source, Actor.VENDOR))
        case SmsAccepted() if s.sms_status is not StepStatus.DONE:
            run.step(Channel.SMS, StepStatus.DONE, at)
            run.log(at, "sms_sent", "SMS accepted by Twilio", Actor.VENDOR)
        case SmsFailed() if s.sms_status is StepStatus.IN_FLIGHT:
            _sms_failed(run, obs)
        case SmsDeliveryFinal():
            _sms_delivery(run, obs)
        case CallbackPlaced() if s.callback_status in _UNSETTLED:
            run.state = replace(
                s,
                callback_status=StepStatus.ACTIVE,
                callback_id=obs.call_id,
                callback_placed_at=at,
                callback_reason="",
            )
            run.log(at, "callback_placed", "callback accepted by Retell", Actor.VENDOR)
        case CallbackFailed() if s.callback_status is StepStatus.IN_FLIGHT:
            _failed(run, Channel.CALL, at, obs.failure)
        case CallbackReport() if s.callback_status is StepStatus.ACTIVE:
            _callback_report(run, obs)
        case EmailAccepted() if s.email_status is not StepStatus.DONE:
            run.step(Channel.EMAIL, StepStatus.DONE, at)
            run.log(at, "email_sent", "email accepted by SendGrid", Actor.VENDOR)
        case EmailFailed() if s.email_status is StepStatus.IN_FLIGHT:
            _failed(run, Channel.EMAIL, at, obs.failure)
        case ConsoleAction():
            _console(run, obs)
        case _:
            pass  # a duplicate read or a late result for a step already settled


def _reach(run: _Run, at: datetime, via: str, actor: Actor) -> None:
    run.state = timing.close(run.state, Outcome.REACHED, via, at)
    run.state = replace(run.state, reached_at=at, reached_via=via)
    run.log(
        at, "reached", f"caller reached ({via}): recovery closed, pending steps cancelled", actor
    )


def _opt_out(run: _Run, at: datetime, source: str, actor: Actor) -> None:
    if not run.state.is_open:
        run.log(at, "opt_out_after_close", f"opt-out ({source}) after the recovery closed", actor)
        return
    run.state = timing.close(run.state, Outcome.OPTED_OUT, source, at)
    run.log(
        at, "opted_out", f"opted out ({source}): recovery closed, pending steps cancelled", actor
    )


def _sms_failed(run: _Run, obs: SmsFailed) -> None:
    at, code = obs.at, obs.code
    if obs.failure is SendFailure.SUPPRESS:
        run.step(Channel.SMS, StepStatus.SKIPPED, at, "twilio_21610")
        run.log(at, "sms_skipped", "Twilio says the number sent STOP (21610)", Actor.VENDOR)
        _opt_out(run, at, "twilio_21610", Actor.VENDOR)
    elif obs.failure is SendFailure.CANNOT_RECEIVE:
        run.step(Channel.SMS, StepStatus.SKIPPED, at, f"cannot_receive_{code}")
        run.log(
            at,
            "sms_skipped",
            f"number cannot receive SMS ({code}): on to the next layer",
            Actor.VENDOR,
        )
    else:
        _failed(run, Channel.SMS, at, obs.failure, code)


def _failed(
    run: _Run, channel: Channel, at: datetime, failure: SendFailure, code: int | None = None
) -> None:
    name = timing.step_name(channel)
    if failure in _RETRY and run.state.is_open:
        run.step(channel, StepStatus.PENDING, at, f"retry_{failure.value}")
        run.retry_later.add(channel)
        run.log(
            at, f"{name}_retry", f"{name} send failed ({failure.value}): will retry", Actor.VENDOR
        )
        return
    config = failure is SendFailure.CONFIG
    reason = f"{name}_config_error" if config else f"{name}_failed_{failure.value}"
    reason = f"{reason}_{code}" if code is not None and not config else reason
    promised = channel is Channel.EMAIL and run.state.email_reason == "promised"
    attention = Attention.CONFIG_ERROR if config else None
    attention = Attention.PROMISED_EMAIL_NOT_SENT if promised else attention
    run.step(channel, StepStatus.SKIPPED, at, reason)
    run.log(
        at, f"{name}_skipped", f"{name} send failed: skipped ({reason})", Actor.VENDOR, attention
    )


def _sms_delivery(run: _Run, obs: SmsDeliveryFinal) -> None:
    status = obs.status.strip().lower()
    run.state = replace(run.state, sms_delivery=status)
    if status not in {"undelivered", "failed"}:
        run.log(obs.at, "sms_delivery", f"SMS delivery status: {status}", Actor.VENDOR)
        return
    text = f"SMS ended {status} ({obs.error_code}): it does not count as contact"
    if obs.error_code in _LANDLINE_LIKE:
        run.state = replace(run.state, sms_reason=f"not_delivered_{obs.error_code}")
        text = f"{text}; treated as a landline"
    run.log(obs.at, "sms_undelivered", text, Actor.VENDOR)


def _callback_report(run: _Run, obs: CallbackReport) -> None:
    placed = run.state.callback_placed_at or obs.at
    found = assess_report(obs, placed_at=placed)
    if not found.finished or found.result is None:
        return
    was_open = run.state.is_open
    run.step(Channel.CALL, StepStatus.DONE, obs.at)
    run.state = replace(
        run.state, callback_result=found.result.value, callback_sub_outcome=found.sub_outcome.value
    )
    run.log(obs.at, "callback_finished", found.reason, Actor.VENDOR, found.attention)
    if found.opt_out:
        # The first outcome stands: an opt-out said on a call that reached the person wins.
        run.log(obs.at, OPT_OUT_ON_CALLBACK, "opt-out said on the callback", Actor.CALLER)
        _opt_out(run, obs.at, "callback", Actor.CALLER)
    elif found.reached and was_open:
        _reach(run, obs.at, "callback", Actor.CALLER)
        if found.sub_outcome is SubOutcome.NOT_NOW:
            run.requests.append("promised")  # the agent promised an email: it goes at once


def _console(run: _Run, obs: ConsoleAction) -> None:
    s, at, command = run.state, obs.at, obs.command
    if command is ConsoleCommand.MARK_WON:
        run.state = replace(s, won=True, won_value=obs.value)
        run.log(at, "marked_won", "marked won", Actor.CONSOLE)
    elif command is ConsoleCommand.MARK_LOST:
        run.state = replace(s, won=False, won_value=None)
        run.log(at, "marked_lost", "marked lost", Actor.CONSOLE)
    elif command in {ConsoleCommand.CALL_NOW, ConsoleCommand.EMAIL_NOW}:
        run.requests.append(command.value)
    elif not s.is_open:
        run.log(at, "override_ignored", f"{command.value}: the recovery is closed", Actor.CONSOLE)
    elif command is ConsoleCommand.CANCEL:
        run.state = timing.close(s, Outcome.CANCELLED, "console", at)
        run.log(at, "cancelled", "cancelled by a person: pending steps cancelled", Actor.CONSOLE)
    elif command is ConsoleCommand.MARK_REACHED:
        _reach(run, at, "console", Actor.CONSOLE)
    else:
        paused = command is ConsoleCommand.PAUSE
        run.state = replace(s, paused=paused)
        if paused:
            run.log(at, "paused", "paused: due steps are held", Actor.CONSOLE)
        else:
            run.log(at, "resumed", "resumed: steps that expired stay expired", Actor.CONSOLE)


_REQUESTS = {"call_now": call_now, "email_now": email_now, "promised": promised_email}
