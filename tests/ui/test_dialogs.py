"""The dialogs: validation inside the dialog, sign-in and top-up against the real server."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QDateTime, Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QWidget

from inbox_app.models.schemas import (
    ClientOut,
    ConsentEventOut,
    ContactOut,
    ConversationOut,
    MatterOut,
)
from inbox_app.sync.errors import ApiError
from tests.conftest import PASSWORD
from tests.harness import free_port

# `qloop` and `run` (a coroutine runner) come from tests/ui/conftest.py.


def client_for(tmp_path, base_url: str | None = None):
    """A SyncClient that is not signed in (the sign-in dialog does that)."""
    from inbox_app.sync.session import SyncClient

    return SyncClient(base_url, cache_dir=tmp_path / "cache", remember=False)


def signed_in(run, tmp_path, server, username: str):
    client = client_for(tmp_path, server.base_url)
    run(client.sign_in(username, PASSWORD))
    return client


class FakeSync:
    """The sync client's async surface, answering from canned values (no server)."""

    def __init__(self) -> None:
        self.composed: list[tuple] = []
        self.existing = {"+12015550123": 7}

    async def clients(self, q=None):
        contact = ContactOut(
            id=1,
            client_id=3,
            phone="+12015550123",
            type="cell",
            channel="text",
            opted_out=False,
            invalid=False,
            archived=False,
        )
        client = ClientOut(id=3, first_name="Maria", last_name="Lopez", language="es")
        client.contacts = [contact]
        return [client] if q and "mar" in q.lower() else []

    async def matters(self, client_id=None):
        return [MatterOut(id=11, client_id=3, name="Lopez v. Acme", case_number="24-CV-118")]

    async def compose(self, phone, client_id=None, matter_id=None):
        self.composed.append((phone, client_id, matter_id))
        if phone.endswith("0000"):
            raise ApiError(422, "The carrier says this number cannot take texts.", "invalid")
        conversation_id = self.existing.get(phone, 99)
        return ConversationOut(id=conversation_id, phone=phone), phone not in self.existing

    async def client(self, client_id):
        return ClientOut(id=client_id, first_name="Maria", last_name="Lopez", language="es")

    async def consent_history(self, phone):
        now = datetime.now(UTC)
        return [
            ConsentEventOut(
                id=1,
                phone=phone,
                contact_id=1,
                opted_in=True,
                source="created",
                user_id=1,
                message_id=None,
                note="Signed intake form",
                created_at=now - timedelta(days=3),
            ),
            ConsentEventOut(
                id=2,
                phone=phone,
                contact_id=1,
                opted_in=False,
                source="keyword",
                user_id=None,
                message_id=5,
                note="STOP",
                created_at=now,
            ),
        ]


# --- new conversation ---------------------------------------------------------------------


def test_invalid_number_is_refused_in_the_dialog_before_the_server_is_asked(qtbot, qloop):
    from inbox_app.ui.dialogs import NewConversationDialog

    fake = FakeSync()
    dialog = NewConversationDialog(fake)
    qtbot.addWidget(dialog)
    dialog.phone_edit.setText("555-01")
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    error = dialog.findChild(QLabel, "newConversationError")
    qtbot.waitUntil(lambda: error.text() != "")
    assert "not a valid mobile number" in error.text()
    assert "too short" in error.text()
    assert fake.composed == []
    assert dialog.result() == 0 and dialog.conversation_id is None


def test_landline_kind_numbers_are_refused_as_not_mobile(qtbot, qloop):
    from inbox_app.ui.dialogs import NewConversationDialog

    fake = FakeSync()
    dialog = NewConversationDialog(fake)
    qtbot.addWidget(dialog)
    dialog.phone_edit.setText("+1 800 555 0199")  # toll-free
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.error_label.text() != "")
    assert "cannot receive texts" in dialog.error_label.text()
    assert fake.composed == []


def test_server_refusal_of_a_number_is_shown_in_the_dialog(qtbot, qloop):
    from inbox_app.ui.dialogs import NewConversationDialog

    dialog = NewConversationDialog(FakeSync())
    qtbot.addWidget(dialog)
    dialog.phone_edit.setText("(201) 555-0000")
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.error_label.text() != "")
    assert dialog.error_label.text() == "The carrier says this number cannot take texts."
    assert dialog.conversation_id is None


def test_picking_a_contact_opens_its_existing_thread_with_client_and_matter(qtbot, qloop):
    from inbox_app.ui.dialogs import NewConversationDialog

    fake = FakeSync()
    dialog = NewConversationDialog(fake)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.phone_edit, "Mar")
    qtbot.waitUntil(lambda: dialog.results.count() == 1)
    assert "Maria Lopez" in dialog.results.item(0).text()
    dialog.results.setCurrentRow(0)
    qtbot.waitUntil(lambda: dialog.matter_combo.count() == 2)
    assert dialog.phone_edit.text() == "(201) 555-0123"
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert fake.composed == [("+12015550123", 3, 11)]
    assert dialog.conversation_id == 7 and dialog.created is False


def test_a_typed_number_opens_a_new_thread(qtbot, qloop):
    from inbox_app.ui.dialogs import NewConversationDialog

    fake = FakeSync()
    dialog = NewConversationDialog(fake)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.phone_edit, "201-555-0188")
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert fake.composed == [("+12015550188", None, None)]
    assert dialog.conversation_id == 99 and dialog.created is True


# --- send later -----------------------------------------------------------------------------


def test_send_later_refuses_a_time_in_the_past(qtbot):
    from inbox_app.ui.dialogs import SendLaterDialog

    dialog = SendLaterDialog()
    qtbot.addWidget(dialog)
    dialog.edit.setDateTime(QDateTime.currentDateTime().addDays(-1))
    qtbot.mouseClick(dialog.schedule_button, Qt.MouseButton.LeftButton)
    assert dialog.error_label.text() == "Pick a time in the future: that moment has already passed."
    assert dialog.send_at is None and dialog.result() == 0


def test_send_later_gives_an_aware_future_time(qtbot):
    from inbox_app.ui.dialogs import SendLaterDialog

    dialog = SendLaterDialog()
    qtbot.addWidget(dialog)
    target = datetime.now().astimezone().replace(microsecond=0, second=0) + timedelta(days=2)
    dialog.edit.setDateTime(QDateTime.fromSecsSinceEpoch(int(target.timestamp())))
    with qtbot.waitSignal(dialog.accepted, timeout=1000):
        qtbot.mouseClick(dialog.schedule_button, Qt.MouseButton.LeftButton)
    assert dialog.send_at == target
    assert dialog.send_at.tzinfo is not None


def test_send_later_starts_from_a_scheduled_messages_time(qtbot):
    from inbox_app.ui.dialogs import SendLaterDialog

    when = datetime.now(UTC).replace(microsecond=0, second=0) + timedelta(days=5)
    dialog = SendLaterDialog(send_at=when)
    qtbot.addWidget(dialog)
    assert dialog.chosen() == when


# --- block ----------------------------------------------------------------------------------


def _answer_block_box(keep: bool, button: str = "blockButton"):
    def answer():
        box = QApplication.activeModalWidget()
        if box is None:
            QTimer.singleShot(10, answer)
            return
        box.checkBox().setChecked(keep)
        box.findChild(QPushButton, button).click()

    QTimer.singleShot(0, answer)


@pytest.mark.parametrize("keep", [True, False])
def test_block_confirmation_returns_keep_record(qtbot, keep):
    from inbox_app.ui.dialogs import confirm_block

    _answer_block_box(keep)
    assert confirm_block() == (True, keep)


def test_block_confirmation_cancelled_blocks_nothing(qtbot):
    from inbox_app.ui.dialogs import block_box, confirm_block

    box = block_box()
    qtbot.addWidget(box)
    assert "deleted for good" in box.informativeText()
    assert box.checkBox().text() == "Keep a read-only record (e.g. as evidence)"
    _answer_block_box(True, "blockCancelButton")
    assert confirm_block() == (False, False)


def test_block_confirmation_works_inside_a_coroutine(qtbot, run):
    from inbox_app.ui.dialogs import confirm_block_async

    _answer_block_box(True)
    assert run(confirm_block_async()) == (True, True)


# --- details ---------------------------------------------------------------------------------


def test_thread_details_show_contact_matter_and_consent_history(qtbot, run):
    from inbox_app.ui.dialogs import ThreadDetailsDialog

    conversation = ConversationOut(
        id=7,
        phone="+12015550123",
        contact_name="Maria Lopez",
        client_id=3,
        matter="Lopez v. Acme",
        opted_out=True,
    )
    dialog = ThreadDetailsDialog(FakeSync(), conversation)
    qtbot.addWidget(dialog)
    run(dialog.loading)
    assert dialog.number_value.text() == "(201) 555-0123"
    assert dialog.client_value.text() == "Maria Lopez"
    assert dialog.matter_value.text() == "Lopez v. Acme"
    assert "Opted out" in dialog.consent_value.text()
    table = dialog.table
    assert table.rowCount() == 2
    # Newest first: the STOP reply, by the contact.
    assert table.item(0, 1).text() == "Opted out"
    assert table.item(0, 2).text() == "Text reply (STOP / START)"
    assert table.item(0, 3).text() == "The contact"
    assert table.item(1, 1).text() == "Opted in"
    assert table.item(1, 4).text() == "Signed intake form"


# --- sign in, against the real server -----------------------------------------------------


def test_sign_in_with_a_wrong_password_shows_the_servers_message(
    qtbot, qloop, server, admin, tmp_path
):
    from inbox_app.ui.dialogs import SignInDialog

    client = client_for(tmp_path)
    dialog = SignInDialog(client, server_url=server.base_url, username="alice")
    qtbot.addWidget(dialog)
    dialog.password_edit.setText("not the password")
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.error_label.text() != "", timeout=10000)
    assert dialog.error_label.text() == "Wrong username or password."
    assert dialog.error_label.objectName() == "signInError"
    assert dialog.user is None and dialog.result() == 0
    qtbot.waitUntil(dialog.sign_in_button.isEnabled)


def test_sign_in_to_an_unreachable_server_says_so(qtbot, qloop, tmp_path):
    from inbox_app.ui.dialogs import SignInDialog

    client = client_for(tmp_path)
    url = f"http://127.0.0.1:{free_port()}"
    dialog = SignInDialog(client, server_url=url, username="alice")
    qtbot.addWidget(dialog)
    dialog.password_edit.setText(PASSWORD)
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.error_label.text() != "", timeout=10000)
    assert "cannot be reached" in dialog.error_label.text()
    assert "Check the address" in dialog.error_label.text()


def test_sign_in_succeeds_and_reports_the_user(qtbot, run, server, admin, tmp_path):
    from inbox_app.ui.dialogs import SignInDialog

    client = client_for(tmp_path)
    dialog = SignInDialog(client, server_url=server.base_url + "/", username="alice")
    qtbot.addWidget(dialog)
    dialog.password_edit.setText(PASSWORD)
    with qtbot.waitSignal(dialog.signed_in, timeout=10000) as signal:
        qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    assert signal.args[0].username == "alice"
    assert dialog.result() == 1 and client.is_signed_in
    run(client.close())


def test_sign_in_needs_every_field(qtbot, qloop, tmp_path):
    from inbox_app.ui.dialogs import SignInDialog

    dialog = SignInDialog(client_for(tmp_path))
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Enter the server address" in dialog.error_label.text())
    dialog.server_edit.setText("inbox.example.com")
    dialog.username_edit.setText("alice")
    dialog.password_edit.setText("x")
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "http://" in dialog.error_label.text())


# --- attachments ----------------------------------------------------------------------------


def image_bytes(
    fmt: str = "PNG", size: tuple[int, int] = (40, 30), color: str = "#2f5bc0"
) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


def animated_gif() -> bytes:
    from PIL import Image

    frames = [Image.new("RGB", (30, 30), c) for c in ("red", "green", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=50, loop=0)
    return out.getvalue()


@pytest.fixture
def strip(qtbot):
    from inbox_app.ui.attachments import AttachmentStrip

    strip = AttachmentStrip()
    qtbot.addWidget(strip)
    strip.show()
    return strip


def test_a_sixth_image_is_refused_with_a_message(qtbot, strip):
    with qtbot.waitSignals([strip.changed] * 5, timeout=1000):
        for n in range(5):
            assert strip.add_bytes(f"photo{n}.png", image_bytes()) is True
    with qtbot.waitSignal(strip.refused, timeout=1000) as refused:
        assert strip.add_bytes("photo6.png", image_bytes()) is False
    assert refused.args == ["A message can carry at most 5 images."]
    assert strip.error_label.text() == "A message can carry at most 5 images."
    assert strip.count() == 5
    assert len(strip.findChildren(QWidget, "attachmentTile")) == 5


def test_files_that_are_not_images_are_refused(qtbot, strip, tmp_path):
    fake = tmp_path / "contract.png"
    fake.write_bytes(b"%PDF-1.7 not really a png")
    pdf = tmp_path / "contract.pdf"
    pdf.write_bytes(b"%PDF-1.7")
    assert strip.add_files([fake, pdf]) == 0
    assert "only JPEG, PNG and GIF images can be sent" in strip.error_label.text()
    assert strip.attachments() == []


def test_images_over_5_mb_are_refused(qtbot, strip):
    assert strip.add_bytes("huge.png", image_bytes() + b"\0" * (5 * 1024 * 1024)) is False
    assert "larger than 5 MB" in strip.error_label.text()


def test_picked_files_become_attachments_with_their_types(qtbot, strip, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    jpg = tmp_path / "scan.jpg"
    jpg.write_bytes(image_bytes("JPEG"))
    gif = tmp_path / "wave.gif"
    gif.write_bytes(animated_gif())
    monkeypatch.setattr(
        QFileDialog, "getOpenFileNames", staticmethod(lambda *a, **k: ([str(jpg), str(gif)], ""))
    )
    qtbot.mouseClick(strip.attach_button, Qt.MouseButton.LeftButton)
    assert [(n, t) for n, t, _ in strip.attachments()] == [
        ("scan.jpg", "image/jpeg"),
        ("wave.gif", "image/gif"),
    ]
    assert strip.attachments()[1][2] == gif.read_bytes()  # sent as is: the GIF keeps moving


def test_pasting_an_image_or_file_urls_attaches_them(qtbot, strip, tmp_path):
    from PySide6.QtCore import QMimeData, QUrl
    from PySide6.QtGui import QImage

    clipboard = QApplication.clipboard()
    picture = QImage(50, 20, QImage.Format.Format_RGB32)
    picture.fill(0x336699)
    clipboard.setImage(picture)
    assert strip.paste() is True
    name, content_type, data = strip.attachments()[0]
    assert name == "pasted-image-1.png" and content_type == "image/png"
    assert data.startswith(b"\x89PNG")

    photo = tmp_path / "receipt.png"
    photo.write_bytes(image_bytes())
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo))])
    clipboard.setMimeData(mime)
    assert strip.paste() is True
    assert [a[0] for a in strip.attachments()] == ["pasted-image-1.png", "receipt.png"]

    clipboard.setText("just words")
    assert strip.paste() is False
    assert strip.count() == 2


def test_dropping_files_attaches_them(qtbot, strip, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    photo = tmp_path / "bruise.jpg"
    photo.write_bytes(image_bytes("JPEG"))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo))])
    event = QDropEvent(
        QPointF(5, 5),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    strip.dropEvent(event)
    assert [a[0] for a in strip.attachments()] == ["bruise.jpg"]


def test_remove_and_clear_empty_the_strip(qtbot, strip):
    strip.add_bytes("a.png", image_bytes())
    strip.add_bytes("b.png", image_bytes(color="#aa0000"))
    tile = strip.findChildren(QWidget, "attachmentTile")[0]
    with qtbot.waitSignal(strip.changed, timeout=1000):
        qtbot.mouseClick(tile.remove_button, Qt.MouseButton.LeftButton)
    assert [a[0] for a in strip.attachments()] == ["b.png"]
    with qtbot.waitSignal(strip.changed, timeout=1000):
        strip.clear()
    assert strip.attachments() == []


# --- media viewer -----------------------------------------------------------------------------


class MediaSync:
    def __init__(self, data: bytes) -> None:
        self.data = data

    async def media(self, media_id):
        return self.data


def test_media_viewer_animates_gifs(qtbot, run):
    from inbox_app.ui.media_viewer import MediaViewer

    viewer = MediaViewer(MediaSync(animated_gif()), 4)
    qtbot.addWidget(viewer)
    run(viewer.loading)
    assert viewer.movie is not None
    assert viewer.movie.frameCount() == 3
    qtbot.waitUntil(lambda: viewer.movie.currentFrameNumber() > 0, timeout=3000)


def test_media_viewer_saves_the_original_and_copies_the_picture(qtbot, run, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from inbox_app.ui.media_viewer import MediaViewer

    data = image_bytes("JPEG", (300, 200))
    viewer = MediaViewer(MediaSync(data), 5)
    qtbot.addWidget(viewer)
    run(viewer.loading)
    assert viewer.movie is None and viewer.image_label.pixmap().width() > 0
    target = tmp_path / "out.jpg"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), ""))
    )
    qtbot.mouseClick(viewer.save_button, Qt.MouseButton.LeftButton)
    assert target.read_bytes() == data
    qtbot.mouseClick(viewer.copy_button, Qt.MouseButton.LeftButton)
    copied = QApplication.clipboard().image()
    assert (copied.width(), copied.height()) == (300, 200)


# --- top-up, against the real server ----------------------------------------------------------


def open_top_up(qtbot, run, client, is_admin: bool):
    from inbox_app.ui.dialogs import TopUpDialog

    dialog = TopUpDialog(client, is_admin)
    qtbot.addWidget(dialog)
    run(dialog.loading)
    return dialog


def accept_purchase(qtbot, dialog, expect: str | None = None) -> None:
    """Answer the "Buy messages?" box with Buy (after checking what it says)."""
    qtbot.waitUntil(lambda: dialog.confirm_box is not None, timeout=10000)
    box = dialog.confirm_box
    if expect is not None:
        assert expect in box.informativeText(), box.informativeText()
    box.findChild(QPushButton, "confirmBuyButton").click()


def balance_of(api) -> int:
    return api.get("/api/v1/credits").json()["balance"]


def test_admin_buys_bundles_with_a_reference_and_the_balance_rises(
    qtbot, run, server, admin, sync, artifacts_dir
):
    conversation = admin.post("/api/v1/conversations", json={"phone": "+12015550123"}).json()
    for body in ("Your hearing is on Tuesday at 9:00 AM.", "Please bring your ID."):
        sent = admin.post(
            f"/api/v1/conversations/{conversation['id']}/messages", json={"body": body}
        )
        assert sent.status_code == 201, sent.text
    dialog = open_top_up(qtbot, run, sync, is_admin=True)
    credits = admin.get("/api/v1/credits").json()
    before = credits["balance"]
    assert dialog.balance_label.text() == f"{before:,}"
    assert dialog.ledger_table.rowCount() >= 1

    dialog.bundles_spin.setValue(2)
    assert dialog.summary_label.text().startswith(f"{2 * credits['bundle_size']:,} messages for $")
    dialog.reference_edit.setText("INV-2041")
    qtbot.mouseClick(dialog.buy_button, Qt.MouseButton.LeftButton)
    price = f"${2 * credits['bundle_price_cents'] / 100:,.2f}"
    accept_purchase(
        qtbot, dialog, f"2 bundles: {2 * credits['bundle_size']:,} messages for {price}."
    )
    qtbot.waitUntil(lambda: "Added" in dialog.message.text(), timeout=10000)
    after = before + 2 * credits["bundle_size"]
    assert balance_of(admin) == after
    qtbot.waitUntil(lambda: dialog.balance_label.text() == f"{after:,}", timeout=10000)
    qtbot.waitUntil(lambda: dialog.ledger_table.item(0, 6).text() == "INV-2041", timeout=10000)
    assert dialog.ledger_table.item(0, 1).text() == "Purchase"
    assert dialog.ledger_table.item(0, 2).text() == f"+{2 * credits['bundle_size']:,}"
    assert dialog.ledger_table.item(0, 4).text() == "alice"  # who bought it
    assert dialog.reference_edit.text() == ""
    qtbot.waitUntil(dialog.buy_button.isEnabled)

    dialog.resize(820, 680)
    dialog.show()
    qtbot.waitExposed(dialog)
    # The section heading sits on its card's left edge, just above it.
    from PySide6.QtWidgets import QFrame, QLabel

    heading = dialog.findChild(QLabel, "buyHeading").geometry()
    card = dialog.findChild(QFrame, "buyBox").geometry()
    assert heading.left() == card.left() and 0 <= card.top() - heading.bottom() < 16
    dialog.grab().save(str(artifacts_dir / "top_up_dialog.png"))
    dialog.tabs.setCurrentIndex(1)
    # The first column ("When") keeps some room before the next.
    table = dialog.ledger_table
    text = table.fontMetrics().horizontalAdvance(table.item(0, 0).text())
    assert table.horizontalHeader().sectionSize(0) - text >= 12
    # The debits name who sent each text and to whom.
    qtbot.waitUntil(lambda: table.rowCount() >= 3, timeout=10000)
    debits = [row for row in range(table.rowCount()) if table.item(row, 1).text() == "Message sent"]
    assert debits and {table.item(row, 4).text() for row in debits} == {"alice"}
    assert {table.item(row, 5).text() for row in debits} == {"(201) 555-0123"}
    dialog.grab().save(str(artifacts_dir / "credits_history.png"))


def test_buying_without_an_invoice_reference_adds_the_bundle(qtbot, run, server, admin, sync):
    dialog = open_top_up(qtbot, run, sync, is_admin=True)
    credits = admin.get("/api/v1/credits").json()
    before = credits["balance"]
    assert dialog.reference_edit.text() == ""
    qtbot.mouseClick(dialog.buy_button, Qt.MouseButton.LeftButton)
    accept_purchase(qtbot, dialog, "1 bundle: 1,000 messages for $20.00.")
    qtbot.waitUntil(lambda: "Added" in dialog.message.text(), timeout=10000)
    after = before + credits["bundle_size"]
    assert balance_of(admin) == after
    qtbot.waitUntil(lambda: dialog.balance_label.text() == f"{after:,}", timeout=10000)
    qtbot.waitUntil(dialog.buy_button.isEnabled)


def test_canceling_the_purchase_question_buys_nothing(qtbot, run, server, admin, sync):
    dialog = open_top_up(qtbot, run, sync, is_admin=True)
    before = balance_of(admin)
    dialog.bundles_spin.setValue(3)
    qtbot.mouseClick(dialog.buy_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.confirm_box is not None, timeout=10000)
    assert "3 bundles: 3,000 messages for $60.00." in dialog.confirm_box.informativeText()
    dialog.confirm_box.reject()
    qtbot.waitUntil(lambda: dialog.confirm_box is None, timeout=10000)
    qtbot.waitUntil(dialog.buy_button.isEnabled)
    assert balance_of(admin) == before
    assert [e["kind"] for e in admin.get("/api/v1/credits/ledger").json()] == ["grant"]


def test_usage_by_person_matter_and_month_with_a_chart_and_csv_files(
    qtbot, qapp, run, server, admin, sync, tmp_path, artifacts_dir
):
    import csv

    from inbox_app.ui import theme

    client = admin.post("/api/v1/clients", json={"first_name": "Ana", "last_name": "Diaz"})
    matter = admin.post(
        "/api/v1/matters",
        json={"client_id": client.json()["id"], "name": "Diaz v. Smith", "case_number": "24-17"},
    )
    assert matter.status_code == 201, matter.text
    conversation = admin.post("/api/v1/conversations", json={"phone": "+12015550123"}).json()
    filed = admin.put(
        f"/api/v1/conversations/{conversation['id']}/file",
        json={"client_id": client.json()["id"], "matter_id": matter.json()["id"]},
    )
    assert filed.status_code == 200, filed.text
    for body in ("Your hearing is on Tuesday.", "Please bring your ID.", "See you there."):
        sent = admin.post(
            f"/api/v1/conversations/{conversation['id']}/messages", json={"body": body}
        )
        assert sent.status_code == 201, sent.text

    for mode in ("light", "dark"):
        theme.apply(qapp, dark=mode == "dark")
        dialog = open_top_up(qtbot, run, sync, is_admin=True)
        dialog.resize(820, 680)
        dialog.show()
        qtbot.waitExposed(dialog)
        dialog.tabs.setCurrentWidget(dialog.usage_page)
        page = dialog.usage_page
        qtbot.waitUntil(lambda page=page: page.report is not None, timeout=10000)
        assert [(r.label, r.credits) for r in page.report.rows] == [("alice", 3)]
        assert page.table.item(0, 0).text() == "alice"
        assert page.table.item(1, 0).text() == "Total"
        assert page.bar_values == [3]
        page.group_combo.setCurrentIndex(1)  # per matter
        qtbot.waitUntil(
            lambda page=page: page.report is not None and page.report.group == "matter",
            timeout=10000,
        )
        assert page.table.item(0, 0).text().startswith("Diaz v. Smith (24-17)")
        dialog.grab().save(str(artifacts_dir / f"credits_usage_{mode}.png"))
        dialog.close()
    theme.apply(qapp, dark=False)

    async def pick(_parent, _title, suggested):
        assert suggested.endswith(".csv")
        return tmp_path / suggested

    page.choose_path = pick
    page.group_combo.setCurrentIndex(2)  # per month
    qtbot.waitUntil(lambda: page.report.group == "month", timeout=10000)
    run(page.export())
    qtbot.waitUntil(lambda: "Saved to" in page.message.text(), timeout=10000)
    [saved] = tmp_path.glob("texting-usage-by-month-*.csv")
    rows = list(csv.reader(saved.open(encoding="utf-8")))
    assert rows[0] == ["month", "month", "messages", "segments", "credits"]
    assert sum(int(row[4]) for row in rows[1:]) == 3

    dialog.choose_path = pick
    run(dialog.export_ledger())
    qtbot.waitUntil(lambda: "Saved to" in dialog.ledger_message.text(), timeout=10000)
    ledger = list(csv.reader((tmp_path / "message-credits-ledger.csv").open(encoding="utf-8")))
    assert [row[2] for row in ledger[1:]] == ["grant", "debit", "debit", "debit"]
    assert {row[9] for row in ledger[2:]} == {"Diaz v. Smith (24-17)"}
    assert not list(tmp_path.glob("*.part"))


def test_admin_switches_auto_top_up(qtbot, run, server, admin, sync):
    dialog = open_top_up(qtbot, run, sync, is_admin=True)
    dialog.auto_check.setChecked(True)
    qtbot.waitUntil(
        lambda: dialog.message.text() != "" or admin.get("/api/v1/credits").json()["auto_top_up"],
        timeout=10000,
    )
    server_value = admin.get("/api/v1/credits").json()["auto_top_up"]
    qtbot.waitUntil(lambda: dialog.auto_check.isChecked() == server_value, timeout=10000)


def test_staff_see_the_balance_but_cannot_buy(qtbot, run, server, admin, staff, tmp_path):
    client = signed_in(run, tmp_path, server, "paula")
    dialog = open_top_up(qtbot, run, client, is_admin=False)
    assert dialog.balance_label.text() == f"{balance_of(staff):,}"
    assert dialog.findChild(QPushButton, "buyButton") is None
    assert dialog.findChild(QWidget, "ledgerTable") is None
    assert dialog.message.text() == ""  # no 403 was provoked
    assert "admin" in dialog.findChild(QLabel, "staffNote").text()
    run(client.close())


# --- new conversation and details, against the real server -----------------------------------


def test_a_number_that_has_a_thread_opens_it_and_a_new_one_is_created(qtbot, run, server, sync):
    from inbox_app.ui.dialogs import NewConversationDialog

    existing, _created = run(sync.compose("+12015550123"))
    dialog = NewConversationDialog(sync)
    qtbot.addWidget(dialog)
    dialog.phone_edit.setText("201 555 0123")
    with qtbot.waitSignal(dialog.accepted, timeout=10000):
        qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert dialog.conversation_id == existing.id and dialog.created is False

    fresh = NewConversationDialog(sync)
    qtbot.addWidget(fresh)
    fresh.phone_edit.setText("+1 201 555 0177")
    with qtbot.waitSignal(fresh.accepted, timeout=10000):
        qtbot.mouseClick(fresh.open_button, Qt.MouseButton.LeftButton)
    assert fresh.created is True and fresh.conversation_id != existing.id


def test_details_show_the_real_consent_history(qtbot, run, server, admin, sync):
    from inbox_app.ui.dialogs import ThreadDetailsDialog

    client = admin.post("/api/v1/clients", json={"first_name": "Maria", "last_name": "Lopez"})
    client_id = client.json()["id"]
    contact = admin.post(f"/api/v1/clients/{client_id}/contacts", json={"phone": "+12015550123"})
    assert admin.post(f"/api/v1/contacts/{contact.json()['id']}/opt-out").status_code == 200
    conversation, _created = run(sync.compose("+12015550123", client_id=client_id))

    dialog = ThreadDetailsDialog(sync, conversation)
    qtbot.addWidget(dialog)
    run(dialog.loading)
    assert dialog.client_value.text() == "Maria Lopez"
    assert "Opted out" in dialog.consent_value.text()
    changes = [dialog.table.item(row, 1).text() for row in range(dialog.table.rowCount())]
    assert changes == ["Opted out", "Opted in"]  # newest first
    assert dialog.table.item(0, 2).text() == "Changed by staff"
    assert dialog.error_label.text() == ""


@pytest.fixture
def stripe_server(db_url, tmp_path, monkeypatch):
    """The backend in card mode against the local Stripe-compatible fake: (server, fake)."""
    from inbox_app.server.services import payments
    from tests.fakes.stripe import FakeStripe
    from tests.harness import make_settings, serve_in_thread

    monkeypatch.setattr(payments, "STRIPE_TIMEOUT_SECONDS", 1.0)
    monkeypatch.setattr(payments, "STRIPE_MAX_NETWORK_RETRIES", 0)
    with FakeStripe() as fake:
        port = free_port()
        settings = make_settings(
            db_url,
            tmp_path,
            port,
            payment_mode="stripe",
            stripe_api_key="sk_test_x",
            stripe_api_base=fake.url,
        )
        with serve_in_thread(settings) as running:
            yield running, fake


def test_a_declined_card_is_explained_in_the_dialog_and_adds_nothing(
    qtbot, run, stripe_server, tmp_path
):
    from tests.conftest import login, make_user

    server, fake = stripe_server
    make_user(server, "alice", admin=True)
    admin = login(server, "alice")
    card = {"customer_id": "cus_Doe123", "payment_method_id": "pm_card_visa"}
    assert admin.put("/api/v1/credits/card", json=card).status_code == 200
    fake.mode = "decline"
    client = signed_in(run, tmp_path, server, "alice")
    dialog = open_top_up(qtbot, run, client, is_admin=True)
    assert not dialog.reference_edit.isVisibleTo(dialog)  # the card payment is the reference
    assert dialog.payment_label.text() == "Charged to the firm's saved card."
    before = balance_of(admin)

    qtbot.mouseClick(dialog.buy_button, Qt.MouseButton.LeftButton)
    accept_purchase(qtbot, dialog, "The firm's saved card is charged now.")
    qtbot.waitUntil(lambda: dialog.message.text() != "", timeout=10000)
    assert "insufficient funds" in dialog.message.text()
    qtbot.waitUntil(dialog.buy_button.isEnabled)
    assert balance_of(admin) == before

    fake.mode = "succeed"
    qtbot.mouseClick(dialog.buy_button, Qt.MouseButton.LeftButton)
    accept_purchase(qtbot, dialog)
    qtbot.waitUntil(lambda: "Added" in dialog.message.text(), timeout=10000)
    qtbot.waitUntil(dialog.buy_button.isEnabled)
    assert balance_of(admin) == before + 1000
    run(client.close())
