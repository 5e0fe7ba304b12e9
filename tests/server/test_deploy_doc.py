"""docs/deploy.md followed on this machine: install, settings, firm, user, check, serve, a text.

The blocks marked `<!-- deploy-test: run -->` run in order, as written, with only these changes
for a scratch layout: paths under a temporary directory instead of /opt, /etc and /var/lib; no
sudo and no `inbox` user; the test's own PostgreSQL database and a free port. The install step
builds and installs the real package into a fresh virtual environment, offline: pip gets
`--no-index --no-deps --no-build-isolation`, and the build tools and dependencies come from the
test's own environment (a .pth file), so nothing is downloaded. The server is started with the
systemd unit's own ExecStartPre and ExecStart lines and its EnvironmentFile, and
`systemd-analyze verify` checks the unit.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import httpx
import pytest

from tests.harness import free_port, wait_until_up

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "deploy.md"
UNIT = REPO / "packaging" / "inbox-server.service"
RUN_MARK = "<!-- deploy-test: run -->"
PASSWORD = "choose a long passphrase"


def marked_blocks(text: str) -> list[str]:
    """The ```sh blocks right after a RUN_MARK line, in order."""
    return re.findall(re.escape(RUN_MARK) + r"\n```sh\n(.*?)\n```", text, re.S)


class Layout:
    """The doc's machine paths mapped into a temporary directory."""

    def __init__(self, root: Path, database_url: str, port: int) -> None:
        self.root = root
        self.port = port
        self.database_url = database_url
        self.prefix = root / "opt/inbox-server"
        self.source = root / "src"
        dev_site = sysconfig.get_paths()["purelib"]
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        self.rules: list[tuple[str, str]] = [
            # A fresh venv without pip; the test's environment lends pip and the dependencies.
            (
                r"python3 -m venv (\S+)",
                rf"{sys.executable} -m venv --without-pip \1 && "
                rf"echo {dev_site} > \1/lib/{version}/site-packages/_inbox_test_deps.pth",
            ),
            (
                r"/bin/pip install ",
                "/bin/python -m pip install -q --no-index --no-deps --no-build-isolation ",
            ),
            (r"sudo -u inbox ", ""),
            (r"sudo ", ""),
            (r"chgrp inbox ", "chgrp $(id -gn) "),
            (r"postgresql://inbox:PASSWORD@127\.0\.0\.1:5432/inbox", database_url),
            (r"127\.0\.0\.1:8000", f"127.0.0.1:{port}"),
            (r"--port 8000", f"--port {port}"),
            (r"/opt/inbox-server", str(self.prefix)),
            (r"/etc/inbox-server", str(root / "etc/inbox-server")),
            (r"/var/lib/inbox-server", str(root / "var/lib/inbox-server")),
            (r"/srv/inbox", str(self.source)),
        ]

    def apply(self, text: str) -> str:
        for pattern, replacement in self.rules:
            text = re.sub(pattern, replacement, text)
        return text

    def prepare(self) -> None:
        """What the doc's step 1 makes (directories) and the source checkout it installs from."""
        for sub in ("etc/inbox-server", "var/lib/inbox-server/media", "opt"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.source.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(REPO / name, self.source / name)
        shutil.copytree(
            REPO / "inbox_app",
            self.source / "inbox_app",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )


def run_bash(script: str, env: dict[str, str], timeout: float = 300) -> str:
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def unit_lines(unit: str, key: str) -> list[str]:
    return [line.split("=", 1)[1] for line in unit.splitlines() if line.startswith(f"{key}=")]


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, value = line.split("=", 1)
            values[key] = value
    return values


@pytest.fixture
def pg_database():
    import uuid

    from tests.conftest import _pg_admin, _pg_url

    name = f"inbox_deploy_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_url(name).replace("postgresql+psycopg://", "postgresql://")
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_following_deploy_md_gives_a_server_a_signed_in_client_can_use(tmp_path, pg_database):
    layout = Layout(tmp_path, pg_database, free_port())
    layout.prepare()
    blocks = [layout.apply(block) for block in marked_blocks(DOC.read_text(encoding="utf-8"))]
    assert len(blocks) == 4, "deploy.md's tested steps: install, settings, firm and users, a text"
    install, settings, admin, simulate = blocks
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INBOX_", "PIP_"))}
    env["HOME"] = str(tmp_path / "home")

    out = run_bash(install, env)
    assert (layout.prefix / "bin/inbox-server").is_file()
    assert out.strip().startswith("inbox-server ")
    run_bash(settings, env)
    env_file = tmp_path / "etc/inbox-server/env"
    assert oct(env_file.stat().st_mode & 0o777) == "0o640"
    checked = run_bash(admin, env)
    check_lines = [line for line in checked.splitlines() if line.startswith(("ok", "FAIL"))]
    assert [line.split(":")[0].split()[-1] for line in check_lines] == [
        "settings",
        "database",
        "media",
        "carrier",
        "payments",
    ], checked
    assert all(line.startswith("ok") for line in check_lines), checked
    assert "Created firm 'Doe & Roe Law'" in checked and "Created admin 'alice'" in checked

    # The service, as systemd would start it.
    unit = layout.apply(UNIT.read_text(encoding="utf-8"))
    (tmp_path / "inbox-server.service").write_text(unit)
    verify = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / "inbox-server.service")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert verify.returncode == 0, verify.stderr
    [environment_file] = unit_lines(unit, "EnvironmentFile")
    service_env = {**env, **read_env_file(Path(environment_file))}
    assert service_env["INBOX_DATABASE_URL"] == pg_database
    for command in unit_lines(unit, "ExecStartPre"):
        subprocess.run(command.split(), env=service_env, check=True, timeout=120)
    [start] = unit_lines(unit, "ExecStart")
    with open(tmp_path / "server.log", "w") as log:
        server = subprocess.Popen(
            start.split(), env=service_env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path
        )
    base = f"http://127.0.0.1:{layout.port}"
    try:
        wait_until_up(base, process=server)
        function = admin[: admin.index("\n}\n") + 3]  # the doc's `inbox-server()` helper
        delivered = run_bash(function + simulate, env)
        assert "Delivered SM" in delivered

        signed_in = httpx.post(
            f"{base}/api/v1/auth/token",
            json={"username": "alice", "password": PASSWORD},
            timeout=15,
        )
        assert signed_in.status_code == 200, signed_in.text
        headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        [conversation] = httpx.get(f"{base}/api/v1/conversations", headers=headers).json()
        assert conversation["phone"] == "+12015550123"
        assert conversation["last_message"] == "Hello from the deploy guide"
        assert signed_in.json()["user"]["firm_name"] == "Doe & Roe Law"
    finally:
        server.terminate()
        server.wait(timeout=30)
    log_text = (tmp_path / "server.log").read_text()
    assert "Traceback" not in log_text, log_text[-3000:]
