"""Court dates as a tree: each event a row (date, time, client, matter, attorney, location, status,
flow);
expanding it shows its reminders as the client will get them, painted as cards."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QWidget,
)

from inbox_app.domain.phone import format_display
from inbox_app.models.schemas import AgendaEventOut, ReminderOut
from inbox_app.ui import strings as S
from inbox_app.ui import theme, times

_Index = QModelIndex | QPersistentModelIndex


def event_when(event: AgendaEventOut) -> str:
    """ "Tue Dec 8, 9:00 AM" on the court's (the firm's) clock, its zone named when it is not
    this computer's."""
    when = times.day_and_clock(event.starts_at, times.zone_of(event.time_zone))
    if times.same_zone(event.time_zone, event.starts_at):
        return when
    return f"{when} {times.zone_label(event.time_zone)}"


def reminder_when(reminder: ReminderOut) -> str:
    """When it goes, on the recipient's clock, and on mine when that differs."""
    when = reminder.send_at or reminder.sent_at or reminder.created_at
    zone = times.zone_of(reminder.time_zone)
    theirs = times.day_and_clock(when, zone)
    label = times.zone_label(reminder.time_zone)
    mine = None if times.same_zone(reminder.time_zone, when) else times.day_and_clock(when)
    return S.reminder_when(theirs, label, mine)


class EventTreeModel(QAbstractItemModel):
    """Events at the top level; an event's children are its reminders (read when expanded).

    An event whose reminders are not read yet, or that has none, has one child without a
    reminder: the "loading" or "none" line.
    """

    EventRole = Qt.ItemDataRole.UserRole + 1
    ReminderRole = Qt.ItemDataRole.UserRole + 2
    NoteRole = Qt.ItemDataRole.UserRole + 3
    HEADERS = (
        "EVENT_WHEN",
        "EVENT_CLIENT",
        "EVENT_MATTER",
        "EVENT_ATTORNEY",
        "EVENT_LOCATION",
        "EVENT_STATUS",
        "EVENT_FLOW",
    )
    STATUS_COLUMN = HEADERS.index("EVENT_STATUS")

    def __init__(self, parent=None, *, with_client: bool = True) -> None:
        super().__init__(parent)
        self.with_client = with_client
        self._events: list[AgendaEventOut] = []
        self._reminders: dict[int, list[ReminderOut] | None] = {}

    # --- tree plumbing: internalId 0 is an event, n > 0 a child of event row n - 1 -------------

    def index(self, row: int, column: int, parent: _Index = QModelIndex()) -> QModelIndex:
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0)
        return self.createIndex(row, column, parent.row() + 1)

    def parent(self, index: _Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        if not index.isValid() or index.internalId() == 0:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, 0)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        if not parent.isValid():
            return len(self._events)
        if parent.internalId() != 0 or parent.column() != 0:
            return 0
        reminders = self._reminders.get(self._events[parent.row()].id)
        return len(reminders) if reminders else 1

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return len(self.HEADERS)

    def hasChildren(self, parent: _Index = QModelIndex()) -> bool:
        if not parent.isValid():
            return bool(self._events)
        return parent.internalId() == 0 and parent.column() == 0

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return getattr(S, self.HEADERS[section])
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        if index.internalId() != 0:
            return Qt.ItemFlag.ItemIsEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if index.internalId() != 0:
            return self._child_data(index, role)
        event = self._events[index.row()]
        if role == self.EventRole:
            return event
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            column = index.column()
            if column == 0:
                if role == Qt.ItemDataRole.ToolTipRole:
                    return f"{event_when(event)} ({times.day_and_clock(event.starts_at)})"
                return event_when(event)
            if column == 1:
                return event.client_name
            if column == 2:
                if event.matter_name and event.case_number:
                    return f"{event.matter_name} ({event.case_number})"
                return event.matter_name or event.case_number or ""
            if column == 3:
                # The attorney who applies: the court date's own, else its matter's.
                return event.attorney_name or ""
            if column == 4:
                return event.location or ""
            if column == self.STATUS_COLUMN:
                return S.event_status(event.status)
            return event.flow_name or S.EVENT_NO_FLOW
        if role == Qt.ItemDataRole.ForegroundRole:
            t = theme.current()
            if event.status == "canceled":
                return t.color("hint")
            if index.column() == self.STATUS_COLUMN and event.status in ("scheduled", "confirmed"):
                return t.color("success") if event.status == "confirmed" else t.color("text")
        if role == Qt.ItemDataRole.FontRole and index.column() == 0:
            font = QFont()
            font.setWeight(QFont.Weight.DemiBold)
            font.setStrikeOut(event.status == "canceled")
            return font
        return None

    def _child_data(self, index: _Index, role: int):
        event = self._events[index.internalId() - 1]
        reminders = self._reminders.get(event.id)
        reminder = reminders[index.row()] if reminders else None
        if role == self.ReminderRole:
            return reminder
        if role == self.NoteRole and reminder is None and index.column() == 0:
            return S.REMINDERS_LOADING if reminders is None else S.REMINDERS_NONE
        if role == Qt.ItemDataRole.DisplayRole and index.column() == 0 and reminder is not None:
            return reminder.body
        return None

    # --- feeding -----------------------------------------------------------------------------

    def set_events(self, events: list[AgendaEventOut]) -> None:
        """New events; reminders already read stay for events that are still there."""
        self.beginResetModel()
        self._events = list(events)
        kept = {e.id for e in self._events}
        self._reminders = {k: v for k, v in self._reminders.items() if k in kept}
        self.endResetModel()

    def events(self) -> list[AgendaEventOut]:
        return list(self._events)

    def event_row(self, event_id: int) -> int:
        return next((i for i, e in enumerate(self._events) if e.id == event_id), -1)

    def set_reminders(self, event_id: int, reminders: list[ReminderOut]) -> None:
        """The event's reminders as read now. Rows are changed, added or removed in place, never
        all removed: a tree collapses a row whose children drop to none."""
        row = self.event_row(event_id)
        if row < 0:
            return
        parent = self.index(row, 0)
        old = self.rowCount(parent)
        new = max(1, len(reminders))
        if new > old:
            self.beginInsertRows(parent, old, new - 1)
            self._reminders[event_id] = list(reminders)
            self.endInsertRows()
        elif new < old:
            self.beginRemoveRows(parent, new, old - 1)
            self._reminders[event_id] = list(reminders)
            self.endRemoveRows()
        else:
            self._reminders[event_id] = list(reminders)
        last = self.columnCount() - 1
        self.dataChanged.emit(self.index(0, 0, parent), self.index(new - 1, last, parent))

    def reminders(self, event_id: int) -> list[ReminderOut] | None:
        return self._reminders.get(event_id)

    def has_reminders_read(self, event_id: int) -> bool:
        return self._reminders.get(event_id) is not None


class ReminderDelegate(QStyledItemDelegate):
    """Event rows as the style draws them; a reminder as a card: the text the client gets, and
    a line of when (their clock and mine), status, language, segments and credits."""

    PAD = 10
    GAP = 6

    def __init__(self, view: QTreeView) -> None:
        super().__init__(view)
        self._view = view

    def _card_width(self) -> int:
        view = self._view
        return max(200, view.viewport().width() - view.indentation() * 2 - 2 * self.PAD - 16)

    def _fonts(self, base: QFont) -> tuple[QFont, QFont]:
        small = QFont(base)
        small.setPointSizeF(base.pointSizeF() * 0.88)
        return QFont(base), small

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        if index.internalId() == 0:
            size = super().sizeHint(option, index)
            return QSize(size.width(), max(size.height(), 34))
        reminder: ReminderOut | None = index.data(EventTreeModel.ReminderRole)
        if index.column() != 0:
            return QSize(0, 0)
        if reminder is None:
            return QSize(self._card_width(), 30)
        body_font, small = self._fonts(option.font)
        width = self._card_width() - 2 * self.PAD
        flags = int(Qt.TextFlag.TextWordWrap)
        body = QFontMetrics(body_font).boundingRect(
            QRect(0, 0, width, 10_000), flags, reminder.body
        )
        meta = QFontMetrics(small).height()
        return QSize(self._card_width(), body.height() + 2 * meta + 2 * self.PAD + self.GAP + 14)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        if index.internalId() == 0:
            super().paint(painter, option, index)
            return
        if index.column() != 0:
            return
        t = theme.current()
        reminder: ReminderOut | None = index.data(EventTreeModel.ReminderRole)
        body_font, small = self._fonts(option.font)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRect(option.rect.left() + 4, option.rect.top() + 4, self._card_width(), 0)
        rect.setBottom(option.rect.bottom() - 4)
        if reminder is None:
            painter.setFont(small)
            painter.setPen(t.color("muted"))
            painter.drawText(
                rect.adjusted(self.PAD, 0, 0, 0),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                index.data(EventTreeModel.NoteRole) or "",
            )
            painter.restore()
            return
        gone = reminder.status in ("canceled", "failed", "undelivered")
        fill = t.color("danger_soft" if reminder.status == "failed" else "scheduled")
        if reminder.status in ("sent", "delivered"):
            fill = t.color("raised")
        painter.setPen(QPen(t.color("border"), 1))
        painter.setBrush(fill)
        painter.drawRoundedRect(QRectF(rect), 8, 8)
        inner = rect.adjusted(self.PAD, self.PAD, -self.PAD, -self.PAD)
        small_fm = QFontMetrics(small)
        painter.setFont(small)
        painter.setPen(t.color("accent") if not gone else t.color("muted"))
        head = QRect(inner.left(), inner.top(), inner.width(), small_fm.height())
        to = format_display(reminder.phone)
        painter.drawText(
            head,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            small_fm.elidedText(
                f"{reminder_when(reminder)} · {to}", Qt.TextElideMode.ElideRight, inner.width()
            ),
        )
        painter.setFont(body_font)
        painter.setPen(t.color("text") if not gone else t.color("muted"))
        body_rect = QRect(
            inner.left(),
            head.bottom() + self.GAP,
            inner.width(),
            inner.bottom() - head.bottom() - self.GAP - small_fm.height() - 4,
        )
        painter.drawText(body_rect, int(Qt.TextFlag.TextWordWrap), reminder.body)
        painter.setFont(small)
        painter.setPen(t.color("danger") if reminder.status == "failed" else t.color("muted"))
        meta = S.reminder_meta(
            reminder.status,
            reminder.language,
            reminder.segments,
            reminder.encoding,
            reminder.credits,
        )
        if reminder.error:
            meta = f"{meta} · {reminder.error}"
        painter.drawText(
            QRect(
                inner.left(), inner.bottom() - small_fm.height(), inner.width(), small_fm.height()
            ),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            small_fm.elidedText(meta, Qt.TextElideMode.ElideRight, inner.width()),
        )
        painter.restore()


class EventTreeView(QTreeView):
    """The events of a model, reminders under each; asks for an event's reminders on expand.

    Signals:
      reminders_wanted(int event_id): an event was expanded and its reminders should be read.
    """

    reminders_wanted = Signal(int)

    def __init__(
        self, parent: QWidget | None = None, *, with_client: bool = True, fit: bool = False
    ) -> None:
        super().__init__(parent)
        self.setObjectName("eventTree")
        # `fit`: as tall as its rows (inside a page that scrolls), not a scrolling box.
        self.fit = fit
        self._fit_timer = QTimer(self)
        self._fit_timer.setObjectName("eventTreeFitTimer")
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self._fit_height)
        if fit:
            self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setItemDelegate(ReminderDelegate(self))
        self.setUniformRowHeights(False)
        self.setAlternatingRowColors(False)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAnimated(False)
        self.setExpandsOnDoubleClick(True)
        self.setRootIsDecorated(True)
        self.setIndentation(18)
        self.with_client = with_client
        # Events the user opened: a reload (model reset) opens them again, and reads their
        # reminders again, so a reload never folds what someone is looking at.
        self.open_ids: set[int] = set()
        self._selected_id: int | None = None
        # A court date to select once a reload lists it (one just added or moved, while a newer
        # reload of the list is still on its way); dropped when the user moves the selection.
        self._pending_select: int | None = None
        self._selecting = False
        self._restoring = False
        header = self.header()
        header.setStretchLastSection(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.expanded.connect(self._expanded)
        self.collapsed.connect(self._collapsed)
        self.expanded.connect(lambda *_: self._fit_timer.start())
        self.collapsed.connect(lambda *_: self._fit_timer.start())

    def setModel(self, model) -> None:
        super().setModel(model)
        model.rowsInserted.connect(self._span_children)
        model.modelReset.connect(self._span_children)
        model.modelReset.connect(self._reopen)
        # A reload (a live change, a filter) keeps the selected court date selected, so Move and
        # Cancel stay on it.
        model.modelAboutToBeReset.connect(self._remember_selection)
        model.modelReset.connect(self._restore_selection)
        # A reminder rewritten in place may need another height.
        model.dataChanged.connect(lambda *_: self.scheduleDelayedItemsLayout())
        for signal in (model.dataChanged, model.rowsInserted, model.rowsRemoved, model.modelReset):
            signal.connect(lambda *_: self._fit_timer.start())
        self.setColumnHidden(1, not self.with_client)
        # A client's page is narrower (and has no client column): its matters are few and short.
        widths = (
            (250, 140, 190, 110, 130, 100) if self.with_client else (250, 0, 150, 100, 130, 100)
        )
        for column, width in enumerate(widths):
            self.setColumnWidth(column, width)
        self.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)

    def _span_children(self, *_args) -> None:
        model = self.model()
        for row in range(model.rowCount()):
            parent = model.index(row, 0)
            for child in range(model.rowCount(parent)):
                self.setFirstColumnSpanned(child, parent, True)

    def _expanded(self, index: QModelIndex) -> None:
        event = index.data(EventTreeModel.EventRole)
        if event is not None:
            self.open_ids.add(event.id)
            self.reminders_wanted.emit(event.id)

    def _collapsed(self, index: QModelIndex) -> None:
        event = index.data(EventTreeModel.EventRole)
        if event is not None and not self._restoring:
            self.open_ids.discard(event.id)

    def _reopen(self) -> None:
        model = self.model()
        for event_id in sorted(self.open_ids):
            row = model.event_row(event_id)
            if row >= 0:
                self.expand(model.index(row, 0))

    def _remember_selection(self) -> None:
        if self._pending_select is not None:
            self._selected_id = self._pending_select
            return
        event = self.selected_event()
        self._selected_id = event.id if event is not None else None

    def _restore_selection(self) -> None:
        event_id = self._selected_id
        row = self.model().event_row(event_id) if event_id is not None else -1
        if row >= 0:
            self._set_current(row)
            if event_id == self._pending_select:
                self._pending_select = None

    def select_event(self, event_id: int) -> None:
        """Select the court date now, or as soon as a reload lists it."""
        row = self.model().event_row(event_id)
        if row >= 0:
            self._pending_select = None
            self._set_current(row)
        else:
            self._pending_select = event_id

    def _set_current(self, row: int) -> None:
        self._selecting = True
        try:
            self.setCurrentIndex(self.model().index(row, 0))
        finally:
            self._selecting = False

    def currentChanged(self, current: QModelIndex, previous: QModelIndex) -> None:
        super().currentChanged(current, previous)
        if not self._selecting and current.isValid():
            self._pending_select = None  # the user chose another row

    def selected_event(self) -> AgendaEventOut | None:
        index = self.currentIndex()
        if not index.isValid():
            return None
        if index.internalId() != 0:
            index = index.parent()
        return index.data(EventTreeModel.EventRole)

    def expanded_ids(self) -> list[int]:
        return sorted(self.open_ids)

    def expand_event(self, event_id: int) -> None:
        """Open the event (it stays open across reloads) and read its reminders; one not
        listed yet (just added, the list still on its way) opens when it arrives."""
        self.open_ids.add(event_id)
        row = self.model().event_row(event_id)
        if row >= 0 and not self.isExpanded(self.model().index(row, 0)):
            self.expand(self.model().index(row, 0))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        # Cards wrap to the width: their heights change with it.
        self.scheduleDelayedItemsLayout()
        self._fit_timer.start()

    def _fit_height(self) -> None:
        if not self.fit:
            return
        self.doItemsLayout()
        rows = 0
        index = self.model().index(0, 0) if self.model() is not None else QModelIndex()
        while index.isValid():
            rows += self.rowHeight(index) if index.internalId() == 0 else self._child_height(index)
            index = self.indexBelow(index)
        header = self.header().sizeHint().height()
        height = header + max(rows, 40) + 2 * self.frameWidth() + 4
        if self.horizontalScrollBar().isVisible():
            height += self.horizontalScrollBar().height()
        if height != self.height():
            self.setFixedHeight(height)

    def _child_height(self, index: QModelIndex) -> int:
        return self.itemDelegate().sizeHint(self.viewOptions_(), index).height()

    def viewOptions_(self) -> QStyleOptionViewItem:
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        return option


def starts_in_zone(event: AgendaEventOut) -> datetime:
    return event.starts_at.astimezone()
