"""The QApplication, its asyncio loop (qasync) and the sign-in → main window flow."""

from __future__ import annotations

import asyncio
import logging
import sys

import qasync
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import QApplication

from inbox_app.sync.session import SyncClient
from inbox_app.ui import errors, strings, theme
from inbox_app.ui.main_window import MainWindow, ask

log = logging.getLogger("inbox.ui")


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


def make_loop(app: QApplication, *, already_running: bool = False) -> qasync.QEventLoop:
    """The asyncio loop driven by Qt's event loop (`already_running` for tests under qtbot)."""
    loop = qasync.QEventLoop(app, already_running=already_running)
    asyncio.set_event_loop(loop)
    return loop


async def sign_in_interactively(sync: SyncClient, parent=None) -> bool:
    """Ask for the server, user name and password; False when the user cancels."""
    from inbox_app.ui.dialogs.sign_in import SignInDialog

    dialog = SignInDialog(sync, parent, server_url=sync.server_url or "")
    try:
        return bool(await ask(dialog)) and sync.is_signed_in
    finally:
        dialog.deleteLater()


class Lifecycle(QObject):
    """The app from start to quit: sign in, the main window, sign out and in again, the tray.

    Qt's quit-on-last-window-closed is off: the sign-in dialog closing, or the main window
    going to the tray, does not end Inbox. It ends when the user quits (File > Quit, the tray's
    Quit), closes the window where there is no tray, or cancels the sign-in dialog.

    Signals:
        finished(): Inbox should end now (`wait()` returns).
    """

    finished = Signal()

    def __init__(self, sync: SyncClient, *, interactive: bool = True) -> None:
        super().__init__()
        self.sync = sync
        self.interactive = interactive
        self.window: MainWindow | None = None
        self._done: asyncio.Future | None = None
        app = QApplication.instance()
        if app is not None and interactive:
            app.setQuitOnLastWindowClosed(False)

    async def start(self) -> MainWindow | None:
        """Sign in (silently with the keyring's token, else by asking) and show the window."""
        from_cache = False
        if not self.sync.is_signed_in:
            # A remembered session with a cache paints at once; the server is asked after.
            from_cache = self.sync.resume_cached() is not None
            if not from_cache:
                await self.sync.resume()
        if not self.sync.is_signed_in and (
            not self.interactive or not await sign_in_interactively(self.sync)
        ):
            log.info("sign-in canceled")
            self.quit()
            return None
        window = MainWindow(self.sync)
        window.lifecycle = self  # the window keeps its lifecycle alive
        self.window = window
        watcher = getattr(QApplication.instance(), "_inbox_theme_watcher", None)
        if watcher is not None:
            watcher.changed.connect(window.refresh_icons)
        window.signed_out.connect(lambda: errors.spawn(self._after_sign_out(), "sign-out"))
        window.closed.connect(self.quit)
        if from_cache:
            errors.spawn(self._verify(), "checking the remembered session")
        await self._show()
        return window

    async def _verify(self) -> None:
        """A start from the cache: a token the server refuses signs out to the sign-in dialog."""
        if not await self.sync.verify() and self.window is not None and not self.window._closed:
            await self.window.sign_out()

    async def _show(self) -> None:
        window = self.window
        user = self.sync.user
        log.info("signed in as %s", user.username if user else "?")
        if window.notifier is not None and window.notifier.tray is not None:
            window.notifier.tray.show()
        window.show()
        log.info("main window shown")
        self.sync.start()
        await window.load()

    async def _after_sign_out(self) -> None:
        window = self.window
        log.info("signed out")
        notifier = window.notifier
        if notifier is not None:
            # The next person must not see this one's texts, nor be notified until signed in.
            if notifier.toast is not None:
                notifier.toast.hide()
            if notifier.tray is not None:
                notifier.tray.hide()
        window.hide()
        if self.interactive and await sign_in_interactively(self.sync):
            await self._show()
        else:
            log.info("sign-in canceled")
            window.quit()

    def quit(self) -> None:
        """End Inbox: `wait()` returns."""
        if self._done is not None and not self._done.done():
            self._done.set_result(None)
        self.finished.emit()

    async def wait(self) -> int:
        """Until the user quits; then close the window and the session. The exit code."""
        if self.window is None:
            return 0
        self._done = asyncio.get_running_loop().create_future()
        if self.window._closed:
            self._done.set_result(None)
        await self._done
        if not self.window._closed:
            self.window.quit()
        await self.sync.close()
        log.info("quit")
        return 0


async def open_main_window(sync: SyncClient, *, interactive: bool = True) -> MainWindow | None:
    """Sign in (silently with the keyring's token, else by asking) and show the window."""
    return await Lifecycle(sync, interactive=interactive).start()
