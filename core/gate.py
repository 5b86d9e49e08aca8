"""Pure: the one gate every SMS, call and email passes, and the sends that pass it at `now`.

`check` is the gate (PRODUCT.md section 2, "One gate"): refusals end that step (skipped with the
reason); holds keep it waiting (the kill switch, a paused recovery, a closed calling window), so
the catch-up rules in `core.timing` apply. The `send_*` functions are the only places that emit an
effect, always for `now`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from core import timing
from core.domain import (
    TERMINAL_STEP,
    Actor,
    Attention,
    CallerFacts,
    Channel,
    Effect,
    Event,
    PlaceCallback,
    Policy,
    RecoveryState,
    SendEmail,
    SendSms,
    StepStatus,
    TemplateKind,
    Window,
)


class Verdict(StrEnum):
    ALLOWED = "allowed"
    HOLD = "hold"
    REFUSE = "refuse"


@dataclass(frozen=True)
class GateVerdict:
    """The gate's answer: allowed, hold(reason) or refuse(reason)."""

    verdict: Verdict
    reason: str = ""

    @property
    def allowed(self) -> bool:
        return self.verdict is Verdict.ALLOWED


def check(
    *,
    channel: Channel,
    state: RecoveryState,
    now: datetime,
    policy: Policy,
    window: Window,
    facts: CallerFacts,
    manual: bool = False,
) -> GateVerdict:
    """Say whether this SMS, call or email may go to this recovery's caller at `now`."""
    refuse: str | None = None
    if facts.number_suppressed:
        refuse = "suppressed"
    elif channel is Channel.EMAIL:
        refuse = "email_suppressed" if facts.email_suppressed else None
        refuse = refuse or ("not_configured" if not policy.layer3_on else None)
        refuse = refuse or ("no_email" if not state.email else None)
    elif channel is Channel.CALL:
        # Layer 2 on, UK only (+44) and the 72 h rule, judged at the instant of the call.
        refuse = timing.callback_skip_reason(state, policy=policy, facts=facts, due=now)
        if refuse is None and manual and not window.within_hard_limit(now):
            refuse = "outside_hard_limit"  # "call now" may leave the window, never the hard limit
    if refuse is not None:
        return GateVerdict(Verdict.REFUSE, refuse)
    hold: str | None = None
    if policy.kill_switch:
        hold = "kill_switch"
    elif state.paused and not manual:
        hold = "paused"
    elif channel is Channel.CALL and not manual and not window.is_open(now):
        hold = "window_closed"
    elif channel is Channel.CALL and not window.within_hard_limit(now):
        hold = "outside_hard_limit"  # the window already excludes it; this is belt and braces
    return GateVerdict(Verdict.HOLD, hold) if hold else GateVerdict(Verdict.ALLOWED)


@dataclass
class Draft:
    """A decision being built: the state so far, its events and the effects to send now."""

    state: RecoveryState
    policy: Policy
    window: Window
    facts: CallerFacts
    events: list[Event] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    # Sends that failed in this decision retry on the next tick, not in the same breath.
    retry_later: set[Channel] = field(default_factory=set)

    def log(
        self,
        at: datetime,
        kind: str,
        reason: str,
        actor: Actor = Actor.DAEMON,
        attention: Attention | None = None,
    ) -> None:
        self.events.append(Event(at=at, kind=kind, reason=reason, actor=actor, attention=attention))

    def step(self, channel: Channel, status: StepStatus, at: datetime, reason: str = "") -> None:
        self.state = timing.set_step(self.state, channel, status, at, reason)

    def gate(self, channel: Channel, now: datetime, *, manual: bool = False) -> GateVerdict:
        return check(
            channel=channel,
            state=self.state,
            now=now,
            policy=self.policy,
            window=self.window,
            facts=self.facts,
            manual=manual,
        )


def _due(draft: Draft, channel: Channel, due: datetime | None, now: datetime) -> bool:
    pending = timing.status_of(draft.state, channel) is StepStatus.PENDING
    return pending and due is not None and due <= now and channel not in draft.retry_later


def _reason_of(state: RecoveryState, channel: Channel) -> str:
    if channel is Channel.SMS:
        return state.sms_reason
    return state.callback_reason if channel is Channel.CALL else state.email_reason


def _not_sent(draft: Draft, channel: Channel, verdict: GateVerdict, now: datetime) -> None:
    name, reason = timing.step_name(channel), verdict.reason
    if verdict.verdict is Verdict.REFUSE:
        draft.step(channel, StepStatus.SKIPPED, now, reason)
        draft.log(now, f"{name}_skipped", f"{name} skipped ({reason})")
    elif f"held_{reason}" != _reason_of(draft.state, channel):
        # The reason field remembers the hold, so a long hold is explained once, not every tick.
        draft.step(channel, StepStatus.PENDING, now, f"held_{reason}")
        draft.log(now, f"{name}_held", f"{name} held ({reason})")


def send_due(draft: Draft, now: datetime) -> None:
    """Send every automated step of an open recovery that is due at `now` and passes the gate."""
    if draft.state.is_open:
        _send_sms(draft, now)
        _place_callback(draft, now)
        _send_email(draft, now)


def _send_sms(draft: Draft, now: datetime) -> None:
    if not _due(draft, Channel.SMS, draft.state.sms_due_at, now):
        return
    verdict = draft.gate(Channel.SMS, now)
    if draft.state.is_landline or draft.policy.sms_config_error:
        reason = "not_mobile" if draft.state.is_landline else "sms_config_error"
        verdict = GateVerdict(Verdict.REFUSE, reason)
    if not verdict.allowed:
        _not_sent(draft, Channel.SMS, verdict, now)
        return
    template, named = _template(draft, now)
    draft.effects.append(SendSms(template=template, callback_due_at=named))
    draft.step(Channel.SMS, StepStatus.IN_FLIGHT, now)
    draft.state = replace(draft.state, sms_template=template.value)
    draft.log(now, "sms_requested", f"SMS due: sending the {template.value} template")


def _template(draft: Draft, now: datetime) -> tuple[TemplateKind, datetime | None]:
    """The SMS tells the truth about layer 2, judged when it is sent."""
    s = draft.state
    if s.callback_status is StepStatus.PENDING:
        reason = timing.callback_skip_reason(
            s, policy=draft.policy, facts=draft.facts, due=s.callback_due_at
        )
        if reason is not None:
            _not_sent(draft, Channel.CALL, GateVerdict(Verdict.REFUSE, reason), now)
    s = draft.state
    if s.callback_status is not StepStatus.PENDING or s.callback_nominal_at is None:
        return TemplateKind.NO_CALL, None
    if s.callback_due_at == s.callback_nominal_at and draft.window.is_open(s.callback_nominal_at):
        return TemplateKind.IN_HOURS, None
    return TemplateKind.AFTER_HOURS, s.callback_due_at


def _place_callback(draft: Draft, now: datetime) -> None:
    if not _due(draft, Channel.CALL, draft.state.callback_due_at, now):
        return
    verdict = draft.gate(Channel.CALL, now)
    if not verdict.allowed:
        _not_sent(draft, Channel.CALL, verdict, now)
        return
    _call(draft, now, manual=False)
    draft.log(now, "callback_requested", "callback due inside the calling window: placing it")


def _call(draft: Draft, now: datetime, *, manual: bool) -> None:
    # The agent offers an email only if one could be sent (`email_on_file`).
    on_file = draft.gate(Channel.EMAIL, now).allowed
    draft.effects.append(PlaceCallback(manual=manual, email_on_file=on_file))
    draft.step(Channel.CALL, StepStatus.IN_FLIGHT, now, "call_now" if manual else "")
    if manual:
        draft.state = replace(draft.state, callback_due_at=now)


def _send_email(draft: Draft, now: datetime) -> None:
    if draft.state.callback_status not in TERMINAL_STEP:
        return  # layer 3 waits for layer 2 to finish, be skipped or expire
    if not _due(draft, Channel.EMAIL, draft.state.email_due_at, now):
        return
    verdict = draft.gate(Channel.EMAIL, now)
    if not verdict.allowed:
        _not_sent(draft, Channel.EMAIL, verdict, now)
        return
    draft.effects.append(SendEmail(reason="layer3"))
    draft.step(Channel.EMAIL, StepStatus.IN_FLIGHT, now)
    draft.log(now, "email_requested", "email due: sending it")


def call_now(draft: Draft, now: datetime) -> None:
    """A person's "call now": one callback at a time, open recoveries only, manual gate."""
    s = draft.state
    busy = s.callback_status in {StepStatus.IN_FLIGHT, StepStatus.ACTIVE}
    verdict = draft.gate(Channel.CALL, now, manual=True)
    if not s.is_open or busy or not verdict.allowed:
        why = "recovery closed" if not s.is_open else "callback in progress" if busy else None
        text = f"call now not placed ({why or verdict.reason})"
        draft.log(now, "call_now_refused", text, Actor.CONSOLE)
        return
    _call(draft, now, manual=True)
    draft.log(now, "callback_requested", "call now: placing the callback", Actor.CONSOLE)


def email_now(draft: Draft, now: datetime) -> None:
    """A person's "email now": through the gate, also on a closed recovery."""
    verdict = draft.gate(Channel.EMAIL, now, manual=True)
    busy = draft.state.email_status is StepStatus.IN_FLIGHT
    if busy or not verdict.allowed:
        text = f"email now not sent ({'email in flight' if busy else verdict.reason})"
        draft.log(now, "email_now_refused", text, Actor.CONSOLE)
        return
    draft.effects.append(SendEmail(reason="manual"))
    draft.step(Channel.EMAIL, StepStatus.IN_FLIGHT, now, "manual")
    draft.log(now, "email_requested", "email now: sending it", Actor.CONSOLE)


def promised_email(draft: Draft, now: datetime) -> None:
    """The email a `not_now` callback promised: sent at once through the gate, or listed."""
    if draft.state.email_status is StepStatus.IN_FLIGHT:
        draft.log(now, "email_requested", "the callback promised an email: one is being sent")
        return
    verdict = draft.gate(Channel.EMAIL, now)
    if verdict.allowed:
        draft.effects.append(SendEmail(reason="promised"))
        draft.step(Channel.EMAIL, StepStatus.IN_FLIGHT, now, "promised")
        draft.log(now, "email_requested", "the callback promised an email: sending it")
        return
    if draft.state.email_status is not StepStatus.DONE:
        draft.step(Channel.EMAIL, StepStatus.CANCELLED, now, "promised_email_not_sent")
    text = f"the callback promised an email; not sent ({verdict.reason})"
    draft.log(now, "email_skipped", text, attention=Attention.PROMISED_EMAIL_NOT_SENT)
