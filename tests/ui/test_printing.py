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
    run(result.printout.render_page(0)).save(str(artifacts_dir / "print_page1.png"))
    last_page = run(result.printout.render_page(result.pages - 1))
    last_page.save(str(artifacts_dir / "print_page_last.png"))


def add_inbound_rows(server, firm_id: int, count: int, conversation_id: int | None = None) -> int:
    """A long thread written straight to the tables (webhooks one by one would be slow)."""
    from datetime import UTC, datetime, timedelta

    from inbox_app.models import tables as t

    start = datetime.now(UTC) - timedelta(days=30)
    with server.app.state.sessionmaker() as session, session.begin():
        if conversation_id is None:
            conversation = t.Conversation(firm_id=firm_id, phone=PHONE)
            session.add(conversation)
            session.flush()
        else:
            conversation = session.get(t.Conversation, conversation_id)
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
        # What a person does: "Print…" in the preview, then "Print to file" and Print.
        shown.append(dialog.objectName())
        if dialog.objectName() == "printDialog":
            dialog.printer().setOutputFormat(QPrinter.OutputFormat.PdfFormat)
            dialog.printer().setOutputFileName(str(target))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(dialogs, "ask", user_prints_to_a_file)
    result = run(print_thread(sync, conversation["id"], "Alice Admin"))
    assert shown == ["printPreviewDialog", "printDialog"]
    assert result.pages == 1 and result.pdf_path is None
    _pages, text = pdf_text(target)
    assert "Is my hearing still on Tuesday?" in text and "Page 1 of 1" in text

    async def user_cancels(dialog):
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(dialogs, "ask", user_cancels)
    assert run(print_thread(sync, conversation["id"], "Alice Admin")) is None


def test_the_real_print_dialog_opens_and_prints_to_the_file_chosen_in_it(
    qtbot, run, server, admin, sync, tmp_path
):
    """No patched `ask`: QPrintDialog.open() must work on every PySide6 we allow (6.11 broke it)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtPrintSupport import QPrintDialog
    from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QPushButton

    conversation = admin.post("/api/v1/conversations", json={"phone": PHONE}).json()
    inbound(server, PHONE, "Printed through the real dialog")
    target = tmp_path / "dialog.pdf"
    seen = []

    def accept_when_shown() -> None:
        modal = QApplication.activeModalWidget()
        if modal is not None and modal.objectName() == "printPreviewDialog" and modal.isVisible():
            seen.append((modal.objectName(), modal.isModal()))
            modal.findChild(QPushButton, "previewPrintButton").click()
        dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, QPrintDialog)]
        visible = [d for d in dialogs if d.isVisible()]
        if not visible:
            QTimer.singleShot(20, accept_when_shown)
            return
        dialog = visible[0]
        seen.append((dialog.objectName(), dialog.isModal()))
        # As a person would: the default printer is "Print to File (PDF)"; type the file name.
        printers = dialog.findChild(QComboBox, "printers")
        assert printers.currentText() == "Print to File (PDF)"
        dialog.findChild(QLineEdit, "filename").setText(str(target))
        dialog.accept()

    QTimer.singleShot(0, accept_when_shown)
    result = run(print_thread(sync, conversation["id"], "Alice Admin"))
    assert seen == [("printPreviewDialog", True), ("printDialog", True)]
    assert result is not None and result.pages == 1
    _pages, text = pdf_text(target)
    assert "Printed through the real dialog" in text


def printed_digest_and_url(text: str) -> tuple[str, str]:
    """The digest and the address exactly as the printout states them."""
    import re

    label = "SHA-256 of the server's canonical export of this conversation:"
    digest = re.search(re.escape(label) + r" (\w+)", text)
    url = re.search(r"the canonical JSON document \(UTF-8\) that (\S+) returns", text)
    return digest.group(1), url.group(1)


def test_following_the_printed_instructions_gives_the_printed_digest(
    run, server, admin, sync, tmp_path
):
    """curl the printed address with a token, sha256sum the file: the printed value."""
    import subprocess

    import httpx

    conversation_id = add_inbound_rows(server, admin.user["firm_id"], 30)
    pdf = tmp_path / "verify.pdf"
    run(print_thread(sync, conversation_id, "Alice Admin", str(pdf)))
    _pages, text = pdf_text(pdf)
    digest, url = printed_digest_and_url(text)
    assert url == f"{server.base_url}/api/v1/conversations/{conversation_id}/export.json"
    assert f"sha256sum conversation-{conversation_id}.json" in text

    downloaded = tmp_path / f"conversation-{conversation_id}.json"
    token = sync.api.token
    response = httpx.get(url, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    downloaded.write_bytes(response.content)
    out = subprocess.run(["sha256sum", downloaded.name], cwd=tmp_path, capture_output=True)
    assert out.stdout.decode().split()[0] == digest

    # "Save export…" in the app writes the same bytes.
    from inbox_app.ui.printing import save_export

    saved = tmp_path / "saved.json"
    assert run(save_export(sync, conversation_id, str(saved))) == digest
    out = subprocess.run(["sha256sum", str(saved)], capture_output=True)
    assert out.stdout.decode().split()[0] == digest
    assert not (tmp_path / "saved.json.part").exists()


def test_progress_is_reported_and_a_cancel_mid_print_leaves_no_pdf(
    run, server, admin, sync, tmp_path
):
    import os

    import pytest

    from inbox_app.ui.printing import PrintCanceled, PrintJob

    conversation_id = add_inbound_rows(server, admin.user["firm_id"], 260)
    job = PrintJob(sync, conversation_id, "Alice Admin")
    seen: list[tuple[str, int, int]] = []
    job.progress.connect(lambda text, done, total: seen.append((text, done, total)))
    pages = run(job.prepare())
    assert pages > 5
    assert any(t.startswith("Preparing the printout: 260 messages") for t, _d, _n in seen)
    assert any(t.startswith("Laying out pages") for t, _d, _n in seen)
    directory = job.source.directory
    assert os.path.isdir(directory)

    def cancel_after_two_pages(text: str, done: int, total: int) -> None:
        if text.startswith("Printing page") and done == 2:
            job.cancel()

    job.progress.connect(cancel_after_two_pages)
    pdf = tmp_path / "canceled.pdf"
    with pytest.raises(PrintCanceled):
        run(job.write_pdf(str(pdf)))
    printed = [t for t, _d, _n in seen if t.startswith("Printing page")]
    assert printed == [f"Printing page 1 of {pages}…", f"Printing page 2 of {pages}…"]
    assert not pdf.exists() and not (tmp_path / "canceled.pdf.part").exists()
    job.close()
    assert not os.path.exists(directory)  # the spooled messages are gone too


def test_cancel_while_fetching_stops_and_cleans_up(run, server, admin, sync, tmp_path):
    import glob
    import tempfile

    import pytest

    from inbox_app.ui.printing import PrintCanceled, PrintJob

    conversation_id = add_inbound_rows(server, admin.user["firm_id"], 450)  # three pages
    before = set(glob.glob(f"{tempfile.gettempdir()}/inbox-print-*"))
    job = PrintJob(sync, conversation_id, "Alice Admin")
    job.progress.connect(lambda text, done, total: done >= 200 and job.cancel())
    with pytest.raises(PrintCanceled):
        run(job.prepare())
    assert set(glob.glob(f"{tempfile.gettempdir()}/inbox-print-*")) == before


def test_a_message_taller_than_a_page_continues_on_the_next(run, server, admin, sync, tmp_path):
    conversation_id = add_inbound_rows(server, admin.user["firm_id"], 3)
    long_body = "\n".join(f"Paragraph {n} of a very long statement." for n in range(120))
    with server.app.state.sessionmaker() as session, session.begin():
        from inbox_app.models import tables as t

        message = session.query(t.Message).filter_by(conversation_id=conversation_id).first()
        message.body = long_body
    pdf = tmp_path / "tall.pdf"
    result = run(print_thread(sync, conversation_id, "Alice Admin", str(pdf)))
    pages, text = pdf_text(pdf)
    assert result.pages == len(pages) >= 3
    for n in range(120):
        assert f"Paragraph {n} of a very long statement." in text
    assert "(continued)" in text
    assert "Inbound note number 002" in text


def test_ctrl_p_in_the_window_previews_then_prints_through_the_dialog(
    qtbot, run, server, admin, window, tmp_path, artifacts_dir
):
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtPrintSupport import QPrintDialog
    from PySide6.QtWidgets import QApplication, QLineEdit

    conversation = admin.post("/api/v1/conversations", json={"phone": PHONE}).json()
    inbound(server, PHONE, "Please print this for my lawyer")
    qtbot.waitUntil(lambda: window.list_model.rowCount() >= 1, timeout=5000)
    window.select_conversation(conversation["id"])
    target = tmp_path / "window.pdf"
    steps = []

    def person() -> None:
        modal = QApplication.activeModalWidget()
        if modal is not None and modal.objectName() == "printPreviewDialog":
            steps.append("preview")
            modal.grab().save(str(artifacts_dir / "print-preview.png"))
            modal.print_button.click()
        elif isinstance(modal, QPrintDialog):
            steps.append("print dialog")
            modal.findChild(QLineEdit, "filename").setText(str(target))
            modal.accept()
            return
        QTimer.singleShot(20, person)

    QTimer.singleShot(0, person)
    window.activateWindow()
    qtbot.keyClick(window.thread_list, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: target.exists(), timeout=15000)
    assert steps == ["preview", "print dialog"]
    _pages, text = pdf_text(target)
    assert "Please print this for my lawyer" in text and "Page 1 of 1" in text


def test_a_pdf_that_cannot_be_written_raises_and_leaves_nothing(run, server, admin, sync, tmp_path):
    import pytest

    conversation = admin.post("/api/v1/conversations", json={"phone": PHONE}).json()
    target = tmp_path / "no-such-folder" / "thread.pdf"
    with pytest.raises(OSError):
        run(print_thread(sync, conversation["id"], "Alice Admin", str(target)))
    assert not target.parent.exists()


def test_the_printer_button_opens_the_preview(qtbot, server, admin, window, monkeypatch):
    from PySide6.QtCore import Qt

    import inbox_app.ui.dialogs as dialogs

    shown = []

    async def user_cancels(dialog):
        shown.append(dialog.objectName())
        return 0

    monkeypatch.setattr(dialogs, "ask", user_cancels)
    conversation = admin.post("/api/v1/conversations", json={"phone": PHONE}).json()
    inbound(server, PHONE, "Print me from the button")
    qtbot.waitUntil(lambda: window.list_model.rowCount() >= 1, timeout=5000)
    window.select_conversation(conversation["id"])
    qtbot.waitUntil(lambda: window.print_button.isEnabled(), timeout=5000)
    qtbot.mouseClick(window.print_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shown == ["printPreviewDialog"], timeout=10000)


def test_cancel_in_the_progress_dialog_stops_printing_and_leaves_no_pdf(
    qtbot, run, server, admin, window, tmp_path, monkeypatch
):
    from PySide6.QtCore import QTimer
    from PySide6.QtPrintSupport import QPrinter
    from PySide6.QtWidgets import QPushButton

    import inbox_app.ui.dialogs as dialogs

    target = tmp_path / "canceled.pdf"

    async def user_prints_to_a_file(dialog):
        if dialog.objectName() == "printDialog":
            dialog.printer().setOutputFormat(QPrinter.OutputFormat.PdfFormat)
            dialog.printer().setOutputFileName(str(target))
        return 1

    monkeypatch.setattr(dialogs, "ask", user_prints_to_a_file)
    conversation_id = admin.post("/api/v1/conversations", json={"phone": PHONE}).json()["id"]
    add_inbound_rows(server, admin.user["firm_id"], 400, conversation_id)
    run(window.load())
    window.select_conversation(conversation_id)
    qtbot.waitUntil(lambda: window.current_conversation() is not None, timeout=5000)
    clicked = []

    def cancel_while_painting() -> None:
        progress = getattr(window, "print_progress", None)
        if progress is not None and progress.labelText().startswith("Printing page 3 "):
            clicked.append(progress.labelText())
            progress.findChild(QPushButton).click()  # the dialog's Cancel button
            return
        QTimer.singleShot(0, cancel_while_painting)

    QTimer.singleShot(0, cancel_while_painting)
    window.print_thread()
    qtbot.waitUntil(
        lambda: window.statusBar().currentMessage().startswith("Printing was"), timeout=30000
    )
    assert clicked
    assert window.statusBar().currentMessage() == "Printing was canceled; nothing was printed."
    assert not target.exists() and not (tmp_path / "canceled.pdf.part").exists()


def test_notes_print_marked_internal_and_a_copy_for_the_client_leaves_them_out(
    qtbot, run, server, admin, sync, tmp_path, artifacts_dir
):
    conversation_id = make_thread(server, admin)
    qtbot.waitUntil(lambda: settled(admin, conversation_id), timeout=15000)
    note = admin.post(
        f"/api/v1/conversations/{conversation_id}/notes",
        json={"body": "Client may not have the original letter; ask the insurer."},
    )
    assert note.status_code == 201
    export = admin.get(f"/api/v1/conversations/{conversation_id}/export").json()

    full = tmp_path / "with-notes.pdf"
    result = run(print_thread(sync, conversation_id, "Alice Admin", str(full)))
    _pages, text = pdf_text(full)
    assert "Internal note by" in text and "not sent to the client" in text
    assert "ask the insurer" in text
    assert "1 included" in text
    assert result.sha256 == export["sha256"]
    run(result.printout.render_page(0)).save(str(artifacts_dir / "print_with_note.png"))

    client_copy = tmp_path / "for-client.pdf"
    result = run(
        print_thread(sync, conversation_id, "Alice Admin", str(client_copy), include_notes=False)
    )
    _pages, text = pdf_text(client_copy)
    assert "ask the insurer" not in text and "Internal note by" not in text
    assert "1 left out of this copy" in text
    for _direction, body in BODIES:
        assert " ".join(body.split()) in text
    # The digest is still the whole record's, and the copy says so.
    assert result.sha256 == export["sha256"] and "notes left out" in text
