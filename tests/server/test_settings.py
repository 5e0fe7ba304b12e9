"""Settings come from INBOX_* variables; a bad value stops start-up naming the variable."""

from __future__ import annotations

import subprocess
import sys

import pytest

from inbox_app.server.config import PaymentMode, SendMode, SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    import os

    for key in [k for k in os.environ if k.startswith("INBOX_")]:
        monkeypatch.delenv(key)


def test_defaults_follow_the_contract():
    settings = load_settings()
    assert settings.send_mode is SendMode.SIMULATE
    assert settings.payment_mode is PaymentMode.MANUAL
    assert settings.public_url == "http://127.0.0.1:8000"
    assert settings.effective_database_url.startswith("sqlite:///")
    assert settings.effective_database_url.endswith("inbox.db")
    assert settings.effective_media_dir.name == "media"


def test_media_dir_sits_beside_the_database(monkeypatch, tmp_path):
    monkeypatch.setenv("INBOX_DATABASE_URL", f"sqlite:///{tmp_path}/firm.db")
    assert load_settings().effective_media_dir == tmp_path / "media"


def test_plain_postgresql_url_uses_psycopg3(monkeypatch):
    monkeypatch.setenv("INBOX_DATABASE_URL", "postgresql://u@db/inbox")
    assert load_settings().database_url == "postgresql+psycopg://u@db/inbox"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("INBOX_SEND_MODE", "loud"),
        ("INBOX_PAYMENT_MODE", "cash"),
        ("INBOX_PUBLIC_URL", "ftp://example"),
        ("INBOX_DATABASE_URL", "mysql://x"),
    ],
)
def test_bad_value_names_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert name in str(raised.value)
    assert value in str(raised.value)


def test_live_mode_refuses_to_start_without_twilio_credentials(monkeypatch):
    monkeypatch.setenv("INBOX_SEND_MODE", "live")
    monkeypatch.setenv("INBOX_TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert "INBOX_TWILIO_AUTH_TOKEN" in str(raised.value)
    assert "INBOX_TWILIO_FROM" in str(raised.value)


def test_server_command_exits_with_the_message(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "inbox_app.server.cli", "init-db"],
        env={"INBOX_SEND_MODE": "loud", "HOME": str(tmp_path), "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "INBOX_SEND_MODE" in result.stderr
    assert "Traceback" not in result.stderr
