"""What the benchmark scripts share: the words their generated texts are made of.

`python bench/NAME.py` puts bench/ on the path, so each script imports this as `_common`.
The history bench searches for words that are not here (`RARE`, put into 0.1% of its texts,
and `ABSENT`), so keep them out of `WORDS`.
"""

from __future__ import annotations

import random

WORDS = [
    "court",
    "hearing",
    "tomorrow",
    "please",
    "bring",
    "your",
    "ID",
    "and",
    "the",
    "letter",
    "we",
    "will",
    "call",
    "you",
    "about",
    "the",
    "settlement",
    "offer",
    "thanks",
    "see",
    "you",
    "Thursday",
    "at",
    "our",
    "office",
    "documents",
    "signed",
    "receipt",
    "photo",
    "judge",
    "continuance",
    "payment",
    "plan",
    "lawyer",
    "deposition",
    "witness",
    "parking",
    "annex",
    "floor",
    "insurance",
    "adjuster",
    "motion",
    "filed",
    "Monday",
    "morning",
    "garage",
]
RARE = "zebrafish"  # bench/history.py puts it into 0.1% of its texts
ABSENT = "quetzal"  # in no text
assert RARE not in WORDS and ABSENT not in WORDS


def words(rng: random.Random, low: int, high: int) -> list[str]:
    """Between `low` and `high` words of a text, drawn from `WORDS`."""
    return rng.choices(WORDS, k=rng.randint(low, high))


def body(rng: random.Random, low: int = 3, high: int = 40) -> str:
    """A text message: `low` to `high` words, capitalised, with a full stop."""
    return " ".join(words(rng, low, high)).capitalize() + "."
