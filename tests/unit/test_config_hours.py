"""RECOVERY_HOURS (PRODUCT.md section 7): parse_hours, format_hours and the hard-limit check."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.hours import (
    DEFAULT_HOURS_TEXT,
    WeeklyHours,
    days_outside_hard_limit,
    format_hours,
    parse_hours,
)

NINE, ONE, SIX = 9 * 60, 13 * 60, 18 * 60


def hours_of(text: str) -> WeeklyHours:
    hours, problems = parse_hours(text)
    assert problems == []
    assert hours is not None
    return hours


def problems_of(text: str) -> list[str]:
    hours, problems = parse_hours(text)
    assert hours is None
    return problems


def test_default_hours_are_weekdays_nine_to_six_and_saturday_morning() -> None:
    assert hours_of(DEFAULT_HOURS_TEXT) == {
        0: ((NINE, SIX),),
        1: ((NINE, SIX),),
        2: ((NINE, SIX),),
        3: ((NINE, SIX),),
        4: ((NINE, SIX),),
        5: ((NINE, ONE),),
        6: (),
    }


def test_days_are_any_case_and_a_single_day_works() -> None:
    assert hours_of("MON 09:00-10:00; Wed 11:00-12:00")[2] == ((11 * 60, 12 * 60),)


def test_unlisted_days_are_closed_and_closed_is_explicit_too() -> None:
    hours = hours_of("tue 09:00-17:00; sat-sun CLOSED")
    assert hours[0] == () and hours[5] == () and hours[6] == ()
    assert hours[1] == ((NINE, 17 * 60),)


def test_several_ranges_are_sorted_and_may_have_spaces_after_commas() -> None:
    hours = hours_of("mon 13:00-17:00, 09:00-12:00")
    assert hours[0] == ((NINE, 12 * 60), (ONE, 17 * 60))


def test_end_is_exclusive_and_may_be_midnight() -> None:
    assert hours_of("fri 20:00-24:00")[4] == ((20 * 60, 1440),)


def test_touching_ranges_become_one_opening() -> None:
    assert hours_of("mon 09:00-12:00,12:00-13:00")[0] == ((NINE, ONE),)


def test_a_trailing_semicolon_is_harmless() -> None:
    assert hours_of("mon 09:00-10:00;")[0] == ((NINE, 10 * 60),)


def test_a_day_listed_twice_is_an_error() -> None:
    assert "fri is listed twice" in problems_of("mon-fri 09:00-18:00; fri 10:00-12:00")


def test_a_wrap_around_day_range_is_an_error() -> None:
    assert any("wraps around" in p for p in problems_of("sat-mon 09:00-12:00"))


@pytest.mark.parametrize(
    "text",
    [
        "mon 18:00-09:00",  # start after end
        "mon 09:00-09:00",  # empty range
        "mon 09:00-24:01",  # past midnight
        "mon 24:00-24:00",  # starts at midnight of the next day
        "mon 09:60-10:00",  # no such minute
        "mon 9-17",  # not HH:MM
        "monday 09:00-17:00",  # not a three-letter day
        "mon",  # no ranges
        "mon 09:00-12:00,11:00-13:00",  # overlapping ranges
        "mon-tue-wed 09:00-17:00",
        "",
        " ; ",
    ],
)
def test_malformed_hours_are_refused(text: str) -> None:
    assert problems_of(text)


def test_every_problem_is_listed_not_just_the_first() -> None:
    problems = problems_of("xyz 09:00-10:00; mon 10:00-09:00; tue 9am-5pm")
    assert len(problems) == 3


def test_format_renders_the_default_back_to_its_own_text() -> None:
    assert format_hours(hours_of(DEFAULT_HOURS_TEXT)) == DEFAULT_HOURS_TEXT


def test_format_of_an_all_closed_week_says_closed_so_it_is_not_read_as_unset() -> None:
    closed = {day: () for day in range(7)}
    assert format_hours(closed) == "mon-sun closed"
    assert hours_of("mon-sun closed") == closed


def test_hours_outside_eight_to_nine_are_named_for_the_warning() -> None:
    hours = hours_of("mon 07:30-12:00; tue 09:00-21:00; sat 10:00-21:30")
    assert days_outside_hard_limit(hours) == ["mon", "sat"]


_RANGES = st.lists(st.integers(min_value=0, max_value=1440), max_size=6, unique=True).map(
    lambda cuts: tuple(zip(sorted(cuts)[0::2], sorted(cuts)[1::2], strict=False))
)


@given(st.fixed_dictionaries({day: _RANGES for day in range(7)}))
def test_format_then_parse_gives_back_the_same_hours(week: WeeklyHours) -> None:
    # Pairs of distinct sorted cut points never overlap or touch, as parse_hours would leave them.
    assert hours_of(format_hours(week)) == week
