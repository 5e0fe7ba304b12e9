"""The QApplication, and a start's first paint: the cached inbox, before the session.

Imported before anything heavy (no pydantic, asyncio, qasync, httpx or keyring; see
tests/ui/test_cold_start.py): `inbox-app` paints the last session's cached inbox with these,
then imports the rest and brings the same window to life (ui/app.py `Lifecycle.start`).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import QApplication

from inbox_app.ui import strings, theme

if TYPE_CHECKING:
    from inbox_app.ui.main_window import MainWindow

log = logging.getLogger("inbox.ui")

# How long the first paint may take before the start goes on without waiting for it.
FIRST_PAINT_TIMEOUT_MS = 3000


def make_application(argv: list[str] | None = None) -> QApplication:
    """One QApplication with our names, palette and stylesheet (following the system scheme)."""
    app = QApplication.instance()
    if app is None:
        # Fractional scaling (150 %) stays crisp instead of rounding to 1x or 2x.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
        )
        app = QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("inbox-app")
    app.setOrganizationName("Inbox")
    app.setApplicationDisplayName(strings.APP_NAME)
    app.setDesktopFileName("inbox")  # packaging/inbox.desktop: the desktop's badge finds us
    app.setWindowIcon(theme.app_icon())
    font = QFont(app.font())
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
    app.setFont(font)
    theme.apply(app)
    if not hasattr(app, "_inbox_theme_watcher"):
        app._inbox_theme_watcher = theme.ThemeWatcher(app)
    return app


def paint_cached_start(server_url: str | None, cache_dir: Path | None = None) -> MainWindow | None:
    """Show the main window with the last session's cached inbox and wait for its paint.

    None (nothing shown) when there is no last session on `server_url` (when given) or no
    cached inbox for it. The window has no session yet: `MainWindow.attach(sync)` brings it
    to life once the session is resumed, or the start drops it (ui/app.py).
    """
    from inbox_app.sync.quick_start import peek
    from inbox_app.ui.main_window import LIST_PAGE, MainWindow

    start = peek(server_url, cache_dir, limit=LIST_PAGE)
    if start is None:
        return None
    window = MainWindow(None)
    window.cached_start = start
    window.show_cached_start(start)
    window.show()
    loop = QEventLoop()
    window.list_painted.connect(loop.quit)
    QTimer.singleShot(FIRST_PAINT_TIMEOUT_MS, loop, loop.quit)
    # Clicks and keys wait for the session (attach()); they are handled once it is up.
    loop.exec(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
    return window
