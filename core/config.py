"""Shell: the configuration contract (PRODUCT.md section 7): the environment, deployment settings.

The environment is the real environment plus `.env` in the project root (or the file that
RECOVERY_ENV_FILE names, or none), read once at start; the real environment wins, and an empty
variable counts as unset. Deployment settings are read once; operating settings (re-read every tick)
live in `core.config_operating`. Every problem is collected, never just the first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

from core.config_deployment import (
    DeploymentSettings,
    read_deployment_settings,
    resolve_database_url,
)
from core.config_formats import Findings, Problem, last_digits, value_of
from core.config_operating import (
    OPERATING_DEFAULTS,
    SANE_RANGES,
    OperatingSettings,
    read_operating_settings,
)
from core.hours import WeeklyHours, format_hours, parse_hours

__all__ = [
    "OPERATING_DEFAULTS",
    "SANE_RANGES",
    "Configuration",
    "DeploymentSettings",
    "Findings",
    "OperatingSettings",
    "Problem",
    "WeeklyHours",
    "format_hours",
    "layer_summary",
    "load_configuration",
    "load_environment",
    "parse_hours",
    "read_deployment_settings",
    "read_operating_settings",
    "resolve_database_url",
    "startup_warnings",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Configuration:
    """Everything read at start: settings are None when there are problems."""

    environment: Mapping[str, str]
    deployment: DeploymentSettings | None
    operating: OperatingSettings | None
    problems: tuple[Problem, ...]
    warnings: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        """True when nothing stops the daemon from starting."""
        return not self.problems


def load_environment(
    *, project_root: Path, environ: Mapping[str, str]
) -> tuple[dict[str, str], list[Problem]]:
    """The real environment over the env file (never touching os.environ); and any problem."""
    named = value_of(environ, "RECOVERY_ENV_FILE")
    path: Path | None = project_root / ".env"
    if named is not None:
        path = None if named.lower() == "none" else project_root / named
    from_file: dict[str, str] = {}
    if path is not None and path.is_file():
        try:
            # No interpolation: a `$` in a token is literal, and nothing is read from os.environ.
            values = dotenv_values(path, interpolate=False, encoding="utf-8")
        except UnicodeDecodeError:
            return {}, [Problem("RECOVERY_ENV_FILE", f"cannot read {path}: not UTF-8 text")]
        except OSError as error:
            return {}, [Problem("RECOVERY_ENV_FILE", f"cannot read {path}: {error.strerror}")]
        logger.info("environment file: %s", path)
        from_file = {name: value for name, value in values.items() if value is not None}
    elif path is not None and named is not None:
        return {}, [Problem("RECOVERY_ENV_FILE", f"file not found: {path}")]
    merged = {name: value for name, value in from_file.items() if value.strip()}
    merged.update({name: value for name, value in environ.items() if value.strip()})
    return merged, []


def startup_warnings(deployment: DeploymentSettings, operating: OperatingSettings) -> list[Problem]:
    """Warnings that need both kinds of settings: a business number on the ignore list."""
    return [
        Problem(
            "RECOVERY_IGNORE_NUMBERS",
            f"{last_digits(number)} is a business number; its calls stay `business`",
        )
        for number in operating.ignore_numbers
        if number in deployment.business_numbers
    ]


def load_configuration(
    *,
    project_root: Path,
    environ: Mapping[str, str],
    read_saved: Callable[[str], Mapping[str, str]],
) -> Configuration:
    """Read the environment, both kinds of settings and the saved ones, collecting every problem."""
    environment, problems = load_environment(project_root=project_root, environ=environ)
    if problems:
        return Configuration(environment, None, None, tuple(problems), ())
    deployment, found = read_deployment_settings(environment, project_root=project_root)
    # The saved settings need only a usable DATABASE_URL, whatever else is wrong.
    url = resolve_database_url(value_of(environment, "DATABASE_URL"), project_root=project_root)
    saved = read_saved(url) if url is not None else {}
    operating, operating_found = read_operating_settings(environment=environment, saved=saved)
    found.extend(operating_found)
    if deployment is not None and operating is not None:
        found.warnings.extend(startup_warnings(deployment, operating))
    if found.problems:
        deployment, operating = None, None
    return Configuration(
        environment, deployment, operating, tuple(found.problems), tuple(found.warnings)
    )


def layer_summary(deployment: DeploymentSettings) -> list[str]:
    """One line per layer saying whether it is on, for the start-up log."""
    on = {True: "on", False: "off"}
    return [
        "layer 1 SMS (Twilio): on",
        f"layer 2 callback (Retell): {on[deployment.layer2_on]}",
        f"layer 3 email (SendGrid): {on[deployment.layer3_on]}",
        f"CRM (HubSpot): {on[deployment.crm_on]}",
    ]
