"""`inbox-server backup` of a running server under load, `restore` into a new database and media
directory: every message, image and ledger row is there, and export digests are equal."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from inbox_app.models import tables as t
from inbox_app.server.cli import main
from inbox_app.server.db import make_engine, make_sessionmaker
from tests.conftest import _pg_admin, _pg_url, login, make_user
from tests.harness import free_port, make_settings, serve_in_thread
from tests.server.conftest import conversation_for, inbound, wait_until
from tests.server.fixtures_media import jpeg, png

CLIENT = "+12015550123"
LOADER = "+12015550999"


@pytest.fixture
def empty_target(db_url, tmp_path):
    """A database URL of the same kind as `db_url`, empty, and an empty media directory."""
    media = tmp_path / "restored-media"
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'inbox.db'}", media
        return
    name = f"inbox_r_{uuid.uuid4().hex[:12]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_url(name), media
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def command(monkeypatch, capsys, database_url: str, media: Path, *argv: str):
    for name in list(os.environ):
        if name.startswith("INBOX_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("INBOX_DATABASE_URL", database_url)
    monkeypatch.setenv("INBOX_MEDIA_DIR", str(media))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


def rows(url: str):
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            messages = {
                m.id: (m.conversation_id, m.direction, m.body, m.created_at)
                for m in session.scalars(select(t.Message))
            }
            media = [
                (m.id, m.message_id, m.sha256, m.path, m.thumbnail_path, m.status)
                for m in session.scalars(select(t.Media))
            ]
            ledger = [
                (e.id, e.kind, e.amount, e.balance_after, e.message_id)
                for e in session.scalars(select(t.CreditEntry).order_by(t.CreditEntry.id))
            ]
            balances = {b.firm_id: b.balance for b in session.scalars(select(t.CreditBalance))}
            return messages, media, ledger, balances
    finally:
        engine.dispose()


def test_backup_under_load_restores_every_message_image_and_ledger_row(
    db_url, tmp_path, empty_target, monkeypatch, capsys
):
    settings = make_settings(db_url, tmp_path, free_port())
    backup_dir = tmp_path / "backup"
    with serve_in_thread(settings) as server:
        make_user(server, "alice", admin=True)
        admin = login(server, "alice")
        conversation = conversation_for(admin, CLIENT)
        url = f"/api/v1/conversations/{conversation['id']}/messages"
        sent = admin.post(
            url,
            data={"body": "Your documents"},
            files=[
                ("images", ("a.jpg", jpeg(), "image/jpeg")),
                ("images", ("b.png", png(), "image/png")),
            ],
        )
        assert sent.status_code == 201, sent.text
        assert inbound(server, "Thanks!", sender=CLIENT).status_code == 200
        assert admin.post("/api/v1/credits/top-up", json={"bundles": 1}).status_code == 200
        # The export names each status: wait for the last one (a late `delivered` would move
        # the digest after it was taken).
        wait_until(
            lambda: all(
                m["status"] in ("received", "delivered", "undelivered", "failed")
                for m in admin.get(url).json()["messages"]
            )
        )
        digest = admin.get(f"/api/v1/conversations/{conversation['id']}/export").json()["sha256"]

        stop, answered = threading.Event(), []

        def load() -> None:
            index = 0
            while not stop.is_set():
                response = inbound(server, f"load {index}", sender=LOADER)
                answered.append(response.status_code)
                index += 1

        loader = threading.Thread(target=load)
        loader.start()
        try:
            wait_until(lambda: len(answered) >= 5)
            code, out = command(
                monkeypatch, capsys, db_url, settings.effective_media_dir, "backup", str(backup_dir)
            )
        finally:
            stop.set()
            loader.join(timeout=30)
        assert code == 0, out
        # Webhooks kept coming (and being answered) while the backup ran.
        assert len(answered) >= 5 and set(answered) == {200}

    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert manifest["media"]["count"] == 4  # two images and their thumbnails
    source_messages, source_media, source_ledger, _ = rows(db_url)

    target_url, target_media = empty_target
    code, out = command(monkeypatch, capsys, target_url, target_media, "restore", str(backup_dir))
    assert code == 0, out
    messages, media, ledger, balances = rows(target_url)

    # Every message is the source's, all those before the backup are there, and some of the load.
    assert all(source_messages[i] == value for i, value in messages.items())
    loaded = [m for m in messages.values() if m[2].startswith("load ")]
    assert 5 <= len(loaded) <= len(answered)
    assert {m[2] for m in messages.values()} >= {"Your documents", "Thanks!"}
    assert len(media) == 2 and set(media) <= set(source_media)
    for _id, _message, sha256, path, thumbnail, status in media:
        assert status == "stored"
        assert hashlib.sha256((target_media / path).read_bytes()).hexdigest() == sha256
        assert (target_media / thumbnail).is_file()
    assert ledger == source_ledger[: len(ledger)]
    assert {"grant", "purchase", "debit"} <= {entry[1] for entry in ledger}
    [balance] = balances.values()
    assert balance == sum(entry[2] for entry in ledger) == ledger[-1][3]

    restored = make_settings(target_url, tmp_path, free_port(), media_dir=target_media)
    with serve_in_thread(restored) as server:
        admin = login(server, "alice")
        export = admin.get(f"/api/v1/conversations/{conversation['id']}/export").json()
        assert export["sha256"] == digest
        image = next(m for m in admin.get(url).json()["messages"] if m["media"])["media"][0]
        assert admin.get(f"/api/v1/media/{image['id']}").status_code == 200

    # A second restore finds the target in use and changes nothing.
    code, out = command(
        monkeypatch, capsys, target_url, tmp_path / "other", "restore", str(backup_dir)
    )
    assert code == 2 and "already has tables" in out


def test_restore_refuses_a_backup_that_does_not_match_its_manifest(tmp_path, monkeypatch, capsys):
    source = f"sqlite:///{tmp_path / 'source.db'}"
    media = tmp_path / "media"
    (media / "1").mkdir(parents=True)
    (media / "1" / "abc.png").write_bytes(png())
    code, out = command(monkeypatch, capsys, source, media, "init-db")
    assert code == 0, out
    backup_dir = tmp_path / "backup"
    assert command(monkeypatch, capsys, source, media, "backup", str(backup_dir))[0] == 0
    code, out = command(monkeypatch, capsys, source, media, "backup", str(backup_dir))
    assert code == 2 and "not empty" in out

    (backup_dir / "media" / "1" / "abc.png").write_bytes(png(color=(0, 0, 0, 255)))
    (backup_dir / "media" / "stray.txt").write_text("?")
    target = tmp_path / "target.db"
    code, out = command(
        monkeypatch, capsys, f"sqlite:///{target}", tmp_path / "m2", "restore", str(backup_dir)
    )
    assert code == 2
    assert "media/1/abc.png does not match its SHA-256" in out
    assert "media/stray.txt is not in the manifest" in out
    assert not target.exists() and not (tmp_path / "m2").exists()

    (backup_dir / "manifest.json").unlink()
    code, out = command(
        monkeypatch, capsys, f"sqlite:///{target}", tmp_path / "m2", "restore", str(backup_dir)
    )
    assert code == 2 and "has no manifest.json" in out
