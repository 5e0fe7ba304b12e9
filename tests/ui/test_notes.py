"""Internal notes in the desktop against the real backend: the compose box's Note mode adds a
note (not a text), the thread paints it as a note card with an Edit link for its author, a
colleague's mention notifies me and lists the thread under Mentions until I open it."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.conftest import login, make_user

MARIA = "+12025550111"


def _thread(admin, window, qtbot) -> int:
    client = admin.post("/api/v1/clients", json={"first_name": "Maria", "last_name": "Lopez"})
    cid = admin.post(
        "/api/v1/conversations", json={"phone": MARIA, "client_id": client.json()["id"]}
    ).json()["id"]
    qtbot.waitUntil(lambda: window.list_model.row_of(cid) >= 0, timeout=5000)
    return cid


def _open(window, qtbot, cid: int) -> None:
    window.select_conversation(cid)
    qtbot.waitUntil(lambda: window.current_id == cid, timeout=5000)


def test_note_mode_adds_a_note_not_a_text_and_its_author_may_edit_it(
    server, admin, window, qtbot, qapp, artifacts_dir
):
    make_user(server, "paula")
    cid = _thread(admin, window, qtbot)
    _open(window, qtbot, cid)
    compose = window.compose
    qtbot.mouseClick(compose.note_button, Qt.MouseButton.LeftButton)
    assert compose.note_mode and compose.send_button.text() == "Add note"
    assert not compose.send_later_button.isVisible()
    qtbot.keyClicks(compose.edit, "Client sounded upset, @paula please call")
    assert "not sent" in compose.counter.text()
    qtbot.keyClick(compose.edit, Qt.Key.Key_Return)

    model = window.thread_model
    qtbot.waitUntil(lambda: any(m.direction == "internal" for m in model.messages()), timeout=5000)
    [note] = [m for m in model.messages() if m.direction == "internal"]
    assert note.body == "Client sounded upset, @paula please call" and note.origin == "note"
    assert compose.text() == ""
    page = admin.get(f"/api/v1/conversations/{cid}/messages?include_notes=true").json()
    assert [m["direction"] for m in page["messages"]] == ["internal"]  # no text was sent

    # My own note offers Edit (for 15 minutes); it goes through the server.
    index = model.index(model.row_of(note.id))
    assert "Internal note" in index.data(Qt.ItemDataRole.AccessibleTextRole)
    menu = window.message_view.menu_for(window.message_view.visualRect(index).center())
    assert any(a.objectName() == "edit_noteMessageAction" for a in menu.actions())
    window._message_action("edit_note", note)
    qtbot.waitUntil(lambda: getattr(window, "note_dialog", None) is not None, timeout=3000)
    qtbot.waitUntil(window.note_dialog.isVisible, timeout=3000)
    window.note_dialog.setTextValue("Client sounded upset, @paula call today")
    window.note_dialog.accept()
    qtbot.waitUntil(
        lambda: (
            model.message(note.id).body.endswith("call today")
            and model.message(note.id).edited_at is not None
        ),
        timeout=5000,
    )

    admin.post(f"/api/v1/conversations/{cid}/messages", json={"body": "Hi Maria, we'll call soon."})
    qtbot.waitUntil(lambda: len(model.messages()) == 2, timeout=5000)
    qtbot.keyClicks(compose.edit, "Draft of a second note")
    from inbox_app.ui import theme

    try:
        for dark in (False, True):
            theme.apply(qapp, dark=dark)
            window.refresh_icons()
            qtbot.wait(50)
            name = "dark" if dark else "light"
            window.grab().save(str(artifacts_dir / f"thread_note_{name}.png"))
    finally:
        theme.apply(qapp, dark=False)
        window.refresh_icons()
    compose.clear()

    # Opening another thread starts with a text again.
    other = admin.post("/api/v1/conversations", json={"phone": "+12025550112"}).json()["id"]
    qtbot.waitUntil(lambda: window.list_model.row_of(other) >= 0, timeout=5000)
    _open(window, qtbot, other)
    assert not compose.note_mode and compose.send_button.text() == "Send"


def test_a_colleagues_mention_notifies_me_and_lists_the_thread_under_mentions(
    server, admin, window, qtbot, artifacts_dir
):
    make_user(server, "bob")
    bob = login(server, "bob")
    cid = _thread(admin, window, qtbot)
    with qtbot.waitSignal(window.sync.notify, timeout=5000) as notified:
        bob.post(f"/api/v1/conversations/{cid}/notes", json={"body": "@alice can you take this?"})
    assert notified.args[0]["conversation_id"] == cid
    assert "mentioned you" in notified.args[0]["title"]
    qtbot.waitUntil(lambda: window.last_notification is not None, timeout=3000)
    qtbot.waitUntil(lambda: window.list_model.by_id(cid).mentioned, timeout=5000)

    qtbot.mouseClick(window.mentions_toggle, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: [c.id for c in window.list_model.conversations()] == [cid], timeout=5000
    )
    qtbot.wait(50)
    assert window.grab().save(str(artifacts_dir / "mentions_filter.png"))
    _open(window, qtbot, cid)
    model = window.thread_model
    qtbot.waitUntil(lambda: any(m.direction == "internal" for m in model.messages()), timeout=5000)
    # Opening it is seeing it: it leaves Mentions (the open one stays listed until I move on).
    qtbot.waitUntil(
        lambda: admin.get("/api/v1/conversations?mentions=true").json() == [], timeout=5000
    )
    # Bob's note is his: no Edit link for me.
    [note] = [m for m in model.messages() if m.direction == "internal"]
    index = model.index(model.row_of(note.id))
    menu = window.message_view.menu_for(window.message_view.visualRect(index).center())
    assert not any(a.objectName() == "edit_noteMessageAction" for a in menu.actions())
    # A colleague's note in the open thread arrives live (`note.created` on the stream, never
    # `message.created`), lands in the thread and the cache, and so does their edit.
    with qtbot.waitSignal(window.sync.message_received, timeout=5000) as heard:
        live = bob.post(f"/api/v1/conversations/{cid}/notes", json={"body": "Called, no answer"})
    assert heard.args[0].id == live.json()["id"] and heard.args[0].status == "internal"
    qtbot.waitUntil(lambda: model.message(live.json()["id"]) is not None, timeout=5000)
    assert window.sync.store.message(live.json()["id"]).origin == "note"
    with qtbot.waitSignal(window.sync.message_updated, timeout=5000):
        bob.patch(f"/api/v1/notes/{live.json()['id']}", json={"body": "Called twice, no answer"})
    qtbot.waitUntil(
        lambda: model.message(live.json()["id"]).body == "Called twice, no answer", timeout=5000
    )
    with qtbot.waitSignal(window.list_loaded, timeout=5000):
        qtbot.mouseClick(window.mentions_toggle, Qt.MouseButton.LeftButton)
    assert window.list_model.rowCount() == 1


def test_at_in_a_note_offers_colleagues_and_tab_or_enter_puts_the_name_in(
    server, admin, window, qtbot
):
    make_user(server, "bob")
    make_user(server, "barbara")
    window._spawn(window.load_colleagues())
    cid = _thread(admin, window, qtbot)
    _open(window, qtbot, cid)
    edit = window.compose.edit
    popup = edit.completer.popup()

    def offered() -> list[str]:
        model = edit.completer.completionModel()
        return [model.index(i, 0).data() for i in range(model.rowCount())]

    # In a text to the client "@" is just a character: no popup.
    qtbot.waitUntil(lambda: edit.completer.model().rowCount() == 2, timeout=5000)
    edit.setFocus()
    qtbot.keyClicks(edit, "@b")
    assert not popup.isVisible()
    edit.clear()

    # In a note, "@b" offers both, "@bo" only bob (never me); Tab takes it.
    qtbot.mouseClick(window.compose.note_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(edit, "Call her @b")
    qtbot.waitUntil(popup.isVisible, timeout=3000)
    assert offered() == ["barbara", "bob"]
    qtbot.keyClicks(edit, "o")
    assert offered() == ["bob"]
    qtbot.keyClick(edit, Qt.Key.Key_Tab)
    assert edit.toPlainText() == "Call her @bob "
    assert not popup.isVisible()

    # Enter on the popup takes the highlighted name and does not add the note yet.
    qtbot.keyClicks(edit, "and @bar")
    qtbot.waitUntil(popup.isVisible, timeout=3000)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert edit.toPlainText() == "Call her @bob and @barbara "
    assert [m for m in window.thread_model.messages() if m.direction == "internal"] == []

    # An email address is not a mention.
    qtbot.keyClicks(edit, "or mail maria@b")
    assert not popup.isVisible()
