"""SMS length rules: GSM-7 / UCS-2 encoding, segment counting and splitting.

Segmenting follows Twilio's published Message Segment Calculator (`SegmentedMessage`): a message
that fits in one SMS (140 octets: 160 septets or 70 UTF-16 units) is one segment; a longer one
is cut into segments of 153 septets / 67 UTF-16 units (each loses 6 octets to the concatenation
header), filled greedily, and a character that does not fit whole moves to the next segment.
"Character" here means a user-perceived character (grapheme cluster), so a GSM-7 escape pair,
a surrogate pair, a flag or a ZWJ emoji sequence is never cut in two, which can make the count
higher than ceil(length / 67).
"""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass

__all__ = [
    "GSM_PER_SEGMENT",
    "GSM_SINGLE",
    "MAX_SEGMENTS",
    "UCS2_PER_SEGMENT",
    "UCS2_SINGLE",
    "Encoding",
    "Measurement",
    "graphemes",
    "gsm_lookalikes",
    "is_gsm7",
    "measure",
    "split",
]

MAX_SEGMENTS = 10
GSM_SINGLE = 160
GSM_PER_SEGMENT = 153
UCS2_SINGLE = 70
UCS2_PER_SEGMENT = 67


class Encoding(enum.StrEnum):
    """How the carrier encodes a message body."""

    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


# GSM 03.38 default alphabet as Twilio maps it. Only the capital Ç is mapped (code 0x09), as in
# Twilio's table; a lowercase ç forces UCS-2 there, so it does here.
_GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs an escape septet plus its own.
_GSM_EXTENSION = "\f^{}\\[~]|€"
_GSM_SEPTETS: dict[str, int] = {ch: 1 for ch in _GSM_BASIC} | {ch: 2 for ch in _GSM_EXTENSION}


@dataclass(frozen=True, slots=True)
class Measurement:
    """Length of a message body as the carrier will bill it.

    `length` and `remaining` are in encoding units (septets for GSM-7, UTF-16 code units for
    UCS-2); `characters` counts user-perceived characters (grapheme clusters).
    """

    encoding: Encoding
    segments: int
    length: int
    remaining: int
    characters: int
    ucs2_characters: tuple[str, ...]
    per_segment: int

    @property
    def is_too_long(self) -> bool:
        """True when the body needs more than MAX_SEGMENTS segments."""
        return self.segments > MAX_SEGMENTS


def measure(text: str) -> Measurement:
    """Encoding, segment count and lengths of `text`, as Twilio's calculator computes them."""
    encoding, forcing, parts = _segment(text)
    if encoding is Encoding.GSM7:
        single, multi = GSM_SINGLE, GSM_PER_SEGMENT
    else:
        single, multi = UCS2_SINGLE, UCS2_PER_SEGMENT
    per_segment = multi if len(parts) > 1 else single
    last_used = sum(units for _, units in parts[-1]) if parts else 0
    return Measurement(
        encoding=encoding,
        segments=len(parts),
        length=sum(units for part in parts for _, units in part),
        remaining=per_segment - last_used,
        characters=len(graphemes(text)),
        ucs2_characters=forcing,
        per_segment=per_segment,
    )


def split(text: str) -> list[str]:
    """The texts of the segments `text` is sent as (empty list for empty text)."""
    _, _, parts = _segment(text)
    return ["".join(piece for piece, _ in part) for part in parts]


def is_gsm7(text: str) -> bool:
    """True when every character of `text` is in the GSM-7 alphabet (base or extension)."""
    return all(_is_gsm_grapheme(g) for g in graphemes(text))


# Characters people paste from word processors that force UCS-2, with GSM-7 stand-ins.
# Accented letters are left alone on purpose: "sí" and "si" differ in meaning for Spanish readers.
_LOOKALIKES: dict[str, str] = {
    # Quotes and apostrophes
    "\u2018": "'",  # left single quotation mark
    "\u2019": "'",  # right single quotation mark
    "\u201a": "'",  # single low-9 quotation mark
    "\u201b": "'",  # single high-reversed-9 quotation mark
    "\u2032": "'",  # prime
    "\u02bc": "'",  # modifier letter apostrophe
    "\u00b4": "'",  # acute accent
    "`": "'",
    "\u201c": '"',  # left double quotation mark
    "\u201d": '"',  # right double quotation mark
    "\u201e": '"',  # double low-9 quotation mark
    "\u201f": '"',  # double high-reversed-9 quotation mark
    "\u2033": '"',  # double prime
    "\u00ab": '"',  # left guillemet
    "\u00bb": '"',  # right guillemet
    "\u2039": "<",  # single left-pointing angle quotation mark
    "\u203a": ">",  # single right-pointing angle quotation mark
    # Dashes and hyphens
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2015": "-",  # horizontal bar
    "\u2212": "-",  # minus sign
    # Bullets and dots
    "\u2022": "-",  # bullet
    "\u2023": "-",  # triangular bullet
    "\u2043": "-",  # hyphen bullet
    "\u25e6": "-",  # white bullet
    "\u00b7": "-",  # middle dot
    "\u2026": "...",  # horizontal ellipsis
    # Spaces: all become a plain space; invisible ones disappear
    "\u00a0": " ",  # no-break space
    "\u2002": " ",  # en space
    "\u2003": " ",  # em space
    "\u2007": " ",  # figure space
    "\u2008": " ",  # punctuation space
    "\u2009": " ",  # thin space
    "\u200a": " ",  # hair space
    "\u202f": " ",  # narrow no-break space
    "\u205f": " ",  # medium mathematical space
    "\u3000": " ",  # ideographic space
    "\t": " ",
    "\u2028": "\n",  # line separator
    "\u2029": "\n",  # paragraph separator
    "\u200b": "",  # zero width space
    "\u2060": "",  # word joiner
    "\ufeff": "",  # byte order mark / zero width no-break space
    "\u00ad": "",  # soft hyphen
    # Symbols
    "\u2122": "TM",
    "\u00a9": "(c)",
    "\u00ae": "(R)",
    "\u00bd": "1/2",
    "\u00bc": "1/4",
    "\u00be": "3/4",
    "\u00d7": "x",  # multiplication sign
    "\u00f7": "/",  # division sign
    "\u2044": "/",  # fraction slash
    "\u2215": "/",  # division slash
    "\u2192": "->",
    "\u2190": "<-",
    "\u00b0": " deg",
    "\uff01": "!",  # fullwidth forms typed by phone keyboards
    "\uff1f": "?",
    "\uff0c": ",",
    "\uff0e": ".",
    "\uff1a": ":",
    "\uff1b": ";",
}
_LOOKALIKE_TABLE = str.maketrans(_LOOKALIKES)


def gsm_lookalikes(text: str) -> str:
    """`text` with common UCS-2-forcing punctuation and spaces replaced by GSM-7 look-alikes."""
    return text.translate(_LOOKALIKE_TABLE)


def graphemes(text: str) -> list[str]:
    """`text` split into user-perceived characters (an approximation of UAX #29 clusters)."""
    if text.isascii():
        # No ASCII character joins another (no marks, joiners, Hangul or flags): the common
        # case, on every inbound text and every keystroke of the composer, costs one pass.
        return list(text)
    clusters: list[str] = []
    current: list[str] = []
    ri_run = 0  # regional indicators at the end of the current cluster; flags pair them up
    for ch in text:
        if current and _joins(current[-1], ch, ri_run):
            current.append(ch)
        else:
            if current:
                clusters.append("".join(current))
            current = [ch]
            ri_run = 0
        ri_run = ri_run + 1 if _is_regional_indicator(ord(ch)) else 0
    if current:
        clusters.append("".join(current))
    return clusters


def _segment(text: str) -> tuple[Encoding, tuple[str, ...], list[list[tuple[str, int]]]]:
    """Encoding, the characters that forced UCS-2, and the segments as (piece, units) lists."""
    clusters = graphemes(text)
    forcing = tuple(dict.fromkeys(g for g in clusters if not _is_gsm_grapheme(g)))
    if not forcing:
        pieces = [(g, _GSM_SEPTETS[g]) for g in clusters]
        return Encoding.GSM7, forcing, _pack(pieces, GSM_SINGLE, GSM_PER_SEGMENT)
    pieces = [(g, _utf16_units(g)) for g in clusters]
    if sum(units for _, units in pieces) > UCS2_SINGLE:
        # A cluster longer than a whole segment (e.g. stacked combining marks) cannot stay
        # whole anywhere, so it is cut between code points; surrogate pairs still stay together.
        pieces = [
            part
            for piece in pieces
            for part in ([piece] if piece[1] <= UCS2_PER_SEGMENT else _code_points(piece[0]))
        ]
    return Encoding.UCS2, forcing, _pack(pieces, UCS2_SINGLE, UCS2_PER_SEGMENT)


def _pack(
    pieces: list[tuple[str, int]], single: int, per_segment: int
) -> list[list[tuple[str, int]]]:
    """Greedy segments: one if everything fits `single`, else `per_segment` units each."""
    if not pieces:
        return []
    if sum(units for _, units in pieces) <= single:
        return [pieces]
    parts: list[list[tuple[str, int]]] = [[]]
    used = 0
    for piece in pieces:
        if used + piece[1] > per_segment:
            parts.append([])
            used = 0
        parts[-1].append(piece)
        used += piece[1]
    return parts


def _code_points(cluster: str) -> list[tuple[str, int]]:
    return [(ch, _utf16_units(ch)) for ch in cluster]


def _utf16_units(text: str) -> int:
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def _is_gsm_grapheme(cluster: str) -> bool:
    # A cluster of two or more code points (e + combining accent, keycap 1️⃣) cannot be GSM-7
    # even when its base letter is, matching the calculator.
    return cluster in _GSM_SEPTETS


def _is_regional_indicator(cp: int) -> bool:
    return 0x1F1E6 <= cp <= 0x1F1FF


def _is_control(ch: str) -> bool:
    cp = ord(ch)
    if cp in (0x200C, 0x200D) or 0xE0020 <= cp <= 0xE007F:
        return False
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cf")


def _is_extend(ch: str) -> bool:
    cp = ord(ch)
    if (
        cp in (0x200C, 0x200D)  # zero width non-joiner / joiner
        or 0xFE00 <= cp <= 0xFE0F  # variation selectors (text / emoji presentation)
        or 0x1F3FB <= cp <= 0x1F3FF  # skin-tone modifiers: category Sk, so checked by range
        or 0xE0020 <= cp <= 0xE007F  # tag sequences (subdivision flags)
        or 0xE0100 <= cp <= 0xE01EF  # variation selectors supplement
    ):
        return True
    # Mn/Me cover combining accents and the keycap U+20E3; Mc are spacing marks (GB9a).
    return unicodedata.category(ch) in ("Mn", "Me", "Mc") or unicodedata.combining(ch) != 0


def _is_pictographic(ch: str) -> bool:
    cp = ord(ch)
    return 0x1F000 <= cp <= 0x1FAFF or 0x2600 <= cp <= 0x27BF or unicodedata.category(ch) == "So"


def _hangul_kind(cp: int) -> str | None:
    if 0x1100 <= cp <= 0x115F or 0xA960 <= cp <= 0xA97C:
        return "L"
    if 0x1160 <= cp <= 0x11A7 or 0xD7B0 <= cp <= 0xD7C6:
        return "V"
    if 0x11A8 <= cp <= 0x11FF or 0xD7CB <= cp <= 0xD7FB:
        return "T"
    if 0xAC00 <= cp <= 0xD7A3:
        return "LV" if (cp - 0xAC00) % 28 == 0 else "LVT"
    return None


_HANGUL_FOLLOWS = {
    "L": {"L", "V", "LV", "LVT"},
    "LV": {"V", "T"},
    "V": {"V", "T"},
    "LVT": {"T"},
    "T": {"T"},
}


def _joins(prev: str, ch: str, ri_run: int) -> bool:
    """Whether `ch` continues the cluster whose last code point is `prev`."""
    # CR, LF and other controls always stand alone: a carrier sends "\r\n" as two characters.
    if _is_control(prev) or _is_control(ch):
        return False
    if _is_extend(ch):
        return True
    if prev == "\u200d" and _is_pictographic(ch):
        return True
    if _is_regional_indicator(ord(ch)) and ri_run % 2 == 1:
        return True
    prev_kind = _hangul_kind(ord(prev))
    return prev_kind is not None and _hangul_kind(ord(ch)) in _HANGUL_FOLLOWS[prev_kind]
