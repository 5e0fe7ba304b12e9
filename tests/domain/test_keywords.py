"""Opt-out, opt-in and help keywords."""

from __future__ import annotations

import pytest

from inbox_app.domain.keywords import Keyword, classify

OPT_OUT = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"]
OPT_IN = ["START", "UNSTOP", "YES"]
HELP = ["HELP", "INFO"]


@pytest.mark.parametrize(
    ("word", "expected"),
    [(w, Keyword.OPT_OUT) for w in OPT_OUT]
    + [(w, Keyword.OPT_IN) for w in OPT_IN]
    + [(w, Keyword.HELP) for w in HELP],
)
def test_every_keyword_in_any_case(word, expected):
    assert classify(word) is expected
    assert classify(word.lower()) is expected
    assert classify(word.title()) is expected


@pytest.mark.parametrize(
    "body",
    ["stop", " Stop ", "STOP.", "Stop!", "stop!!", "STOP?", "\nstop\n", "Stop. ", "stop ,"],
)
def test_whitespace_and_trailing_punctuation_are_ignored(body):
    assert classify(body) is Keyword.OPT_OUT


@pytest.mark.parametrize(
    "body",
    [
        "stop texting me",
        "please stop",
        "Can you help?",
        "yes please",
        "s top",
        "stopp",
        "¡stop",
        "",
        "   ",
        "Yes, I'll be there",
        "STOP ALL",
    ],
)
def test_only_the_whole_message_counts(body):
    assert classify(body) is Keyword.NONE


def test_keyword_values_are_strings():
    assert Keyword.OPT_OUT == "opt_out"
    assert {k.value for k in Keyword} == {"opt_out", "opt_in", "help", "none"}
