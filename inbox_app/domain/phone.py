"""Phone numbers: parse to E.164, judge whether a number can take texts, display, time zone."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat, PhoneNumberType
from phonenumbers import ValidationResult as _Possible
from phonenumbers.timezone import time_zones_for_number

__all__ = [
    "InvalidPhoneNumber",
    "format_display",
    "is_mobile_capable",
    "normalize",
    "normalize_sender",
    "time_zone",
]

DEFAULT_REGION = "US"

# Types that can receive a text. US/CA numbers are FIXED_LINE_OR_MOBILE because the metadata
# cannot tell them apart; VoIP and personal numbers usually take texts too. UNKNOWN gets the
# benefit of the doubt: the carrier will say if it cannot deliver.
_TEXTABLE_TYPES = frozenset(
    {
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
        PhoneNumberType.VOIP,
        PhoneNumberType.PERSONAL_NUMBER,
        PhoneNumberType.UNKNOWN,
    }
)

_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: "its country code is unknown",
    NumberParseException.NOT_A_NUMBER: "it is not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "it is too short",
    NumberParseException.TOO_SHORT_NSN: "it is too short",
    NumberParseException.TOO_LONG: "it is too long",
}

_LENGTH_REASONS = {
    _Possible.INVALID_COUNTRY_CODE: "its country code is unknown",
    _Possible.TOO_SHORT: "it is too short",
    _Possible.TOO_LONG: "it is too long",
    _Possible.IS_POSSIBLE_LOCAL_ONLY: "it is missing its area code",
    _Possible.INVALID_LENGTH: "it has the wrong number of digits",
}


# A North American number as people write it ("(201) 555-0123", "1-201-555-0123",
# "+1 201.555.0123"): read without phonenumbers' general parser, which cost half of the check.
_NANP_SEPARATORS = str.maketrans("", "", " ()-.")
_NANP = re.compile(r"(?:\+1|1)?([2-9][0-9]{9})")


class InvalidPhoneNumber(ValueError):
    """A text that is not a valid phone number; `reason` says why in words a person can act on."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"{text!r} is not a valid phone number: {reason}")
        self.text = text
        self.reason = reason


def normalize(text: str, region: str = DEFAULT_REGION) -> str:
    """`text` as E.164 ("+12015550123"); numbers without a country code are read in `region`."""
    if region == "US":
        nanp = _NANP.fullmatch(text.translate(_NANP_SEPARATORS))
        if nanp is not None:
            national = nanp.group(1)
            # The same number phonenumbers.parse reads, judged by the same metadata; anything
            # it does not find valid goes the long way, for the same answer and reason.
            number = PhoneNumber(country_code=1, national_number=int(national))
            # Valid in the US is valid (is_valid_number tries the US first, then checks it
            # again); else the other North American regions.
            if phonenumbers.is_valid_number_for_region(number, "US") or (
                phonenumbers.is_valid_number(number)
            ):
                return "+1" + national
    return _format_e164(_parse_valid(text, region))


def is_mobile_capable(e164: str) -> bool:
    """True unless the number is known to be a landline, toll-free, premium or similar line."""
    number = _parse_valid(e164, DEFAULT_REGION)
    return phonenumbers.number_type(number) in _TEXTABLE_TYPES


def normalize_sender(text: str, region: str = DEFAULT_REGION) -> str:
    """An inbound sender as E.164 when it is a valid number, else stripped and unchanged."""
    stripped = text.strip()
    try:
        return normalize(stripped, region)
    except InvalidPhoneNumber:
        # Short codes ("12345") and alphanumeric senders ("MYBANK") stay as the carrier sent them.
        return stripped


def time_zone(e164: str, default: str) -> str:
    """The number's time zone from its prefix; `default` when unknown or unparseable.

    When the prefix spans several zones (UK mobiles, toll-free) `default` wins if it is one of
    them, so the firm's own zone is preferred to an alphabetical first pick.
    """
    try:
        number = phonenumbers.parse(e164, DEFAULT_REGION)
    except NumberParseException:
        return default
    zones = [zone for zone in time_zones_for_number(number) if zone != "Etc/Unknown"]
    if not zones:
        return default
    if len(zones) > 1 and default in zones:
        return default
    return zones[0]


def format_display(e164: str) -> str:
    """National format for US numbers ("(201) 555-0123"), international for others."""
    try:
        number = phonenumbers.parse(e164, DEFAULT_REGION)
    except NumberParseException:
        # Display must not fail on a short code or an alphanumeric sender.
        return e164
    if not phonenumbers.is_valid_number(number):
        return e164
    if phonenumbers.region_code_for_number(number) == "US":
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def _parse_valid(text: str, region: str) -> phonenumbers.PhoneNumber:
    if not text or not text.strip():
        raise InvalidPhoneNumber(text, "it is empty")
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as error:
        reason = _PARSE_REASONS.get(error.error_type, "it could not be read")
        raise InvalidPhoneNumber(text, reason) from error
    if not phonenumbers.is_valid_number(number):
        possible = phonenumbers.is_possible_number_with_reason(number)
        region_code = phonenumbers.region_code_for_number(number)
        fallback = (
            f"no such number exists in {region_code}"
            if region_code and region_code not in ("ZZ", "001")
            else f"no such number exists with country code +{number.country_code}"
        )
        raise InvalidPhoneNumber(text, _LENGTH_REASONS.get(possible, fallback))
    return number


def _format_e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)
