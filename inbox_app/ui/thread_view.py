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
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QListView, QStyledItemDelegate, QStyleOptionViewItem

from inbox_app.models.schemas import MediaOut, MessageOut
from inbox_app.ui import strings, theme

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


class MessageListModel(QAbstractListModel):
    """Messages of the open thread, oldest first; the last rows are replies still in the outbox.

    Signals:
      thumbnail_wanted(int media_id): a painted bubble needs this thumbnail.
    """

    MessageRole = Qt.ItemDataRole.UserRole + 1
    DayHeaderRole = Qt.ItemDataRole.UserRole + 2
    IdRole = Qt.ItemDataRole.UserRole + 3

    thumbnail_wanted = Signal(int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.conversation_id: int | None = None
        self.has_more = False
        self._messages: list[MessageOut] = []
        self._ids: list[int] = []
        self._first = 0
        self._pending: list[MessageOut] = []
        self._pixmaps: dict[int, QPixmap] = {}
        self._wanted: set[int] = set()
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
        if role == Qt.ItemDataRole.DisplayRole:
            return m.body
        if role == Qt.ItemDataRole.AccessibleTextRole:
            who = strings.YOU if m.direction == "outbound" else ""
            return f"{who} {m.body} {strings.STATUS.get(m.status, m.status)}".strip()
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

    def set_thread(self, conversation_id: int, messages: list[MessageOut], has_more: bool) -> None:
        """Show a thread: its newest page (or all we have; only the newest WINDOW are laid out)."""
        self.beginResetModel()
        self.conversation_id = conversation_id
        self._messages = sorted(messages, key=lambda m: m.id)
        self._ids = [m.id for m in self._messages]
        self._first = max(0, len(self._messages) - WINDOW)
        self._pending = []
        self.has_more = has_more
        self.size_cache.clear()
        self.endResetModel()

    def clear(self) -> None:
        self.beginResetModel()
        self.conversation_id = None
        self._messages, self._ids, self._pending = [], [], []
        self._first = 0
        self.has_more = False
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

    def _header_maybe_changed(self, row: int) -> None:
        # The old first row may lose its day header now that older rows sit above it.
        if row < self.rowCount():
            index = self.index(row)
            self.dataChanged.emit(index, index, [self.DayHeaderRole])

    def upsert(self, message: MessageOut) -> None:
        """A new or changed message of this thread (stream event or own send)."""
        if message.conversation_id != self.conversation_id:
            return
        pos = bisect.bisect_left(self._ids, message.id)
        if pos < len(self._ids) and self._ids[pos] == message.id:
            self._messages[pos] = message
            if pos >= self._first:
                index = self.index(pos - self._first)
                self.dataChanged.emit(index, index)
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

    def replace_newest(self, messages: list[MessageOut], has_more: bool) -> None:
        """The server's newest page again: update, add, and drop what it no longer has.

        Loaded messages older than the page are kept (only the page's range is compared).
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
        self.remove_ids([i for i in gone if i not in keep])
        for m in fresh:
            self.upsert(m)

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


def meta_text(m: MessageOut) -> tuple[str, list[tuple[str, str]]]:
    """Text under a bubble, and the action links it offers: [(label, kind), …]."""
    t = message_time(m).strftime("%-I:%M %p")
    parts: list[str] = []
    if m.direction == "outbound":
        if m.sent_by:
            parts.append(m.sent_by)
        if m.origin == "flow":
            parts.append(strings.REMINDER)
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
    m: MessageOut, width: int, base: QFont, show_header: bool, top: int = 0, left: int = 0
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
    actions = []
    ax = meta_rect.right() + 1
    for (label, kind), w in zip(links, link_ws, strict=True):
        rect = QRect(ax + 10, y, w, META_H)
        actions.append((rect, kind, label))
        ax = rect.right() + 1
    y += META_H + GAP_Y
    return BubbleLayout(
        header=header,
        bubble=bubble,
        text=text,
        thumbs=thumbs,
        meta=meta_rect,
        actions=actions,
        height=y - top,
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
        key = (m.id, m.status, m.body, m.error, width, header)
        if cache is not None and key in cache:
            return QSize(width, cache[key])
        height = compute_layout(m, width, option.font, header).height
        if cache is not None:
            cache[key] = height
        return QSize(width, height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        m: MessageOut | None = index.data(MessageListModel.MessageRole)
        if m is None:
            return
        t = theme.current()
        rect = option.rect
        header = bool(index.data(MessageListModel.DayHeaderRole))
        lay = compute_layout(m, rect.width(), option.font, header, rect.top(), rect.left())
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

        outgoing = m.direction == "outbound"
        faded = m.status in ("canceled",)
        if faded:
            painter.setOpacity(0.55)
        path = QPainterPath()
        path.addRoundedRect(QRectF(lay.bubble), RADIUS, RADIUS)
        failed = m.status in ("failed", "undelivered")
        if outgoing and m.status in ("scheduled", PENDING, "held"):
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
                painter.fillRect(thumb_rect, QColor(t.border))
                icon = theme.pixmap("image", 28, t.faint, painter.device().devicePixelRatioF())
                painter.drawPixmap(thumb_rect.center() - QPoint(14, 14), icon)
                if media.status == "rejected":
                    painter.setFont(meta_font)
                    painter.setPen(t.color("muted"))
                    painter.drawText(
                        thumb_rect.adjusted(6, 0, -6, -6),
                        Qt.AlignmentFlag.AlignBottom | Qt.TextFlag.TextWordWrap,
                        media.reject_reason or "",
                    )
            painter.restore()

        if m.body:
            painter.setFont(body_font)
            painter.setPen(text_color)
            painter.drawText(
                lay.text, int(Qt.TextFlag.TextWordWrap) | int(Qt.AlignmentFlag.AlignLeft), m.body
            )

        meta, _links = meta_text(m)
        painter.setFont(meta_font)
        painter.setPen(t.color("danger") if failed else t.color("faint"))
        painter.drawText(lay.meta, Qt.AlignmentFlag.AlignVCenter, meta)
        if lay.actions:
            link_font = QFont(meta_font)
            link_font.setWeight(QFont.Weight.DemiBold)
            painter.setFont(link_font)
            painter.setPen(t.color("accent"))
            for rect, _kind, label in lay.actions:
                painter.drawText(rect, Qt.AlignmentFlag.AlignVCenter, label)
        painter.restore()

    def hit(self, option: QStyleOptionViewItem, index: _Index, pos: QPoint):
        """What is under `pos`: ("media", MediaOut), (action kind, MessageOut) or None."""
        m: MessageOut | None = index.data(MessageListModel.MessageRole)
        if m is None:
            return None
        header = bool(index.data(MessageListModel.DayHeaderRole))
        rect = option.rect
        lay = compute_layout(m, rect.width(), option.font, header, rect.top(), rect.left())
        for thumb_rect, media in lay.thumbs:
            if thumb_rect.contains(pos):
                return ("media", media)
        for rect, kind, _label in lay.actions:
            if rect.adjusted(-4, -4, 4, 4).contains(pos):
                return (kind, m)
        return None


class MessageView(QListView):
    """The thread: bubbles painted by MessageDelegate; scrolling to the top asks for older.

    Signals:
      older_wanted(): the user reached the top; reveal or fetch older messages.
      media_clicked(int media_id): a thumbnail was clicked.
      action_clicked(str kind, MessageOut): "retry", "edit", "cancel" or "discard" under a bubble.
    """

    older_wanted = Signal()
    media_clicked = Signal(int)
    action_clicked = Signal(str, object)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("messageView")
        self.setUniformItemSizes(False)
        self.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionMode(QListView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
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

    def setModel(self, model) -> None:
        super().setModel(model)
        model.modelReset.connect(self._on_reset)
        model.rowsAboutToBeInserted.connect(self._before_insert)
        # Day headers and thumbnails change row heights: lay out again.
        model.dataChanged.connect(lambda *_: self.scheduleDelayedItemsLayout())

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

    def scroll_to_end(self) -> None:
        self._stick_bottom = True
        self.scrollToBottom()

    def mousePressEvent(self, event) -> None:
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
        super().mouseMoveEvent(event)
