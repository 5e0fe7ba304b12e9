"""Start a conversation: pick a client's contact or type any mobile number."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from inbox_app.domain.phone import InvalidPhoneNumber, format_display, is_mobile_capable, normalize
from inbox_app.sync.errors import ApiError
from inbox_app.ui import strings as S
from inbox_app.ui.dialogs._common import MUTED_STYLE, MessageLabel, dialog_style, mark_primary

log = logging.getLogger(__name__)

_CONTACT_ROLE = Qt.ItemDataRole.UserRole + 1
SEARCH_DELAY_MS = 250


class NewConversationDialog(QDialog):
    """Opens (or creates) the conversation with a number; `.conversation_id` once accepted.

    `.created` says whether the server made a new thread (False: the number already had one).
    """

    def __init__(self, sync_client, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sync = sync_client
        self._picked: tuple[int, str] | None = None  # (client_id, E.164) of a chosen contact
        self.conversation_id: int | None = None
        self.conversation = None
        self.created = False
        self.setObjectName("newConversationDialog")
        self.setStyleSheet(dialog_style())
        self.setWindowTitle(S.NEW_TITLE)
        self.setMinimumWidth(460)

        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("contactSearch")
        self.search_edit.setPlaceholderText(S.NEW_SEARCH_HINT)
        self.search_edit.setClearButtonEnabled(True)
        self.results = QListWidget()
        self.results.setObjectName("contactResults")
        self.results.setMinimumHeight(140)
        self.no_results = QLabel(S.NEW_NO_RESULTS)
        self.no_results.setObjectName("noContactResults")
        self.no_results.setStyleSheet(MUTED_STYLE)
        self.no_results.setWordWrap(True)
        self.no_results.hide()

        self.phone_edit = QLineEdit()
        self.phone_edit.setObjectName("phoneEdit")
        self.phone_edit.setPlaceholderText(S.NEW_NUMBER_HINT)
        self.matter_combo = QComboBox()
        self.matter_combo.setObjectName("matterCombo")
        self.matter_combo.addItem(S.NEW_NO_MATTER, None)
        self.matter_combo.setEnabled(False)

        self.error_label = MessageLabel("newConversationError")

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.open_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.open_button.setText(S.NEW_OPEN)
        self.open_button.setObjectName("openButton")
        mark_primary(self.open_button)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setObjectName(
            "newConversationCancelButton"
        )
        self.buttons.accepted.connect(self.open_conversation)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow(S.NEW_NUMBER, self.phone_edit)
        form.addRow(S.NEW_MATTER, self.matter_combo)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(S.NEW_SEARCH))
        layout.addWidget(self.search_edit)
        layout.addWidget(self.results)
        layout.addWidget(self.no_results)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

        self._search_timer = QTimer(self)
        self._search_timer.setObjectName("contactSearchTimer")
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.search)
        self.search_edit.textChanged.connect(lambda _text: self._search_timer.start())
        self.results.currentItemChanged.connect(self._contact_chosen)
        self.results.itemActivated.connect(lambda _item: self.open_conversation())
        self.phone_edit.textEdited.connect(self._number_typed)
        self.search_edit.setFocus()

    @asyncSlot()
    async def search(self) -> None:
        """List the contacts of the clients whose name matches the search text."""
        query = self.search_edit.text().strip()
        if not query:
            self.results.clear()
            self.no_results.hide()
            return
        try:
            clients = await self._sync.clients(q=query)
        except ApiError as error:
            self.error_label.show_error(S.describe_error(error))
            return
        if query != self.search_edit.text().strip():
            return  # the user typed on while we waited; a newer search is coming
        self.results.clear()
        for client in clients:
            name = f"{client.first_name} {client.last_name}".strip()
            for contact in client.contacts:
                if contact.trashed or contact.archived:
                    continue
                label = f"{name} — {format_display(contact.phone)}"
                if contact.opted_out:
                    label += f"  ({S.NEW_OPTED_OUT})"
                item = QListWidgetItem(label)
                item.setData(_CONTACT_ROLE, (client.id, contact.phone))
                self.results.addItem(item)
        self.no_results.setVisible(self.results.count() == 0)

    def _contact_chosen(self, item: QListWidgetItem | None, _previous=None) -> None:
        if item is None:
            return
        client_id, phone = item.data(_CONTACT_ROLE)
        self._picked = (client_id, phone)
        self.phone_edit.setText(format_display(phone))
        self.error_label.clear_message()
        self._load_matters(client_id)

    def _number_typed(self, _text: str) -> None:
        # A hand-typed number is not the chosen client's contact any more.
        if self._picked is not None:
            self._picked = None
            self.results.clearSelection()
            self._reset_matters()
        self.error_label.clear_message()

    def _reset_matters(self) -> None:
        self.matter_combo.clear()
        self.matter_combo.addItem(S.NEW_NO_MATTER, None)
        self.matter_combo.setEnabled(False)

    @asyncSlot(int)
    async def _load_matters(self, client_id: int) -> None:
        try:
            matters = await self._sync.matters(client_id=client_id)
        except ApiError as error:
            log.warning("could not load matters of client %s: %s", client_id, error)
            return
        if self._picked is None or self._picked[0] != client_id:
            return
        self._reset_matters()
        for matter in matters:
            label = matter.name + (f" ({matter.case_number})" if matter.case_number else "")
            self.matter_combo.addItem(label, matter.id)
        self.matter_combo.setEnabled(bool(matters))
        if len(matters) == 1:
            self.matter_combo.setCurrentIndex(1)

    def validated_number(self) -> str | None:
        """The typed number as E.164, or None after showing why it cannot be texted."""
        try:
            phone = normalize(self.phone_edit.text())
        except InvalidPhoneNumber as error:
            self.error_label.show_error(S.invalid_number(error.reason))
            return None
        if not is_mobile_capable(phone):
            self.error_label.show_error(S.NEW_NOT_MOBILE)
            return None
        return phone

    @asyncSlot()
    async def open_conversation(self) -> None:
        """Check the number here first, then ask the server to open or create the thread."""
        phone = self.validated_number()
        if phone is None:
            self.phone_edit.setFocus()
            return
        client_id = self._picked[0] if self._picked and self._picked[1] == phone else None
        matter_id = self.matter_combo.currentData() if client_id else None
        self.error_label.clear_message()
        self.open_button.setEnabled(False)
        try:
            conversation, created = await self._sync.compose(
                phone, client_id=client_id, matter_id=matter_id
            )
        except ApiError as error:
            self.open_button.setEnabled(True)
            self.error_label.show_error(S.describe_error(error))
            return
        self.open_button.setEnabled(True)
        self.conversation = conversation
        self.conversation_id = conversation.id
        self.created = created
        self.accept()
