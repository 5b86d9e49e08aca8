"""Unit tests for core.messages: rendering a template (personalisation, cutting and transliterating
values to GSM-7) and that an accepted template never renders beyond two segments."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.domain import TemplateKind
from core.gsm import GSM_CHARACTERS
from core.messages import DEFAULT_TEMPLATES, encoding, render, segments, template_problems

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
