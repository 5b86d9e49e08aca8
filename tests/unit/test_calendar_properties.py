"""Property tests for the calling window: random hours, every nation, instants across 2026-2028.

Instants are drawn uniformly and near the hard cases: both clock changes of each year and the
Christmas and New Year substitute days. The oracle is the definition itself (local wall time in the
hours, local date not on the `holidays` list, 08:00 <= wall time < 21:00), written independently of
core.calendar. Chosen reading: closes_at(t) is always a closed instant, because the hard limit ends
every opening at 21:00 local, so hours can never run on past midnight into the next day.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from core.calendar import CallingWindow

LONDON = ZoneInfo("Europe/London")
NATIONS = {"england": "ENG", "wales": "WLS", "scotland": "SCT", "northern-ireland": "NIR"}
START, END = datetime(2026, 1, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC)
HARD_CASES = [
    datetime(2026, 3, 29, 1, tzinfo=UTC),  # spring forward
    datetime(2026, 10, 25, 1, tzinfo=UTC),  # fall back
    datetime(2027, 3, 28, 1, tzinfo=UTC),
    datetime(2027, 10, 31, 1, tzinfo=UTC),
    datetime(2028, 3, 26, 1, tzinfo=UTC),
    datetime(2028, 10, 29, 1, tzinfo=UTC),
    datetime(2026, 12, 25, 12, tzinfo=UTC),  # Christmas on Friday, Boxing Day on Saturday
    datetime(2027, 12, 25, 12, tzinfo=UTC),  # both on the weekend: two substitute days
    datetime(2028, 1, 1, 12, tzinfo=UTC),  # New Year's Day on Saturday
]
PROPERTY_SETTINGS = settings(max_examples=250, deadline=None)

# Mostly near the hard limit's edges, so that intervals are often clipped, touch or overlap.
minutes = st.one_of(
    st.integers(min_value=0, max_value=24 * 60),
    st.integers(min_value=7 * 4, max_value=22 * 4).map(lambda quarter: quarter * 15),
)
day_ranges = st.lists(
    st.tuples(minutes, minutes).filter(lambda r: r[0] != r[1]).map(lambda r: (min(r), max(r))),
    max_size=3,
)
hours_strategy = st.one_of(
    st.dictionaries(st.integers(min_value=0, max_value=6), day_ranges, max_size=7),
    st.just({day: [(540, 1080)] for day in range(5)} | {5: [(540, 780)]}),  # the default
)
nations = st.sampled_from([*NATIONS, "none"])
uniform_instants = st.integers(0, int((END - START).total_seconds())).map(
    lambda s: START + timedelta(seconds=s)
)
near_hard_cases = st.builds(
    lambda base, offset, micro: base + timedelta(seconds=offset, microseconds=micro),
    st.sampled_from(HARD_CASES),
    st.integers(-3 * 86400, 3 * 86400),
    st.sampled_from([0, 0, 1, 999_999]),
)
on_the_minute = uniform_instants.map(lambda t: t.replace(second=0))
instants = st.one_of(uniform_instants, near_hard_cases, on_the_minute)
fractions = st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=6)


def oracle_open(hours: dict[int, list[tuple[int, int]]], nation: str, at: datetime) -> bool:
    """The calling window's definition, straight from PRODUCT.md section 2."""
    local = at.astimezone(LONDON)
    minute = local.hour * 60 + local.minute
    in_hours = any(start <= minute < end for start, end in hours.get(local.weekday(), []))
    in_hard_limit = 8 * 60 <= minute < 21 * 60
    return in_hours and in_hard_limit and not is_holiday(nation, at)


def is_holiday(nation: str, at: datetime) -> bool:
    day = at.astimezone(LONDON).date()
    if nation == "none":
        return False
    return day in holidays.country_holidays("GB", subdiv=NATIONS[nation], years=day.year)


def build(hours: dict[int, list[tuple[int, int]]], nation: str) -> CallingWindow:
    return CallingWindow(hours=hours, timezone="Europe/London", bank_holidays=nation)


@PROPERTY_SETTINGS
@given(hours=hours_strategy, nation=nations, at=instants)
def test_open_means_in_hours_not_a_bank_holiday_and_within_the_hard_limit(
    hours: dict[int, list[tuple[int, int]]], nation: str, at: datetime
) -> None:
    window = build(hours, nation)
    assert window.is_open(at) == oracle_open(hours, nation, at)
    if window.is_open(at):
        assert window.within_hard_limit(at)
        assert not is_holiday(nation, at)


@PROPERTY_SETTINGS
@given(hours=hours_strategy, nation=nations, at=instants, samples=fractions)
def test_next_opening_is_the_first_open_instant_at_or_after_t(
    hours: dict[int, list[tuple[int, int]]], nation: str, at: datetime, samples: list[float]
) -> None:
    window = build(hours, nation)
    if not window.ever_open:
        return  # covered by the unit test for hours that never open
    opening = window.next_opening(at)
    assert opening >= at
    assert oracle_open(hours, nation, opening)
    if opening != at:
        assert not oracle_open(hours, nation, at)
        assert not oracle_open(hours, nation, opening - timedelta(microseconds=1))
        assert not oracle_open(hours, nation, max(at, opening - timedelta(seconds=1)))
        for fraction in samples:
            between = at + (opening - at) * fraction
            if at <= between < opening:
                assert not oracle_open(hours, nation, between)


@PROPERTY_SETTINGS
@given(
    hours=hours_strategy,
    nation=nations,
    start=instants,
    shift=st.one_of(st.none(), st.integers(min_value=0, max_value=6 * 3600)),
    samples=fractions,
)
def test_closes_at_ends_the_open_interval_containing_t(
    hours: dict[int, list[tuple[int, int]]],
    nation: str,
    start: datetime,
    shift: int | None,
    samples: list[float],
) -> None:
    window = build(hours, nation)
    at = start
    if shift is not None and window.ever_open:
        # Land near an opening so that open instants are common; the oracle still judges.
        at = window.next_opening(start) + timedelta(seconds=shift)
    closing = window.closes_at(at)
    if not oracle_open(hours, nation, at):
        assert closing is None
        return
    assert closing is not None
    assert closing > at
    assert not oracle_open(hours, nation, closing)
    assert oracle_open(hours, nation, closing - timedelta(microseconds=1))
    for fraction in samples:
        between = at + (closing - at) * fraction
        if at <= between < closing:
            assert oracle_open(hours, nation, between)
