"""Scheduled messages in the thread: edit text and time, a claimed one refused with the server's
sentence, and live reminder changes (a moved court date) reloading the open thread."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import QStyleOptionViewItem
from sqlalchemy import update

from inbox_app.sync.api import StreamEvent
from inbox_app.ui.dialogs import SendLaterDialog
from inbox_app.ui.thread_view import compute_layout
from tests.ui.helpers import compose, in_sending_hours, messages

JAMES = "+12025550112"


def open_thread(window, qtbot, conversation_id: int) -> None:
    qtbot.waitUntil(lambda: window.list_model.row_of(conversation_id) >= 0, timeout=5000)
    window.select_conversation(conversation_id)
    qtbot.waitUntil(lambda: window.thread_model.conversation_id == conversation_id, timeout=5000)


def schedule(window, qtbot, run, conversation_id: int, body: str, days: int = 2):
    sent = run(window.send(conversation_id, body, datetime.now(UTC) + timedelta(days=days)))
    assert sent.status == "scheduled"
    qtbot.waitUntil(lambda: window.thread_model.message(sent.id) is not None, timeout=3000)
    return sent


def click_link(window, qtbot, message_id: int, kind: str) -> None:
    """Click the link (`edit`, `cancel`, …) painted under a bubble."""
    view = window.message_view
    index = window.thread_model.index(window.thread_model.row_of(message_id))
    view.scrollTo(index)
    qtbot.waitUntil(lambda: view.visualRect(index).height() > 0)
    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    rect = view.visualRect(index)
    header = bool(index.data(window.thread_model.DayHeaderRole))
    layout = compute_layout(
        index.data(window.thread_model.MessageRole),
        rect.width(),
        option.font,
        header,
        rect.top(),
        rect.left(),
    )
    target = next(r for r, k, _label in layout.actions if k == kind)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=target.center())


def test_editing_a_scheduled_message_changes_its_text_and_time(admin, window, qtbot, run):
    conversation = compose(admin, JAMES)
    open_thread(window, qtbot, conversation["id"])
    sent = schedule(window, qtbot, run, conversation["id"], "Court is on Monday")

    click_link(window, qtbot, sent.id, "edit")
    qtbot.waitUntil(lambda: window.edit_dialog is not None and window.edit_dialog.isVisible())
    dialog = window.edit_dialog
    assert dialog.body_edit.toPlainText() == "Court is on Monday"
    assert abs((dialog.chosen() - sent.send_at).total_seconds()) < 60
    dialog.body_edit.setPlainText("Court moved to Tuesday, 10 AM")
    assert dialog.counter.text().startswith("29 characters · 1 of 10 segments · GSM-7")
    later = in_sending_hours(days=4)  # a time the server keeps as it is, at any hour of the day
    dialog.edit.setDateTime(QDateTime.fromSecsSinceEpoch(int(later.timestamp())))
    qtbot.mouseClick(dialog.schedule_button, Qt.MouseButton.LeftButton)

    model = window.thread_model
    qtbot.waitUntil(
        lambda: model.message(sent.id).body == "Court moved to Tuesday, 10 AM", timeout=5000
    )
    assert model.message(sent.id).status == "scheduled"
    on_server = messages(admin, conversation["id"])[0]
    assert on_server["body"] == "Court moved to Tuesday, 10 AM"
    assert datetime.fromisoformat(on_server["send_at"]) == later


def test_the_edit_dialog_uses_the_compose_counter_rules(qtbot):
    dialog = SendLaterDialog(None, datetime.now(UTC) + timedelta(days=1), "Hello")
    qtbot.addWidget(dialog)
    assert dialog.schedule_button.isEnabled()
    dialog.body_edit.setPlainText("x" * 1600)  # 11 segments
    assert dialog.counter.text().startswith("Too long: 11 segments")
    assert not dialog.schedule_button.isEnabled()
    dialog.body_edit.setPlainText("   ")
    assert not dialog.schedule_button.isEnabled()
    dialog.body_edit.setPlainText("It\u2019s fine")
    assert "UCS-2" in dialog.counter.text() and dialog.schedule_button.isEnabled()
    # An image-only message may lose its text.
    pictured = SendLaterDialog(None, None, "caption", has_images=True)
    qtbot.addWidget(pictured)
    pictured.body_edit.clear()
    assert pictured.schedule_button.isEnabled()


def test_a_message_already_claimed_by_the_dispatcher_shows_the_servers_sentence(
    server, admin, window, qtbot, run
):
    from inbox_app.models import tables as t

    conversation = compose(admin, JAMES)
    open_thread(window, qtbot, conversation["id"])
    sent = schedule(window, qtbot, run, conversation["id"], "See you at 9")
    with server.app.state.sessionmaker() as session, session.begin():
        session.execute(
            update(t.Message).where(t.Message.id == sent.id).values(claimed_by="worker-2")
        )

    window.edit_scheduled(window.thread_model.message(sent.id))
    dialog = window.edit_dialog
    dialog.body_edit.setPlainText("See you at 10")
    qtbot.mouseClick(dialog.schedule_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=5000)
    assert window.last_error == (
        "Could not change the message: "
        "This message is already being sent; it can no longer be changed."
    )
    assert window.thread_model.message(sent.id).body == "See you at 9"
    assert messages(admin, conversation["id"])[0]["body"] == "See you at 9"


def test_a_moved_court_date_regenerates_the_reminders_in_the_open_thread(admin, window, qtbot):
    client = admin.post("/api/v1/clients", json={"first_name": "James", "last_name": "Okafor"})
    assert client.status_code == 201, client.text
    client_id = client.json()["id"]
    contact = admin.post(f"/api/v1/clients/{client_id}/contacts", json={"phone": JAMES})
    assert contact.status_code == 201, contact.text
    flow = admin.post(
        "/api/v1/flows",
        json={
            "name": "Court",
            "steps": [{"offset_days": -1, "templates": {"en": "Court tomorrow, [EventTime]."}}],
        },
    )
    assert flow.status_code == 201, flow.text
    first = (datetime.now(UTC) + timedelta(days=10)).replace(hour=15, minute=0, microsecond=0)
    event = admin.post(
        "/api/v1/events",
        json={"client_id": client_id, "starts_at": first.isoformat(), "flow_id": flow.json()["id"]},
    )
    assert event.status_code == 201, event.text
    conversation = compose(admin, JAMES)
    open_thread(window, qtbot, conversation["id"])
    model = window.thread_model

    def reminders():
        return [m for m in model.messages() if m.status == "scheduled"]

    qtbot.waitUntil(lambda: len(reminders()) == 1, timeout=5000)
    assert reminders()[0].send_at.date() == (first - timedelta(days=1)).date()

    moved = first + timedelta(days=7)
    patched = admin.patch(
        f"/api/v1/events/{event.json()['id']}", json={"starts_at": moved.isoformat()}
    )
    assert patched.status_code == 200, patched.text
    qtbot.waitUntil(
        lambda: [m.send_at.date() for m in reminders()] == [(moved - timedelta(days=1)).date()],
        timeout=5000,
    )


def test_reminders_changed_reloads_the_open_thread_and_removed_ids_vanish(
    admin, window, sync, qtbot, run
):
    conversation = compose(admin, JAMES)
    open_thread(window, qtbot, conversation["id"])
    kept = schedule(window, qtbot, run, conversation["id"], "Bring your ID")
    run(sync.stop())  # the window hears nothing on its own from here
    added = admin.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        json={
            "body": "Reminder: court Friday",
            "send_at": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
        },
    ).json()
    assert window.thread_model.message(added["id"]) is None

    with qtbot.waitSignal(window.thread_reloaded, timeout=5000):
        sync._handle(
            StreamEvent(
                kind="conversation.updated",
                data={"id": conversation["id"], "reminders_changed": True},
            )
        )
    assert window.thread_model.message(added["id"]).body == "Reminder: court Friday"

    sync._handle(
        StreamEvent(
            kind="conversation.updated",
            data={"id": conversation["id"], "removed_message_ids": [kept.id]},
        )
    )
    assert window.thread_model.message(kept.id) is None
    assert sync.store.message(kept.id) is None


def test_unknown_or_malformed_events_are_ignored(window, sync, qtbot):
    for event in (
        StreamEvent(kind="firm.renamed", data={"name": "New name"}),
        StreamEvent(kind="conversation.updated", data={"reminders_changed": True}),
        StreamEvent(kind="conversation.updated", data={"id": 1, "removed_message_ids": "x"}),
        StreamEvent(kind="credits.changed", data={"balance": None}),
        StreamEvent(kind="message.created", data={"value": [1, 2]}),
        StreamEvent(kind="note.created", data={"value": [1, 2]}),
        StreamEvent(kind="note.pinned", data={"id": 1}),
    ):
        sync._handle(event)  # no exception: the stream keeps going
    assert sync.is_online
