"""Shell: the one sender. Every outbound SMS (and later call and email) leaves through `Sender`.

For each claim the core made (an attempt row already written), it asks the one gate again with
facts read just now (suppression, kill switch), renders the message, writes its body on the attempt
before the vendor call, calls the vendor outside any transaction, and records the result as an
observation. An ambiguous send is looked up before anything is sent again, at once and at start.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine

from core import (
    calendar,
    db,
    domain,
    gate,
    intake,
    messages,
    observations,
    repository,
    services,
    timing,
)
from core.config import OperatingSettings
from core.domain import Channel, SendFailure, StepStatus
from core.models import Attempt
from core.observations import Observation
from core.services import Claim, Context
from daemon.adapters import errors
from daemon.adapters.twilio import TwilioAdapter
from daemon.channel_health import MAX_WAIT, SmsHealth

# How long after an ambiguous create a message missing from Twilio's list may still appear.
LATE_CREATE_GRACE = timedelta(seconds=20)

log = logging.getLogger(__name__)


class Sender:
    """Carries out claims through the gate and the vendors, then records what happened."""

    def __init__(
        self, *, engine: Engine, twilio: TwilioAdapter, sms_from: str, clock: Callable[[], datetime]
    ) -> None:
        self.engine = engine
        self.twilio = twilio
        self.sms_from = sms_from
        self.clock = clock
        self.sms = SmsHealth()

    def execute(self, claim: Claim, *, ctx: Context, settings: OperatingSettings) -> None:
        """Send one claimed message; the result goes back to the rules as an observation."""
        if claim.channel is not Channel.SMS or not isinstance(claim.effect, domain.SendSms):
            self._finish(claim.attempt_id, "not_configured", ctx, None)
            return
        now = self.clock()
        with db.read_session(self.engine) as session:
            attempt = session.get(Attempt, claim.attempt_id)
            state = repository.get_recovery(session, attempt.recovery_id) if attempt else None
            facts = services.caller_facts(session, state) if state else None
        if attempt is None or state is None or facts is None:
            return
        if not state.is_open or state.sms_status is not StepStatus.IN_FLIGHT:
            # Something read later in the same pass (a reply sent before our SMS, say) or a
            # person's cancel closed the recovery after the claim: the claim no longer stands.
            self._withdraw(claim.attempt_id)
            return
        verdict = gate.check(
            channel=Channel.SMS,
            state=state,
            now=now,
            policy=ctx.policy,
            window=ctx.window,
            facts=facts,
        )
        if not verdict.allowed:
            log.info("recovery %s: SMS held at the gate: %s", state.id, verdict.reason)
            self._finish(
                attempt.id,
                "gate_" + verdict.verdict.value,
                ctx,
                observations.SmsFailed(at=now, failure=SendFailure.TRANSIENT),
            )
            return
        if self.sms.stopped(now):
            # Another claim of this pass met the configuration error: one try per 5 minutes.
            code = self.sms.config_error_code
            failed = observations.SmsFailed(at=now, failure=SendFailure.CONFIG, code=code)
            self._finish(attempt.id, "config_error", ctx, failed, code=code)
            return
        if self.sms.backing_off(now):
            self._finish(
                attempt.id,
                "deferred",
                ctx,
                observations.SmsFailed(at=now, failure=SendFailure.RATE_LIMITED),
            )
            return
        body = self.render(state, claim.effect, now=now, settings=settings)
        with db.write_transaction(self.engine) as session:
            row = session.get(Attempt, attempt.id)
            assert row is not None
            row.body = body
            session.add(row)
        self._send_sms(claim.attempt_id, state.caller, body, now, ctx)

    def render(
        self,
        state: domain.RecoveryState,
        effect: domain.SendSms,
        *,
        now: datetime,
        settings: OperatingSettings,
    ) -> str:
        """The SMS text: the template the core chose, personalised, GSM-7."""
        when = ""
        if effect.callback_due_at is not None:
            when = calendar.describe_callback_time(
                due=effect.callback_due_at, now=now, timezone=settings.timezone
            )
        return messages.render(
            settings.templates[effect.template],
            first_name=state.first_name or None,
            company=settings.company_name,
            callback_when=when,
        )

    def _send_sms(
        self, attempt_id: int, to: str, body: str, started: datetime, ctx: Context
    ) -> None:
        try:
            sid = self.twilio.send_sms(to=to, from_number=self.sms_from, body=body)
        except errors.Transient as exc:
            if exc.ambiguous:
                # Only an unanswered create can still complete at Twilio after we gave up.
                self._look_up(attempt_id, to, body, started, ctx, grace=exc.status is None)
            else:
                self._finish(attempt_id, "transient", ctx, self._failed(SendFailure.TRANSIENT))
            return
        except errors.RateLimited as exc:
            wait = exc.retry_after if exc.retry_after is not None else 5.0
            self.sms.backoff_until = self.clock() + timedelta(seconds=min(wait, MAX_WAIT))
            self._finish(attempt_id, "rate_limited", ctx, self._failed(SendFailure.RATE_LIMITED))
            return
        except errors.Suppress as exc:
            # The caller sent STOP to this sender at Twilio: the step ends, the number is listed.
            failed = self._failed(SendFailure.SUPPRESS, _code(exc))
            self._finish(attempt_id, "suppressed", ctx, failed, code=_code(exc))
            self._suppress(to, ctx)
            return
        except errors.ConfigError as exc:
            code = _code(exc)
            self.sms.config_error, self.sms.config_error_at = f"sms: {exc}", self.clock()
            self.sms.config_error_code = code
            log.error("SMS stopped by a configuration error (%s): retrying in 5 minutes", exc)
            failed = self._failed(SendFailure.CONFIG, code)
            self._finish(attempt_id, "config_error", ctx, failed, code=code)
            return
        except errors.CannotReceive as exc:
            failed = self._failed(SendFailure.CANNOT_RECEIVE, _code(exc))
            self._finish(attempt_id, "cannot_receive", ctx, failed, code=_code(exc))
            return
        except errors.AdapterError as exc:
            failed = self._failed(SendFailure.PERMANENT, _code(exc))
            self._finish(attempt_id, "failed", ctx, failed, code=_code(exc))
            return
        if self.sms.config_error:
            log.info("SMS works again: configuration error cleared")
        self.sms.config_error, self.sms.config_error_at, self.sms.config_error_code = "", None, None
        accepted = observations.SmsAccepted(at=self.clock(), message_sid=sid)
        self._finish(attempt_id, "accepted", ctx, accepted, vendor_id=sid)

    def _failed(self, failure: SendFailure, code: int | None = None) -> observations.SmsFailed:
        return observations.SmsFailed(at=self.clock(), failure=failure, code=code)

    def _look_up(
        self, attempt_id: int, to: str, body: str, started: datetime, ctx: Context, *, grace: bool
    ) -> None:
        """After an ambiguous send: found -> sent; not found (for a while) -> send again."""
        try:
            sid = self.twilio.find_sent_message(
                to=to, from_number=self.sms_from, body=body, attempt_started_at=started
            )
        except errors.AdapterError as exc:
            log.warning("attempt %s: look-up failed (%s); will look again", attempt_id, exc)
            return  # the attempt stays without a result, and nothing is sent until it has one
        if sid is None and grace and self.clock() - started < LATE_CREATE_GRACE:
            # Twilio may still be creating a message whose answer we gave up on: look again
            # next pass rather than risk a second SMS.
            log.info("attempt %s: not at Twilio yet; will look again", attempt_id)
        elif sid is None:
            self._not_sent(attempt_id, ctx, "not_found")
        else:
            accepted = observations.SmsAccepted(at=self.clock(), message_sid=sid)
            self._finish(attempt_id, "found", ctx, accepted, vendor_id=sid)

    def reconcile(self, *, ctx: Context) -> None:
        """Give every attempt left without a result one, with the vendor, before new sends."""
        with db.read_session(self.engine) as session:
            pending = repository.unfinished_attempts(session)
        for attempt in pending:
            assert attempt.id is not None
            if attempt.channel != Channel.SMS.value:
                self._finish(attempt.id, "not_configured", ctx, None)
            elif not attempt.body:
                # Stopped before the body was written: the vendor was never called.
                self._not_sent(attempt.id, ctx, "not_sent")
            else:
                started = attempt.started_at
                self._look_up(
                    attempt.id, attempt.to_address, attempt.body, started, ctx, grace=True
                )

    def _not_sent(self, attempt_id: int, ctx: Context, result: str) -> None:
        """An attempt Twilio does not have: retried while its recovery is open, else withdrawn."""
        with db.read_session(self.engine) as session:
            row = session.get(Attempt, attempt_id)
            state = repository.get_recovery(session, row.recovery_id) if row else None
        if state is not None and state.is_open:
            self._finish(attempt_id, result, ctx, self._failed(SendFailure.TRANSIENT))
        else:
            self._withdraw(attempt_id)

    def _withdraw(self, attempt_id: int) -> None:
        """Finish a claim that no longer stands without calling the vendor; cancel its step."""
        now = self.clock()
        with db.write_transaction(self.engine) as session:
            row = session.get(Attempt, attempt_id)
            if row is None:
                return
            row.result, row.finished_at = "withdrawn", now
            session.add(row)
            state = repository.get_recovery(session, row.recovery_id)
            if state is None or state.is_open or state.sms_status is not StepStatus.IN_FLIGHT:
                return
            why = state.outcome.value if state.outcome is not None else "closed"
            after = timing.set_step(state, Channel.SMS, StepStatus.CANCELLED, now, why)
            if repository.compare_and_set(session, state, after):
                text = f"SMS not sent: the recovery closed ({why}) before it went"
                event = domain.Event(at=now, kind="sms_cancelled", reason=text)
                repository.add_events(session, state.id, [event])
        log.info("attempt %s withdrawn: its recovery closed before the send", attempt_id)

    def _suppress(self, number: str, ctx: Context) -> None:
        now = self.clock()
        with db.write_transaction(self.engine) as session:
            intake.opt_out_in(
                session, number=number, source="twilio_21610", at=now, now=now, ctx=ctx
            )

    def _finish(
        self,
        attempt_id: int | None,
        result: str,
        ctx: Context,
        observation: Observation | None,
        *,
        vendor_id: str = "",
        code: int | None = None,
    ) -> None:
        """Record the attempt's result and hand the observation to the rules, in one transaction."""
        now = self.clock()
        with db.write_transaction(self.engine) as session:
            row = session.get(Attempt, attempt_id)
            if row is None:
                return
            row.result, row.finished_at, row.vendor_id = result, now, vendor_id
            row.error_code = "" if code is None else str(code)
            session.add(row)
            if observation is not None:
                applied = services.advance_in(
                    session,
                    recovery_id=row.recovery_id,
                    observations=[observation],
                    now=now,
                    ctx=ctx,
                    sends=False,
                )
                del applied


def _code(exc: errors.AdapterError) -> int | None:
    """The vendor's numeric error code, if it gave one."""
    return exc.code if isinstance(exc.code, int) else None
