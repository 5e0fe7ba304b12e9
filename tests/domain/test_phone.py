"""Phone number parsing, type, display and time zone (fictional 555-01xx numbers throughout)."""

from __future__ import annotations

import pytest

from inbox_app.domain import phone
from inbox_app.domain.phone import InvalidPhoneNumber

US = "+12015550123"  # (201) 555-0123, New Jersey: valid in phonenumbers' metadata
UK_MOBILE = "+447911123456"
UK_LANDLINE = "+442079460000"  # London, Ofcom drama range
US_TOLL_FREE = "+18005550100"
US_PREMIUM = "+19005550100"


@pytest.mark.parametrize(
    "text",
    [
        "(201) 555-0123",
        "201.555.0123",
        "201-555-0123",
        "2015550123",
        "1-201-555-0123",
        "+1 201 555 0123",
        "+12015550123",
        "  (201) 555-0123  ",
    ],
)
def test_us_formats_normalize_to_e164(text):
    assert phone.normalize(text) == US


def test_international_number_with_plus():
    assert phone.normalize("+44 7911 123456") == UK_MOBILE


def test_us_international_dialling_prefix():
    assert phone.normalize("011 44 7911 123456") == UK_MOBILE


def test_region_reads_national_numbers():
    assert phone.normalize("07911 123456", region="GB") == UK_MOBILE


def test_region_defaults_to_us():
    assert phone.normalize("201 555 0123") == phone.normalize("201 555 0123", "US") == US


def test_letters_on_a_keypad_are_allowed():
    assert phone.normalize("1-800-FLOWERS") == "+18003569377"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("abc", "not a phone number"),
        ("123", "too short"),
        ("+1 555 0000 000 0", "too long"),
        ("+99 123", "country code"),
        ("555-0123", "area code"),
        ("+1 201 055 0123", "no such number"),  # exchanges never start with 0
    ],
)
def test_invalid_numbers_say_why(text, reason):
    with pytest.raises(InvalidPhoneNumber) as caught:
        phone.normalize(text)
    assert reason in str(caught.value)
    assert reason in caught.value.reason
    assert repr(text) in str(caught.value)
    assert caught.value.text == text


def test_invalid_phone_number_is_a_value_error():
    with pytest.raises(ValueError):
        phone.normalize("abc")


@pytest.mark.parametrize(
    ("e164", "capable"),
    [
        (US, True),  # FIXED_LINE_OR_MOBILE: the US metadata cannot tell
        (UK_MOBILE, True),
        (UK_LANDLINE, False),
        (US_TOLL_FREE, False),
        (US_PREMIUM, False),
    ],
)
def test_is_mobile_capable(e164, capable):
    assert phone.is_mobile_capable(e164) is capable


def test_is_mobile_capable_rejects_garbage():
    with pytest.raises(InvalidPhoneNumber):
        phone.is_mobile_capable("nope")


@pytest.mark.parametrize(
    ("sender", "expected"),
    [
        ("+1 (201) 555-0123", US),
        ("+12015550123", US),
        ("12345", "12345"),  # short code
        ("  MYFIRM ", "MYFIRM"),  # alphanumeric sender id
        ("898287", "898287"),
    ],
)
def test_normalize_sender(sender, expected):
    assert phone.normalize_sender(sender) == expected


@pytest.mark.parametrize(
    ("e164", "default", "expected"),
    [
        (US, "America/Chicago", "America/New_York"),
        ("+14155552671", "America/New_York", "America/Los_Angeles"),
        ("+13125551234", "America/New_York", "America/Chicago"),
        # UK mobiles span London and the Crown dependencies: the default wins when listed...
        (UK_MOBILE, "Europe/London", "Europe/London"),
        # ...otherwise the first listed zone is taken.
        (UK_MOBILE, "America/New_York", "Europe/Guernsey"),
        # Toll-free spans every North American zone; the firm's zone is one of them.
        (US_TOLL_FREE, "America/Denver", "America/Denver"),
        ("+80012345678", "America/New_York", "America/New_York"),  # Etc/Unknown
        ("not a number", "America/New_York", "America/New_York"),
    ],
)
def test_time_zone(e164, default, expected):
    assert phone.time_zone(e164, default) == expected


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        (US, "(201) 555-0123"),
        (UK_MOBILE, "+44 7911 123456"),
        ("+14165550123", "+1 416-555-0123"),  # Canada is abroad for a US firm
        ("12345", "12345"),
        ("MYFIRM", "MYFIRM"),
    ],
)
def test_format_display(e164, expected):
    assert phone.format_display(e164) == expected


def test_the_north_american_shortcut_gives_phonenumbers_answers():
    """normalize reads "(201) 555-0123"-like text itself; for any such text (valid or not) the
    answer, or the refusal and its reason, is what phonenumbers.parse gives."""
    import random

    from inbox_app.domain.phone import _format_e164, _parse_valid

    rng = random.Random(14)
    shapes = [
        "{a}{b}{c}",
        "({a}) {b}-{c}",
        "{a}-{b}-{c}",
        "{a}.{b}.{c}",
        "1{a}{b}{c}",
        "1-{a}-{b}-{c}",
        "+1 ({a}) {b}-{c}",
        "+1{a}{b}{c}",
        "+{a}{b}{c}",
        "{a} {b} {c}",
        "1 ({a}) {b} {c}",
    ]
    for _ in range(4000):
        digits = "".join(rng.choice("0123456789") for _ in range(10))
        if rng.random() < 0.7:
            digits = rng.choice("23456789") + digits[1:]
        text = rng.choice(shapes).format(a=digits[:3], b=digits[3:6], c=digits[6:])
        try:
            slow: object = _format_e164(_parse_valid(text, "US"))
        except InvalidPhoneNumber as error:
            slow = error.reason
        try:
            fast: object = phone.normalize(text)
        except InvalidPhoneNumber as error:
            fast = error.reason
        assert fast == slow, text
