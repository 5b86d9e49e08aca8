"""Unit tests for core.messages: the default templates and the problems a template can have
(placeholders, braces, length in segments, promotional wording)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.domain import TemplateKind
from core.messages import CALLBACK_WHEN_MAX, DEFAULT_TEMPLATES, promotional_words, template_problems


def test_default_templates_are_the_three_texts_of_the_product_spec() -> None:
    assert DEFAULT_TEMPLATES[TemplateKind.IN_HOURS] == (
        "Hi {first_name}, sorry we missed your call to {company}. We'll call you back in the next "
        "few minutes, or just reply here. Reply STOP to opt out."
    )
    assert DEFAULT_TEMPLATES[TemplateKind.AFTER_HOURS] == (
        "Hi {first_name}, sorry we missed your call to {company}. We'll call you back "
        "{callback_when}, or just reply here. Reply STOP to opt out."
    )
    assert DEFAULT_TEMPLATES[TemplateKind.NO_CALL] == (
        "Hi {first_name}, sorry we missed your call to {company}. Just reply here and we'll get "
        "back to you. Reply STOP to opt out."
    )
    assert set(DEFAULT_TEMPLATES) == set(TemplateKind)


def test_default_templates_have_no_problems() -> None:
    for template in DEFAULT_TEMPLATES.values():
        assert template_problems(template) == []


def test_unknown_placeholder_is_a_problem() -> None:
    problems = template_problems("Hi {name}, sorry we missed your call.")
    assert len(problems) == 1
    assert "{name}" in problems[0]


def test_empty_template_is_a_problem() -> None:
    assert template_problems("   ") == ["the template is empty"]


def test_longest_callback_time_is_the_spelled_out_wednesday_in_september() -> None:
    assert len("at 12:30pm on Wednesday 30 September") == CALLBACK_WHEN_MAX


def test_stray_brace_is_a_problem() -> None:
    for template in ("Hi {first_name}, call {company", "Hi } {first_name}", "{{company}}"):
        problems = template_problems(template)
        assert any("brace" in problem for problem in problems), template


def test_empty_or_formatted_placeholder_is_unknown() -> None:
    assert template_problems("Hi {}, from {company}")
    assert template_problems("Hi {first_name:>9}, from {company}")
    assert template_problems("Hi {First_Name}, from {company}")


def test_template_that_could_exceed_two_segments_is_refused() -> None:
    # 20 for {first_name}; one septet is kept back for an escape that cannot straddle the parts.
    assert template_problems("x" * 285 + "{first_name}") == []
    problems = template_problems("x" * 286 + "{first_name}")
    assert len(problems) == 1 and "2 SMS segments" in problems[0]


def test_every_placeholder_counts_at_its_maximum_length() -> None:
    fixed = 305 - 20 - 40 - CALLBACK_WHEN_MAX
    assert template_problems("x" * fixed + "{first_name}{company}{callback_when}") == []
    assert template_problems("x" * (fixed + 1) + "{first_name}{company}{callback_when}")


def test_extension_characters_in_a_template_count_double() -> None:
    assert template_problems("[" * 142 + "{first_name}") == []
    assert template_problems("[" * 143 + "{first_name}")


def test_template_with_a_non_gsm_character_is_measured_as_ucs2() -> None:
    assert template_problems("’" + "x" * 112 + "{first_name}") == []
    assert template_problems("’" + "x" * 113 + "{first_name}")


def test_template_without_placeholders_may_fill_two_whole_segments() -> None:
    assert template_problems("x" * 306) == []
    assert template_problems("x" * 307)


def test_promotional_template_is_refused() -> None:
    problems = template_problems("Hi {first_name}, 20% off at {company} this week!")
    assert problems == [
        "promotional wording (messages are service replies, never marketing): 20% off"
    ]


def test_every_problem_of_a_template_is_listed() -> None:
    assert len(template_problems("Free {gift} } " + "x" * 400)) == 4


@given(st.text())
def test_template_problems_never_raises(template: str) -> None:
    assert isinstance(template_problems(template), list)


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("See our special offer", "special offer"),
        ("Get 20% off today", "20% off"),
        ("Ask for a free quote", "free"),
        ("Our summer sale is on", "sale"),
        ("Great deals on boilers", "deals"),
        ("Best price in town", "price"),
        ("Call-out from £49", "£49"),
        ("Only 10 pounds", "10 pounds"),
        ("Use promo code SPRING", "promo"),
        ("Your voucher is ready", "voucher"),
        ("Coupon inside", "Coupon"),
        ("For a limited time", "limited time"),
        ("Buy now", "Buy now"),
        ("Discounted boilers", "Discounted"),
    ],
)
def test_promotional_wording_is_found(text: str, word: str) -> None:
    assert word in promotional_words(text)


@pytest.mark.parametrize(
    "text",
    [
        "Feel free to reply here",
        "Ring our freephone number",
        "Write to Freepost ACME",
        "We'll deal with it today",
        "Our sales team will call",
        "Reply STOP to opt out",
        *DEFAULT_TEMPLATES.values(),
    ],
)
def test_service_wording_is_not_promotional(text: str) -> None:
    assert promotional_words(text) == []
