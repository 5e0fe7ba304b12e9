"""Manage quick replies: the firm's (Firm menu, admins) or my own (File menu, everyone).

A list on the left, the chosen reply's name and text on the right; New, Save and Delete. The
server checks every text (unknown merge tags, broken brackets, length) and its sentence is
shown under the field it names; nothing is kept when it refuses.
"""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)
from qasync import asyncSlot

from inbox_app.domain.merge import KNOWN_TAGS
from inbox_app.models.schemas import QuickReplyOut
from inbox_app.sync.errors import ApiError, Unreachable
from inbox_app.ui import strings as S
from inbox_app.ui.dialogs._common import (
    HEADING_STYLE,
    MUTED_STYLE,
    MessageLabel,
    ask,
    dialog_style,
    mark_primary,
)

log = logging.getLogger("inbox.ui")


class QuickRepliesDialog(QDialog):
    """One list of quick replies (`scope` "firm" or "personal"); `.loading` is the first load.

    Signals:
      loaded(): the list was read from the server.
      changed(): the server kept a change (added, saved or deleted).
    """

    loaded = Signal()
    changed = Signal()

    def __init__(self, sync_client, scope: str, *, can_edit: bool = True, parent=None) -> None:
        super().__init__(parent)
        self._sync = sync_client
        self.scope = scope
        self.can_edit = can_edit
        self.current: QuickReplyOut | None = None
        self.confirm_box: QMessageBox | None = None
        firm = scope == "firm"
        self.setObjectName("quickRepliesDialog")
        self.setStyleSheet(dialog_style())
        self.setWindowTitle(S.QR_FIRM_TITLE if firm else S.QR_MY_TITLE)
        self.resize(760, 460)

        heading = QLabel(S.QR_FIRM_TITLE if firm else S.QR_MY_TITLE)
        heading.setStyleSheet(HEADING_STYLE)
        subtitle = QLabel(S.QR_FIRM_SUBTITLE if firm else S.QR_MY_SUBTITLE)
        subtitle.setStyleSheet(MUTED_STYLE)
        subtitle.setWordWrap(True)

        self.list = QListWidget()
        self.list.setObjectName("quickRepliesList")
        self.list.setMinimumWidth(220)
        self.list.currentItemChanged.connect(lambda *_: self._show_current())
        self.empty = QLabel(S.QR_EMPTY_LIST)
        self.empty.setObjectName("quickRepliesEmpty")
        self.empty.setStyleSheet(MUTED_STYLE)
        self.empty.setWordWrap(True)
        self.new_button = QPushButton(S.QR_NEW)
        self.new_button.setObjectName("quickRepliesNew")
        self.new_button.clicked.connect(self.start_new)
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        left.addWidget(self.empty)
        left.addWidget(self.new_button)

        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("quickReplyName")
        self.name_edit.setMaxLength(100)
        self.name_error = MessageLabel("quickReplyNameError")
        self.body_edit = QPlainTextEdit()
        self.body_edit.setObjectName("quickReplyBody")
        self.body_error = MessageLabel("quickReplyBodyError")
        tags = QLabel(S.QR_TAGS.format(tags="  ".join(f"[{tag}]" for tag in KNOWN_TAGS)))
        tags.setObjectName("quickReplyTags")
        tags.setWordWrap(True)
        tags.setStyleSheet(MUTED_STYLE)
        tags.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.save_button = mark_primary(QPushButton(S.QR_SAVE))
        self.save_button.setObjectName("quickRepliesSave")
        self.save_button.clicked.connect(self.save)
        self.delete_button = QPushButton(S.QR_DELETE)
        self.delete_button.setObjectName("quickRepliesDelete")
        self.delete_button.clicked.connect(self.delete)
        actions = QHBoxLayout()
        actions.addWidget(self.delete_button)
        actions.addStretch(1)
        actions.addWidget(self.save_button)
        right = QVBoxLayout()
        right.addWidget(QLabel(S.QR_NAME))
        right.addWidget(self.name_edit)
        right.addWidget(self.name_error)
        right.addWidget(QLabel(S.QR_TEXT))
        right.addWidget(self.body_edit, 1)
        right.addWidget(self.body_error)
        right.addWidget(tags)
        right.addLayout(actions)
        columns = QHBoxLayout()
        columns.setSpacing(14)
        columns.addLayout(left, 2)
        columns.addLayout(right, 3)

        self.message = MessageLabel("quickRepliesMessage")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(heading)
        layout.addWidget(subtitle)
        if not can_edit:
            note = QLabel(S.QR_READ_ONLY)
            note.setStyleSheet(MUTED_STYLE)
            layout.addWidget(note)
        layout.addLayout(columns, 1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        for widget in (self.name_edit, self.body_edit):
            widget.setReadOnly(not can_edit)
        for button in (self.new_button, self.save_button, self.delete_button):
            button.setVisible(can_edit)
        self._update_buttons()
        self.loading = asyncio.ensure_future(self.load())

    # --- the list ---------------------------------------------------------------------------

    def replies(self) -> list[QuickReplyOut]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    async def load(self, select_id: int | None = None) -> None:
        try:
            rows = [r for r in await self._sync.quick_replies() if r.scope == self.scope]
        except ApiError as exc:
            self.message.show_error(S.describe_error(exc))
            rows = []
        self.list.blockSignals(True)
        self.list.clear()
        for reply in rows:
            item = QListWidgetItem(reply.name)
            item.setData(Qt.ItemDataRole.UserRole, reply)
            item.setToolTip(reply.body)
            self.list.addItem(item)
        self.list.blockSignals(False)
        self.empty.setVisible(not rows)
        row = next((i for i, r in enumerate(rows) if r.id == select_id), 0 if rows else -1)
        if row >= 0:
            self.list.setCurrentRow(row)
        else:
            self.start_new()
        self._show_current()
        log.info("quick replies loaded (%d)", len(rows))
        self.loaded.emit()

    def _show_current(self) -> None:
        item = self.list.currentItem()
        self.current = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        self._clear_errors()
        if self.current is not None:
            self.name_edit.setText(self.current.name)
            self.body_edit.setPlainText(self.current.body)
            if self.current.warnings:
                self.body_error.show_error(" ".join(self.current.warnings))
        self._update_buttons()

    def start_new(self) -> None:
        self.list.blockSignals(True)
        self.list.setCurrentRow(-1)
        self.list.clearSelection()
        self.list.blockSignals(False)
        self.current = None
        self._clear_errors()
        self.name_edit.clear()
        self.body_edit.clear()
        self.name_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self._update_buttons()

    def _clear_errors(self) -> None:
        for label in (self.name_error, self.body_error, self.message):
            label.clear_message()

    def _update_buttons(self) -> None:
        self.delete_button.setEnabled(self.can_edit and self.current is not None)

    # --- changes ----------------------------------------------------------------------------

    @asyncSlot()
    async def save(self) -> None:
        if not self.can_edit:
            return
        self._clear_errors()
        name, body = self.name_edit.text(), self.body_edit.toPlainText()
        try:
            if self.current is None:
                kept = await self._sync.create_quick_reply(name, body, self.scope)
            else:
                kept = await self._sync.update_quick_reply(self.current.id, name=name, body=body)
        except Unreachable:
            self.message.show_error(S.FIRM_OFFLINE_EDIT)
            return
        except ApiError as exc:
            self._refused(exc)
            return
        log.info("quick reply saved %d", kept.id)
        await self.load(select_id=kept.id)
        self.message.show_note(S.QR_SAVED.format(name=kept.name))
        self.changed.emit()

    def _refused(self, exc: ApiError) -> None:
        fields = {"name": self.name_error, "body": self.body_error}
        shown = False
        for name, text in exc.fields.items():
            if name in fields:
                fields[name].show_error(text)
                shown = True
        if not shown:
            self.message.show_error(S.describe_error(exc))
        log.info("quick reply refused: %s", exc.code)

    @asyncSlot()
    async def delete(self) -> None:
        reply = self.current
        if reply is None or not self.can_edit:
            return
        box = self.confirm_box = QMessageBox(self)
        box.setObjectName("quickReplyDeleteConfirm")
        box.setIcon(QMessageBox.Icon.Question)
        box.setText(S.QR_DELETE_CONFIRM.format(name=reply.name))
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
        answer = await ask(box)
        self.confirm_box = None
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            await self._sync.delete_quick_reply(reply.id)
        except Unreachable:
            self.message.show_error(S.FIRM_OFFLINE_EDIT)
            return
        except ApiError as exc:
            self._refused(exc)
            return
        await self.load()
        self.message.show_note(S.QR_DELETED.format(name=reply.name))
        self.changed.emit()
