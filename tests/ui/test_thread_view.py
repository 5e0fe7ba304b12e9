"""The thread: older pages as you scroll up, retry of a failed text, day headers, dark theme."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from inbox_app.models import tables as t
from inbox_app.models.schemas import MessageOut
from inbox_app.ui.thread_view import WINDOW, MessageListModel
from tests.ui.helpers import compose, inbound, messages

MARIA = "+12025550111"


def test_scrolling_to_the_top_loads_older_messages(server, window, qtbot):
    for i in range(65):
        inbound(server, MARIA, f"message {i}")
    qtbot.waitUntil(lambda: window.list_model.rowCount() == 1, timeout=5000)
    window.select_conversation(window.list_model.conversation(0).id)
    model = window.thread_model
    qtbot.waitUntil(lambda: len(model.messages()) == 50 and model.has_more, timeout=5000)
    assert model.messages()[-1].body == "message 64"

    bar = window.message_view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() == bar.maximum(), timeout=3000)
    bar.setValue(bar.minimum())
    qtbot.waitUntil(lambda: len(model.messages()) == 65, timeout=5000)
    assert model.messages()[0].body == "message 0"
    assert not model.has_more
    # What was being read stays put: the view did not jump to the new top rows.
    qtbot.waitUntil(lambda: bar.value() > bar.minimum(), timeout=3000)


def test_a_failed_text_shows_the_carriers_reason_and_can_be_retried(server, admin, window, qtbot):
    conversation = compose(admin, MARIA)
    sent = admin.post(
        f"/api/v1/conversations/{conversation['id']}/messages", json={"body": "Call us back"}
    ).json()
    qtbot.waitUntil(
        lambda: messages(admin, conversation["id"])[0]["status"] == "delivered", timeout=5000
    )
    with server.app.state.sessionmaker() as session, session.begin():
        session.execute(
            update(t.Message)
            .where(t.Message.id == sent["id"])
            .values(status="failed", error_code="30003", error_text="Unreachable destination")
        )
    # The list learns of the new thread from the stream, which may come after the carrier's answer.
    qtbot.waitUntil(lambda: window.select_conversation(conversation["id"]), timeout=5000)
    model = window.thread_model
    qtbot.waitUntil(
        lambda: (
            model.message(sent["id"]) is not None and model.message(sent["id"]).status == "failed"
        ),
        timeout=5000,
    )
    failed = model.message(sent["id"])
    assert failed.error == "Unreachable destination"

    window._message_action("retry", failed)
    qtbot.waitUntil(lambda: len(model.messages()) == 2, timeout=5000)
    qtbot.waitUntil(lambda: model.messages()[-1].status == "delivered", timeout=8000)
    assert [m["body"] for m in messages(admin, conversation["id"])] == ["Call us back"] * 2


def make(id_: int, when: datetime, body: str = "hi") -> MessageOut:
    return MessageOut(
        id=id_,
        conversation_id=1,
        direction="inbound",
        body=body,
        status="received",
        segments=1,
        encoding="GSM-7",
        created_at=when,
    )


def test_day_headers_appear_where_the_day_changes(qtbot):
    model = MessageListModel()
    day = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    model.set_thread(
        1,
        [make(1, day), make(2, day + timedelta(minutes=5)), make(3, day + timedelta(days=1))],
        False,
    )
    headers = [model.index(r).data(MessageListModel.DayHeaderRole) for r in range(3)]
    assert headers == [True, False, True]


def test_a_huge_thread_lays_out_only_its_newest_rows(qtbot):
    model = MessageListModel()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    model.set_thread(1, [make(i, start + timedelta(minutes=i)) for i in range(1, 5001)], False)
    assert model.rowCount() == WINDOW
    assert model.hidden_older() == 5000 - WINDOW
    assert model.reveal_older(50) == 50
    assert model.rowCount() == WINDOW + 50


def test_dark_palette_paints_the_window(window, qtbot, qapp, artifacts_dir, server, admin):
    from inbox_app.ui import theme

    conversation = compose(admin, MARIA)
    inbound(server, MARIA, "Is the hearing still on Monday?")
    qtbot.waitUntil(lambda: window.list_model.row_of(conversation["id"]) >= 0, timeout=5000)
    window.select_conversation(conversation["id"])
    qtbot.waitUntil(lambda: len(window.thread_model.messages()) == 1, timeout=5000)
    try:
        applied = theme.apply(qapp, dark=True)
        window.refresh_icons()
        assert applied.is_dark and theme.current() is theme.DARK
        assert qapp.palette().window().color().lightness() < 60
        image = window.grab().toImage()
        assert image.pixelColor(900, 300).lightness() < 80  # the thread's background
        # A notification card in the dark theme is dark too (it used to stay white).
        window.notifier.player.command = []
        window.notifier.show(conversation["id"], "Maria Lopez", "Running 10 minutes late")
        toast = window.notifier.toast
        qtbot.waitUntil(toast.isVisible)
        card = toast.grab().toImage()
        assert card.pixelColor(card.width() // 2, card.height() - 5).lightness() < 80
        window.grab().save(str(artifacts_dir / "main_window_dark.png"))
    finally:
        theme.apply(qapp, dark=False)
        window.refresh_icons()


def test_send_later_schedules_the_text_for_the_chosen_morning(admin, window, qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QPushButton

    conversation = compose(admin, MARIA)
    qtbot.waitUntil(lambda: window.list_model.row_of(conversation["id"]) >= 0, timeout=5000)
    window.select_conversation(conversation["id"])
    qtbot.waitUntil(lambda: window.current_id == conversation["id"], timeout=3000)
    qtbot.keyClicks(window.compose.edit, "Your hearing is tomorrow at 9")
    qtbot.mouseClick(window.compose.send_later_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.compose.send_later_dialog is not None, timeout=3000)
    dialog = window.compose.send_later_dialog
    qtbot.mouseClick(dialog.findChild(QPushButton, "tomorrowButton"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.findChild(QPushButton, "scheduleButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.thread_model.messages()) == 1, timeout=5000)
    scheduled = window.thread_model.messages()[0]
    assert scheduled.status == "scheduled"
    assert scheduled.send_at > datetime.now(UTC) + timedelta(hours=1)
    assert window.compose.text() == ""
