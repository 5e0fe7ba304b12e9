"""`inbox-server` as an operator meets it: serve's help, firms by name, users, `check`."""

from __future__ import annotations

import os

import pytest

from inbox_app.server.cli import _with_default_command, main
from inbox_app.server.config import get_settings
from tests.harness import ACCOUNT_SID, AUTH_TOKEN


@pytest.fixture
def cli(monkeypatch, tmp_path, db_url, capsys):
    """`inbox-server ARGS` in this process on a fresh database; returns (code, stdout, stderr)."""
    for name in list(os.environ):
        if name.startswith("INBOX_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("INBOX_DATABASE_URL", db_url)
    monkeypatch.setenv("INBOX_MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.setenv("INBOX_SECRET_KEY", "k" * 40)

    def run(*argv: str) -> tuple[int, str, str]:
        get_settings.cache_clear()
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code
        finally:
            get_settings.cache_clear()
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_the_bare_form_still_serves_and_serve_help_shows_its_defaults(capsys):
    assert _with_default_command([]) == ["serve"]
    assert _with_default_command(["--port", "9000"]) == ["serve", "--port", "9000"]
    assert _with_default_command(["--help"]) == ["--help"]
    assert _with_default_command(["check"]) == ["check"]

    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    text = capsys.readouterr().out
    assert "--host HOST  address to listen on (default: 127.0.0.1)" in text
    assert "--port PORT  TCP port to listen on (default: 8000)" in text

    with pytest.raises(SystemExit):
        main(["--help"])
    top = capsys.readouterr().out
    for command in ("serve", "init-db", "check", "create-firm", "create-user", "backup", "restore"):
        assert f"    {command}" in top


def test_firms_are_made_and_chosen_by_name_and_errors_list_them(cli):
    run = cli
    code, out, _ = run("create-firm", "Doe & Roe Law")
    assert code == 0 and "Created firm 'Doe & Roe Law' (id" in out

    code, _, err = run("create-firm", "  doe &  roe LAW ")
    assert code == 2 and "already exists" in err

    code, _, err = run("create-user", "bob", "--password", "long enough pw", "--firm", "Nope")
    assert code == 2
    assert "There is no firm named 'Nope'; the firms are 'Doe & Roe Law' (id" in err

    assert run("create-firm", "Other LLP")[0] == 0
    code, _, err = run("create-user", "bob", "--password", "long enough pw")
    assert code == 2 and "Several firms exist" in err and "'Other LLP'" in err

    code, out, _ = run("create-user", "bob", "--password", "long enough pw", "--firm", "other llp")
    assert code == 0 and "in 'Other LLP'" in out and "no firm yet" not in out

    code, out, _ = run("list-firms")
    assert [line.split("\t")[1] for line in out.splitlines()] == ["Doe & Roe Law", "Other LLP"]


def test_the_first_user_of_an_empty_install_says_it_made_a_firm(cli):
    run = cli
    code, out, _ = run("create-user", "alice", "--password", "long enough pw", "--admin")
    assert code == 0
    assert "There was no firm yet, so firm 'My firm'" in out and "PUT /api/v1/firm/settings" in out

    code, out, _ = run("create-user", "carol", "--password", "long enough pw")
    assert code == 0 and "in 'My firm'" in out and "no firm yet" not in out


def test_an_admin_renames_the_firm_and_names_stay_distinct(server, admin):
    from tests.conftest import make_user

    make_user(server, "olga", admin=True, firm="Other LLP")

    renamed = admin.put("/api/v1/firm/settings", json={"name": "  Doe,  Roe & Poe "})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Doe, Roe & Poe"
    assert admin.get("/api/v1/auth/me").json()["firm_name"] == "Doe, Roe & Poe"

    taken = admin.put("/api/v1/firm/settings", json={"name": "other llp", "max_segments": 3})
    assert taken.status_code == 409 and taken.json()["code"] == "conflict"
    blank = admin.put("/api/v1/firm/settings", json={"name": "   "})
    assert blank.status_code == 422
    after = admin.get("/api/v1/firm/settings").json()
    assert (after["name"], after["max_segments"]) == ("Doe, Roe & Poe", 10)


def test_check_prints_one_line_per_part_and_fails_on_a_bad_database(cli, monkeypatch):
    run = cli
    code, out, _ = run("check")
    lines = out.splitlines()
    assert [line.split(":")[0].split()[-1] for line in lines] == [
        "settings",
        "database",
        "media",
        "carrier",
        "payments",
    ]
    assert code == 0, out
    assert all(line.startswith("ok") for line in lines)

    monkeypatch.setenv("INBOX_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/none")
    code, out, _ = run("check")
    assert code == 1
    assert any(line.startswith("FAIL  database: cannot connect") for line in out.splitlines())


def test_check_asks_twilio_for_the_account_in_live_mode(cli, monkeypatch):
    from tests.fakes.twilio import FakeTwilio

    run = cli
    with FakeTwilio(auth_token=AUTH_TOKEN) as fake:
        monkeypatch.setenv("INBOX_SEND_MODE", "live")
        monkeypatch.setenv("INBOX_PUBLIC_URL", "https://inbox.example.com")
        monkeypatch.setenv("INBOX_TWILIO_ACCOUNT_SID", ACCOUNT_SID)
        monkeypatch.setenv("INBOX_TWILIO_FROM", "+12015550100")
        monkeypatch.setenv("INBOX_TWILIO_API_BASE", fake.url)
        monkeypatch.setenv("INBOX_TWILIO_AUTH_TOKEN", AUTH_TOKEN)
        code, out, _ = run("check")
        assert code == 0, out
        assert "ok    carrier: live mode: Twilio account 'Fake Twilio account' is active" in out

        monkeypatch.setenv("INBOX_TWILIO_AUTH_TOKEN", "wrong-token-0123456789")
        code, out, _ = run("check")
        assert code == 1
        assert "FAIL  carrier: Twilio refused INBOX_TWILIO_ACCOUNT_SID" in out
        assert "wrong-token" not in out
