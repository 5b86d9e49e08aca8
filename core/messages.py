"""Pure: SMS templates, personalisation, promotional wording and opt-out keywords (PRODUCT.md s4).

Segment counting and transliteration live in `core.gsm`; the names the console needs are
re-exported here (`encoding`, `segments`, `non_gsm_characters`).
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from core.domain import TemplateKind
from core.gsm import (
    GSM_PART,
    UCS2_PART,
    cut_to_septets,
    encoding,
    is_gsm7,
    non_gsm_characters,
    segments,
    septets,
    transliterate,
    utf16_units,
)

__all__ = [
    "CALLBACK_WHEN_MAX",
    "DEFAULT_TEMPLATES",
    "PLACEHOLDER_MAX",
    "Keyword",
    "encoding",
    "non_gsm_characters",
    "parse_keyword",
    "promotional_words",
    "render",
    "segments",
    "template_problems",
]

DEFAULT_TEMPLATES: dict[TemplateKind, str] = {
    TemplateKind.IN_HOURS: (
        "Hi {first_name}, sorry we missed your call to {company}. We'll call you back in the next "
        "few minutes, or just reply here. Reply STOP to opt out."
    ),
    TemplateKind.AFTER_HOURS: (
        "Hi {first_name}, sorry we missed your call to {company}. We'll call you back "
        "{callback_when}, or just reply here. Reply STOP to opt out."
    ),
    TemplateKind.NO_CALL: (
        "Hi {first_name}, sorry we missed your call to {company}. Just reply here and we'll get "
        "back to you. Reply STOP to opt out."
    ),
}

FIRST_NAME_FALLBACK = "there"
COMPANY_FALLBACK = "us"
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
# The longest `{callback_when}`: "at 12:30pm on Wednesday 30 September" (36 characters).
CALLBACK_WHEN_MAX = len("at 12:30pm on  30 ") + max(map(len, _WEEKDAYS)) + max(map(len, _MONTHS))
# Each value is cut to this many GSM-7 septets, so the template check below is a true bound.
PLACEHOLDER_MAX: dict[str, int] = {
    "first_name": 20,
    "company": 40,
    "callback_when": CALLBACK_WHEN_MAX,
}
MAX_SEGMENTS = 2

_TOKEN = re.compile(r"\{([^{}]*)\}|[{}]")


def _placeholders(template: str) -> tuple[list[str], int]:
    """The names inside `{...}` in order, and how many braces stand alone."""
    names: list[str] = []
    stray = 0
    for match in _TOKEN.finditer(template):
        if match.group(1) is None:
            stray += 1
        else:
            names.append(match.group(1))
    return names, stray


def _length_problem(template: str) -> str | None:
    """Why the template could exceed two segments with every placeholder at its longest."""
    fixed = _TOKEN.sub(lambda m: "" if m.group(1) in PLACEHOLDER_MAX else m.group(0), template)
    variable = sum(PLACEHOLDER_MAX.get(name, 0) for name in _placeholders(template)[0])
    if not variable:
        parts = segments(fixed)
        if parts <= MAX_SEGMENTS:
            return None
        return f"takes {parts} SMS segments, at most {MAX_SEGMENTS} allowed"
    gsm = is_gsm7(fixed)
    # Substituted values are GSM-7: one septet, or one UTF-16 unit, per character at most.
    length = (septets(fixed) if gsm else utf16_units(fixed)) + variable
    # One unit is kept back: an escape pair (or surrogate pair) never straddles two parts.
    limit = MAX_SEGMENTS * (GSM_PART if gsm else UCS2_PART) - 1
    if length <= limit:
        return None
    unit = "GSM-7 characters" if gsm else "UCS-2 characters (it has characters outside GSM-7)"
    return (
        f"could exceed {MAX_SEGMENTS} SMS segments: {length} {unit} with the placeholders at "
        f"their longest, at most {limit} fit"
    )


def template_problems(template: str) -> list[str]:
    """Everything that stops `template` being used as an SMS template; empty when it is fine."""
    if not template.strip():
        return ["the template is empty"]
    problems: list[str] = []
    names, stray = _placeholders(template)
    unknown = [name for name in dict.fromkeys(names) if name not in PLACEHOLDER_MAX]
    if unknown:
        listed = ", ".join("{" + name + "}" for name in unknown)
        known = ", ".join("{" + name + "}" for name in PLACEHOLDER_MAX)
        problems.append(f"unknown placeholder {listed} (known: {known})")
    if stray:
        problems.append("a brace that is not part of a placeholder (braces are only for {name})")
    too_long = _length_problem(template)
    if too_long:
        problems.append(too_long)
    promotional = promotional_words(template)
    if promotional:
        problems.append(
            "promotional wording (messages are service replies, never marketing): "
            + ", ".join(promotional)
        )
    return problems


def _value(raw: str | None, name: str, fallback: str) -> str:
    """A substituted value: GSM-7, one line, within its maximum; `fallback` when nothing is left."""
    cleaned = cut_to_septets(transliterate(raw or ""), PLACEHOLDER_MAX[name])
    return cleaned or fallback


def render(template: str, *, first_name: str | None, company: str, callback_when: str = "") -> str:
    """`template` filled in; unknown placeholders and stray braces stay as typed."""
    values = {
        "first_name": _value(first_name, "first_name", FIRST_NAME_FALLBACK),
        "company": _value(company, "company", COMPANY_FALLBACK),
        "callback_when": _value(callback_when, "callback_when", ""),
    }
    return _TOKEN.sub(lambda m: values.get(m.group(1) or "", m.group(0)), template)


# --- promotional wording ------------------------------------------------------------------------

# "free" is marketing, but "feel free", "toll-free", "hands-free" and "freephone"/"Freepost"
# (UK names for no-charge numbers and post) are not. "sales" (a sales team) and "deal" as a verb
# ("we'll deal with it") are not either; "deals" and "special deal" are.
_PROMOTIONAL = re.compile(
    r"""
      \b(?<!feel\ )(?<!toll-)(?<!toll\ )(?<!hands-)(?<!hands\ )free\b(?![- ]?(?:phone|post))
    | \b(?:special\ |limited\ |exclusive\ )?offers?\b
    | \bdiscount(?:s|ed)?\b
    | \d+(?:\.\d+)?\s*(?:%|per\ ?cent)\s*off\b | %\s*off\b
    | \bsale\b
    | \bdeals\b | \b(?:special|great|best|top|hot|big|amazing|exclusive|fantastic|bargain)\ deal\b
    | \bdeal\ of\ the\ (?:day|week|month)\b
    | \bpric(?:e|es|ed|ing)\b
    | [£€$]\s*\d+(?:[.,]\d+)*
    | \b\d+(?:[.,]\d+)*\s*(?:pounds|quid|gbp)\b | \bgbp\s*\d+(?:[.,]\d+)*
    | \bpromo(?:s|tion|tions|tional)?\b
    | \bvouchers?\b | \bcoupons?\b | \bbargains?\b | \bcashback\b | \bgiveaway\b | \bprizes?\b
    | \blimited[\ -]time\b | \bwhile\ stocks\ last\b
    | \b(?:buy|shop|order)\ now\b
    | \bsave\ (?:up\ to|over)\b
    """,
    re.IGNORECASE | re.VERBOSE,
)


def promotional_words(text: str) -> list[str]:
    """The wording in `text` that would make it marketing, each once, in order of appearance."""
    flat = " ".join(text.split())
    return list(dict.fromkeys(match.group(0) for match in _PROMOTIONAL.finditer(flat)))


# --- keywords -----------------------------------------------------------------------------------


class Keyword(StrEnum):
    """What an inbound message means for the suppression list."""

    OPT_OUT = "opt_out"
    RESUBSCRIBE = "resubscribe"
    NONE = "none"  # a reply (empty and picture-only messages included)


OPT_OUT_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE", "REMOVE"}
)
RESUBSCRIBE_WORDS = frozenset({"START", "UNSTOP"})


def _is_edge_noise(ch: str) -> bool:
    """Trimmed from both ends: whitespace, punctuation, symbols (emoji), controls, stray marks."""
    return unicodedata.category(ch)[0] in "PSZCM" or ch.isspace()


def _is_inner_gap(ch: str) -> bool:
    """Removed inside: spaces, any dash ("OPT–OUT") and connectors such as the underscore."""
    return ch.isspace() or unicodedata.category(ch) in ("Zs", "Pd", "Pc")


def _is_word_char(ch: str) -> bool:
    """Part of a word: letters, digits and combining marks (anything else ends the first word)."""
    return unicodedata.category(ch)[0] in "LNM"


def _normalise(body: str) -> str:
    """NFKC, trimmed of whitespace and punctuation at both ends, upper-cased."""
    text = unicodedata.normalize("NFKC", body)
    start, end = 0, len(text)
    while start < end and _is_edge_noise(text[start]):
        start += 1
    while end > start and _is_edge_noise(text[end - 1]):
        end -= 1
    return text[start:end].upper()


def parse_keyword(body: str | None) -> Keyword:
    """Whether an inbound message opts out, re-subscribes, or is a reply (PRODUCT.md s4)."""
    text = _normalise(body or "")
    if not text:
        return Keyword.NONE
    compact = "".join(ch for ch in text if not _is_inner_gap(ch))
    if compact in OPT_OUT_WORDS:
        return Keyword.OPT_OUT
    if compact in RESUBSCRIBE_WORDS:
        return Keyword.RESUBSCRIBE
    end = 0
    while end < len(text) and _is_word_char(text[end]):
        end += 1
    if text[:end] == "STOP":
        return Keyword.OPT_OUT
    return Keyword.NONE
