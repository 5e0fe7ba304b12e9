"""Start-up refuses bad settings with one line naming the setting, not a traceback or a 500
later: `inbox-server serve` and `init-db` as real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import _pg_url
from tests.harness import AUTH_TOKEN, free_port


def _run(command: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_")}
    full.update(env)
    args = [sys.executable, "-m", "inbox_app.server.cli", command]
    if command == "serve":
        args += ["--host", "127.0.0.1", "--port", str(free_port())]
    return subprocess.run(args, env=full, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_bad_settings_stop_serve_and_init_db_with_one_line_naming_the_setting(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    good = {
        "INBOX_DATABASE_URL": f"sqlite:///{tmp_path / 'inbox.db'}",
        "INBOX_MEDIA_DIR": str(tmp_path / "media"),
        "INBOX_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "HOME": str(tmp_path),
    }
    cases = {
        "INBOX_MEDIA_DIR": {"INBOX_MEDIA_DIR": str(blocker / "media")},
        "INBOX_DATABASE_URL": {"INBOX_DATABASE_URL": "postgresql+psycopg://127.0.0.1:1/test"},
        "INBOX_DATABASE_URL ": {"INBOX_DATABASE_URL": _pg_url("inbox_no_such_database_here")},
        "INBOX_SECRET_KEY": {"INBOX_SECRET_KEY": "short-secret"},
    }
    runs = [
        (name, command, {**good, **env})
        for name, env in cases.items()
        for command in ("serve", "init-db")
    ]
    with ThreadPoolExecutor(4) as pool:
        done = list(pool.map(lambda run: _run(run[1], run[2]), runs))

    for (name, command, _env), result in zip(runs, done, strict=True):
        output = result.stdout + result.stderr
        assert result.returncode != 0, (name, command, output)
        assert "Traceback" not in output, (name, command, output)
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith(name.strip() + ":"), (name, command, last)
    missing = done[runs.index(next(r for r in runs if r[0] == "INBOX_DATABASE_URL "))]
    assert "does not exist" in missing.stderr.strip().splitlines()[-1]
    assert "short-secret" not in "".join(r.stderr for r in done)
    assert "32 characters" in done[-1].stderr
