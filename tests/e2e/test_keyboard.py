"""Keyboard only, in the real app under Xvfb, light and dark: Tab to a filter chip and see its
focus ring, start a conversation in the one-step dialog and send its first message, walk to the
message list and see the ring on a bubble. The ring is checked in the screenshot's pixels."""

from __future__ import annotations

from PIL import Image

from inbox_app.ui import theme
from tests.e2e.conftest import _keep_log
from tests.e2e.driver import AppProcess

NEW_NUMBER = "+12015550177"


class DarkDesktopApp(AppProcess):
    """The app on a desktop whose GTK theme is dark: Qt reports a dark colour scheme."""

    def env(self) -> dict[str, str]:
        env = super().env()
        env.update(QT_QPA_PLATFORMTHEME="gtk3", GTK_THEME="Adwaita:dark")
        return env


def ring_pixels(path, rect, color: str, tolerance: int = 40) -> int:
    """Pixels of `color` on the border band (3 px) of `rect` in the screenshot at `path`."""
    want = tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))
    x, y, w, h = rect
    image = Image.open(path).convert("RGB")
    count = 0
    for px in range(x, x + w):
        for py in range(y, y + h):
            on_band = min(px - x, x + w - 1 - px, py - y, y + h - 1 - py) < 3
            if on_band and all(
                abs(a - b) <= tolerance for a, b in zip(image.getpixel((px, py)), want, strict=True)
            ):
                count += 1
    return count


def tab_until(app, name: str, limit: int = 30) -> dict:
    """Press Tab until `name` has the focus (as a person would), and return it."""
    for _ in range(limit):
        widget = app.geometry()["widgets"].get(name)
        if widget is not None and widget["focus"]:
            return widget
        app.key("Tab")
    return app.widget(name, where=lambda w: w["focus"], timeout=2)


def tab_to_the_unread_chip(app, shot: str, accent: str) -> None:
    app.key("ctrl+f")
    app.widget("searchEdit", where=lambda w: w["focus"])
    app.key("Tab")
    chip = app.widget("unreadToggle", where=lambda w: w["focus"])
    path = app.screenshot(shot)
    assert ring_pixels(path, chip["rect"], accent) > 40, (shot, chip)


def test_tab_to_a_chip_shows_its_focus_ring(app):
    app.sign_in("alice")
    app.wait_for(r"conversation list loaded \(\d+\)")
    tab_to_the_unread_chip(app, "focus-chip", theme.LIGHT.accent)


def test_a_new_conversation_with_the_keyboard_only(app, fake_twilio):
    app.key("ctrl+n")
    app.widget("newConversationDialog")
    app.widget("phoneEdit", where=lambda w: w["focus"])
    app.type("201 555 0177")
    app.widget("numberCheck", where=lambda w: w["text"].startswith("✓ (201) 555-0177"))
    app.key("Return")
    app.widget("firstMessageEdit", where=lambda w: w["focus"])
    app.type("Hello from Doe & Roe, typed with the keyboard.")
    app.screenshot("new-conversation-keyboard")
    app.key("Return")
    app.wait_gone("newConversationDialog")
    app.wait_for(r"message sent \d+")
    request = fake_twilio.wait_for(1)[-1]
    assert request.params["To"] == NEW_NUMBER
    assert request.params["Body"] == "Hello from Doe & Roe, typed with the keyboard."
    # The text box has the focus again, ready for the next message.
    app.widget("composeEdit", where=lambda w: w["focus"])


def test_the_message_list_is_reached_by_tab_with_a_ring_on_the_bubble(app):
    view = tab_until(app, "messageView")
    app.key("Up", "Down")
    app.screenshot("focus-bubble")
    bubbles = app.rows("messageView")
    assert bubbles and view["focus"]


def test_dark_desktop_rings_and_contrast(display, inbox_server, e2e_dir):
    dark = DarkDesktopApp(display, inbox_server.base_url, e2e_dir, "dark").start()
    try:
        dark.sign_in("alice")
        dark.wait_for(r"conversation list loaded \(\d+\)")
        tab_to_the_unread_chip(dark, "focus-chip-dark", theme.DARK.accent)
        tab_until(dark, "threadList")
        dark.screenshot("focus-list-dark")
        tab_until(dark, "messageView")
        dark.key("Up", "Down")
        dark.screenshot("focus-bubble-dark")
    finally:
        dark.stop()
        _keep_log(dark.log_path, e2e_dir)
        dark.check_log()
