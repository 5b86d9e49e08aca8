"""Benchmark: how fast a missed call becomes an SMS, and what the daemon costs while idle.

Runs `run_daemon.py` (1-second poll) against an in-process sandbox, watches it idle, then plays
200 missed calls over a few minutes from distinct callers, and prints: the median and 95th
percentile from each call's end to its SMS request reaching the sandbox, Twilio requests per idle
poll, and the daemon's CPU time and peak memory (RSS). Targets: median <= 1.5 s, p95 <= 2.5 s,
<= 2 requests per idle poll, peak RSS <= 150 MB.

    .venv/bin/python bench/latency.py [--calls 200] [--seconds 210] [--idle 30] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from daemon.sandbox import ChildLeg, Sandbox  # noqa: E402

SID, TOKEN = "AC" + "be7c" * 8, "bench-token"
LINE, SMS_FROM, OFFICE = "+441134960500", "+447700900000", "+441134960599"
TARGETS = {"median_s": 1.5, "p95_s": 2.5, "requests_per_idle_poll": 2.0, "peak_rss_mb": 150.0}


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _requests(sandbox: Sandbox, since: datetime) -> list:  # type: ignore[type-arg]
    return [r for r in sandbox.requests(vendor="twilio") if r.at >= since]


def _wait(condition, deadline: float) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=210, help="spread the calls over this")
    parser.add_argument("--idle", type=float, default=30, help="idle period measured first")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    workdir = Path(tempfile.mkdtemp(prefix="latency-"))
    sandbox = Sandbox(twilio_account_sid=SID, twilio_auth_token=TOKEN).start()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "RECOVERY_ENV_FILE": "none",
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_NUMBERS": LINE,
        "TWILIO_SMS_FROM": SMS_FROM,
        "TWILIO_API_BASE": sandbox.base_url,
        "RECOVERY_COMPANY_NAME": "Bench Plumbing",
        "RECOVERY_POLL_SECONDS": "1",
    }
    log = (workdir / "daemon.log").open("wb")
    daemon = subprocess.Popen(
        [sys.executable, str(ROOT / "run_daemon.py")], env=env, stdout=log, stderr=log
    )
    try:
        polls = lambda since: [  # noqa: E731
            r
            for r in _requests(sandbox, since)
            if r.method == "GET" and r.path.endswith("/Calls.json")
        ]
        started = datetime.now(UTC)
        if not _wait(lambda: len(polls(started)) >= 3, 30):
            print("the daemon did not start polling; see", workdir / "daemon.log")
            return 1
        idle_from = datetime.now(UTC)
        time.sleep(args.idle)  # the idle period is what is measured: nothing to wait for
        idle = _requests(sandbox, idle_from)
        idle_polls = len(polls(idle_from))
        per_poll = len(idle) / max(idle_polls, 1)

        ends: dict[str, datetime] = {}
        gap = args.seconds / args.calls
        for n in range(args.calls):
            caller = f"+447700900{100 + n:03d}"  # 900000 is the SMS number: not a caller
            now = datetime.now(UTC)
            end = now.replace(microsecond=0) + timedelta(seconds=1)  # Twilio's whole seconds
            sandbox.twilio.add_inbound_call(
                from_=caller,
                to=LINE,
                start=end - timedelta(seconds=25),
                end=end,
                children=[ChildLeg(to=OFFICE, status="no-answer")],
            )
            ends[caller] = end
            time.sleep(max(0.0, rng.uniform(0.5, 1.5) * gap))

        def sms_times() -> dict[str, datetime]:
            found: dict[str, datetime] = {}
            for r in sandbox.requests(vendor="twilio"):
                if r.method == "POST" and r.path.endswith("/Messages.json"):
                    to = dict(r.form).get("To", "")
                    found.setdefault(to, r.at)
            return found

        _wait(lambda: len(sms_times()) >= args.calls, 60)
        sent = sms_times()
        latencies = [(sent[c] - e).total_seconds() for c, e in ends.items() if c in sent]
        proc = psutil.Process(daemon.pid)
        cpu = proc.cpu_times()
        rss = _peak_rss_mb(daemon.pid)
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(timeout=30)
    finally:
        if daemon.poll() is None:
            daemon.kill()
        sandbox.stop()
        log.close()
    elapsed = (datetime.now(UTC) - started).total_seconds()
    figures = {
        "median_s": statistics.median(latencies) if latencies else float("inf"),
        "p95_s": _percentile(latencies, 0.95) if latencies else float("inf"),
        "requests_per_idle_poll": per_poll,
        "peak_rss_mb": rss,
    }
    print(f"calls played: {args.calls}; SMS sent: {len(latencies)}; daemon exit: {code}")
    print(
        f"call end -> SMS request: median {figures['median_s']:.2f} s, "
        f"p95 {figures['p95_s']:.2f} s, max {max(latencies, default=float('nan')):.2f} s"
    )
    print(f"idle: {len(idle)} Twilio requests over {idle_polls} polls = {per_poll:.2f} per poll")
    print(
        f"daemon CPU: {cpu.user + cpu.system:.1f} s over {elapsed:.0f} s "
        f"({100 * (cpu.user + cpu.system) / elapsed:.1f}% of one core); peak RSS {rss:.0f} MB"
    )
    ok = len(latencies) == args.calls and code == 0
    for name, target in TARGETS.items():
        met = figures[name] <= target
        ok = ok and met
        print(f"  {name}: {figures[name]:.2f} (target <= {target}) {'ok' if met else 'MISSED'}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
