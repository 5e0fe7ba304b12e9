"""Who is replying and who has seen it, in the desktop against the real backend: "bob is
typing…" from another client session, "Seen by bob", my own typing reaching him, and Send
asking "bob replied 40 s ago: send anyway?" (No keeps the draft, Yes sends)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.conftest import PASSWORD, make_user
from tests.ui.helpers import compose, inbound, messages

MARIA = "+12025550131"


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


def test_typing_seen_by_and_a_colleagues_recent_reply(
    server, admin, window, sync, qtbot, qapp, run, tmp_path, artifacts_dir
):
    from inbox_app.sync.session import SyncClient

    make_user(server, "bob")
    bob = SyncClient(server.base_url, cache_dir=tmp_path / "bob", remember=False)
    run(bob.sign_in("bob", PASSWORD))
    bob.start()
    try:
        cid = compose(admin, MARIA)["id"]
        inbound(server, MARIA, "Is my hearing still on Thursday?")
        qtbot.waitUntil(lambda: window.list_model.row_of(cid) >= 0, timeout=5000)
        window.select_conversation(cid)
        line = window.presence_line
        qtbot.waitUntil(lambda: window.thread_model.rowCount() == 1, timeout=5000)
        # I read it on opening; I am not listed (I am looking at it).
        assert line.seen_label.text() == ""

        # Bob opens the thread in his app: my line says so at once.
        run(bob.action(cid, "read"))
        qtbot.waitUntil(lambda: line.seen_label.text() == "Seen by bob", timeout=5000)

        # My desktop has told the server which thread it shows: Bob's typing in another thread
        # never reaches my stream; in this one it does: "bob is typing…" under my thread.
        qtbot.waitUntil(lambda: sync.said_viewing == cid, timeout=5000)
        other = compose(admin, "+12025550132")["id"]
        heard_by_me: list[int] = []
        window.sync.colleague_typing.connect(
            lambda data: heard_by_me.append(data["conversation_id"])
        )
        run(bob.announce_typing(other))
        run(bob.announce_typing(cid))
        qtbot.waitUntil(lambda: line.typing_label.text() == "bob is typing…", timeout=5000)
        assert heard_by_me == [cid]
        _grab(window, qtbot, qapp, artifacts_dir / "thread_typing_seen_by_{theme}.png")

        # My typing reaches Bob (at most once every 3 s), never my own line.
        with qtbot.waitSignal(bob.colleague_typing, timeout=5000) as heard:
            window.compose.edit.setFocus()
            qtbot.keyClicks(window.compose.edit, "Yes, Thursday")
        assert heard.args[0]["user"] == "alice"
        assert heard.args[0]["conversation_id"] == cid
        assert "alice" not in line.typing_names()  # (bob's own may have faded by now: 6 s)

        # Bob's text arrives: he has stopped typing.
        run(bob.send(cid, "Yes, it is still on at 10 AM."))
        qtbot.waitUntil(lambda: line.typing_label.text() == "", timeout=5000)

        # My Send asks first; "Keep the draft" keeps it and sends nothing.
        qtbot.mouseClick(window.compose.send_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.recent_reply_box is not None, timeout=5000)
        box = window.recent_reply_box
        assert box.text().startswith("bob replied ") and box.text().endswith(" ago: send anyway?")
        qtbot.mouseClick(box.escapeButton(), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.compose.text() == "Yes, Thursday", timeout=5000)
        assert [m["body"] for m in messages(admin, cid) if m["direction"] == "outbound"] == [
            "Yes, it is still on at 10 AM."
        ]

        # Asked again, "Send anyway" sends it.
        qtbot.mouseClick(window.compose.send_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.recent_reply_box is not None, timeout=5000)
        send = next(
            b
            for b in window.recent_reply_box.buttons()
            if b.objectName() == "recentReplySendButton"
        )
        qtbot.mouseClick(send, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda: "Yes, Thursday" in [m.body for m in window.thread_model.messages()],
            timeout=5000,
        )
        assert window.compose.text() == ""

        # A new inbound text has been seen by nobody yet; a typing signal fades on its own.
        inbound(server, MARIA, "Thank you both!")
        qtbot.waitUntil(lambda: line.seen_label.text() == "", timeout=5000)
        line.colleague_typing(
            {"conversation_id": cid, "user_id": 999, "display_name": "Dana", "seconds": 0.05}
        )
        assert line.typing_label.text() == "Dana is typing…"
        qtbot.waitUntil(lambda: line.typing_label.text() == "", timeout=3000)
    finally:
        run(bob.close())
