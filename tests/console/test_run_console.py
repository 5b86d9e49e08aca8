"""run_console.py: where it listens, which database it opens, when it refuses (PRODUCT.md s7-8)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import run_console

ROOT = Path(run_console.__file__).resolve().parent


def _environ(**extra: str) -> dict[str, str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in {"CONSOLE_PASSWORD", "DATABASE_URL"} and not k.startswith("RECOVERY_")
    }
    return {**environ, "RECOVERY_ENV_FILE": "none", **extra}


def _option(launch: run_console.Launch, name: str) -> str:
    return launch.command[launch.command.index(name) + 1]


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10"])
def test_listening_beyond_loopback_without_a_password_exits_2_with_one_line(host: str) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "run_console.py"), "--host", host],
        env=_environ(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"CONSOLE_PASSWORD: required when the console listens on {host}")
    assert "Traceback" not in result.stderr


def test_a_usage_error_exits_2() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "run_console.py"), "--port", "not-a-port"],
        env=_environ(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2


def test_a_password_in_the_env_file_allows_any_host_and_reaches_the_app(tmp_path: Path) -> None:
    env_file = tmp_path / "console.env"
    env_file.write_text("CONSOLE_PASSWORD=s3cret\n")
    launch = run_console.prepare(
        ["--host", "0.0.0.0", "--port", "8600"], _environ(RECOVERY_ENV_FILE=str(env_file))
    )
    assert _option(launch, "--server.address") == "0.0.0.0"
    assert _option(launch, "--server.port") == "8600"
    assert launch.environment["CONSOLE_PASSWORD"] == "s3cret"


def test_defaults_are_loopback_8501_headless_without_usage_stats_on_the_default_database() -> None:
    launch = run_console.prepare([], _environ())
    assert _option(launch, "--server.address") == "127.0.0.1"
    assert _option(launch, "--server.port") == "8501"
    assert _option(launch, "--server.headless") == "true"
    assert _option(launch, "--browser.gatherUsageStats") == "false"
    assert launch.url == f"sqlite:///{ROOT / 'data' / 'recovery.db'}"
    assert launch.environment[run_console.URL_VARIABLE] == launch.url
    assert "CONSOLE_PASSWORD" not in launch.environment


@pytest.mark.parametrize("host", ["localhost", "::1"])
def test_other_loopback_names_need_no_password(host: str) -> None:
    assert _option(run_console.prepare(["--host", host], _environ()), "--server.address") == host


def test_demo_opens_the_demo_database_and_ignores_recovery_variables() -> None:
    launch = run_console.prepare(
        ["--demo"], _environ(DATABASE_URL="sqlite:////elsewhere.db", RECOVERY_TIMEZONE="Asia/Tokyo")
    )
    assert launch.url == f"sqlite:///{ROOT / 'data' / 'demo.db'}"
    assert "RECOVERY_TIMEZONE" not in launch.environment


def test_database_url_is_passed_on_with_a_relative_sqlite_path_made_absolute() -> None:
    launch = run_console.prepare([], _environ(DATABASE_URL="sqlite:///data/other.db"))
    assert launch.url == f"sqlite:///{ROOT / 'data' / 'other.db'}"


def test_a_missing_named_env_file_is_refused() -> None:
    with pytest.raises(run_console.Refused, match=r"^RECOVERY_ENV_FILE: file not found"):
        run_console.prepare([], _environ(RECOVERY_ENV_FILE="no-such.env"))
