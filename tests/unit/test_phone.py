"""Unit tests for core.phone: withheld IDs, normalising, valid callers, UK types, masking."""

from __future__ import annotations

import pytest

from core import phone

# Ofcom drama ranges as national forms; every one is checked at both ends of its range.
DRAMA_RANGES = [
    "07700 900",
    "0113 496 0",
    "0114 496 0",
    "0115 496 0",
    "0116 496 0",
    "0117 496 0",
    "0118 496 0",
    "0121 496 0",
    "0131 496 0",
    "0141 496 0",
    "0151 496 0",
    "0161 496 0",
    "020 7946 0",
    "028 9649 6",
    "029 2018 0",
    "01632 960",
    "0191 498 0",
    "0808 157 0",
    "0909 879 0",
    "03069 990",
]
DRAMA_NUMBERS = [prefix + tail for prefix in DRAMA_RANGES for tail in ("000", "999")]
US_FICTIONAL = "+12025550123"  # 555-01xx is reserved for fiction


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_empty_caller_id_is_withheld(raw: str | None) -> None:
    assert phone.is_withheld(raw)


@pytest.mark.parametrize(
    "raw",
    ["anonymous", "Anonymous", "RESTRICTED", "unknown", "Private", "blocked", "UNAVAILABLE"],
)
def test_withheld_words_in_any_case_are_withheld(raw: str) -> None:
    assert phone.is_withheld(raw)


@pytest.mark.parametrize(
    "raw", ["+266696687", "+7378742833", "+2562533", "+8656696", "+86282452253", "266696687"]
)
def test_twilio_placeholder_numbers_are_withheld(raw: str) -> None:
    assert phone.is_withheld(raw)


@pytest.mark.parametrize(
    "raw", ["client:alice", "sip:+447700900123@example.com", "sim:HS123", "alice@example.com"]
)
def test_identities_with_a_colon_or_at_sign_are_withheld(raw: str) -> None:
    assert phone.is_withheld(raw)


@pytest.mark.parametrize("raw", ["+447700900123", "07700 900123", US_FICTIONAL, "Unknownish"])
def test_a_number_or_other_word_is_not_withheld(raw: str) -> None:
    assert not phone.is_withheld(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("07700 900123", "+447700900123"),
        ("07700900123", "+447700900123"),
        ("+44 (0)7700 900123", "+447700900123"),
        ("0044 7700 900123", "+447700900123"),
        ("(020) 7946 0123", "+442079460123"),
        ("+44 113 496 0123", "+441134960123"),
        ("+1 (202) 555-0123", US_FICTIONAL),
    ],
)
def test_numbers_in_national_or_spaced_forms_normalise_to_e164(raw: str, expected: str) -> None:
    assert phone.normalise(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "anonymous", "client:alice", "+266696687", ""])
def test_text_that_is_not_a_caller_number_does_not_normalise(raw: str) -> None:
    assert phone.normalise(raw) is None


@pytest.mark.parametrize("raw", DRAMA_NUMBERS)
def test_every_drama_range_is_a_valid_caller(raw: str) -> None:
    assert phone.is_valid_caller(raw)
    assert phone.is_drama_number(phone.normalise(raw) or "")


@pytest.mark.parametrize("raw", ["12", "+4477", "+44770090012345678", "+266696687", "anonymous"])
def test_short_long_or_withheld_values_are_not_valid_callers(raw: str) -> None:
    assert not phone.is_valid_caller(raw)


def test_a_possible_foreign_number_is_a_valid_caller() -> None:
    assert phone.is_valid_caller(US_FICTIONAL)


def test_plus_44_numbers_are_uk_and_others_are_not() -> None:
    assert phone.is_uk("+447700900123")
    assert phone.is_uk("+442079460123")
    assert not phone.is_uk(US_FICTIONAL)


@pytest.mark.parametrize(
    "e164",
    [
        "+441134960123",  # FIXED_LINE by type
        "+442079460123",
        "+442896496123",
        "+441154960123",  # UNKNOWN to phonenumbers: the +441 rule
        "+441632960123",
    ],
)
def test_drama_geographic_numbers_are_uk_landlines_not_mobiles(e164: str) -> None:
    assert phone.is_uk_landline(e164)
    assert not phone.is_uk_mobile(e164)


def test_drama_mobile_range_is_a_uk_mobile_by_the_plus_447_rule() -> None:
    # phonenumbers calls 07700 900xxx invalid (type UNKNOWN); the prefix rule makes it a mobile.
    assert phone.is_uk_mobile("+447700900123")
    assert not phone.is_uk_landline("+447700900123")


@pytest.mark.parametrize("e164", ["+44700000000", "+44760000000"])
def test_unknown_personal_and_pager_prefixes_are_not_mobiles(e164: str) -> None:
    # Too short to be valid, so UNKNOWN: +4470 and +4476 stay out of the +447 mobile rule.
    assert not phone.is_uk_mobile(e164)
    assert not phone.is_uk_landline(e164)


@pytest.mark.parametrize("e164", ["+448081570123", "+449098790123", "+443069990123"])
def test_drama_freephone_premium_and_03_numbers_are_neither_landline_nor_mobile(e164: str) -> None:
    assert not phone.is_uk_landline(e164)
    assert not phone.is_uk_mobile(e164)


def test_a_foreign_fixed_line_or_mobile_number_is_not_a_uk_mobile() -> None:
    # phonenumbers types US numbers FIXED_LINE_OR_MOBILE; only UK numbers are classified.
    assert not phone.is_uk_mobile(US_FICTIONAL)
    assert not phone.is_uk_landline(US_FICTIONAL)


def test_mask_hides_everything_but_the_last_three_digits() -> None:
    assert phone.mask("+447700900123") == "**********123"
    assert phone.mask("+442079460987") == "**********987"


def test_mask_hides_short_values_and_identities_completely() -> None:
    assert phone.mask("123") == "***"
    assert phone.mask("client:alice") == "************"


def test_same_number_compares_normalised_forms() -> None:
    assert phone.same_number("07700 900123", "+447700900123")
    assert phone.same_number("+44 20 7946 0123", "(020) 7946 0123")


def test_different_or_unparseable_numbers_are_not_the_same() -> None:
    assert not phone.same_number("+447700900123", "+447700900124")
    assert not phone.same_number("anonymous", "anonymous")
    assert not phone.same_number(None, "+447700900123")
