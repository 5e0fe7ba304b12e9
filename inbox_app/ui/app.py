"""The asyncio loop (qasync) and the sign-in → main window flow; the QApplication and a
start's first paint, which come before this module is imported, are in ui/application.py."""

from __future__ import annotations

import asyncio
import logging

import qasync
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication

from inbox_app.sync.session import SyncClient
from inbox_app.ui import errors
from inbox_app.ui.application import make_application, paint_cached_start
from inbox_app.ui.main_window import MainWindow, ask

__all__ = ["Lifecycle", "make_application", "make_loop", "open_main_window", "paint_cached_start"]

log = logging.getLogger("inbox.ui")


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

    async def start(self, first: MainWindow | None = None) -> MainWindow | None:
        """Sign in (silently with the keyring's token, else by asking) and show the window.

        `first`: the window a start painted from the cache before the session existed
        (`paint_cached_start`); it becomes the main window when the keyring's session is the
        one it shows, else it is closed before anything else is shown.
        """
        if first is not None and first._closed:
            # Closed while it waited for the session: the user is done.
            self.quit()
            return None
        from_cache = False
        if not self.sync.is_signed_in:
            # A remembered session with a cache paints at once; the server is asked after.
            from_cache = self.sync.resume_cached() is not None
            if not from_cache:
                await self.sync.resume()
        if first is not None and not (from_cache and self._shows_session(first)):
            # Signed out meanwhile (no token), or another user's: not this session's inbox.
            log.info("the cached inbox painted first is not this session's; closed")
            first.hide()
            first.deleteLater()
            first = None
        if not self.sync.is_signed_in and (
            not self.interactive or not await sign_in_interactively(self.sync)
        ):
            log.info("sign-in canceled")
            self.quit()
            return None
        if first is not None:
            window = first
            window.attach(self.sync)
        else:
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

    def _shows_session(self, window: MainWindow) -> bool:
        start = getattr(window, "cached_start", None)
        user = self.sync.user
        return (
            start is not None
            and user is not None
            and start.server_url == self.sync.server_url
            and start.username == user.username
            and not window._closed
        )

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
