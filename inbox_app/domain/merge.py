"""Merge tags in message templates: `[Tag]` values and `[%Label: %Tag]` conditional labels.

A plain tag `[ClientFirstName]` is replaced by its value (empty when missing). A conditional
label `[%Case Number: %CaseNumber]` shows its text, with each `%Tag` replaced, only when every
tag it names has a value; otherwise the whole bracket disappears. Where a value or label
disappears, the spacing around it is tidied ("Hi [ClientFirstName], ..." -> "Hi, ...").
Tag names match case-insensitively; square brackets are reserved for merge tags.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from inbox_app.domain import sms

__all__ = [
    "KNOWN_TAGS",
    "MAX_TAG_LENGTHS",
    "MalformedMergeTag",
    "MergeTemplateError",
    "UnbalancedBrackets",
    "UnknownMergeTag",
    "max_rendered_length",
    "may_exceed_segments",
    "render",
    "validate",
]

KNOWN_TAGS: tuple[str, ...] = (
    "ClientFirstName",
    "ClientLastName",
    "EventDate",
    "EventTime",
    "EventLocation",
    "CaseNumber",
    "FirmName",
    "FirmPhone",
    "MatterName",
    "ContactPhone",
)
_CANONICAL = {tag.casefold(): tag for tag in KNOWN_TAGS}

# Generous upper bounds for a value, used only to warn that a template may run long.
MAX_TAG_LENGTHS: dict[str, int] = {
    "ClientFirstName": 40,
    "ClientLastName": 40,
    "EventDate": 30,  # "Wednesday, September 30, 2026"
    "EventTime": 15,  # "12:30 PM EDT"
    "EventLocation": 100,
    "CaseNumber": 30,
    "FirmName": 60,
    "FirmPhone": 20,
    "MatterName": 80,
    "ContactPhone": 20,
}

_NAME = r"[A-Za-z][A-Za-z0-9_]*"
_PLAIN = re.compile(rf"\s*({_NAME})\s*")
_REFERENCE = re.compile(rf"%({_NAME})")
_GAP = "\x00"  # marks where something vanished, so the spacing around it can be tidied
_GAP_RUN = re.compile(r"[ \t]*\x00(?:[ \t]*\x00)*[ \t]*")
_GAP_LINE = re.compile(r"^[ \t]*\x00(?:[ \t]*\x00)*[ \t]*\n", re.MULTILINE)
_CLOSING_PUNCTUATION = set(",.;:!?)")
_OPENING_PUNCTUATION = set("(")


class MergeTemplateError(ValueError):
    """A template that cannot be rendered; the message says what to fix."""


class UnknownMergeTag(MergeTemplateError):
    """A template names merge tags that do not exist; `tags` lists them as written."""

    def __init__(self, tags: list[str]) -> None:
        plural = "s" if len(tags) > 1 else ""
        named = ", ".join(f"[{tag}]" for tag in tags)
        known = ", ".join(f"[{tag}]" for tag in KNOWN_TAGS)
        super().__init__(f"Unknown merge tag{plural} {named}; known tags: {known}")
        self.tags = tags


class UnbalancedBrackets(MergeTemplateError):
    """A `[` without its `]` or the reverse; `position` is the offending index."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position


class MalformedMergeTag(MergeTemplateError):
    """Bracketed text that is neither `[Tag]` nor `[%Label %Tag]`."""


@dataclass(frozen=True, slots=True)
class _Text:
    text: str


@dataclass(frozen=True, slots=True)
class _Tag:
    name: str  # as written in the template


@dataclass(frozen=True, slots=True)
class _Conditional:
    parts: tuple[_Text | _Tag, ...]


_Node = _Text | _Tag | _Conditional


def validate(template: str) -> list[str]:
    """The known tags `template` uses, in order of first use; raises MergeTemplateError if bad."""
    return _check(_parse(template))


def render(template: str, values: Mapping[str, str | None]) -> str:
    """`template` with its merge tags filled from `values` (keys are tag names)."""
    nodes = _checked(template)
    lookup = {key.casefold(): value for key, value in values.items()}

    def value_of(tag: _Tag) -> str:
        value = lookup.get(tag.name.casefold())
        return "" if value is None or not str(value).strip() else str(value)

    pieces: list[str] = []
    after_value = False  # the last piece is a tag's value
    for node in nodes:
        if isinstance(node, _Text):
            text = node.text
            # "a las [EventTime]." with a time written "10:00 a. m.": one full stop, not two.
            if after_value and pieces[-1].endswith(".") and text.startswith("."):
                text = text[1:]
            pieces.append(text)
            after_value = False
        elif isinstance(node, _Tag):
            value = value_of(node)
            pieces.append(value or _GAP)
            after_value = bool(value)
        else:
            tags = [part for part in node.parts if isinstance(part, _Tag)]
            if all(value_of(tag) for tag in tags):
                pieces.extend(p.text if isinstance(p, _Text) else value_of(p) for p in node.parts)
                after_value = isinstance(node.parts[-1], _Tag) if node.parts else False
            else:
                pieces.append(_GAP)
                after_value = False
    return _close_gaps("".join(pieces))


def max_rendered_length(template: str, max_lengths: Mapping[str, int] | None = None) -> int:
    """Characters in the longest plausible rendering of `template` (every label shown)."""
    return len(_worst_case(template, max_lengths))


def may_exceed_segments(
    template: str,
    max_segments: int = sms.MAX_SEGMENTS,
    max_lengths: Mapping[str, int] | None = None,
) -> bool:
    """True when long but plausible values could push `template` past `max_segments`.

    Values are assumed GSM-7; a value with an emoji or accented capital can still switch the
    whole message to UCS-2 and shorten the limit, which only the final measurement can tell.
    """
    return sms.measure(_worst_case(template, max_lengths)).segments > max_segments


def _worst_case(template: str, max_lengths: Mapping[str, int] | None) -> str:
    limits = dict(MAX_TAG_LENGTHS) | dict(max_lengths or {})
    values = {tag: "x" * limits.get(tag, 40) for tag in validate(template)}
    return render(template, values)


@lru_cache(maxsize=256)
def _checked(template: str) -> tuple[_Node, ...]:
    """The parsed and checked nodes of `template`, parsed once: a bulk resync renders the same
    few templates thousands of times (a bad template raises every time, never cached)."""
    nodes = _parse(template)
    _check(nodes)
    return tuple(nodes)


def _parse(template: str) -> list[_Node]:
    nodes: list[_Node] = []
    position = 0
    while position < len(template):
        opening = template.find("[", position)
        closing = template.find("]", position)
        if closing != -1 and (opening == -1 or closing < opening):
            raise UnbalancedBrackets(
                f"Unmatched ']' at position {closing}: every merge tag needs an opening '['",
                closing,
            )
        if opening == -1:
            nodes.append(_Text(template[position:]))
            break
        if opening > position:
            nodes.append(_Text(template[position:opening]))
        closing = template.find("]", opening + 1)
        nested = template.find("[", opening + 1)
        if closing == -1 or (nested != -1 and nested < closing):
            raise UnbalancedBrackets(
                f"Unclosed '[' at position {opening}: "
                f"close the merge tag {template[opening : opening + 20]!r} with ']'",
                opening,
            )
        nodes.append(_parse_bracket(template[opening + 1 : closing]))
        position = closing + 1
    return nodes


def _parse_bracket(inner: str) -> _Node:
    if inner.startswith("%"):
        body = inner[1:]
        if _PLAIN.fullmatch(body):
            # "[%CaseNumber]": a conditional with no label, i.e. the value or nothing.
            return _Conditional((_Tag(body.strip()),))
        parts: list[_Text | _Tag] = []
        last = 0
        for match in _REFERENCE.finditer(body):
            if match.start() > last:
                parts.append(_Text(body[last : match.start()]))
            parts.append(_Tag(match.group(1)))
            last = match.end()
        if last < len(body):
            parts.append(_Text(body[last:]))
        if not any(isinstance(part, _Tag) for part in parts):
            raise MalformedMergeTag(
                f"Conditional label [{inner}] names no tag; "
                "write it like [%Case Number: %CaseNumber]"
            )
        return _Conditional(tuple(parts))
    match = _PLAIN.fullmatch(inner)
    if match is None:
        raise MalformedMergeTag(
            f"[{inner}] is not a merge tag; square brackets hold a tag like [ClientFirstName] "
            "or a conditional label like [%Case Number: %CaseNumber]"
        )
    return _Tag(match.group(1))


def _check(nodes: list[_Node]) -> list[str]:
    """Canonical names of the tags used, in order; raises UnknownMergeTag for the rest."""
    used: dict[str, None] = {}
    unknown: dict[str, None] = {}
    for node in nodes:
        tags = [node] if isinstance(node, _Tag) else []
        if isinstance(node, _Conditional):
            tags = [part for part in node.parts if isinstance(part, _Tag)]
        for tag in tags:
            canonical = _CANONICAL.get(tag.name.casefold())
            if canonical is None:
                unknown[tag.name] = None
            else:
                used[canonical] = None
    if unknown:
        raise UnknownMergeTag(list(unknown))
    return list(used)


def _close_gaps(text: str) -> str:
    """Remove gap markers, leaving one space where a word gap was and none before punctuation."""

    def tidy(match: re.Match[str]) -> str:
        had_space = match.group(0).replace(_GAP, "") != ""
        before = text[match.start() - 1] if match.start() > 0 else "\n"
        after = text[match.end()] if match.end() < len(text) else "\n"
        if not had_space or before == "\n" or after == "\n":
            return ""
        if after in _CLOSING_PUNCTUATION or before in _OPENING_PUNCTUATION:
            return ""
        return " "

    # A line that held only vanished labels goes away with its line break.
    text = _GAP_LINE.sub("", text)
    return _GAP_RUN.sub(tidy, text)
