"""UI fixtures: an in-memory keyring, the qasync loop under pytest-qt, a signed-in window.

The window talks to the real backend (tests/conftest.py's `server`) over 127.0.0.1. The UI
does not see which database the server runs on, so these tests use SQLite only (the server's
own tests cover PostgreSQL); that keeps the UI suite's runtime small.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend

from tests.conftest import PASSWORD


class MemoryKeyring(KeyringBackend):
    """A keyring that lives in a dict, for tests (never the desktop's real one)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError("not set")


# A wait's timeout is how long a loaded CI worker may take, not a speed target (those live in
# bench/): a wait that holds returns at once, so only a failing one takes the longer time.
WAIT_SCALE = 3


@pytest.fixture(autouse=True)
def _patient_waits(monkeypatch) -> None:
    """qtbot.waitUntil / waitSignal(s) wait WAIT_SCALE times the timeout a test names."""
    from pytestqt.qtbot import QtBot

    def scaled(method):
        def wait(self, *args, timeout=5000, **kwargs):
            return method(self, *args, timeout=timeout * WAIT_SCALE if timeout else timeout,
                          **kwargs)  # fmt: skip

        return wait

    for name in ("waitUntil", "waitSignal", "waitSignals"):
        monkeypatch.setattr(QtBot, name, scaled(getattr(QtBot, name)))


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def _private_settings(tmp_path_factory):
    """QSettings() (notification switches) writes under a temporary directory, never ~/.config."""
    from PySide6.QtCore import QSettings

    path = str(tmp_path_factory.mktemp("settings"))
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, path)


@pytest.fixture(autouse=True)
def _clean_clipboard(qapp):
    """Empty the clipboard after each test: Qt crashes at exit if it still holds an image."""
    yield
    qapp.clipboard().clear()


@pytest.fixture
def db_url(tmp_path, _template_databases) -> Iterator[str]:
    """SQLite only for UI tests (see the module docstring)."""
    target = tmp_path / "inbox.db"
    shutil.copy(_template_databases["sqlite"], target)
    yield f"sqlite:///{target}"


_LOOP = None


@pytest.fixture
def qloop(qapp):
    """The asyncio loop on Qt's event loop; qtbot.waitUntil/waitSignal drive both.

    One loop serves the whole session: a qasync loop that is closed and collected mid-session
    leaves Qt timers pointing at freed objects (a segfault a few tests later). Between tests
    it is only un-marked as running, so pytest-asyncio's own loops still work elsewhere.
    """
    global _LOOP
    from inbox_app.ui.app import make_application, make_loop

    make_application()
    if _LOOP is None:
        _LOOP = make_loop(qapp, already_running=True)
    else:
        asyncio.set_event_loop(_LOOP)
        asyncio.events._set_running_loop(_LOOP)
    yield _LOOP
    for task in asyncio.all_tasks(_LOOP):
        task.cancel()
    for _ in range(5):
        qapp.processEvents()
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)


class Runner:
    """Runs a coroutine on the qasync loop and waits for it while Qt keeps processing events."""

    def __init__(self, qtbot) -> None:
        self.qtbot = qtbot

    def __call__(self, coro, timeout: int = 10_000):
        task = asyncio.ensure_future(coro)
        try:
            self.qtbot.waitUntil(task.done, timeout=timeout)
        except Exception:
            task.print_stack()
            raise
        return task.result()


@pytest.fixture
def run(qtbot, qloop) -> Runner:
    return Runner(qtbot)


@pytest.fixture
def sync(server, admin, tmp_path, run):
    """A SyncClient signed in as the admin (alice), live stream not started yet."""
    from inbox_app.sync.session import SyncClient

    client = SyncClient(server.base_url, cache_dir=tmp_path / "client", retry_interval=0.2)
    run(client.sign_in("alice", PASSWORD))
    yield client
    run(client.close())


@pytest.fixture
def window(sync, qtbot, run):
    """The main window, shown, with the live stream running and the list loaded."""
    from inbox_app.ui.main_window import MainWindow

    win = MainWindow(sync)
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    sync.start()
    qtbot.waitUntil(lambda: sync.is_online, timeout=5000)
    run(win.load())
    yield win
    win.close()
