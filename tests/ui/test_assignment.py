"""Assignment in the desktop against the real backend: the header's Assign menu, the system line
in the thread, the assignee's initials in the list, the "Assigned to me" filter; and the look
of a thread with a note and a system line, and of the Mentions and Assigned filters."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.conftest import login, make_user

MARIA = "+12025550111"
JAMES = "+12025550112"


def _conversation(admin, phone: str, first: str, last: str) -> int:
    client = admin.post("/api/v1/clients", json={"first_name": first, "last_name": last})
    return admin.post(
        "/api/v1/conversations", json={"phone": phone, "client_id": client.json()["id"]}
    ).json()["id"]


def _grab(window, qtbot, qapp, path) -> None:
    from inbox_app.ui import theme

    try:
        for dark in (False, True):
            theme.apply(qapp, dark=dark)
            window.refresh_icons()
            qtbot.wait(50)
            window.grab().save(str(path).format(theme="dark" if dark else "light"))
    finally:
        theme.apply(qapp, dark=False)
        window.refresh_icons()


def test_assign_from_the_header_shows_a_line_initials_and_the_filter(
    server, admin, window, qtbot, qapp, artifacts_dir, run
):
    make_user(server, "bob")
    bob = login(server, "bob")
    maria = _conversation(admin, MARIA, "Maria", "Lopez")
    james = _conversation(admin, JAMES, "James", "Carter")
    qtbot.waitUntil(lambda: window.list_model.row_of(james) >= 0, timeout=5000)
    run(window.load_colleagues())
    assert len(window.colleagues) == 2
    admin.post(f"/api/v1/conversations/{maria}/messages", json={"body": "Hi Maria, got it."})
    window.select_conversation(maria)
    qtbot.waitUntil(lambda: window.current_id == maria, timeout=5000)
    assert window.assign_button.text() == "Assign"

    window._fill_assign_menu()
    actions = {a.objectName(): a for a in window.assign_menu.actions()}
    assert set(actions) == {"assignTo_nobody", f"assignTo_{admin.user['id']}",
                            f"assignTo_{bob.user['id']}"}  # fmt: skip
    assert actions["assignTo_nobody"].isChecked()
    actions[f"assignTo_{bob.user['id']}"].trigger()
    model = window.thread_model
    qtbot.waitUntil(lambda: any(m.origin == "system" for m in model.messages()), timeout=5000)
    [line] = [m for m in model.messages() if m.origin == "system"]
    assert line.body == "alice assigned this to bob"
    qtbot.waitUntil(lambda: window.list_model.by_id(maria).assignee == "bob", timeout=5000)
    assert window.assign_button.text() == "bob"
    index = window.list_model.index(window.list_model.row_of(maria))
    assert "Assigned to bob" in index.data(Qt.ItemDataRole.AccessibleTextRole)

    # A note mentioning me from Bob, then the look of the thread with the note and the line.
    bob.post(f"/api/v1/conversations/{maria}/notes", json={"body": "@alice she prefers texts"})
    qtbot.waitUntil(lambda: sum(m.direction == "internal" for m in model.messages()) == 2)
    _grab(window, qtbot, qapp, artifacts_dir / "thread_note_and_line_{theme}.png")

    # Assigned to me: take James, filter.
    window.select_conversation(james)
    qtbot.waitUntil(lambda: window.current_id == james, timeout=5000)
    window._fill_assign_menu()
    next(
        a for a in window.assign_menu.actions() if a.objectName() == f"assignTo_{admin.user['id']}"
    ).trigger()
    qtbot.waitUntil(lambda: window.list_model.by_id(james).assignee_id == admin.user["id"])
    qtbot.mouseClick(window.assigned_toggle, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: [c.id for c in window.list_model.conversations()] == [james], timeout=5000
    )
    _grab(window, qtbot, qapp, artifacts_dir / "filter_assigned_{theme}.png")
    qtbot.mouseClick(window.assigned_toggle, Qt.MouseButton.LeftButton)

    # Mentions: a thread where Bob mentioned me in a note I have not opened.
    bob.post(f"/api/v1/conversations/{james}/notes", json={"body": "@alice call James back"})
    window._show_thread(None)
    bob.post(f"/api/v1/conversations/{maria}/notes", json={"body": "@alice also Maria, tomorrow"})
    qtbot.waitUntil(
        lambda: (row := window.list_model.by_id(maria)) is not None and row.mentioned,
        timeout=5000,
    )
    qtbot.mouseClick(window.mentions_toggle, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: {c.id for c in window.list_model.conversations()} == {maria, james}, timeout=5000
    )
    _grab(window, qtbot, qapp, artifacts_dir / "filter_mentions_{theme}.png")
    with qtbot.waitSignal(window.list_loaded, timeout=5000):
        qtbot.mouseClick(window.mentions_toggle, Qt.MouseButton.LeftButton)
