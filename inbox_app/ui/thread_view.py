"""One conversation's messages: a windowed model, a delegate painting chat bubbles, the view.

The model holds every message loaded so far but shows only the newest `WINDOW` rows at first;
scrolling to the top reveals older rows in pages (and asks the server for more when the loaded
ones run out), so opening a thread of tens of thousands of messages lays out a few dozen.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import UTC, datetime

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QKeySequence,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QListView, QStyledItemDelegate, QStyleOptionViewItem

from inbox_app.domain.status import MessageStatus
from inbox_app.domain.status import rank as status_rank
from inbox_app.models.schemas import MediaOut, MessageOut
from inbox_app.ui import strings, theme
from inbox_app.ui.inbox.internal_lines import internal_layout, is_internal, paint_internal
from inbox_app.ui.thread_list import (
    KeyboardFocusRing,
    LiveLog,
    paint_focus_ring,
    shows_focus_ring,
)

_Index = QModelIndex | QPersistentModelIndex

WINDOW = 60
PAGE = 50
PENDING = "pending"


def _local(when: datetime) -> datetime:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone()


def message_time(m: MessageOut) -> datetime:
    """When a message belongs in the thread: sent time, else when it was written."""
    return _local(m.created_at)


def day_label(when: datetime, now: datetime | None = None) -> str:
    now = _local(now or datetime.now(UTC))
    days = (now.date() - when.date()).days
    if days == 0:
        return strings.TODAY
    if days == 1:
        return strings.YESTERDAY
    if 0 < days < 7:
        return when.strftime("%A")
    if when.year == now.year:
        return when.strftime("%A, %B %-d")
    return when.strftime("%B %-d, %Y")


def _later(live: MessageOut, shown: MessageOut) -> bool:
    """Whether a live copy of a message is newer than the one shown: its status further along
    the carrier's path (statuses never go back), or an edit made after the shown one's."""
    try:
        if status_rank(MessageStatus(live.status)) > status_rank(MessageStatus(shown.status)):
            return True
    except ValueError:
        return False
    return live.edited_at is not None and (
        shown.edited_at is None or live.edited_at > shown.edited_at
    )


class MessageListModel(QAbstractListModel):
    """Messages of the open thread, oldest first; the last rows are replies still in the outbox.

    Signals:
      thumbnail_wanted(int media_id): a painted bubble needs this thumbnail.
    """

    MessageRole = Qt.ItemDataRole.UserRole + 1
    DayHeaderRole = Qt.ItemDataRole.UserRole + 2
    IdRole = Qt.ItemDataRole.UserRole + 3
    # True for the message a search hit or find-in-thread points at.
    HighlightRole = Qt.ItemDataRole.UserRole + 4

    thumbnail_wanted = Signal(int)
    # A kept record of a blocked number: no Retry / Edit / Cancel links under its bubbles.
    read_only = False

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.conversation_id: int | None = None
        # The recipient's IANA zone (ConversationOut.time_zone), for "moved to 8:00 AM Eastern".
        self.recipient_zone: str | None = None
        self.has_more = False
        # Newer messages exist beyond the last row (a thread opened at a hit or a date).
        self.has_more_after = False
        self.highlight_id: int | None = None
        # The signed-in user: their own notes show an Edit link for 15 minutes.
        self.my_user_id: int | None = None
        self._messages: list[MessageOut] = []
        self._ids: list[int] = []
        self._first = 0
        self._pending: list[MessageOut] = []
        self._pixmaps: dict[int, QPixmap] = {}
        self._wanted: set[int] = set()
        # Stream events, own sends and edits, per thread (see `mark`).
        self._live = LiveLog()
        # Layout cache for the delegate: (message id, width, header) -> height.
        self.size_cache: dict[tuple, int] = {}

    # --- Qt model API -----------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        if parent.isValid():
            return 0
        return len(self._messages) - self._first + len(self._pending)

    def _at(self, row: int) -> MessageOut | None:
        visible = len(self._messages) - self._first
        if 0 <= row < visible:
            return self._messages[self._first + row]
        if visible <= row < visible + len(self._pending):
            return self._pending[row - visible]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        m = self._at(index.row())
        if m is None:
            return None
        if role == self.MessageRole:
            return m
        if role == self.IdRole:
            return m.id
        if role == self.DayHeaderRole:
            return self._shows_day(index.row())
        if role == self.HighlightRole:
            return m.id == self.highlight_id
        if role == Qt.ItemDataRole.DisplayRole:
            return m.body
        if role == Qt.ItemDataRole.AccessibleTextRole and is_internal(m):
            if m.origin == "system":
                return m.body
            return f"{strings.NOTE_LABEL}, {m.sent_by or strings.NOTE_SOMEONE}: {m.body}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            who = strings.YOU if m.direction == "outbound" else ""
            if m.origin == "auto":
                who = f"{strings.AUTOMATIC_REPLY}:"
            said = f"{who} {m.body} {strings.STATUS.get(m.status, m.status)}".strip()
            note = quiet_hours_note(m, self.recipient_zone)
            return f"{said}. {note}" if note else said
        return None

    def _shows_day(self, row: int) -> bool:
        m = self._at(row)
        if m is None:
            return False
        if row == 0:
            return True
        prev = self._at(row - 1)
        return prev is None or message_time(prev).date() != message_time(m).date()

    # --- loading ------------------------------------------------------------------------------

    def set_thread(
        self,
        conversation_id: int,
        messages: list[MessageOut],
        has_more: bool,
        has_more_after: bool = False,
        since: int | None = None,
    ) -> None:
        """Show a thread: its newest page (or all we have; only the newest WINDOW are laid out),
        or with `has_more_after` a page from its middle (all of it laid out). `since`: the
        `mark()` taken when the page was asked for; live changes after it are applied again."""
        self.beginResetModel()
        self.conversation_id = conversation_id
        self._messages = sorted(messages, key=lambda m: m.id)
        self._ids = [m.id for m in self._messages]
        self._first = 0 if has_more_after else max(0, len(self._messages) - WINDOW)
        self._pending = []
        self.has_more = has_more
        self.has_more_after = has_more_after
        self.highlight_id = None
        self.size_cache.clear()
        self.endResetModel()
        if since is not None:
            self._replay(since)

    def mark(self) -> int:
        """Where the live changes stand now: take it before asking the server for a page, and
        pass it as `since` with the answer, so what arrived in between is applied again."""
        return self._live.mark()

    def _replay(self, since: int) -> None:
        for conversation_id, kind, payload in self._live.since(since):
            if conversation_id != self.conversation_id:
                continue
            if kind == "remove":
                self._remove_ids(payload)
                continue
            # A message the page has too: the page may be the newer one (read after the change
            # was announced); the live one wins only when it is further along or edited later.
            shown = self.message(payload.id)
            if shown is None or _later(payload, shown):
                self._upsert(payload)

    def clear(self) -> None:
        self.beginResetModel()
        self.conversation_id = None
        self._messages, self._ids, self._pending = [], [], []
        self._first = 0
        self.has_more = self.has_more_after = False
        self.highlight_id = None
        self.endResetModel()

    def hidden_older(self) -> int:
        """Loaded messages not yet shown above the first row."""
        return self._first

    def oldest_id(self) -> int | None:
        return self._ids[0] if self._ids else None

    def reveal_older(self, count: int = PAGE) -> int:
        """Show up to `count` loaded older messages above the first row; returns how many."""
        count = min(count, self._first)
        if count <= 0:
            return 0
        self.beginInsertRows(QModelIndex(), 0, count - 1)
        self._first -= count
        self.endInsertRows()
        self._header_maybe_changed(count)
        return count

    def prepend_page(self, messages: list[MessageOut], has_more: bool) -> int:
        """Older messages fetched from the server, shown above the first row."""
        self.has_more = has_more
        older = sorted(
            (
                m
                for m in messages
                if m.conversation_id == self.conversation_id
                and (not self._ids or m.id < self._ids[0])
            ),
            key=lambda m: m.id,
        )
        if not older:
            return 0
        if self._first:
            # Hidden loaded rows sit between; show them first so the order stays continuous.
            self.reveal_older(self._first)
        self.beginInsertRows(QModelIndex(), 0, len(older) - 1)
        self._messages[0:0] = older
        self._ids[0:0] = [m.id for m in older]
        self.endInsertRows()
        self._header_maybe_changed(len(older))
        return len(older)

    def newest_id(self) -> int | None:
        return self._ids[-1] if self._ids else None

    def append_page(self, messages: list[MessageOut], has_more_after: bool) -> int:
        """Newer messages fetched from the server (a thread opened in its middle), at the end."""
        self.has_more_after = has_more_after
        newer = sorted(
            (
                m
                for m in messages
                if m.conversation_id == self.conversation_id
                and (not self._ids or m.id > self._ids[-1])
            ),
            key=lambda m: m.id,
        )
        if not newer:
            return 0
        start = len(self._messages) - self._first
        self.beginInsertRows(QModelIndex(), start, start + len(newer) - 1)
        self._messages.extend(newer)
        self._ids.extend(m.id for m in newer)
        self.endInsertRows()
        return len(newer)

    def set_highlight(self, message_id: int | None) -> None:
        """Mark one message (a search hit); None clears the mark."""
        old, self.highlight_id = self.highlight_id, message_id
        for changed in (old, message_id):
            row = self.row_of(changed) if changed is not None else -1
            if row >= 0:
                index = self.index(row)
                self.dataChanged.emit(index, index, [self.HighlightRole])

    def _header_maybe_changed(self, row: int) -> None:
        # The old first row may lose its day header now that older rows sit above it.
        if row < self.rowCount():
            index = self.index(row)
            self.dataChanged.emit(index, index, [self.DayHeaderRole])

    def upsert(self, message: MessageOut) -> None:
        """A new or changed message of this thread (stream event or own send)."""
        if message.conversation_id != self.conversation_id:
            return
        self._live.record(self.conversation_id, "upsert", message)
        self._upsert(message)

    def _upsert(self, message: MessageOut) -> None:
        if message.conversation_id != self.conversation_id:
            return
        pos = bisect.bisect_left(self._ids, message.id)
        if pos < len(self._ids) and self._ids[pos] == message.id:
            self._messages[pos] = message
            if pos >= self._first:
                index = self.index(pos - self._first)
                self.dataChanged.emit(index, index)
            return
        if pos == len(self._ids) and self.has_more_after:
            # Newer than a page from the middle: it comes with the newer pages.
            return
        if pos < self._first:
            # Older than what is shown: keep it loaded, it appears when scrolled to.
            self._messages.insert(pos, message)
            self._ids.insert(pos, message.id)
            self._first += 1
            return
        row = pos - self._first
        self.beginInsertRows(QModelIndex(), row, row)
        self._messages.insert(pos, message)
        self._ids.insert(pos, message.id)
        self.endInsertRows()
        self._header_maybe_changed(row + 1)

    def remove_ids(self, message_ids) -> int:
        """Drop messages the server removed; returns how many were here."""
        message_ids = list(message_ids)
        self._live.record(self.conversation_id, "remove", message_ids)
        return self._remove_ids(message_ids)

    def _remove_ids(self, message_ids) -> int:
        removed = 0
        for message_id in sorted(set(message_ids), reverse=True):
            pos = bisect.bisect_left(self._ids, message_id)
            if pos >= len(self._ids) or self._ids[pos] != message_id:
                continue
            if pos < self._first:
                del self._messages[pos], self._ids[pos]
                self._first -= 1
            else:
                row = pos - self._first
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._messages[pos], self._ids[pos]
                self.endRemoveRows()
                self._header_maybe_changed(row)
            removed += 1
        return removed

    def replace_newest(
        self, messages: list[MessageOut], has_more: bool, since: int | None = None
    ) -> None:
        """The server's newest page again: update, add, and drop what it no longer has.

        Loaded messages older than the page are kept (only the page's range is compared).
        `since`: as for set_thread.
        """
        fresh = sorted(
            (m for m in messages if m.conversation_id == self.conversation_id), key=lambda m: m.id
        )
        if has_more and fresh:
            gone = [i for i in self._ids if i >= fresh[0].id]
        else:
            gone = list(self._ids)
            self.has_more = has_more
        keep = {m.id for m in fresh}
        self._remove_ids([i for i in gone if i not in keep])
        for m in fresh:
            self._upsert(m)
        if since is not None:
            self._replay(since)

    def set_pending(self, pending: list[MessageOut]) -> None:
        """Replace the outbox rows shown after the last message."""
        start = len(self._messages) - self._first
        if self._pending:
            self.beginRemoveRows(QModelIndex(), start, start + len(self._pending) - 1)
            self._pending = []
            self.endRemoveRows()
        if pending:
            self.beginInsertRows(QModelIndex(), start, start + len(pending) - 1)
            self._pending = list(pending)
            self.endInsertRows()

    def messages(self) -> list[MessageOut]:
        return list(self._messages)

    def message(self, message_id: int) -> MessageOut | None:
        pos = bisect.bisect_left(self._ids, message_id)
        if pos < len(self._ids) and self._ids[pos] == message_id:
            return self._messages[pos]
        return None

    def row_of(self, message_id: int) -> int:
        pos = bisect.bisect_left(self._ids, message_id)
        if pos < len(self._ids) and self._ids[pos] == message_id and pos >= self._first:
            return pos - self._first
        return -1

    # --- thumbnails ---------------------------------------------------------------------------

    def thumbnail(self, media_id: int) -> QPixmap | None:
        """The cached thumbnail, or None (and a request for it, once)."""
        pixmap = self._pixmaps.get(media_id)
        if pixmap is None and media_id not in self._wanted:
            self._wanted.add(media_id)
            self.thumbnail_wanted.emit(media_id)
        return pixmap

    def set_thumbnail(self, media_id: int, pixmap: QPixmap) -> None:
        self._pixmaps[media_id] = pixmap
        for row in range(self.rowCount() - 1, -1, -1):
            m = self._at(row)
            if m is not None and any(media.id == media_id for media in m.media):
                index = self.index(row)
                self.dataChanged.emit(index, index)

    def thumbnail_failed(self, media_id: int) -> None:
        # Let a later paint ask again (e.g. after reconnecting).
        self._wanted.discard(media_id)


# --- bubble geometry shared by paint, sizeHint and clicks ------------------------------------


@dataclass
class BubbleLayout:
    header: QRect | None
    bubble: QRect
    text: QRect
    thumbs: list[tuple[QRect, MediaOut]] = field(default_factory=list)
    meta: QRect = field(default_factory=QRect)
    # Why the server moved a scheduled text (quiet hours), wrapped under the status line.
    note: QRect | None = None
    note_text: str = ""
    # The links after the status line: (rect, kind, label), e.g. "edit" and "cancel".
    actions: list[tuple[QRect, str, str]] = field(default_factory=list)
    height: int = 0

    @property
    def action(self) -> QRect | None:
        return self.actions[0][0] if self.actions else None

    @property
    def action_kind(self) -> str | None:
        return self.actions[0][1] if self.actions else None


HEADER_H = 34
MARGIN_X = 18
GAP_Y = 6
PAD_X = 12
PAD_Y = 8
META_H = 18
THUMB_MAX_W = 240
THUMB_MAX_H = 200
RADIUS = 16


def _fonts(base: QFont) -> tuple[QFont, QFont, QFont]:
    body = QFont(base)
    body.setPointSizeF(base.pointSizeF() * 1.02)
    meta = QFont(base)
    meta.setPointSizeF(base.pointSizeF() * 0.84)
    header = QFont(base)
    header.setPointSizeF(base.pointSizeF() * 0.84)
    header.setWeight(QFont.Weight.DemiBold)
    return body, meta, header


def thumb_size(media: MediaOut) -> QSize:
    w, h = media.width or 4, media.height or 3
    scale = min(THUMB_MAX_W / w, THUMB_MAX_H / h, 1.0 if w > 40 else THUMB_MAX_W / w)
    return QSize(max(60, int(w * scale)), max(48, int(h * scale)))


TILE = 150


def _tile_offsets(media: list[MediaOut]) -> list[tuple[QRect, MediaOut]]:
    if len(media) == 1:
        size = thumb_size(media[0])
        return [(QRect(0, 0, size.width(), size.height()), media[0])]
    return [
        (QRect((i % 2) * (TILE + 4), (i // 2) * (TILE + 4), TILE, TILE), item)
        for i, item in enumerate(media)
    ]


def quiet_hours_note(m: MessageOut, zone: str | None) -> str:
    """ "Moved to 8:00 AM Eastern: the client's quiet hours end then", while it waits."""
    if m.status != "scheduled" or m.send_at_reason != "quiet_hours" or m.send_at is None:
        return ""
    from inbox_app.ui.times import moved_note

    return moved_note(m.requested_send_at, m.send_at, zone)


def meta_text(m: MessageOut) -> tuple[str, list[tuple[str, str]]]:
    """Text under a bubble, and the action links it offers: [(label, kind), …]."""
    t = message_time(m).strftime("%-I:%M %p")
    parts: list[str] = []
    if m.direction == "outbound":
        if m.sent_by:
            parts.append(m.sent_by)
        if m.origin == "flow":
            parts.append(strings.REMINDER)
        elif m.origin == "auto":
            parts.append(strings.AUTOMATIC_REPLY)
        if m.status == "scheduled" and m.send_at:
            parts.append(
                strings.SCHEDULED_FOR.format(
                    when=_local(m.send_at).strftime("%a %b %-d, %-I:%M %p")
                )
            )
            return " · ".join(parts), [
                (strings.EDIT_SCHEDULED, "edit"),
                (strings.CANCEL_SCHEDULED, "cancel"),
            ]
        parts.append(t)
        if m.status in ("failed", "undelivered"):
            reason = m.error or strings.STATUS[m.status]
            parts.append(strings.FAILED_REASON.format(reason=reason))
            return " · ".join(parts), [(strings.RETRY, "retry")]
        if m.status == "held" and m.held_reason:
            parts.append(m.held_reason)
        else:
            label = strings.STATUS.get(m.status, m.status)
            if label:
                parts.append(label)
        if m.status == PENDING and m.error:
            parts.append(m.error)
            return " · ".join(parts), [(strings.DISCARD, "discard")]
    else:
        parts.append(t)
    return " · ".join(parts), []


def compute_layout(
    m: MessageOut,
    width: int,
    base: QFont,
    show_header: bool,
    top: int = 0,
    left: int = 0,
    *,
    actions: bool = True,
    zone: str | None = None,
    me: int | None = None,
) -> BubbleLayout:
    body_font, meta_font, _ = _fonts(base)
    fm = QFontMetrics(body_font)
    mfm = QFontMetrics(meta_font)
    y = top
    header = None
    if show_header:
        header = QRect(left, y, width, HEADER_H)
        y += HEADER_H
    y += GAP_Y
    if is_internal(m):
        return internal_layout(m, width, base, header, y, top, left, me, actions)
    max_bubble = max(120, min(560, int(width * 0.68)))
    max_text = max_bubble - 2 * PAD_X
    text_size = QSize(0, 0)
    if m.body:
        r = fm.boundingRect(
            QRect(0, 0, max_text, 100_000),
            int(Qt.TextFlag.TextWordWrap) | int(Qt.AlignmentFlag.AlignLeft),
            m.body,
        )
        text_size = QSize(min(max_text, r.width() + 1), r.height())
    # One image keeps its shape; several sit in a grid of square tiles, two per row.
    tiles = _tile_offsets(m.media)
    grid_w = max((r.right() + 1 for r, _ in tiles), default=0)
    grid_h = max((r.bottom() + 1 for r, _ in tiles), default=0)
    content_w = max(text_size.width(), grid_w)
    meta, links = meta_text(m)
    if not actions:
        links = []
    bubble_w = max(content_w + 2 * PAD_X, 48)
    thumbs_h = grid_h + (6 if tiles and m.body else 0)
    bubble_h = PAD_Y * 2 + thumbs_h + text_size.height()
    bubble_h = max(bubble_h, fm.height() + 2 * PAD_Y)
    outgoing = m.direction == "outbound"
    x = left + width - MARGIN_X - bubble_w if outgoing else left + MARGIN_X
    bubble = QRect(x, y, bubble_w, bubble_h)
    cy = y + PAD_Y
    gx = x + PAD_X if not outgoing else x + bubble_w - PAD_X - grid_w
    thumbs = [(r.translated(gx, cy), media) for r, media in tiles]
    cy += thumbs_h
    text = QRect(x + PAD_X, cy, bubble_w - 2 * PAD_X, text_size.height())
    y = bubble.bottom() + 1 + 3
    meta_w = mfm.horizontalAdvance(meta)
    link_font = QFont(meta_font)
    link_font.setWeight(QFont.Weight.DemiBold)
    lfm = QFontMetrics(link_font)
    link_ws = [lfm.horizontalAdvance(label) + 2 for label, _kind in links]
    total_w = meta_w + sum(10 + w for w in link_ws)
    mx = left + width - MARGIN_X - total_w if outgoing else left + MARGIN_X + 4
    meta_rect = QRect(mx, y, meta_w, META_H)
    link_rects = []
    ax = meta_rect.right() + 1
    for (label, kind), w in zip(links, link_ws, strict=True):
        rect = QRect(ax + 10, y, w, META_H)
        link_rects.append((rect, kind, label))
        ax = rect.right() + 1
    y += META_H
    note_text = quiet_hours_note(m, zone)
    note = None
    if note_text:
        note_w = max(120, min(width - 2 * MARGIN_X, max_bubble + 80))
        r = mfm.boundingRect(
            QRect(0, 0, note_w, 10_000),
            int(Qt.TextFlag.TextWordWrap) | int(Qt.AlignmentFlag.AlignLeft),
            note_text,
        )
        nw = min(note_w, r.width() + 2)
        nx = left + width - MARGIN_X - nw if outgoing else left + MARGIN_X + 4
        note = QRect(nx, y, nw, r.height())
        y += r.height() + 2
    y += GAP_Y
    return BubbleLayout(
        header=header,
        bubble=bubble,
        text=text,
        thumbs=thumbs,
        meta=meta_rect,
        note=note,
        note_text=note_text,
        actions=link_rects,
        height=y - top,
    )


def layout_of(
    m: MessageOut, index: _Index, width: int, base: QFont, top: int = 0, left: int = 0
) -> BubbleLayout:
    """The bubble layout of row `index`, with its model's read-only flag and recipient zone."""
    model = index.model()
    return compute_layout(
        m,
        width,
        base,
        bool(index.data(MessageListModel.DayHeaderRole)),
        top,
        left,
        actions=not getattr(model, "read_only", False),
        zone=getattr(model, "recipient_zone", None),
        me=getattr(model, "my_user_id", None),
    )


class MessageDelegate(QStyledItemDelegate):
    """Paints a message as a chat bubble (outbound right, inbound left) with its status line."""

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        m: MessageOut | None = index.data(MessageListModel.MessageRole)
        if m is None:
            return QSize(0, 0)
        width = option.rect.width() or (self.parent().viewport().width() if self.parent() else 600)
        header = bool(index.data(MessageListModel.DayHeaderRole))
        model = index.model()
        cache = getattr(model, "size_cache", None)
        zone = getattr(model, "recipient_zone", None)
        key = (m.id, m.status, m.body, m.error, m.send_at, m.send_at_reason, zone, width, header)
        if cache is not None and key in cache:
            return QSize(width, cache[key])
        height = layout_of(m, index, width, option.font).height
        if cache is not None:
            cache[key] = height
        return QSize(width, height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        m: MessageOut | None = index.data(MessageListModel.MessageRole)
        if m is None:
            return
        t = theme.current()
        rect = option.rect
        lay = layout_of(m, index, rect.width(), option.font, rect.top(), rect.left())
        body_font, meta_font, header_font = _fonts(option.font)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)

        if lay.header is not None:
            label = day_label(message_time(m))
            hfm = QFontMetrics(header_font)
            pill_w = hfm.horizontalAdvance(label) + 22
            pill = QRectF(lay.header.center().x() - pill_w / 2, lay.header.top() + 8, pill_w, 22)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(t.color("raised"))
            painter.drawRoundedRect(pill, 11, 11)
            painter.setFont(header_font)
            painter.setPen(t.color("muted"))
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, label)

        if is_internal(m):
            overlay = getattr(self.parent(), "bubble_text", None)
            covered = overlay is not None and overlay.isVisible() and overlay.message_id == m.id
            paint_internal(painter, m, lay, option.font, covered)
            if shows_focus_ring(option):
                paint_focus_ring(painter, QRectF(lay.bubble).adjusted(-3, -3, 3, 3), 12)
            painter.restore()
            return

        outgoing = m.direction == "outbound"
        path = QPainterPath()
        path.addRoundedRect(QRectF(lay.bubble), RADIUS, RADIUS)
        failed = m.status in ("failed", "undelivered")
        if m.status == "canceled":
            # Quieter colours, not opacity: faded text would fall under 4.5:1.
            fill, text_color = t.color("hover"), t.color("muted")
            border = QPen(t.color("border"), 1.2, Qt.PenStyle.DashLine)
        elif outgoing and m.status in ("scheduled", PENDING, "held"):
            fill, text_color = t.color("scheduled"), t.color("text")
            border = QPen(t.color("accent"), 1.2, Qt.PenStyle.DashLine)
        elif outgoing:
            fill, text_color = t.color("bubble_out"), t.color("on_bubble_out")
            border = QPen(t.color("danger"), 1.5) if failed else Qt.PenStyle.NoPen
        else:
            fill, text_color = t.color("bubble_in"), t.color("on_bubble_in")
            border = QPen(t.color("bubble_in_border"), 1)
        painter.setBrush(fill)
        painter.setPen(border)
        painter.drawPath(path)
        if index.data(MessageListModel.HighlightRole):
            # A search hit: a ring around the bubble, outside it so the text keeps its contrast.
            ring = QPainterPath()
            ring.addRoundedRect(QRectF(lay.bubble).adjusted(-3, -3, 3, 3), RADIUS + 3, RADIUS + 3)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(t.color("accent"), 2.5))
            painter.drawPath(ring)

        model = index.model()
        for thumb_rect, media in lay.thumbs:
            clip = QPainterPath()
            clip.addRoundedRect(QRectF(thumb_rect), 10, 10)
            painter.save()
            painter.setClipPath(clip)
            pixmap = None
            if media.status == "stored" and hasattr(model, "thumbnail"):
                pixmap = model.thumbnail(media.id)
            if pixmap is not None and not pixmap.isNull():
                scaled = pixmap.scaled(
                    thumb_rect.size() * painter.device().devicePixelRatioF(),
                    Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                    Qt.TransformationMode.SmoothTransformation,
                )
                scaled.setDevicePixelRatio(painter.device().devicePixelRatioF())
                painter.drawPixmap(thumb_rect.topLeft(), scaled)
            else:
                painter.fillRect(thumb_rect, QColor(t.hover))
                icon = theme.pixmap("image", 28, t.faint, painter.device().devicePixelRatioF())
                painter.drawPixmap(thumb_rect.center() - QPoint(14, 14), icon)
                if media.status in ("rejected", "pending"):
                    # Pending: the server is still fetching it from the carrier.
                    caption = (
                        strings.MEDIA_LOADING
                        if media.status == "pending"
                        else media.reject_reason or ""
                    )
                    painter.setFont(meta_font)
                    painter.setPen(t.color("muted"))
                    painter.drawText(
                        thumb_rect.adjusted(6, 0, -6, -6),
                        Qt.AlignmentFlag.AlignBottom | Qt.TextFlag.TextWordWrap,
                        caption,
                    )
            painter.restore()

        overlay = getattr(self.parent(), "bubble_text", None)
        covered = overlay is not None and overlay.isVisible() and overlay.message_id == m.id
        if m.body and not covered:  # else BubbleText shows (and selects) the same words
            painter.setFont(body_font)
            painter.setPen(text_color)
            painter.drawText(
                lay.text, int(Qt.TextFlag.TextWordWrap) | int(Qt.AlignmentFlag.AlignLeft), m.body
            )

        meta, _links = meta_text(m)
        painter.setFont(meta_font)
        painter.setPen(t.color("danger") if failed else t.color("hint"))
        painter.drawText(lay.meta, Qt.AlignmentFlag.AlignVCenter, meta)
        if lay.actions:
            link_font = QFont(meta_font)
            link_font.setWeight(QFont.Weight.DemiBold)
            painter.setFont(link_font)
            painter.setPen(t.color("accent"))
            for rect, _kind, label in lay.actions:
                painter.drawText(rect, Qt.AlignmentFlag.AlignVCenter, label)
        if lay.note is not None:
            painter.setFont(meta_font)
            painter.setPen(t.color("muted"))
            align = Qt.AlignmentFlag.AlignRight if outgoing else Qt.AlignmentFlag.AlignLeft
            painter.drawText(lay.note, int(Qt.TextFlag.TextWordWrap) | int(align), lay.note_text)
        if shows_focus_ring(option):
            paint_focus_ring(painter, QRectF(lay.bubble).adjusted(-3, -3, 3, 3), RADIUS + 3)
        painter.restore()

    def hit(self, option: QStyleOptionViewItem, index: _Index, pos: QPoint):
        """What is under `pos`: ("media", MediaOut), (action kind, MessageOut) or None."""
        m: MessageOut | None = index.data(MessageListModel.MessageRole)
        if m is None:
            return None
        rect = option.rect
        lay = layout_of(m, index, rect.width(), option.font, rect.top(), rect.left())
        for thumb_rect, media in lay.thumbs:
            if thumb_rect.contains(pos):
                return ("media", media)
        for rect, kind, _label in lay.actions:
            if rect.adjusted(-4, -4, 4, 4).contains(pos):
                return (kind, m)
        return None


class MessageView(KeyboardFocusRing, QListView):
    """The thread: bubbles painted by MessageDelegate; scrolling to the top asks for older.

    A bubble's text is selectable through `BubbleText` laid over it (see ui/bubble_text.py);
    right-click opens the message's menu (Copy, Retry, Edit / Cancel, Save image).

    Signals:
      older_wanted(): the user reached the top; reveal or fetch older messages.
      newer_wanted(): the user reached the bottom of a page from the thread's middle.
      media_clicked(int media_id): a thumbnail was clicked.
      action_clicked(str kind, MessageOut): "retry", "edit", "cancel" or "discard" under a bubble
        or from the message's menu.
      save_image_requested(MediaOut): "Save image…" from the message's menu.
    """

    older_wanted = Signal()
    newer_wanted = Signal()
    media_clicked = Signal(int)
    action_clicked = Signal(str, object)
    save_image_requested = Signal(object)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("messageView")
        self.setUniformItemSizes(False)
        self.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionMode(QListView.SelectionMode.NoSelection)
        # Tab reaches the thread; Up/Down then walk the bubbles, a ring marks the current one.
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setFrameShape(QListView.Shape.NoFrame)
        self.setMouseTracking(True)
        self.setItemDelegate(MessageDelegate(self))
        self.verticalScrollBar().setSingleStep(24)
        self._stick_bottom = True
        self._bottom_distance: int | None = None
        bar = self.verticalScrollBar()
        bar.rangeChanged.connect(self._on_range)
        bar.valueChanged.connect(self._on_scroll)
        from inbox_app.ui.bubble_text import BubbleText

        self.bubble_text = BubbleText(self.viewport())
        self.bubble_text.menu_requested.connect(self._text_menu)
        self.bubble_text.released.connect(self.viewport().update)
        self.menu = None
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.DefaultContextMenu)

    def setModel(self, model) -> None:
        super().setModel(model)
        model.modelReset.connect(self._on_reset)
        model.rowsAboutToBeInserted.connect(self._before_insert)
        # Day headers and thumbnails change row heights: lay out again.
        model.dataChanged.connect(lambda *_: self.scheduleDelayedItemsLayout())
        model.modelReset.connect(self.bubble_text.release)
        model.rowsRemoved.connect(lambda *_: self._keep_text_over_bubble())

    # --- selectable text and the message menu ------------------------------------------------

    def _layout_at(self, index):
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        option.rect = self.visualRect(index)
        m = index.data(MessageListModel.MessageRole)
        if m is None:
            return None, None, option
        rect = option.rect
        return m, layout_of(m, index, rect.width(), option.font, rect.top(), rect.left()), option

    def _cover_text(self, index) -> bool:
        """Lay the selectable text over row `index`'s bubble; False when it has no text."""
        m, lay, option = self._layout_at(index)
        if m is None or not m.body or lay is None or lay.text.isEmpty():
            return False
        body_font, _meta, _header = _fonts(option.font)
        plain = m.status in ("scheduled", PENDING, "held")
        moved = self.bubble_text.message_id != m.id
        self.bubble_text.cover(index, m, lay.text, body_font, m.direction == "outbound", plain)
        if moved:
            self.viewport().update()
        return True

    def _hover_text(self, pos: QPoint) -> None:
        if self.bubble_text.has_selection() or self.bubble_text.hasFocus():
            return  # keep the user's selection until they click elsewhere
        index = self.indexAt(pos)
        if index.isValid():
            m, lay, _option = self._layout_at(index)
            if m is not None and m.body and lay.text.contains(pos):
                self._cover_text(index)
                return
        self.bubble_text.release()

    def _keep_text_over_bubble(self) -> None:
        """After a scroll or a change of rows: follow the bubble, or step aside."""
        text = getattr(self, "bubble_text", None)  # None while __init__ sets the view up
        if text is None or not text.isVisible():
            return
        index = text.index
        if not index.isValid() or not self._cover_text(self.model().index(index.row(), 0)):
            text.release()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self._keep_text_over_bubble()

    def updateGeometries(self) -> None:
        super().updateGeometries()
        self._keep_text_over_bubble()

    def selected_text(self) -> str:
        """The text selected in a bubble, if any."""
        return self.bubble_text.selectedText() if self.bubble_text.has_selection() else ""

    def message_at(self, pos: QPoint) -> MessageOut | None:
        index = self.indexAt(pos)
        return index.data(MessageListModel.MessageRole) if index.isValid() else None

    def menu_for(self, pos: QPoint):
        """The context menu of the message at viewport `pos`, or None."""
        from inbox_app.ui.bubble_text import message_menu

        index = self.indexAt(pos)
        if not index.isValid():
            return None
        m, lay, _option = self._layout_at(index)
        if m is None:
            return None
        media_under = next((media for rect, media in lay.thumbs if rect.contains(pos)), None)
        if media_under is not None and media_under.status != "stored":
            media_under = None
        selected = ""
        if self.bubble_text.has_selection() and self.bubble_text.message_id == m.id:
            selected = self.bubble_text.selectedText()
        if is_internal(m):
            links = [(label, kind) for _rect, kind, label in lay.actions]
        else:
            links = [] if getattr(self.model(), "read_only", False) else meta_text(m)[1]
        return message_menu(
            self,
            m,
            selected_text=selected,
            links=links,
            media_under=media_under,
            on_action=self.action_clicked.emit,
            on_save=self.save_image_requested.emit,
        )

    def contextMenuEvent(self, event) -> None:
        pos = event.pos()
        if event.reason() == event.Reason.Keyboard and self.currentIndex().isValid():
            # The Menu key or Shift+F10 on the focused bubble: its menu, at the bubble.
            _m, lay, _option = self._layout_at(self.currentIndex())
            if lay is not None:
                pos = lay.bubble.center()
        self._show_menu(pos, self.viewport().mapToGlobal(pos))

    def _text_menu(self, global_pos: QPoint) -> None:
        self._show_menu(self.viewport().mapFromGlobal(global_pos), global_pos)

    def _show_menu(self, pos: QPoint, global_pos: QPoint) -> None:
        menu = self.menu_for(pos)
        if menu is None:
            return
        self.menu = menu
        menu.popup(global_pos)

    def keyPressEvent(self, event) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            from inbox_app.ui.bubble_text import copy_text

            m = self.currentIndex().data(MessageListModel.MessageRole)
            if self.selected_text():
                copy_text(self.selected_text())
            elif m is not None and m.body:
                copy_text(m.body)
            event.accept()
            return
        super().keyPressEvent(event)

    def _on_reset(self) -> None:
        self._stick_bottom = True
        self._bottom_distance = None

    def _before_insert(self, _parent, first: int, _last: int) -> None:
        bar = self.verticalScrollBar()
        if first == 0 and self.model().rowCount() > 0:
            # Rows above: keep what the user is reading where it is.
            self._bottom_distance = bar.maximum() - bar.value()
        else:
            self._stick_bottom = bar.value() >= bar.maximum() - 8

    def _on_range(self, _minimum: int, maximum: int) -> None:
        bar = self.verticalScrollBar()
        if self._bottom_distance is not None:
            bar.setValue(maximum - self._bottom_distance)
            self._bottom_distance = None
        elif self._stick_bottom:
            bar.setValue(maximum)

    def _on_scroll(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._stick_bottom = value >= bar.maximum() - 8
        if value <= bar.minimum() + 4 and bar.maximum() > 0 and self._bottom_distance is None:
            self.older_wanted.emit()
        elif value >= bar.maximum() - 4 and getattr(self.model(), "has_more_after", False):
            self.newer_wanted.emit()

    def scroll_to_message(self, message_id: int) -> bool:
        """Bring a loaded message to the middle of the view; False when it is not loaded."""
        row = self.model().row_of(message_id)
        if row < 0:
            return False
        self._stick_bottom = False
        self._bottom_distance = None
        self.scrollTo(self.model().index(row), QListView.ScrollHint.PositionAtCenter)
        return True

    def shown_media_ids(self) -> set[int]:
        """The stored images of the bubbles inside the viewport: those a paint asks
        thumbnails for (a bubble scrolled out of view asks when it is scrolled to)."""
        model = self.model()
        area = self.viewport().rect()
        shown: set[int] = set()
        for row in range(model.rowCount() if model is not None else 0):
            index = model.index(row)
            if not self.visualRect(index).intersects(area):
                continue
            m = index.data(MessageListModel.MessageRole)
            if m is not None:
                shown.update(media.id for media in m.media if media.status == "stored")
        return shown

    def shown_thumbnails_loaded(self) -> bool:
        """Whether the thumbnails of the images in view are all there (False while the thread
        has images but none is laid out in view yet)."""
        model = self.model()
        shown = self.shown_media_ids()
        if not shown and any(m.media for m in model.messages()):
            return False
        return all(model._pixmaps.get(media_id) is not None for media_id in shown)

    def focusInEvent(self, event) -> None:
        # Arriving by keyboard starts at the newest message (Qt would pick the oldest shown).
        model = self.model()
        if model is not None and not self.currentIndex().isValid() and model.rowCount():
            self.setCurrentIndex(model.index(model.rowCount() - 1))
        super().focusInEvent(event)

    def scroll_to_end(self) -> None:
        self._stick_bottom = True
        self.scrollToBottom()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.bubble_text.release()  # a click beside the selection ends it
        index = self.indexAt(event.position().toPoint())
        if index.isValid() and event.button() == Qt.MouseButton.LeftButton:
            option = QStyleOptionViewItem()
            self.initViewItemOption(option)
            option.rect = self.visualRect(index)
            hit = self.itemDelegate().hit(option, index, event.position().toPoint())
            if hit is not None:
                kind, target = hit
                if kind == "media":
                    self.media_clicked.emit(target.id)
                else:
                    self.action_clicked.emit(kind, target)
                return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        index = self.indexAt(event.position().toPoint())
        hovering = False
        if index.isValid():
            option = QStyleOptionViewItem()
            self.initViewItemOption(option)
            option.rect = self.visualRect(index)
            hovering = (
                self.itemDelegate().hit(option, index, event.position().toPoint()) is not None
            )
        self.viewport().setCursor(
            Qt.CursorShape.PointingHandCursor if hovering else Qt.CursorShape.ArrowCursor
        )
        if not event.buttons():
            self._hover_text(event.position().toPoint())
        super().mouseMoveEvent(event)
