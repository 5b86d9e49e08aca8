"""Sandbox: Twilio's rules for sending: which message creates it refuses and with which error
code, and its built-in opt-out keywords for long codes (whole message, any case).

Codes follow VENDORS.md: 21604/21603/21602 missing To/From/Body, 21211 bad To, 21212 bad From,
21606 a From that cannot send SMS (UK geographic numbers), 21617 body too long, 21610 the
recipient sent STOP to this sender, and whatever a test marked the recipient with (21614 ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from daemon.sandbox.router import Response
from daemon.sandbox.twilio_records import error_response

OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN_WORDS = frozenset({"START", "YES", "UNSTOP"})
STOP_REPLY = (
    "You have successfully been unsubscribed. You will not receive any more messages from this "
    "number. Reply START to resubscribe."
)
START_REPLY = (
    "You have successfully been re-subscribed to messages from this number. Reply HELP for help. "
    "Reply STOP to unsubscribe. Msg&Data Rates May Apply."
)
MAX_BODY = 1600
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
_UK_GEOGRAPHIC = ("+441", "+442")
_REFUSALS = {
    21211: "Invalid 'To' Phone Number: {to}",
    21408: "Permission to send an SMS has not been enabled for the region indicated by the "
    "'To' number: {to}",
    21612: "The 'To' phone number is not currently reachable via SMS",
    21614: "'To' number is not a valid mobile number",
}


@dataclass(frozen=True)
class NumberMark:
    """How the sandbox treats SMS to a number a test marked (a landline, say)."""

    refuse_code: int | None = None  # answer the create with this 400 code (21614, 21211, 21408)
    fail_code: int | None = None  # accept, then end `fail_status` with this code (30003-30006)
    fail_status: str = "undelivered"


def keyword(body: str) -> str | None:
    """`stop` or `start` if Twilio's own keyword handling catches `body`, else None."""
    word = body.strip().upper()
    if word in OPT_OUT_WORDS:
        return "stop"
    if word in OPT_IN_WORDS:
        return "start"
    return None


def refusal(
    to: str | None,
    from_: str | None,
    body: str | None,
    *,
    blocked: bool,
    mark: NumberMark | None,
) -> Response | None:
    """Twilio's 400 answer to this create, or None if it would accept it."""
    if not to:
        return error_response(400, 21604, "A 'To' phone number is required.")
    if not from_:
        return error_response(400, 21603, "A 'From' phone number is required.")
    if not body:
        return error_response(400, 21602, "Message body is required.")
    if not _E164.match(to):
        return error_response(400, 21211, _REFUSALS[21211].format(to=to))
    if not (_E164.match(from_) or _ALPHANUMERIC_SENDER.match(from_)):
        return error_response(400, 21212, f"Invalid From Number (caller ID): {from_}")
    if from_.startswith(_UK_GEOGRAPHIC):
        message = (
            f"The 'From' phone number provided ({from_}) is not a valid message-capable "
            "Twilio phone number for this destination."
        )
        return error_response(400, 21606, message)
    if len(body) > MAX_BODY:
        message = f"The concatenated message body exceeds the {MAX_BODY} character limit."
        return error_response(400, 21617, message)
    if blocked:
        return error_response(400, 21610, "Attempt to send to unsubscribed recipient")
    if mark is not None and mark.refuse_code is not None:
        message = _REFUSALS.get(mark.refuse_code, "Message refused by the sandbox")
        return error_response(400, mark.refuse_code, message.format(to=to))
    return None
