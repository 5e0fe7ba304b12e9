"""Each thread action from the window's toolbar and menu, checked on the server."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.ui.helpers import compose, inbound

MARIA = "+12025550111"


@pytest.fixture
def opened(server, admin, window, qtbot):
    """A conversation with one inbound text, open in the window."""
    conversation = compose(admin, MARIA)
    inbound(server, MARIA, "Hello")
    qtbot.waitUntil(lambda: window.list_model.row_of(conversation["id"]) >= 0, timeout=5000)
    window.select_conversation(conversation["id"])
    qtbot.waitUntil(lambda: len(window.thread_model.messages()) == 1, timeout=5000)
    return conversation["id"]


def server_view(admin, conversation_id: int) -> dict:
    return admin.get(f"/api/v1/conversations/{conversation_id}").json()


def test_bell_mutes_and_unmutes(admin, window, opened, qtbot):
    assert window.mute_button.property("bell") == "following"  # I composed: I take part
    assert window.mute_button.toolTip().startswith("Following: you are notified")
    qtbot.mouseClick(window.mute_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.list_model.by_id(opened).muted, timeout=5000)
    assert server_view(admin, opened)["muted"] is True
    assert window.mute_button.property("bell") == "muted"
    assert window.mute_button.toolTip().endswith("Click to turn notifications on.")
    assert window.action_mute.text() == "Turn notifications on"
    qtbot.mouseClick(window.mute_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.list_model.by_id(opened).muted, timeout=5000)
    assert server_view(admin, opened)["muted"] is False
    assert server_view(admin, opened)["bell"] == "following"


def test_archive_moves_the_thread_to_the_archived_view_and_back(admin, window, opened, qtbot):
    qtbot.mouseClick(window.archive_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.list_model.row_of(opened) < 0, timeout=5000)
    assert window.current_id is None
    assert server_view(admin, opened)["archived"] is True

    qtbot.mouseClick(window.archived_toggle, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.list_model.row_of(opened) >= 0, timeout=5000)
    window.select_conversation(opened)
    qtbot.waitUntil(lambda: window.current_id == opened, timeout=5000)
    assert window.archive_button.toolTip() == "Move back to inbox"
    qtbot.mouseClick(window.archive_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.list_model.row_of(opened) < 0, timeout=5000)
    assert server_view(admin, opened)["archived"] is False


def test_leave_takes_the_thread_out_of_my_inbox_only(admin, staff, window, opened, qtbot):
    window.action_leave.trigger()
    qtbot.waitUntil(lambda: window.list_model.row_of(opened) < 0, timeout=5000)
    # The row goes at once; the server's answer follows.
    qtbot.waitUntil(lambda: server_view(admin, opened)["left"], timeout=5000)
    mine = [c["id"] for c in admin.get("/api/v1/conversations").json()]
    theirs = [c["id"] for c in staff.get("/api/v1/conversations").json()]
    assert opened not in mine and opened in theirs


def test_mark_unread_closes_the_thread_and_shows_it_unread(admin, window, opened, qtbot):
    qtbot.waitUntil(lambda: window.list_model.by_id(opened).unread_count == 0, timeout=5000)
    qtbot.mouseClick(window.unread_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.current_id is None, timeout=5000)
    unread = [c["id"] for c in admin.get("/api/v1/conversations?unread=true").json()]
    assert opened in unread
    qtbot.waitUntil(lambda: window.list_model.by_id(opened).unread_count > 0, timeout=5000)


def test_block_deletes_the_thread_after_confirmation(admin, window, opened, qtbot, monkeypatch):
    import inbox_app.ui.dialogs.block as block

    async def confirm(parent=None, name=None, phone=None):
        return True, False

    monkeypatch.setattr(block, "confirm_block_async", confirm)
    window.action_block.trigger()
    qtbot.waitUntil(lambda: window.list_model.row_of(opened) < 0, timeout=5000)
    assert window.current_id is None
    assert admin.get(f"/api/v1/conversations/{opened}").status_code == 404


def test_file_under_a_client_and_matter(admin, window, opened, qtbot):
    client = admin.post("/api/v1/clients", json={"first_name": "Maria", "last_name": "Alvarez"})
    client = client.json()
    matter = admin.post(
        "/api/v1/matters", json={"client_id": client["id"], "name": "Alvarez v. Metro Transit"}
    ).json()
    window.action_file.trigger()
    qtbot.waitUntil(
        lambda: (
            getattr(window, "file_dialog", None) is not None
            and window.file_dialog.isVisible()
            and window.file_dialog.client_box.count() > 1
        ),
        timeout=5000,
    )
    dialog = window.file_dialog
    dialog.client_box.setCurrentIndex(dialog.client_box.findData(client["id"]))
    qtbot.waitUntil(lambda: dialog.matter_box.findData(matter["id"]) >= 0, timeout=5000)
    dialog.matter_box.setCurrentIndex(dialog.matter_box.findData(matter["id"]))
    dialog.accept()
    qtbot.waitUntil(
        lambda: window.list_model.by_id(opened).matter == "Alvarez v. Metro Transit", timeout=5000
    )
    view = server_view(admin, opened)
    assert (view["client_id"], view["matter_id"]) == (client["id"], matter["id"])
    assert "Alvarez v. Metro Transit" in window.thread_subtitle.text()


def test_details_and_print_open_from_the_toolbar(window, opened, qtbot, run, tmp_path):
    qtbot.mouseClick(window.details_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.details_dialog.isVisible(), timeout=3000)
    window.details_dialog.close()

    pdf = tmp_path / "thread.pdf"
    run(window.print_thread(str(pdf)))
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")


def test_keyboard_moves_through_threads_and_focuses_search(server, admin, window, qtbot):
    for phone in ("+12025550121", "+12025550122", "+12025550123"):
        inbound(server, phone, "hi")
    qtbot.waitUntil(lambda: window.list_model.rowCount() == 3, timeout=5000)
    window.activateWindow()
    window.action_next.trigger()
    first = window.list_model.conversation(0).id
    assert window.current_id == first
    window.action_next.trigger()
    assert window.current_id == window.list_model.conversation(1).id
    window.action_prev.trigger()
    assert window.current_id == first
    window.action_find.trigger()
    assert window.action_find.shortcut().toString() == "Ctrl+F"
    assert window.action_new.shortcut().toString() == "Ctrl+N"
    assert window.action_print.shortcut().toString() == "Ctrl+P"


def test_switching_notifications_off_in_the_view_menu_is_kept_on_the_server(admin, window, qtbot):
    qtbot.waitUntil(lambda: window.notifier is not None, timeout=5000)
    action = window.notifier.enabled_action
    assert action.isChecked() and admin.get("/api/v1/auth/me").json()["notifications_enabled"]
    assert action in window.view_menu.actions()
    action.trigger()  # as a click in the View menu does
    qtbot.waitUntil(
        lambda: admin.get("/api/v1/auth/me").json()["notifications_enabled"] is False,
        timeout=5000,
    )
    assert window.notifier.is_enabled() is False
    action.trigger()
    qtbot.waitUntil(
        lambda: admin.get("/api/v1/auth/me").json()["notifications_enabled"] is True,
        timeout=5000,
    )
