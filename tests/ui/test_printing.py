"""Printing a whole conversation to PDF against the real server, checked with pypdf."""

from __future__ import annotations

import io
import shutil
import unicodedata

import pypdf

from inbox_app.ui.printing import print_thread
from tests.ui.helpers import inbound

# `run` (a coroutine runner on the qasync loop) and `sync` (a SyncClient signed in as the admin)
# come from tests/ui/conftest.py.

PHONE = "+12015550123"
FIRM_NUMBER = "+12015550100"


def letter_photo() -> bytes:
    """A phone photo of a letter, roughly: what clients send as evidence."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (900, 1200), "#e9e4d8")
    draw = ImageDraw.Draw(image)
    draw.rectangle((90, 80, 810, 1120), fill="#fdfcf8", outline="#c9c2b0", width=4)
    draw.rectangle((150, 150, 520, 185), fill="#2b2b2b")
    for row in range(18):
        y = 260 + row * 44
        draw.rectangle((150, y, 750 - (row % 4) * 70, y + 14), fill="#8a8a8a")
    draw.rectangle((150, 1030, 380, 1045), fill="#1d3f8f")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def send(admin, conversation_id: int, body: str, image: bytes | None = None) -> dict:
    path = f"/api/v1/conversations/{conversation_id}/messages"
    if image is None:
        response = admin.post(path, json={"body": body})
    else:
        files = [("images", ("letter.jpg", image, "image/jpeg"))]
        response = admin.post(path, data={"body": body}, files=files)
    assert response.status_code == 201, response.text
    return response.json()


BODIES = [
    ("out", "Hi Maria, this is Alice at Doe & Roe Law. Your hearing is confirmed for "
     "Tuesday at 9:00 AM, courtroom 4B."),
    ("in", "Thank you! Do I need to bring anything?"),
    ("out", "Please bring your ID and the insurer's letter, if you still have it."),
    ("in", "Here is the letter they sent me"),
    ("out", "Thank you, that helps. See you Tuesday at 8:45 outside 4B."),
]  # fmt: skip


def make_thread(server, admin) -> int:
    client = admin.post("/api/v1/clients", json={"first_name": "Maria", "last_name": "Lopez"})
    client_id = client.json()["id"]
    admin.post(f"/api/v1/clients/{client_id}/contacts", json={"phone": PHONE})
    matter = admin.post(
        "/api/v1/matters",
        json={"client_id": client_id, "name": "Lopez v. Acme Insurance", "case_number": "24-118"},
    ).json()
    response = admin.post(
        "/api/v1/conversations",
        json={"phone": PHONE, "client_id": client_id, "matter_id": matter["id"]},
    )
    assert response.status_code in (200, 201), response.text
    conversation_id = response.json()["id"]
    for direction, body in BODIES:
        if direction == "in":
            media = [(letter_photo(), "image/jpeg")] if "letter they sent" in body else []
            inbound(server, PHONE, body, media)
        else:
            send(admin, conversation_id, body)
    return conversation_id


def settled(admin, conversation_id: int) -> bool:
    page = admin.get(f"/api/v1/conversations/{conversation_id}/messages?limit=200").json()
    messages = page["messages"]
    return len(messages) == len(BODIES) and all(
        m["status"] in ("delivered", "received") for m in messages
    )


def pdf_text(path) -> tuple[list[str], str]:
    reader = pypdf.PdfReader(str(path))
    pages = [unicodedata.normalize("NFKC", page.extract_text()) for page in reader.pages]
    # Words come out separated by tabs and line breaks; compare on single spaces.
    return pages, " ".join(" ".join(pages).split())


def test_printing_a_thread_gives_a_pdf_with_every_message_page_numbers_and_the_export_digest(
    qtbot, run, server, admin, sync, tmp_path, artifacts_dir
):
    conversation_id = make_thread(server, admin)
    # Statuses are part of the export: print once the carrier (simulated) has answered.
    qtbot.waitUntil(lambda: settled(admin, conversation_id), timeout=15000)
    pdf = tmp_path / "thread.pdf"

    result = run(print_thread(sync, conversation_id, "Alice Admin", str(pdf)))

    export = admin.get(f"/api/v1/conversations/{conversation_id}/export").json()
    assert result.sha256 == export["sha256"]
    pages, text = pdf_text(pdf)
    assert len(pages) == result.pages >= 1
    assert "Doe & Roe Law" in text
    assert "(201) 555-0123" in text and PHONE in text
    assert "Maria Lopez" in text and "Lopez v. Acme Insurance" in text
    assert "Alice Admin" in text
    for _direction, body in BODIES:
        assert " ".join(body.split()) in text
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in " ".join(page.split())
    last = " ".join(pages[-1].split())
    assert export["sha256"] in last
    assert "sha256sum" in last and f"/api/v1/conversations/{conversation_id}/export" in last
    # The photo is printed inline.
    assert any(page.images for page in pypdf.PdfReader(str(pdf)).pages)

    shutil.copy(pdf, artifacts_dir / "thread.pdf")
    result.printout.render_page(0).save(str(artifacts_dir / "print_page1.png"))


def add_inbound_rows(server, firm_id: int, count: int) -> int:
    """A long thread written straight to the tables (webhooks one by one would be slow)."""
    from datetime import UTC, datetime, timedelta

    from inbox_app.models import tables as t

    start = datetime.now(UTC) - timedelta(days=30)
    with server.app.state.sessionmaker() as session, session.begin():
        conversation = t.Conversation(firm_id=firm_id, phone=PHONE)
        session.add(conversation)
        session.flush()
        for n in range(count):
            session.add(
                t.Message(
                    firm_id=firm_id,
                    conversation_id=conversation.id,
                    direction="inbound",
                    body=f"Inbound note number {n:03d}",
                    status="received",
                    segments=1,
                    from_number=PHONE,
                    to_number=FIRM_NUMBER,
                    created_at=start + timedelta(hours=n),
                )
            )
        return conversation.id


def test_printing_fetches_every_message_not_just_the_loaded_page(
    run, server, admin, sync, tmp_path
):
    # More than one page of the messages API (200), far more than the thread view loads.
    conversation_id = add_inbound_rows(server, admin.user["firm_id"], 230)
    pdf = tmp_path / "long.pdf"
    result = run(print_thread(sync, conversation_id, "Alice Admin", str(pdf)))
    pages, text = pdf_text(pdf)
    assert "Inbound note number 000" in text and "Inbound note number 229" in text
    assert text.count("Inbound note number") == 230
    assert len(pages) == result.pages > 5
    assert f"Page {len(pages)} of {len(pages)}" in " ".join(pages[-1].split())
    export = admin.get(f"/api/v1/conversations/{conversation_id}/export").json()
    assert result.sha256 == export["sha256"]


def test_printing_without_a_path_goes_through_the_print_dialog(
    qtbot, run, server, admin, sync, tmp_path, monkeypatch
):
    from PySide6.QtPrintSupport import QPrinter
    from PySide6.QtWidgets import QDialog

    import inbox_app.ui.dialogs as dialogs

    conversation = admin.post("/api/v1/conversations", json={"phone": PHONE}).json()
    inbound(server, PHONE, "Is my hearing still on Tuesday?")
    target = tmp_path / "printed.pdf"
    shown = []

    async def user_prints_to_a_file(dialog):
        # What a person does in the print dialog: pick "Print to file" and press Print.
        shown.append(dialog.objectName())
        dialog.printer().setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        dialog.printer().setOutputFileName(str(target))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(dialogs, "ask", user_prints_to_a_file)
    result = run(print_thread(sync, conversation["id"], "Alice Admin"))
    assert shown == ["printDialog"]
    assert result.pages == 1 and result.pdf_path is None
    _pages, text = pdf_text(target)
    assert "Is my hearing still on Tuesday?" in text and "Page 1 of 1" in text

    async def user_cancels(dialog):
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(dialogs, "ask", user_cancels)
    assert run(print_thread(sync, conversation["id"], "Alice Admin")) is None
