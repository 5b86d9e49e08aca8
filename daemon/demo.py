"""Shell: `run_daemon.py --demo`: sandbox, simulated callers and the daemon on one shifted clock.

No configuration is needed or read: `.env`, every vendor variable and every `RECOVERY_*` variable
are ignored, and everything talks only to 127.0.0.1. The previous `data/demo.db` is kept as
`data/demo.prev.db`. The shared clock starts at 10:00 on the first date after the real today on
which the demo's calling window is open at 10:00, so the demo looks the same at any hour.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from core import calendar
from core.config import Configuration, read_deployment_settings, read_operating_settings
from daemon.clock import Clock
from daemon.sandbox import Sandbox
from daemon.sandbox.simulator import CallerSimulator
from daemon.sandbox.simulator_calls import CallKind

log = logging.getLogger(__name__)

DEMO_LINE = "+441134960000"  # the office number callers ring (forwarded to the office phone)
DEMO_SMS_FROM = "+447700900000"  # the mobile long code that texts callers
DEMO_ZONE = "Europe/London"
DEMO_SETTINGS = {
    "RECOVERY_COMPANY_NAME": "Demo Plumbing Ltd",
    "RECOVERY_POLL_SECONDS": "1",
    "RECOVERY_SMS_DELAY_SECONDS": "0",
    "RECOVERY_REPLY_WAIT_SECONDS": "20",
    "RECOVERY_EMAIL_DELAY_SECONDS": "60",
    "RECOVERY_COOLDOWN_HOURS": "0.05",
    "RECOVERY_MAX_CATCHUP_MINUTES": "2",
    "RECOVERY_TIMEZONE": DEMO_ZONE,
    "RECOVERY_BANK_HOLIDAYS": "england",
}


def demo_start(today: date) -> datetime:
    """10:00 local on the first date after `today` whose calling window is open at 10:00."""
    window = calendar.CallingWindow(
        hours=calendar.DEFAULT_HOURS, timezone=DEMO_ZONE, bank_holidays="england"
    )
    day = today + timedelta(days=1)
    while True:
        start = datetime.combine(day, time(10, 0), tzinfo=ZoneInfo(DEMO_ZONE)).astimezone(UTC)
        if window.is_open(start):
            return start
        day += timedelta(days=1)


def rotate(database: Path) -> None:
    """Keep the previous demo database as demo.prev.db and start on a fresh one."""
    previous = database.with_name("demo.prev.db")
    for suffix in ("", "-wal", "-shm"):
        old = Path(f"{previous}{suffix}")
        if old.exists():
            old.unlink()
    for suffix in ("", "-wal", "-shm"):
        current = Path(f"{database}{suffix}")
        if current.exists():
            current.rename(f"{previous}{suffix}")


def demo_environment(*, database: Path, sandbox: Sandbox) -> dict[str, str]:
    """The demo's whole environment: nothing from the machine's own is used."""
    from daemon.sandbox.server import DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_AUTH_TOKEN

    return {
        "DATABASE_URL": f"sqlite:///{database}",
        "TWILIO_ACCOUNT_SID": DEFAULT_TWILIO_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": DEFAULT_TWILIO_AUTH_TOKEN,
        "TWILIO_NUMBERS": DEMO_LINE,
        "TWILIO_SMS_FROM": DEMO_SMS_FROM,
        "TWILIO_API_BASE": sandbox.base_url,
        **DEMO_SETTINGS,
    }


def demo_configuration(environment: Mapping[str, str], *, project_root: Path) -> Configuration:
    """The configuration the demo runs on, built from its own environment only."""
    deployment, found = read_deployment_settings(environment, project_root=project_root)
    operating, operating_found = read_operating_settings(environment=environment, saved={})
    found.extend(operating_found)
    return Configuration(
        environment, deployment, operating, tuple(found.problems), tuple(found.warnings)
    )


def run_demo(*, project_root: Path, console_hint: str) -> int:
    """Start sandbox and simulator, then serve the daemon until SIGTERM or SIGINT."""
    from daemon.main import serve

    # Only loopback: a proxy configured on the machine must not see the demo's requests.
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    database = project_root / "data" / "demo.db"
    database.parent.mkdir(parents=True, exist_ok=True)
    rotate(database)
    clock = Clock.starting_at(demo_start(datetime.now(UTC).date()))
    sandbox = Sandbox(host="127.0.0.1", port=0, clock=clock).start()
    environment = demo_environment(database=database, sandbox=sandbox)
    configuration = demo_configuration(environment, project_root=project_root)
    if not configuration.ok:
        for problem in configuration.problems:
            log.error("demo configuration: %s", problem)
        sandbox.stop()
        return 1
    simulator = CallerSimulator(
        sandbox=sandbox, business_numbers=[DEMO_LINE], sms_from=DEMO_SMS_FROM, clock=clock
    )
    # Something to see at once: a missed call and a caller who will ring twice.
    simulator.play(CallKind.MISSED)
    simulator.play(CallKind.REPEAT)
    stop = threading.Event()
    thread = threading.Thread(target=simulator.run, args=(stop,), name="simulator", daemon=True)
    thread.start()
    local = clock().astimezone(ZoneInfo(DEMO_ZONE))
    log.info(
        "demo: sandbox on %s; demo clock starts %s", sandbox.base_url, f"{local:%a %d %b %H:%M}"
    )
    log.info("demo: database %s", database)
    log.info("demo: %s", console_hint)
    try:
        return serve(configuration, clock=clock)
    finally:
        stop.set()
        thread.join(timeout=5)
        log.info("demo: %s", simulator.summary())
        sandbox.stop()
