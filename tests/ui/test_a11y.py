"""Keyboard and contrast: Tab reaches every part of the window with a visible ring, the GSM-7 fix
hands the focus back, the new-conversation dialog is one step, and all text reads at 4.5:1.

Contrast is measured twice: the WCAG ratio of every text colour and background the theme lists
(theme.TEXT_ON, which the stylesheet and the delegates paint with), and the pixels of a real
rendered window (timestamps and status lines against what they sit on) in both palettes.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication

from inbox_app.ui import contrast, theme
from inbox_app.ui.contrast import AA_NON_TEXT, AA_TEXT, ratio
from tests.ui.helpers import compose, inbound, messages

PHONE = "+12015550161"


def activate(window, qtbot) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)


def use_palette(qapp, dark: bool) -> None:
    theme.apply(qapp, dark=dark)
    watcher = getattr(qapp, "_inbox_theme_watcher", None)
    if watcher is not None:
        watcher.changed.emit(theme.current())


@pytest.fixture
def light_again(qapp):
    yield
    theme.apply(qapp, dark=False)


@pytest.fixture
def thread(admin, server, window, qtbot):
    """One open thread with an inbound text, a sent reply and a scheduled one."""
    conversation = compose(admin, PHONE)
    inbound(server, PHONE, "Hello, is my hearing still on Thursday?")
    path = f"/api/v1/conversations/{conversation['id']}/messages"
    assert admin.post(path, json={"body": "Yes, 10 AM. See you there."}).status_code == 201
    later = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    body = {"body": "Reminder: hearing tomorrow.", "send_at": later}
    assert admin.post(path, json=body).status_code == 201
    qtbot.waitUntil(lambda: window.list_model.row_of(conversation["id"]) >= 0, timeout=5000)
    window.select_conversation(conversation["id"])
    qtbot.waitUntil(lambda: window.thread_model.rowCount() == 3, timeout=5000)
    return conversation["id"]


def focus_chain(window, qtbot, start, steps: int = 40) -> list[str]:
    """Object names of the widgets Tab visits from `start`, until it comes back round."""
    start.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.waitUntil(start.hasFocus, timeout=3000)
    seen = []
    for _ in range(steps):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        widget = QApplication.focusWidget()
        if widget is start:
            break
        seen.append(widget.objectName() or type(widget).__name__)
    return seen


def near(color: QColor, hex_color: str, tolerance: int = 40) -> bool:
    want = QColor(hex_color)
    return all(
        abs(a - b) <= tolerance for a, b in zip(color.getRgb()[:3], want.getRgb()[:3], strict=True)
    )


# --- keyboard --------------------------------------------------------------------------------


def test_tab_walks_the_window_and_every_stop_shows_a_ring(window, thread, qtbot):
    activate(window, qtbot)
    window.compose.set_text("Draft")  # Send is enabled (disabled buttons are skipped)
    chain = focus_chain(window, qtbot, window.search_edit)
    wanted = [
        "unreadToggle",
        "archivedToggle",
        "threadList",
        "muteButton",
        "printButton",
        "moreButton",
        "messageView",
        "composeEdit",
        "sendLaterButton",
        "sendButton",
        "newConversationButton",
    ]
    positions = [chain.index(name) for name in wanted]
    assert positions == sorted(positions), chain

    # The message list: Tab from the header's last button lands on it.
    view = window.message_view
    window.thread_list.setFocus(Qt.FocusReason.TabFocusReason)
    chain = focus_chain(window, qtbot, window.more_button, steps=1)
    assert chain == ["messageView"]
    model = window.thread_model
    # Arriving by keyboard starts at the newest message; Up goes to the one before.
    assert view.currentIndex().row() == model.rowCount() - 1
    qtbot.keyClick(view, Qt.Key.Key_Up)
    assert view.currentIndex().row() == model.rowCount() - 2

    ring = bubble_ring_pixel(view, view.currentIndex())
    assert near(ring, theme.current().accent), ring.name()
    # A click moves the current bubble without the ring (the selection look is enough).
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert not near(bubble_ring_pixel(view, view.currentIndex()), theme.current().accent)

    # Chips, header buttons and the compose buttons show the stylesheet's ring.
    accent = theme.current().accent
    for widget in (window.unread_toggle, window.mute_button, window.compose.send_later_button):
        window.search_edit.setFocus()
        before = widget.grab().toImage()
        widget.setFocus(Qt.FocusReason.TabFocusReason)
        qtbot.waitUntil(widget.hasFocus, timeout=2000)
        widget.repaint()
        after = widget.grab().toImage()
        y = after.height() // 2
        ringed = sum(
            1
            for x in range(after.width())
            if near(QColor(after.pixel(x, y)), accent, 30)
            and not near(QColor(before.pixel(x, y)), accent, 30)
        )
        assert ringed >= 2, widget.objectName()  # the ring's left and right sides


def bubble_ring_pixel(view, index) -> QColor:
    from inbox_app.ui.thread_view import compute_layout

    view.viewport().repaint()
    rect = view.visualRect(index)
    m = index.data(view.model().MessageRole)
    header = bool(index.data(view.model().DayHeaderRole))
    lay = compute_layout(m, rect.width(), view.font(), header, rect.top(), rect.left())
    image = view.viewport().grab().toImage()
    ratio_ = image.devicePixelRatio()
    x, y = lay.bubble.center().x(), lay.bubble.top() - 4
    return QColor(image.pixel(int(x * ratio_), int(y * ratio_)))


def test_the_gsm7_fix_gives_the_focus_back_to_the_text_box(window, thread, qtbot):
    activate(window, qtbot)
    compose_box = window.compose
    compose_box.edit.setFocus()
    # Pasted from a word processor (QTest cannot type non-ASCII keys).
    compose_box.edit.insertPlainText("It\u2019s \u201cconfirmed\u201d")
    assert compose_box.replace_button.isVisible()
    qtbot.keyClick(compose_box.edit, Qt.Key.Key_Tab)
    assert compose_box.replace_button.hasFocus()
    qtbot.keyClick(compose_box.replace_button, Qt.Key.Key_Space)
    assert compose_box.text() == 'It\'s "confirmed"'
    assert compose_box.edit.hasFocus()
    qtbot.keyClicks(compose_box.edit, "!")
    assert compose_box.text() == 'It\'s "confirmed"!'


# --- the one-step new conversation ------------------------------------------------------------


def open_new_dialog(window, qtbot):
    before = getattr(window, "new_dialog", None)
    qtbot.keyClick(window.thread_list, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: getattr(window, "new_dialog", None) not in (None, before), timeout=3000)
    dialog = window.new_dialog
    qtbot.waitUntil(dialog.isVisible)
    qtbot.waitUntil(dialog.phone_edit.hasFocus, timeout=3000)
    return dialog


def test_new_conversation_is_a_number_then_the_first_message_in_one_dialog(
    window, admin, qtbot, artifacts_dir
):
    activate(window, qtbot)
    dialog = open_new_dialog(window, qtbot)
    qtbot.keyClicks(dialog.phone_edit, "201 555 01")
    assert "not a valid mobile number" in dialog.number_check.text()  # live, while typing
    qtbot.keyClicks(dialog.phone_edit, "44")
    assert dialog.number_check.text().startswith("✓ (201) 555-0144")
    qtbot.keyClick(dialog.phone_edit, Qt.Key.Key_Return)  # on to the message
    assert dialog.message_edit.hasFocus()
    qtbot.keyClicks(dialog.message_edit, "Hello from the firm")
    assert dialog.open_button.text() == "Send"
    dialog.grab().save(str(artifacts_dir / "new_conversation.png"))
    qtbot.keyClick(dialog.message_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    conversation_id = dialog.conversation_id
    qtbot.waitUntil(lambda: window.current_id == conversation_id, timeout=5000)
    qtbot.waitUntil(
        lambda: [m["body"] for m in messages(admin, conversation_id)] == ["Hello from the firm"],
        timeout=5000,
    )
    assert window.compose.text() == ""
    # The focus waits in the text box for the window to be active again (offscreen has no
    # window manager to re-activate it when the dialog closes).
    assert window.focusWidget() is window.compose.edit
    activate(window, qtbot)

    # The same number again opens that thread and adds to it.
    dialog = open_new_dialog(window, qtbot)
    qtbot.keyClicks(dialog.phone_edit, "(201) 555-0144")
    qtbot.keyClick(dialog.phone_edit, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: not dialog.phone_edit.hasFocus())
    dialog.message_edit.setFocus()
    qtbot.keyClicks(dialog.message_edit, "One more thing")
    qtbot.keyClick(dialog.message_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    assert dialog.conversation_id == conversation_id and dialog.created is False
    qtbot.waitUntil(lambda: len(messages(admin, conversation_id)) == 2, timeout=5000)

    # A bad number stops Enter in the field; a good one moves on, and without a message the
    # button only opens the thread.
    activate(window, qtbot)
    dialog = open_new_dialog(window, qtbot)
    qtbot.keyClicks(dialog.phone_edit, "555-01")
    qtbot.keyClick(dialog.phone_edit, Qt.Key.Key_Return)
    assert "too short" in dialog.error_label.text() and dialog.phone_edit.hasFocus()
    dialog.phone_edit.clear()
    qtbot.keyClicks(dialog.phone_edit, "2015550145")
    qtbot.keyClick(dialog.phone_edit, Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.message_edit.hasFocus()
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: window.current_id == dialog.conversation_id, timeout=5000)
    assert messages(admin, dialog.conversation_id) == []


# --- contrast --------------------------------------------------------------------------------


@pytest.mark.parametrize("palette", [theme.LIGHT, theme.DARK], ids=lambda t: t.name)
def test_every_text_colour_reads_at_4_5_to_1_on_its_backgrounds(palette):
    failures = []
    for fg, backgrounds in theme.TEXT_ON.items():
        for bg in backgrounds:
            value = ratio(getattr(palette, fg), getattr(palette, bg))
            if value < AA_TEXT:
                failures.append(f"{fg} on {bg}: {value:.2f}")
    for fg, backgrounds in theme.RING_ON.items():
        for bg in backgrounds:
            value = ratio(getattr(palette, fg), getattr(palette, bg))
            if value < AA_NON_TEXT:
                failures.append(f"ring/icon {fg} on {bg}: {value:.2f}")
    assert failures == []


def test_the_stylesheet_only_paints_text_in_listed_colours():
    sheet = theme.resource("style.qss").read_text()
    for block in re.findall(r"\{([^}]*)\}", sheet):
        declarations = dict(
            (key.strip(), value.strip())
            for key, _, value in (d.partition(":") for d in block.split(";"))
            if value
        )
        fg = declarations.get("color", "")
        if fg.startswith("$"):
            assert fg[1:] in theme.TEXT_ON, fg
            bg = declarations.get("background", "")
            if bg.startswith("$"):
                assert bg[1:] in theme.TEXT_ON[fg[1:]], (fg, bg)


def test_white_initials_read_on_every_avatar_colour():
    from inbox_app.ui.thread_list import _AVATAR_COLORS

    assert min(ratio("#ffffff", c) for c in _AVATAR_COLORS) >= AA_TEXT


def test_the_dialogs_muted_text_follows_the_palette():
    from inbox_app.ui.dialogs._common import MUTED_STYLE

    assert "palette(placeholder-text)" in MUTED_STYLE  # the theme's hint colour
    for palette in (theme.LIGHT, theme.DARK):
        assert ratio(palette.hint, palette.window) >= AA_TEXT


def rendered_contrast(image: QImage, rect) -> tuple[float, str, str]:
    """The strongest text pixel in `rect` against the area's commonest colour (its background)."""
    ratio_ = image.devicePixelRatio()
    pixels = [
        QColor(image.pixel(int(x * ratio_), int(y * ratio_))).getRgb()[:3]
        for x in range(rect.left(), rect.right() + 1)
        for y in range(rect.top(), rect.bottom() + 1)
    ]
    background = Counter(pixels).most_common(1)[0][0]
    strongest = max(pixels, key=lambda p: ratio(p, background))
    hexes = ["#{:02x}{:02x}{:02x}".format(*p) for p in (strongest, background)]
    return ratio(strongest, background), hexes[0], hexes[1]


def test_rendered_timestamps_and_status_lines_read_at_4_5_to_1(
    qapp, window, thread, qtbot, light_again, artifacts_dir
):
    window.thread_list.setFocus()
    for dark in (False, True):
        use_palette(qapp, dark)
        measured = measure_rendered(window)
        name = "dark" if dark else "light"
        window.grab().save(str(artifacts_dir / f"contrast_{name}.png"))
        report = "\n".join(f"{k}: {v[0]:.2f} ({v[1]} on {v[2]})" for k, v in measured.items())
        (artifacts_dir / f"contrast_{name}.txt").write_text(report + "\n")
        low = {k: v for k, v in measured.items() if v[0] < AA_TEXT}
        assert low == {}, (name, measured)
        assert len(measured) >= 7
        # For people to look at: the ring on a chip, then on a bubble.
        activate(window, qtbot)
        window.unread_toggle.setFocus(Qt.FocusReason.TabFocusReason)
        qtbot.waitUntil(window.unread_toggle.hasFocus, timeout=2000)
        window.grab().save(str(artifacts_dir / f"focus_chip_{name}.png"))
        window.message_view.setFocus(Qt.FocusReason.TabFocusReason)
        qtbot.keyClick(window.message_view, Qt.Key.Key_Up)
        window.grab().save(str(artifacts_dir / f"focus_bubble_{name}.png"))


def measure_rendered(window) -> dict[str, tuple[float, str, str]]:
    """Contrast of the painted status lines, day header and list time, read from pixels."""
    from inbox_app.ui.thread_view import compute_layout

    view = window.message_view
    model = window.thread_model
    view.viewport().repaint()
    image = view.viewport().grab().toImage()
    measured = {}
    for row in range(model.rowCount()):
        index = model.index(row)
        rect = view.visualRect(index)
        m = index.data(model.MessageRole)
        header = bool(index.data(model.DayHeaderRole))
        lay = compute_layout(m, rect.width(), view.font(), header, rect.top(), rect.left())
        measured[f"{m.direction} {m.status} status line"] = rendered_contrast(image, lay.meta)
        if lay.header is not None:
            pill = QRect(lay.header.center().x() - 18, lay.header.top() + 11, 36, 16)
            measured["day header"] = rendered_contrast(image, pill)
    # The list row's time, top right of the selected row.
    rows = window.thread_list
    row_rect = rows.visualRect(window.list_model.index(0))
    list_image = rows.viewport().grab().toImage()
    time_rect = row_rect.adjusted(row_rect.width() - 80, 10, -14, -row_rect.height() + 30)
    measured["list time (selected row)"] = rendered_contrast(list_image, time_rect)
    # The compose box's placeholder and its counter.
    edit = window.compose.edit
    edit.clear()
    shot = window.grab().toImage()
    half = edit.viewport().rect().adjusted(0, 0, -edit.viewport().width() // 2, 0)
    measured["compose placeholder"] = rendered_contrast(
        shot, on_window(window, edit.viewport(), half)
    )
    counter = window.compose.counter
    measured["compose counter"] = rendered_contrast(
        shot, on_window(window, counter, counter.rect())
    )
    subtitle = window.statusBar()
    measured["status bar"] = rendered_contrast(shot, on_window(window, subtitle, subtitle.rect()))
    return measured


def on_window(window, widget, rect: QRect) -> QRect:
    return rect.translated(widget.mapTo(window, QPoint(0, 0)))


def test_blend_is_what_opacity_paints():
    assert contrast.blend("#ffffff", "#000000", 0.5) == (128, 128, 128)
