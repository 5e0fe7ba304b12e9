"""Message hits of a search: one model, one delegate, the list that connects them.

Each row is a `MessageHitOut` (a message whose text matched) with the conversation's name; the
delegate paints the snippet with the matched parts in bold. Activating a row asks to open the
thread at that message.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPen, QTextCharFormat, QTextLayout
from PySide6.QtWidgets import QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from inbox_app.models.schemas import MessageHitOut
from inbox_app.ui import theme
from inbox_app.ui.thread_list import short_time

_Index = QModelIndex | QPersistentModelIndex
ROW_HEIGHT = 58


class MessageHitModel(QAbstractListModel):
    """Search hits, newest first (as the server answers them)."""

    HitRole = Qt.ItemDataRole.UserRole + 1
    NameRole = Qt.ItemDataRole.UserRole + 2

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._hits: list[MessageHitOut] = []
        self._names: dict[int, str] = {}

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._hits)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._hits):
            return None
        hit = self._hits[index.row()]
        if role == self.HitRole:
            return hit
        if role == self.NameRole:
            return self._names.get(hit.conversation_id, "")
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return f"{self._names.get(hit.conversation_id, '')}: {hit.snippet}"
        return None

    def set_hits(self, hits: list[MessageHitOut], names: dict[int, str]) -> None:
        self.beginResetModel()
        self._hits = list(hits)
        self._names = dict(names)
        self.endResetModel()

    def hits(self) -> list[MessageHitOut]:
        return list(self._hits)


class MessageHitDelegate(QStyledItemDelegate):
    """Name and time on the first line, the snippet (matches in bold) on the second."""

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        return QSize(option.rect.width(), ROW_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        hit: MessageHitOut | None = index.data(MessageHitModel.HitRole)
        if hit is None:
            return
        t = theme.current()
        rect = option.rect
        painter.save()
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(rect, t.color("selection"))
        elif option.state & QStyle.StateFlag.State_MouseOver:
            painter.fillRect(rect, t.color("hover"))
        left, right = rect.left() + 16, rect.right() - 12
        name_font = QFont(option.font)
        name_font.setWeight(QFont.Weight.DemiBold)
        meta_font = QFont(option.font)
        meta_font.setPointSizeF(max(8.0, option.font.pointSizeF() - 1))
        when = short_time(hit.created_at)
        meta_metrics = QFontMetrics(meta_font)
        when_width = meta_metrics.horizontalAdvance(when)
        painter.setFont(meta_font)
        painter.setPen(t.color("muted"))
        top = QRect(left, rect.top() + 8, right - left, 20)
        painter.drawText(top, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, when)
        painter.setFont(name_font)
        painter.setPen(t.color("text"))
        name = QFontMetrics(name_font).elidedText(
            index.data(MessageHitModel.NameRole) or "",
            Qt.TextElideMode.ElideRight,
            right - left - when_width - 8,
        )
        painter.drawText(
            QRect(left, top.top(), right - left - when_width - 8, 20),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            name,
        )
        self._paint_snippet(
            painter, option.font, hit, QRect(left, rect.top() + 30, right - left, 20)
        )
        painter.setPen(QPen(t.color("border"), 1))
        painter.drawLine(left, rect.bottom(), rect.right(), rect.bottom())
        painter.restore()

    def _paint_snippet(self, painter: QPainter, font: QFont, hit: MessageHitOut, box: QRect):
        text = hit.snippet
        metrics = QFontMetrics(font)
        # Start the line a little before the first match so it is visible in a narrow list.
        start = 0
        if hit.marks and metrics.horizontalAdvance(text[: hit.marks[0][1]]) > box.width() * 0.8:
            start = max(0, hit.marks[0][0] - 12)
            text = "…" + text[start:]
            offset = 1 - start
        else:
            offset = 0
        layout = QTextLayout(text, font)
        bold = QTextCharFormat()
        bold.setFontWeight(QFont.Weight.Bold)
        formats = []
        for a, b in hit.marks:
            a, b = a + offset, b + offset
            if b <= 0:
                continue
            fmt = QTextLayout.FormatRange()
            fmt.start, fmt.length, fmt.format = max(0, a), b - max(0, a), bold
            formats.append(fmt)
        layout.setFormats(formats)
        layout.beginLayout()
        line = layout.createLine()
        line.setLineWidth(box.width())
        layout.endLayout()
        painter.setPen(theme.current().color("muted"))
        painter.setClipRect(box)
        layout.draw(painter, box.topLeft())
        painter.setClipping(False)


class MessageHitView(QListView):
    """The hits list under the conversations while searching.

    Signals:
      hit_activated(MessageHitOut): a hit was clicked or chosen with Enter.
    """

    hit_activated = Signal(object)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("messageHits")
        self.setUniformItemSizes(True)
        self.setMouseTracking(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QListView.Shape.NoFrame)
        self.setItemDelegate(MessageHitDelegate(self))
        self.clicked.connect(self._activate)
        self.activated.connect(self._activate)

    def _activate(self, index: QModelIndex) -> None:
        hit = index.data(MessageHitModel.HitRole)
        if hit is not None:
            self.hit_activated.emit(hit)
