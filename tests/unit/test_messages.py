"""Unit tests for core.messages: templates, personalisation, promotional wording, segments."""

from __future__ import annotations

from core.domain import TemplateKind
from core.messages import DEFAULT_TEMPLATES, template_problems


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
