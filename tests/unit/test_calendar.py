"""Unit tests for core.calendar: hours, bank holidays, the hard limit, clock changes, wording."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

import pytest

from core import domain
from core.calendar import (
    DEFAULT_HOURS,
    NEVER,
    CallingWindow,
    describe_callback_time,
    iso_week,
    local_date,
    week_start,
)

LONDON = "Europe/London"
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def hm(hours: int, minutes: int = 0) -> int:
    return hours * 60 + minutes


def window(
    hours: Mapping[int, Sequence[tuple[int, int]]] = DEFAULT_HOURS,
    nation: str = "england",
    timezone: str = LONDON,
) -> CallingWindow:
    return CallingWindow(hours=hours, timezone=timezone, bank_holidays=nation)


def test_calling_window_satisfies_the_domain_window_protocol() -> None:
    checked: domain.Window = window()
    assert checked.is_open(utc(2026, 7, 1, 9))


def test_default_hours_are_weekdays_nine_to_six_and_saturday_morning() -> None:
    assert {day: tuple(r) for day, r in DEFAULT_HOURS.items()} == {
        **{day: ((hm(9), hm(18)),) for day in (MON, TUE, WED, THU, FRI)},
        SAT: ((hm(9), hm(13)),),
    }


def test_weekday_inside_hours_is_open_in_local_summer_time() -> None:
    # Wednesday 1 July 2026: 09:00 BST is 08:00 UTC.
    assert not window().is_open(utc(2026, 7, 1, 7, 59, 59))
    assert window().is_open(utc(2026, 7, 1, 8))


def test_end_of_hours_is_exclusive() -> None:
    assert window().is_open(utc(2026, 7, 1, 16, 59, 59))
    assert not window().is_open(utc(2026, 7, 1, 17))


def test_unlisted_day_is_closed() -> None:
    assert not window().is_open(utc(2026, 7, 5, 12))  # a Sunday


def test_hours_beyond_the_hard_limit_are_clipped_to_eight_till_nine() -> None:
    early_late = window({MON: [(hm(6), hm(23, 30))]})
    assert not early_late.is_open(utc(2026, 1, 5, 7, 59, 59))  # GMT: local equals UTC
    assert early_late.is_open(utc(2026, 1, 5, 8))
    assert early_late.is_open(utc(2026, 1, 5, 20, 59, 59))
    assert not early_late.is_open(utc(2026, 1, 5, 21))
    assert early_late.closes_at(utc(2026, 1, 5, 12)) == utc(2026, 1, 5, 21)


def test_hard_limit_is_local_eight_till_nine_whatever_the_hours() -> None:
    closed = window({})
    assert closed.within_hard_limit(utc(2026, 7, 5, 7))  # Sunday 08:00 BST
    assert not closed.within_hard_limit(utc(2026, 7, 5, 6, 59, 59))
    assert closed.within_hard_limit(utc(2026, 7, 5, 19, 59, 59))
    assert not closed.within_hard_limit(utc(2026, 7, 5, 20))  # 21:00 BST


@pytest.mark.parametrize("nation", ["england", "wales"])
def test_england_and_wales_close_on_easter_monday(nation: str) -> None:
    assert not window(nation=nation).is_open(utc(2026, 4, 6, 10))


@pytest.mark.parametrize(
    "day", [date(2026, 12, 28), date(2027, 12, 27), date(2027, 12, 28), date(2028, 1, 3)]
)
def test_substitute_bank_holidays_are_closed(day: date) -> None:
    assert window().is_bank_holiday(day)
    assert not window().is_open(datetime(day.year, day.month, day.day, 12, tzinfo=UTC))


def test_scotland_has_its_own_list() -> None:
    assert window(nation="scotland").is_open(utc(2026, 4, 6, 10))  # Easter Monday
    assert not window(nation="scotland").is_open(utc(2026, 11, 30, 12))  # St Andrew's Day
    assert window().is_open(utc(2026, 11, 30, 12))


def test_northern_ireland_closes_on_st_patricks_day() -> None:
    assert not window(nation="northern-ireland").is_open(utc(2026, 3, 17, 12))
    assert window().is_open(utc(2026, 3, 17, 12))


def test_none_nation_has_no_bank_holidays() -> None:
    assert window(nation="none").is_open(utc(2026, 12, 25, 12))  # Christmas Day, a Friday


@pytest.mark.parametrize(
    "kwargs",
    [
        {"bank_holidays": "france"},
        {"timezone": "Mars/Olympus"},
        {"hours": {MON: [(hm(18), hm(9))]}},
        {"hours": {MON: [(0, 1441)]}},
        {"hours": {7: [(hm(9), hm(10))]}},
    ],
)
def test_bad_settings_are_rejected(kwargs: dict[str, object]) -> None:
    settings: dict[str, object] = {
        "hours": DEFAULT_HOURS,
        "timezone": LONDON,
        "bank_holidays": "england",
    }
    with pytest.raises(ValueError):
        CallingWindow(**(settings | kwargs))  # type: ignore[arg-type]


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        window().is_open(datetime(2026, 7, 1, 10))


def test_next_opening_of_an_open_instant_is_itself() -> None:
    assert window().next_opening(utc(2026, 7, 1, 10, 30, 15)) == utc(2026, 7, 1, 10, 30, 15)


def test_next_opening_after_friday_close_is_saturday_nine() -> None:
    assert window().next_opening(utc(2026, 7, 3, 17, 30)) == utc(2026, 7, 4, 8)


def test_next_opening_skips_christmas_and_its_substitute_days() -> None:
    # Christmas 2027 is a Saturday: Mon 27 and Tue 28 are substitutes, so Wednesday 09:00 GMT.
    assert window().next_opening(utc(2027, 12, 24, 18)) == utc(2027, 12, 29, 9)


def test_next_opening_across_spring_forward_uses_summer_time() -> None:
    # Saturday 28 March 2026 13:00 GMT closes; clocks go forward on Sunday.
    assert window().next_opening(utc(2026, 3, 28, 13)) == utc(2026, 3, 30, 8)


def test_next_opening_across_the_autumn_change_uses_winter_time() -> None:
    assert window().next_opening(utc(2026, 10, 24, 12)) == utc(2026, 10, 26, 9)


def test_hours_in_the_skipped_spring_hour_never_open() -> None:
    sunday = window({SUN: [(hm(0, 30), hm(2, 30)), (hm(9), hm(10))]})
    for minute in range(0, 150, 10):
        assert not sunday.is_open(utc(2026, 3, 29, 0) + timedelta(minutes=minute))
    assert sunday.next_opening(utc(2026, 3, 29, 0)) == utc(2026, 3, 29, 8)  # 09:00 BST


def test_both_occurrences_of_the_repeated_autumn_hour_are_outside_the_window() -> None:
    sunday = window({SUN: [(hm(1), hm(2))]})
    assert not sunday.is_open(utc(2026, 10, 25, 0, 30))  # 01:30 BST
    assert not sunday.is_open(utc(2026, 10, 25, 1, 30))  # 01:30 GMT
    assert sunday.next_opening(utc(2026, 10, 25, 0, 30)) == NEVER


def test_hours_spanning_a_skipped_wall_hour_open_on_both_sides_of_it() -> None:
    # Juba went from +02 to +03 at 12:00 local on Saturday 15 January 2000.
    juba = window({SAT: [(hm(11), hm(14))]}, nation="none", timezone="Africa/Juba")
    assert juba.open_intervals(date(2000, 1, 15)) == ((utc(2000, 1, 15, 9), utc(2000, 1, 15, 11)),)
    assert juba.closes_at(utc(2000, 1, 15, 9, 30)) == utc(2000, 1, 15, 11)


def test_hours_inside_a_skipped_wall_hour_wait_for_the_next_week() -> None:
    juba = window({SAT: [(hm(12, 15), hm(12, 45))]}, nation="none", timezone="Africa/Juba")
    assert juba.next_opening(utc(2000, 1, 15, 8)) == utc(2000, 1, 22, 9, 15)


def test_both_occurrences_of_a_repeated_wall_hour_are_open() -> None:
    # Vostok went from +07 to +00 at midnight on 31 January 1994: 17:00-24:00 came twice.
    vostok = window({MON: [(hm(18), hm(19))]}, nation="none", timezone="Antarctica/Vostok")
    assert vostok.is_open(utc(1994, 1, 31, 11, 30))
    assert vostok.is_open(utc(1994, 1, 31, 18, 30))
    assert vostok.closes_at(utc(1994, 1, 31, 11, 30)) == utc(1994, 1, 31, 12)
    assert vostok.next_opening(utc(1994, 1, 31, 12)) == utc(1994, 1, 31, 18)


def test_closes_at_is_the_end_of_the_hours() -> None:
    assert window().closes_at(utc(2026, 7, 4, 9)) == utc(2026, 7, 4, 12)  # Saturday 13:00 BST


def test_closes_at_is_none_when_closed() -> None:
    assert window().closes_at(utc(2026, 7, 4, 12)) is None


def test_touching_and_overlapping_ranges_close_as_one() -> None:
    split = window({MON: [(hm(9), hm(12)), (hm(12), hm(13)), (hm(12, 30), hm(14))]})
    assert split.closes_at(utc(2026, 1, 5, 10)) == utc(2026, 1, 5, 14)


def test_hours_that_never_open_give_never() -> None:
    night = window({MON: [(0, hm(7))], SUN: [(hm(21), hm(24))]})
    assert not night.ever_open
    assert night.next_opening(utc(2026, 1, 5, 3)) == NEVER


LONDON_NOW = utc(2026, 12, 22, 19)  # Tuesday 22 December 2026, 19:00 GMT


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (utc(2026, 12, 22, 20), "at 8pm today"),
        (utc(2026, 12, 23, 9), "at 9am tomorrow"),
        (utc(2026, 12, 24, 9, 30), "at 9:30am on Thursday"),
        (utc(2026, 12, 28, 12, 5), "at 12:05pm on Monday"),
        (utc(2026, 12, 29, 9), "at 9am on Tuesday 29 December"),
        (utc(2027, 1, 4, 0, 15), "at 12:15am on Monday 4 January"),
    ],
)
def test_callback_time_is_described_relative_to_today(due: datetime, expected: str) -> None:
    said = describe_callback_time(due=due, now=LONDON_NOW, timezone=LONDON)
    assert said == expected
    assert said.isascii()


def test_callback_time_is_described_in_local_summer_time() -> None:
    said = describe_callback_time(
        due=utc(2026, 7, 2, 8), now=utc(2026, 7, 1, 23, 30), timezone=LONDON
    )
    assert said == "at 9am today"  # 00:30 BST on 2 July is already "today"


def test_local_date_and_week_follow_the_business_zone() -> None:
    late = utc(2026, 6, 30, 23, 30)  # 00:30 BST on Wednesday 1 July
    assert local_date(late, LONDON) == date(2026, 7, 1)
    assert local_date(late, "UTC") == date(2026, 6, 30)
    assert week_start(late, LONDON) == date(2026, 6, 29)


def test_iso_week_uses_the_iso_year_at_new_year() -> None:
    assert iso_week(utc(2027, 1, 3, 12), LONDON) == (2026, 53)
    assert iso_week(utc(2027, 1, 3, 23, 30), "Asia/Tokyo") == (2027, 1)
