"""Shell: what the daemon knows about a channel beyond any one recovery (SMS for now).

A configuration error (21606, 21212, 20003) stops SMS for everyone, with one try every 5
minutes; a 429 on a send asks every send to wait. Both live in memory: a restart retries at once,
which is how a fixed TWILIO_SMS_FROM takes effect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_WAIT = 300.0  # the longest Retry-After honoured, in seconds
CONFIG_RETRY = timedelta(minutes=5)  # with SMS stopped by a configuration error, one try per 5 min


@dataclass
class SmsHealth:
    """What the daemon knows about the SMS channel beyond any one recovery."""

    config_error: str = ""
    config_error_at: datetime | None = None
    config_error_code: int | None = None
    backoff_until: datetime | None = None

    def stopped(self, now: datetime) -> bool:
        """True while SMS is stopped by a configuration error and no retry is due."""
        if not self.config_error or self.config_error_at is None:
            return False
        return now < self.config_error_at + CONFIG_RETRY

    def backing_off(self, now: datetime) -> bool:
        """True while Twilio's last 429 on a send asks us to wait."""
        return self.backoff_until is not None and now < self.backoff_until
