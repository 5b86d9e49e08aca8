"""Pure: reading a Retell callback report into a result (PRODUCT.md section 2, callbacks).

Retell's list of disconnection reasons grows, so anything not named here counts as "not reached".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.domain import Attention, CallbackResult, SubOutcome
from core.observations import CallbackReport
from core.timing import CALLBACK_FINISH_LIMIT

ANALYSIS_WAIT = timedelta(minutes=10)
SHORT_HANGUP = timedelta(seconds=10)
_NEVER_CONNECTED_STATUSES = frozenset({"not_connected", "error"})
_REACHED_REASONS = frozenset({"agent_hangup", "call_transfer"})
_NO_CONVERSATION_REASONS = frozenset({"inactivity", "max_duration_reached", "voicemail_reached"})
_SUB_OUTCOMES = {
    s.value: s for s in (SubOutcome.BOOKED, SubOutcome.TRANSFERRED, SubOutcome.NOT_NOW)
}


@dataclass(frozen=True)
class CallbackAssessment:
    """What one read of a callback means for the recovery."""

    finished: bool
    result: CallbackResult | None = None
    sub_outcome: SubOutcome = SubOutcome.UNKNOWN
    opt_out: bool = False
    reason: str = "callback not finished yet"
    attention: Attention | None = None

    @property
    def reached(self) -> bool:
        return self.result is CallbackResult.REACHED

    @property
    def starts_no_call_rule(self) -> bool:
        """Voicemail or no conversation: no callback to this number for 72 h."""
        return self.result is CallbackResult.NO_CONVERSATION


def _never_connected(report: CallbackReport) -> bool:
    reason = report.disconnection_reason or ""
    return (
        report.call_status in _NEVER_CONNECTED_STATUSES
        or reason.startswith("dial_")
        or reason == "invalid_destination"
    )


def _talk_time(report: CallbackReport) -> timedelta | None:
    if report.started_at is None or report.ended_at is None:
        return None
    return report.ended_at - report.started_at


def _connected_result(report: CallbackReport) -> tuple[CallbackResult, str]:
    reason = report.disconnection_reason or ""
    voicemail = report.in_voicemail is True or reason == "voicemail_reached"
    talk = _talk_time(report)
    long_hangup = reason == "user_hangup" and talk is not None and talk >= SHORT_HANGUP
    if not voicemail and (reason in _REACHED_REASONS or long_hangup):
        return CallbackResult.REACHED, "callback reached a person"
    if voicemail:
        return CallbackResult.NO_CONVERSATION, "callback hit voicemail"
    if reason in _NO_CONVERSATION_REASONS or reason == "user_hangup":
        return CallbackResult.NO_CONVERSATION, f"callback had no conversation ({reason})"
    if reason.startswith("error"):
        return CallbackResult.ERROR, "callback ended with a Retell error"
    return CallbackResult.NOT_CONNECTED, "callback ended for an unknown reason: not reached"


def _sub_outcome(report: CallbackReport) -> SubOutcome:
    if not report.analysis_present or report.custom_outcome is None:
        return SubOutcome.UNKNOWN
    return _SUB_OUTCOMES.get(report.custom_outcome.strip().lower(), SubOutcome.UNKNOWN)


def _error(text: str) -> CallbackAssessment:
    return CallbackAssessment(
        True, CallbackResult.ERROR, reason=text, attention=Attention.CALLBACK_ERROR
    )


def assess_report(report: CallbackReport, *, placed_at: datetime) -> CallbackAssessment:
    """Say whether the callback is finished and, if so, how it ended."""
    if _never_connected(report):
        if report.call_status == "error":
            text = "callback failed at Retell before connecting"
            return _error(text)
        return CallbackAssessment(
            True, CallbackResult.NOT_CONNECTED, reason="callback not answered"
        )
    ended = report.call_status == "ended"
    waited = report.ended_at is not None and report.at - report.ended_at >= ANALYSIS_WAIT
    if not (ended and (report.analysis_present or waited)):
        if report.at - placed_at >= CALLBACK_FINISH_LIMIT:
            text = "callback not finished 2 h after it was placed: finished as error"
            return _error(text)
        return CallbackAssessment(False)
    result, text = _connected_result(report)
    attention = Attention.CALLBACK_ERROR if result is CallbackResult.ERROR else None
    return CallbackAssessment(
        finished=True,
        result=result,
        sub_outcome=_sub_outcome(report),
        opt_out=report.custom_opt_out,
        reason=text,
        attention=attention,
    )
