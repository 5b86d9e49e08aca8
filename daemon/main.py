"""Shell: the daemon's wiring: settings, engine, adapters, the schedule loop, signals, the lock.

The process runs with TZ=UTC (set before `schedule` is imported: its interval jobs compare naive
local times, which stall for an hour when the clocks go back); local time exists only inside
`core.calendar`. SIGTERM and SIGINT set a flag and the loop stops between passes with exit 0.
"""

from __future__ import annotations

import os
import time

os.environ["TZ"] = "UTC"
time.tzset()

import logging  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402
from types import FrameType  # noqa: E402

import schedule  # noqa: E402

from core import db, settings_store  # noqa: E402
from core.config import Configuration  # noqa: E402
from daemon.adapters.twilio import TwilioAdapter  # noqa: E402
from daemon.clock import Clock  # noqa: E402
from daemon.detect import Detector  # noqa: E402
from daemon.sender import Sender  # noqa: E402
from daemon.tick import Tick  # noqa: E402

log = logging.getLogger(__name__)
# The SDK logs every request and response at INFO, phone numbers included.
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)

EXIT_OK, EXIT_UNEXPECTED, EXIT_CONFIG, EXIT_LOCKED = 0, 1, 2, 3
VENDOR_TIMEOUT = 10.0


def build_tick(configuration: Configuration, *, clock: Callable[[], datetime]) -> Tick:
    """Wire the pass: engine, schema, adapters, detector and sender."""
    dep, op = configuration.deployment, configuration.operating
    assert dep is not None and op is not None
    engine = db.make_engine(dep.database_url)
    db.create_schema(engine)
    twilio = TwilioAdapter(
        account_sid=dep.twilio_account_sid,
        auth_token=dep.twilio_auth_token,
        api_base=dep.twilio_api_base,
        timeout=VENDOR_TIMEOUT,
    )
    recovered = [*dep.twilio_numbers, dep.twilio_sms_from]
    if dep.retell_from_number:
        recovered.append(dep.retell_from_number)
    detector = Detector(
        engine=engine, twilio=twilio, recovered_lines=recovered, message_lines=recovered
    )
    sender = Sender(engine=engine, twilio=twilio, sms_from=dep.twilio_sms_from, clock=clock)
    return Tick(
        engine=engine,
        deployment=dep,
        environment=configuration.environment,
        detector=detector,
        sender=sender,
        clock=clock,
    )


class Loop:
    """Runs the pass every poll interval (measured between starts) until told to stop."""

    def __init__(self, tick: Tick) -> None:
        self.tick = tick
        self.stop = threading.Event()
        self.scheduler = schedule.Scheduler()
        self._started: datetime | None = None
        every = self.scheduler.every(self._poll_seconds())  # type: ignore[arg-type]  # takes floats
        self.job = every.seconds.do(self._guarded)

    def _poll_seconds(self) -> float:
        settings = self.tick.settings
        return float(settings.poll_seconds) if settings is not None else 5.0

    def _guarded(self) -> None:
        """One pass; no exception escapes the loop (it is logged and shown in the heartbeat)."""
        self._started = datetime.now()  # naive local time is UTC here, as `schedule` expects
        try:
            self.tick.run()
        except Exception as exc:
            log.exception("pass failed")
            try:
                settings_store.beat(
                    self.tick.engine,
                    at=self.tick.clock(),
                    pid=os.getpid(),
                    error=f"{type(exc).__name__}: {exc}",
                )
            except Exception:
                log.exception("could not record the error in the heartbeat")

    def run(self) -> None:
        self.scheduler.run_all()
        self._keep_interval_between_starts()
        while not self.stop.is_set():
            self.scheduler.run_pending()
            self._keep_interval_between_starts()
            idle = self.scheduler.idle_seconds
            self.stop.wait(max(0.01, min(idle if idle is not None else 1.0, 1.0)))

    def _keep_interval_between_starts(self) -> None:
        # `schedule` counts the interval from a job's end; the product promises it between starts,
        # and the interval follows the setting as it is re-read every pass.
        if self._started is None:
            return
        period = self._poll_seconds()
        self.job.interval = period
        self.job.next_run = max(self._started + timedelta(seconds=period), datetime.now())
        self._started = None


def serve(
    configuration: Configuration,
    *,
    clock: Callable[[], datetime] | None = None,
    announce: Callable[[], None] = lambda: None,
) -> int:
    """Run the daemon until SIGTERM or SIGINT; returns the exit code.

    `announce` logs the start-up summary once the lock is held, so a refused second daemon
    prints one line only.
    """
    dep = configuration.deployment
    assert dep is not None
    try:
        lock = db.instance_lock(dep.database_url)
        lock.__enter__()
    except db.AlreadyRunning as exc:
        print(
            f"DATABASE_URL: another daemon is already running on this database ({exc})",
            file=sys.stderr,
        )
        return EXIT_LOCKED
    try:
        announce()
        tick = build_tick(configuration, clock=clock or Clock())
        loop = Loop(tick)

        def _stop(signum: int, frame: FrameType | None) -> None:
            log.info("signal %s: stopping after this pass", signum)
            loop.stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        log.info("daemon started (pid %s); layers 2 and 3 are not built yet: SMS only", os.getpid())
        loop.run()
        log.info("daemon stopped")
        return EXIT_OK
    finally:
        lock.__exit__(None, None, None)
