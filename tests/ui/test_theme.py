"""The palette follows the system's colour scheme, both ways, while the app runs.

The offscreen platform has no colour scheme of its own (and ignores
`QStyleHints.setColorScheme`), so the tests play the system: they say what it reports and emit
its `colorSchemeChanged`, as a desktop switching to dark or light mode does.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette

from inbox_app.ui import theme


@pytest.fixture
def system(qapp, monkeypatch):
    """The desktop's scheme: set `system.scheme`, then call `system.switch()`."""
    from inbox_app.ui.app import make_application

    make_application()

    class System:
        scheme = Qt.ColorScheme.Light

        def switch(self, scheme) -> None:
            self.scheme = scheme
            qapp.styleHints().colorSchemeChanged.emit(scheme)

    fake = System()
    monkeypatch.setattr(theme, "system_is_dark", lambda app: fake.scheme == Qt.ColorScheme.Dark)
    yield fake
    theme.apply(qapp, dark=False)


def window_color(qapp) -> str:
    return qapp.palette().color(QPalette.ColorRole.Window).name()


def test_the_light_palette_follows_the_system(qapp, qtbot, system):
    system.switch(Qt.ColorScheme.Dark)
    qtbot.waitUntil(lambda: theme.current().name == "dark")
    assert window_color(qapp) == theme.DARK.window
    system.switch(Qt.ColorScheme.Light)
    qtbot.waitUntil(lambda: theme.current().name == "light")
    assert window_color(qapp) == theme.LIGHT.window
    assert "$raised" not in qapp.styleSheet() and theme.LIGHT.raised in qapp.styleSheet()


def test_the_switch_is_announced_so_windows_repaint_their_icons(qapp, qtbot, system):
    watcher = qapp._inbox_theme_watcher
    with qtbot.waitSignal(watcher.changed, timeout=1000) as signal:
        system.switch(Qt.ColorScheme.Dark)
    assert signal.args[0] is theme.DARK


def test_apply_without_a_choice_asks_the_system(qapp, system):
    system.scheme = Qt.ColorScheme.Light
    assert theme.apply(qapp).name == "light"
    assert window_color(qapp) == theme.LIGHT.window
    system.scheme = Qt.ColorScheme.Dark
    assert theme.apply(qapp).name == "dark"
