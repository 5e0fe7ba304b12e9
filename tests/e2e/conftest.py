"""End-to-end fixtures: real `inbox-server` and `inbox-app` processes under a private Xvfb.

Module-scoped, so one server, display and app serve every test of a module (the run stays
short). See tests/e2e/README.md for how to use them.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator

import pytest

from tests.conftest import _pg_admin, _pg_url
from tests.e2e.driver import RUNNING, AppProcess, Display, ServerProcess, make_workdir
from tests.fakes.twilio import FakeTwilio

# Quiet hours that never hold a text (00:00 to the last microsecond of the day in the
# recipient's zone) and no send delay: the tests pass at any hour of the day.
ALWAYS_OPEN = {
    "quiet_start": "00:00:00",
    "quiet_end": "23:59:59.999999",
    "default_send_delay_seconds": 0,
}
USERS = {"alice": True, "bob": False}  # name -> is admin


@pytest.fixture(scope="module")
def e2e_dir(request) -> Iterator:
    """A temporary folder for this module's processes (logs, HOME, database); kept on failure
    only as long as the run (logs are copied to artifacts/e2e/)."""
    path = make_workdir(request.module.__name__.rsplit(".", 1)[-1])
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def e2e_db(request, e2e_dir) -> Iterator[str]:
    """A fresh, empty database: SQLite unless the module parametrizes it (indirect) with
    "postgresql". The server's own `init-db` migrates it."""
    kind = getattr(request, "param", "sqlite")
    if kind == "sqlite":
        yield f"sqlite:///{e2e_dir / 'inbox.db'}"
        return
    name = f"inbox_e2e_{uuid.uuid4().hex[:12]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_url(name)
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def fake_twilio() -> Iterator[FakeTwilio]:
    """The carrier: the server sends live to it (`fake_twilio.sent`, `.wait_for(n)`)."""
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture(scope="module")
def inbox_server(e2e_db, e2e_dir, fake_twilio) -> Iterator[ServerProcess]:
    """A running `inbox-server` with users alice (admin) and bob, credits, and quiet hours
    that never hold a text."""
    server = ServerProcess(e2e_db, e2e_dir, fake_twilio.url).start()
    try:
        for name, admin in USERS.items():
            server.create_user(name, admin=admin)
        alice = server.api("alice")
        alice.put("/api/v1/firm/settings", json=ALWAYS_OPEN).raise_for_status()
        top_up = alice.post("/api/v1/credits/top-up", json={"bundles": 1, "reference": "E2E-1"})
        assert top_up.status_code < 300, top_up.text
        yield server
    finally:
        server.stop()
        _keep_log(server.log_path, e2e_dir)


@pytest.fixture(scope="module")
def display(e2e_dir) -> Iterator[Display]:
    """A private X display with a window manager and no system tray."""
    d = Display(e2e_dir, tray=False).start()
    yield d
    d.stop()


@pytest.fixture(scope="module")
def tray_display(e2e_dir) -> Iterator[Display]:
    """A private X display with a window manager and a system tray (trayer)."""
    d = Display(e2e_dir, tray=True).start()
    yield d
    d.stop()


def start_app(
    display: Display, server: ServerProcess, workdir, name: str = "app", *, keyring: bool = False
) -> AppProcess:
    """Another `inbox-app` process (its own HOME), up to its sign-in dialog (or, with
    `keyring` and a session it remembers, its main window)."""
    return AppProcess(display, server.base_url, workdir, name, keyring=keyring).start()


@pytest.fixture(scope="module")
def app(display, inbox_server, e2e_dir) -> Iterator[AppProcess]:
    """`inbox-app --server URL` on `display`, shared by the module, started at its sign-in
    dialog (call `app.sign_in("alice")`)."""
    process = start_app(display, inbox_server, e2e_dir)
    yield process
    process.stop()
    _keep_log(process.log_path, e2e_dir)
    process.check_log()


@pytest.fixture(autouse=True)
def _no_unexpected_errors():
    """After each test: a Traceback or ERROR line from any running app fails it."""
    yield
    for process in list(RUNNING):
        process.check_log()


def _keep_log(path, workdir) -> None:
    from tests.e2e.driver import E2E_ARTIFACTS

    if path.exists():
        target = E2E_ARTIFACTS / "logs" / workdir.name
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target / path.name)
