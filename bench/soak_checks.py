"""Shell: the soak's invariants, each a check that lists every violation it found.

The expectations are worked out from what was played (PRODUCT.md sections 1-3), never by asking
the daemon's own rules; the daemon's rows are only compared with them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise

from bench.soak_truth import OPT_OUTS, Rows, Truth, is_landline, is_withheld
from core.models import Recovery

INVARIANT = (
    "one SMS per caller: a missed call from a number with an open recovery joins it (no second "
    "SMS); a recovery that texted the caller stays open until 24 h after its last step "
    "(reply-wait, callback and email included) and, once closed, makes the number's next recovery "
    "not_contacted (cooldown) for RECOVERY_COOLDOWN_HOURS={h:g} h; recoveries that contacted "
    "nobody start no cooldown. With no START and no failed deliveries to mobiles, a run shorter "
    "than 24 h may therefore send each number at most one SMS, and each recovery holds at most "
    "one accepted SMS."
)
SHOWN = 15  # violations listed per check
CASES = {
    "reply_first": "a call and a reply sent 1 s after it ended, both first read by one poll: "
    "the reply must close the recovery as reached before the SMS goes",
    "reply_while_reading": "the call was still ringing when a poll read the call log, and the "
    "caller texted 1 s after hanging up, before that poll read messages: the reply must still "
    "count after the call (PRODUCT.md 'Order of events'), so no SMS and the recovery reached",
    "stop_first": "a call and a STOP sent 1 s after it ended, read by one poll: opted out, no SMS",
    "stop_then_call": "a STOP, then a call: not_contacted (suppressed), no SMS",
    "landline": "a UK landline: no SMS ever",
}


@dataclass
class Check:
    """One invariant: its name, what it covered, and every violation."""

    name: str
    covered: str = ""
    violations: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.violations


def _t(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%H:%M:%S")


def _open_at(recovery: Recovery, moment: datetime, *, tie: bool = False) -> bool:
    """Open at `moment`; `tie`: also if it closed that very second (a call applies first)."""
    closed = recovery.outcome_at
    open_then = closed is None or closed > moment or (tie and closed == moment)
    return recovery.first_missed_at <= moment and open_then


def one_sms_per_caller(truth: Truth, rows: Rows) -> Check:
    """At most one SMS per number, one accepted SMS per recovery, one open recovery per caller."""
    check = Check("one SMS per caller, one recovery per caller")
    by_number: dict[str, list[datetime]] = defaultdict(list)
    for message in truth.created:
        by_number[message.to_number].append(message.created)
    for number, times in sorted(by_number.items()):
        if len(times) > 1:
            check.violations.append(f"{number} got {len(times)} SMS: {', '.join(map(_t, times))}")
    accepted = Counter(
        a.recovery_id
        for a in rows.attempts
        if a.channel == "sms" and a.result in ("accepted", "found")
    )
    for recovery_id, count in sorted(accepted.items()):
        if count > 1:
            check.violations.append(f"recovery #{recovery_id} has {count} accepted SMS attempts")
    callers = {r.caller for r in rows.recoveries.values() if r.caller}
    for caller in sorted(callers):
        eligible = [r for r in rows.recoveries_of(caller) if r.outcome != "not_contacted"]
        for earlier, later in pairwise(eligible):
            if _open_at(earlier, later.first_missed_at):
                check.violations.append(
                    f"{caller}: recovery #{later.id} opened at {_t(later.first_missed_at)} while "
                    f"#{earlier.id} was open"
                )
    for recovery in rows.recoveries.values():
        attached = len(rows.calls_of(recovery.id or 0))
        if attached != recovery.repeat_count:
            check.violations.append(
                f"recovery #{recovery.id}: repeat count {recovery.repeat_count}, "
                f"{attached} missed calls attached"
            )
    most = max((len(t) for t in by_number.values()), default=0)
    check.covered = f"{len(truth.created)} SMS to {len(by_number)} numbers, most to one: {most}"
    return check


def _expected_opening(truth: Truth, rows: Rows, sid: str) -> set[str]:
    """What the call `sid` should have opened, from PRODUCT.md's rules (ties allow both)."""
    call = truth.played[sid]
    if is_withheld(call.caller):
        return {"withheld"}
    others = [r for r in rows.recoveries_of(call.caller) if r.first_call_sid != sid]
    if any(r.outcome != "not_contacted" and _open_at(r, call.end) for r in others):
        return {"join"}
    stops = [m.sent_at for m in truth.opt_outs(call.caller)]
    if any(at < call.end for at in stops):
        return {"suppressed"}
    expected = set()
    if any(at == call.end for at in stops):
        expected.add("suppressed")
    for r in others:
        closed = r.outcome_at
        if r.contacted_at and closed and closed <= call.end < closed + truth.cooldown:
            return expected | {"cooldown"}
    return expected | {"eligible"}


def nothing_lost(truth: Truth, rows: Rows) -> Check:
    """Every call and message played before the cutoff is recorded, and calls are handled right."""
    check = Check("no missed call or message lost, each handled by the rules")
    due = [c for c in truth.played.values() if c.end <= truth.cutoff]
    missed = 0
    for call in sorted(due, key=lambda c: c.end):
        row = rows.calls.get(call.sid)
        what = f"{call.kind} call {call.sid[-6:]} from {call.caller} ended {_t(call.end)}"
        if row is None:
            check.violations.append(f"{what}: never recorded")
            continue
        if row.verdict != call.intended:
            check.violations.append(f"{what}: recorded as {row.verdict}, not {call.intended}")
        if call.intended == "answered":
            continue
        missed += 1
        recovery = rows.recoveries.get(row.recovery_id or -1)
        if recovery is None:
            check.violations.append(f"{what}: no recovery")
            continue
        if recovery.first_call_sid != call.sid:
            if recovery.caller != call.caller or not _open_at(recovery, call.end, tie=True):
                check.violations.append(f"{what}: joined #{recovery.id}, not open for this caller")
            continue
        actual = "eligible" if recovery.outcome != "not_contacted" else recovery.outcome_reason
        expected = _expected_opening(truth, rows, call.sid)
        if actual == "too_old":
            late = (row.seen_at - call.end).total_seconds()
            check.violations.append(f"{what}: too_old, first seen {late:.0f} s after it ended")
        elif actual not in expected:
            check.violations.append(
                f"{what}: opened #{recovery.id} as {actual}, expected {' or '.join(expected)}"
            )
    inbound = [m for m in truth.inbound if m.sent_at <= truth.cutoff]
    for message in inbound:
        if message.sid not in rows.messages:
            check.violations.append(f"message from {message.from_number}: never recorded")
    for number in sorted({m.from_number for m in inbound if m.body in OPT_OUTS}):
        if number not in rows.suppressed:
            check.violations.append(f"{number} sent STOP but is not on the suppression list")
    check.covered = f"{len(due)} calls ({missed} missed), {len(inbound)} messages"
    return check


def no_forbidden_sms(truth: Truth, rows: Rows) -> Check:
    """No SMS attempt to a landline, a withheld ID, a number after its STOP was read, or a case."""
    check = Check("no SMS to a landline, a withheld number or a number after its STOP")
    for post in truth.posts:
        to = dict(post.form).get("To", "")
        if is_landline(to) or is_withheld(to):
            kind = "landline" if is_landline(to) else "withheld number"
            check.violations.append(f"SMS attempt at {_t(post.at)} to a {kind}: {to}")
    stops = 0
    for message in truth.inbound:
        seen = truth.seen.get(message.sid)
        if message.body not in OPT_OUTS or seen is None:
            continue
        stops += 1
        for post in truth.posts_to(message.from_number):
            if post.at > seen:
                late = (post.at - seen).total_seconds()
                check.violations.append(
                    f"SMS attempt to {message.from_number} {late:.1f} s after its STOP was read"
                )
    for case in truth.cases:
        if not case.no_sms:
            continue
        until = None
        if case.until_next_call:
            later = [
                c.start for c in truth.calls_by_number.get(case.number, []) if c.start > case.at
            ]
            until = min(later, default=None)
        sent = [
            p.at
            for p in truth.posts_to(case.number)
            if p.at >= case.at and (until is None or p.at < until)
        ]
        if sent:
            check.violations.append(
                f"{case.kind} case {case.number}: {len(sent)} SMS create request(s) from "
                f"{_t(sent[0])}"
            )
    for case in truth.cases:
        recovery = next((r for r in rows.recoveries.values() if r.first_call_sid == case.sid), None)
        if case.outcome and case.sid and case.sid in rows.calls and recovery is None:
            check.violations.append(f"{case.kind} case {case.number}: its call opened no recovery")
        elif case.outcome and recovery is not None and recovery.outcome != case.outcome:
            check.violations.append(
                f"{case.kind} case {case.number}: recovery #{recovery.id} is "
                f"{recovery.outcome or 'open'}, expected {case.outcome}"
            )
    failed = {v.split(" case ")[0] for v in check.violations if " case " in v}
    meaning = [f"({kind}: {CASES[kind]})" for kind in sorted(failed) if kind in CASES]
    check.violations[:0] = meaning  # first, so a long list cannot hide what the case means
    check.covered = f"{len(truth.posts)} create requests, {stops} STOPs, {len(truth.cases)} cases"
    return check


def sms_for_eligible(truth: Truth, rows: Rows) -> Check:
    """Every eligible mobile caller got the SMS, or replied or opted out first; no attempt hangs."""
    check = Check("every eligible mobile caller got the SMS (or replied or opted out first)")
    texted = {m.to_number for m in truth.created}
    count = 0
    for recovery in sorted(rows.recoveries.values(), key=lambda r: r.id or 0):
        call = truth.played.get(recovery.first_call_sid)
        if call is None or call.end > truth.cutoff or recovery.outcome == "not_contacted":
            continue
        if recovery.is_landline or is_landline(recovery.caller):
            continue
        count += 1
        status, reason = recovery.sms_status, recovery.sms_reason
        what = f"recovery #{recovery.id} ({recovery.caller}, ended {_t(call.end)})"
        if status == "done" and recovery.caller not in texted:
            check.violations.append(f"{what}: SMS done but Twilio created none")
        cancelled = status == "cancelled" and recovery.outcome in ("reached", "opted_out")
        if status not in ("done",) and not cancelled:
            check.violations.append(f"{what}: SMS {status} ({reason or 'no reason'})")
    for attempt in rows.attempts:
        if not attempt.result:
            check.violations.append(
                f"attempt #{attempt.id} (recovery #{attempt.recovery_id}, started "
                f"{_t(attempt.started_at)}) was left without a result"
            )
    check.covered = f"{count} eligible mobile recoveries, {len(rows.attempts)} attempts"
    return check


def log_check(unexpected: list[str], problems: list[str], harness: list[str]) -> Check:
    """The daemon logged no unexpected error, stopped with 0 on SIGTERM, and the soak itself ran."""
    check = Check("no unexpected error in the daemon's log; SIGTERM exits 0")
    check.violations = [*problems, *(f"log: {line}" for line in unexpected), *harness]
    check.covered = f"{len(unexpected)} unexpected log lines"
    return check
