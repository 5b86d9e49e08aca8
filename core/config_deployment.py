"""Pure: deployment settings (PRODUCT.md section 7), read once at start; every problem listed.

Vendor groups are all-or-nothing: a group that is partly set is a problem naming each missing
variable. Secrets never appear in a message or in repr().
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from core.config_formats import (
    ACCOUNT_SID,
    EMAIL,
    HUBSPOT_PROPERTY,
    Findings,
    api_base_problem,
    last_digits,
    parse_mail_from,
    parse_numbers,
    value_of,
)

DEFAULT_DATABASE_URL = "sqlite:///data/recovery.db"
DEFAULT_OPT_OUT_PROPERTY = "recovery_opt_out"
RETELL_GROUP = ("RETELL_API_KEY", "RETELL_AGENT_ID", "RETELL_FROM_NUMBER")
SENDGRID_GROUP = ("SENDGRID_API_KEY", "MAIL_FROM")
API_BASES = ("TWILIO_API_BASE", "RETELL_API_BASE", "HUBSPOT_API_BASE", "SENDGRID_API_BASE")


@dataclass(frozen=True)
class DeploymentSettings:
    """Settings read once at start; secrets are kept out of repr()."""

    database_url: str = field(repr=False)  # may hold a database password
    twilio_account_sid: str = field(repr=False)
    twilio_auth_token: str = field(repr=False)
    twilio_numbers: tuple[str, ...]
    twilio_sms_from: str
    retell_api_key: str | None = field(default=None, repr=False)
    retell_agent_id: str | None = None
    retell_from_number: str | None = None
    hubspot_token: str | None = field(default=None, repr=False)
    hubspot_opt_out_property: str = DEFAULT_OPT_OUT_PROPERTY
    sendgrid_api_key: str | None = field(default=None, repr=False)
    mail_from: str | None = None
    sendgrid_unsubscribe_group: int | None = None
    owner_email: str | None = None
    twilio_api_base: str | None = None
    retell_api_base: str | None = None
    hubspot_api_base: str | None = None
    sendgrid_api_base: str | None = None
    console_password: str | None = field(default=None, repr=False)

    @property
    def layer2_on(self) -> bool:
        """The AI voice callback (Retell) is configured."""
        return self.retell_api_key is not None

    @property
    def layer3_on(self) -> bool:
        """Email (SendGrid) is configured."""
        return self.sendgrid_api_key is not None

    @property
    def crm_on(self) -> bool:
        """The CRM (HubSpot) is configured."""
        return self.hubspot_token is not None

    @property
    def business_numbers(self) -> frozenset[str]:
        """TWILIO_NUMBERS, TWILIO_SMS_FROM and RETELL_FROM_NUMBER (forward targets come later)."""
        numbers = {*self.twilio_numbers, self.twilio_sms_from}
        if self.retell_from_number:
            numbers.add(self.retell_from_number)
        return frozenset(numbers)

    @property
    def mail_from_parts(self) -> tuple[str, str] | None:
        """(display name or "", address) of MAIL_FROM; None when email is off."""
        return parse_mail_from(self.mail_from) if self.mail_from else None


def read_deployment_settings(
    environment: Mapping[str, str], *, project_root: Path
) -> tuple[DeploymentSettings | None, Findings]:
    """The deployment settings (None if any problem) and every problem and warning."""
    found = Findings()
    get = value_of
    database_url = resolve_database_url(get(environment, "DATABASE_URL"), project_root=project_root)
    if database_url is None:
        # The value is not quoted: it may hold a password.
        found.problem("DATABASE_URL", "is not a database URL such as sqlite:///data/recovery.db")
    sid = get(environment, "TWILIO_ACCOUNT_SID")
    if sid is None:
        found.problem("TWILIO_ACCOUNT_SID", "required")
    elif not ACCOUNT_SID.fullmatch(sid):
        found.problem("TWILIO_ACCOUNT_SID", "must be AC followed by 32 hex digits")
    token = get(environment, "TWILIO_AUTH_TOKEN")
    if token is None:
        found.problem("TWILIO_AUTH_TOKEN", "required")
    numbers = _numbers(environment, "TWILIO_NUMBERS", found, required=True)
    sms_from = _numbers(environment, "TWILIO_SMS_FROM", found, single=True)
    retell = _group(environment, RETELL_GROUP, "layer 2 callback", found)
    retell_from = _numbers(environment, "RETELL_FROM_NUMBER", found, single=True)
    sendgrid = _group(environment, SENDGRID_GROUP, "layer 3 email", found)
    mail_from = get(environment, "MAIL_FROM")
    if mail_from is not None and parse_mail_from(mail_from) is None:
        found.problem("MAIL_FROM", "must be name@domain or Name <name@domain>")
    group = _unsubscribe_group(get(environment, "SENDGRID_UNSUBSCRIBE_GROUP"), sendgrid, found)
    owner = get(environment, "OWNER_EMAIL")
    if owner is not None and not EMAIL.fullmatch(owner):
        found.problem("OWNER_EMAIL", "must be an email address such as owner@example.com")
    elif owner is not None and not sendgrid:
        found.problem("OWNER_EMAIL", "needs layer 3: set SENDGRID_API_KEY and MAIL_FROM")
    opt_out_property = get(environment, "HUBSPOT_OPT_OUT_PROPERTY") or DEFAULT_OPT_OUT_PROPERTY
    if not HUBSPOT_PROPERTY.fullmatch(opt_out_property):
        found.problem(
            "HUBSPOT_OPT_OUT_PROPERTY",
            "must be a HubSpot internal property name (lower-case letters, digits, underscores)",
        )
    bases = {name: _api_base(get(environment, name), name, found) for name in API_BASES}
    sms_from = sms_from or numbers[:1]
    if sms_from and sms_from[0][:4] in ("+441", "+442"):
        defaulted = "" if get(environment, "TWILIO_SMS_FROM") else " (the first of TWILIO_NUMBERS)"
        found.warn(
            "TWILIO_SMS_FROM",
            f"{last_digits(sms_from[0])}{defaulted} is a UK geographic number, which cannot "
            "send SMS; use a mobile long code",
        )
    if found.problems or database_url is None or sid is None or token is None:
        return None, found
    settings = DeploymentSettings(
        database_url=database_url,
        twilio_account_sid=sid,
        twilio_auth_token=token,
        twilio_numbers=numbers,
        twilio_sms_from=sms_from[0],
        retell_api_key=get(environment, "RETELL_API_KEY") if retell else None,
        retell_agent_id=get(environment, "RETELL_AGENT_ID") if retell else None,
        retell_from_number=retell_from[0] if retell and retell_from else None,
        hubspot_token=get(environment, "HUBSPOT_TOKEN"),
        hubspot_opt_out_property=opt_out_property,
        sendgrid_api_key=get(environment, "SENDGRID_API_KEY") if sendgrid else None,
        mail_from=mail_from if sendgrid else None,
        sendgrid_unsubscribe_group=group,
        owner_email=owner,
        twilio_api_base=bases["TWILIO_API_BASE"],
        retell_api_base=bases["RETELL_API_BASE"],
        hubspot_api_base=bases["HUBSPOT_API_BASE"],
        sendgrid_api_base=bases["SENDGRID_API_BASE"],
        console_password=get(environment, "CONSOLE_PASSWORD"),
    )
    return settings, found


def resolve_database_url(text: str | None, *, project_root: Path) -> str | None:
    """DATABASE_URL (or the default) with a relative SQLite path made absolute; None if invalid."""
    try:
        url = make_url(text or DEFAULT_DATABASE_URL)
    except (ArgumentError, ValueError):
        return None
    database = url.database or ":memory:"
    # In-memory databases and `file:` URIs are left as they are.
    special = database == ":memory:" or database.startswith("file:")
    if url.get_backend_name() == "sqlite" and not special and not Path(database).is_absolute():
        url = url.set(database=str(project_root / database))
    return url.render_as_string(hide_password=False)


def _numbers(
    environment: Mapping[str, str],
    name: str,
    found: Findings,
    *,
    required: bool = False,
    single: bool = False,
) -> tuple[str, ...]:
    """A list of E.164 numbers (or one number); problems recorded under `name`."""
    text = value_of(environment, name)
    if text is None:
        if required:
            found.problem(name, "required: comma-separated E.164 numbers such as +441134960000")
        return ()
    numbers, problems = parse_numbers(text)
    for problem in problems:
        found.problem(name, problem)
    if not problems and single and len(numbers) != 1:
        found.problem(name, "must be one E.164 number")
    elif not problems and not numbers:
        found.problem(name, "has no numbers in it")
    return numbers


def _group(
    environment: Mapping[str, str], names: tuple[str, ...], layer: str, found: Findings
) -> bool:
    """True if every variable of the group is set; a problem per missing one if only some are."""
    present = [name for name in names if value_of(environment, name) is not None]
    if present and len(present) < len(names):
        for name in names:
            if name not in present:
                found.problem(
                    name,
                    f"missing ({', '.join(present)} set; {layer} needs all of {', '.join(names)})",
                )
    return len(present) == len(names)


def _unsubscribe_group(text: str | None, sendgrid_on: bool, found: Findings) -> int | None:
    if text is None:
        return None
    if not text.isdecimal() or not text.isascii():
        found.problem("SENDGRID_UNSUBSCRIBE_GROUP", "must be a whole number (the group's id)")
        return None
    if not sendgrid_on:
        found.warn("SENDGRID_UNSUBSCRIBE_GROUP", "ignored: layer 3 (email) is off")
    return int(text)


def _api_base(text: str | None, name: str, found: Findings) -> str | None:
    if text is None:
        return None
    problem = api_base_problem(text)
    if problem:
        found.problem(name, problem)
        return None
    return text.rstrip("/")
