"""Drives the real programs for the end-to-end tests: Xvfb (+ a window manager and a tray),
an `inbox-server` process, and the `inbox-app` process, clicked and typed at with xdotool.

Like qutebrowser's quteprocess/testprocess: the app logs plain lines ("signed in as NAME",
"main window shown", "message sent ID", "notification shown ID"); tests wait for those lines
instead of sleeping, and any `Traceback` or ERROR line nobody expected fails the test. With
INBOX_E2E=1 the app answers `geometry` on its stdin with where its named widgets are on screen
(inbox_app/ui/e2e.py), so clicks land where a person's would.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.conftest import ARTIFACTS, PASSWORD
from tests.harness import ACCOUNT_SID, AUTH_TOKEN, free_port, post_webhook, wait_until_up

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
E2E_ARTIFACTS = ARTIFACTS / "e2e"
FIRM = "Doe & Roe Law"
FIRM_NUMBER = "+12015550100"
CLIENT = "+12015550123"
SCREEN = (1280, 800)


class E2EError(AssertionError):
    """Something the real programs did (or did not do) fails the test."""


def wait_until(condition, timeout: float = 20.0, interval: float = 0.05, what: str = ""):
    """Poll `condition` until it is truthy; E2EError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(interval)
    raise E2EError(f"{what or 'condition'} not met within {timeout:g} s (last: {last!r})")


def _stop(process: subprocess.Popen | None, timeout: float = 10.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- the display ------------------------------------------------------------------------------


class Display:
    """A private Xvfb on a free display number, with openbox and (optionally) a tray host.

    `tray=True` runs `trayer`, so QSystemTrayIcon.isSystemTrayAvailable() is true in the app.
    """

    def __init__(self, workdir: Path, *, tray: bool = False, size=SCREEN) -> None:
        self.workdir = workdir
        self.tray = tray
        self.size = size
        self.name = ""
        self._processes: list[subprocess.Popen] = []

    def start(self) -> Display:
        for tool in ("Xvfb", "xdotool", "openbox") + (("trayer",) if self.tray else ()):
            if shutil.which(tool) is None:
                raise E2EError(f"{tool} is missing: run scripts/test.sh (it installs it)")
        # -displayfd: the server picks a free number itself, so parallel runs never collide.
        read_fd, write_fd = os.pipe()
        xvfb = subprocess.Popen(
            [
                "Xvfb",
                "-displayfd",
                str(write_fd),
                "-screen",
                "0",
                f"{self.size[0]}x{self.size[1]}x24",
                "-nolisten",
                "tcp",
                "-noreset",
            ],
            pass_fds=(write_fd,),
            stdout=subprocess.DEVNULL,
            stderr=open(self.workdir / "xvfb.log", "w"),  # noqa: SIM115
        )
        os.close(write_fd)
        self._processes.append(xvfb)
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise E2EError(f"Xvfb did not start: {(self.workdir / 'xvfb.log').read_text()}")
        self.name = f":{number}"
        self._spawn(["openbox", "--sm-disable"], "openbox.log")
        wait_until(
            lambda: self.run("wmctrl", "-m", check=False).returncode == 0,
            what="openbox running",
        )
        if self.tray:
            self._spawn(
                [
                    "trayer",
                    "--edge",
                    "top",
                    "--align",
                    "right",
                    "--widthtype",
                    "request",
                    "--height",
                    "28",
                    "--SetDockType",
                    "true",
                    "--transparent",
                    "false",
                ],
                "trayer.log",
            )
            wait_until(
                lambda: (
                    "trayer" in self.run("wmctrl", "-l", check=False).stdout.lower()
                    or self.run(
                        "xdotool", "search", "--class", "trayer", check=False
                    ).stdout.strip()
                ),
                what="trayer running",
            )
        return self

    def _spawn(self, command: list[str], log_name: str) -> None:
        log = open(self.workdir / log_name, "w")  # noqa: SIM115
        self._processes.append(
            subprocess.Popen(command, env=self.env(), stdout=log, stderr=subprocess.STDOUT)
        )

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
        env["DISPLAY"] = self.name
        return env

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            command, env=self.env(), capture_output=True, text=True, check=check, timeout=20
        )

    def xdotool(self, *args: str) -> str:
        return self.run("xdotool", *args).stdout

    def screenshot(self, name: str) -> Path:
        """The whole screen as artifacts/e2e/NAME.png (look at it)."""
        from PIL import ImageGrab

        E2E_ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = E2E_ARTIFACTS / f"{name}.png"
        ImageGrab.grab(xdisplay=self.name).save(path)
        return path

    def stop(self) -> None:
        for process in reversed(self._processes):
            _stop(process, timeout=5)
        self._processes.clear()


# --- the server -------------------------------------------------------------------------------


class ServerProcess:
    """A real `inbox-server` process (the .venv's console script) on a fresh database.

    Live sending through `twilio_url` (the fake Twilio). Users are made with the real
    `inbox-server create-user`; `api(name)` is that user's HTTP view (tests.conftest.Api).
    """

    def __init__(self, database_url: str, workdir: Path, twilio_url: str) -> None:
        self.database_url = database_url
        self.workdir = workdir
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "server.log"
        self.process: subprocess.Popen | None = None
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_")}
        self.env.update(
            INBOX_DATABASE_URL=database_url,
            INBOX_MEDIA_DIR=str(workdir / "media"),
            INBOX_PUBLIC_URL=self.base_url,
            INBOX_SEND_MODE="live",
            INBOX_TWILIO_ACCOUNT_SID=ACCOUNT_SID,
            INBOX_TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            INBOX_TWILIO_FROM=FIRM_NUMBER,
            INBOX_TWILIO_API_BASE=twilio_url,
            INBOX_DISPATCHER_INTERVAL="0.05",
            INBOX_SEND_RATE_PER_SECOND="0",
        )

    def cli(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [str(BIN / "inbox-server"), *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode != 0:
            raise E2EError(f"inbox-server {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def start(self) -> ServerProcess:
        self.cli("init-db")
        log = open(self.log_path, "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [str(BIN / "inbox-server"), "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_up(self.base_url, process=self.process)
        except (RuntimeError, TimeoutError) as exc:
            raise E2EError(f"{exc}; its log:\n{self.log_path.read_text()[-3000:]}") from exc
        return self

    def create_user(self, name: str, *, admin: bool = False, display_name: str = "") -> None:
        args = ["create-user", name, "--password", "-", "--firm", FIRM]
        if admin:
            args.append("--admin")
        if display_name:
            args += ["--display-name", display_name]
        self.cli(*args, stdin=PASSWORD + "\n")

    def api(self, username: str):
        from tests.conftest import Api

        response = httpx.post(
            f"{self.base_url}/api/v1/auth/token",
            json={"username": username, "password": PASSWORD},
            timeout=15,
        )
        response.raise_for_status()
        body = response.json()
        return Api(self.base_url, body["access_token"], body["user"])

    def inbound(self, body: str, sender: str = CLIENT) -> httpx.Response:
        """A signed inbound text, posted as Twilio would."""
        import uuid

        response = post_webhook(
            self.base_url,
            "/webhooks/twilio/messages",
            {
                "MessageSid": "SM" + uuid.uuid4().hex,
                "AccountSid": ACCOUNT_SID,
                "From": sender,
                "To": FIRM_NUMBER,
                "Body": body,
                "NumMedia": "0",
            },
        )
        response.raise_for_status()
        return response

    def stop(self) -> None:
        _stop(self.process)


# --- the app ----------------------------------------------------------------------------------


# Every AppProcess started and not yet stopped: each test's new log lines are checked.
RUNNING: set[AppProcess] = set()
RECORD_RE = re.compile(r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL) \S+ ")


@dataclass
class LogRecord:
    """One record of the app's log (a first line plus any continuation, e.g. a traceback)."""

    level: str
    text: str
    waited: bool = False
    checked: bool = False
    expected: bool = False
    extra: list[str] = field(default_factory=list)

    @property
    def full(self) -> str:
        return "\n".join([self.text, *self.extra])


class AppProcess:
    """The real `inbox-app --server URL` on `display`, with HOME and XDG dirs of its own.

    Its stdout and stderr go to a file (a pipe nobody reads would fill and stop it); a thread
    parses it into records. Every test's new records are checked by `check_log()`.
    """

    def __init__(
        self,
        display: Display,
        server_url: str | None,
        workdir: Path,
        name: str = "app",
        *,
        keyring: bool = False,
    ):
        self.display = display
        # keyring: remember the session in a file in HOME (tests/e2e/file_keyring.py), as a
        # desktop with a Secret Service would; the display has none otherwise.
        self.keyring = keyring
        self.server_url = server_url
        self.workdir = workdir
        self.name = name
        self.log_path = workdir / f"{name}.log"
        self.browser_log = workdir / f"{name}-browser.jsonl"
        self.records: list[LogRecord] = []
        self.allowed: list[re.Pattern] = []
        self.process: subprocess.Popen | None = None
        self._lock = threading.RLock()
        self._reader: threading.Thread | None = None
        self._stop_reading = threading.Event()
        self._geometry_count = 0

    # --- process ------------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        home = self.workdir / f"{self.name}-home"
        runtime = home / "runtime"
        for d in (home, home / ".config", home / ".local/share", home / ".cache", runtime):
            d.mkdir(parents=True, exist_ok=True)
        runtime.chmod(0o700)
        env = self.display.env()
        for key in list(env):
            if key.startswith(("INBOX_", "QT_", "XDG_")):
                del env[key]
        env.update(
            HOME=str(home),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_DATA_HOME=str(home / ".local/share"),
            XDG_CACHE_HOME=str(home / ".cache"),
            XDG_RUNTIME_DIR=str(runtime),
            QT_QPA_PLATFORM="xcb",
            INBOX_E2E="1",
            PYTHONFAULTHANDLER="1",
            PYTHONUNBUFFERED="1",
        )
        # The desktop's browser is tests/e2e/browser.py: Qt opens a URL with `xdg-open URL`, so
        # an xdg-open first on PATH is where a real browser would take over. It loads the page
        # (127.0.0.1 only) and notes it in `browser_log` (see `opened_pages`).
        bin_dir = home / "bin"
        bin_dir.mkdir(exist_ok=True)
        opener = bin_dir / "xdg-open"
        opener.write_text(
            f'#!/bin/sh\nexec "{sys.executable}" "{ROOT / "tests/e2e/browser.py"}" "$@"\n'
        )
        opener.chmod(0o755)
        env["PATH"] = os.pathsep.join([str(bin_dir), env.get("PATH", os.defpath)])
        env["E2E_BROWSER_LOG"] = str(self.browser_log)
        if self.keyring:
            env["PYTHON_KEYRING_BACKEND"] = "tests.e2e.file_keyring.FileKeyring"
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        return env

    def start(self, *extra_args: str, timeout: float = 30.0) -> AppProcess:
        log = open(self.log_path, "w")  # noqa: SIM115
        self.browser_log.unlink(missing_ok=True)  # this process's pages only
        self.process = subprocess.Popen(
            # No server_url: the arguments say what to run (e.g. "--demo").
            [
                str(BIN / "inbox-app"),
                *(["--server", self.server_url] if self.server_url else []),
                *extra_args,
            ],
            env=self.env(),
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self._reader = threading.Thread(target=self._read, name=f"{self.name}-log", daemon=True)
        self._reader.start()
        RUNNING.add(self)
        self.wait_for("e2e control ready", timeout=timeout)
        return self

    def _read(self) -> None:
        with open(self.log_path, errors="replace") as f:
            pending = ""
            while True:
                chunk = f.readline()
                if not chunk:
                    if self._stop_reading.is_set() or (
                        self.process is not None and self.process.poll() is not None
                    ):
                        rest = f.read()
                        if not rest:
                            return
                        chunk = rest
                    else:
                        time.sleep(0.02)
                        continue
                pending += chunk
                if not pending.endswith("\n"):
                    continue
                for line in pending.splitlines():
                    self._add(line)
                pending = ""

    def _add(self, line: str) -> None:
        with self._lock:
            match = RECORD_RE.match(line)
            if match:
                self.records.append(LogRecord(match.group(1), line))
            elif not self.records or (
                # A traceback belongs to the ERROR record just before it (log.error(exc_info));
                # anywhere else it was printed by something else: a record of its own.
                line.startswith("Traceback")
                and not (
                    self.records[-1].level in ("ERROR", "CRITICAL") and not self.records[-1].extra
                )
            ):
                self.records.append(LogRecord("RAW", line))
            else:
                self.records[-1].extra.append(line)

    @property
    def returncode(self) -> int | None:
        return self.process.poll() if self.process is not None else None

    def wait_exit(self, timeout: float = 20.0) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise E2EError(f"inbox-app still running after {timeout:g} s") from exc

    def stop(self) -> None:
        RUNNING.discard(self)
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._stop_reading.set()
        if self._reader is not None:
            self._reader.join(timeout=5)
        if self.process is not None and self.process.stdin:
            with contextlib.suppress(OSError):
                self.process.stdin.close()

    # --- the log ------------------------------------------------------------------------------

    def wait_for(self, pattern: str, timeout: float = 20.0) -> re.Match:
        """The first log record not yet waited for whose first line matches `pattern` (regex).

        Each record is matched once, so an action's line cannot answer a later wait.
        """
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                for record in self.records:
                    if record.waited:
                        continue
                    found = regex.search(record.text)
                    if found:
                        record.waited = True
                        return found
            if self.returncode is not None:
                time.sleep(0.1)  # let the reader take the last lines
                with self._lock:
                    if not any(not r.waited and regex.search(r.text) for r in self.records):
                        raise E2EError(
                            f"inbox-app exited ({self.returncode}) before logging {pattern!r}:"
                            f"\n{self.tail()}"
                        )
                continue
            if time.monotonic() > deadline:
                raise E2EError(
                    f"inbox-app did not log {pattern!r} in {timeout:g} s:\n{self.tail()}"
                )
            time.sleep(0.02)

    def skip_log(self) -> None:
        """Forget what was logged so far for `wait_for` (errors are still checked)."""
        with self._lock:
            for record in self.records:
                record.waited = True

    def expect_error(self, pattern: str) -> None:
        """An ERROR record (and its traceback) matching `pattern` does not fail the test."""
        self.allowed.append(re.compile(pattern))

    def check_log(self) -> None:
        """Fail on any Traceback or ERROR record logged since the last check that was not
        expected with `expect_error`."""
        bad = []
        with self._lock:
            for record in self.records:
                if record.checked:
                    continue
                record.checked = True
                full = record.full
                if not (record.level in ("ERROR", "CRITICAL", "RAW") or "Traceback" in full):
                    continue
                if record.level == "RAW" and "Traceback" not in full:
                    continue  # Qt's own plain lines, e.g. qt.qpa warnings
                if any(p.search(full) for p in self.allowed):
                    record.expected = True
                    continue
                bad.append(full)
        if bad:
            raise E2EError("inbox-app logged errors nobody expected:\n" + "\n\n".join(bad))

    def tail(self, lines: int = 40) -> str:
        with self._lock:
            text = "\n".join(r.full for r in self.records)
        return "\n".join(text.splitlines()[-lines:])

    # --- the control line (INBOX_E2E=1) -------------------------------------------------------

    def command(self, line: str) -> None:
        if self.process is None or self.process.poll() is not None:
            raise E2EError(f"inbox-app is not running (exit {self.returncode}):\n{self.tail()}")
        self.process.stdin.write((line + "\n").encode())
        self.process.stdin.flush()

    def geometry(self) -> dict:
        """What is on screen now: {windows, widgets, actions, rows, tray, focus} (see ui/e2e)."""
        self._geometry_count += 1
        path = self.workdir / f"{self.name}-geometry-{self._geometry_count}.json"
        self.command(f"geometry {path}")
        self.wait_for(rf"^INFO inbox\.e2e e2e geometry {re.escape(str(path))}$")
        try:
            return json.loads(path.read_text())
        finally:
            path.unlink()

    def fail(self, method: str) -> None:
        """Make the sync client's `method` raise RuntimeError from now on (an unexpected bug)."""
        self.command(f"fail {method}")
        self.wait_for(rf"e2e failure armed {re.escape(method)}$")

    def widget(self, name: str, timeout: float = 20.0, where=None) -> dict:
        """The visible widget `name` ({rect, text, enabled, focus}), once `where(w)` holds."""

        def find():
            w = self.geometry()["widgets"].get(name)
            return w if w is not None and (where is None or where(w)) else None

        return wait_until(find, timeout, interval=0.1, what=f"widget {name!r} on screen")

    def is_shown(self, name: str) -> bool:
        return name in self.geometry()["widgets"]

    def wait_gone(self, name: str, timeout: float = 20.0) -> None:
        wait_until(lambda: not self.is_shown(name), timeout, 0.1, what=f"{name!r} gone")

    def rows(self, view: str = "threadList") -> list[dict]:
        return self.geometry()["rows"].get(view, [])

    # --- the person at the keyboard -----------------------------------------------------------

    def click_at(self, x: int, y: int, button: int = 1) -> None:
        self.display.xdotool("mousemove", "--sync", str(x), str(y), "click", str(button))

    def click_rect(self, rect: list[int], button: int = 1) -> None:
        x, y, w, h = rect
        self.click_at(x + w // 2, y + h // 2, button)

    def click(self, name: str, button: int = 1, timeout: float = 20.0) -> None:
        """Click the middle of the visible, enabled widget `name`, once its window is active and
        the widget has stayed put for two looks (a window just shown may still be placed by the
        window manager: a click at its first position can land on something else)."""
        previous: list[int] | None = None

        def settled():
            nonlocal previous
            w = self.widget(name, timeout, where=lambda w: w["enabled"] and w.get("active", True))
            if w["rect"] == previous:
                return w["rect"]
            previous = w["rect"]
            return None

        rect = wait_until(settled, timeout, interval=0.05, what=f"widget {name!r} settled")
        self.click_rect(rect, button)

    def click_action(self, name: str, timeout: float = 10.0) -> None:
        """Click a menu bar entry (`menu:File`) or an open menu's action (its objectName or
        text)."""
        rect = wait_until(
            lambda: self.geometry()["actions"].get(name), timeout, 0.1, what=f"action {name!r}"
        )
        self.click_rect(rect)

    def type(self, text: str) -> None:
        self.display.xdotool("type", "--delay", "15", "--", text)

    def key(self, *keys: str) -> None:
        self.display.xdotool("key", "--delay", "30", *keys)

    def fill(self, name: str, text: str) -> None:
        """Click the line edit `name`, select what it holds and type `text` over it."""
        self.click(name)
        self.widget(name, where=lambda w: w["focus"])
        self.key("ctrl+a", "BackSpace")
        self.type(text)
        self.widget(name, where=lambda w: w["text"] == text)

    def close_window(self) -> None:
        """Alt+F4 on the active window: the window manager asks it to close, as its title
        bar's close button would."""
        self.key("alt+F4")

    def tray_menu(self, action: str) -> None:
        """Right-click the tray icon and pick `action` (its text, e.g. "Quit") from its menu."""
        if self.is_shown("trayBalloonClose"):
            # A balloon's pointer covers the icon: close it first, as a person would.
            self.click("trayBalloonClose")
            self.wait_gone("trayBalloon")
        rect = wait_until(lambda: self.geometry()["tray"], 10, 0.1, what="the tray icon")
        self.click_rect(rect, button=3)
        self.click_action(action)

    def screenshot(self, name: str) -> Path:
        return self.display.screenshot(name)

    # --- the browser (tests/e2e/browser.py) ---------------------------------------------------

    def opened_pages(self, count: int = 0, timeout: float = 20.0) -> list[dict]:
        """What the app opened in the browser, oldest first ({url, final_url, status, text}),
        once the browser has loaded at least `count` pages."""

        def read():
            if not self.browser_log.exists():
                return [] if count == 0 else None
            pages = [json.loads(line) for line in self.browser_log.read_text().splitlines()]
            return pages if len(pages) >= count else None

        if count == 0:
            return read()
        return wait_until(read, timeout, 0.1, what=f"{count} page(s) opened in the browser")

    # --- whole paths --------------------------------------------------------------------------

    def sign_in(self, username: str, password: str = PASSWORD) -> None:
        """Through the sign-in dialog, as a person would; returns once the window is up and
        its live stream open (a text that arrives before that is in the list the window loads,
        never in a `message received` line)."""
        self.widget("signInDialog")
        self.fill("usernameEdit", username)
        self._password(password)
        self.key("Return")
        self.wait_for(rf"signed in as {re.escape(username)}$")
        self.wait_for("main window shown")
        self.wait_for("live stream open$")
        self.widget("mainWindow")

    def _password(self, password: str) -> None:
        # The password field echoes dots: wait on focus, not on text.
        self.click("passwordEdit")
        self.widget("passwordEdit", where=lambda w: w["focus"])
        self.key("ctrl+a", "BackSpace")
        self.type(password)

    def sign_out(self) -> None:
        """File > Sign out; returns once the sign-in dialog is up."""
        self.click_action("menu:File")
        self.click_action("actionSignOut")
        self.wait_for("signed out")
        self.widget("signInDialog")

    def open_row(self, text_part: str, view: str = "threadList", timeout: float = 20.0) -> dict:
        """Click the list row whose text contains `text_part`; returns the row."""
        row = wait_until(
            lambda: next((r for r in self.rows(view) if text_part in r["text"]), None),
            timeout,
            0.1,
            what=f"a row with {text_part!r} in {view}",
        )
        self.click_rect(row["rect"])
        return row


def make_workdir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"inbox-e2e-{prefix}-"))
