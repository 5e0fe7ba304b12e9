"""Cold start to a painted cached inbox, against a bare PySide6 window (offscreen, by hand).

`python bench/cold_start.py [--conversations 5000] [--runs 7]`

A private HOME holds what a desktop keeps after a day's work: the remembered session (in a
keyring file, tests/e2e/file_keyring.py, standing in for the system keyring), the cache of
5,000 conversations and the note of whose cache that is (sync/quick_start.py). Each run
starts `python -m inbox_app --server URL` with the server stopped (nothing listens on URL's
port: the start must not wait for it) and times it from the process's start to its
`conversation list painted (N)` line, logged once the list's first paint with rows is done.
The baseline, alternating with it, is a fresh process that imports PySide6, shows a
QMainWindow with a QListView of one row and says when that is painted.
Target: ours / bare <= 2. Exit code 0 when met.

The CPU seconds each process had used by then (Linux: /proc/PID/stat) are printed too: on
a loaded machine the wall times mostly measure the wait for a core.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import body

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inbox_app.models.schemas import ConversationOut, UserOut  # noqa: E402
from inbox_app.sync import quick_start  # noqa: E402
from inbox_app.sync.cache import LocalStore, cache_path  # noqa: E402
from tests.harness import free_port  # noqa: E402

TARGET = 2.0
BARE = """
import sys
from PySide6.QtCore import QEvent, QObject, QStringListModel, QTimer
from PySide6.QtWidgets import QApplication, QListView, QMainWindow

class Painted(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, lambda: print("painted", file=sys.stderr, flush=True))
        return False

app = QApplication(sys.argv)
window = QMainWindow()
view = QListView(window)
view.setModel(QStringListModel(["row"]))
window.setCentralWidget(view)
painted = Painted()
view.viewport().installEventFilter(painted)
window.resize(1180, 760)
window.show()
app.exec()
"""


def prepare(home: Path, server_url: str, count: int) -> None:
    """The remembered session and a cache of `count` conversations, as the app left them."""
    data = home / ".local" / "share"
    (home / "e2e-keyring.json").write_text(
        json.dumps(
            {
                "inbox-app/session": json.dumps(
                    {"server_url": server_url, "username": "bench", "token": "not-checked-yet"}
                )
            }
        )
    )
    user = UserOut(
        id=1, username="bench", display_name="Bench", role="admin", firm_id=1, firm_name="Bench"
    )
    store = LocalStore(cache_path(server_url, "bench", data / "inbox-app"))
    rng = random.Random(3)
    now = datetime.now(UTC)
    store.save_conversations(
        [
            ConversationOut(
                id=i + 1,
                phone=f"+1202{5550000 + i:07d}",
                contact_name=f"Client {i}" if i % 3 else None,
                matter=f"Matter {i}" if i % 2 else None,
                last_message=body(rng),
                last_message_at=now - timedelta(minutes=7 * i),
                unread_count=rng.choice([0, 0, 0, 1, 3]),
            )
            for i in range(count)
        ],
        replace=True,
    )
    store.set_meta("user", user.model_dump_json())
    store.close()
    quick_start.remember(server_url, "bench", data / "inbox-app")


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INBOX_", "XDG_", "QT_"))}
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        QT_QPA_PLATFORM="offscreen",
        PYTHON_KEYRING_BACKEND="tests.e2e.file_keyring.FileKeyring",
        PYTHONPATH=str(ROOT),
    )
    return env


def cpu_seconds(pid: int) -> float:
    """User + system CPU the process has used so far (nan where /proc is not there)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_to(
    command: list[str], env: dict[str, str], line: str, timeout: float = 120
) -> tuple[float, float]:
    """Seconds from starting `command` to its stderr line containing `line`, and its CPU
    seconds by then."""
    started = time.perf_counter()
    # cwd: `python -m` puts it first on sys.path, before PYTHONPATH.
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        for text in process.stderr:
            if line in text:
                return time.perf_counter() - started, cpu_seconds(process.pid)
            if time.perf_counter() - started > timeout:
                break
        raise RuntimeError(f"{command[:3]} never said {line!r} (exit {process.poll()})")
    finally:
        process.kill()
        process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    server_url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with tempfile.TemporaryDirectory(prefix="inbox-cold-start-") as tmp:
        home = Path(tmp)
        prepare(home, server_url, args.conversations)
        env = env_for(home)
        ours_cmd = [sys.executable, "-m", "inbox_app", "--server", server_url]
        bare_cmd = [sys.executable, "-c", BARE]
        painted = "conversation list painted ("
        # One unmeasured start each: the first pays for a cold disk cache.
        time_to(ours_cmd, env, painted)
        time_to(bare_cmd, env, "painted")
        ours, bare = [], []
        for _ in range(args.runs):
            ours.append(time_to(ours_cmd, env, painted))
            bare.append(time_to(bare_cmd, env, "painted"))
    o, b = (statistics.median(w for w, _ in ours), statistics.median(w for w, _ in bare))
    oc, bc = (statistics.median(c for _, c in ours), statistics.median(c for _, c in bare))
    print(f"cached inbox of {args.conversations:,} conversations, server stopped")
    for name, runs, median in (("inbox-app  ", ours, o), ("bare window", bare, b)):
        listed = ", ".join(f"{w:.2f}/{c:.2f}" for w, c in runs)
        print(f"  {name} {median:6.2f} s  (runs, wall/CPU s: {listed})")
    print(f"  CPU by then: inbox-app {oc:.2f} s, bare window {bc:.2f} s (ratio {oc / bc:.2f})")
    ratio = o / b
    print(f"  ratio = {ratio:.2f} (target <= {TARGET})")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
