"""The environment (.env, RECOVERY_ENV_FILE, the real environment) and the whole configuration."""

from __future__ import annotations

import os
from pathlib import Path

from core.config import layer_summary, load_configuration, load_environment

SID = "AC" + "0123456789abcdef" * 2
VALID = {
    "TWILIO_ACCOUNT_SID": SID,
    "TWILIO_AUTH_TOKEN": "tok-s3cr3t",
    "TWILIO_NUMBERS": "+447700900100",
    "RECOVERY_COMPANY_NAME": "Acme Plumbing",
}


def write(path: Path, lines: dict[str, str]) -> None:
    path.write_text("".join(f"{name}={value}\n" for name, value in lines.items()))


def test_dotenv_in_the_project_root_is_read(tmp_path: Path) -> None:
    write(tmp_path / ".env", {"RECOVERY_COMPANY_NAME": "Acme", "RECOVERY_POLL_SECONDS": "3"})
    environment, problems = load_environment(project_root=tmp_path, environ={})
    assert problems == []
    assert environment["RECOVERY_COMPANY_NAME"] == "Acme"
    assert environment["RECOVERY_POLL_SECONDS"] == "3"


def test_no_dotenv_file_is_fine(tmp_path: Path) -> None:
    environment, problems = load_environment(project_root=tmp_path, environ={"A": "1"})
    assert (environment, problems) == ({"A": "1"}, [])


def test_the_real_environment_wins_over_the_file(tmp_path: Path) -> None:
    write(tmp_path / ".env", {"RECOVERY_COMPANY_NAME": "From file"})
    environment, _ = load_environment(
        project_root=tmp_path, environ={"RECOVERY_COMPANY_NAME": "From environment"}
    )
    assert environment["RECOVERY_COMPANY_NAME"] == "From environment"


def test_an_empty_real_variable_counts_as_unset_so_the_file_value_stands(tmp_path: Path) -> None:
    write(tmp_path / ".env", {"RECOVERY_COMPANY_NAME": "From file", "TWILIO_NUMBERS": ""})
    environment, _ = load_environment(project_root=tmp_path, environ={"RECOVERY_COMPANY_NAME": ""})
    assert environment["RECOVERY_COMPANY_NAME"] == "From file"
    assert "TWILIO_NUMBERS" not in environment


def test_recovery_env_file_names_another_file_relative_to_the_project_root(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    write(tmp_path / ".env", {"RECOVERY_COMPANY_NAME": "Default file"})
    write(tmp_path / "config" / "office.env", {"RECOVERY_COMPANY_NAME": "Office file"})
    environment, problems = load_environment(
        project_root=tmp_path, environ={"RECOVERY_ENV_FILE": "config/office.env"}
    )
    assert problems == []
    assert environment["RECOVERY_COMPANY_NAME"] == "Office file"


def test_recovery_env_file_none_reads_no_file(tmp_path: Path) -> None:
    write(tmp_path / ".env", {"RECOVERY_COMPANY_NAME": "Default file"})
    environment, problems = load_environment(
        project_root=tmp_path, environ={"RECOVERY_ENV_FILE": "none"}
    )
    assert problems == []
    assert "RECOVERY_COMPANY_NAME" not in environment


def test_a_named_file_that_is_missing_is_a_problem(tmp_path: Path) -> None:
    _, problems = load_environment(
        project_root=tmp_path, environ={"RECOVERY_ENV_FILE": "missing.env"}
    )
    assert [str(p) for p in problems] == [
        f"RECOVERY_ENV_FILE: file not found: {tmp_path / 'missing.env'}"
    ]


def test_quotes_comments_and_dollar_signs_in_the_file_are_read_literally(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        '# a comment\nTWILIO_AUTH_TOKEN="ab$cd${HOME}"\nMAIL_FROM="Acme <team@example.com>"\n'
        "export RECOVERY_COMPANY_NAME='Acme # Sons'\n"
    )
    environment, _ = load_environment(project_root=tmp_path, environ={"HOME": "/root"})
    assert environment["TWILIO_AUTH_TOKEN"] == "ab$cd${HOME}"
    assert environment["MAIL_FROM"] == "Acme <team@example.com>"
    assert environment["RECOVERY_COMPANY_NAME"] == "Acme # Sons"


def test_loading_never_changes_os_environ(tmp_path: Path) -> None:
    write(tmp_path / ".env", {"RECOVERY_TEST_ONLY_VARIABLE": "x"})
    before = dict(os.environ)
    load_environment(project_root=tmp_path, environ={})
    assert dict(os.environ) == before


def test_a_valid_configuration_has_both_settings_and_no_problems(tmp_path: Path) -> None:
    write(tmp_path / ".env", VALID)
    seen: list[str] = []

    def read_saved(url: str) -> dict[str, str]:
        seen.append(url)
        return {"RECOVERY_POLL_SECONDS": "3"}

    configuration = load_configuration(project_root=tmp_path, environ={}, read_saved=read_saved)
    assert configuration.ok and configuration.problems == ()
    assert configuration.deployment is not None and configuration.operating is not None
    assert seen == [f"sqlite:///{tmp_path}/data/recovery.db"]
    assert configuration.operating.poll_seconds == 3
    assert configuration.operating.sources["RECOVERY_POLL_SECONDS"] == "saved"


def test_problems_from_the_file_the_environment_and_saved_settings_are_all_listed(
    tmp_path: Path,
) -> None:
    write(tmp_path / ".env", {"TWILIO_NUMBERS": "07700900100", "RETELL_API_KEY": "k"})
    configuration = load_configuration(
        project_root=tmp_path,
        environ={"RECOVERY_HOURS": "mon 9-5"},
        read_saved=lambda url: {"RECOVERY_PAUSED": "sometimes"},
    )
    assert not configuration.ok
    assert configuration.deployment is None and configuration.operating is None
    assert [p.name for p in configuration.problems] == [
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_NUMBERS",
        "RETELL_AGENT_ID",
        "RETELL_FROM_NUMBER",
        "RECOVERY_COMPANY_NAME",
        "RECOVERY_HOURS",
        "RECOVERY_PAUSED",
    ]


def test_a_bad_database_url_skips_the_saved_settings(tmp_path: Path) -> None:
    def read_saved(url: str) -> dict[str, str]:
        raise AssertionError("must not be called")

    configuration = load_configuration(
        project_root=tmp_path, environ={**VALID, "DATABASE_URL": "nonsense"}, read_saved=read_saved
    )
    assert [p.name for p in configuration.problems] == ["DATABASE_URL"]


def test_a_business_number_on_the_ignore_list_is_a_start_up_warning(tmp_path: Path) -> None:
    configuration = load_configuration(
        project_root=tmp_path,
        environ={**VALID, "RECOVERY_ENV_FILE": "none"},
        read_saved=lambda url: {"RECOVERY_IGNORE_NUMBERS": "+447700900100,+447700900999"},
    )
    assert configuration.ok
    assert [str(w) for w in configuration.warnings] == [
        "RECOVERY_IGNORE_NUMBERS: ending '100' is a business number; its calls stay `business`"
    ]


def test_the_layer_summary_lists_each_layer_on_or_off(tmp_path: Path) -> None:
    environ = {
        **VALID,
        "SENDGRID_API_KEY": "SG.x",
        "MAIL_FROM": "team@example.com",
        "HUBSPOT_TOKEN": "pat",
    }
    configuration = load_configuration(
        project_root=tmp_path, environ=environ, read_saved=lambda url: {}
    )
    assert configuration.deployment is not None
    assert layer_summary(configuration.deployment) == [
        "layer 1 SMS (Twilio): on",
        "layer 2 callback (Retell): off",
        "layer 3 email (SendGrid): on",
        "CRM (HubSpot): on",
    ]


def test_an_env_file_that_is_not_utf8_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes(b"RECOVERY_COMPANY_NAME=Caf\xe9\n")
    _, problems = load_environment(project_root=tmp_path, environ={})
    assert [str(p) for p in problems] == [
        f"RECOVERY_ENV_FILE: cannot read {tmp_path / '.env'}: not UTF-8 text"
    ]
