"""Shell: the soak benchmark: random traffic and vendor faults against the real daemon.

    python bench/soak.py --minutes N [--seed S] [--pace P] [--keep] [--late-creates]

Starts the sandbox in this process (real clock, 127.0.0.1 only) and `run_daemon.py` as a
subprocess against it; for N minutes plays the demo's caller simulator (at `--pace`) plus the
soak's own cases, injects Twilio faults every few seconds, SIGKILLs the daemon twice (once while an
ambiguous create is being looked up) and SIGTERMs it once, restarting it each time. Then it stops
the traffic, lets the daemon settle, SIGTERMs it (exit 0 expected), checks the invariants, prints
the figures and a `RESULT: PASS` or `RESULT: FAIL` line; exit code 0 on pass, 1 on fail.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.soak_chaos import Chaos, FaultStream, WatchedFaults, describe
from bench.soak_checks import (
    INVARIANT,
    SHOWN,
    Check,
    log_check,
    no_forbidden_sms,
    nothing_lost,
    one_sms_per_caller,
    sms_for_eligible,
)
from bench.soak_daemon import DaemonProcess, LogScan, daemon_env, scan_log
from bench.soak_traffic import CASE_MOBILES, Traffic
from bench.soak_truth import (
    OPT_OUTS,
    Rows,
    Truth,
    gather,
    latencies,
    percentiles,
    read_rows,
)
from daemon.sandbox import Sandbox
from daemon.sandbox.simulator import CallerSimulator
from daemon.sandbox.simulator_calls import DEFAULT_FORWARD_TO
from daemon.sandbox.store import RecordedRequest

LINE = "+441134960100"  # the recovered line (forwards to the owner's mobile)
SMS_FROM = "+447700900001"  # the SMS-capable mobile long code
ACCOUNT_SID, AUTH_TOKEN = "AC" + "50a4" * 8, "soak-auth-token"
SETTLE = 15.0  # seconds the daemon gets after the traffic stops
COOLDOWN = timedelta(hours=24)
say = print  # the soak's output is its report


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="bench/soak.py", description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, required=True, help="traffic time (>= 0.5)")
    parser.add_argument("--seed", type=int, default=None, help="repeat a run's random choices")
    parser.add_argument("--pace", type=float, default=4.0, help="simulator pace (1.0 = demo)")
    parser.add_argument("--keep", action="store_true", help="keep the database and log on PASS")
    parser.add_argument(
        "--late-creates",
        action="store_true",
        help="also stall message creates past the timeout (the sandbox then creates late)",
    )
    args = parser.parse_args(argv)
    if args.minutes < 0.5 or args.pace <= 0:
        parser.error("--minutes must be at least 0.5 and --pace above 0")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run one soak; 0 on PASS, 1 on FAIL."""
    args = parse(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1_000_000)
    workdir = Path(tempfile.mkdtemp(prefix="soak-"))
    say(f"soak: {args.minutes:g} min, seed {seed}, pace {args.pace:g}, files in {workdir}")
    passed = soak(args, seed, workdir)
    if passed and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if passed else 1


def soak(args: argparse.Namespace, seed: int, workdir: Path) -> bool:
    """Play, stop, check and report; True if every check passed."""

    def rng(name: str) -> random.Random:
        return random.Random(f"{seed}:{name}")

    faults = WatchedFaults()
    box = Sandbox(host="127.0.0.1", twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN)
    box.faults = faults
    box.start()
    quiet_broken_pipes(box)
    slim_request_log(box)
    url = f"sqlite:///{workdir / 'soak.db'}"
    env = daemon_env(
        database_url=url, api_base=box.base_url, account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN,
        line=LINE, sms_from=SMS_FROM,
    )  # fmt: skip
    daemon = DaemonProcess(env, workdir / "daemon.log")
    sim = CallerSimulator(
        sandbox=box, business_numbers=[LINE], sms_from=SMS_FROM, clock=box.store.now,
        seed=seed, pace=args.pace, stop_rate=0.1, exclude_callers=CASE_MOBILES,
    )  # fmt: skip
    traffic = Traffic(
        sandbox=box, faults=faults, simulator=sim, lines=[LINE], sms_from=SMS_FROM,
        forward_to=DEFAULT_FORWARD_TO, rng=rng("traffic"), pace=args.pace,
    )  # fmt: skip
    stream = FaultStream(faults, rng("faults"), late_creates=args.late_creates)
    duration = args.minutes * 60
    chaos = Chaos(daemon, faults, rng("chaos"), duration)
    harness: list[str] = []
    try:
        daemon.start()
        if not wait_until(lambda: any(r.route for r in box.requests("twilio")), 30):
            say("RESULT: FAIL (the daemon never polled; see its log)")
            say(daemon.log_text()[-3000:])
            return False
        stop_traffic, stop_chaos = threading.Event(), threading.Event()
        started = time.monotonic()
        jobs = [
            threading.Thread(target=sim.run, args=(stop_traffic, 1.0), name="simulator"),
            threading.Thread(target=traffic.run, args=(stop_traffic,), name="soak cases"),
            threading.Thread(target=stream.run, args=(stop_traffic,), name="faults"),
        ]
        chaos_job = threading.Thread(target=chaos.run, args=(stop_chaos, started), name="chaos")
        for job in [*jobs, chaos_job]:
            job.daemon = True
            job.start()
        progress(box, daemon, stream, started, duration)
        stop_traffic.set()
        stop_chaos.set()
        for job in [*jobs, chaos_job]:
            job.join(timeout=60)
            if job.is_alive():
                harness.append(f"harness: the {job.name} thread did not stop")
        faults.disarm()
        faults.clear()
        cutoff = box.store.now()
        if not daemon.alive:
            daemon.problems.append(
                f"the daemon was down when the traffic stopped ({daemon.exit_code()})"
            )
            daemon.start()
        time.sleep(SETTLE)
        daemon.terminate(what="final SIGTERM")
        truth = gather(
            box, played=traffic.played, cases=traffic.cases, cutoff=cutoff, cooldown=COOLDOWN
        )
        hit = Counter(r.fault for r in box.requests("twilio") if r.fault)
    finally:
        daemon.reap()
        box.stop()
    if sim.counts().get("errors"):
        harness.append(f"harness: the simulator failed {sim.counts()['errors']} steps")
    rows = read_rows(url)
    scan = scan_log(daemon.log_text())
    checks = [
        one_sms_per_caller(truth, rows),
        nothing_lost(truth, rows),
        no_forbidden_sms(truth, rows),
        sms_for_eligible(truth, rows),
        log_check(scan.unexpected, daemon.problems, harness),
    ]
    report(truth, rows, checks, scan, stream, chaos, daemon, traffic, sim, hit)
    return all(c.passed for c in checks)


def quiet_broken_pipes(box: Sandbox) -> None:
    """A client that gave up on a stalled request is expected here: no traceback for it."""
    server = getattr(box, "_server", None)
    if server is None:
        return
    default = server.handle_error

    def handle_error(request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
            default(request, client_address)

    server.handle_error = handle_error


def slim_request_log(box: Sandbox) -> None:
    """Keep only what the checks read of each logged response, so an hour's log stays small.

    Every poll lists the whole day's calls; kept in full, an hour at pace 4 would hold gigabytes.
    """
    record = box.store.record

    def slim(entry: RecordedRequest) -> None:
        body = entry.response
        if entry.method == "GET" and isinstance(body, dict) and "calls" in body:
            body = {"calls": len(body["calls"])}
        elif entry.method == "GET" and isinstance(body, dict) and "messages" in body:
            inbound = [m for m in body["messages"] if m.get("direction") == "inbound"]
            body = {"messages": [{"sid": m["sid"], "direction": "inbound"} for m in inbound]}
        record(dataclasses.replace(entry, response=body))

    box.store.record = slim  # type: ignore[method-assign]


def wait_until(condition: Callable[[], object], deadline: float) -> bool:
    """Poll `condition` until it is truthy or `deadline` seconds pass."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.1)
    return False


def progress(
    box: Sandbox, daemon: DaemonProcess, stream: FaultStream, started: float, duration: float
) -> None:
    """Wait out the traffic time, printing a line every 30 s."""
    end = started + duration
    while (left := end - time.monotonic()) > 0:
        time.sleep(min(30.0, left))
        with box.store.lock:
            calls = sum(1 for c in box.twilio.calls if c.parent_sid is None)
            sms = sum(1 for m in box.twilio.messages if m.direction == "outbound-api")
        say(
            f"  t+{time.monotonic() - started:4.0f} s: {calls} calls, {sms} SMS, "
            f"{sum(stream.added.values())} faults, {daemon.starts - 1} restarts",
            flush=True,
        )


def report(
    truth: Truth, rows: Rows, checks: list[Check], scan: LogScan, stream: FaultStream,
    chaos: Chaos, daemon: DaemonProcess, traffic: Traffic, sim: CallerSimulator, hit: Counter[str],
) -> None:  # fmt: skip
    """Print the invariant, the figures, each check and the result line."""
    kinds = Counter(c.kind for c in truth.played.values())
    checked = sum(1 for c in truth.played.values() if c.end <= truth.cutoff)
    stops = sum(1 for m in truth.inbound if m.body in OPT_OUTS)
    injected = Counter(stream.added) + chaos.plans
    say(f"invariant: {INVARIANT.format(h=COOLDOWN.total_seconds() / 3600)}")
    say("figures:")
    say(f"  calls played      {len(truth.played)} ({describe(kinds)})")
    ringing = len(truth.played) - checked
    say(f"                    checked {checked}, still ringing at the cut-off {ringing}")
    say(f"  messages played   {len(truth.inbound) - stops} replies, {stops} STOPs")
    cases = describe(Counter(c.kind for c in traffic.cases))
    say(f"  soak cases        {cases}; skipped {traffic.skipped}")
    say(f"  SMS sent          {len(truth.created)} (create requests {len(truth.posts)})")
    say(f"  faults injected   {sum(injected.values())}: {describe(injected)}")
    say(f"  faults hit        {sum(hit.values())}: {describe(hit)}")
    say(f"  restarts          {daemon.starts - 1}: {', '.join(chaos.log) or 'none'}")
    say(f"  call end -> SMS   {percentiles(latencies(truth, rows))}")
    say(f"  simulator         {sim.summary()}")
    say(f"  daemon log        {describe(scan.expected)} (expected warnings)")
    for line in scan.other_warnings[:10]:
        say(f"    other warning: {line}")
    say("checks:")
    for check in checks:
        say(f"  {'PASS' if check.passed else 'FAIL'}  {check.name} [{check.covered}]")
        for violation in check.violations[:SHOWN]:
            say(f"        - {violation}")
        if len(check.violations) > SHOWN:
            say(f"        ... and {len(check.violations) - SHOWN} more")
    failed = [c.name for c in checks if not c.passed]
    say("RESULT: PASS" if not failed else f"RESULT: FAIL ({len(failed)} of {len(checks)} checks)")


if __name__ == "__main__":
    sys.exit(main())
