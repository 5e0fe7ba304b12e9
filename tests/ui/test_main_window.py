"""The main window against the real backend: list, filters, thread, sending, live updates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt

from tests.ui.helpers import compose, inbound, messages, photo

MARIA = "+12025550111"
JAMES = "+12025550112"


def rows(window) -> list[str]:
    return [c.phone for c in window.list_model.conversations()]


def test_list_shows_my_conversations_and_the_unread_filter(server, admin, window, qtbot):
    inbound(server, MARIA, "Hello from Maria")
    inbound(server, JAMES, "Hello from James")
    qtbot.waitUntil(lambda: set(rows(window)) == {MARIA, JAMES}, timeout=5000)
    james = next(c for c in window.list_model.conversations() if c.phone == JAMES)
    admin.post(f"/api/v1/conversations/{james.id}/read")
    qtbot.waitUntil(lambda: window.list_model.by_id(james.id).unread_count == 0, timeout=5000)
    assert window.thread_list.objectName() == "threadList"

    qtbot.mouseClick(window.unread_toggle, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: rows(window) == [MARIA], timeout=5000)
    maria = window.list_model.conversation(0)
    assert maria.unread_count == 1 and maria.last_message == "Hello from Maria"

    qtbot.mouseClick(window.unread_toggle, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(rows(window)) == 2, timeout=5000)


def test_search_finds_by_name_number_and_text(server, window, qtbot):
    inbound(server, MARIA, "The receipt is attached")
    inbound(server, JAMES, "See you Thursday")
    qtbot.waitUntil(lambda: len(rows(window)) == 2, timeout=5000)
    window.set_query("thursday")
    qtbot.waitUntil(lambda: rows(window) == [JAMES], timeout=5000)
    window.set_query("555-0111")
    qtbot.waitUntil(lambda: rows(window) == [MARIA], timeout=5000)
    window.set_query("")
    qtbot.waitUntil(lambda: len(rows(window)) == 2, timeout=5000)


def test_opening_a_thread_shows_its_messages_and_marks_it_read(server, window, qtbot):
    inbound(server, MARIA, "First")
    inbound(server, MARIA, "Second")
    qtbot.waitUntil(lambda: rows(window) == [MARIA], timeout=5000)
    conversation = window.list_model.conversation(0)
    qtbot.waitUntil(lambda: window.list_model.conversation(0).unread_count == 2, timeout=5000)

    window.select_conversation(conversation.id)
    model = window.thread_model
    qtbot.waitUntil(lambda: [m.body for m in model.messages()] == ["First", "Second"], timeout=5000)
    assert window.message_view.objectName() == "messageView"
    assert model.rowCount() == 2
    assert window.thread_title.text() == "(202) 555-0111"
    qtbot.waitUntil(
        lambda: window.list_model.by_id(conversation.id).unread_count == 0, timeout=5000
    )


def test_sending_from_compose_reaches_the_carrier_and_shows_delivered(server, admin, window, qtbot):
    conversation = compose(admin, MARIA)
    qtbot.waitUntil(lambda: window.list_model.row_of(conversation["id"]) >= 0, timeout=5000)
    window.select_conversation(conversation["id"])
    qtbot.waitUntil(
        lambda: window.compose.edit.isEnabled() and not window.compose.edit.isReadOnly(),
        timeout=5000,
    )
    edit = window.findChild(type(window.compose.edit), "composeEdit")
    qtbot.keyClicks(edit, "See you at 3")
    qtbot.keyClick(edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(edit, "Bring the receipt")
    assert window.compose.text() == "See you at 3\nBring the receipt"
    qtbot.keyClick(edit, Qt.Key.Key_Return)

    model = window.thread_model
    qtbot.waitUntil(
        lambda: any(m.body == "See you at 3\nBring the receipt" for m in model.messages()),
        timeout=5000,
    )
    assert window.compose.text() == ""
    qtbot.waitUntil(lambda: model.messages()[-1].status == "delivered", timeout=8000)
    sent = messages(admin, conversation["id"])
    assert [m["body"] for m in sent] == ["See you at 3\nBring the receipt"]
    assert sent[0]["status"] == "delivered"
    qtbot.waitUntil(
        lambda: window.list_model.by_id(conversation["id"]).last_message.startswith("See you at 3"),
        timeout=5000,
    )


def test_an_inbound_text_appears_live_with_a_notification(server, admin, window, qtbot):
    conversation = compose(admin, MARIA)
    admin.post(f"/api/v1/conversations/{conversation['id']}/messages", json={"body": "Hi Maria"})
    qtbot.waitUntil(lambda: window.list_model.row_of(conversation["id"]) >= 0, timeout=5000)
    window.select_conversation(conversation["id"])
    qtbot.waitUntil(lambda: len(window.thread_model.messages()) == 1, timeout=5000)

    inbound(server, MARIA, "Thanks, see you then")
    qtbot.waitUntil(
        lambda: [m.body for m in window.thread_model.messages()][-1:] == ["Thanks, see you then"],
        timeout=3000,
    )
    qtbot.waitUntil(lambda: window.last_notification is not None, timeout=3000)
    assert window.last_notification["conversation_id"] == conversation["id"]
    assert window.last_notification["body"] == "Thanks, see you then"
    assert window.last_notification["title"] == "(202) 555-0111"
    qtbot.waitUntil(
        lambda: window.list_model.by_id(conversation["id"]).last_message == "Thanks, see you then",
        timeout=3000,
    )


def test_mms_thumbnail_is_shown_in_the_bubble(server, window, qtbot):
    inbound(server, MARIA, "Photo of the crack", media=[(photo(), "image/jpeg")])
    qtbot.waitUntil(lambda: rows(window) == [MARIA], timeout=5000)
    window.select_conversation(window.list_model.conversation(0).id)
    model = window.thread_model
    qtbot.waitUntil(lambda: len(model.messages()) == 1, timeout=5000)
    media = model.messages()[0].media
    assert len(media) == 1 and media[0].status == "stored"
    qtbot.waitUntil(lambda: model._pixmaps.get(media[0].id) is not None, timeout=5000)
    assert not model._pixmaps[media[0].id].isNull()
    # The thumbnail is cached: a second look does not go to the server.
    assert window.sync.store.image(media[0].id, "thumb")


def test_compose_to_a_new_number_opens_its_thread(server, window, qtbot, run):
    conversation = run(window.start_conversation("(202) 555-0199"))
    assert conversation is not None and conversation.phone == "+12025550199"
    assert window.current_id == conversation.id
    qtbot.waitUntil(lambda: window.list_model.row_of(conversation.id) >= 0, timeout=3000)
    assert window.thread_title.text() == "(202) 555-0199"

    again = run(window.start_conversation("+1 202 555 0199"))
    assert again.id == conversation.id
    assert rows(window).count("+12025550199") == 1


def test_an_invalid_number_is_refused_with_a_sentence(window, run):
    assert run(window.start_conversation("12")) is None
    assert "not a valid mobile number" in window.last_error


def test_schedule_then_cancel(server, admin, window, qtbot, run):
    conversation = compose(admin, JAMES)
    qtbot.waitUntil(lambda: window.list_model.row_of(conversation["id"]) >= 0, timeout=5000)
    window.select_conversation(conversation["id"])
    qtbot.waitUntil(lambda: window.thread_model.conversation_id == conversation["id"], timeout=5000)
    when = datetime.now(UTC) + timedelta(days=2)
    sent = run(window.send(conversation["id"], "Court is on Monday", when))
    assert sent.status == "scheduled"
    model = window.thread_model
    qtbot.waitUntil(lambda: model.message(sent.id) is not None, timeout=3000)

    window._message_action("cancel", model.message(sent.id))
    qtbot.waitUntil(lambda: model.message(sent.id).status == "canceled", timeout=5000)
    assert messages(admin, conversation["id"])[0]["status"] == "canceled"


def test_clicking_a_thumbnail_opens_the_media_viewer(server, window, qtbot):
    from PySide6.QtWidgets import QStyleOptionViewItem

    from inbox_app.ui.thread_view import MessageListModel, compute_layout

    inbound(server, MARIA, "", media=[(photo(), "image/jpeg")])
    qtbot.waitUntil(lambda: rows(window) == [MARIA], timeout=5000)
    window.select_conversation(window.list_model.conversation(0).id)
    model, view = window.thread_model, window.message_view
    qtbot.waitUntil(lambda: len(model.messages()) == 1, timeout=5000)
    index = model.index(0)
    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    rect = view.visualRect(index)
    layout = compute_layout(
        model.messages()[0],
        rect.width(),
        option.font,
        bool(index.data(MessageListModel.DayHeaderRole)),
        rect.top(),
        rect.left(),
    )
    thumb_rect, _media = layout.thumbs[0]
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=thumb_rect.center())
    qtbot.waitUntil(lambda: getattr(window, "media_viewer", None) is not None, timeout=3000)
    assert window.media_viewer.isVisible()
    window.media_viewer.close()


def test_an_image_attached_in_compose_goes_out_as_mms(server, admin, window, qtbot):
    conversation = compose(admin, MARIA)
    qtbot.waitUntil(lambda: window.list_model.row_of(conversation["id"]) >= 0, timeout=5000)
    window.select_conversation(conversation["id"])
    qtbot.waitUntil(lambda: window.current_id == conversation["id"], timeout=3000)
    assert window.compose.attachments.add_bytes("crack.jpg", photo())
    assert window.compose.send_button.isEnabled()  # an image alone may be sent
    qtbot.keyClicks(window.compose.edit, "The photo you asked for")
    qtbot.mouseClick(window.compose.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.thread_model.messages()) == 1, timeout=5000)
    sent = window.thread_model.messages()[0]
    assert sent.body == "The photo you asked for" and len(sent.media) == 1
    assert window.compose.attachments.count() == 0
    assert messages(admin, conversation["id"])[0]["media"][0]["content_type"] == "image/jpeg"


def test_a_text_that_arrives_while_the_thread_loads_is_not_undone_by_the_page(
    server, admin, window, qtbot, run, monkeypatch
):
    """The thread's page is read, then a text arrives over the stream, then the page is shown:
    the page (older than the text) must not take the text off the screen. Held deterministically
    by keeping the page back until the text is shown."""
    import asyncio

    conversation = compose(admin, MARIA)
    admin.post(f"/api/v1/conversations/{conversation['id']}/messages", json={"body": "Hi Maria"})
    qtbot.waitUntil(lambda: window.list_model.row_of(conversation["id"]) >= 0, timeout=5000)
    gate = asyncio.Event()
    read = []
    real = window.sync.messages

    async def held(conversation_id, **kwargs):
        page = await real(conversation_id, **kwargs)
        read.append(page)
        await gate.wait()
        return page

    monkeypatch.setattr(window.sync, "messages", held)
    window.select_conversation(conversation["id"])
    qtbot.waitUntil(lambda: bool(read), timeout=5000)  # the page is read: one text
    assert [m.body for m in read[0].messages] == ["Hi Maria"]

    inbound(server, MARIA, "Arrived meanwhile")
    qtbot.waitUntil(
        lambda: "Arrived meanwhile" in [m.body for m in window.thread_model.messages()],
        timeout=5000,
    )
    with qtbot.waitSignal(window.thread_loaded, timeout=5000):
        gate.set()
    assert [m.body for m in window.thread_model.messages()] == ["Hi Maria", "Arrived meanwhile"]


def test_a_text_that_arrives_while_the_list_reloads_is_not_undone_by_the_listing(
    server, admin, window, qtbot, run, monkeypatch
):
    """As for a thread: a listing read before a text and shown after it keeps the text's
    conversation as the text left it (last message, unread count)."""
    import asyncio

    conversation = compose(admin, MARIA)
    admin.post(f"/api/v1/conversations/{conversation['id']}/messages", json={"body": "Hi Maria"})
    qtbot.waitUntil(
        lambda: (
            (window.list_model.by_id(conversation["id"]) or False)
            and window.list_model.by_id(conversation["id"]).last_message == "Hi Maria"
        ),
        timeout=5000,
    )
    gate = asyncio.Event()
    read = []
    real = window.sync.conversations_page

    async def held(**kwargs):
        listing = await real(**kwargs)
        read.append(listing)
        await gate.wait()
        return listing

    monkeypatch.setattr(window.sync, "conversations_page", held)
    window._spawn(window.refresh_list())
    qtbot.waitUntil(lambda: bool(read), timeout=5000)

    inbound(server, MARIA, "Arrived meanwhile")
    qtbot.waitUntil(
        lambda: window.list_model.by_id(conversation["id"]).last_message == "Arrived meanwhile",
        timeout=5000,
    )
    with qtbot.waitSignal(window.list_loaded, timeout=5000):
        gate.set()
    listed = window.list_model.by_id(conversation["id"])
    assert (listed.last_message, listed.unread_count) == ("Arrived meanwhile", 1)
