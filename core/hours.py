"""Pure: the RECOVERY_HOURS grammar (PRODUCT.md section 7), parsed to and from WeeklyHours.

Grammar: entries separated by `;`, each `DAYS RANGES` or `DAYS closed`; DAYS is a day or `day-day`
(mon..sun, any case, no wrap-around); RANGES is `HH:MM-HH:MM` separated by `,`, end exclusive, at
most 24:00. Unlisted days are closed; a day listed twice is an error.
"""

from __future__ import annotations

import re

# weekday (0 = Monday) -> sorted (start_minute, end_minute) pairs, minutes since local midnight,
# end exclusive, at most 1440.# Every weekday 0-6 is a key; a closed day maps to ().
WeeklyHours = dict[int, tuple[tuple[int, int], ...]]

DAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_HOURS_TEXT = "mon-fri 09:00-18:00; sat 09:00-13:00"
MINUTES_PER_DAY = 24 * 60
HARD_LIMIT_START = 8 * 60  # 08:00: no call starts before it, whatever RECOVERY_HOURS says
HARD_LIMIT_END = 21 * 60  # 21:00, exclusive

_ENTRY = re.compile(r"(\S+)\s+(\S.*)")
_RANGE = re.compile(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})")


def parse_hours(text: str) -> tuple[WeeklyHours | None, list[str]]:
    """Parse RECOVERY_HOURS; returns (hours, []) or (None, every problem found)."""
    problems: list[str] = []
    hours: WeeklyHours = {day: () for day in range(7)}
    seen: set[int] = set()
    entries = [entry.strip() for entry in text.split(";")]
    if not any(entries):
        return None, ["is empty (write `mon-sun closed` for no calling hours)"]
    for entry in entries:
        if not entry:
            continue  # a trailing or doubled `;` is harmless
        match = _ENTRY.fullmatch(entry)
        if match is None:
            problems.append(f"entry '{entry}' is not `DAYS HH:MM-HH:MM` or `DAYS closed`")
            continue
        days, day_problem = _parse_days(match.group(1))
        ranges, range_problems = _parse_ranges(match.group(2))
        problems.extend(f"entry '{entry}': {p}" for p in ([day_problem] if day_problem else []))
        problems.extend(f"entry '{entry}': {p}" for p in range_problems)
        for day in days:
            if day in seen:
                problems.append(f"{DAY_NAMES[day]} is listed twice")
            seen.add(day)
            hours[day] = ranges
    return (None, problems) if problems else (hours, [])


def _parse_days(text: str) -> tuple[list[int], str | None]:
    names = text.lower().split("-")
    if len(names) > 2 or any(name not in DAY_NAMES for name in names):
        return [], f"'{text}' is not a day (mon..sun) or a day range such as mon-fri"
    first, last = DAY_NAMES.index(names[0]), DAY_NAMES.index(names[-1])
    if first > last:
        return [], f"'{text}' wraps around the week; write it as two entries"
    return list(range(first, last + 1)), None


def _parse_ranges(text: str) -> tuple[tuple[tuple[int, int], ...], list[str]]:
    compact = re.sub(r"\s+", "", text)
    if compact.lower() == "closed":
        return (), []
    problems: list[str] = []
    pairs: list[tuple[int, int]] = []
    for part in compact.split(","):
        match = _RANGE.fullmatch(part)
        if match is None:
            problems.append(f"'{part}' is not a time range such as 09:00-18:00")
            continue
        start_h, start_m, end_h, end_m = (int(group) for group in match.groups())
        start, end = start_h * 60 + start_m, end_h * 60 + end_m
        if start_m > 59 or end_m > 59 or start >= MINUTES_PER_DAY or end > MINUTES_PER_DAY:
            problems.append(f"'{part}' is not a time of day (00:00 to 24:00)")
        elif start >= end:
            problems.append(f"'{part}' ends before it starts")
        else:
            pairs.append((start, end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(pairs):
        if merged and start < merged[-1][1]:
            problems.append(f"ranges overlap at {_clock(start)}")
        elif merged and start == merged[-1][1]:
            merged[-1] = (merged[-1][0], end)  # touching ranges are one opening
        else:
            merged.append((start, end))
    return tuple(merged), problems


def format_hours(hours: WeeklyHours) -> str:
    """Render WeeklyHours in the RECOVERY_HOURS grammar; parse_hours(format_hours(h)) == h."""
    entries: list[str] = []
    day = 0
    while day < 7:
        ranges = hours.get(day, ())
        last = day
        while last + 1 < 7 and hours.get(last + 1, ()) == ranges:
            last += 1
        if ranges:
            days = DAY_NAMES[day] if last == day else f"{DAY_NAMES[day]}-{DAY_NAMES[last]}"
            entries.append(f"{days} " + ",".join(f"{_clock(s)}-{_clock(e)}" for s, e in ranges))
        day = last + 1
    # An empty value would mean "unset" and bring back the default, so say closed outright.
    return "; ".join(entries) if entries else "mon-sun closed"


def days_outside_hard_limit(hours: WeeklyHours) -> list[str]:
    """Names of the days whose hours reach outside 08:00-21:00 (accepted, with a warning)."""
    return [
        DAY_NAMES[day]
        for day in range(7)
        if any(s < HARD_LIMIT_START or e > HARD_LIMIT_END for s, e in hours.get(day, ()))
    ]


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
