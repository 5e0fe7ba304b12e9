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


def test_log_lines_are_one_key_value_line_per_event_with_secrets_blanked():
    import logging

    from inbox_app.server.logs import REDACTED, KeyValueFormatter

    formatter = KeyValueFormatter(secrets=["tok-0123456789abcdef"])
    try:
        raise ValueError("bad key tok-0123456789abcdef\nsecond line")
    except ValueError:
        import sys as _sys

        exc_info = _sys.exc_info()
    record = logging.LogRecord(
        "inbox.server", logging.WARNING, __file__, 1, 'message %s said "%s"', (12, "x y"), exc_info
    )
    record.firm_id = 3
    line = formatter.format(record)

    assert "\n" not in line
    assert line.startswith("ts=") and line.split()[0].endswith("Z")
    assert ' level=warning logger=inbox.server msg="message 12 said \\"x y\\"" firm_id=3 ' in line
    assert "tok-0123456789abcdef" not in line and REDACTED in line
    assert 'exc="Traceback' in line and "\\nValueError: bad key" in line


@pytest.mark.slow
def test_server_logs_neither_bodies_nor_secrets_nor_twilio_request_details(tmp_path):
    from inbox_app.server.db import make_engine, make_sessionmaker
    from inbox_app.server.services.auth import create_user
    from tests.conftest import PASSWORD, Api
    from tests.fakes.twilio import FakeTwilio
    from tests.harness import ACCOUNT_SID, AUTH_TOKEN, free_port, serve_in_process

    port = free_port()
    url = f"sqlite:///{tmp_path / 'inbox.db'}"
    body = "Your plea hearing is sealed 4471"
    with FakeTwilio() as fake:
        env = {
            "INBOX_DATABASE_URL": url,
            "INBOX_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "INBOX_SEND_MODE": "live",
            "INBOX_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "INBOX_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "INBOX_TWILIO_FROM": "+12015550100",
            "INBOX_TWILIO_API_BASE": fake.url,
            "INBOX_SEND_RATE_PER_SECOND": "0",
            "HOME": str(tmp_path),
        }
        with serve_in_process(env, port) as process:
            engine = make_engine(url)
            with make_sessionmaker(engine)() as session:
                create_user(session, "alice", PASSWORD, is_admin=True)
            engine.dispose()
            import httpx

            base = f"http://127.0.0.1:{port}"
            signed_in = httpx.post(
                f"{base}/api/v1/auth/token",
                json={"username": "alice", "password": PASSWORD},
                timeout=15,
            ).json()
            api = Api(base, signed_in["access_token"], signed_in["user"])
            conversation = api.post("/api/v1/conversations", json={"phone": "+12015550123"})
            sent = api.post(
                f"/api/v1/conversations/{conversation.json()['id']}/messages", json={"body": body}
            )
            assert sent.status_code == 201, sent.text
            [request] = fake.wait_for(1)
            assert request.params["Body"] == body
    output = process.log_text

    lines = [line for line in output.splitlines() if line.strip()]
    assert any('msg="starting inbox-server"' in line for line in lines), output
    assert all(line.startswith("ts=") and " level=" in line for line in lines), output
    assert body not in output
    assert AUTH_TOKEN not in output and signed_in["access_token"] not in output
    assert "Twilio API Request" not in output


def test_secrets_are_kept_out_of_the_settings_repr_but_sign_webhooks(monkeypatch, tmp_path):
    monkeypatch.setenv("INBOX_DATABASE_URL", f"sqlite:///{tmp_path}/firm.db")
    monkeypatch.setenv("INBOX_TWILIO_AUTH_TOKEN", "tok-live-0123456789abcdef")
    monkeypatch.setenv("INBOX_PAYMENT_MODE", "stripe")
    monkeypatch.setenv("INBOX_STRIPE_API_KEY", "sk_live_0123456789abcdef")
    settings = load_settings()

    shown = repr(settings) + str(settings.model_dump())
    assert "tok-live-0123456789abcdef" not in shown and "sk_live_0123456789abcdef" not in shown
    # The auth token, when set, signs webhooks in every mode; no secret file is made for it.
    assert settings.webhook_token == "tok-live-0123456789abcdef"
    assert not (tmp_path / "secret.key").exists()
