"""Carrier compliance keywords: opt-out, opt-in and help, matched on the whole message."""

from __future__ import annotations

import enum

__all__ = ["HELP_WORDS", "OPT_IN_WORDS", "OPT_OUT_WORDS", "Keyword", "classify"]


class Keyword(enum.StrEnum):
    """What an inbound message asks for, if it is a compliance keyword."""

    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    NONE = "none"


# Twilio's default keyword lists (REVOKE and OPTOUT follow the FCC's 2025 revocation rules).
OPT_OUT_WORDS = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"}
)
OPT_IN_WORDS = frozenset({"start", "unstop", "yes"})
HELP_WORDS = frozenset({"help", "info"})

# Phones and people add these after a word ("Stop.", "STOP!!"); they never change the intent.
_TRAILING_PUNCTUATION = ".!?,;:"


def classify(body: str) -> Keyword:
    """The keyword `body` is, ignoring case, surrounding whitespace and trailing punctuation.

    Only a message that is the keyword alone counts: "stop texting me" is NONE, as carriers do.
    """
    word = body.strip().rstrip(_TRAILING_PUNCTUATION + " \t\r\n").casefold()
    if word in OPT_OUT_WORDS:
        return Keyword.OPT_OUT
    if word in OPT_IN_WORDS:
        return Keyword.OPT_IN
    if word in HELP_WORDS:
        return Keyword.HELP
    return Keyword.NONE
