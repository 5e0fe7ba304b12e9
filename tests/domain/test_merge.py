"""Merge tags, conditional labels, template errors and the long-template warning."""

from __future__ import annotations

import pytest

from inbox_app.domain import merge
from inbox_app.domain.merge import (
    MalformedMergeTag,
    MergeTemplateError,
    UnbalancedBrackets,
    UnknownMergeTag,
    render,
    validate,
)

VALUES = {
    "ClientFirstName": "Ana",
    "ClientLastName": "Ruiz",
    "EventDate": "May 3",
    "EventTime": "9:00 AM",
    "EventLocation": "Courtroom 4B",
    "CaseNumber": "24-CV-1093",
    "FirmName": "Doe & Roe",
    "FirmPhone": "(201) 555-0123",
}


def test_plain_tags_are_replaced():
    template = "Hi [ClientFirstName] [ClientLastName], court on [EventDate] at [EventTime]."
    assert render(template, VALUES) == "Hi Ana Ruiz, court on May 3 at 9:00 AM."


def test_all_known_tags_are_accepted():
    template = " ".join(f"[{tag}]" for tag in merge.KNOWN_TAGS)
    assert validate(template) == list(merge.KNOWN_TAGS)
    assert "MatterName" in merge.KNOWN_TAGS
    assert "ContactPhone" in merge.KNOWN_TAGS


def test_conditional_label_shows_with_its_value():
    template = "Hearing on [EventDate] [%Case Number: %CaseNumber] at [EventLocation]."
    assert render(template, VALUES) == ("Hearing on May 3 Case Number: 24-CV-1093 at Courtroom 4B.")


@pytest.mark.parametrize("empty", [None, "", "   "])
def test_conditional_label_disappears_without_its_value(empty):
    template = "Hearing on [EventDate] [%Case Number: %CaseNumber] at [EventLocation]."
    values = VALUES | {"CaseNumber": empty}
    assert render(template, values) == "Hearing on May 3 at Courtroom 4B."


def test_vanished_label_before_punctuation_leaves_no_space():
    template = "Your hearing is on [EventDate] [%(case %CaseNumber)]."
    assert render(template, {"EventDate": "May 3"}) == "Your hearing is on May 3."


def test_vanished_label_at_start_and_end_of_text():
    assert render("[%Case %CaseNumber] Hello", {}) == "Hello"
    assert render("Hello [%Case %CaseNumber]", {}) == "Hello"


def test_line_holding_only_a_vanished_label_is_removed():
    template = "Hello [ClientFirstName]\n[%Case: %CaseNumber]\nSee you [EventDate]"
    assert render(template, VALUES | {"CaseNumber": None}) == "Hello Ana\nSee you May 3"


def test_conditional_with_several_tags_needs_all_of_them():
    template = "Call[% %FirmName at %FirmPhone]."
    assert render(template, VALUES) == "Call Doe & Roe at (201) 555-0123."
    assert render(template, VALUES | {"FirmPhone": None}) == "Call."


def test_conditional_without_label():
    assert render("Case [%CaseNumber] ok", VALUES) == "Case 24-CV-1093 ok"
    assert render("Case [%CaseNumber] ok", {}) == "Case ok"


def test_missing_plain_value_renders_empty_and_tidies_spacing():
    assert render("Hi [ClientFirstName], see you", {}) == "Hi, see you"
    assert render("Hi [ClientFirstName] see you", {"ClientFirstName": None}) == "Hi see you"


def test_users_own_spacing_is_kept():
    assert render("Hi  there [ClientFirstName]", VALUES) == "Hi  there Ana"


def test_tag_names_are_case_insensitive():
    assert render("Hi [clientfirstname]", VALUES) == "Hi Ana"
    assert validate("[CLIENTFIRSTNAME] [%x %casenumber]") == ["ClientFirstName", "CaseNumber"]


def test_validate_lists_tags_in_order_of_first_use():
    template = "[EventDate] [ClientFirstName] [EventDate] [%Case %CaseNumber]"
    assert validate(template) == ["EventDate", "ClientFirstName", "CaseNumber"]
    assert validate("No tags at all.") == []


def test_unknown_tag_is_named_with_the_known_ones():
    with pytest.raises(UnknownMergeTag) as caught:
        validate("Hi [Foo]")
    message = str(caught.value)
    assert message.startswith("Unknown merge tag [Foo]; known tags: [ClientFirstName]")
    assert caught.value.tags == ["Foo"]
    assert isinstance(caught.value, ValueError)


def test_every_unknown_tag_is_named_once():
    with pytest.raises(UnknownMergeTag) as caught:
        validate("[Foo] [Bar] [Foo] [%x %Baz] [ClientFirstName]")
    assert caught.value.tags == ["Foo", "Bar", "Baz"]
    assert "Unknown merge tags [Foo], [Bar], [Baz];" in str(caught.value)


def test_render_rejects_unknown_tags():
    with pytest.raises(UnknownMergeTag):
        render("Hi [Nickname]", {"Nickname": "A"})


@pytest.mark.parametrize(
    ("template", "position", "words"),
    [
        ("Hi [ClientFirstName", 3, "Unclosed '['"),
        ("Hi ClientFirstName]", 18, "Unmatched ']'"),
        ("Hi [Client [EventDate]]", 3, "Unclosed '['"),
        ("[EventDate]]", 11, "Unmatched ']'"),
    ],
)
def test_unbalanced_brackets(template, position, words):
    with pytest.raises(UnbalancedBrackets) as caught:
        validate(template)
    assert words in str(caught.value)
    assert f"position {position}" in str(caught.value)
    assert caught.value.position == position
    with pytest.raises(MergeTemplateError):
        render(template, VALUES)


@pytest.mark.parametrize("template", ["[Note: bring ID]", "[]", "[%just words]", "[%]"])
def test_bracketed_text_that_is_not_a_tag(template):
    with pytest.raises(MalformedMergeTag):
        validate(template)


def test_max_rendered_length_uses_generous_values():
    assert merge.max_rendered_length("At [EventLocation]") == 3 + 100
    assert merge.max_rendered_length("[ClientFirstName]") == 40
    assert merge.max_rendered_length("[ClientFirstName]", {"ClientFirstName": 10}) == 10
    assert merge.max_rendered_length("[%Case: %CaseNumber]") == len("Case: ") + 30


def test_may_exceed_segments():
    short = "Hi [ClientFirstName], court on [EventDate] at [EventTime], [EventLocation]."
    assert not merge.may_exceed_segments(short)
    assert merge.may_exceed_segments(short, max_segments=1)
    # 1400 septets of text plus a 100-character location can pass 10 * 153 = 1530.
    long = "a" * 1400 + " [EventLocation] [FirmName]"
    assert merge.may_exceed_segments(long)
    assert not merge.may_exceed_segments("a" * 1400)


def test_a_value_that_ends_a_sentence_with_its_own_full_stop_gets_no_second_one():
    spanish = "Hoy: su audiencia a las [EventTime]."
    assert render(spanish, {"EventTime": "10:00 a. m."}) == "Hoy: su audiencia a las 10:00 a. m."
    assert render(spanish, {"EventTime": "10:00"}) == "Hoy: su audiencia a las 10:00."
    # Only right after a value: the template's own ".." and "..." stay as written.
    assert render("Wait.. [EventTime]...", {"EventTime": "9 a.m."}) == "Wait.. 9 a.m..."
    assert render("[FirmName].", {"FirmName": "Doe & Roe, P.C."}) == "Doe & Roe, P.C."
