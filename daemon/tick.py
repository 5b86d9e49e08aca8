"""Shell: one pass of the daemon: gather -> decide -> apply.

Settings are re-read at the start of every pass. Then: reconcile any attempt left without a result,
poll Twilio (calls and messages, recorded in vendor-timestamp order), advance every due recovery,
send what the rules claimed through the one sender (outside any transaction), re-read sent
messages' statuses, and beat the heartbeat.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from core import calendar, db, observations, repository, services, settings_store
from core.config import DeploymentSettings, OperatingSettings, read_operating_settings
from core.services import Claim, Context
from daemon.adapters import errors
from daemon.channel_health import MAX_WAIT
from daemon.detect import Detector
from daemon.sender import Sender

log = logging.getLogger(__name__)

DELIVERY_WATCH = timedelta(hours=1)  # re-read a sent message's status until final or this long
DELIVERY_EVERY = timedelta(seconds=15)
FINAL_DELIVERY = frozenset({"delivered", "undelivered", "failed", "canceled"})


@dataclass
class Tick:
    """Everything one pass needs; `run()` is the pass."""

    engine: Engine
    deployment: DeploymentSettings
    environment: Mapping[str, str]
    detector: Detector
    sender: Sender
    clock: Callable[[], datetime]
    layers_on: tuple[bool, bool] = (False, False)  # layer 2 and 3 until their adapters exist
    settings: OperatingSettings | None = None
    read_backoff_until: datetime | None = None  # Twilio's 429 on a read: no reads until then
    _delivery_checked: dict[int, datetime] = field(default_factory=dict)

    def context(self) -> Context:
        """Operating settings as saved now (a bad saved value keeps the last good settings)."""
        with db.read_session(self.engine) as session:
            saved = settings_store.saved_settings(session)
        settings, found = read_operating_settings(environment=self.environment, saved=saved)
        if settings is None:
            log.error("saved settings have problems: %s", "; ".join(map(str, found.problems)))
            if self.settings is None:
                raise RuntimeError("no valid operating settings")
        else:
            self.settings = settings
        assert self.settings is not None
        s = self.settings
        policy = s.to_policy(layer2_on=self.layers_on[0], layer3_on=self.layers_on[1])
        if self.sender.sms.stopped(self.clock()):
            policy = dataclasses.replace(policy, sms_config_error=True)
        window = calendar.CallingWindow(
            hours=s.hours, timezone=s.timezone, bank_holidays=s.bank_holidays
        )
        return Context(
            policy=policy,
            window=window,
            business_numbers=self.deployment.business_numbers,
            ignore_numbers=frozenset(s.ignore_numbers),
        )

    def run(self) -> None:
        """One pass; a vendor error ends the pass early and is shown in the heartbeat."""
        ctx = self.context()
        assert self.settings is not None
        error: str | None = None
        reading = self.read_backoff_until is None or self.clock() >= self.read_backoff_until
        try:
            if reading:
                # At start, and after a look-up that got no answer: settle before sending more.
                self.sender.reconcile(ctx=ctx)
                self._send(self.detector.poll(now=self.clock(), ctx=ctx), ctx)
            # Nothing is sent without a messages read in the same pass: a reply stops the SMS.
            self._send(self._advance_due(ctx, sends=reading), ctx)
            if reading:
                self._watch_deliveries(ctx)
        except errors.RateLimited as exc:
            error = str(exc)
            wait = min(exc.retry_after if exc.retry_after is not None else 5.0, MAX_WAIT)
            self.read_backoff_until = self.clock() + timedelta(seconds=wait)
            log.warning("Twilio asks us to slow down: no reads for %.0f s (%s)", wait, exc)
        except errors.AdapterError as exc:
            error = str(exc)
            log.warning("pass ended early: %s", exc)
        finally:
            settings_store.beat(
                self.engine,
                at=self.clock(),
                pid=os.getpid(),
                polled=reading and error is None,
                error=error,
                config_errors=self.sender.sms.config_error,
                clock_offset_s=(self.clock() - datetime.now(UTC)).total_seconds(),
            )

    def _advance_due(self, ctx: Context, *, sends: bool) -> list[Claim]:
        now = self.clock()
        with db.read_session(self.engine) as session:
            # A caller whose message waits for their ringing call: their steps wait with it.
            held = self.detector.held_callers
            due = repository.due_recovery_ids(session, now, except_callers=held)
        # While Twilio's 429 on a send lasts, time-outs still apply but nothing is claimed, so
        # the wait is not filled with attempts that never reach Twilio.
        sends = sends and not self.sender.sms.backing_off(now)
        claims: list[Claim] = []
        for recovery_id in due:
            try:
                applied = services.advance(
                    self.engine, recovery_id=recovery_id, now=now, ctx=ctx, sends=sends
                )
            except services.StaleRecovery:
                continue  # the console changed it meanwhile: the next pass sees the new state
            if applied is not None:
                claims.extend(applied.claims)
        return claims

    def _send(self, claims: list[Claim], ctx: Context) -> None:
        assert self.settings is not None
        for claim in claims:
            self.sender.execute(claim, ctx=ctx, settings=self.settings)

    def _watch_deliveries(self, ctx: Context) -> None:
        """Re-read each sent message's status until it is final or an hour has passed."""
        now = self.clock()
        with db.read_session(self.engine) as session:
            watched = repository.sms_awaiting_delivery(session, since=now - DELIVERY_WATCH)
        for attempt in watched:
            assert attempt.id is not None
            last = self._delivery_checked.get(attempt.id)
            if last is not None and now - last < DELIVERY_EVERY:
                continue
            self._delivery_checked[attempt.id] = now
            message = self.sender.twilio.fetch_message(attempt.vendor_id)
            if message.status in FINAL_DELIVERY:
                self._delivery_checked.pop(attempt.id, None)
                observation = observations.SmsDeliveryFinal(
                    at=now, status=message.status, error_code=message.error_code
                )
                services.advance(
                    self.engine,
                    recovery_id=attempt.recovery_id,
                    observations=[observation],
                    now=now,
                    ctx=ctx,
                    sends=False,
                )
