"""`run_daemon.py` as a subprocess: configuration problems exit 2 with NAME lines, valid exits 0.

Each run gets an environment built from scratch (PATH only, plus what the test sets) and
RECOVERY_ENV_FILE=none or a project root of its own, so the developer's .env never leaks in.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from tests.e2e.support import run_daemon_once

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "run_daemon.py"
SID = "AC" + "0123456789abcdef" * 2
TOKEN = "tok-s3cr3t-e2e"
VALID = {
    "TWILIO_ACCOUNT_SID": SID,
    "TWILIO_AUTH_TOKEN": TOKEN,
    "TWILIO_NUMBERS": "+441134960100, +447700900100",
    "TWILIO_SMS_FROM": "+447700900100",
    "RECOVERY_COMPANY_NAME": "Acme Plumbing",
}


def run_daemon(
    tmp_path: Path, *args: str, script: Path = SCRIPT, **variables: str
) -> subprocess.CompletedProcess[str]:
    environ = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "RECOVERY_ENV_FILE": "none",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'recovery.db'}",
        **variables,
    }
    if script != SCRIPT:
        environ["PYTHONPATH"] = str(REPO)  # the copied entry point imports core from the repo
    return run_daemon_once(environ, *args, script=script, cwd=tmp_path)


def test_no_configuration_exits_2_listing_every_required_variable(tmp_path: Path) -> None:
    result = run_daemon(tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "TWILIO_ACCOUNT_SID: required",
        "TWILIO_AUTH_TOKEN: required",
        "TWILIO_NUMBERS: required: comma-separated E.164 numbers such as +441134960000",
        "RECOVERY_COMPANY_NAME: required: set it in the environment (.env) or in the console",
    ]
    assert result.stdout == ""


def test_every_bad_value_is_one_name_line_and_no_traceback(tmp_path: Path) -> None:
    result = run_daemon(
        tmp_path,
        **{
            **VALID,
            "TWILIO_ACCOUNT_SID": "AC123",
            "RETELL_API_KEY": "key-s3cr3t-e2e",
            "OWNER_EMAIL": "owner@example.com",
            "TWILIO_API_BASE": "http://127.0.0.1:8765/2010-04-01",
            "RECOVERY_POLL_SECONDS": "-5",
            "RECOVERY_HOURS": "fri-mon 09:00-17:00",
            "RECOVERY_PAUSED": "perhaps",
        },
    )
    assert result.returncode == 2
    names = [line.split(":")[0] for line in result.stderr.splitlines()]
    assert names == [
        "TWILIO_ACCOUNT_SID",
        "RETELL_AGENT_ID",
        "RETELL_FROM_NUMBER",
        "OWNER_EMAIL",
        "TWILIO_API_BASE",
        "RECOVERY_POLL_SECONDS",
        "RECOVERY_HOURS",
        "RECOVERY_PAUSED",
    ]
    assert "Traceback" not in result.stderr
    assert TOKEN not in result.stderr and "key-s3cr3t-e2e" not in result.stderr


def test_check_with_a_valid_configuration_exits_0_and_lists_the_layers(tmp_path: Path) -> None:
    result = run_daemon(
        tmp_path,
        "--check",
        **{
            **VALID,
            "SENDGRID_API_KEY": "SG.s3cr3t-e2e",
            "MAIL_FROM": "Acme <team@example.com>",
            "RECOVERY_TIMEZONE": "Europe/Paris",
            "RECOVERY_IGNORE_NUMBERS": "+441134960100",
        },
    )
    assert result.returncode == 0, result.stderr
    assert "layer 1 SMS (Twilio): on" in result.stderr
    assert "layer 2 callback (Retell): off" in result.stderr
    assert "layer 3 email (SendGrid): on" in result.stderr
    assert "CRM (HubSpot): off" in result.stderr
    assert "RECOVERY_TIMEZONE: Europe/Paris is not Europe/London" in result.stderr
    assert "RECOVERY_IGNORE_NUMBERS: ending '100' is a business number" in result.stderr
    assert TOKEN not in result.stderr and "SG.s3cr3t-e2e" not in result.stderr


def test_the_dotenv_beside_the_entry_point_is_read_and_the_environment_wins(
    tmp_path: Path,
) -> None:
    script = tmp_path / "run_daemon.py"
    shutil.copy(SCRIPT, script)
    (tmp_path / ".env").write_text(
        "".join(f"{name}={value}\n" for name, value in VALID.items())
        + "HUBSPOT_TOKEN=pat-from-file\nRECOVERY_POLL_SECONDS=nonsense\n"
    )
    result = run_daemon(
        tmp_path, "--check", script=script, RECOVERY_ENV_FILE="", RECOVERY_POLL_SECONDS="5"
    )
    assert result.returncode == 0, result.stderr
    assert "CRM (HubSpot): on" in result.stderr


def test_a_missing_named_env_file_exits_2(tmp_path: Path) -> None:
    result = run_daemon(tmp_path, RECOVERY_ENV_FILE="office.env")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"RECOVERY_ENV_FILE: file not found: {REPO / 'office.env'}"
    ]


def test_an_unknown_argument_is_a_usage_error(tmp_path: Path) -> None:
    result = run_daemon(tmp_path, "--frobnicate")
    assert result.returncode == 2
    assert "usage: run_daemon.py" in result.stderr
    assert "Traceback" not in result.stderr


def _load_entry_point() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_daemon_under_test", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_unexpected_error_exits_1_with_one_line_and_no_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    entry = _load_entry_point()

    def explode(argv: object, environ: object) -> int:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(entry, "run", explode)
    assert entry.main() == 1
    err = capsys.readouterr().err
    assert err.splitlines() == ["error: unexpected RuntimeError: disk on fire"]
