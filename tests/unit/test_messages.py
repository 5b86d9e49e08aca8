"""Unit tests for core.messages: templates, personalisation, promotional wording, segments."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.domain import TemplateKind
from core.gsm import GSM_CHARACTERS
from core.messages import (
    CALLBACK_WHEN_MAX,
    DEFAULT_TEMPLATES,
    encoding,
    non_gsm_characters,
    promotional_words,
    render,
    segments,
    template_problems,
)


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


# --- rendering ----------------------------------------------------------------------------------

IN_HOURS = DEFAULT_TEMPLATES[TemplateKind.IN_HOURS]
AFTER_HOURS = DEFAULT_TEMPLATES[TemplateKind.AFTER_HOURS]


def test_rendered_in_hours_template_reads_as_specified() -> None:
    assert render(IN_HOURS, first_name="Sam", company="Acme Plumbing") == (
        "Hi Sam, sorry we missed your call to Acme Plumbing. We'll call you back in the next "
        "few minutes, or just reply here. Reply STOP to opt out."
    )


def test_after_hours_template_names_the_callback_time() -> None:
    text = render(AFTER_HOURS, first_name="Sam", company="Acme", callback_when="at 9am tomorrow")
    assert "We'll call you back at 9am tomorrow, or just reply here." in text


@pytest.mark.parametrize("first_name", [None, "", "   ", "\n"])
def test_unknown_first_name_reads_there(first_name: str | None) -> None:
    assert render("Hi {first_name}!", first_name=first_name, company="Acme") == "Hi there!"


def test_first_name_is_cut_to_twenty_characters() -> None:
    rendered = render("{first_name}", first_name="Bartholomew-Maximilian", company="Acme")
    assert rendered == "Bartholomew-Maximili"


def test_company_is_cut_to_forty_characters() -> None:
    company = "Northern Heating Plumbing and Drainage Services Ltd"
    assert render("{company}", first_name=None, company=company) == company[:40].rstrip()


def test_name_with_diaeresis_keeps_message_gsm7() -> None:
    text = render(IN_HOURS, first_name="Zoë", company="Acme")
    assert text.startswith("Hi Zoe,")
    assert encoding(text) == "GSM-7"


def test_letters_already_in_gsm7_are_kept() -> None:
    assert render("{first_name}", first_name="Renée Søren", company="x") == "Renée Søren"
    assert render("{company}", first_name=None, company="Straße & Æble") == "Straße & Æble"


def test_polish_letters_and_curly_quotes_are_transliterated() -> None:
    assert render("{first_name}", first_name="Łukasz O’Brien", company="x") == "Lukasz O'Brien"


def test_dashes_and_ellipsis_in_a_company_are_transliterated() -> None:
    rendered = render("{company}", first_name=None, company="Smith — Sons… “Builders”")
    assert rendered == 'Smith - Sons... "Builders"'


def test_emoji_in_a_name_is_dropped() -> None:
    assert render("Hi {first_name}!", first_name="Amy 😀", company="x") == "Hi Amy!"


def test_name_with_nothing_transliterable_reads_there() -> None:
    assert render("Hi {first_name}!", first_name="李", company="x") == "Hi there!"


def test_newlines_in_a_name_become_one_space() -> None:
    assert render("{first_name}", first_name="Mary\n\nJane", company="x") == "Mary Jane"


def test_extension_characters_count_double_toward_a_values_limit() -> None:
    assert render("{first_name}", first_name="€" * 15, company="x") == "€" * 10


def test_empty_company_reads_us() -> None:
    assert render("call to {company}.", first_name=None, company=" ") == "call to us."


def test_unknown_placeholders_and_stray_braces_are_left_as_typed() -> None:
    template = "Hi {name} {first_name} } {"
    assert render(template, first_name="Sam", company="x") == "Hi {name} Sam } {"


def test_placeholder_syntax_in_a_value_is_not_expanded() -> None:
    assert render("{first_name}", first_name="{company}", company="Acme") == "{company}"


GSM7_TEMPLATE = st.text(alphabet=sorted(GSM_CHARACTERS), max_size=200).map(
    lambda text: text + " {first_name} {company} {callback_when}"
)


@given(
    st.one_of(st.sampled_from(list(DEFAULT_TEMPLATES.values())), GSM7_TEMPLATE),
    st.one_of(st.none(), st.text()),
    st.text(),
    st.text(),
)
def test_render_never_raises_and_stays_gsm7(
    template: str, first_name: str | None, company: str, callback_when: str
) -> None:
    text = render(template, first_name=first_name, company=company, callback_when=callback_when)
    assert encoding(text) == "GSM-7"


@given(
    st.sampled_from(list(DEFAULT_TEMPLATES.values())),
    st.one_of(st.none(), st.text(), st.text(alphabet="€[Zoë😀 ", min_size=15)),
    st.one_of(st.text(), st.text(alphabet="€|Ł ", min_size=35)),
    st.text(),
)
def test_rendered_default_templates_take_at_most_two_segments(
    template: str, first_name: str | None, company: str, callback_when: str
) -> None:
    text = render(template, first_name=first_name, company=company, callback_when=callback_when)
    assert 1 <= segments(text) <= 2


PLACEHOLDERS = ["{first_name}", "{company}", "{callback_when}"]


@given(st.data())
def test_an_accepted_template_never_renders_beyond_two_segments(data: st.DataObject) -> None:
    # Templates are drawn near the limit, in GSM-7 or UCS-2, then filled with the values
    # most likely to push them over: maximal, with escapes that may land on a part boundary.
    names = data.draw(st.lists(st.sampled_from(PLACEHOLDERS), min_size=1, max_size=3))
    ucs2 = data.draw(st.booleans())
    room = (134 if ucs2 else 306) - 20 * len(names)
    alphabet = "a[’😀" if ucs2 else "a€["
    filler = data.draw(st.text(alphabet=alphabet, min_size=room // 2, max_size=room + 2))
    if ucs2:
        filler = "’" + filler
    cuts = sorted(data.draw(st.integers(0, len(filler))) for _ in names)
    bounds = [0, *cuts, len(filler)]
    template = filler[: bounds[1]]
    for index, name in enumerate(names, start=1):
        template += name + filler[bounds[index] : bounds[index + 1]]
    if any("segments" in problem for problem in template_problems(template)):
        return
    value, when = (data.draw(st.text(alphabet="a€", min_size=n, max_size=n + 5)) for n in (38, 34))
    assert segments(render(template, first_name=value, company=value, callback_when=when)) <= 2


# --- segments and encoding ----------------------------------------------------------------------


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


# --- promotional wording ------------------------------------------------------------------------


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
