"""Thread actions that do what they say, against the real backend: leave and archive take the row
out at once without opening (and reading) the next thread; the bell's three states; the block
dialog names who; the Blocked view; composing to a blocked number says why; failed rows; the
quiet-hours note; the send-later dialog's client clock; consent names; the tray badge."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QApplication, QPushButton

from inbox_app.models import tables as t
from tests.ui.helpers import compose, inbound

MARIA = "+12025550111"
JOSE = "+12025550122"
LA = "+13105550133"
NEW_YORK = ZoneInfo("America/New_York")


def server_view(api, conversation_id: int) -> dict:
    return api.get(f"/api/v1/conversations/{conversation_id}").json()


@pytest.fixture
def two_unread(server, admin, window, qtbot):
    """Two conversations with an unread inbound text each; the newer (Jose) is open."""
    maria = compose(admin, MARIA)["id"]
    jose = compose(admin, JOSE)["id"]
    inbound(server, MARIA, "Hello from Maria")
    inbound(server, JOSE, "Hello from Jose")
    qtbot.waitUntil(
        lambda: window.list_model.row_of(maria) >= 0 and window.list_model.row_of(jose) >= 0,
        timeout=5000,
    )
    qtbot.waitUntil(lambda: window.list_model.by_id(maria).unread_count == 1, timeout=5000)
    window.select_conversation(jose)
    qtbot.waitUntil(lambda: server_view(admin, jose)["unread_count"] == 0, timeout=5000)
    return maria, jose


@pytest.mark.parametrize("action", ["leave", "archive"])
def test_leave_and_archive_take_the_row_out_without_reading_the_next(
    admin, window, two_unread, qtbot, action
):
    maria, jose = two_unread
    with qtbot.waitSignal(window.sync.conversation_updated, timeout=5000):
        getattr(window, f"action_{action}").trigger()
        qtbot.waitUntil(lambda: window.list_model.row_of(jose) < 0, timeout=1000)
    assert window.current_id is None
    assert not window.thread_list.selectionModel().hasSelection()
    assert not window.thread_list.currentIndex().isValid()
    # The stream's conversation.updated for my own change does not bring the row back.
    qtbot.wait(100)
    window._refresh_dirty()
    qtbot.waitUntil(lambda: not window._tasks, timeout=5000)
    assert window.list_model.row_of(jose) < 0
    assert window.list_model.row_of(maria) == 0
    assert window.current_id is None
    assert server_view(admin, maria)["unread_count"] == 1  # the next one was not opened and read
    # Nor when the focus lands in the list afterwards (a closing dialog gives it back there).
    window.thread_list.setFocus(Qt.FocusReason.ActiveWindowFocusReason)
    qtbot.waitUntil(window.thread_list.hasFocus, timeout=2000)
    assert window.current_id is None
    qtbot.keyClick(window.thread_list, Qt.Key.Key_Space)  # picking it opens it
    qtbot.waitUntil(lambda: window.current_id == maria, timeout=5000)
    view = server_view(admin, jose)
    assert view["left"] if action == "leave" else view["archived"]


def test_a_refused_leave_says_why(admin, window, two_unread, qtbot, server):
    _maria, jose = two_unread
    admin.post(f"/api/v1/conversations/{jose}/block")  # gone on the server meanwhile
    window.action_leave.trigger()
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=5000)
    assert "does not exist" in window.last_error


def test_the_bell_shows_whether_i_am_notified_and_follows_on_click(
    server, admin, staff, window, qtbot
):
    cid = compose(staff, MARIA)["id"]
    staff.post(f"/api/v1/conversations/{cid}/messages", json={"body": "Hi, Paula here"})
    inbound(server, MARIA, "Thanks Paula")
    qtbot.waitUntil(lambda: window.list_model.row_of(cid) >= 0, timeout=5000)
    window.select_conversation(cid)
    qtbot.waitUntil(lambda: window.mute_button.property("bell") == "not_following", timeout=5000)
    assert window.mute_button.text() == "Follow"
    assert window.mute_button.toolTip().startswith("Not following")
    assert window.action_mute.text() == "Follow conversation"

    qtbot.mouseClick(window.mute_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.mute_button.property("bell") == "following", timeout=5000)
    assert server_view(admin, cid)["bell"] == "following"
    assert window.mute_button.text() == ""
    # The server now notifies me of the next text.
    before = window.last_notification
    window.select_conversation(cid)
    window._show_thread(None)  # not on screen, so the notification is handled
    inbound(server, MARIA, "Are you there?")
    qtbot.waitUntil(lambda: window.last_notification is not before, timeout=5000)
    assert window.last_notification["conversation_id"] == cid


def test_the_tray_badge_leaves_muted_threads_out_and_is_cleared_at_sign_out(
    server, admin, window, qtbot, run
):
    if window.notifier is None:
        pytest.skip("no notifier on this platform")
    maria = compose(admin, MARIA)["id"]
    compose(admin, JOSE)
    inbound(server, MARIA, "one")
    inbound(server, JOSE, "two")
    qtbot.waitUntil(lambda: window.notifier.unread == 2, timeout=5000)
    admin.post(f"/api/v1/conversations/{maria}/mute")
    qtbot.waitUntil(lambda: window.notifier.unread == 1, timeout=5000)
    run(window.sign_out())
    assert window.notifier.unread == 0


def _answer_block_box(keep: bool, seen: dict) -> None:
    def answer():
        box = QApplication.activeModalWidget()
        if box is None or box.objectName() != "blockConfirmation":
            QTimer.singleShot(10, answer)
            return
        seen["title"], seen["text"] = box.windowTitle(), box.text()
        seen["button"] = box.findChild(QPushButton, "blockButton").text()
        box.checkBox().setChecked(keep)
        seen["kept_text"] = box.text()
        seen["kept_info"] = box.informativeText()
        seen["kept_button"] = box.findChild(QPushButton, "blockButton").text()
        box.findChild(QPushButton, "blockButton").click()

    QTimer.singleShot(0, answer)


def test_block_names_who_keeps_a_record_and_the_blocked_view_opens_and_unblocks_it(
    server, admin, window, qtbot, artifacts_dir
):
    client = admin.post("/api/v1/clients", json={"first_name": "Maria", "last_name": "Lopez"})
    admin.post(f"/api/v1/clients/{client.json()['id']}/contacts", json={"phone": MARIA})
    cid = compose(admin, MARIA)["id"]
    inbound(server, MARIA, "Stop calling my brother")
    inbound(server, JOSE, "Unrelated")
    qtbot.waitUntil(lambda: window.list_model.row_of(cid) >= 0, timeout=5000)
    window.select_conversation(cid)
    qtbot.waitUntil(lambda: len(window.thread_model.messages()) == 1, timeout=5000)

    seen: dict = {}
    _answer_block_box(True, seen)
    window.action_block.trigger()
    qtbot.waitUntil(lambda: window.list_model.row_of(cid) < 0, timeout=5000)
    assert seen["title"] == "Block Maria Lopez ((202) 555-0111)?"
    assert seen["text"] == "Block Maria Lopez ((202) 555-0111) and delete the conversation?"
    assert seen["button"] == "Block and delete"
    assert "keep a read-only record" in seen["kept_text"]
    assert "Blocked numbers" in seen["kept_info"]
    assert seen["kept_button"] == "Block and keep record"
    assert window.current_id is None
    assert server_view(admin, cid)["blocked"] is True  # kept, hidden

    assert window.action_blocked.isVisible()
    window.action_blocked.trigger()
    dialog = window.blocked_dialog
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1, timeout=5000)
    assert dialog.model.index(0, 0).data() == "Maria Lopez ((202) 555-0111)"
    assert dialog.model.index(0, 3).data() == "Kept: 1 message"
    assert dialog.open_button.isEnabled() and dialog.unblock_button.isEnabled()
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    record = dialog.record_dialog
    qtbot.waitUntil(lambda: record.model.rowCount() == 1, timeout=5000)
    assert record.model.messages()[0].body == "Stop calling my brother"
    assert record.windowTitle() == "Record of Maria Lopez ((202) 555-0111) (read-only)"
    record.resize(640, 420)
    qtbot.wait(50)
    record.grab().save(str(artifacts_dir / "blocked-record.png"))
    record.close()
    dialog.grab().save(str(artifacts_dir / "blocked-view-ui.png"))

    with qtbot.waitSignal(dialog.loaded, timeout=5000):
        qtbot.mouseClick(dialog.unblock_button, Qt.MouseButton.LeftButton)
    assert dialog.model.rowCount() == 0
    assert dialog.empty_label.isVisible()
    assert "Unblocked Maria Lopez" in dialog.message.text()
    assert admin.get("/api/v1/blocks").json() == []
    qtbot.waitUntil(lambda: window.list_model.row_of(cid) >= 0, timeout=5000)  # back in inbox
    dialog.close()


def test_staff_do_not_see_the_blocked_view(server, staff, tmp_path, qtbot, run):
    from inbox_app.sync.session import SyncClient
    from inbox_app.ui.main_window import MainWindow
    from tests.conftest import PASSWORD

    sync = SyncClient(server.base_url, cache_dir=tmp_path / "paula", retry_interval=0.2)
    run(sync.sign_in("paula", PASSWORD))
    win = MainWindow(sync)
    qtbot.addWidget(win)
    run(win.load())
    assert not win.action_blocked.isVisible()
    win.close()
    run(sync.close())


def test_composing_to_a_blocked_number_says_why(server, admin, window, qtbot):
    cid = compose(admin, MARIA)["id"]
    admin.post(f"/api/v1/conversations/{cid}/block")
    from inbox_app.ui.dialogs.new_conversation import NewConversationDialog

    dialog = NewConversationDialog(window.sync, window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.phone_edit.setText("(202) 555-0111")
    dialog.open_conversation()
    qtbot.waitUntil(lambda: dialog.error_label.isVisible(), timeout=5000)
    assert "(202) 555-0111 is blocked, so it cannot be texted" in dialog.error_label.text()
    assert dialog.isVisible() and dialog.conversation_id is None
    dialog.close()


def test_a_failed_latest_text_is_flagged_in_its_row(server, admin, window, qtbot):
    cid = compose(admin, MARIA)["id"]
    with server.app.state.sessionmaker() as session, session.begin():
        session.add(
            t.Message(
                firm_id=admin.user["firm_id"],
                conversation_id=cid,
                direction="outbound",
                body="Your hearing moved",
                status="failed",
                to_number=MARIA,
            )
        )
    inbound(server, JOSE, "refresh the list")
    window.refresh_list()
    qtbot.waitUntil(lambda: getattr(window.list_model.by_id(cid), "has_failed", False))
    index = window.list_model.index(window.list_model.row_of(cid))
    assert index.data(window.list_model.FailedRole) is True
    assert "Not sent" in index.data(Qt.ItemDataRole.AccessibleTextRole)


def _tomorrow_at(hour: int, zone=NEW_YORK) -> datetime:
    # Tomorrow in the recipient's zone is in the future whatever the hour the test runs at.
    day = datetime.now(zone).date() + timedelta(days=1)
    return datetime.combine(day, time(hour, 0), zone)


def test_a_text_moved_for_quiet_hours_says_so_in_the_thread(
    server, admin, window, qtbot, artifacts_dir
):
    cid = compose(admin, MARIA)["id"]  # Washington DC: Eastern; sending window 8:00-21:00
    qtbot.waitUntil(lambda: window.list_model.row_of(cid) >= 0, timeout=5000)
    window.select_conversation(cid)
    qtbot.waitUntil(lambda: window.current_id == cid, timeout=5000)
    message = window.thread_model
    window._spawn(window.send(cid, "See you at court", _tomorrow_at(3)))
    qtbot.waitUntil(lambda: len(message.messages()) == 1, timeout=5000)
    sent = message.messages()[0]
    assert sent.send_at_reason == "quiet_hours"
    from inbox_app.ui.thread_view import quiet_hours_note

    note = quiet_hours_note(sent, message.recipient_zone)
    assert note == "Moved to 8:00 AM Eastern: the client's quiet hours end then (asked for 3:00 AM)"
    row = message.index(message.row_of(sent.id))
    assert note in row.data(Qt.ItemDataRole.AccessibleTextRole)  # screen readers hear it too
    _m, lay, _o = window.message_view._layout_at(row)
    assert lay.note is not None and lay.note_text == note  # painted under the bubble
    window.message_view.grab().save(str(artifacts_dir / "quiet-hours-ui.png"))


def test_send_later_shows_the_clients_clock_beside_mine(window, qtbot):
    from inbox_app.ui.dialogs.send_later import SendLaterDialog

    dialog = SendLaterDialog(window, recipient_zone="America/Los_Angeles")
    qtbot.addWidget(dialog)
    when = datetime(2031, 3, 4, 17, 0, tzinfo=UTC)  # 9:00 AM in Los Angeles (PST)
    from inbox_app.ui.dialogs.send_later import _to_qt

    dialog.edit.setDateTime(_to_qt(when))
    local_is_la = (
        when.astimezone().utcoffset()
        == when.astimezone(ZoneInfo("America/Los_Angeles")).utcoffset()
    )
    if local_is_la:
        assert dialog.recipient_label.text() == "The client is in your time zone (Pacific)."
    else:
        assert dialog.recipient_label.text() == "For the client: Tue Mar 4, 9:00 AM Pacific"
    none = SendLaterDialog(window)
    qtbot.addWidget(none)
    assert none.recipient_label.isHidden()


def test_consent_history_names_the_user(server, admin, window, qtbot):
    client = admin.post("/api/v1/clients", json={"first_name": "Maria"}).json()
    contact = admin.post(f"/api/v1/clients/{client['id']}/contacts", json={"phone": MARIA}).json()
    admin.post(f"/api/v1/contacts/{contact['id']}/opt-out")
    cid = compose(admin, MARIA)["id"]
    qtbot.waitUntil(lambda: window.list_model.row_of(cid) >= 0, timeout=5000)
    window.select_conversation(cid)
    window.show_details()
    dialog = window.details_dialog
    qtbot.waitUntil(lambda: dialog.table.rowCount() >= 1, timeout=5000)
    names = {dialog.table.item(row, 3).text() for row in range(dialog.table.rowCount())}
    assert "alice" in names
    assert not any(name.startswith("User #") for name in names)
    dialog.close()


def test_bubble_text_can_be_selected_copied_and_has_a_menu(server, admin, window, qtbot):
    cid = compose(admin, MARIA)["id"]
    inbound(server, MARIA, "Case number 2026-CV-0042, hearing on Friday")
    qtbot.waitUntil(lambda: window.list_model.row_of(cid) >= 0, timeout=5000)
    window.select_conversation(cid)
    qtbot.waitUntil(lambda: window.thread_model.rowCount() == 1, timeout=5000)
    view = window.message_view
    index = window.thread_model.index(0)
    _m, lay, _option = view._layout_at(index)
    inside = lay.text.center()
    qtbot.mouseMove(view.viewport(), inside)
    qtbot.waitUntil(lambda: view.bubble_text.isVisible(), timeout=2000)
    text = view.bubble_text
    assert text.geometry().topLeft() == lay.text.topLeft()
    assert text.text() == "Case number 2026-CV-0042, hearing on Friday"
    # Drag across the words to select them, as a user does with the mouse.
    start = text.mapFrom(view.viewport(), QPoint(lay.text.left() + 1, inside.y()))
    qtbot.mousePress(text, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(text, QPoint(text.width() - 2, start.y()))
    qtbot.mouseRelease(text, Qt.MouseButton.LeftButton, pos=QPoint(text.width() - 2, start.y()))
    qtbot.waitUntil(text.hasSelectedText, timeout=2000)
    selected = text.selectedText()
    assert selected and selected in text.text()
    qtbot.keyClick(text, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.clipboard().text() == selected
    # Moving away keeps the selection; the menu offers to copy it.
    qtbot.mouseMove(view.viewport(), QPoint(5, 5))
    assert text.hasSelectedText()
    menu = view.menu_for(inside)
    names = [a.objectName() for a in menu.actions() if a.objectName()]
    assert names == ["copyMessageAction"]
    menu.actions()[0].trigger()
    assert QApplication.clipboard().text() == selected
    # A click elsewhere ends the selection; Copy then copies the whole message.
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert not text.isVisible()
    view.menu_for(inside).actions()[0].trigger()
    assert QApplication.clipboard().text() == "Case number 2026-CV-0042, hearing on Friday"


def test_the_message_menu_offers_retry_edit_cancel_and_save_image(
    server, admin, window, qtbot, tmp_path
):
    from tests.ui.helpers import photo

    cid = compose(admin, MARIA)["id"]
    inbound(server, MARIA, "here is the letter", [(photo(), "image/jpeg")])
    with server.app.state.sessionmaker() as session, session.begin():
        session.add(
            t.Message(
                firm_id=admin.user["firm_id"],
                conversation_id=cid,
                direction="outbound",
                body="Got it",
                status="failed",
                to_number=MARIA,
            )
        )
    admin.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"body": "Reminder", "send_at": _tomorrow_at(10).isoformat()},
    )
    qtbot.waitUntil(lambda: window.list_model.row_of(cid) >= 0, timeout=5000)
    window.select_conversation(cid)
    qtbot.waitUntil(lambda: window.thread_model.rowCount() == 3, timeout=5000)
    view = window.message_view

    def menu_names(row: int, pos=None):
        _m, lay, _o = view._layout_at(window.thread_model.index(row))
        menu = view.menu_for(pos or lay.bubble.center())
        return menu, [a.objectName() for a in menu.actions() if a.objectName()]

    menu, names = menu_names(0)
    assert names == ["copyMessageAction", "saveImageAction"]
    _menu, names = menu_names(1)
    assert names == ["copyMessageAction", "retryMessageAction"]
    _menu, names = menu_names(2)
    assert names == ["copyMessageAction", "editMessageAction", "cancelMessageAction"]

    with qtbot.waitSignal(view.action_clicked, timeout=2000) as cancel:
        next(a for a in _menu.actions() if a.objectName() == "cancelMessageAction").trigger()
    assert cancel.args[0] == "cancel"
    qtbot.waitUntil(lambda: window.thread_model.messages()[2].status == "canceled", timeout=5000)

    next(a for a in menu.actions() if a.objectName() == "saveImageAction").trigger()
    qtbot.waitUntil(lambda: getattr(window, "save_image_dialog", None) is not None, timeout=5000)
    dialog = window.save_image_dialog
    assert dialog.selectedFiles()[0].endswith(".jpg")
    dialog.setDirectory(str(tmp_path))  # never the real home folder
    target = tmp_path / Path(dialog.selectedFiles()[0]).name
    assert target.name.startswith("image-")
    dialog.accept()
    qtbot.waitUntil(target.exists, timeout=5000)
    assert target.read_bytes()[:2] == b"\xff\xd8"  # the original JPEG
    assert window.statusBar().currentMessage() == f"Saved to {target}."
