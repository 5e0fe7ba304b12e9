"""Start a conversation in one step: a number or a client's contact, then the first message."""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, Qt, QTimer
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
from inbox_app.ui import theme
from inbox_app.ui.compose import ComposeEdit, counter_text
from inbox_app.ui.dialogs._common import MUTED_STYLE, MessageLabel, dialog_style, mark_primary

log = logging.getLogger(__name__)

_CONTACT_ROLE = Qt.ItemDataRole.UserRole + 1
SEARCH_DELAY_MS = 250


def looks_like_a_name(text: str) -> bool:
    """Letters mean a client's name to look up (a number has none, vanity numbers aside)."""
    return any(ch.isalpha() for ch in text) and not text.strip().startswith("+")


class NewConversationDialog(QDialog):
    """Opens (or creates) the conversation with a number; `.conversation_id` once accepted.

    `.created` says whether the server made a new thread (False: the number already had one);
    `.first_message` is the text to send in it (empty: just open it). The window sends it
    through its compose box, so the usual checks and the outbox apply.
    """

    def __init__(self, sync_client, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sync = sync_client
        self._picked: tuple[int, str] | None = None  # (client_id, E.164) of a chosen contact
        self.conversation_id: int | None = None
        self.conversation = None
        self.created = False
        self.first_message = ""
        self.setObjectName("newConversationDialog")
        self.setStyleSheet(dialog_style())
        self.setWindowTitle(S.NEW_TITLE)
        self.setMinimumWidth(480)

        # One field takes a number or a name: digits are checked as typed, letters search.
        self.phone_edit = QLineEdit()
        self.phone_edit.setObjectName("phoneEdit")
        self.phone_edit.setPlaceholderText(S.NEW_TO_HINT)
        self.phone_edit.setClearButtonEnabled(True)
        self.phone_edit.setAccessibleName(S.NEW_TO)
        self.phone_edit.installEventFilter(self)
        self.number_check = QLabel()
        self.number_check.setObjectName("numberCheck")
        self.number_check.setWordWrap(True)
        self.number_check.setStyleSheet(MUTED_STYLE)
        self.number_check.hide()
        self.results = QListWidget()
        self.results.setObjectName("contactResults")
        self.results.setMinimumHeight(110)
        self.results.installEventFilter(self)
        self.results.hide()
        self.no_results = QLabel(S.NEW_NO_RESULTS)
        self.no_results.setObjectName("noContactResults")
        self.no_results.setStyleSheet(MUTED_STYLE)
        self.no_results.setWordWrap(True)
        self.no_results.hide()

        self.matter_combo = QComboBox()
        self.matter_combo.setObjectName("matterCombo")
        self.matter_combo.addItem(S.NEW_NO_MATTER, None)
        self.matter_combo.setEnabled(False)

        self.message_edit = ComposeEdit()
        self.message_edit.setObjectName("firstMessageEdit")
        self.message_edit.setPlaceholderText(S.NEW_MESSAGE_HINT)
        self.message_edit.setAccessibleName(S.NEW_MESSAGE)
        self.message_edit.submitted.connect(self.open_conversation)
        self.message_edit.textChanged.connect(self._message_changed)
        self.counter = QLabel()
        self.counter.setObjectName("firstMessageCounter")
        self.counter.setStyleSheet(MUTED_STYLE)

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

        to_column = QVBoxLayout()
        to_column.setSpacing(4)
        to_column.addWidget(self.phone_edit)
        to_column.addWidget(self.number_check)
        to_column.addWidget(self.results)
        to_column.addWidget(self.no_results)
        message_column = QVBoxLayout()
        message_column.setSpacing(4)
        message_column.addWidget(self.message_edit)
        message_column.addWidget(self.counter, 0, Qt.AlignmentFlag.AlignRight)
        form = QFormLayout()
        form.addRow(S.NEW_TO, to_column)
        form.addRow(S.NEW_MATTER, self.matter_combo)
        form.addRow(S.NEW_MESSAGE, message_column)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        QWidget.setTabOrder(self.phone_edit, self.results)
        QWidget.setTabOrder(self.results, self.matter_combo)
        QWidget.setTabOrder(self.matter_combo, self.message_edit)

        self._search_timer = QTimer(self)
        self._search_timer.setObjectName("contactSearchTimer")
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.search)
        self.results.currentItemChanged.connect(self._contact_chosen)
        self.results.itemActivated.connect(lambda _item: self._to_message())
        self.phone_edit.textEdited.connect(self._to_typed)
        self._message_changed()
        self.phone_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- the To field -------------------------------------------------------------------------

    def eventFilter(self, watched, event) -> bool:
        # Enter on a contact moves on to the message (the list would pass it to the dialog's
        # default button, which would open the thread without it).
        if (
            watched is self.results
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self._to_message()
            return True
        if watched is self.phone_edit and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if key == Qt.Key.Key_Down and self.results.isVisible() and self.results.count():
                self.results.setFocus(Qt.FocusReason.TabFocusReason)
                if self.results.currentRow() < 0:
                    self.results.setCurrentRow(0)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._enter_in_to_field()
                return True
        return super().eventFilter(watched, event)

    def _enter_in_to_field(self) -> None:
        # With a message written, Enter sends; without one it moves on to write it.
        if self.message_edit.toPlainText().strip():
            self.open_conversation()
            return
        if looks_like_a_name(self.phone_edit.text()) and self.results.count():
            self.results.setFocus(Qt.FocusReason.TabFocusReason)
            self.results.setCurrentRow(max(0, self.results.currentRow()))
            return
        if self.validated_number() is not None:
            self._to_message()

    def _to_message(self) -> None:
        self.message_edit.setFocus(Qt.FocusReason.TabFocusReason)

    def _to_typed(self, text: str) -> None:
        # A hand-typed number is not the chosen client's contact any more.
        if self._picked is not None:
            self._picked = None
            self.results.clearSelection()
            self._reset_matters()
        self.error_label.clear_message()
        if looks_like_a_name(text):
            self.number_check.setText(S.NEW_PICK_CONTACT if self.results.count() else "")
            self.number_check.setVisible(self.results.count() > 0)
            self._search_timer.start()
            return
        self._search_timer.stop()
        self.results.clear()
        self.results.hide()
        self.no_results.hide()
        self.check_number()

    def check_number(self) -> str | None:
        """The live check under the field: the number as people read it, or why it will not do."""
        text = self.phone_edit.text()
        digits = sum(ch.isdigit() for ch in text)
        if digits < 3:
            self.number_check.hide()
            return None
        t = theme.current()
        try:
            phone = normalize(text)
        except InvalidPhoneNumber as error:
            self._show_check(S.invalid_number(error.reason), t.muted)
            return None
        if not is_mobile_capable(phone):
            self._show_check(S.NEW_NOT_MOBILE, t.danger)
            return None
        self._show_check(S.NEW_NUMBER_OK.format(number=format_display(phone)), t.success)
        return phone

    def _show_check(self, text: str, color: str) -> None:
        self.number_check.setStyleSheet(f"QLabel {{ color: {color}; }}")
        self.number_check.setText(text)
        self.number_check.show()

    @asyncSlot()
    async def search(self) -> None:
        """List the contacts of the clients whose name matches the typed text."""
        query = self.phone_edit.text().strip()
        if not query or not looks_like_a_name(query):
            self.results.clear()
            self.results.hide()
            self.no_results.hide()
            return
        try:
            clients = await self._sync.clients(q=query)
        except ApiError as error:
            self.error_label.show_error(S.describe_error(error))
            return
        if query != self.phone_edit.text().strip():
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
                if not contact.can_receive_texts:
                    label += f"  ({S.NEW_CANT_TEXT})"
                item = QListWidgetItem(label)
                item.setData(_CONTACT_ROLE, (client.id, contact.phone))
                self.results.addItem(item)
        found = self.results.count() > 0
        self.results.setVisible(found)
        self.no_results.setVisible(not found)
        self.number_check.setStyleSheet(MUTED_STYLE)
        self.number_check.setText(S.NEW_PICK_CONTACT)
        self.number_check.setVisible(found)

    def _contact_chosen(self, item: QListWidgetItem | None, _previous=None) -> None:
        if item is None:
            return
        client_id, phone = item.data(_CONTACT_ROLE)
        self._picked = (client_id, phone)
        self.phone_edit.setText(format_display(phone))
        self.error_label.clear_message()
        self.check_number()
        self._load_matters(client_id)

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

    # --- the first message --------------------------------------------------------------------

    def _message_changed(self) -> None:
        text = self.message_edit.toPlainText()
        label, over = counter_text(text)
        self.counter.setText(label)
        self.counter.setStyleSheet(
            f"QLabel {{ color: {theme.current().danger}; }}" if over else MUTED_STYLE
        )
        self.open_button.setText(S.NEW_SEND if text.strip() else S.NEW_OPEN)

    # --- done ---------------------------------------------------------------------------------

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
        """Check the number (and the message's length) here, then ask the server for the thread."""
        if not self.open_button.isEnabled():
            return  # already asking
        phone = self.validated_number()
        if phone is None:
            self.phone_edit.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        body = self.message_edit.toPlainText()
        if counter_text(body)[1]:
            self.error_label.show_error(S.NEW_TOO_LONG)
            self.message_edit.setFocus(Qt.FocusReason.OtherFocusReason)
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
        self.first_message = body if body.strip() else ""
        self.accept()
