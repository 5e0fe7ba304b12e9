"""A conversation's details: who, which client and matter, and the number's consent history."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from inbox_app.domain.phone import format_display
from inbox_app.sync.errors import ApiError
from inbox_app.ui import strings as S
from inbox_app.ui import theme
from inbox_app.ui.dialogs._common import HEADING_STYLE, MUTED_STYLE, MessageLabel, dialog_style

_SOURCES = {"keyword": "SOURCE_KEYWORD", "staff": "SOURCE_STAFF", "created": "SOURCE_CREATED"}


def consent_by(event) -> str:
    """Who changed consent: the user's name when the server gives it, else what we know."""
    name = getattr(event, "user_name", None)
    if name:
        return name
    if event.user_id is not None:
        return S.user_number(event.user_id)
    return S.BY_CONTACT if event.source == "keyword" else S.BY_SYSTEM


class ThreadDetailsDialog(QDialog):
    """Contact, number, client, matter, opted-out state and consent history of a conversation.

    Loading starts at once; `.loading` is the task (await it or wait until it is done).
    """

    def __init__(self, sync_client, conversation, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sync = sync_client
        self.conversation = conversation
        self.setObjectName("threadDetailsDialog")
        self.setStyleSheet(dialog_style())
        self.setWindowTitle(S.DETAILS_TITLE)
        self.resize(640, 460)

        title = QLabel(conversation.contact_name or format_display(conversation.phone))
        title.setObjectName("detailsTitle")
        title.setStyleSheet(HEADING_STYLE)

        self.contact_value = self._value("detailsContact", conversation.contact_name)
        self.number_value = self._value("detailsNumber", format_display(conversation.phone))
        self.client_value = self._value("detailsClient", None)
        self.matter_value = self._value("detailsMatter", conversation.matter)
        self.consent_value = self._value(
            "detailsConsent",
            S.DETAILS_OPTED_OUT if conversation.opted_out else S.DETAILS_OPTED_IN,
        )
        if conversation.opted_out:
            self.consent_value.setStyleSheet(
                f"QLabel {{ color: {theme.current().danger}; font-weight: 600; }}"
            )

        form = QFormLayout()
        form.addRow(S.DETAILS_CONTACT, self.contact_value)
        form.addRow(S.DETAILS_NUMBER, self.number_value)
        form.addRow(S.DETAILS_CLIENT, self.client_value)
        form.addRow(S.DETAILS_MATTER, self.matter_value)
        form.addRow(S.DETAILS_CONSENT, self.consent_value)

        heading = QLabel(S.DETAILS_HISTORY)
        heading.setStyleSheet("QLabel { font-weight: 600; margin-top: 8px; }")
        self.table = QTableWidget(0, 5)
        self.table.setObjectName("consentTable")
        self.table.setHorizontalHeaderLabels(
            [S.DETAILS_WHEN, S.DETAILS_CHANGE, S.DETAILS_HOW, S.DETAILS_BY, S.DETAILS_NOTE]
        )
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setDefaultAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        )
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.empty_label = QLabel(S.DETAILS_NO_HISTORY)
        self.empty_label.setObjectName("consentEmpty")
        self.empty_label.setStyleSheet(MUTED_STYLE)
        self.empty_label.hide()
        self.error_label = MessageLabel("detailsError")

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setObjectName("detailsCloseButton")
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(heading)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)

        self.loading = self.load()

    @staticmethod
    def _value(name: str, text: str | None) -> QLabel:
        label = QLabel(text or S.DETAILS_NONE)
        label.setObjectName(name)
        label.setWordWrap(True)
        return label

    @asyncSlot()
    async def load(self) -> None:
        """Fetch the client's name and the consent history."""
        conversation = self.conversation
        try:
            if conversation.client_id is not None:
                client = await self._sync.client(conversation.client_id)
                self.client_value.setText(f"{client.first_name} {client.last_name}".strip())
            events = await self._sync.consent_history(conversation.phone)
        except ApiError as error:
            self.error_label.show_error(S.describe_error(error))
            return
        self.table.setRowCount(len(events))
        for row, event in enumerate(sorted(events, key=lambda e: e.created_at, reverse=True)):
            cells = [
                S.local_time(event.created_at),
                S.DETAILS_IN if event.opted_in else S.DETAILS_OUT,
                getattr(S, _SOURCES[event.source]) if event.source in _SOURCES else event.source,
                consent_by(event),
                event.note,
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.empty_label.setVisible(not events)
