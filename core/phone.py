"""Pure: normalising, classifying and masking caller IDs (PRODUCT.md section 1) with phonenumbers.

Every function takes the raw text Twilio, HubSpot or a person gave; none raises on odd input.
Ofcom's drama ranges count as real numbers here, because tests and demos use nothing else.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

DEFAULT_REGION = "GB"

WITHHELD_WORDS = frozenset(
    {"anonymous", "restricted", "unknown", "private", "blocked", "unavailable"}
)
# Twilio's stand-ins for a withheld caller ID; they parse as (foreign) numbers, so list them.
WITHHELD_PLACEHOLDERS = frozenset(
    {"+266696687", "+7378742833", "+2562533", "+8656696", "+86282452253"}
)

# Ofcom's ranges reserved for drama (TV, film, tests): each is a prefix plus exactly three digits.
DRAMA_PREFIXES = frozenset(
    {
        "+447700900",  # 07700 900xxx
        "+441134960",  # 0113 496 0xxx
        "+441144960",
        "+441154960",
        "+441164960",
        "+441174960",
        "+441184960",
        "+441214960",  # 0121 496 0xxx
        "+441314960",
        "+441414960",
        "+441514960",
        "+441614960",
        "+442079460",  # 020 7946 0xxx
        "+442896496",  # 028 9649 6xxx
        "+442920180",  # 029 2018 0xxx
        "+441632960",  # 01632 960xxx
        "+441914980",  # 0191 498 0xxx
        "+448081570",  # 0808 157 0xxx
        "+449098790",  # 0909 879 0xxx
        "+443069990",  # 03069 990xxx
    }
)

_MASK_VISIBLE = 3


def is_withheld(raw: str | None) -> bool:
    """True for an empty, withheld, placeholder or non-phone (client:, sip:, @) caller ID."""
    value = (raw or "").strip()
    if not value:
        return True
    if value.lower() in WITHHELD_WORDS or ":" in value or "@" in value:
        return True
    compact = "".join(value.split())
    return compact in WITHHELD_PLACEHOLDERS or f"+{compact}" in WITHHELD_PLACEHOLDERS


def _parse(raw: str) -> phonenumbers.PhoneNumber | None:
    if is_withheld(raw):
        return None
    try:
        return phonenumbers.parse(raw, DEFAULT_REGION)
    except NumberParseException:
        return None


def normalise(raw: str) -> str | None:
    """The E.164 form of `raw` (national UK forms read as GB), or None if it does not parse."""
    parsed = _parse(raw)
    if parsed is None:
        return None
    return str(phonenumbers.format_number(parsed, PhoneNumberFormat.E164))


def is_drama_number(e164: str) -> bool:
    """True if `e164` is in one of Ofcom's drama ranges."""
    value = e164.strip()
    return len(value) == 13 and value[:10] in DRAMA_PREFIXES and value[10:].isdigit()


def is_valid_caller(raw: str) -> bool:
    """True if `raw` parses as a phone number that phonenumbers calls possible (drama included)."""
    parsed = _parse(raw)
    if parsed is None:
        return False
    e164 = phonenumbers.format_number(parsed, PhoneNumberFormat.E164)
    return bool(phonenumbers.is_possible_number(parsed)) or is_drama_number(e164)


def is_uk(e164: str) -> bool:
    """True for a +44 number."""
    return e164.strip().startswith("+44")


def _uk_type(e164: str) -> int | None:
    """phonenumbers' type of a UK number, or None when it is not a UK number at all."""
    if not is_uk(e164):
        return None
    parsed = _parse(e164)
    if parsed is None:
        return None
    # An invalid number (some drama ranges) comes back UNKNOWN, which the prefix rule handles.
    return int(phonenumbers.number_type(parsed))


def is_uk_landline(e164: str) -> bool:
    """FIXED_LINE, or UNKNOWN type starting +441 or +442."""
    kind = _uk_type(e164)
    if kind == PhoneNumberType.FIXED_LINE:
        return True
    return kind == PhoneNumberType.UNKNOWN and e164.strip()[:4] in ("+441", "+442")


def is_uk_mobile(e164: str) -> bool:
    """MOBILE or FIXED_LINE_OR_MOBILE, or UNKNOWN type starting +447 (not +4470 or +4476)."""
    kind = _uk_type(e164)
    if kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE):
        return True
    value = e164.strip()
    return (
        kind == PhoneNumberType.UNKNOWN
        and value.startswith("+447")
        and not value.startswith(("+4470", "+4476"))
    )


def mask(e164: str) -> str:
    """All but the last three characters as `*`, same length: `+447700900123` -> `**********123`."""
    value = e164.strip()
    # The tail shows only when it is three digits, so a SIP or client identity is fully hidden.
    tail = value[-_MASK_VISIBLE:]
    if len(value) <= _MASK_VISIBLE or not tail.isdigit():
        return "*" * len(value)
    return "*" * (len(value) - _MASK_VISIBLE) + tail


def same_number(a: str | None, b: str | None) -> bool:
    """True if both parse and their E.164 forms are equal."""
    first = normalise(a) if a else None
    return first is not None and first == (normalise(b) if b else None)
