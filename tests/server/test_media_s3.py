"""INBOX_MEDIA_URL=s3://…: media in an S3-compatible store (moto on 127.0.0.1) shared by
server processes that have no media directory in common; check, backup and restore with it."""

from __future__ import annotations

import hashlib
import json
import os
import uuid

import httpx
import pytest

from inbox_app.server.cli import main
from tests.conftest import PASSWORD, _pg_admin, _pg_url, login, make_user
from tests.fakes.s3 import s3_environment
from tests.harness import AUTH_TOKEN, free_port, make_settings, post_webhook, serve_in_thread
from tests.server.conftest import conversation_for, wait_until
from tests.server.fixtures_media import jpeg, png
from tests.server.test_stream import servers_in_processes

CLIENT = "+12015550123"


@pytest.fixture
def s3(monkeypatch):
    with s3_environment(monkeypatch) as fake:
        yield fake


def local_files(root) -> list[str]:
    return sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_two_processes_share_media_through_the_object_store(db_url, tmp_path, s3):
    from inbox_app.server.db import make_engine, make_sessionmaker
    from inbox_app.server.services.auth import create_user
    from inbox_app.server.services.media import SIMULATOR_PATH, SIMULATOR_SIGNATURE_HEADER

    bucket = s3.bucket()
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as session:
        create_user(session, "alice", PASSWORD, is_admin=True, firm_name="Doe Law")
    engine.dispose()
    ports = [free_port(), free_port()]
    public = f"http://127.0.0.1:{ports[0]}"  # one public address, as behind a load balancer
    envs = [
        {
            "INBOX_DATABASE_URL": db_url,
            "INBOX_MEDIA_URL": f"s3://{bucket}/media",
            "INBOX_MEDIA_DIR": str(tmp_path / f"local-{n}"),
            "INBOX_PUBLIC_URL": public,
            "INBOX_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            # The firm's own number: a text to a number no firm owns is stored nowhere.
            "INBOX_TWILIO_FROM": "+12015550100",
            "INBOX_SIMULATE_FAILURE_RATE": "0",
            **s3.env,
        }
        for n in range(2)
    ]
    with servers_in_processes(envs, ports):
        base_a, base_b = (f"http://127.0.0.1:{port}" for port in ports)
        # The simulator's upload goes to process A ...
        picture = png(64, 48)
        import hmac

        signature = hmac.new(AUTH_TOKEN.encode(), picture, hashlib.sha256).hexdigest()
        uploaded = httpx.post(
            base_a + SIMULATOR_PATH,
            content=picture,
            headers={"Content-Type": "image/png", SIMULATOR_SIGNATURE_HEADER: signature},
            timeout=15,
        )
        assert uploaded.status_code == 201, uploaded.text
        # ... the carrier's webhook that carries it to process B, which finds it in the store.
        params = {
            "MessageSid": "SM" + uuid.uuid4().hex,
            "AccountSid": "AC" + "a" * 32,
            "From": CLIENT,
            "To": "+12015550100",
            "Body": "My ID",
            "NumMedia": "1",
            "MediaUrl0": uploaded.json()["url"],
            "MediaContentType0": "image/png",
        }
        answer = post_webhook(base_b, "/webhooks/twilio/messages", params, public_url=public)
        assert answer.status_code == 200, answer.text

        token = httpx.post(
            f"{base_a}/api/v1/auth/token",
            json={"username": "alice", "password": PASSWORD},
            timeout=15,
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        [conversation] = httpx.get(f"{base_a}/api/v1/conversations", headers=headers).json()
        page = httpx.get(
            f"{base_a}/api/v1/conversations/{conversation['id']}/messages", headers=headers
        ).json()
        [media] = page["messages"][0]["media"]
        assert media["status"] == "stored"
        # Process A serves what B stored, from the bucket.
        image = httpx.get(f"{base_a}/api/v1/media/{media['id']}", headers=headers)
        assert image.status_code == 200 and image.content == picture
        thumb = httpx.get(f"{base_a}/api/v1/media/{media['id']}/thumbnail", headers=headers)
        assert thumb.status_code == 200 and thumb.content[:8] == b"\x89PNG\r\n\x1a\n"
        stored = s3.keys(bucket)
        digest = hashlib.sha256(picture).hexdigest()
        assert f"media/simulator/{digest}.png" in stored
        assert any(key.endswith(f"/{digest}.png") and "simulator" not in key for key in stored)
        assert local_files(tmp_path / "local-0") == []
        assert [f for f in local_files(tmp_path / "local-1") if "secret" not in f] == []

        # A block on A deletes the thread's objects from the shared store.
        blocked = httpx.post(
            f"{base_a}/api/v1/conversations/{conversation['id']}/block",
            headers=headers,
            json={},
            timeout=15,
        )
        assert blocked.status_code == 204, blocked.text
        wait_until(lambda: [k for k in s3.keys(bucket) if "simulator" not in k] == [])


def test_check_backup_and_restore_with_media_in_the_object_store(
    db_url, tmp_path, s3, monkeypatch, capsys
):
    bucket = s3.bucket()
    settings = make_settings(db_url, tmp_path, free_port(), media_url=f"s3://{bucket}/firm")
    with serve_in_thread(settings) as server:
        make_user(server, "alice", admin=True)
        admin = login(server, "alice")
        conversation = conversation_for(admin, CLIENT)
        url = f"/api/v1/conversations/{conversation['id']}/messages"
        sent = admin.post(
            url,
            data={"body": "Papers"},
            files=[
                ("images", ("a.jpg", jpeg(), "image/jpeg")),
                ("images", ("b.png", png(), "image/png")),
            ],
        )
        assert sent.status_code == 201, sent.text
        wait_until(lambda: admin.get(url).json()["messages"][0]["status"] == "delivered")
        digest = admin.get(f"/api/v1/conversations/{conversation['id']}/export").json()["sha256"]
        assert not (tmp_path / "media").exists() or local_files(tmp_path / "media") == []

        def run(database_url: str, media_url: str, *argv: str):
            for name in [n for n in os.environ if n.startswith("INBOX_")]:
                monkeypatch.delenv(name)
            monkeypatch.setenv("INBOX_DATABASE_URL", database_url)
            monkeypatch.setenv("INBOX_MEDIA_URL", media_url)
            monkeypatch.setenv("INBOX_SECRET_KEY", "s" * 40)
            code = main(list(argv))
            out, err = capsys.readouterr()
            return code, out + err

        code, out = run(db_url, f"s3://{bucket}/firm", "check")
        assert code == 0, out
        assert f"ok    media: s3://{bucket}/firm is writable" in out
        backup_dir = tmp_path / "backup"
        code, out = run(db_url, f"s3://{bucket}/firm", "backup", str(backup_dir))
        assert code == 0, out

    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert manifest["media"]["count"] == 4
    if db_url.startswith("sqlite"):
        target = f"sqlite:///{tmp_path / 'restored.db'}"
    else:
        name = f"inbox_r_{uuid.uuid4().hex[:12]}"
        _pg_admin(f'CREATE DATABASE "{name}"')
        target = _pg_url(name)
    try:
        other = s3.bucket()
        code, out = run(target, f"s3://{other}/restored", "restore", str(backup_dir))
        assert code == 0, out
        restored_keys = sorted(k.removeprefix("restored/") for k in s3.keys(other))
        assert restored_keys == sorted(manifest["media"]["files"])
        code, out = run(target, f"s3://{bucket}/firm", "restore", str(backup_dir))
        assert code == 2 and "is not empty" in out

        restored = make_settings(target, tmp_path, free_port(), media_url=f"s3://{other}/restored")
        with serve_in_thread(restored) as server:
            admin = login(server, "alice")
            assert (
                admin.get(f"/api/v1/conversations/{conversation['id']}/export").json()["sha256"]
                == digest
            )
            media = admin.get(url).json()["messages"][0]["media"]
            for item in media:
                response = admin.get(f"/api/v1/media/{item['id']}")
                assert response.status_code == 200
                assert hashlib.sha256(response.content).hexdigest() == item["sha256"]
    finally:
        if not db_url.startswith("sqlite"):
            _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_bad_media_url_names_the_variable(monkeypatch):
    from inbox_app.server.config import SettingsError, load_settings

    monkeypatch.setenv("INBOX_MEDIA_URL", "https://bucket.example.com/x")
    with pytest.raises(SettingsError, match="INBOX_MEDIA_URL: must be an s3://BUCKET/PREFIX URL"):
        load_settings()
