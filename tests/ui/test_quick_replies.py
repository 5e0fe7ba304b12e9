"""Quick replies in the desktop against the real backend: `/` and Ctrl+K open the picker, the
server fills the chosen one in for this client, the counter follows; the manage dialog shows
the server's refusal of an unknown merge tag and keeps nothing."""

from __future__ import annotations

from PySide6.QtCore import Qt

MARIA = "+12025550111"


def _maria(admin) -> dict:
    client = admin.post("/api/v1/clients", json={"first_name": "Maria", "last_name": "Lopez"})
    conversation = admin.post(
        "/api/v1/conversations", json={"phone": MARIA, "client_id": client.json()["id"]}
    )
    return conversation.json()


def _open(window, qtbot, conversation_id: int) -> None:
    qtbot.waitUntil(lambda: window.list_model.row_of(conversation_id) >= 0, timeout=5000)
    window.select_conversation(conversation_id)
    qtbot.waitUntil(lambda: window.current_id == conversation_id, timeout=5000)
    qtbot.waitUntil(lambda: window.compose.edit.isEnabled() and window.compose._can_send)


def test_slash_opens_the_picker_and_inserts_the_servers_rendering(
    server, admin, window, qtbot, qapp, artifacts_dir
):
    admin.post(
        "/api/v1/quick-replies",
        json={
            "name": "Running late",
            "body": "Hi [ClientFirstName], we run late.",
            "scope": "firm",
        },
    )
    admin.post("/api/v1/quick-replies", json={"name": "Call back", "body": "Please call us."})
    qtbot.waitUntil(lambda: len(window.compose.quick_replies) == 2, timeout=5000)
    conversation = _maria(admin)
    _open(window, qtbot, conversation["id"])
    edit = window.compose.edit
    edit.setFocus()
    before = window.compose.counter.text()

    qtbot.keyClicks(edit, "/")
    picker = window.compose.picker
    qtbot.waitUntil(lambda: picker is not None and picker.isVisible(), timeout=3000)
    assert edit.toPlainText() == ""  # the slash opened the picker, it is not text
    assert picker.proxy.rowCount() == 2
    qtbot.keyClicks(picker.filter_edit, "late")
    assert picker.proxy.rowCount() == 1 and picker.current_reply().name == "Running late"
    qtbot.keyClick(picker.filter_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: edit.toPlainText() == "Hi Maria, we run late.", timeout=5000)
    assert not picker.isVisible()
    assert window.compose.counter.text() != before
    assert "22 characters" in window.compose.counter.text()

    # Mid-line a slash is a slash ("and/or"); Ctrl+K opens the picker anywhere.
    qtbot.keyClicks(edit, " and/or")
    assert edit.toPlainText().endswith("and/or") and not picker.isVisible()
    qtbot.keyClick(edit, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(picker.isVisible, timeout=3000)
    from inbox_app.ui import theme

    try:
        for dark in (False, True):
            theme.apply(qapp, dark=dark)
            picker.refresh_style()
            picker.grab().save(
                str(artifacts_dir / f"quick_reply_picker_{'dark' if dark else 'light'}.png")
            )
    finally:
        theme.apply(qapp, dark=False)
    qtbot.keyClick(picker.filter_edit, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not picker.isVisible(), timeout=3000)


def test_a_firm_reply_added_elsewhere_reaches_the_picker_live(server, admin, window, qtbot):
    qtbot.waitSignal(window.quick_replies_loaded, timeout=5000, raising=False)
    admin.post("/api/v1/quick-replies", json={"name": "Hours", "body": "9-5", "scope": "firm"})
    qtbot.waitUntil(
        lambda: [r.name for r in window.compose.quick_replies] == ["Hours"], timeout=5000
    )


def test_a_reply_made_before_the_stream_opened_reaches_the_picker(server, admin, sync, qtbot, run):
    """A new cache has no event id to resume from, so the stream replays nothing: what the
    window read before it opened is read again once it is open."""
    from inbox_app.ui.main_window import MainWindow

    win = MainWindow(sync)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.quick_replies_loaded, timeout=5000):
        run(win.load())
    assert win.compose.quick_replies == []
    admin.post("/api/v1/quick-replies", json={"name": "Hours", "body": "9-5", "scope": "firm"})
    sync.start()
    qtbot.waitUntil(lambda: [r.name for r in win.compose.quick_replies] == ["Hours"], timeout=5000)
    win.close()


def test_the_dialog_shows_the_servers_refusal_and_keeps_nothing(server, admin, window, qtbot):
    from inbox_app.ui.dialogs.quick_replies import QuickRepliesDialog

    dialog = QuickRepliesDialog(window.sync, "personal", parent=window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(dialog.loading.done, timeout=5000)
    assert dialog.empty.isVisible()
    dialog.name_edit.setText("Greeting")
    dialog.body_edit.setPlainText("Hello [ClientFirstNam]")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.body_error.isVisible, timeout=5000)
    assert "[ClientFirstNam]" in dialog.body_error.text()
    assert admin.get("/api/v1/quick-replies").json() == []

    dialog.body_edit.setPlainText("Hello [ClientFirstName]")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: [r.name for r in dialog.replies()] == ["Greeting"], timeout=5000)
    assert "Greeting" in dialog.message.text()
    assert [r["name"] for r in admin.get("/api/v1/quick-replies").json()] == ["Greeting"]
    dialog.close()
