"""Deployment settings (PRODUCT.md section 7): required values, formats, groups, secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config_deployment import (
    DeploymentSettings,
    read_deployment_settings,
    resolve_database_url,
)
from core.config_formats import Findings

ROOT = Path("/srv/recovery")
SID = "AC" + "0123456789abcdef" * 2
TOKEN = "tok-s3cr3t-twilio"
MINIMAL = {
    "TWILIO_ACCOUNT_SID": SID,
    "TWILIO_AUTH_TOKEN": TOKEN,
    "TWILIO_NUMBERS": "+447700900100",
}
RETELL = {
    "RETELL_API_KEY": "key-s3cr3t-retell",
    "RETELL_AGENT_ID": "agent_0123",
    "RETELL_FROM_NUMBER": "+442079460200",
}
SENDGRID = {"SENDGRID_API_KEY": "SG.s3cr3t-sendgrid", "MAIL_FROM": "Acme <team@example.com>"}
SECRETS = [
    TOKEN,
    RETELL["RETELL_API_KEY"],
    SENDGRID["SENDGRID_API_KEY"],
    "pat-s3cr3t-hubspot",
    "console-s3cr3t",
]


def read(**extra: str) -> tuple[DeploymentSettings | None, Findings]:
    return read_deployment_settings({**MINIMAL, **extra}, project_root=ROOT)


def settings_of(**extra: str) -> DeploymentSettings:
    settings, found = read(**extra)
    assert found.problems == []
    assert settings is not None
    return settings


def problem_lines(environment: dict[str, str]) -> list[str]:
    settings, found = read_deployment_settings(environment, project_root=ROOT)
    assert settings is None
    return [str(problem) for problem in found.problems]


def test_a_minimal_environment_turns_on_sms_only() -> None:
    settings = settings_of()
    assert settings.twilio_numbers == ("+447700900100",)
    assert settings.twilio_sms_from == "+447700900100"  # the first of TWILIO_NUMBERS
    assert (settings.layer2_on, settings.layer3_on, settings.crm_on) == (False, False, False)
    assert settings.hubspot_opt_out_property == "recovery_opt_out"
    assert settings.database_url == "sqlite:////srv/recovery/data/recovery.db"


def test_nothing_set_lists_every_required_variable() -> None:
    assert [line.split(":")[0] for line in problem_lines({})] == [
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_NUMBERS",
    ]


@pytest.mark.parametrize("sid", ["AC123", "XX" + "0" * 32, "AC" + "g" * 32, "AC" + "0" * 33])
def test_the_account_sid_is_ac_and_32_hex_digits(sid: str) -> None:
    lines = problem_lines({**MINIMAL, "TWILIO_ACCOUNT_SID": sid})
    assert lines == ["TWILIO_ACCOUNT_SID: must be AC followed by 32 hex digits"]


def test_sms_from_may_be_set_and_business_numbers_include_every_line() -> None:
    settings = settings_of(
        TWILIO_NUMBERS="+44 113 496 0100, +442079460100",
        TWILIO_SMS_FROM="+447700900300",
        **RETELL,
    )
    assert settings.twilio_sms_from == "+447700900300"
    assert settings.business_numbers == {
        "+441134960100",
        "+442079460100",
        "+447700900300",
        "+442079460200",
    }


def test_sms_from_must_be_one_number() -> None:
    lines = problem_lines({**MINIMAL, "TWILIO_SMS_FROM": "+447700900300,+447700900301"})
    assert lines == ["TWILIO_SMS_FROM: must be one E.164 number"]


def test_a_uk_geographic_sms_sender_is_a_warning() -> None:
    _, found = read(TWILIO_NUMBERS="+441134960100")
    assert [str(w) for w in found.warnings] == [
        "TWILIO_SMS_FROM: ending '100' (the first of TWILIO_NUMBERS) is a UK geographic "
        "number, which cannot send SMS; use a mobile long code"
    ]
    _, found = read(TWILIO_SMS_FROM="+442079460100")
    assert [w.name for w in found.warnings] == ["TWILIO_SMS_FROM"]
    _, found = read(TWILIO_SMS_FROM="+447700900100")
    assert found.warnings == []


def test_the_retell_group_turns_on_layer_2() -> None:
    settings = settings_of(**RETELL)
    assert settings.layer2_on
    assert settings.retell_from_number == "+442079460200"


def test_a_partly_set_retell_group_names_each_missing_variable() -> None:
    lines = problem_lines({**MINIMAL, "RETELL_AGENT_ID": "agent_0123"})
    assert lines == [
        "RETELL_API_KEY: missing (RETELL_AGENT_ID set; layer 2 callback needs all of "
        "RETELL_API_KEY, RETELL_AGENT_ID, RETELL_FROM_NUMBER)",
        "RETELL_FROM_NUMBER: missing (RETELL_AGENT_ID set; layer 2 callback needs all of "
        "RETELL_API_KEY, RETELL_AGENT_ID, RETELL_FROM_NUMBER)",
    ]


def test_the_sendgrid_group_turns_on_layer_3_and_owner_email_needs_it() -> None:
    settings = settings_of(**SENDGRID, OWNER_EMAIL="owner@example.com")
    assert settings.layer3_on and settings.owner_email == "owner@example.com"
    assert settings.mail_from_parts == ("Acme", "team@example.com")
    lines = problem_lines({**MINIMAL, "OWNER_EMAIL": "owner@example.com"})
    assert lines == ["OWNER_EMAIL: needs layer 3: set SENDGRID_API_KEY and MAIL_FROM"]


def test_a_partly_set_sendgrid_group_names_what_is_missing() -> None:
    lines = problem_lines({**MINIMAL, "MAIL_FROM": "team@example.com"})
    assert [line.split(":")[0] for line in lines] == ["SENDGRID_API_KEY"]


def test_mail_from_owner_email_and_unsubscribe_group_formats() -> None:
    lines = problem_lines(
        {
            **MINIMAL,
            **SENDGRID,
            "MAIL_FROM": "Acme team@example.com",
            "OWNER_EMAIL": "owner",
            "SENDGRID_UNSUBSCRIBE_GROUP": "12a",
        }
    )
    assert [line.split(":")[0] for line in lines] == [
        "MAIL_FROM",
        "SENDGRID_UNSUBSCRIBE_GROUP",
        "OWNER_EMAIL",
    ]
    assert (
        settings_of(**SENDGRID, SENDGRID_UNSUBSCRIBE_GROUP="4567").sendgrid_unsubscribe_group
        == 4567
    )


def test_an_unsubscribe_group_without_email_is_ignored_with_a_warning() -> None:
    settings, found = read(SENDGRID_UNSUBSCRIBE_GROUP="4567")
    assert settings is not None
    assert [w.name for w in found.warnings] == ["SENDGRID_UNSUBSCRIBE_GROUP"]


def test_hubspot_token_turns_on_the_crm_with_its_opt_out_property() -> None:
    settings = settings_of(HUBSPOT_TOKEN="pat-1", HUBSPOT_OPT_OUT_PROPERTY="do_not_text")
    assert settings.crm_on and settings.hubspot_opt_out_property == "do_not_text"
    lines = problem_lines({**MINIMAL, "HUBSPOT_OPT_OUT_PROPERTY": "Opt Out"})
    assert [line.split(":")[0] for line in lines] == ["HUBSPOT_OPT_OUT_PROPERTY"]


def test_api_bases_are_kept_without_a_trailing_slash_and_paths_are_refused() -> None:
    settings = settings_of(TWILIO_API_BASE="http://127.0.0.1:8765/")
    assert settings.twilio_api_base == "http://127.0.0.1:8765"
    assert settings.retell_api_base is None
    lines = problem_lines({**MINIMAL, "HUBSPOT_API_BASE": "https://api.example.com/crm/v3"})
    assert lines == [
        "HUBSPOT_API_BASE: must be scheme://host[:port] with no path, such as "
        "https://api.example.com"
    ]


@pytest.mark.parametrize(
    "url,resolved",
    [
        (None, "sqlite:////srv/recovery/data/recovery.db"),
        ("sqlite:///other/x.db", "sqlite:////srv/recovery/other/x.db"),
        ("sqlite:////var/lib/recovery.db", "sqlite:////var/lib/recovery.db"),
        ("sqlite://", "sqlite://"),
        (
            "postgresql://rec:pw@db.example.com/recovery",
            "postgresql://rec:pw@db.example.com/recovery",
        ),
    ],
)
def test_a_relative_sqlite_path_is_made_absolute_against_the_project_root(
    url: str | None, resolved: str
) -> None:
    assert resolve_database_url(url, project_root=ROOT) == resolved


def test_a_bad_database_url_is_a_problem_that_does_not_quote_it() -> None:
    lines = problem_lines({**MINIMAL, "DATABASE_URL": "not a url pw=hunter2"})
    assert lines == ["DATABASE_URL: is not a database URL such as sqlite:///data/recovery.db"]


def test_secrets_never_appear_in_problems_warnings_or_repr() -> None:
    environment = {
        **MINIMAL,
        **RETELL,
        **SENDGRID,
        "HUBSPOT_TOKEN": "pat-s3cr3t-hubspot",
        "CONSOLE_PASSWORD": "console-s3cr3t",
        "DATABASE_URL": "postgresql://rec:s3cr3t-db@db.example.com/recovery",
    }
    settings, _ = read_deployment_settings(environment, project_root=ROOT)
    assert settings is not None
    shown = repr(settings)
    broken = {**environment, "TWILIO_ACCOUNT_SID": "AC" + TOKEN, "RETELL_AGENT_ID": ""}
    _, found = read_deployment_settings(broken, project_root=ROOT)
    shown += "\n".join(str(p) for p in [*found.problems, *found.warnings])
    for secret in [*SECRETS, "s3cr3t-db"]:
        assert secret not in shown
    assert found.problems  # the broken environment did produce messages to check
