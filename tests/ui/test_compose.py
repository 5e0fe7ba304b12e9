"""The compose box: live counter, UCS-2 hints, the length limit and the sensitive-data check."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QPushButton

from inbox_app.ui.compose import ComposeBox


@pytest.fixture
def box(qtbot, qloop):
    widget = ComposeBox()
    qtbot.addWidget(widget)
    widget.resize(700, 160)
    widget.show()
    return widget


def counter(box) -> str:
    return box.findChild(QLabel, "composeCounter").text()


def test_counter_shows_characters_segments_encoding_and_credit(box):
    box.set_text("See you at 3")
    assert counter(box) == "12 characters · 1 of 10 segments · GSM-7 · 1 credit"
    box.set_text("x" * 161)
    assert "2 of 10 segments" in counter(box)
    assert box.findChild(QPushButton, "sendButton").isEnabled()


def test_characters_that_force_ucs2_are_named_and_can_be_replaced(box, qtbot):
    box.set_text("It\u2019s \u201cfine\u201d \u2014 see you")
    assert "UCS-2" in counter(box)
    assert box.ucs2.isVisible()
    label = box.ucs2_label.text()
    assert "\u2019" in label and "\u201c" in label and "\u2014" in label
    qtbot.mouseClick(box.findChild(QPushButton, "replacePlainButton"), Qt.MouseButton.LeftButton)
    assert box.text() == 'It\'s "fine" - see you'
    assert "GSM-7" in counter(box)
    assert not box.ucs2.isVisible()


def test_emoji_are_named_but_not_replaced(box):
    box.set_text("Thank you \U0001f600")
    assert box.ucs2.isVisible()
    assert not box.replace_button.isVisible()


def test_send_is_disabled_over_ten_segments(box):
    box.set_text("y" * (153 * 10))
    assert box.send_button.isEnabled()
    box.set_text("y" * (153 * 10 + 1))
    assert not box.send_button.isEnabled()
    assert "11 segments" in counter(box)
    assert box.counter.property("over") is True


def test_enter_sends_and_shift_enter_adds_a_line(box, qtbot):
    with qtbot.waitSignal(box.send_requested) as sent:
        qtbot.keyClicks(box.edit, "Line one")
        qtbot.keyClick(box.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
        qtbot.keyClicks(box.edit, "Line two")
        qtbot.keyClick(box.edit, Qt.Key.Key_Return)
    assert sent.args[0] == "Line one\nLine two"
    assert sent.args[1] is None


def test_an_empty_box_sends_nothing(box, qtbot):
    with qtbot.assertNotEmitted(box.send_requested):
        qtbot.keyClick(box.edit, Qt.Key.Key_Return)


@pytest.mark.parametrize("text", ["My SSN is 123-45-6789", "card 4111 1111 1111 1111"])
def test_sensitive_numbers_ask_before_sending(box, qtbot, text):
    box.set_text(text)
    with qtbot.assertNotEmitted(box.send_requested):
        box.submit()
        qtbot.waitUntil(lambda: box.sensitive_box is not None and box.sensitive_box.isVisible())
        box.sensitive_box.button(QMessageBox.StandardButton.Cancel).click()
    assert box.text() == text

    box.submit()
    qtbot.waitUntil(lambda: box.sensitive_box is not None and box.sensitive_box.isVisible())
    with qtbot.waitSignal(box.send_requested) as sent:
        box.sensitive_box.findChild(QPushButton, "sendAnywayButton").click()
    assert sent.args[0] == text


def test_a_read_only_thread_cannot_send(box):
    box.set_text("hello")
    box.set_can_send(False)
    assert not box.send_button.isEnabled()


def test_an_empty_box_claims_no_credit(box):
    box.edit.clear()
    assert "credit" not in box.counter.text()
    assert box.counter.text() == "Up to 10 segments of 160 characters (70 with emoji)"
    box.edit.setPlainText("Hi")
    assert box.counter.text().endswith("· 1 credit")


def test_two_lines_fit_without_a_scrollbar(box, qtbot):
    box.resize(700, 160)
    box.show()
    qtbot.waitExposed(box)
    line = box.edit.fontMetrics().lineSpacing()
    one_line = box.edit.height()
    box.set_text("word " * 30)  # wraps onto a few lines (beside the Note and Send buttons)
    qtbot.waitUntil(lambda: box.edit.height() > one_line + line)
    assert box.edit.verticalScrollBar().maximum() == 0
    assert not box.edit.verticalScrollBar().isVisible()
    box.set_text("line\n" * 12)  # beyond six lines it scrolls
    qtbot.waitUntil(lambda: box.edit.verticalScrollBar().maximum() > 0)
