"""The QApplication, its asyncio loop (qasync) and the sign-in → main window flow."""

from __future__ import annotations

import asyncio
import sys

import qasync
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import QApplication

from inbox_app.sync.session import SyncClient
from inbox_app.ui import strings, theme
from inbox_app.ui.main_window import MainWindow, ask


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
    app.setWindowIcon(theme.app_icon())
    font = QFont(app.font())
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
    app.setFont(font)
    theme.apply(app)
    if not hasattr(app, "_inbox_theme_watcher"):
        app._inbox_theme_watcher = theme.ThemeWatcher(app)
    return app


def make_loop(app: QApplication, *, already_running: bool = False) -> qasync.QEventLoop:
    """The asyncio loop driven by Qt's event loop (`already_running` for tests under qtbot)."""
    loop = qasync.QEventLoop(app, already_running=already_running)
    asyncio.set_event_loop(loop)
    return loop


async def sign_in_interactively(sync: SyncClient, parent=None) -> bool:
    """Ask for the server, user name and password; False when the user cancels."""
    from inbox_app.ui.dialogs.sign_in import SignInDialog

    dialog = SignInDialog(sync, parent, server_url=sync.server_url or "")
    return bool(await ask(dialog)) and sync.is_signed_in


async def open_main_window(sync: SyncClient, *, interactive: bool = True) -> MainWindow | None:
    """Sign in (silently with the keyring's token, else by asking) and show the window."""
    if not sync.is_signed_in:
        await sync.resume()
    if not sync.is_signed_in and (not interactive or not await sign_in_interactively(sync)):
        return None
    window = MainWindow(sync)
    app = QApplication.instance()
    watcher = getattr(app, "_inbox_theme_watcher", None)
    if watcher is not None:
        watcher.changed.connect(window.refresh_icons)

    async def after_sign_out() -> None:
        window.hide()
        if interactive and await sign_in_interactively(sync):
            window.show()
            sync.start()
            await window.load()
        else:
            window.close()

    window.signed_out.connect(lambda: asyncio.ensure_future(after_sign_out()))
    window.show()
    sync.start()
    await window.load()
    return window
