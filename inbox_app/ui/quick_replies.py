"""The quick-reply picker of the compose box: `/` at the start of a line or Ctrl+K opens it.

It lists the firm's replies and mine (one model, one delegate), filtered as the user types;
Enter or a click chooses one. The compose box then asks the window to have the server render
it for the open conversation's client (the picker never fills merge tags itself).
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPainterPath
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from inbox_app.models.schemas import QuickReplyOut
from inbox_app.ui import strings, theme

_Index = QModelIndex | QPersistentModelIndex


class QuickReplyModel(QAbstractListModel):
    """Quick replies in the server's order (the firm's first, each by name)."""

    ReplyRole = Qt.ItemDataRole.UserRole + 1
    # Name and text in one string, what the filter matches against.
    SearchRole = Qt.ItemDataRole.UserRole + 2

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[QuickReplyOut] = []

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        r = self._rows[index.row()]
        if role == self.ReplyRole:
            return r
        if role == self.SearchRole:
            return f"{r.name}\n{r.body}"
        if role == Qt.ItemDataRole.DisplayRole:
            return r.name
        if role == Qt.ItemDataRole.AccessibleTextRole:
            scope = strings.QR_FIRM if r.scope == "firm" else strings.QR_MINE
            return f"{r.name}, {scope}: {r.body}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return r.body
        return None

    def set_replies(self, rows: list[QuickReplyOut]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def replies(self) -> list[QuickReplyOut]:
        return list(self._rows)


class QuickReplyFilter(QSortFilterProxyModel):
    """Rows whose name or text holds every word typed, in any order, any case."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._words: list[str] = []

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self._words = text.casefold().split()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int, parent: _Index) -> bool:
        if not self._words:
            return True
        index = self.sourceModel().index(row, 0, parent)
        haystack = str(index.data(QuickReplyModel.SearchRole) or "").casefold()
        return all(word in haystack for word in self._words)


ROW_H = 54
PAD = 10


class QuickReplyDelegate(QStyledItemDelegate):
    """A row: the name in bold with a Firm / Mine chip, the text's first line under it."""

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        return QSize(option.rect.width(), ROW_H)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        r: QuickReplyOut | None = index.data(QuickReplyModel.ReplyRole)
        if r is None:
            return
        t = theme.current()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = option.rect.adjusted(4, 2, -4, -2)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if selected or hovered:
            path = QPainterPath()
            path.addRoundedRect(rect, 8, 8)
            painter.fillPath(path, t.color("selection" if selected else "hover"))
        name_font = QFont(option.font)
        name_font.setWeight(QFont.Weight.DemiBold)
        small = QFont(option.font)
        small.setPointSizeF(option.font.pointSizeF() * 0.86)
        chip_font = QFont(small)
        chip_font.setWeight(QFont.Weight.DemiBold)
        chip_text = strings.QR_FIRM if r.scope == "firm" else strings.QR_MINE
        cfm = QFontMetrics(chip_font)
        chip_w = cfm.horizontalAdvance(chip_text) + 12
        chip = QRect(rect.right() - PAD - chip_w, rect.top() + 8, chip_w, cfm.height() + 2)
        chip_path = QPainterPath()
        chip_path.addRoundedRect(chip, chip.height() / 2, chip.height() / 2)
        painter.fillPath(chip_path, t.color("scheduled" if r.scope == "firm" else "hover"))
        painter.setFont(chip_font)
        painter.setPen(t.color("accent" if r.scope == "firm" else "muted"))
        painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, chip_text)

        nfm = QFontMetrics(name_font)
        name_rect = QRect(
            rect.left() + PAD, rect.top() + 7, chip.left() - rect.left() - 2 * PAD, nfm.height()
        )
        painter.setFont(name_font)
        painter.setPen(t.color("text"))
        painter.drawText(
            name_rect,
            Qt.AlignmentFlag.AlignVCenter,
            nfm.elidedText(r.name, Qt.TextElideMode.ElideRight, name_rect.width()),
        )
        sfm = QFontMetrics(small)
        body_rect = QRect(
            rect.left() + PAD, name_rect.bottom() + 3, rect.width() - 2 * PAD, sfm.height()
        )
        preview = " ".join(r.body.split())
        painter.setFont(small)
        painter.setPen(t.color("muted"))
        painter.drawText(
            body_rect,
            Qt.AlignmentFlag.AlignVCenter,
            sfm.elidedText(preview, Qt.TextElideMode.ElideRight, body_rect.width()),
        )
        painter.restore()


class QuickReplyPicker(QFrame):
    """A popup over the compose box: a filter line and the matching quick replies.

    Signals:
      chosen(QuickReplyOut): the user picked this reply (Enter, click).
      manage_requested(): "Manage…" was clicked (open the list of my quick replies).
    """

    chosen = Signal(object)
    manage_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("quickReplyPicker")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.model = QuickReplyModel(self)
        self.proxy = QuickReplyFilter(self)
        self.proxy.setSourceModel(self.model)

        self.filter_edit = QLineEdit(self)
        self.filter_edit.setObjectName("quickReplyFilter")
        self.filter_edit.setPlaceholderText(strings.QR_FILTER)
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._filter)
        self.filter_edit.returnPressed.connect(self.choose_current)
        self.filter_edit.installEventFilter(self)

        self.list = QListView(self)
        self.list.setObjectName("quickReplyList")
        self.list.setModel(self.proxy)
        self.list.setItemDelegate(QuickReplyDelegate(self.list))
        self.list.setMouseTracking(True)
        self.list.setUniformItemSizes(True)
        self.list.setFrameShape(QFrame.Shape.NoFrame)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.clicked.connect(lambda index: self._choose(index))

        self.empty = QLabel(self)
        self.empty.setObjectName("quickReplyEmpty")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint = QLabel(strings.QR_HINT, self)
        self.hint.setObjectName("quickReplyHint")
        self.manage_button = QPushButton(strings.QR_MANAGE, self)
        self.manage_button.setObjectName("quickReplyManage")
        self.manage_button.setFlat(True)
        self.manage_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.manage_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.manage_button.clicked.connect(self._manage)

        foot = QWidget(self)
        from PySide6.QtWidgets import QHBoxLayout

        row = QHBoxLayout(foot)
        row.setContentsMargins(4, 0, 0, 0)
        row.addWidget(self.hint, 1)
        row.addWidget(self.manage_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 6)
        layout.setSpacing(6)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty, 1)
        layout.addWidget(foot)
        self.refresh_style()

    def refresh_style(self) -> None:
        t = theme.current()
        self.setStyleSheet(
            f"QFrame#quickReplyPicker {{ background: {t.raised}; border: 1px solid {t.border};"
            f" border-radius: 10px; }}"
            f" QListView {{ background: transparent; outline: none; }}"
            f" QLineEdit {{ background: {t.surface}; color: {t.text}; border: 1px solid"
            f" {t.border}; border-radius: 6px; padding: 6px 8px; }}"
            f" QLineEdit:focus {{ border: 2px solid {t.accent}; padding: 5px 7px; }}"
            f" QLabel#quickReplyHint, QLabel#quickReplyEmpty {{ color: {t.hint}; }}"
            f" QPushButton#quickReplyManage {{ color: {t.accent}; border: none;"
            f" font-weight: 600; padding: 2px 6px; }}"
        )

    def set_replies(self, rows: list[QuickReplyOut]) -> None:
        self.model.set_replies(rows)
        self._filter(self.filter_edit.text())

    def open_over(self, anchor: QWidget, text: str = "") -> None:
        """Show above `anchor` (the compose editor), as wide as it up to 480 px."""
        self.refresh_style()
        self.filter_edit.setText(text)
        self._filter(text)
        width = max(320, min(480, anchor.width()))
        rows = max(1, min(6, self.proxy.rowCount()))
        height = 8 + 34 + 6 + rows * ROW_H + 6 + 28 + 6
        self.resize(width, height)
        top_left = anchor.mapToGlobal(QPoint(0, 0))
        self.move(top_left.x(), top_left.y() - height - 6)
        self.show()
        self.raise_()
        self.filter_edit.setFocus(Qt.FocusReason.PopupFocusReason)

    def _filter(self, text: str) -> None:
        self.proxy.set_text(text)
        has_rows = self.proxy.rowCount() > 0
        if self.model.rowCount() == 0:
            self.empty.setText(strings.QR_NONE_YET)
        else:
            self.empty.setText(strings.QR_NO_MATCH.format(q=text.strip()))
        self.list.setVisible(has_rows)
        self.empty.setVisible(not has_rows)
        if has_rows:
            self.list.setCurrentIndex(self.proxy.index(0, 0))

    def current_reply(self) -> QuickReplyOut | None:
        index = self.list.currentIndex()
        return index.data(QuickReplyModel.ReplyRole) if index.isValid() else None

    def choose_current(self) -> None:
        self._choose(self.list.currentIndex())

    def _choose(self, index) -> None:
        reply = index.data(QuickReplyModel.ReplyRole) if index.isValid() else None
        if reply is None:
            return
        self.hide()
        self.chosen.emit(reply)

    def _manage(self) -> None:
        self.hide()
        self.manage_requested.emit()

    def eventFilter(self, watched, event) -> bool:
        if watched is self.filter_edit and event.type() == event.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                count = self.proxy.rowCount()
                if count:
                    row = self.list.currentIndex().row()
                    row = (row + (1 if key == Qt.Key.Key_Down else -1)) % count
                    self.list.setCurrentIndex(self.proxy.index(row, 0))
                return True
            if key == Qt.Key.Key_Escape:
                self.hide()
                return True
        return super().eventFilter(watched, event)
