"""Operating settings (PRODUCT.md section 7): start-up warnings and the rules' Policy."""

from __future__ import annotations

from datetime import timedelta

from core.config_formats import Findings
from core.config_operating import (
    OPERATING_DEFAULTS,
    SANE_RANGES,
    OperatingSettings,
    read_operating_settings,
)


def read(environment: dict[str, str] | None = None) -> tuple[OperatingSettings | None, Findings]:
    environment = {"RECOVERY_COMPANY_NAME": "Acme Plumbing", **(environment or {})}
    return read_operating_settings(environment=environment, saved={})


def test_a_zone_other_than_london_is_a_warning_not_a_problem() -> None:
    settings, found = read({"RECOVERY_TIMEZONE": "America/New_York"})
    assert settings is not None
    assert [w.name for w in found.warnings] == ["RECOVERY_TIMEZONE"]


def test_hours_outside_the_hard_limit_are_accepted_with_a_warning() -> None:
    settings, found = read({"RECOVERY_HOURS": "mon-fri 07:00-22:00"})
    assert settings is not None and settings.hours[0] == ((420, 1320),)
    assert [w.name for w in found.warnings] == ["RECOVERY_HOURS"]


def test_environment_values_outside_the_consoles_range_are_flagged_not_clamped() -> None:
    settings, found = read({"RECOVERY_EMAIL_DELAY_SECONDS": "60"})
    assert settings is not None and settings.email_delay_seconds == 60
    assert [str(w) for w in found.warnings] == [
        "RECOVERY_EMAIL_DELAY_SECONDS: 60 is outside the console's range 1800 to 3600 "
        "(accepted as given)"
    ]


def test_defaults_lie_inside_the_consoles_ranges() -> None:
    _, found = read()
    assert found.warnings == []
    for name, (low, high) in SANE_RANGES.items():
        assert low <= float(OPERATING_DEFAULTS[name] or "nan") <= high, name


def test_to_policy_converts_each_unit_and_carries_layers_and_kill_switch() -> None:
    settings, _ = read(
        {
            "RECOVERY_SMS_DELAY_SECONDS": "2",
            "RECOVERY_EMAIL_DELAY_SECONDS": "1800",
            "RECOVERY_COOLDOWN_HOURS": "12",
            "RECOVERY_MAX_CATCHUP_MINUTES": "15",
            "RECOVERY_MAX_CALLBACK_WAIT_HOURS": "48",
            "RECOVERY_PAUSED": "yes",
        }
    )
    assert settings is not None
    policy = settings.to_policy(layer2_on=True, layer3_on=False)
    assert policy.sms_delay == timedelta(seconds=2)
    assert policy.reply_wait == timedelta(seconds=180)
    assert policy.email_delay == timedelta(minutes=30)
    assert policy.cooldown == timedelta(hours=12)
    assert policy.max_catchup == timedelta(minutes=15)
    assert policy.max_callback_wait == timedelta(hours=48)
    assert (policy.layer2_on, policy.layer3_on, policy.kill_switch) == (True, False, True)
