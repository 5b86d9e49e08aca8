"""The daemon end to end as a process: start-up log, exit codes, signals, one daemon per database,
and the machine's own time zone (PRODUCT.md section 8; ARCHITECTURE.md, daemon/main.py).
"""

from __future__ import annotations

import re
import signal
from datetime import timedelta
from pathlib import Path

import pytest

from daemon.sandbox import Sandbox
from tests.e2e.support import (
    SMS_DEADLINE,
    Daemon,
    Database,
    missed_call,
    now,
    run_daemon_once,
    sms_to,
    wait_for,
    wait_for_recovery,
    wait_passes,
)
from tests.sandbox_support import CALLS

pytestmark = pytest.mark.slow

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")


def _not_logging(stderr: str) -> list[str]:
    """What the process said on stderr besides its log records."""
    return [line for line in stderr.splitlines() if line and not LOG_LINE.match(line)]


def test_the_daemon_says_at_start_which_layers_are_on_and_that_it_started(
    daemon: Daemon, database: Database
) -> None:
    daemon.start()
    wait_passes(database, 1)
    out = daemon.output
    assert "layer 1 SMS (Twilio): on" in out
    assert "layer 2 callback (Retell): off" in out
    assert "daemon started" in out
    beat = database.heartbeat()
    assert beat is not None and beat.pid == daemon.proc.pid and beat.last_poll_at is not None


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_stop_the_daemon_with_exit_0(
    daemon: Daemon, database: Database, sig: signal.Signals
) -> None:
    daemon.start()
    wait_passes(database, 1)
    assert daemon.stop(sig) == 0
    assert "daemon stopped" in daemon.output
    assert "Traceback" not in daemon.output


def test_sigterm_during_a_pass_lets_the_pass_finish_and_exits_0(
    sandbox: Sandbox, daemon: Daemon, database: Database
) -> None:
    daemon.start()
    wait_passes(database, 1)
    sandbox.faults.add(method="GET", path=CALLS, action="delay", delay=2.0)
    missed_call(sandbox)
    wait_for(lambda: not sandbox.faults.pending(), what="the daemon inside the call log read")
    assert daemon.stop(signal.SIGTERM) == 0
    assert len(sms_to(sandbox)) == 1  # the pass in progress finished, SMS included
    recovery = database.recovery()
    assert recovery is not None and recovery.sms_status == "done"


def test_bad_configuration_exits_2_naming_the_variable(daemon_env: dict[str, str]) -> None:
    result = run_daemon_once({**daemon_env, "TWILIO_SMS_FROM": "07700 900001"})
    assert result.returncode == 2
    assert [line.split(":")[0] for line in result.stderr.splitlines()] == ["TWILIO_SMS_FROM"]
    assert "Traceback" not in result.stderr


def test_a_second_daemon_on_the_same_database_exits_3_with_one_line(
    daemon: Daemon, daemon_env: dict[str, str], database: Database
) -> None:
    daemon.start()
    wait_passes(database, 1)
    result = run_daemon_once(daemon_env)
    assert result.returncode == 3
    said = result.stderr.strip().splitlines()
    assert len(said) == 1 and said[0].startswith("DATABASE_URL: another daemon"), said
    assert "Traceback" not in result.stderr
    assert daemon.alive
    wait_passes(database, 1)  # and the first one carries on


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/London", "Asia/Kolkata"])
def test_the_machines_own_time_zone_changes_nothing(
    sandbox: Sandbox,
    daemon: Daemon,
    daemon_env: dict[str, str],
    database: Database,
    zone: str,
) -> None:
    daemon_env["TZ"] = zone
    daemon.start()
    ended = now() - timedelta(seconds=20)
    sid = missed_call(sandbox, ended=ended)
    recovery = wait_for_recovery(database, sms_status="done", what="the SMS sent and recorded")
    assert len(sms_to(sandbox)) == 1
    call = database.call(sid)
    assert call is not None
    assert call.ended_at == ended.replace(microsecond=0)
    assert recovery.first_missed_at == ended.replace(microsecond=0)
    assert recovery.sms_done_at is not None
    assert abs(recovery.sms_done_at - now()) < timedelta(seconds=SMS_DEADLINE)
    wait_passes(database, 1)
    beat = database.heartbeat()
    assert beat is not None and beat.beat_at is not None
    assert abs(beat.beat_at - now()) < timedelta(seconds=5)


def test_a_restart_after_sigkill_is_never_refused(daemon: Daemon, database: Database) -> None:
    daemon.start()
    wait_passes(database, 1)
    daemon.kill()
    daemon.start()
    first = daemon.starts[0].pid
    wait_for(
        lambda: (b := database.heartbeat()) is not None and b.pid != first,
        deadline=SMS_DEADLINE,
        what="the restarted daemon's heartbeat",
    )
    assert daemon.alive


def test_an_unreachable_twilio_keeps_the_daemon_up_and_shows_in_the_heartbeat(
    daemon: Daemon, daemon_env: dict[str, str], database: Database, tmp_path: Path
) -> None:
    daemon_env["TWILIO_API_BASE"] = "http://127.0.0.1:9"  # discard port: nothing listens
    daemon.start()
    beat = wait_for(
        lambda: (b := database.heartbeat()) is not None and b.last_error and b,
        deadline=SMS_DEADLINE,
        what="the error in the heartbeat",
    )
    assert "connection failed" in beat.last_error
    assert beat.last_poll_at is None
    assert daemon.alive
