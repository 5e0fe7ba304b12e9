"""The warn-before-sending detector: SSNs and Luhn-valid card numbers, not phone numbers."""

from __future__ import annotations

import pytest

from inbox_app.domain.sensitive import find_sensitive, luhn_valid


def kinds(text: str) -> list[str]:
    return [f.kind for f in find_sensitive(text)]


@pytest.mark.parametrize(
    "text",
    [
        "My SSN is 123-45-6789",
        "social: 123 45 6789 thanks",
        "SSN 123456789",
        "Social Security number: 212456789",
    ],
)
def test_social_security_numbers_are_found(text):
    assert kinds(text) == ["ssn"]


@pytest.mark.parametrize(
    "text",
    [
        "Invoice 123456789 is paid",  # bare nine digits without a keyword
        "Case 000-12-3456",  # area 000 is never issued
        "Ref 666-12-3456",
        "Ref 912-34-5678",
        "Ref 123-00-4567",
        "Ref 123-45-0000",
        "Call me at 201-555-0123",
        "Call (201) 555-0123 or +1 201 555 0123",
        "Mixed separators 123-45 6789",
    ],
)
def test_things_that_only_look_like_an_ssn_are_not_flagged(text):
    assert "ssn" not in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "card 4111 1111 1111 1111 exp 12/29",
        "4111-1111-1111-1111",
        "5500005555555559",
        "amex 378282246310005",
    ],
)
def test_luhn_valid_card_numbers_are_found(text):
    assert kinds(text) == ["card"]


def test_a_card_number_with_a_wrong_check_digit_is_not_flagged():
    assert kinds("4111 1111 1111 1112") == []


def test_long_runs_of_one_digit_are_not_cards():
    assert kinds("0000000000000000") == []


def test_findings_come_in_text_order_with_positions():
    text = "card 4111111111111111 and SSN 123-45-6789"
    findings = find_sensitive(text)
    assert [f.kind for f in findings] == ["card", "ssn"]
    assert text[findings[1].start : findings[1].end] == "123-45-6789"


def test_plain_text_has_no_findings():
    assert find_sensitive("See you in court on 3/14 at 9:00, room 204.") == []


def test_luhn():
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
    assert not luhn_valid("12a4")
