"""Value formats of the configuration contract (PRODUCT.md section 7) and the NAME: problem line."""

from __future__ import annotations

import pytest

from core.config_formats import (
    Problem,
    api_base_problem,
    parse_bank_holidays,
    parse_boolean,
    parse_company_name,
    parse_decimal,
    parse_mail_from,
    parse_numbers,
    parse_timezone,
    value_of,
)


def test_a_problem_renders_as_one_name_colon_problem_line() -> None:
    assert str(Problem("TWILIO_AUTH_TOKEN", "required")) == "TWILIO_AUTH_TOKEN: required"


def test_an_empty_or_blank_variable_counts_as_unset() -> None:
    environment = {"A": "", "B": "   ", "C": " x "}
    assert value_of(environment, "A") is None
    assert value_of(environment, "B") is None
    assert value_of(environment, "C") == "x"
    assert value_of(environment, "D") is None


def test_numbers_are_comma_separated_e164_once_spaces_are_removed() -> None:
    numbers, problems = parse_numbers("+44 113 496 0000, +447700900123 ,+442079460999")
    assert problems == []
    assert numbers == ("+441134960000", "+447700900123", "+442079460999")


def test_blank_entries_and_repeats_are_dropped() -> None:
    assert parse_numbers("+447700900123,,+447700900123,") == (("+447700900123",), [])


@pytest.mark.parametrize(
    "text",
    [
        "07700900123",  # national format
        "+0447700900123",  # leading zero after +
        "+4477009",  # 6 digits after the country code digit: too short
        "+4477009001234567",  # 16 digits: too long
        "+44-7700-900123",
        "447700900123",
    ],
)
def test_numbers_not_in_e164_are_refused(text: str) -> None:
    assert parse_numbers(text)[1]


def test_a_bad_number_is_quoted_by_its_last_digits_only() -> None:
    _, problems = parse_numbers("+447700900123, 07700900456")
    assert problems == ["entry 2 (ending '456') is not an E.164 number such as +447700900123"]
    assert "07700900456" not in problems[0]


@pytest.mark.parametrize("text,value", [("0", 0.0), ("5", 5.0), ("0.5", 0.5), ("2700", 2700.0)])
def test_decimals_are_plain_non_negative_numbers(text: str, value: float) -> None:
    assert parse_decimal(text) == (value, [])


@pytest.mark.parametrize("text", ["-1", "1e3", ".5", "5.", "1,5", "five", "0x10", "+5"])
def test_anything_else_is_not_a_decimal(text: str) -> None:
    assert parse_decimal(text)[1]


@pytest.mark.parametrize(
    "text,value",
    [
        ("true", True),
        ("TRUE", True),
        ("Yes", True),
        ("1", True),
        ("false", False),
        ("No", False),
        ("0", False),
        ("FALSE", False),
    ],
)
def test_booleans_are_true_false_one_zero_yes_no_in_any_case(text: str, value: bool) -> None:
    assert parse_boolean(text) == (value, [])


@pytest.mark.parametrize("text", ["on", "off", "y", "2", "truthy"])
def test_other_words_are_not_booleans(text: str) -> None:
    assert parse_boolean(text)[1]


def test_company_name_may_be_forty_characters_but_not_forty_one() -> None:
    assert parse_company_name("A" * 40)[1] == []
    assert parse_company_name("A" * 41)[1] == ["is 41 characters long; at most 40 are allowed"]


@pytest.mark.parametrize("text", ["england", "wales", "scotland", "northern-ireland", "none"])
def test_each_bank_holiday_region_is_accepted_in_any_case(text: str) -> None:
    assert parse_bank_holidays(text.upper()) == (text, [])


def test_an_unknown_bank_holiday_region_is_refused() -> None:
    assert parse_bank_holidays("ireland")[1]


def test_time_zones_must_be_known_to_zoneinfo() -> None:
    assert parse_timezone("Europe/London")[1] == []
    assert parse_timezone("America/New_York")[1] == []
    assert parse_timezone("Europe/Londres")[1]
    assert parse_timezone("../etc/passwd")[1]


@pytest.mark.parametrize(
    "text,parts",
    [
        ("team@example.com", ("", "team@example.com")),
        ("Acme Plumbing <team@example.com>", ("Acme Plumbing", "team@example.com")),
        ('"Acme, Ltd" <team@mail.example.com>', ("Acme, Ltd", "team@mail.example.com")),
    ],
)
def test_mail_from_is_an_address_or_a_name_and_an_address(
    text: str, parts: tuple[str, str]
) -> None:
    assert parse_mail_from(text) == parts


@pytest.mark.parametrize(
    "text", ["team", "team@example", "Acme team@example.com", "<team@example.com", "a@b@c.com"]
)
def test_other_mail_from_values_are_refused(text: str) -> None:
    assert parse_mail_from(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "https://api.example.com",
        "http://127.0.0.1:8765",
        "http://localhost:9000/",
        "http://[::1]:80",
    ],
)
def test_api_bases_are_scheme_host_and_port(text: str) -> None:
    assert api_base_problem(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "api.example.com",
        "ftp://api.example.com",
        "https://api.example.com/2010-04-01",
        "https://api.example.com?x=1",
        "https://user:pw@api.example.com",
        "http://127.0.0.1:99999",
        "http://127.0.0.1:port",
        "https://",
    ],
)
def test_api_bases_with_a_path_or_anything_odd_are_refused(text: str) -> None:
    assert api_base_problem(text)
