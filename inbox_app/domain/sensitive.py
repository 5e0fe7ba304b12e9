"""Spotting text that should not go out by SMS: US Social Security and payment card numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Finding", "find_sensitive", "luhn_valid"]

# 123-45-6789 or 123 45 6789 (same separator twice); a bare 9-digit run only next to a keyword,
# since invoice and case numbers are often nine digits.
_SSN_SEPARATED = re.compile(r"(?<![\d-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\d-])")
_SSN_BARE = re.compile(r"(?<!\d)(\d{3})(\d{2})(\d{4})(?!\d)")
_SSN_KEYWORD = re.compile(r"\b(ssn|ss#|social\s+security|soc\.?\s*sec)", re.IGNORECASE)
# 13-19 digits, optionally grouped by single spaces or dashes.
_CARD = re.compile(r"(?<![\d-])\d(?:[- ]?\d){12,18}(?![\d-])")


@dataclass(frozen=True, slots=True)
class Finding:
    """One suspicious number: `kind` is "ssn" or "card"; `start`/`end` index the text."""

    kind: str
    text: str
    start: int
    end: int


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every payment card number satisfies."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def _ssn_plausible(area: str, group: str, serial: str) -> bool:
    # Never issued: area 000, 666 or 900-999; group 00; serial 0000.
    return (
        area not in ("000", "666")
        and not area.startswith("9")
        and group != "00"
        and serial != "0000"
    )


def find_sensitive(text: str) -> list[Finding]:
    """Numbers in `text` that look like an SSN or a Luhn-valid card number, in text order."""
    findings: list[Finding] = []
    taken: list[tuple[int, int]] = []
    for match in _CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits) and len(set(digits)) > 1:
            findings.append(Finding("card", match.group(), match.start(), match.end()))
            taken.append(match.span())
    for match in _SSN_SEPARATED.finditer(text):
        if _overlaps(match.span(), taken):
            continue
        if _ssn_plausible(match.group(1), match.group(3), match.group(4)):
            findings.append(Finding("ssn", match.group(), match.start(), match.end()))
            taken.append(match.span())
    if _SSN_KEYWORD.search(text):
        for match in _SSN_BARE.finditer(text):
            if _overlaps(match.span(), taken):
                continue
            if _ssn_plausible(*match.groups()):
                findings.append(Finding("ssn", match.group(), match.start(), match.end()))
    return sorted(findings, key=lambda f: f.start)


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in taken)
