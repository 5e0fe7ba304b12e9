"""Segment counting and encoding, checked against Twilio's calculator rules worked by hand.

Rules used for the expected values: a body that fits 160 septets (GSM-7) or 70 UTF-16 units
(UCS-2) is one segment; otherwise segments hold 153 septets / 67 units each, filled greedily,
and a character that does not fit whole (escape pair, surrogate pair, grapheme cluster) starts
the next segment.
"""

from __future__ import annotations

import pytest

from inbox_app.domain import sms
from inbox_app.domain.sms import Encoding, measure, split

CYR = "ж"  # one UTF-16 unit, not in GSM-7: forces UCS-2 without surrogate pairs
EMOJI = "😀"  # U+1F600: a surrogate pair, 2 units
FLAG = "🇺🇸"  # two regional indicators: 4 units, one character
FAMILY = "👨\u200d👩\u200d👧"  # three emoji + two ZWJ: 3*2 + 2 = 8 units, one character
THUMBS = "👍🏽"  # emoji + skin-tone modifier: 4 units, one character
SCOTLAND = "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"  # flag + tags


def test_empty_text_is_zero_gsm_segments_with_a_full_segment_remaining():
    m = measure("")
    assert (m.encoding, m.segments, m.length, m.remaining, m.characters) == (
        Encoding.GSM7,
        0,
        0,
        160,
        0,
    )
    assert m.ucs2_characters == ()
    assert m.per_segment == 160
    assert split("") == []


def test_short_text():
    m = measure("hi")
    assert (m.encoding, m.segments, m.length, m.remaining) == ("GSM-7", 1, 2, 158)


@pytest.mark.parametrize(
    ("length", "segments", "remaining", "per_segment"),
    [
        (1, 1, 159, 160),
        (159, 1, 1, 160),
        (160, 1, 0, 160),
        (161, 2, 145, 153),  # 153 + 8: the first segment shrinks to 153 once a header is needed
        (306, 2, 0, 153),
        (307, 3, 152, 153),
        (459, 3, 0, 153),
        (460, 4, 152, 153),
        (1530, 10, 0, 153),
        (1531, 11, 152, 153),
    ],
)
def test_gsm_boundaries(length, segments, remaining, per_segment):
    m = measure("a" * length)
    assert m.encoding is Encoding.GSM7
    assert (m.segments, m.length, m.remaining, m.per_segment) == (
        segments,
        length,
        remaining,
        per_segment,
    )
    assert m.characters == length


@pytest.mark.parametrize(
    ("length", "segments", "remaining", "per_segment"),
    [
        (1, 1, 69, 70),
        (70, 1, 0, 70),
        (71, 2, 63, 67),  # 67 + 4
        (134, 2, 0, 67),
        (135, 3, 66, 67),
        (670, 10, 0, 67),
        (671, 11, 66, 67),
    ],
)
def test_ucs2_boundaries(length, segments, remaining, per_segment):
    m = measure(CYR * length)
    assert m.encoding is Encoding.UCS2
    assert (m.segments, m.length, m.remaining, m.per_segment) == (
        segments,
        length,
        remaining,
        per_segment,
    )


def test_too_long_is_more_than_ten_segments():
    assert sms.MAX_SEGMENTS == 10
    assert not measure("a" * 1530).is_too_long
    assert measure("a" * 1531).is_too_long


@pytest.mark.parametrize("char", list("^{}[]~|\\€\f"))
def test_extension_characters_cost_two_septets(char):
    m = measure(char)
    assert (m.encoding, m.length, m.remaining, m.characters) == ("GSM-7", 2, 158, 1)


def test_eighty_extension_characters_fill_one_segment_exactly():
    assert measure("€" * 80).segments == 1
    assert measure("€" * 80 + "a").segments == 2


def test_escape_pair_at_position_153_moves_to_next_segment():
    # 152 + 2 + 10 = 164 septets, so 153-septet segments. "€" would take septets 153-154:
    # it does not fit the first segment's last septet and moves whole to the second.
    text = "a" * 152 + "€" + "a" * 10
    m = measure(text)
    assert (m.segments, m.length, m.remaining) == (2, 164, 153 - 12)
    assert split(text) == ["a" * 152, "€" + "a" * 10]


def test_escape_pair_that_cannot_split_adds_a_segment():
    # 152 + 2 + 152 = 306 septets, exactly 2 * 153, yet: [152] [€ + 151] [1] = 3 segments.
    text = "a" * 152 + "€" + "a" * 152
    assert measure(text).segments == 3
    assert [len(part) for part in split(text)] == [152, 152, 1]


def test_escape_pair_ending_exactly_on_the_boundary_stays():
    # 151 + 2 = 153 septets: the pair fills the first segment exactly.
    text = "a" * 151 + "€" + "a" * 10
    assert split(text) == ["a" * 151 + "€", "a" * 10]


def test_curly_apostrophe_forces_ucs2_and_is_named():
    m = measure("Don’t forget your hearing")
    assert m.encoding is Encoding.UCS2
    assert m.ucs2_characters == ("’",)
    assert m.remaining == 70 - 25


def test_ucs2_characters_are_distinct_in_order_of_first_appearance():
    m = measure("“Hi” it’s ‘ok’ “again”")
    assert m.ucs2_characters == ("“", "”", "’", "‘")


def test_gsm_characters_count_one_unit_each_in_ucs2():
    # In UCS-2 every BMP character is one unit, extension characters included.
    m = measure(CYR + "€{a")
    assert (m.encoding, m.length) == ("UCS-2", 4)
    assert m.ucs2_characters == (CYR,)


def test_emoji_is_two_units_and_one_character():
    m = measure(EMOJI)
    assert (m.encoding, m.length, m.characters, m.remaining) == ("UCS-2", 2, 1, 68)


def test_emoji_straddling_67_moves_to_next_segment():
    # 66 + 2 + 10 = 78 units. The emoji would be units 67-68: it moves whole to segment 2.
    text = CYR * 66 + EMOJI + CYR * 10
    m = measure(text)
    assert (m.segments, m.length, m.remaining) == (2, 78, 67 - 12)
    assert split(text) == [CYR * 66, EMOJI + CYR * 10]


def test_emoji_that_cannot_split_adds_a_segment():
    # 66 + 2 + 66 = 134 units = 2 * 67, yet [66] [2 + 65] [1] = 3 segments.
    text = CYR * 66 + EMOJI + CYR * 66
    assert measure(text).segments == 3


def test_flag_at_segment_edge_is_not_split():
    # 65 + 4 + 5 = 74 units: the flag would be units 66-69, past 67, so it moves whole.
    text = CYR * 65 + FLAG + CYR * 5
    m = measure(text)
    assert (m.segments, m.length, m.characters) == (2, 74, 71)
    assert split(text) == [CYR * 65, FLAG + CYR * 5]


def test_zwj_family_at_segment_edge_is_not_split():
    # 62 + 8 + 5 = 75 units: units 63-70 would cross 67, so the family moves whole.
    text = CYR * 62 + FAMILY + CYR * 5
    m = measure(text)
    assert (m.segments, m.remaining) == (2, 67 - 13)
    assert split(text)[1].startswith(FAMILY)


def test_zwj_family_filling_a_single_segment_exactly():
    m = measure(CYR * 62 + FAMILY)
    assert (m.segments, m.length, m.remaining, m.characters) == (1, 70, 0, 63)


def test_skin_tone_emoji_at_segment_edge_is_not_split():
    # 64 + 4 + 3 = 71 units: the 4-unit cluster would end at unit 68.
    text = CYR * 64 + THUMBS + CYR * 3
    assert split(text) == [CYR * 64, THUMBS + CYR * 3]


def test_calculator_reference_cases():
    # The calculator's own published cases (its tests/index.test.js and segments.test.js).
    digits = "".join(str(i % 10) for i in range(2, 400))  # "2345678901...", as theirs
    assert measure("{" + digits[:158]).length == 160  # 2 + 158 septets
    assert measure("{" + digits[:158]).segments == 1
    assert measure("{" + digits[:159]).segments == 2  # 161 septets
    assert measure("😜" + digits[:68]).segments == 1  # 2 + 68 = 70 units
    assert measure("😜" + digits[:69]).segments == 2  # 71 units
    # 2 + 133 = 135 units: [😜 + 65 digits = 67 units] [67 digits] [1 digit, "4"].
    parts = split("😜" + digits[:133])
    assert len(parts) == 3
    assert parts[-1] == digits[132] == "4"


def test_split_rejoins_to_the_original():
    for text in [
        "a" * 500,
        ("€a" * 200),
        CYR * 300,
        (FAMILY + FLAG + THUMBS + CYR) * 40,
        "line one\r\nline two\n" * 30,
    ]:
        parts = split(text)
        assert "".join(parts) == text
        assert len(parts) == measure(text).segments


def test_characters_count_user_perceived_characters():
    assert measure(SCOTLAND).characters == 1
    assert measure(SCOTLAND).length == 14  # 7 astral code points
    assert measure(FAMILY).characters == 1
    assert measure(FAMILY).length == 8
    assert measure(FLAG + FLAG).characters == 2
    assert measure("e\u0301").characters == 1


def test_decomposed_accent_forces_ucs2_even_though_e_is_gsm():
    m = measure("cafe\u0301")
    assert m.encoding is Encoding.UCS2
    assert m.ucs2_characters == ("e\u0301",)


def test_crlf_is_two_gsm_characters():
    m = measure("a\r\nb")
    assert (m.encoding, m.length, m.characters) == ("GSM-7", 4, 4)


def test_lowercase_c_cedilla_is_not_gsm_but_capital_is():
    # Twilio's table maps only "Ç" to GSM 0x09.
    assert sms.is_gsm7("Ç")
    assert not sms.is_gsm7("ç")


def test_oversized_cluster_is_cut_between_code_points():
    # One "a" with 80 combining accents is a single 81-unit cluster, larger than a segment.
    text = "a" + "\u0301" * 80
    assert measure(text).segments == 2
    assert [len(part) for part in split(text)] == [67, 14]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (FLAG + "🇬🇧", [FLAG, "🇬🇧"]),
        ("🇺🇸🇬", [FLAG, "🇬"]),
        (FAMILY + "x", [FAMILY, "x"]),
        (THUMBS, [THUMBS]),
        ("1\ufe0f\u20e3", ["1\ufe0f\u20e3"]),  # keycap
        ("❤\ufe0f!", ["❤\ufe0f", "!"]),  # variation selector
        (SCOTLAND + "!", [SCOTLAND, "!"]),  # tag sequence
        ("한국", ["한", "국"]),
        ("\u1100\u1161\u11a8", ["\u1100\u1161\u11a8"]),  # conjoining jamo
        ("\r\n", ["\r", "\n"]),
        ("ab", ["a", "b"]),
    ],
)
def test_graphemes(text, expected):
    assert sms.graphemes(text) == expected


def test_is_gsm7():
    assert sms.is_gsm7("Hello @ £5 {ok} ¿Qué? ÄÖÑÜ")
    assert sms.is_gsm7("")
    assert not sms.is_gsm7("Hello 😀")
    assert not sms.is_gsm7("naïve")


def test_gsm_lookalikes_makes_word_processor_text_gsm():
    text = "“Don’t” – call… at\u00a09\u2009am • ok — ‘fine’"
    fixed = sms.gsm_lookalikes(text)
    assert fixed == "\"Don't\" - call... at 9 am - ok - 'fine'"
    assert sms.is_gsm7(fixed)
    assert measure(fixed).encoding is Encoding.GSM7


def test_gsm_lookalikes_keeps_accents_and_emoji():
    assert sms.gsm_lookalikes("sí 😀") == "sí 😀"
