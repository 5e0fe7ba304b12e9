"""`RowsTableModel`: a table of wire-schema rows, one per line, shared by the admin and records
pages (blocked numbers, users, clients, contacts, court dates)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from inbox_app.ui import strings as S

R = TypeVar("R")
_Index = QModelIndex | QPersistentModelIndex


class RowsTableModel(QAbstractTableModel, Generic[R]):
    """Rows of one schema; a subclass names its `COLUMNS` (strings.py names) and fills `cell`.

    `RowRole` answers the row's object; `extra(row, column, role)` lets a subclass answer other
    roles (a colour, a font) without copying `data`.
    """

    RowRole = Qt.ItemDataRole.UserRole + 1
    COLUMNS: ClassVar[tuple[str, ...]] = ()
    # The attribute that identifies a row for `replace` and `row_of`.
    KEY: ClassVar[str] = "id"

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[R] = []

    def cell(self, row: R, column: int) -> str:
        raise NotImplementedError

    def extra(self, row: R, column: int, role: int) -> Any:
        return None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return getattr(S, self.COLUMNS[section])
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == self.RowRole:
            return row
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.cell(row, index.column())
        return self.extra(row, index.column(), role)

    def set_rows(self, rows: Sequence[R]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def replace(self, item: R) -> None:
        """Update the row with `item`'s key in place, or append it."""
        key = getattr(item, self.KEY)
        for row, old in enumerate(self._rows):
            if getattr(old, self.KEY) == key:
                self._rows[row] = item
                last = max(0, len(self.COLUMNS) - 1)
                self.dataChanged.emit(self.index(row, 0), self.index(row, last))
                return
        self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows))
        self._rows.append(item)
        self.endInsertRows()

    def remove(self, key: Any) -> None:
        row = self.row_of(key)
        if row >= 0:
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row]
            self.endRemoveRows()

    def row(self, row: int) -> R | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rows(self) -> list[R]:
        return list(self._rows)

    def row_of(self, key: Any, attribute: str | None = None) -> int:
        """The row whose `attribute` (default `KEY`) equals `key`, or -1."""
        name = attribute or self.KEY
        return next((i for i, r in enumerate(self._rows) if getattr(r, name) == key), -1)

    def find(self, test: Callable[[R], bool]) -> int:
        return next((i for i, r in enumerate(self._rows) if test(r)), -1)
