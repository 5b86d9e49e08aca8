"""Opt-out and re-subscribe keywords (PRODUCT.md section 4): examples, then properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.messages import Keyword, parse_keyword

OPT_OUT_WORDS = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"]
OPT_OUT_WORDS += ["REMOVE"]
RESUBSCRIBE_WORDS = ["START", "UNSTOP"]

# --- examples -----------------------------------------------------------------------------------


@pytest.mark.parametrize("word", OPT_OUT_WORDS)
def test_every_opt_out_keyword_opts_out_in_any_case(word: str) -> None:
    assert parse_keyword(word) is Keyword.OPT_OUT
    assert parse_keyword(word.lower()) is Keyword.OPT_OUT
    assert parse_keyword(word.capitalize()) is Keyword.OPT_OUT


def test_stop_texting_me_is_an_opt_out() -> None:
    assert parse_keyword("Stop texting me") is Keyword.OPT_OUT


def test_stop_comma_wrong_number_is_an_opt_out() -> None:
    assert parse_keyword("Stop, wrong number") is Keyword.OPT_OUT


def test_stopcocks_leaking_is_not_an_opt_out() -> None:
    assert parse_keyword("Stopcock's leaking") is Keyword.NONE


def test_stopped_is_not_an_opt_out() -> None:
    assert parse_keyword("stopped by earlier, call me") is Keyword.NONE


def test_opt_out_with_a_hyphen_opts_out() -> None:
    assert parse_keyword("Opt-out") is Keyword.OPT_OUT


def test_opt_out_with_a_space_or_underscore_opts_out() -> None:
    assert parse_keyword("opt out") is Keyword.OPT_OUT
    assert parse_keyword("UN_SUBSCRIBE") is Keyword.OPT_OUT


def test_an_en_dash_counts_as_a_hyphen() -> None:
    assert parse_keyword("opt–out") is Keyword.OPT_OUT


def test_stop_all_with_a_space_opts_out() -> None:
    assert parse_keyword("stop all") is Keyword.OPT_OUT


def test_keyword_wrapped_in_punctuation_and_whitespace_opts_out() -> None:
    assert parse_keyword("  ...Cancel!!!\n") is Keyword.OPT_OUT
    assert parse_keyword("«QUIT»") is Keyword.OPT_OUT


def test_trailing_emoji_does_not_hide_an_opt_out() -> None:
    assert parse_keyword("end 🙏") is Keyword.OPT_OUT
    assert parse_keyword("stop✋️") is Keyword.OPT_OUT


def test_fullwidth_letters_are_normalised_before_matching() -> None:
    assert parse_keyword("ＳＴＯＰ") is Keyword.OPT_OUT


def test_keyword_inside_a_sentence_is_a_reply() -> None:
    assert parse_keyword("Please cancel my booking") is Keyword.NONE
    assert parse_keyword("end of terrace, 3 bed") is Keyword.NONE


def test_start_and_unstop_resubscribe() -> None:
    assert parse_keyword("Start") is Keyword.RESUBSCRIBE
    assert parse_keyword(" un-stop. ") is Keyword.RESUBSCRIBE


def test_unstop_is_not_read_as_stop() -> None:
    assert parse_keyword("UNSTOP") is not Keyword.OPT_OUT


def test_start_inside_a_sentence_is_a_reply() -> None:
    assert parse_keyword("Start on Monday?") is Keyword.NONE


@pytest.mark.parametrize("body", [None, "", "   ", "\n"])
def test_empty_message_is_a_reply(body: str | None) -> None:
    assert parse_keyword(body) is Keyword.NONE


def test_punctuation_only_message_is_a_reply() -> None:
    assert parse_keyword("?!") is Keyword.NONE


# --- properties ---------------------------------------------------------------------------------

EDGE_NOISE = st.text(alphabet=" \t\n.,!?;:'\"()-_*«»¡¿…👍🙏✋️", max_size=6)
SEPARATORS = st.sampled_from(["", "", "", " ", "-", "_", "–", "  "])


def spelled(word: str, data: st.DataObject) -> str:
    """`word` with random letter case and inner spaces, hyphens or underscores, wrapped in noise."""
    letters = [data.draw(st.sampled_from([ch.lower(), ch.upper()])) for ch in word]
    inner = "".join(ch + data.draw(SEPARATORS) for ch in letters[:-1]) + letters[-1]
    return data.draw(EDGE_NOISE) + inner + data.draw(EDGE_NOISE)


@given(st.one_of(st.none(), st.text()))
def test_parse_keyword_never_raises_on_arbitrary_text(body: str | None) -> None:
    assert parse_keyword(body) in set(Keyword)


@given(st.text(alphabet=st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "Mn", "So"])))
def test_parse_keyword_never_raises_on_controls_marks_and_symbols(body: str) -> None:
    assert parse_keyword(body) in set(Keyword)


@settings(max_examples=20, deadline=None)
@given(st.text(min_size=1, max_size=20))
def test_parse_keyword_handles_very_long_messages(chunk: str) -> None:
    assert parse_keyword(chunk * 20_000) in set(Keyword)


@given(st.sampled_from(OPT_OUT_WORDS), st.data())
def test_opt_out_words_survive_case_spacing_and_punctuation(word: str, data: st.DataObject) -> None:
    assert parse_keyword(spelled(word, data)) is Keyword.OPT_OUT


@given(st.sampled_from(RESUBSCRIBE_WORDS), st.data())
def test_resubscribe_words_survive_case_spacing_and_punctuation(
    word: str, data: st.DataObject
) -> None:
    assert parse_keyword(spelled(word, data)) is Keyword.RESUBSCRIBE


@given(st.sampled_from([" ", ",", ".", "!", "'", "-", "\n"]), st.text())
def test_stop_as_the_first_word_opts_out_whatever_follows(separator: str, rest: str) -> None:
    assert parse_keyword("Stop" + separator + rest) is Keyword.OPT_OUT


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12), st.text())
def test_words_that_only_begin_with_stop_are_replies(suffix: str, rest: str) -> None:
    # The "x" keeps the rest from completing a keyword ("stop" "a" + "ll" is STOPALL).
    if "STOP" + suffix.upper() in OPT_OUT_WORDS:
        suffix += "x"
    assert parse_keyword("stop" + suffix + " x " + rest) is Keyword.NONE


@given(st.text(alphabet=st.characters(categories=["P", "Z", "S", "Cc"])))
def test_messages_of_only_punctuation_symbols_and_space_are_replies(body: str) -> None:
    assert parse_keyword(body) is Keyword.NONE
