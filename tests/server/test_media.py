"""MMS media: fetched only from the carrier, checked, stored by hash, served to the firm only."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageFile
from sqlalchemy import func, select

from inbox_app.models import tables as t
from inbox_app.server.config import Settings
from inbox_app.server.db import make_engine, make_sessionmaker
from inbox_app.server.errors import Invalid
from inbox_app.server.services import firms, media
from tests.conftest import login, make_user
from tests.fakes.media_host import MediaHost
from tests.harness import ACCOUNT_SID, AUTH_TOKEN, free_port, make_settings
from tests.server.conftest import wait_until
from tests.server.fixtures_media import (
    HTML,
    PDF,
    animated_gif,
    jpeg,
    make_message,
    noisy_bytes,
    png,
    png_bomb,
)

TWILIO_AUTH = (ACCOUNT_SID, AUTH_TOKEN)


@dataclass
class Store:
    """A firm on a real database, with settings whose Twilio API base is the fake media host."""

    settings: Settings
    sessionmaker: object
    host: MediaHost
    firm_id: int

    def inbound(self, items, phone: str = "+12015550123") -> list[t.Media]:
        with self.sessionmaker() as session, session.begin():
            message = make_message(session, self.firm_id, phone=phone)
            return media.store_inbound_in(session, self.settings, message, items)

    def outbound(self, uploads, phone: str = "+12015550123") -> list[t.Media]:
        with self.sessionmaker() as session, session.begin():
            message = make_message(session, self.firm_id, direction="outbound", phone=phone)
            return media.store_outbound_in(session, self.settings, message, uploads)

    def media_rows(self) -> int:
        with self.sessionmaker() as session:
            return session.scalar(select(func.count()).select_from(t.Media))

    def files(self) -> list[Path]:
        root = self.settings.effective_media_dir
        return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def store(db_url, tmp_path):
    with MediaHost() as host:
        settings = make_settings(db_url, tmp_path, free_port(), twilio_api_base=host.base_url)
        engine = make_engine(db_url)
        sessionmaker = make_sessionmaker(engine)
        with sessionmaker() as session:
            firm = firms.create_firm(session, "Doe & Roe Law")
        yield Store(settings, sessionmaker, host, firm.id)
        engine.dispose()


# --- inbound ---------------------------------------------------------------------------------


def test_jpeg_png_and_animated_gif_are_stored_with_thumbnails(store):
    photo, drawing, animation = jpeg(1280, 960), png(400, 300), animated_gif()
    items = [
        (store.host.serve("/ME1", photo, auth=TWILIO_AUTH), "image/jpeg"),
        # Declared type is wrong; the content decides and is recorded.
        (store.host.serve("/ME2", drawing, auth=TWILIO_AUTH), "image/jpeg"),
        (store.host.serve("/ME3", animation, "image/gif", auth=TWILIO_AUTH), "image/gif"),
    ]

    rows = store.inbound(items)

    assert [r.status for r in rows] == ["stored"] * 3
    assert [r.content_type for r in rows] == ["image/jpeg", "image/png", "image/gif"]
    assert [(r.width, r.height) for r in rows] == [(1280, 960), (400, 300), (120, 80)]
    assert [r.position for r in rows] == [0, 1, 2]
    root = store.settings.effective_media_dir
    for row, data in zip(rows, [photo, drawing, animation], strict=True):
        assert row.sha256 == hashlib.sha256(data).hexdigest()
        assert row.size == len(data)
        assert row.path.startswith(f"{store.firm_id}/{row.sha256}.")
        assert (root / row.path).read_bytes() == data
        thumb = Image.open(root / row.thumbnail_path)
        assert max(thumb.size) <= 320
    assert Image.open(root / rows[0].thumbnail_path).format == "JPEG"
    assert Image.open(root / rows[0].thumbnail_path).size == (320, 240)
    assert Image.open(root / rows[2].thumbnail_path).format == "PNG"
    # The stored GIF keeps every frame; the thumbnail is its first.
    assert Image.open(root / rows[2].path).n_frames == 3
    assert all(seen.authorization for seen in store.host.requests)


def test_links_off_twilio_hosts_are_rejected_without_being_fetched(store):
    with MediaHost() as stranger:
        items = [
            (stranger.serve("/x.jpg", jpeg()), "image/jpeg"),
            ("http://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", "image/jpeg"),
            ("https://api.twilio.com.example.org/ME1", "image/jpeg"),
            ("https://example.org/ME1", "image/jpeg"),
            ("https://user@api.twilio.com/ME1", "image/jpeg"),
            ("not a url at all", "image/jpeg"),
        ]

        rows = store.inbound(items)

        assert stranger.requests == []
    assert [r.status for r in rows] == ["rejected"] * 6
    assert "127.0.0.1 is not one of Twilio's media hosts" in rows[0].reject_reason
    assert "must use https" in rows[1].reject_reason
    assert "api.twilio.com.example.org is not one of Twilio's" in rows[2].reject_reason
    assert "example.org is not one of Twilio's" in rows[3].reject_reason
    assert all(r.reject_reason.startswith("not fetched") for r in rows)
    assert all(r.path is None for r in rows)
    assert rows[0].source_url == stranger.url("/x.jpg")
    assert store.files() == []


def test_redirects_are_followed_only_to_allowed_hosts(store):
    with MediaHost() as stranger:
        stranger.serve("/evil.jpg", jpeg())
        store.host.serve("/real.jpg", jpeg())
        items = [
            (store.host.redirect("/ME1", "/real.jpg"), "image/jpeg"),
            (store.host.redirect("/ME2", stranger.url("/evil.jpg")), "image/jpeg"),
        ]

        rows = store.inbound(items)

        assert stranger.requests == []
    assert rows[0].status == "stored"
    assert rows[1].status == "rejected"
    assert rows[1].reject_reason.startswith("redirected elsewhere")


def test_failed_downloads_are_rejected_with_the_status(store):
    items = [
        (store.host.fail("/gone", 404), "image/jpeg"),
        (store.host.fail("/broken", 500), "image/png"),
        (store.host.serve("/private", jpeg(), auth=("ACother", "wrong")), "image/jpeg"),
    ]

    rows = store.inbound(items)

    assert [r.reject_reason for r in rows] == [
        "download failed with HTTP status 404",
        "download failed with HTTP status 500",
        "download failed with HTTP status 401",
    ]
    assert [r.content_type for r in rows] == ["image/jpeg", "image/png", "image/jpeg"]


def test_files_that_are_not_images_are_rejected(store):
    items = [
        (store.host.serve("/page", HTML, "text/html"), "text/html"),
        (store.host.serve("/doc", PDF, "application/pdf"), "application/pdf"),
        (store.host.serve("/fake.jpg", PDF, "image/jpeg"), "image/jpeg"),
        (store.host.serve("/cut.jpg", jpeg(800, 600)[:2000]), "image/jpeg"),
    ]

    rows = store.inbound(items)

    assert [r.status for r in rows] == ["rejected"] * 4
    assert rows[0].reject_reason == "not a JPEG, PNG or GIF image (looks like a web page)"
    assert rows[1].reject_reason == "not a JPEG, PNG or GIF image (looks like a PDF document)"
    assert rows[2].reject_reason == rows[1].reject_reason
    assert rows[3].reject_reason == "a damaged or truncated image that cannot be read"
    assert store.files() == []


def test_media_over_5_mb_is_rejected_even_without_a_declared_length(store):
    big = noisy_bytes(6 * 1024 * 1024)
    items = [
        (store.host.serve("/big", big), "image/jpeg"),
        (store.host.serve("/big-chunked", big, chunked=True), "image/jpeg"),
    ]

    rows = store.inbound(items)

    assert rows[0].reject_reason == "larger than the 5 MB limit (6.0 MB)"
    assert rows[1].reject_reason == "larger than the 5 MB limit"
    assert store.files() == []


def test_a_50_megapixel_png_bomb_is_refused_before_its_pixels_are_decoded(store, monkeypatch):
    bomb = png_bomb(8000, 6250)
    assert len(bomb) < 100_000
    decoded = []
    real_load = ImageFile.ImageFile.load

    def spy_load(image):
        decoded.append(image.size)
        return real_load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy_load)

    [row] = store.inbound([(store.host.serve("/bomb.png", bomb, "image/png"), "image/png")])

    assert row.status == "rejected"
    assert row.reject_reason == "too many pixels: 8000×6250 is over the 20-megapixel limit"
    assert (8000, 6250) not in decoded


def test_only_the_first_ten_items_of_a_message_are_fetched(store):
    photo = jpeg()
    items = [(store.host.serve(f"/ME{i}", photo), "image/jpeg") for i in range(11)]

    rows = store.inbound(items)

    assert [r.status for r in rows] == ["stored"] * 10 + ["rejected"]
    assert rows[10].reject_reason == "over the limit of 10 images per message"
    assert "/ME10" not in store.host.paths_requested()
    assert len(store.host.requests) == 10
    # Same picture ten times: one file and one thumbnail.
    assert len(store.files()) == 2


def test_media_fetched_before_the_transaction_is_stored_without_network(store):
    url = store.host.serve("/ME1", png())
    fetched = media.fetch_inbound(store.settings, [(url, "image/png")])
    store.host.routes.clear()

    with store.sessionmaker() as session, session.begin():
        message = make_message(session, store.firm_id)
        rows = media.store_inbound_in(session, store.settings, message, [], fetched=fetched)

    assert [r.status for r in rows] == ["stored"]
    assert len(store.host.requests) == 1


# --- outbound --------------------------------------------------------------------------------


def test_outbound_images_are_stored(store):
    rows = store.outbound([("a.jpg", "image/jpeg", jpeg()), ("b.gif", "image/gif", animated_gif())])

    assert [(r.status, r.content_type, r.source_url) for r in rows] == [
        ("stored", "image/jpeg", None),
        ("stored", "image/gif", None),
    ]


def test_outbound_six_images_are_refused_and_nothing_is_written(store):
    uploads = [(f"p{i}.png", "image/png", png(10 + i, 10)) for i in range(6)]

    with pytest.raises(Invalid, match="at most 5 images; this one has 6"):
        store.outbound(uploads)

    assert store.media_rows() == 0
    assert store.files() == []


def test_outbound_non_image_is_refused_naming_the_file_and_nothing_is_written(store):
    uploads = [("ok.jpg", "image/jpeg", jpeg()), ("brief.pdf", "application/pdf", PDF)]

    with pytest.raises(Invalid) as refused:
        store.outbound(uploads)

    assert refused.value.message == (
        "Cannot send brief.pdf: not a JPEG, PNG or GIF image (looks like a PDF document)."
    )
    assert refused.value.detail == {"filename": "brief.pdf"}
    assert store.media_rows() == 0
    assert store.files() == []


def test_outbound_bomb_and_oversize_are_refused(store):
    with pytest.raises(Invalid, match=r"Cannot send bomb\.png: too many pixels"):
        store.outbound([("bomb.png", "image/png", png_bomb())])
    with pytest.raises(Invalid, match=r"add up to 6\.0 MB"):
        store.outbound([("big.jpg", "image/jpeg", noisy_bytes(6 * 1024 * 1024))])
    assert store.files() == []


# --- deleting --------------------------------------------------------------------------------


def test_block_deletes_files_after_commit_but_keeps_shared_ones(store):
    shared, own = jpeg(color=(1, 2, 3)), png(color=(9, 9, 9, 255))
    [kept] = store.outbound([("s.jpg", "image/jpeg", shared)], phone="+12015550001")
    rows = store.outbound(
        [("s.jpg", "image/jpeg", shared), ("o.png", "image/png", own)], phone="+12015550002"
    )
    root = store.settings.effective_media_dir
    with store.sessionmaker() as session:
        conversation_id = session.get(t.Media, rows[0].id).message.conversation_id

    # A rolled-back block deletes nothing.
    with store.sessionmaker() as session:
        session.begin()
        assert media.delete_files_for_in(session, store.settings, conversation_id) == 2
        session.rollback()
    assert (root / rows[1].path).exists()

    with store.sessionmaker() as session, session.begin():
        assert media.delete_files_for_in(session, store.settings, conversation_id) == 2
        assert (root / rows[1].path).exists()  # not before the commit
        session.delete(session.get(t.Conversation, conversation_id))

    assert not (root / rows[1].path).exists()
    assert not (root / rows[1].thumbnail_path).exists()
    assert (root / kept.path).exists()
    assert (root / kept.thumbnail_path).exists()


# --- over HTTP -------------------------------------------------------------------------------


def _stored_for(server, firm_id: int, direction: str = "inbound") -> tuple[t.Media, t.Media]:
    """One stored and one rejected image of the firm."""
    with server.app.state.sessionmaker() as session, session.begin():
        message = make_message(session, firm_id, direction=direction)
        [stored] = media.store_outbound_in(
            session, server.settings, message, [("a.png", "image/png", png())]
        )
        [rejected] = media.store_inbound_in(
            session, server.settings, message, [("https://example.org/x.jpg", "image/jpeg")]
        )
        return stored, rejected


def test_media_routes_serve_the_firms_images_only(server, admin):
    stored, rejected = _stored_for(server, admin.user["firm_id"])

    response = admin.get(f"/api/v1/media/{stored.id}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"].startswith("private")
    assert hashlib.sha256(response.content).hexdigest() == stored.sha256

    thumb = admin.get(f"/api/v1/media/{stored.id}/thumbnail")
    assert thumb.status_code == 200
    assert thumb.headers["content-type"] == "image/png"
    assert max(Image.open(io.BytesIO(thumb.content)).size) <= 320

    refused = admin.get(f"/api/v1/media/{rejected.id}")
    assert refused.status_code == 404
    assert refused.json()["detail"].startswith("This image was refused: not fetched")

    assert admin.get("/api/v1/media/999999").status_code == 404
    assert httpx.get(f"{server.base_url}/api/v1/media/{stored.id}").status_code == 401

    make_user(server, "olga", firm="Other Firm")
    other = login(server, "olga")
    response = other.get(f"/api/v1/media/{stored.id}")
    assert response.status_code == 404
    assert response.json()["detail"] == "No such image."
    assert other.get(f"/api/v1/media/{stored.id}/thumbnail").status_code == 404


def test_public_url_serves_outbound_images_to_the_carrier_with_the_right_token(server, admin):
    sent, _ = _stored_for(server, admin.user["firm_id"], direction="outbound")
    received, _ = _stored_for(server, admin.user["firm_id"], direction="inbound")

    with server.app.state.sessionmaker() as session, session.begin():
        url = media.public_url_in(session, server.settings, session.get(t.Media, sent.id))
    assert url.startswith(f"{server.base_url}/media/public/{sent.id}/")
    response = httpx.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert hashlib.sha256(response.content).hexdigest() == sent.sha256

    bad = httpx.get(f"{server.base_url}/media/public/{sent.id}/{'0' * 32}")
    assert bad.status_code == 404
    assert httpx.get(url.replace(f"/{sent.id}/", f"/{received.id}/")).status_code == 404
    with server.app.state.sessionmaker() as session, session.begin():
        received_url = media.public_url_in(
            session, server.settings, session.get(t.Media, received.id)
        )
    assert httpx.get(received_url).status_code == 404


def test_simulator_uploads_become_media_urls_the_inbound_store_accepts(server, admin):
    photo = jpeg(300, 200)

    url = media.upload_to_simulator(server.settings, server.base_url, photo, "image/jpeg")

    assert url.startswith(f"{server.base_url}/webhooks/simulator/media/")
    served = httpx.get(url)
    assert served.status_code == 200
    assert served.content == photo
    assert served.headers["content-type"] == "image/jpeg"

    with server.app.state.sessionmaker() as session, session.begin():
        message = make_message(session, admin.user["firm_id"])
        [row] = media.store_inbound_in(session, server.settings, message, [(url, "image/jpeg")])
        assert (row.status, row.width, row.height) == ("stored", 300, 200)
        [gone] = media.store_inbound_in(
            session, server.settings, message, [(url[:-8] + "0" * 4 + ".jpg", "image/jpeg")]
        )
        assert gone.reject_reason == "download failed with HTTP status 404"

    unsigned = httpx.post(
        f"{server.base_url}/webhooks/simulator/media",
        content=photo,
        headers={"Content-Type": "image/jpeg", "X-Inbox-Signature": "forged"},
    )
    assert unsigned.status_code == 403
    assert "X-Inbox-Signature" in unsigned.json()["detail"]
    assert (
        httpx.get(f"{server.base_url}/webhooks/simulator/media/../../inbox.db").status_code == 404
    )


def test_inbound_webhook_with_off_host_and_non_image_media_stores_the_text(server, admin):
    from tests.harness import post_webhook

    with MediaHost() as stranger:
        off_host = stranger.serve("/photo.jpg", jpeg())
        pdf = media.upload_to_simulator(
            server.settings, server.base_url, b"%PDF-1.4 retainer", "application/pdf"
        )
        fake_jpeg = media.upload_to_simulator(
            server.settings, server.base_url, b"not really a picture", "image/jpeg"
        )
        params = {
            "MessageSid": "MM" + "7" * 32,
            "AccountSid": ACCOUNT_SID,
            "From": "+12015550123",
            "To": "+12015550100",
            "Body": "Here are the papers",
            "NumMedia": "3",
            "MediaUrl0": off_host,
            "MediaContentType0": "image/jpeg",
            "MediaUrl1": pdf,
            "MediaContentType1": "application/pdf",
            "MediaUrl2": fake_jpeg,
            "MediaContentType2": "image/jpeg",
        }
        response = post_webhook(server.base_url, "/webhooks/twilio/messages", params)

        assert response.status_code == 200, response.text
        assert "<Response" in response.text
        assert stranger.requests == []
    [conversation] = admin.get("/api/v1/conversations").json()

    def settled() -> dict | None:
        page = admin.get(f"/api/v1/conversations/{conversation['id']}/messages").json()
        [message] = page["messages"]
        return message if "pending" not in {m["status"] for m in message["media"]} else None

    # Fetched off the webhook's path, a moment later.
    message = wait_until(settled)
    assert message["body"] == "Here are the papers"
    items = message["media"]
    assert [m["status"] for m in items] == ["rejected"] * 3
    assert "is not one of Twilio's media hosts" in items[0]["reject_reason"]
    assert all(m["reject_reason"] for m in items)
    with server.app.state.sessionmaker() as session:
        rows = session.scalars(select(t.Media).order_by(t.Media.id)).all()
        assert [r.path for r in rows] == [None, None, None]
