"""Finding things in the window: search hits open at the message, find in a thread, jump to a
date or to the first message, and a list that loads more as it is scrolled (issue 12.5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QDate, Qt
from sqlalchemy import update

from inbox_app.models import tables as t
from inbox_app.ui.thread_view import MessageListModel
from tests.ui.helpers import inbound

MARIA = "+12025550111"


def _long_thread(server, count: int = 120, words: dict[int, str] | None = None) -> None:
    words = words or {}
    for i in range(count):
        inbound(server, MARIA, words.get(i, f"message {i}"))


def _highlighted(window) -> int | None:
    model = window.thread_model
    for row in range(model.rowCount()):
        index = model.index(row)
        if index.data(MessageListModel.HighlightRole):
            return index.data(MessageListModel.IdRole)
    return None


def _visible(window, message_id: int) -> bool:
    row = window.thread_model.row_of(message_id)
    if row < 0:
        return False
    rect = window.message_view.visualRect(window.thread_model.index(row))
    return window.message_view.viewport().rect().intersects(rect)


def test_a_search_hit_opens_the_thread_at_the_message_and_marks_it(
    server, window, qtbot, artifacts_dir
):
    _long_thread(server, 120, {60: "Is the zebra crossing near the courthouse annex?"})
    inbound(server, "+12025550122", "Unrelated text")
    qtbot.waitUntil(lambda: window.list_model.rowCount() == 2, timeout=15000)

    window.set_query("zebra")
    qtbot.waitUntil(lambda: window.hit_model.rowCount() == 1, timeout=15000)
    assert window.hit_list.isVisible()
    hit = window.hit_model.hits()[0]
    assert hit.snippet[hit.marks[0][0] : hit.marks[0][1]] == "zebra"
    qtbot.mouseClick(
        window.hit_list.viewport(),
        Qt.MouseButton.LeftButton,
        pos=window.hit_list.visualRect(window.hit_model.index(0)).center(),
    )
    qtbot.waitUntil(lambda: _highlighted(window) == hit.id, timeout=15000)
    model = window.thread_model
    # The page around the hit: older and newer messages exist beyond it, none loaded between.
    assert model.has_more and model.has_more_after
    assert len(model.messages()) <= 50
    qtbot.waitUntil(lambda: _visible(window, hit.id), timeout=8000)
    window.grab().save(str(artifacts_dir / "search-hit.png"))

    # Scrolling to the end loads the newer pages up to the newest message.
    bar = window.message_view.verticalScrollBar()
    for _ in range(5):
        if not model.has_more_after:
            break
        bar.setValue(bar.maximum())
        qtbot.waitUntil(
            lambda: bar.value() < bar.maximum() or not model.has_more_after, timeout=15000
        )
    qtbot.waitUntil(lambda: not model.has_more_after, timeout=15000)
    assert model.messages()[-1].body == "message 119"
    # A new text while at the end lands in the thread.
    inbound(server, MARIA, "one more")
    qtbot.waitUntil(lambda: model.messages()[-1].body == "one more", timeout=15000)


def test_find_in_thread_steps_through_hits_that_are_not_loaded(server, window, qtbot):
    _long_thread(server, 120, {5: "parking A", 60: "parking B", 110: "parking C"})
    qtbot.waitUntil(lambda: window.list_model.rowCount() == 1, timeout=15000)
    window.select_conversation(window.list_model.conversation(0).id)
    qtbot.waitUntil(lambda: len(window.thread_model.messages()) == 50, timeout=15000)

    qtbot.keyClick(
        window.message_view,
        Qt.Key.Key_F,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(window.find_bar.edit.hasFocus, timeout=8000)
    qtbot.keyClicks(window.find_bar.edit, "PARKING")
    qtbot.keyClick(window.find_bar.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.find_bar.count.text() == "1 of 3", timeout=15000)

    def body_of_highlight():
        found = _highlighted(window)
        message = window.thread_model.message(found) if found else None
        return message.body if message else None

    qtbot.waitUntil(lambda: body_of_highlight() == "parking C", timeout=15000)
    qtbot.keyClick(window.find_bar.edit, Qt.Key.Key_Return)  # the next older hit
    qtbot.waitUntil(lambda: body_of_highlight() == "parking B", timeout=15000)
    assert window.find_bar.count.text() == "2 of 3"
    window.find_bar.previous.click()  # up: older
    qtbot.waitUntil(lambda: body_of_highlight() == "parking A", timeout=15000)
    qtbot.waitUntil(lambda: _visible(window, _highlighted(window)), timeout=8000)
    window.find_bar.next.click()  # down: newer
    qtbot.waitUntil(lambda: body_of_highlight() == "parking B", timeout=15000)
    qtbot.keyClick(window.find_bar.edit, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.find_bar.isVisible(), timeout=8000)
    assert _highlighted(window) is None


def test_jump_to_first_message_and_to_a_date(server, window, qtbot, run):
    _long_thread(server, 90)
    qtbot.waitUntil(lambda: window.list_model.rowCount() == 1, timeout=15000)
    conversation_id = window.list_model.conversation(0).id
    # One message a day from 2025-01-01 (noon UTC), so there are dates to jump to.
    with server.app.state.sessionmaker() as session, session.begin():
        ids = list(
            session.scalars(
                t.Message.__table__.select()
                .with_only_columns(t.Message.id)
                .where(t.Message.conversation_id == conversation_id)
                .order_by(t.Message.id)
            )
        )
        for i, message_id in enumerate(ids):
            day = datetime(2025, 1, 1, 12, tzinfo=UTC) + timedelta(days=i)
            session.execute(
                update(t.Message).where(t.Message.id == message_id).values(created_at=day)
            )
    window.select_conversation(conversation_id)
    model = window.thread_model
    qtbot.waitUntil(lambda: len(model.messages()) == 50, timeout=15000)

    window.action_jump_first.trigger()
    qtbot.waitUntil(lambda: model.messages()[0].body == "message 0", timeout=15000)
    assert not model.has_more and model.has_more_after
    bar = window.message_view.verticalScrollBar()
    assert bar.value() == bar.minimum()

    run(window.navigator.jump_to_date(datetime(2025, 2, 15, tzinfo=UTC)))
    found = _highlighted(window)
    assert model.message(found).body == "message 45"  # Feb 15 is day 45
    assert _visible(window, found)

    window.action_jump_latest.trigger()
    qtbot.waitUntil(
        lambda: not model.has_more_after and _highlighted(window) is None, timeout=15000
    )
    assert model.messages()[-1].body == "message 89"

    window.action_jump_date.trigger()
    qtbot.waitUntil(lambda: window.jump_dialog.isVisible(), timeout=8000)
    window.jump_dialog.calendar.setSelectedDate(QDate(2024, 12, 1))
    window.jump_dialog.accept()
    qtbot.waitUntil(
        lambda: (
            _highlighted(window) is not None
            and model.message(_highlighted(window)).body == "message 0"
        ),
        timeout=15000,
    )


def test_the_list_loads_more_as_it_is_scrolled_and_says_how_many(
    server, admin, window, qtbot, monkeypatch, run
):
    import inbox_app.ui.main_window as main_window

    monkeypatch.setattr(main_window, "LIST_PAGE", 10)
    for i in range(25):
        inbound(server, f"+120255501{i:02d}", f"hello {i}")
    assert len(admin.get("/api/v1/conversations").json()) == 25
    run(window.refresh_list())
    # Threads announced by the stream after the first page may be listed early; the count says
    # how many there are in all.
    qtbot.waitUntil(lambda: window._list_total == 25, timeout=15000)
    assert window.list_model.rowCount() >= 10
    assert window.list_count.text().endswith("of 25 conversations")
    bar = window.thread_list.verticalScrollBar()
    while window.list_model.rowCount() < 25:
        rows = window.list_model.rowCount()
        bar.setValue(bar.maximum())
        qtbot.waitUntil(lambda r=rows: window.list_model.rowCount() > r, timeout=15000)
    assert window.list_count.text() == "25 conversations"
    ids = [c.id for c in window.list_model.conversations()]
    assert len(set(ids)) == 25


def test_the_list_scrolls_through_all_5000_conversations(server, admin, window, qtbot, run):
    """A firm's whole inbox: page after page as the list is scrolled to its end, each
    conversation once, the count under the search box saying how many of how many."""
    from sqlalchemy import insert

    total = 5_000
    start = datetime(2022, 1, 1, tzinfo=UTC)
    with server.app.state.sessionmaker() as session, session.begin():
        session.execute(
            insert(t.Conversation),
            [
                {
                    "firm_id": admin.user["firm_id"],
                    "phone": f"+1202{5550000 + i:07d}",
                    "last_message_at": start + timedelta(minutes=i),
                    "last_message_preview": f"hello {i}",
                    "created_at": start,
                }
                for i in range(total)
            ],
        )
    run(window.refresh_list())
    assert window._list_total == total
    first_page = window.list_model.rowCount()
    assert first_page < total
    assert window.list_count.text() == f"{first_page} of 5,000 conversations"
    bar = window.thread_list.verticalScrollBar()
    pages = 1
    while window.list_model.rowCount() < total:
        rows = window.list_model.rowCount()
        end = bar.maximum()
        bar.setValue(end)  # as a person dragging the scroll bar to the end
        qtbot.waitUntil(lambda r=rows: window.list_model.rowCount() > r, timeout=15000)
        # The view lays the new rows out a moment later; then the bar reaches further.
        qtbot.waitUntil(lambda e=end: bar.maximum() > e, timeout=5000)
        pages += 1
        assert pages <= total // first_page + 1
    assert window.list_count.text() == "5,000 conversations"
    phones = [c.phone for c in window.list_model.conversations()]
    assert len(set(phones)) == total
    # Newest activity first, down to the oldest at the end.
    assert phones[0] == f"+1202{5550000 + total - 1:07d}" and phones[-1] == "+12025550000"
