"""Keyboard: Ctrl+N, Ctrl+F, Ctrl+P, and Up/Down through the threads from the list, the search box
and (with Alt) the compose box — pressed as keys, not called as methods."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.ui.helpers import compose

NUMBERS = ["+12025550111", "+12025550112", "+12025550113"]


def activate(window, qtbot) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)


def three_threads(admin, window, qtbot) -> list[int]:
    for phone in NUMBERS:
        compose(admin, phone)
    qtbot.waitUntil(lambda: window.list_model.rowCount() == 3, timeout=5000)
    return [window.list_model.conversation(row).id for row in range(3)]


def test_ctrl_n_opens_the_new_conversation_dialog(window, qtbot):
    activate(window, qtbot)
    qtbot.keyClick(window.thread_list, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: getattr(window, "new_dialog", None) is not None, timeout=3000)
    qtbot.waitUntil(window.new_dialog.isVisible)
    window.new_dialog.reject()


def test_ctrl_f_focuses_the_search_box(admin, window, qtbot):
    ids = three_threads(admin, window, qtbot)
    window.select_conversation(ids[0])
    activate(window, qtbot)
    window.compose.edit.setFocus()
    window.search_edit.setText("old query")
    qtbot.keyClick(window.compose.edit, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(window.search_edit.hasFocus, timeout=3000)
    assert window.search_edit.selectedText() == "old query"  # typing replaces it


def test_ctrl_p_prints_the_open_thread(admin, window, qtbot, monkeypatch):
    import inbox_app.ui.dialogs as dialogs

    shown = []

    async def user_cancels(dialog):
        shown.append(dialog.objectName())
        return 0

    monkeypatch.setattr(dialogs, "ask", user_cancels)
    ids = three_threads(admin, window, qtbot)
    window.select_conversation(ids[1])
    activate(window, qtbot)
    qtbot.keyClick(window.thread_list, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: shown == ["printPreviewDialog"], timeout=5000)


def test_up_and_down_move_through_threads_from_the_list_search_and_compose(admin, window, qtbot):
    ids = three_threads(admin, window, qtbot)
    activate(window, qtbot)

    # From the search box: Down walks into the list and opens the first thread.
    window.search_edit.setFocus()
    qtbot.keyClick(window.search_edit, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: window.current_id == ids[0], timeout=3000)
    qtbot.keyClick(window.search_edit, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: window.current_id == ids[1], timeout=3000)
    qtbot.keyClick(window.search_edit, Qt.Key.Key_Up)
    qtbot.waitUntil(lambda: window.current_id == ids[0], timeout=3000)

    # In the list: plain Up/Down.
    window.thread_list.setFocus()
    qtbot.keyClick(window.thread_list, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: window.current_id == ids[1], timeout=3000)
    qtbot.keyClick(window.thread_list, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: window.current_id == ids[2], timeout=3000)
    qtbot.keyClick(window.thread_list, Qt.Key.Key_Up)
    qtbot.waitUntil(lambda: window.current_id == ids[1], timeout=3000)

    # From the compose box, Alt+Up/Down (plain arrows move the text cursor there).
    window.compose.edit.setFocus()
    window.compose.set_text("first line\nsecond line")
    qtbot.keyClick(window.compose.edit, Qt.Key.Key_Up)
    assert window.current_id == ids[1]
    qtbot.keyClick(window.compose.edit, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: window.current_id == ids[2], timeout=3000)
    qtbot.keyClick(window.compose.edit, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: window.current_id == ids[1], timeout=3000)
    assert window.thread_list.currentIndex().row() == 1
