"""Notifications: offscreen there is no tray, so the in-app toast is what people see."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFrame, QMainWindow

from inbox_app.models.schemas import UserOut
from inbox_app.ui import notifications, theme
from inbox_app.ui.notifications import Notifier, SoundPlayer, badge_icon


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


def test_without_a_tray_a_toast_shows_at_the_top_right(qtbot, window, settings):
    notifier = Notifier(window, settings, player=SoundPlayer(command=[]))
    assert notifier.tray is None  # offscreen: no system tray
    assert notifier.show(7, "Maria Lopez", "I can make it at 3pm") is True
    toast = window.findChild(QFrame, "notificationToast")
    qtbot.waitUntil(toast.isVisible)
    assert toast.title_label.text() == "Maria Lopez"
    assert toast.body_label.text() == "I can make it at 3pm"
    corner = toast.geometry().topRight()
    assert window.rect().right() - corner.x() < 40
    assert corner.y() < 60  # at the top: the compose box and Send buttons stay free


def test_a_long_title_is_cut_with_an_ellipsis_and_kept_whole_in_its_tooltip(
    qtbot, window, settings
):
    notifier = Notifier(window, settings, player=SoundPlayer(command=[]))
    title = "bob mentioned you · Maria Lopez-Hernandez de la Fuente (Immigration)"
    notifier.show(7, title, "please call her today")
    toast = window.findChild(QFrame, "notificationToast")
    qtbot.waitUntil(toast.isVisible)
    shown = toast.title_label.text()
    assert shown != title and shown.endswith("…"), shown
    assert title.startswith(shown[:-1])
    assert toast.title_label.toolTip() == title
    # What is shown fits beside the icon and the close button.
    label = toast.title_label
    assert label.fontMetrics().horizontalAdvance(shown) <= label.width()
    assert label.geometry().right() < toast.close_button.geometry().left()


def test_the_toast_sits_over_the_top_of_its_anchor(qtbot, window, settings):
    from PySide6.QtWidgets import QListView, QPushButton, QVBoxLayout, QWidget

    central = QWidget()
    layout = QVBoxLayout(central)
    thread = QListView()
    send = QPushButton("Send")
    layout.addWidget(thread, 1)
    layout.addWidget(send)
    window.setCentralWidget(central)
    qtbot.waitUntil(lambda: send.y() > 300)

    def in_window(widget):
        return widget.geometry().translated(widget.parentWidget().mapTo(window, QPoint(0, 0)))

    notifier = Notifier(window, settings, player=SoundPlayer(command=[]))
    notifier.set_anchor(thread)
    notifier.show(7, "Maria Lopez", "A longer message that wraps onto a second line, maybe more")
    qtbot.waitUntil(notifier.toast.isVisible)
    toast = notifier.toast.geometry()
    assert in_window(thread).contains(toast)
    assert not toast.intersects(in_window(send))
    window.resize(700, 500)  # follows the window
    qtbot.waitUntil(lambda: in_window(thread).contains(notifier.toast.geometry()))
    assert notifier.toast.geometry().right() > 600


def test_the_toast_follows_the_dark_palette(qtbot, window, settings, qapp):
    notifier = Notifier(window, settings, player=SoundPlayer(command=[]))
    notifier.show(7, "Maria Lopez", "Hello")
    toast = notifier.toast
    qtbot.waitUntil(toast.isVisible)
    try:
        for dark in (False, True):
            t = theme.apply(qapp, dark=dark)
            image = toast.grab().toImage()
            inside = image.pixelColor(image.width() // 2, image.height() - 4)
            expected = t.color("raised")
            assert abs(inside.lightness() - expected.lightness()) < 20, (dark, inside.name())
    finally:
        theme.apply(qapp, dark=False)


def test_clicking_the_toast_opens_its_conversation(qtbot, window, settings):
    notifier = Notifier(window, settings)
    notifier.handle({"conversation_id": 12, "title": "(201) 555-0123", "body": "Hello?"})
    toast = notifier.toast
    qtbot.waitUntil(toast.isVisible)
    with qtbot.waitSignal(notifier.activated, timeout=1000) as signal:
        qtbot.mouseClick(toast, Qt.MouseButton.LeftButton)
    assert signal.args == [12]
    assert not toast.isVisible()


def test_forgetting_a_conversation_takes_its_toast_down_and_no_other(qtbot, window, settings):
    notifier = Notifier(window, settings, player=SoundPlayer(command=[]))
    notifier.show(5, "(201) 555-0133", "You will regret this")
    qtbot.waitUntil(notifier.toast.isVisible)
    notifier.forget(6)  # another conversation: the toast stays
    assert notifier.toast.isVisible()
    notifier.forget(5)
    assert not notifier.toast.isVisible() and not notifier.toast.timer.isActive()


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


def test_the_users_server_setting_decides_on_every_computer(qtbot, window, settings):
    user = UserOut(
        id=1, username="paula", display_name="Paula", role="staff", firm_id=1,
        notifications_enabled=False,
    )  # fmt: skip
    notifier = Notifier(window, settings)
    notifier.set_enabled(True)  # what this computer last had
    notifier.seed_from_user(user)
    assert notifier.is_enabled() is False
    assert notifier.enabled_action.isChecked() is False
    notifier.seed_from_user(user.model_copy(update={"notifications_enabled": True}))
    assert notifier.is_enabled() is True


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


class CountingPlayer(SoundPlayer):
    def __init__(self) -> None:
        super().__init__(command=[])
        self.plays = 0

    def play(self) -> str:
        self.plays += 1
        return "counted"


def test_a_notification_hands_the_wav_to_the_platforms_player(qtbot, window, settings, tmp_path):
    marker = tmp_path / "played.txt"
    fake = [
        sys.executable,
        "-c",
        "import pathlib, sys; pathlib.Path(sys.argv[1]).write_text(sys.argv[2])",
        str(marker),
    ]
    player = SoundPlayer(command=fake)
    notifier = Notifier(window, settings, player=player)
    notifier.show(7, "Maria Lopez", "Hello")
    assert player.last_method == "process"  # started detached: show() did not wait for it
    qtbot.waitUntil(
        lambda: marker.exists() and marker.read_text().endswith("notify.wav"), timeout=10_000
    )


def test_the_sound_switch_and_the_notification_switch_silence_it(qtbot, window, settings):
    player = CountingPlayer()
    notifier = Notifier(window, settings, player=player)
    notifier.sound_action.trigger()  # sound off, notifications still on
    assert notifier.show(7, "Maria Lopez", "One") is True
    assert player.plays == 0
    notifier.sound_action.trigger()
    notifier.enabled_action.trigger()  # everything off
    assert not notifier.sound_action.isEnabled()
    assert notifier.show(7, "Maria Lopez", "Two") is False
    assert player.plays == 0
    again = Notifier(window, QSettings(settings.fileName(), QSettings.Format.IniFormat))
    assert not again.enabled_action.isChecked() and again.sound_action.isChecked()


def test_the_player_is_the_first_one_found_on_the_path(monkeypatch):
    found = {"pw-play": "/usr/bin/pw-play", "aplay": "/usr/bin/aplay"}
    monkeypatch.setattr(notifications.shutil, "which", found.get)
    monkeypatch.setattr(notifications.sys, "platform", "linux")
    assert notifications.default_player_command() == ["/usr/bin/pw-play"]
    monkeypatch.setattr(notifications.sys, "platform", "darwin")
    assert notifications.default_player_command() is None  # no afplay found
    monkeypatch.setattr(notifications.sys, "platform", "win32")
    assert notifications.default_player_command() is None  # winsound instead
    assert SoundPlayer().use_winsound


def test_without_any_player_it_beeps(qtbot, tmp_path):
    assert SoundPlayer(command=[]).play() == "beep"
    assert SoundPlayer(tmp_path / "missing.wav", command=["/bin/true"]).play() == "beep"
