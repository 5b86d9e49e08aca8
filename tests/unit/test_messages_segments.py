"""Unit tests for core.messages: counting segments in GSM-7 and UCS-2, and finding the characters
that make a message UCS-2."""

from __future__ import annotations

from core.messages import encoding, non_gsm_characters, segments


def test_160_gsm7_characters_are_one_segment_and_161_are_two() -> None:
    assert segments("a" * 160) == 1
    assert segments("a" * 161) == 2


def test_gsm7_parts_hold_153_characters() -> None:
    assert segments("a" * 306) == 2
    assert segments("a" * 307) == 3


def test_extension_characters_count_double_in_segments() -> None:
    assert segments("€" * 80) == 1
    assert segments("€" * 81) == 2
    assert segments("{}[]~\\|^" * 10) == 1
    assert segments("{}[]~\\|^" * 10 + "a") == 2


def test_an_escape_never_straddles_two_parts() -> None:
    assert segments("a" * 152 + "€" + "a" * 152) == 3


def test_ucs2_holds_70_in_one_and_67_per_part() -> None:
    assert segments("’" + "a" * 69) == 1
    assert segments("’" + "a" * 70) == 2
    assert segments("’" + "a" * 133) == 2
    assert segments("’" + "a" * 134) == 3


def test_emoji_count_as_two_utf16_units() -> None:
    assert segments("😀" * 35) == 1
    assert segments("😀" * 36) == 2


def test_empty_text_has_no_segments() -> None:
    assert segments("") == 0


def test_one_em_dash_turns_a_message_into_ucs2() -> None:
    assert encoding("Hello there") == "GSM-7"
    assert encoding("Hello — there") == "UCS-2"


def test_non_gsm_characters_lists_each_culprit_once_in_order() -> None:
    assert non_gsm_characters("a—b’c—é😀") == ["—", "’", "😀"]
