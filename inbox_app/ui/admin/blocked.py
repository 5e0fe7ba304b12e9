"""The Blocked numbers view (admins): every blocked number, its kept record read-only, unblock,
and delete a kept record for good. Staff never see it (the server answers them 403 anyway)."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from inbox_app.domain.phone import format_display
from inbox_app.models.schemas import BlockedNumberOut
from inbox_app.sync.errors import ApiError
from inbox_app.ui import strings as S
from inbox_app.ui.admin.table_model import RowsTableModel
from inbox_app.ui.dialogs._common import (
    HEADING_STYLE,
    MUTED_STYLE,
    MessageLabel,
    ask,
    dialog_style,
    mark_primary,
)
from inbox_app.ui.thread_view import PAGE, MessageListModel, MessageView

log = logging.getLogger("inbox.ui")


def who(blocked: BlockedNumberOut) -> str:
    number = format_display(blocked.phone)
    return f"{blocked.contact_name} ({number})" if blocked.contact_name else number


class BlockedListModel(RowsTableModel):
    """The firm's blocked numbers, newest block first: number, when, by whom, kept record."""

    BlockedRole = RowsTableModel.RowRole
    COLUMNS = ("BLOCKED_NUMBER", "BLOCKED_WHEN", "BLOCKED_BY", "BLOCKED_RECORD")

    def cell(self, b: BlockedNumberOut, column: int) -> str:
        if column == 0:
            return who(b)
        if column == 1:
            return S.local_time(b.blocked_at)
        if column == 2:
            return b.blocked_by or S.DETAILS_NONE
        return S.blocked_record_count(b.message_count) if b.has_record else S.BLOCKED_DELETED


class BlockedNumbersDialog(QDialog):
    """Lists blocked numbers; opens a kept record, unblocks, deletes a record for good.

    Signals:
      loaded(): the list was (re)fetched from the server.
      changed(): a number was unblocked or a record deleted.
    """

    loaded = Signal()
    changed = Signal()

    def __init__(self, sync_client, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sync = sync_client
        self.record_dialog: BlockedRecordDialog | None = None
        self.setObjectName("blockedNumbersDialog")
        self.setStyleSheet(dialog_style())
        self.setWindowTitle(S.BLOCKED_TITLE)
        self.resize(720, 440)

        heading = QLabel(S.BLOCKED_TITLE)
        heading.setStyleSheet(HEADING_STYLE)
        hint = QLabel(S.BLOCKED_HINT)
        hint.setWordWrap(True)
        hint.setStyleSheet(MUTED_STYLE)

        self.model = BlockedListModel(self)
        self.table = QTableView()
        self.table.setObjectName("blockedTable")
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.doubleClicked.connect(lambda _index: self.open_record())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())

        self.empty_label = QLabel(S.BLOCKED_EMPTY)
        self.empty_label.setObjectName("blockedEmpty")
        self.empty_label.setStyleSheet(MUTED_STYLE)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.hide()
        self.message = MessageLabel("blockedMessage")

        self.open_button = QPushButton(S.BLOCKED_OPEN)
        self.open_button.setObjectName("openRecordButton")
        self.open_button.clicked.connect(self.open_record)
        mark_primary(self.open_button)
        self.unblock_button = QPushButton(S.BLOCKED_UNBLOCK)
        self.unblock_button.setObjectName("unblockButton")
        self.unblock_button.clicked.connect(self.unblock)
        self.delete_button = QPushButton(S.BLOCKED_DELETE)
        self.delete_button.setObjectName("deleteRecordButton")
        self.delete_button.clicked.connect(self.delete_record)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.button(QDialogButtonBox.StandardButton.Close).setObjectName("blockedCloseButton")
        close.rejected.connect(self.reject)

        actions = QHBoxLayout()
        actions.addWidget(self.open_button)
        actions.addWidget(self.unblock_button)
        actions.addWidget(self.delete_button)
        actions.addStretch(1)
        actions.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(hint)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label, 1)
        layout.addWidget(self.message)
        layout.addLayout(actions)
        self._update_buttons()
        self.loading = self.load()

    def selected(self) -> BlockedNumberOut | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row(rows[0].row()) if rows else None

    def select_phone(self, phone: str) -> bool:
        """Select the row of `phone`; False when it is not blocked."""
        for row, blocked in enumerate(self.model.rows()):
            if blocked.phone == phone:
                self.table.selectRow(row)
                return True
        return False

    def _update_buttons(self) -> None:
        b = self.selected()
        self.open_button.setEnabled(b is not None and b.has_record)
        self.delete_button.setEnabled(b is not None and b.has_record)
        self.unblock_button.setEnabled(b is not None)

    @asyncSlot()
    async def load(self) -> None:
        selected = self.selected()
        try:
            rows = await self._sync.blocked_numbers()
        except ApiError as error:
            self.message.show_error(S.describe_error(error))
            return
        self.model.set_rows(rows)
        empty = not rows
        self.table.setVisible(not empty)
        self.empty_label.setVisible(empty)
        if selected is not None:
            self.select_phone(selected.phone)
        elif rows:
            self.table.selectRow(0)
        self._update_buttons()
        log.info("blocked numbers loaded (%d)", len(rows))
        self.loaded.emit()

    def open_record(self) -> None:
        b = self.selected()
        if b is None or not b.has_record:
            return
        self.record_dialog = BlockedRecordDialog(self._sync, b, self)
        self.record_dialog.open()

    @asyncSlot()
    async def unblock(self) -> None:
        b = self.selected()
        if b is None:
            return
        try:
            await self._sync.unblock(b.id)
        except ApiError as error:
            self.message.show_error(S.describe_error(error))
            return
        log.info("unblocked %d", b.id)
        self.message.show_note(S.unblocked(who(b)))
        self.changed.emit()
        await self.load()

    @asyncSlot()
    async def delete_record(self) -> None:
        b = self.selected()
        if b is None or not b.has_record:
            return
        box = QMessageBox(self)
        box.setObjectName("deleteRecordConfirmation")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(S.BLOCKED_DELETE_TITLE)
        box.setText(S.BLOCKED_DELETE_TITLE)
        box.setInformativeText(S.BLOCKED_DELETE_INFO)
        delete = box.addButton(S.BLOCKED_DELETE_BUTTON, QMessageBox.ButtonRole.DestructiveRole)
        delete.setObjectName("confirmDeleteRecordButton")
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        await ask(box)
        if box.clickedButton() is not delete:
            return
        try:
            await self._sync.delete_blocked_record(b.id)
        except ApiError as error:
            self.message.show_error(S.describe_error(error))
            return
        self.message.show_note(S.record_deleted(who(b)))
        self.changed.emit()
        await self.load()


class ReadOnlyMessageModel(MessageListModel):
    """A kept record's messages: painted like a thread, with no Retry / Edit / Cancel links."""

    read_only = True


class BlockedRecordDialog(QDialog):
    """A blocked number's kept record, read-only: messages and images, older pages on scroll.

    Signals:
      page_loaded(): a page of messages arrived.
    """

    page_loaded = Signal()

    def __init__(self, sync_client, blocked: BlockedNumberOut, parent: QWidget | None = None):
        super().__init__(parent)
        self._sync = sync_client
        self.blocked = blocked
        self._loading = False
        self.media_viewer = None
        self.setObjectName("blockedRecordDialog")
        self.setStyleSheet(dialog_style())
        self.setWindowTitle(S.record_title(who(blocked)))
        self.resize(640, 620)

        heading = QLabel(who(blocked))
        heading.setStyleSheet(HEADING_STYLE)
        note = QLabel(S.RECORD_READ_ONLY)
        note.setObjectName("recordReadOnlyNote")
        note.setStyleSheet(MUTED_STYLE)
        self.model = ReadOnlyMessageModel(self)
        self.model.thumbnail_wanted.connect(self._thumbnail)
        self.view = MessageView(self)
        self.view.setObjectName("recordView")
        self.view.setModel(self.model)
        self.view.older_wanted.connect(self.load_older)
        self.view.media_clicked.connect(self._open_media)
        self.message = MessageLabel("recordMessage")
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.button(QDialogButtonBox.StandardButton.Close).setObjectName("recordCloseButton")
        close.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(note)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.message)
        layout.addWidget(close)
        self.loading = self.load()

    @asyncSlot()
    async def load(self) -> None:
        try:
            page = await self._sync.blocked_record(self.blocked.id, limit=PAGE)
        except ApiError as error:
            self.message.show_error(S.describe_error(error))
            return
        cid = self.blocked.conversation_id or 0
        self.model.set_thread(cid, page.messages, page.has_more)
        self.view.scroll_to_end()
        log.info("kept record loaded %d (%d)", self.blocked.id, len(page.messages))
        self.page_loaded.emit()

    @asyncSlot()
    async def load_older(self) -> None:
        if self.model.hidden_older():
            self.model.reveal_older(PAGE)
            return
        if self._loading or not self.model.has_more:
            return
        self._loading = True
        try:
            page = await self._sync.blocked_record(
                self.blocked.id, before=self.model.oldest_id(), limit=PAGE
            )
        except ApiError as error:
            self.message.show_error(S.describe_error(error))
            return
        finally:
            self._loading = False
        self.model.prepend_page(page.messages, page.has_more)
        self.page_loaded.emit()

    @asyncSlot(int)
    async def _thumbnail(self, media_id: int) -> None:
        try:
            data = await self._sync.thumbnail(media_id)
        except ApiError:
            self.model.thumbnail_failed(media_id)
            return
        pixmap = QPixmap()
        if pixmap.loadFromData(data):
            self.model.set_thumbnail(media_id, pixmap)
        else:
            self.model.thumbnail_failed(media_id)

    def _open_media(self, media_id: int) -> None:
        from inbox_app.ui.media_viewer import MediaViewer

        self.media_viewer = MediaViewer(self._sync, media_id, self)
        self.media_viewer.show()
