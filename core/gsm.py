"""Pure: the GSM-7 alphabet, SMS segment counting and transliteration into GSM-7.

One character outside GSM-7 turns a whole SMS into UCS-2 (70 characters instead of 160), so the
names we substitute into templates are transliterated ("Zoë" -> "Zoe") before they are sent.
"""

from __future__ import annotations

import unicodedata
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

# GSM 03.38 basic table (ESC, 0x1B, is left out: it only introduces the extension table).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs an escape septet plus itself, so it counts double.
GSM_EXTENSION = frozenset("{}[]~\\|^€\f")
GSM_CHARACTERS = GSM_BASIC | GSM_EXTENSION

GSM_SINGLE, GSM_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67

# Characters NFKD cannot take apart into GSM-7, mapped by hand. Letters already in GSM-7
# (ß, æ, ø, å, é, ...) are kept as they are and need no entry.
_TABLE: dict[str, str] = {
    "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th",
    "œ": "oe", "Œ": "OE", "ı": "i", "ĸ": "k", "ŋ": "n", "Ŋ": "N", "ŧ": "t", "Ŧ": "T",
    "ħ": "h", "Ħ": "H", "ſ": "s", "ƒ": "f", "ç": "c",
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'", "´": "'", "‹": "'", "›": "'",
    "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"',
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-", "•": "-",
    "…": "...", "·": ".", "×": "x", "÷": "/", "⁄": "/",
}  # fmt: skip


def septets(text: str) -> int:
    """The GSM-7 length of `text` (extension characters count two); assumes it is GSM-7."""
    return sum(2 if ch in GSM_EXTENSION else 1 for ch in text)


def utf16_units(text: str) -> int:
    """The UCS-2 (UTF-16) length of `text`: characters beyond the BMP count two."""
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def is_gsm7(text: str) -> bool:
    """True if every character of `text` is in the GSM-7 basic or extension table."""
    return all(ch in GSM_CHARACTERS for ch in text)


def encoding(text: str) -> Encoding:
    """The encoding an SMS of `text` is sent in."""
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def non_gsm_characters(text: str) -> list[str]:
    """The distinct characters that force `text` into UCS-2, in order of first appearance."""
    return list(dict.fromkeys(ch for ch in text if ch not in GSM_CHARACTERS))


def _pack(sizes: list[int], part: int) -> int:
    """Parts of `part` units needed when no character (escape or surrogate pair) may be split."""
    parts, used = 1, 0
    for size in sizes:
        if used + size > part:
            parts, used = parts + 1, 0
        used += size
    return parts


def segments(text: str) -> int:
    """How many SMS segments `text` takes (0 for an empty text)."""
    if not text:
        return 0
    if is_gsm7(text):
        if septets(text) <= GSM_SINGLE:
            return 1
        # Carriers never split an escape sequence across two parts.
        return _pack([2 if ch in GSM_EXTENSION else 1 for ch in text], GSM_PART)
    if utf16_units(text) <= UCS2_SINGLE:
        return 1
    return _pack([2 if ord(ch) > 0xFFFF else 1 for ch in text], UCS2_PART)


def _to_gsm(ch: str) -> str:
    """One character as GSM-7: kept, mapped, or stripped of accents; '' when nothing fits."""
    if ch in GSM_CHARACTERS:
        return ch
    if ch in _TABLE:
        return _TABLE[ch]
    out = []
    for part in unicodedata.normalize("NFKD", ch):
        if unicodedata.combining(part):
            continue
        if part in GSM_CHARACTERS:
            out.append(part)
        elif part in _TABLE:
            out.append(_TABLE[part])
    return "".join(out)


def transliterate(value: str) -> str:
    """`value` in GSM-7 on one line: accents stripped, lookalikes mapped, the rest dropped."""
    # Whitespace (newlines included) collapses to single spaces before and after mapping,
    # because dropped characters can leave gaps.
    flat = " ".join(value.split())
    return " ".join("".join(_to_gsm(ch) for ch in flat).split())


def cut_to_septets(value: str, limit: int) -> str:
    """The longest prefix of a GSM-7 `value` within `limit` septets, without a trailing space."""
    used = 0
    for index, ch in enumerate(value):
        used += 2 if ch in GSM_EXTENSION else 1
        if used > limit:
            return value[:index].rstrip()
    return value
