"""Pure: the calling window (PRODUCT.md section 2) and the local-time wording and dates built on it.

The window is defined on local wall time: an instant is open when its wall time in the business's
zone falls inside that weekday's hours, its local date is not a bank holiday, and the wall time is
inside the 08:00:00-21:00:00 hard limit. `is_open` applies that definition directly;
`next_opening` and `closes_at` work on per-day open intervals computed from it, so a skipped wall
hour (spring forward) contributes no instants and a repeated wall hour (fall back) contributes both
of its occurrences.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

HARD_LIMIT_START = 8 * 60  # minutes since local midnight, inclusive
HARD_LIMIT_END = 21 * 60  # exclusive

Hours = Mapping[int, Sequence[tuple[int, int]]]

# Monday is 0; (start_minute, end_minute) pairs, end exclusive (PRODUCT.md section 7 default).
DEFAULT_HOURS: Hours = MappingProxyType(
    {day: ((9 * 60, 18 * 60),) for day in range(5)} | {5: ((9 * 60, 13 * 60),)}
)

# England and Wales share one list; `holidays` has both subdivisions with identical dates.
BANK_HOLIDAY_SUBDIVISIONS: Mapping[str, str | None] = MappingProxyType(
    {"england": "ENG", "wales": "ENG", "scotland": "SCT", "northern-ireland": "NIR", "none": None}
)

# Returned by next_opening when the hours never open inside the hard limit: far enough away that
# any "too far" test skips the callback, yet safe to add hours to and to store.
NEVER = datetime(9999, 1, 1, tzinfo=UTC)

_SEARCH_DAYS = 400  # bank holidays never close more than a few days in a row
_MAX_OFFSET = timedelta(hours=24)  # zoneinfo offsets are strictly within one day
_SAMPLE = timedelta(hours=3)  # assumes a zone's offset changes at most once in three hours

Interval = tuple[datetime, datetime]

_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone: {name!r}") from exc


@functools.lru_cache(maxsize=128)
def _holiday_dates(subdivision: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv=subdivision, years=year))


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("the calendar takes timezone-aware datetimes only")
    return at.astimezone(UTC)


def _clip(ranges: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Intersect one day's ranges with the hard limit, sorted and with overlaps merged."""
    clipped = sorted(
        (max(start, HARD_LIMIT_START), min(end, HARD_LIMIT_END))
        for start, end in ranges
        if min(end, HARD_LIMIT_END) > max(start, HARD_LIMIT_START)
    )
    merged: list[tuple[int, int]] = []
    for start, end in clipped:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def _merge(pieces: list[Interval]) -> tuple[Interval, ...]:
    merged: list[Interval] = []
    for start, end in sorted(pieces):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


class CallingWindow:
    """RECOVERY_HOURS less bank holidays, intersected with the hard limit (core.domain.Window)."""

    def __init__(self, *, hours: Hours, timezone: str, bank_holidays: str) -> None:
        nation = bank_holidays.strip().lower()
        if nation not in BANK_HOLIDAY_SUBDIVISIONS:
            raise ValueError(f"unknown bank-holiday nation: {bank_holidays!r}")
        for day, ranges in hours.items():
            if day not in range(7):
                raise ValueError(f"weekday must be 0 (Monday) to 6, not {day!r}")
            for start, end in ranges:
                if not 0 <= start < end <= 24 * 60:
                    raise ValueError(f"bad range {start}-{end} minutes on weekday {day}")
        self.timezone = timezone
        self.bank_holidays = nation
        self._tz = _zone(timezone)
        self._subdivision = BANK_HOLIDAY_SUBDIVISIONS[nation]
        self._open = tuple(_clip(hours.get(day, ())) for day in range(7))
        self._days: dict[date, tuple[Interval, ...]] = {}

    @property
    def ever_open(self) -> bool:
        """False when no weekday has hours inside the hard limit (next_opening is then NEVER)."""
        return any(self._open)

    def is_bank_holiday(self, day: date) -> bool:
        """True if `day` is on the chosen nation's list (substitute days included)."""
        if self._subdivision is None:
            return False
        return day in _holiday_dates(self._subdivision, day.year)

    def within_hard_limit(self, at: datetime) -> bool:
        """True if 08:00:00 <= local time < 21:00:00."""
        local = _utc(at).astimezone(self._tz)
        return HARD_LIMIT_START <= local.hour * 60 + local.minute < HARD_LIMIT_END

    def is_open(self, at: datetime) -> bool:
        """True if an automated callback may start at `at`."""
        local = _utc(at).astimezone(self._tz)
        minute = local.hour * 60 + local.minute  # boundaries are whole minutes
        ranges = self._open[local.weekday()]
        if not any(start <= minute < end for start, end in ranges):
            return False
        return not self.is_bank_holiday(local.date())

    def next_opening(self, at: datetime) -> datetime:
        """`at` itself if open, else the start of the next open interval (NEVER if none)."""
        at = _utc(at)
        if self.is_open(at):
            return at
        if not self.ever_open:
            return NEVER
        # Start a day early: after a backward change the local date can step back.
        day = at.astimezone(self._tz).date() - timedelta(days=1)
        best: datetime | None = None
        for _ in range(_SEARCH_DAYS):
            starts = [start for start, end in self._intervals(day) if end > at]
            if starts:
                found = max(min(starts), at)
                if best is not None:  # the day after the first hit is checked too
                    return min(best, found)
                best = found
            elif best is not None:
                return best
            day += timedelta(days=1)
        return best if best is not None else NEVER

    def closes_at(self, at: datetime) -> datetime | None:
        """The end (exclusive) of the open interval containing `at`; None if closed at `at`."""
        at = _utc(at)
        end = self._end_of_interval_containing(at)
        if end is None:
            return None
        # Intervals of adjacent dates that touch form one opening (only odd zones can do this).
        while (following := self._end_of_interval_containing(end)) is not None:
            end = following
        return end

    def open_intervals(self, day: date) -> tuple[Interval, ...]:
        """The open intervals (UTC, end exclusive) of instants whose local date is `day`."""
        return self._intervals(day)

    def _end_of_interval_containing(self, at: datetime) -> datetime | None:
        local_day = at.astimezone(self._tz).date()
        for offset in (-1, 0, 1):
            for start, end in self._intervals(local_day + timedelta(days=offset)):
                if start <= at < end:
                    return end
        return None

    def _intervals(self, day: date) -> tuple[Interval, ...]:
        cached = self._days.get(day)
        if cached is not None:
            return cached
        ranges = self._open[day.weekday()]
        found = () if not ranges or self.is_bank_holiday(day) else self._wall_to_utc(day, ranges)
        if len(self._days) > 4096:  # a long-lived window must not grow without bound
            self._days.clear()
        self._days[day] = found
        return found

    def _wall_to_utc(self, day: date, ranges: tuple[tuple[int, int], ...]) -> tuple[Interval, ...]:
        """The instants whose wall time lies in `ranges` on `day`, as merged UTC intervals."""
        midnight = datetime.combine(day, time())  # naive local wall time
        earliest = midnight + timedelta(minutes=ranges[0][0]) - _MAX_OFFSET
        latest = midnight + timedelta(minutes=ranges[-1][1]) + _MAX_OFFSET
        pieces: list[Interval] = []
        # Within a segment of constant offset, wall time = UTC + offset is monotonic.
        for seg_start, seg_end, offset in self._offset_segments(earliest, latest):
            for start, end in ranges:
                lo = max(seg_start, midnight + timedelta(minutes=start) - offset)
                hi = min(seg_end, midnight + timedelta(minutes=end) - offset)
                if lo < hi:
                    pieces.append((lo.replace(tzinfo=UTC), hi.replace(tzinfo=UTC)))
        return _merge(pieces)

    def _offset(self, naive_utc: datetime) -> timedelta:
        offset = naive_utc.replace(tzinfo=UTC).astimezone(self._tz).utcoffset()
        assert offset is not None  # a ZoneInfo always has one
        return offset

    def _offset_segments(
        self, first: datetime, last: datetime
    ) -> list[tuple[datetime, datetime, timedelta]]:
        """Split naive-UTC [first, last) where the zone's offset changes (whole seconds)."""
        segments: list[tuple[datetime, datetime, timedelta]] = []
        seg_start, offset, cursor = first, self._offset(first), first
        while cursor < last:
            probe = min(cursor + _SAMPLE, last)
            if self._offset(probe) == offset:
                cursor = probe
                continue
            low, high = 0, int((probe - cursor).total_seconds())
            while high - low > 1:
                middle = (low + high) // 2
                if self._offset(cursor + timedelta(seconds=middle)) == offset:
                    low = middle
                else:
                    high = middle
            change = cursor + timedelta(seconds=high)
            segments.append((seg_start, change, offset))
            seg_start, offset, cursor = change, self._offset(change), change
        segments.append((seg_start, last, offset))
        return segments


def local_date(at: datetime, timezone: str) -> date:
    """The date of `at` in `timezone` (KPI periods are local dates)."""
    return _utc(at).astimezone(_zone(timezone)).date()


def iso_week(at: datetime, timezone: str) -> tuple[int, int]:
    """The (ISO year, ISO week number) of `at` in `timezone`."""
    iso = local_date(at, timezone).isocalendar()
    return iso.year, iso.week


def week_start(at: datetime, timezone: str) -> date:
    """The local Monday of the ISO week containing `at` (a chart's x value)."""
    day = local_date(at, timezone)
    return day - timedelta(days=day.weekday())


def _clock(local: datetime) -> str:
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    return f"{hour}{suffix}" if local.minute == 0 else f"{hour}:{local.minute:02d}{suffix}"


def describe_callback_time(*, due: datetime, now: datetime, timezone: str) -> str:
    """`{callback_when}` for the after-hours SMS, e.g. `at 9:30am on Monday` (seconds dropped)."""
    zone = _zone(timezone)
    local = _utc(due).astimezone(zone)
    days = (local.date() - _utc(now).astimezone(zone).date()).days
    clock, weekday = _clock(local), _DAY_NAMES[local.weekday()]
    if days == 0:
        return f"at {clock} today"
    if days == 1:
        return f"at {clock} tomorrow"
    if 2 <= days <= 6:
        return f"at {clock} on {weekday}"
    return f"at {clock} on {weekday} {local.day} {_MONTH_NAMES[local.month - 1]}"
