"""The inbox list: one model of conversations and one delegate that paints each row."""

from __future__ import annotations

import bisect
import hashlib
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QAbstractListModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from inbox_app.ui import strings, theme

if TYPE_CHECKING:
    # Not imported at run time: the first paint lists the cache's light rows
    # (sync.quick_start.CachedConversation, the same attributes) before pydantic is loaded.
    from inbox_app.models.schemas import ConversationOut

_Index = QModelIndex | QPersistentModelIndex


def phone_text(conversation: ConversationOut) -> str:
    """The number in the format people read; a cached row of the first paint carries it
    (sync/quick_start.py), so that paint does not wait for phonenumbers."""
    shown = getattr(conversation, "phone_display", None)
    if shown:
        return shown
    from inbox_app.domain.phone import format_display

    return format_display(conversation.phone)


def display_name(conversation: ConversationOut) -> str:
    """The contact's name, or the number in the format people read."""
    return conversation.contact_name or phone_text(conversation)


def short_time(when: datetime | None, now: datetime | None = None) -> str:
    """Time today, weekday this week, else a short date (in the desktop's time zone)."""
    if when is None:
        return ""
    local = when.astimezone()
    now = (now or datetime.now(UTC)).astimezone()
    if local.date() == now.date():
        return local.strftime("%-I:%M %p")
    if local.date() == (now - timedelta(days=1)).date():
        return strings.YESTERDAY
    if (now.date() - local.date()).days < 7:
        return local.strftime("%a")
    if local.year == now.year:
        return local.strftime("%b %-d")
    return local.strftime("%-m/%-d/%y")


class LiveLog:
    """A model's live changes (stream events, own sends and edits), numbered in arrival order:
    a page asked for before one of them and answered after it must not undo it. Take `mark()`
    before asking; with the answer, `since(mark)` is what came after, oldest first."""

    def __init__(self, size: int = 500) -> None:
        self._entries: deque[tuple[int, tuple]] = deque(maxlen=size)
        self._serial = 0

    def mark(self) -> int:
        return self._serial

    def record(self, *change) -> None:
        self._serial += 1
        self._entries.append((self._serial, change))

    def since(self, mark: int) -> list[tuple]:
        return [change for serial, change in self._entries if serial > mark]


class ThreadListModel(QAbstractListModel):
    """Inbox threads, newest activity first; fed by SyncClient answers and stream events."""

    ConversationRole = Qt.ItemDataRole.UserRole + 1
    IdRole = Qt.ItemDataRole.UserRole + 2
    PreviewRole = Qt.ItemDataRole.UserRole + 3
    UnreadRole = Qt.ItemDataRole.UserRole + 4
    MutedRole = Qt.ItemDataRole.UserRole + 5
    MatterRole = Qt.ItemDataRole.UserRole + 6
    TimeRole = Qt.ItemDataRole.UserRole + 7
    FailedRole = Qt.ItemDataRole.UserRole + 8

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[ConversationOut] = []
        self._row_of: dict[int, int] = {}
        # Conversations read again after a stream event, or dropped (see set_conversations).
        self._live = LiveLog()

    # --- Qt model API -----------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        c = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return display_name(c)
        if role == self.ConversationRole:
            return c
        if role == self.IdRole:
            return c.id
        if role == self.PreviewRole:
            return c.last_message
        if role == self.UnreadRole:
            return c.unread_count
        if role == self.MutedRole:
            return c.muted
        if role == self.MatterRole:
            return c.matter
        if role == self.TimeRole:
            return c.last_message_at
        if role == self.FailedRole:
            return c.has_failed
        if role == Qt.ItemDataRole.ToolTipRole:
            return phone_text(c)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            unread = f", {c.unread_count} unread" if c.unread_count else ""
            failed = f", {strings.LIST_FAILED}" if c.has_failed else ""
            team = f", {strings.LIST_MENTIONED}" if c.mentioned else ""
            if c.assignee:
                team += ", " + strings.LIST_ASSIGNEE_TIP.format(name=c.assignee)
            return f"{display_name(c)}{unread}{failed}{team}: {c.last_message}"
        return None

    # --- ours --------------------------------------------------------------------------------

    def set_conversations(
        self, conversations: list[ConversationOut], since: int | None = None
    ) -> None:
        """Replace the whole list (a fresh listing from the server or the cache). `since`: the
        `mark()` taken when the listing was asked for; live changes after it are applied again."""
        self.beginResetModel()
        self._rows = sorted(conversations, key=_sort_key)
        self._reindex()
        self.endResetModel()
        if since is None:
            return
        for kind, payload in self._live.since(since):
            if kind == "remove":
                self._remove(payload)
                continue
            # Read again after a stream event: newer than the listing, unless the listing
            # already has a later text in it.
            listed = self.by_id(payload.id)
            if (
                listed is None
                or listed.last_message_at is None
                or payload.last_message_at is None
                or payload.last_message_at >= listed.last_message_at
            ):
                self._upsert(payload)

    def mark(self) -> int:
        """Where the live changes stand now (see set_conversations)."""
        return self._live.mark()

    def extend(self, conversations: list[ConversationOut]) -> None:
        """The list's next page: new rows go at the end, known ones are updated in place."""
        new = [c for c in conversations if c.id not in self._row_of]
        for c in conversations:
            if c.id in self._row_of:
                self._upsert(c)
        if not new:
            return
        start = len(self._rows)
        self.beginInsertRows(QModelIndex(), start, start + len(new) - 1)
        self._rows.extend(new)
        self._reindex()
        self.endInsertRows()

    def replace_in_place(self, convert) -> None:
        """Each row becomes `convert(row)`, the same conversation in another type (the first
        paint's light rows become models): no reset, the selection and scroll stay."""
        self._rows = [convert(c) for c in self._rows]

    def conversations(self) -> list[ConversationOut]:
        return list(self._rows)

    def conversation(self, row: int) -> ConversationOut | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def by_id(self, conversation_id: int) -> ConversationOut | None:
        row = self._row_of.get(conversation_id)
        return None if row is None else self._rows[row]

    def row_of(self, conversation_id: int) -> int:
        return self._row_of.get(conversation_id, -1)

    def upsert(self, conversation: ConversationOut) -> None:
        """Add or update one conversation, moving it to its place by last activity."""
        self._live.record("upsert", conversation)
        self._upsert(conversation)

    def _upsert(self, conversation: ConversationOut) -> None:
        old = self._row_of.get(conversation.id)
        keys = [_sort_key(c) for i, c in enumerate(self._rows) if i != old]
        target = bisect.bisect_left(keys, _sort_key(conversation))
        if old is None:
            self.beginInsertRows(QModelIndex(), target, target)
            self._rows.insert(target, conversation)
            self._reindex()
            self.endInsertRows()
            return
        if target == old:
            self._rows[old] = conversation
            index = self.index(old)
            self.dataChanged.emit(index, index)
            return
        # beginMoveRows keeps the selection on the moved row.
        destination = target if target < old else target + 1
        self.beginMoveRows(QModelIndex(), old, old, QModelIndex(), destination)
        self._rows.pop(old)
        self._rows.insert(target, conversation)
        self._reindex()
        self.endMoveRows()
        index = self.index(target)
        self.dataChanged.emit(index, index)

    def remove(self, conversation_id: int) -> None:
        self._live.record("remove", conversation_id)
        self._remove(conversation_id)

    def _remove(self, conversation_id: int) -> None:
        row = self._row_of.get(conversation_id)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        self._rows.pop(row)
        self._reindex()
        self.endRemoveRows()

    def _reindex(self) -> None:
        self._row_of = {c.id: i for i, c in enumerate(self._rows)}


def _sort_key(c: ConversationOut) -> tuple[float, int]:
    stamp = c.last_message_at.timestamp() if c.last_message_at else 0.0
    return (-stamp, -c.id)


# White initials read on each at 4.5:1 or more (tests/ui/test_contrast.py).
_AVATAR_COLORS = ["#3f6fd8", "#1d836c", "#b5582d", "#7a4fc1", "#c0466b", "#2e7ca4", "#8a6d1f"]


def avatar_color(key: str) -> QColor:
    digest = hashlib.md5(key.encode(), usedforsecurity=False).digest()
    return QColor(_AVATAR_COLORS[digest[0] % len(_AVATAR_COLORS)])


def initials(name: str) -> str:
    words = [w for w in name.replace(",", " ").split() if w[:1].isalpha()]
    if not words:
        return "#"
    if len(words) == 1:
        return words[0][:1].upper()
    return (words[0][:1] + words[-1][:1]).upper()


def paint_focus_ring(painter: QPainter, rect: QRectF, radius: float) -> None:
    """The keyboard-focus ring the stylesheet draws on controls, for a painted row or bubble."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setOpacity(1.0)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(QPen(theme.current().color("accent"), 2))
    painter.drawRoundedRect(rect, radius, radius)
    painter.restore()


def shows_focus_ring(option: QStyleOptionViewItem) -> bool:
    """The row is current in a view that has the focus, and the focus came from the keyboard."""
    return bool(option.state & QStyle.StateFlag.State_HasFocus) and getattr(
        option.widget, "keyboard_focus", True
    )


class KeyboardFocusRing:
    """Mixin for a QListView: `keyboard_focus` is True while the focus came by keyboard.

    A click shows the row as selected; a ring on top of it would only add noise (the web's
    :focus-visible). Tab, Shift+Tab, shortcuts and arrow keys bring the ring back.
    """

    keyboard_focus = False

    def focusInEvent(self, event) -> None:
        reason = event.reason()
        if reason == Qt.FocusReason.MouseFocusReason:
            self.keyboard_focus = False
        elif reason not in (
            Qt.FocusReason.PopupFocusReason,
            Qt.FocusReason.ActiveWindowFocusReason,
        ):
            self.keyboard_focus = True
        super().focusInEvent(event)

    def mousePressEvent(self, event) -> None:
        self.keyboard_focus = False
        super().mousePressEvent(event)

    def keyPressEvent(self, event) -> None:
        if not self.keyboard_focus:
            self.keyboard_focus = True
            self.viewport().update()
        super().keyPressEvent(event)


class ThreadDelegate(QStyledItemDelegate):
    """Paints a row: avatar, name, time, matter, preview, unread badge, muted bell."""

    ROW_HEIGHT = 76
    AVATAR = 40
    PAD = 14

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        return QSize(option.rect.width() or 300, self.ROW_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        c: ConversationOut | None = index.data(ThreadListModel.ConversationRole)
        if c is None:
            return
        t = theme.current()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect: QRect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if selected:
            painter.fillRect(rect, t.color("selection"))
            painter.fillRect(QRect(rect.left(), rect.top(), 3, rect.height()), t.color("accent"))
        elif hovered:
            painter.fillRect(rect, t.color("hover"))

        name = display_name(c)
        pad = self.PAD
        # Avatar with initials (or a pound sign for an unknown number).
        avatar = QRectF(
            rect.left() + pad,
            rect.top() + (rect.height() - self.AVATAR) / 2,
            self.AVATAR,
            self.AVATAR,
        )
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(avatar_color(c.phone))
        painter.drawEllipse(avatar)
        base: QFont = option.font
        avatar_font = QFont(base)
        avatar_font.setPointSizeF(base.pointSizeF() * 1.0)
        avatar_font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(avatar_font)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(
            avatar,
            Qt.AlignmentFlag.AlignCenter,
            initials(c.contact_name) if c.contact_name else "#",
        )

        left = int(avatar.right()) + 12
        right = rect.right() - pad
        unread = c.unread_count > 0

        # First line: name … time
        name_font = QFont(base)
        name_font.setPointSizeF(base.pointSizeF() * 1.05)
        name_font.setWeight(QFont.Weight.Bold if unread else QFont.Weight.DemiBold)
        small = QFont(base)
        small.setPointSizeF(base.pointSizeF() * 0.88)
        when = short_time(c.last_message_at)
        small_fm = QFontMetrics(small)
        time_width = small_fm.horizontalAdvance(when)
        second = c.matter or (phone_text(c) if c.contact_name else "")
        if c.opted_out:
            second = (second + " · " if second else "") + "STOP"
        # Two lines (number, preview) sit centred where three would.
        top = rect.top() + (12 if second else 12 + small_fm.height() // 2 + 1)
        name_fm = QFontMetrics(name_font)
        line1 = QRect(left, top, right - left, name_fm.height())
        painter.setFont(small)
        painter.setPen(t.color("accent") if unread else t.color("hint"))
        painter.drawText(line1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, when)
        name_right = right - time_width - 8
        if c.muted:
            bell = theme.pixmap("bell-off", 14, t.faint, painter.device().devicePixelRatioF())
            name_right -= 18
            painter.drawPixmap(name_right + 4, line1.center().y() - 7, bell)
        painter.setFont(name_font)
        painter.setPen(t.color("text"))
        painter.drawText(
            QRect(left, top, max(0, name_right - left), line1.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            name_fm.elidedText(name, Qt.TextElideMode.ElideRight, max(0, name_right - left)),
        )

        # Second line: matter (or the number when a name is shown) … the assignee's initials
        y = line1.bottom() + 2
        line2_right = right
        if c.assignee_id is not None:
            line2_right = paint_assignee(painter, small, c.assignee or "", right, y, small_fm)
        painter.setFont(small)
        painter.setPen(t.color("accent") if c.matter else t.color("muted"))
        line2 = QRect(left, y, line2_right - left, small_fm.height())
        painter.drawText(
            line2,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            small_fm.elidedText(second, Qt.TextElideMode.ElideRight, line2.width()),
        )

        # Third line: preview … unread badge
        y = line2.bottom() + 2 if second else line1.bottom() + 4
        preview_font = QFont(base)
        preview_font.setPointSizeF(base.pointSizeF() * 0.95)
        if unread:
            preview_font.setWeight(QFont.Weight.Medium)
        pfm = QFontMetrics(preview_font)
        preview_right = right
        if unread:
            count = str(c.unread_count) if c.unread_count < 100 else "99+"
            bw = max(20, small_fm.horizontalAdvance(count) + 12)
            badge = QRectF(right - bw, y + (pfm.height() - 20) / 2, bw, 20)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(t.color("badge"))
            painter.drawRoundedRect(badge, 10, 10)
            bold_small = QFont(small)
            bold_small.setWeight(QFont.Weight.Bold)
            painter.setFont(bold_small)
            painter.setPen(QPen(t.color("on_accent")))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, count)
            preview_right -= bw + 8
        if c.mentioned:
            preview_right = paint_mention_chip(painter, small, preview_right, y, pfm.height())
        preview = " ".join(c.last_message.split())
        preview_left = left
        if c.has_failed:
            # The latest text did not go out: say so before the preview, in the danger colour.
            ratio = painter.device().devicePixelRatioF()
            alert = theme.pixmap("alert", 14, t.danger, ratio)
            painter.drawPixmap(left, y + (pfm.height() - 14) // 2, alert)
            flag_font = QFont(preview_font)
            flag_font.setWeight(QFont.Weight.DemiBold)
            painter.setFont(flag_font)
            painter.setPen(t.color("danger"))
            flag = strings.LIST_FAILED
            flag_w = QFontMetrics(flag_font).horizontalAdvance(flag)
            painter.drawText(
                QRect(left + 18, y, flag_w + 2, pfm.height()),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                flag,
            )
            preview_left = left + 18 + flag_w + 8
        painter.setFont(preview_font)
        painter.setPen(t.color("text") if unread else t.color("muted"))
        line3 = QRect(preview_left, y, max(0, preview_right - preview_left), pfm.height())
        painter.drawText(
            line3,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            pfm.elidedText(preview, Qt.TextElideMode.ElideRight, line3.width()),
        )

        # Hairline between rows
        painter.setPen(QPen(t.color("border"), 1))
        painter.drawLine(left, rect.bottom(), rect.right(), rect.bottom())
        if shows_focus_ring(option):
            paint_focus_ring(painter, QRectF(rect).adjusted(2, 2, -2, -2), 8)
        painter.restore()


def paint_assignee(painter: QPainter, font: QFont, name: str, right: int, y: int, fm) -> int:
    """The assignee's initials in a small ring at the end of the row's second line."""
    t = theme.current()
    size = max(18, fm.height() + 2)
    ring = QRectF(right - size, y + (fm.height() - size) / 2, size, size)
    painter.setPen(QPen(t.color("accent"), 1.2))
    painter.setBrush(t.color("selection"))
    painter.drawEllipse(ring)
    tiny = QFont(font)
    tiny.setPointSizeF(font.pointSizeF() * 0.82)
    tiny.setWeight(QFont.Weight.Bold)
    painter.setFont(tiny)
    painter.setPen(t.color("accent"))
    painter.drawText(ring, Qt.AlignmentFlag.AlignCenter, initials(name) if name else "?")
    return int(ring.left()) - 6


def paint_mention_chip(painter: QPainter, font: QFont, right: int, y: int, line_h: int) -> int:
    """The "@ you" chip of a thread whose note mentions me; returns the space left of it."""
    t = theme.current()
    chip_font = QFont(font)
    chip_font.setWeight(QFont.Weight.Bold)
    fm = QFontMetrics(chip_font)
    width = fm.horizontalAdvance(strings.LIST_MENTIONED) + 14
    chip = QRectF(right - width, y + (line_h - 20) / 2, width, 20)
    painter.setPen(QPen(t.color("warning_text"), 1))
    painter.setBrush(t.color("warning_bg"))
    painter.drawRoundedRect(chip, 10, 10)
    painter.setFont(chip_font)
    painter.setPen(t.color("warning_text"))
    painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, strings.LIST_MENTIONED)
    return int(chip.left()) - 8


class ThreadListView(KeyboardFocusRing, QListView):
    """The list widget; uniform row heights keep thousands of threads cheap to lay out."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("threadList")
        self.setUniformItemSizes(True)
        self.setMouseTracking(True)
        self.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.setItemDelegate(ThreadDelegate(self))
        self.setFrameShape(QListView.Shape.NoFrame)

    def focusInEvent(self, event) -> None:
        super().focusInEvent(event)
        # Tabbing in, Qt makes the first row current without selecting it; that row's thread
        # opens, so it should look selected like one opened any other way. Only for Tab: focus
        # handed back by a closing dialog or a closed thread must not open (and read) a row.
        current = self.currentIndex()
        deliberate = event.reason() in (
            Qt.FocusReason.TabFocusReason,
            Qt.FocusReason.BacktabFocusReason,
        )
        if deliberate and current.isValid() and not self.selectionModel().isSelected(current):
            self.selectionModel().select(current, QItemSelectionModel.SelectionFlag.ClearAndSelect)
