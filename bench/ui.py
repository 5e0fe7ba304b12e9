"""UI benchmark (offscreen, run by hand): `python bench/ui.py [--conversations N] [--messages N]`.

5,000 conversations in the inbox list and one thread of 20,000 messages, fed to the models
directly from generated wire schemas (no server). Each figure is also given as a ratio to a
plain QListView with a trivial model of the same size, measured the same way in the same run;
memory as the resident size with our views against the resident size with only the plain
baselines shown (same process, same generated data already in memory).
Targets: opening the big thread < 150 ms, RSS < 300 MB.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import body as sentence
from PySide6.QtCore import QAbstractListModel, QEvent, QModelIndex, QObject, Qt
from PySide6.QtWidgets import QApplication, QListView

from inbox_app.models.schemas import ConversationOut, MediaOut, MessageOut

N_CONVERSATIONS = 5_000
N_MESSAGES = 20_000


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def conversations(rng: random.Random) -> list[ConversationOut]:
    now = datetime.now(UTC)
    return [
        ConversationOut(
            id=i + 1,
            phone=f"+1202{i:07d}",
            contact_name=f"Client {i}" if i % 3 else None,
            matter=f"Matter {i}" if i % 2 else None,
            last_message=sentence(rng),
            last_message_at=now - timedelta(minutes=i * 7),
            unread_count=rng.choice([0, 0, 0, 1, 3]),
            muted=i % 11 == 0,
        )
        for i in range(N_CONVERSATIONS)
    ]


def messages(rng: random.Random) -> list[MessageOut]:
    start = datetime.now(UTC) - timedelta(minutes=N_MESSAGES * 13)
    out = []
    for i in range(N_MESSAGES):
        outbound = rng.random() < 0.5
        media = []
        if i % 97 == 0:
            media = [MediaOut(id=i, content_type="image/jpeg", size=1000, width=640, height=480)]
        out.append(
            MessageOut(
                id=i + 1,
                conversation_id=1,
                direction="outbound" if outbound else "inbound",
                body=sentence(rng),
                status="delivered" if outbound else "received",
                segments=1,
                encoding="GSM-7",
                created_at=start + timedelta(minutes=13 * i),
                sent_by="Dana Whitfield" if outbound else None,
                media=media,
            )
        )
    return out


class PlainModel(QAbstractListModel):
    """The baseline: N rows of text, the default delegate."""

    def __init__(self, rows: int) -> None:
        super().__init__()
        self.rows = rows

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else self.rows

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            return f"row {index.row()}"
        return None


class PaintWatcher(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.painted = False

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.painted = True
        return False


def until_painted(app: QApplication, view: QListView, started: float) -> float:
    watcher = PaintWatcher()
    view.viewport().installEventFilter(watcher)
    deadline = time.perf_counter() + 30
    while not watcher.painted and time.perf_counter() < deadline:
        app.processEvents()
    # Painting happens inside processEvents; the paint event has been handled once it returns.
    app.processEvents()
    view.viewport().removeEventFilter(watcher)
    return (time.perf_counter() - started) * 1000


def first_paint(app: QApplication, view: QListView, fill) -> float:
    view.resize(420, 900)
    started = time.perf_counter()
    fill()
    view.show()
    return until_painted(app, view, started)


def scroll_to_top(app: QApplication, view: QListView) -> float:
    started = time.perf_counter()
    view.scrollToTop()
    view.viewport().update()
    return until_painted(app, view, started)


def repaint(app: QApplication, view: QListView, change) -> float:
    """Milliseconds from `change()` to the view's next paint."""
    started = time.perf_counter()
    change()
    view.viewport().update()
    return until_painted(app, view, started)


def main() -> int:
    global N_CONVERSATIONS, N_MESSAGES
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=N_CONVERSATIONS)
    parser.add_argument("--messages", type=int, default=N_MESSAGES)
    args = parser.parse_args()
    N_CONVERSATIONS, N_MESSAGES = args.conversations, args.messages

    from inbox_app.ui.app import make_application
    from inbox_app.ui.thread_list import ThreadListModel, ThreadListView
    from inbox_app.ui.thread_view import PAGE, MessageListModel, MessageView

    app = make_application([sys.argv[0]])
    rng = random.Random(7)
    convs = conversations(rng)
    msgs = messages(rng)
    base_rss = rss_mb()

    # Baselines: a plain QListView over a trivial model of the same size.
    plain_list = QListView()
    list_base = first_paint(app, plain_list, lambda: plain_list.setModel(PlainModel(len(convs))))
    plain_thread = QListView()
    plain_thread.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
    thread_base = first_paint(
        app,
        plain_thread,
        lambda: (plain_thread.setModel(PlainModel(len(msgs))), plain_thread.scrollToBottom()),
    )
    top_base = scroll_to_top(app, plain_thread)
    plain_rss = rss_mb()  # resident size with the plain baselines on screen

    # Ours.
    list_model = ThreadListModel()
    list_view = ThreadListView()
    list_view.setModel(list_model)
    list_ms = first_paint(app, list_view, lambda: list_model.set_conversations(convs))

    thread_model = MessageListModel()
    thread_view = MessageView()
    thread_view.setModel(thread_model)
    # As the window does: the top of the thread reveals the next page of loaded messages.
    thread_view.older_wanted.connect(lambda: thread_model.reveal_older(PAGE))
    thread_view.resize(820, 900)
    thread_ms = first_paint(
        app,
        thread_view,
        lambda: (thread_model.set_thread(1, msgs, False), thread_view.scroll_to_end()),
    )
    top_ms = scroll_to_top(app, thread_view)
    shown_after_top = thread_model.rowCount()
    # Opening at a search hit in the middle: the page the server answers for ?around=<hit>
    # (as the window's navigator does: set the page, mark the hit, bring it to the middle).
    hit = msgs[len(msgs) // 2]
    around = msgs[len(msgs) // 2 - PAGE // 2 : len(msgs) // 2 + PAGE // 2]
    hit_ms = repaint(
        app,
        thread_view,
        lambda: (
            thread_model.set_thread(1, around, True, True),
            thread_model.set_highlight(hit.id),
            thread_view.scroll_to_message(hit.id),
        ),
    )
    hit_row = thread_model.row_of(hit.id)
    hit_shown = (
        thread_view.viewport()
        .rect()
        .intersects(thread_view.visualRect(thread_model.index(hit_row)))
    )
    # Jumping to the first message: the page of ?after=0, at the top.
    first_ms = repaint(
        app,
        thread_view,
        lambda: (
            thread_model.set_thread(1, msgs[:PAGE], False, True),
            thread_model.set_highlight(None),
            thread_view.scrollToTop(),
        ),
    )
    rss = rss_mb()
    for view in (list_view, thread_view, plain_list, plain_thread):
        view.close()
        view.deleteLater()
    app.processEvents()

    def ratio(ours: float, base: float) -> str:
        return f"{ours / base:.2f}x" if base > 0 else "n/a"

    print(f"Inbox UI benchmark ({N_CONVERSATIONS:,} conversations, {N_MESSAGES:,} messages)")
    print(
        f"  list first paint         {list_ms:8.1f} ms   plain QListView {list_base:7.1f} ms"
        f"   ratio {ratio(list_ms, list_base)}"
    )
    print(
        f"  open the big thread      {thread_ms:8.1f} ms   plain QListView {thread_base:7.1f} ms"
        f"   ratio {ratio(thread_ms, thread_base)}   (target < 150 ms)"
    )
    print(
        f"  scroll to top (reveals older rows: {shown_after_top:,} shown)"
        f" {top_ms:6.1f} ms   plain QListView {top_base:7.1f} ms"
        f"   ratio {ratio(top_ms, top_base)}"
    )
    print(
        f"  open at a hit in the middle {hit_ms:5.1f} ms   (its page of {len(around)}, marked,"
        f" {'in view' if hit_shown else 'NOT IN VIEW'}; target < 150 ms with the server's"
        " around= answer, bench/history.py)"
    )
    print(
        f"  jump to the first message   {first_ms:5.1f} ms   (the after=0 page; target < 150 ms"
        " with the server's answer)"
    )
    print(
        f"  RSS                      {rss:8.1f} MB   plain QListView {plain_rss:7.1f} MB"
        f"   ratio {ratio(rss, plain_rss)}   (target < 300 MB)"
    )
    print(
        f"    our views add {rss - plain_rss:.1f} MB; the plain baselines added"
        f" {plain_rss - base_rss:.1f} MB to the {base_rss:.1f} MB of app and generated data"
    )
    ok = thread_ms < 150 and hit_ms < 150 and first_ms < 150 and hit_shown and rss < 300
    print("  targets met" if ok else "  TARGETS MISSED")
    # Skip interpreter teardown: Python would free Qt objects after the QApplication.
    sys.stdout.flush()
    os._exit(0 if ok else 1)


if __name__ == "__main__":
    sys.exit(main())
