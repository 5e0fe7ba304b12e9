"""Notifications: offscreen there is no tray, so the in-app toast is what people see."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFrame, QMainWindow

from inbox_app.models.schemas import UserOut
from inbox_app.ui.notifications import ENABLED_KEY, Notifier, badge_icon


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot):
    window = QMainWindow()
    window.resize(900, 600)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_without_a_tray_a_toast_shows_in_the_windows_corner(qtbot, window, settings):
    notifier = Notifier(window, settings)
    assert notifier.tray is None  # offscreen: no system tray
    assert notifier.show(7, "Maria Lopez", "I can make it at 3pm") is True
    toast = window.findChild(QFrame, "notificationToast")
    qtbot.waitUntil(toast.isVisible)
    assert toast.title_label.text() == "Maria Lopez"
    assert toast.body_label.text() == "I can make it at 3pm"
    corner = toast.geometry().bottomRight()
    assert window.rect().right() - corner.x() < 40
    assert window.rect().bottom() - corner.y() < 40


def test_clicking_the_toast_opens_its_conversation(qtbot, window, settings):
    notifier = Notifier(window, settings)
    notifier.handle({"conversation_id": 12, "title": "(201) 555-0123", "body": "Hello?"})
    toast = notifier.toast
    qtbot.waitUntil(toast.isVisible)
    with qtbot.waitSignal(notifier.activated, timeout=1000) as signal:
        qtbot.mouseClick(toast, Qt.MouseButton.LeftButton)
    assert signal.args == [12]
    assert not toast.isVisible()


def test_the_toast_hides_by_itself(qtbot, window, settings):
    notifier = Notifier(window, settings)
    notifier.toast.pop(3, "Title", "Body", msecs=50)
    qtbot.waitUntil(lambda: not notifier.toast.isVisible(), timeout=2000)


def test_turning_notifications_off_suppresses_them(qtbot, window, settings):
    notifier = Notifier(window, settings)
    notifier.set_enabled(False)
    with qtbot.assertNotEmitted(notifier.activated):
        assert notifier.show(7, "Maria Lopez", "Are you there?") is False
    assert not notifier.toast.isVisible()
    # The choice is remembered for the next start.
    again = Notifier(window, QSettings(settings.fileName(), QSettings.Format.IniFormat))
    assert again.is_enabled() is False
    assert again.show(7, "Maria Lopez", "Hello") is False


def test_the_servers_setting_seeds_a_fresh_computer_only(qtbot, window, settings):
    user = UserOut(
        id=1, username="paula", display_name="Paula", role="staff", firm_id=1,
        notifications_enabled=False,
    )  # fmt: skip
    notifier = Notifier(window, settings)
    notifier.seed_from_user(user)
    assert notifier.is_enabled() is False
    notifier.set_enabled(True)
    notifier.seed_from_user(user)  # a local choice wins over the server's default
    assert settings.value(ENABLED_KEY) in (True, "true")


def test_unread_count_is_drawn_on_the_icon(qtbot, settings):
    plain = badge_icon(QGuiApplication.windowIcon(), 0).pixmap(64, 64).toImage()
    badged = badge_icon(QGuiApplication.windowIcon(), 5).pixmap(64, 64).toImage()
    # The badge sits in the top-right corner and is red.
    corner = badged.pixelColor(52, 12)
    assert corner.red() > 180 and corner.green() < 90
    assert plain.pixelColor(52, 12) != corner
    notifier = Notifier(None, settings)
    notifier.set_unread(5)
    assert notifier.unread == 5


def test_with_a_tray_clicking_the_balloon_opens_its_conversation(qtbot, window, settings):
    notifier = Notifier(window, settings, use_tray=True)
    assert notifier.toast is None
    notifier.set_unread(3)
    notifier.show(9, "Maria Lopez", "Running late")
    with qtbot.waitSignal(notifier.activated, timeout=1000) as signal:
        notifier.tray.messageClicked.emit()
    assert signal.args == [9]
