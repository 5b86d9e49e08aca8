"""Operating settings (PRODUCT.md section 7): precedence, the kill switch, formats, warnings."""

from __future__ import annotations

import pytest

from core.config_formats import Findings
from core.config_operating import (
    OPERATING_VARIABLES,
    OperatingSettings,
    read_operating_settings,
)
from core.domain import TemplateKind
from core.messages import DEFAULT_TEMPLATES

COMPANY = {"RECOVERY_COMPANY_NAME": "Acme Plumbing"}


def read(
    environment: dict[str, str] | None = None, saved: dict[str, str] | None = None
) -> tuple[OperatingSettings | None, Findings]:
    return read_operating_settings(
        environment={**COMPANY, **(environment or {})}, saved=saved or {}
    )


def settings_of(
    environment: dict[str, str] | None = None, saved: dict[str, str] | None = None
) -> OperatingSettings:
    settings, found = read(environment, saved)
    assert found.problems == []
    assert settings is not None
    return settings


def problem_lines(
    environment: dict[str, str] | None = None, saved: dict[str, str] | None = None
) -> list[str]:
    settings, found = read(environment, saved)
    assert settings is None
    return [str(problem) for problem in found.problems]


def test_defaults_apply_when_nothing_is_set() -> None:
    settings = settings_of()
    assert settings.poll_seconds == 5
    assert settings.sms_delay_seconds == 0
    assert settings.reply_wait_seconds == 180
    assert settings.email_delay_seconds == 2700
    assert settings.cooldown_hours == 24
    assert settings.max_catchup_minutes == 30
    assert settings.max_callback_wait_hours == 72
    assert settings.baseline_conversion == 0.2
    assert settings.timezone == "Europe/London"
    assert settings.bank_holidays == "england"
    assert settings.ignore_numbers == ()
    assert settings.paused is False
    assert settings.hours[0] == ((540, 1080),) and settings.hours[6] == ()
    assert dict(settings.templates) == DEFAULT_TEMPLATES


def test_every_variable_has_a_source_and_defaults_say_default() -> None:
    settings = settings_of()
    assert set(settings.sources) == set(OPERATING_VARIABLES)
    assert settings.sources["RECOVERY_POLL_SECONDS"] == "default"
    assert settings.sources["RECOVERY_COMPANY_NAME"] == "environment"


def test_the_environment_wins_over_the_default() -> None:
    settings = settings_of({"RECOVERY_REPLY_WAIT_SECONDS": "240"})
    assert settings.reply_wait_seconds == 240
    assert settings.sources["RECOVERY_REPLY_WAIT_SECONDS"] == "environment"


def test_a_saved_value_wins_over_the_environment() -> None:
    settings = settings_of(
        {"RECOVERY_REPLY_WAIT_SECONDS": "240", "RECOVERY_HOURS": "mon 09:00-10:00"},
        {"RECOVERY_REPLY_WAIT_SECONDS": "300", "RECOVERY_COMPANY_NAME": "Acme Saved"},
    )
    assert settings.reply_wait_seconds == 300
    assert settings.company_name == "Acme Saved"
    assert settings.sources["RECOVERY_REPLY_WAIT_SECONDS"] == "saved"
    assert settings.sources["RECOVERY_HOURS"] == "environment"


def test_an_empty_saved_or_environment_value_counts_as_unset() -> None:
    settings = settings_of({"RECOVERY_POLL_SECONDS": ""}, {"RECOVERY_COOLDOWN_HOURS": " "})
    assert settings.sources["RECOVERY_POLL_SECONDS"] == "default"
    assert settings.sources["RECOVERY_COOLDOWN_HOURS"] == "default"


def test_the_company_name_may_come_from_saved_settings_alone() -> None:
    settings, found = read_operating_settings(
        environment={}, saved={"RECOVERY_COMPANY_NAME": "Acme"}
    )
    assert settings is not None and settings.company_name == "Acme"
    assert found.problems == []


def test_the_company_name_is_required() -> None:
    settings, found = read_operating_settings(environment={}, saved={})
    assert settings is None
    assert [p.name for p in found.problems] == ["RECOVERY_COMPANY_NAME"]


@pytest.mark.parametrize(
    "environment,saved,paused,source",
    [
        ({}, {}, False, "default"),
        ({"RECOVERY_PAUSED": "true"}, {}, True, "environment"),
        ({}, {"RECOVERY_PAUSED": "yes"}, True, "saved"),
        ({"RECOVERY_PAUSED": "1"}, {"RECOVERY_PAUSED": "false"}, True, "environment"),
        ({"RECOVERY_PAUSED": "no"}, {"RECOVERY_PAUSED": "TRUE"}, True, "saved"),
        ({"RECOVERY_PAUSED": "true"}, {"RECOVERY_PAUSED": "true"}, True, "saved"),
        ({"RECOVERY_PAUSED": "0"}, {"RECOVERY_PAUSED": "false"}, False, "saved"),
    ],
)
def test_the_kill_switch_is_on_if_either_saved_or_environment_says_so(
    environment: dict[str, str], saved: dict[str, str], paused: bool, source: str
) -> None:
    settings = settings_of(environment, saved)
    assert settings.paused is paused
    assert settings.sources["RECOVERY_PAUSED"] == source


def test_a_bad_kill_switch_value_is_a_problem() -> None:
    assert problem_lines({"RECOVERY_PAUSED": "maybe"}) == [
        "RECOVERY_PAUSED: 'maybe' is not a boolean (true/false/1/0/yes/no)"
    ]


def test_a_bad_saved_value_says_it_was_saved_in_the_console() -> None:
    assert problem_lines(saved={"RECOVERY_COOLDOWN_HOURS": "a day"}) == [
        "RECOVERY_COOLDOWN_HOURS: 'a day' is not a decimal number such as 5 or 0.5 "
        "(saved in the console)"
    ]


def test_a_bad_environment_value_is_reported_even_while_a_saved_one_hides_it() -> None:
    lines = problem_lines({"RECOVERY_COOLDOWN_HOURS": "x"}, {"RECOVERY_COOLDOWN_HOURS": "12"})
    assert lines == ["RECOVERY_COOLDOWN_HOURS: 'x' is not a decimal number such as 5 or 0.5"]


def test_the_poll_interval_must_be_above_zero() -> None:
    assert "RECOVERY_POLL_SECONDS: must be above 0" in problem_lines({"RECOVERY_POLL_SECONDS": "0"})


def test_fractional_seconds_are_allowed_so_tests_can_run_fast() -> None:
    settings = settings_of(
        {
            "RECOVERY_POLL_SECONDS": "0.2",
            "RECOVERY_REPLY_WAIT_SECONDS": "1.5",
            "RECOVERY_MAX_CATCHUP_MINUTES": "0.5",
        }
    )
    assert settings.poll_seconds == 0.2
    assert settings.reply_wait_seconds == 1.5


def test_max_catchup_must_be_above_zero() -> None:
    lines = problem_lines({"RECOVERY_MAX_CATCHUP_MINUTES": "0"})
    assert lines == ["RECOVERY_MAX_CATCHUP_MINUTES: must be above 0"]


def test_max_catchup_must_cover_two_polls() -> None:
    lines = problem_lines({"RECOVERY_POLL_SECONDS": "60", "RECOVERY_MAX_CATCHUP_MINUTES": "1.5"})
    assert lines == [
        "RECOVERY_MAX_CATCHUP_MINUTES: must be at least 2 x RECOVERY_POLL_SECONDS / 60 = 2 minutes"
    ]
    assert settings_of({"RECOVERY_POLL_SECONDS": "60", "RECOVERY_MAX_CATCHUP_MINUTES": "2"})


def test_the_baseline_conversion_is_between_zero_and_one() -> None:
    assert settings_of({"RECOVERY_BASELINE_CONVERSION": "1"}).baseline_conversion == 1
    assert settings_of({"RECOVERY_BASELINE_CONVERSION": "0"}).baseline_conversion == 0
    lines = problem_lines({"RECOVERY_BASELINE_CONVERSION": "1.2"})
    assert lines == ["RECOVERY_BASELINE_CONVERSION: must be between 0 and 1"]


@pytest.mark.parametrize(
    "name",
    [
        "RECOVERY_SMS_DELAY_SECONDS",
        "RECOVERY_REPLY_WAIT_SECONDS",
        "RECOVERY_EMAIL_DELAY_SECONDS",
        "RECOVERY_COOLDOWN_HOURS",
        "RECOVERY_MAX_CALLBACK_WAIT_HOURS",
    ],
)
def test_the_other_numbers_may_be_zero_but_not_negative(name: str) -> None:
    assert settings_of({name: "0"})
    assert problem_lines({name: "-1"}) == [f"{name}: '-1' is not a decimal number such as 5 or 0.5"]


def test_timezone_hours_bank_holidays_and_ignore_list_are_read() -> None:
    settings = settings_of(
        {
            "RECOVERY_TIMEZONE": "Europe/Dublin",
            "RECOVERY_HOURS": "tue-thu 10:00-16:00",
            "RECOVERY_BANK_HOLIDAYS": "Scotland",
            "RECOVERY_IGNORE_NUMBERS": "+44 7700 900111, +447700900222",
        }
    )
    assert settings.timezone == "Europe/Dublin" and str(settings.zone) == "Europe/Dublin"
    assert settings.hours[1] == ((600, 960),) and settings.hours[0] == ()
    assert settings.bank_holidays == "scotland" and settings.holiday_subdivision == "SCT"
    assert settings.ignore_numbers == ("+447700900111", "+447700900222")


@pytest.mark.parametrize(
    "region,subdivision",
    [("england", "ENG"), ("wales", "ENG"), ("northern-ireland", "NIR"), ("none", None)],
)
def test_each_region_maps_to_its_holidays_subdivision(region: str, subdivision: str | None) -> None:
    assert settings_of({"RECOVERY_BANK_HOLIDAYS": region}).holiday_subdivision == subdivision


def test_templates_come_from_environment_and_saved_and_are_checked() -> None:
    settings = settings_of(
        {"RECOVERY_SMS_TEMPLATE": "Hi {first_name}, {company} will call. Reply STOP to end."},
        {"RECOVERY_SMS_NO_CALL_TEMPLATE": "Hi {first_name}, {company} here. Reply STOP to end."},
    )
    assert settings.templates[TemplateKind.IN_HOURS].startswith("Hi {first_name}, {company} will")
    assert settings.templates[TemplateKind.NO_CALL].endswith("here. Reply STOP to end.")
    assert (
        settings.templates[TemplateKind.AFTER_HOURS] == DEFAULT_TEMPLATES[TemplateKind.AFTER_HOURS]
    )
    assert settings.sources["RECOVERY_SMS_NO_CALL_TEMPLATE"] == "saved"


def test_a_template_with_an_unknown_placeholder_or_too_long_is_refused() -> None:
    lines = problem_lines(
        {
            "RECOVERY_SMS_TEMPLATE": "Hi {name}, reply STOP to opt out.",
            "RECOVERY_SMS_AFTER_HOURS_TEMPLATE": "x" * 400,
        }
    )
    assert [line.split(":")[0] for line in lines] == [
        "RECOVERY_SMS_TEMPLATE",
        "RECOVERY_SMS_AFTER_HOURS_TEMPLATE",
    ]


def test_every_problem_is_listed_at_once() -> None:
    lines = problem_lines(
        {
            "RECOVERY_COMPANY_NAME": "A" * 41,
            "RECOVERY_POLL_SECONDS": "fast",
            "RECOVERY_TIMEZONE": "Mars/Olympus",
            "RECOVERY_HOURS": "mon 10:00-09:00",
            "RECOVERY_BANK_HOLIDAYS": "ireland",
            "RECOVERY_IGNORE_NUMBERS": "07700900111",
            "RECOVERY_PAUSED": "perhaps",
        }
    )
    names = [line.split(":")[0] for line in lines]
    assert names == [
        "RECOVERY_POLL_SECONDS",
        "RECOVERY_COMPANY_NAME",
        "RECOVERY_TIMEZONE",
        "RECOVERY_HOURS",
        "RECOVERY_BANK_HOLIDAYS",
        "RECOVERY_IGNORE_NUMBERS",
        "RECOVERY_PAUSED",
    ]
