"""A client's page: name and language, their numbers (with consent and the "can't receive
texts" badge), matters, and court dates with the reminders each will send."""

from __future__ import annotations

import logging

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from inbox_app.domain.phone import format_display
from inbox_app.models.schemas import (
    AgendaEventOut,
    ClientOut,
    ColleagueOut,
    ContactOut,
    EventOut,
    MatterOut,
)
from inbox_app.sync.errors import ApiError
from inbox_app.sync.records import ClientFile, Records, client_name
from inbox_app.ui import strings as S
from inbox_app.ui import theme
from inbox_app.ui.admin.table_model import RowsTableModel
from inbox_app.ui.dialogs._common import MessageLabel, ask, dialog_style
from inbox_app.ui.records.common import OfflineBanner, Tasks, confirm_cancel_event
from inbox_app.ui.records.dialogs import (
    ClientDialog,
    ContactDialog,
    EventDialog,
    MatterDialog,
    ReasonDialog,
)
from inbox_app.ui.records.events import EventTreeModel, EventTreeView

log = logging.getLogger("inbox.ui.records")


def contact_state(contact: ContactOut) -> tuple[str, str, str]:
    """(badge, why, theme colour): what the number's status column says and its tooltip."""
    if contact.trashed:
        return S.CONTACT_TRASHED, "", "muted"
    if contact.archived:
        return S.CONTACT_ARCHIVED, "", "muted"
    if contact.invalid:
        return S.CONTACT_INVALID, S.CONTACT_INVALID_WHY, "danger"
    if not contact.can_receive_texts:
        return S.CONTACT_CANNOT_TEXT, S.CONTACT_CANNOT_TEXT_WHY, "danger"
    if contact.opted_out:
        return S.CONTACT_OPTED_OUT, S.CONTACT_OPTED_OUT_WHY, "danger"
    return S.CONTACT_OK, "", "success"


class ContactTableModel(RowsTableModel):
    """A client's numbers: active first, then archived and trashed ones."""

    COLUMNS = ("CONTACT_PHONE", "CONTACT_TYPE", "CONTACT_STATE")

    def cell(self, contact: ContactOut, column: int) -> str:
        if column == 0:
            return format_display(contact.phone)
        if column == 1:
            return S.tr(contact.type.capitalize())
        return contact_state(contact)[0]

    def extra(self, contact: ContactOut, column: int, role: int):
        if column == 2 and role == Qt.ItemDataRole.ForegroundRole:
            return theme.current().color(contact_state(contact)[2])
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 2:
            contact = self.row(index.row())
            if contact is not None:
                return contact_state(contact)[1] or contact_state(contact)[0]
        return super().data(index, role)


class MatterTableModel(RowsTableModel):
    COLUMNS = ("MATTER_NAME", "MATTER_CASE_NUMBER")

    def cell(self, matter: MatterOut, column: int) -> str:
        return matter.name if column == 0 else (matter.case_number or "")


def _table(name: str, model: RowsTableModel, parent: QWidget) -> QTableView:
    view = QTableView(parent)
    view.setObjectName(name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().hide()
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.setFrameShape(QFrame.Shape.NoFrame)
    view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    header = view.horizontalHeader()
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    view.verticalHeader().setDefaultSectionSize(34)
    for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved):
        signal.connect(lambda *_a, v=view: _fit(v))
    _fit(view)
    return view


def _fit(view: QTableView) -> None:
    """A table inside the page's scroll area is as tall as its rows (the page scrolls)."""
    rows = max(1, view.model().rowCount())
    height = view.horizontalHeader().sizeHint().height() + rows * 34 + 4
    view.setFixedHeight(height)


class Section(QFrame):
    """A titled card on the page with buttons on the right of its title."""

    def __init__(self, title: str, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setProperty("recordSection", True)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(16, 12, 16, 14)
        self.layout_.setSpacing(8)
        self.head = QHBoxLayout()
        self.title = QLabel(title, self)
        self.title.setObjectName("sectionTitle")
        self.head.addWidget(self.title, 1)
        self.layout_.addLayout(self.head)

    def button(self, text: str, name: str, slot, row: QHBoxLayout | None = None) -> QPushButton:
        """A button on the title's line, or on `row`."""
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.clicked.connect(lambda _checked=False: slot())
        (row if row is not None else self.head).addWidget(button)
        return button

    def row(self) -> QHBoxLayout:
        """A line of buttons below what the section holds so far, flush left."""
        row = QHBoxLayout()
        row.setSpacing(8)
        self.layout_.addLayout(row)
        return row

    def add(self, widget: QWidget, stretch: int = 0) -> QWidget:
        self.layout_.addWidget(widget, stretch)
        return widget


class ClientPage(QWidget):
    """One client, read with `Records.client_file`, kept current by the stream.

    Signals:
      loaded(int client_id): the page shows this client as the server (or cache) has it.
      reminders_loaded(int event_id): an expanded event's reminders are on screen.
      client_saved(ClientOut): the client was added or changed here.
      conversation_requested(str phone, object client_id): open this number's thread.
    """

    loaded = Signal(int)
    reminders_loaded = Signal(int)
    client_saved = Signal(object)
    conversation_requested = Signal(str, object)

    def __init__(self, records: Records, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("clientPage")
        self.records = records
        self.file: ClientFile | None = None
        self.client_id: int | None = None
        self.tasks = Tasks(self, self.show_error)
        self._generation = 0

        self.header = QFrame(self)
        self.header.setObjectName("threadHeader")
        self.header.setFixedHeight(64)
        head = QHBoxLayout(self.header)
        head.setContentsMargins(18, 10, 12, 10)
        titles = QVBoxLayout()
        titles.setSpacing(1)
        self.title = QLabel(self.header)
        self.title.setObjectName("clientTitle")
        self.subtitle = QLabel(self.header)
        self.subtitle.setObjectName("threadSubtitle")
        titles.addStretch(1)
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        titles.addStretch(1)
        head.addLayout(titles, 1)
        self.edit_button = QPushButton(S.EDIT_CLIENT, self.header)
        self.edit_button.setObjectName("editClientButton")
        self.edit_button.clicked.connect(lambda: self.tasks.spawn(self.edit_client()))
        head.addWidget(self.edit_button)

        self.offline = OfflineBanner(records, self)
        self.message = MessageLabel("clientMessage", self)

        body = QWidget()
        body.setObjectName("clientBody")
        column = QVBoxLayout(body)
        column.setContentsMargins(18, 14, 18, 18)
        column.setSpacing(14)

        self.contacts_model = ContactTableModel(self)
        contacts = Section(S.CONTACTS, "contactsSection", body)
        self.add_contact_button = contacts.button(
            S.ADD_CONTACT, "addContactButton", lambda: self.tasks.spawn(self.add_contact())
        )
        self.contacts_view = contacts.add(_table("contactTable", self.contacts_model, contacts))
        # The picked number's actions, under the table (the title line keeps "Add number…").
        actions = contacts.row()
        self.message_button = contacts.button(
            S.MESSAGE_CONTACT, "messageContactButton", self.message_contact, actions
        )
        self.opt_button = contacts.button(
            S.OPT_OUT, "optButton", lambda: self.tasks.spawn(self.toggle_consent()), actions
        )
        self.archive_button = contacts.button(
            S.ARCHIVE_CONTACT,
            "archiveContactButton",
            lambda: self._contact_action("archive"),
            actions,
        )
        self.trash_button = contacts.button(
            S.TRASH_CONTACT, "trashContactButton", lambda: self._contact_action("trash"), actions
        )
        self.restore_button = contacts.button(
            S.RESTORE_CONTACT,
            "restoreContactButton",
            lambda: self._contact_action("restore"),
            actions,
        )
        actions.addStretch(1)
        self.contacts_view.selectionModel().currentChanged.connect(self._contact_picked)
        self.contacts_view.doubleClicked.connect(lambda _i: self.message_contact())
        self.why_label = QLabel(contacts)
        self.why_label.setObjectName("contactWhy")
        self.why_label.setWordWrap(True)
        self.why_label.hide()
        contacts.add(self.why_label)
        self.consent_title = QLabel(S.CONSENT_HISTORY, contacts)
        self.consent_title.setObjectName("consentTitle")
        contacts.add(self.consent_title)
        self.consent_label = QLabel(contacts)
        self.consent_label.setObjectName("consentHistory")
        self.consent_label.setWordWrap(True)
        self.consent_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        contacts.add(self.consent_label)
        column.addWidget(contacts)

        self.matters_model = MatterTableModel(self)
        matters = Section(S.MATTERS, "mattersSection", body)
        self.edit_matter_button = matters.button(
            S.EDIT_MATTER, "editMatterButton", lambda: self.tasks.spawn(self.edit_matter())
        )
        self.add_matter_button = matters.button(
            S.ADD_MATTER, "addMatterButton", lambda: self.tasks.spawn(self.add_matter())
        )
        self.matters_view = matters.add(_table("matterTable", self.matters_model, matters))
        self.matters_view.selectionModel().currentChanged.connect(lambda *_: self._update_buttons())
        column.addWidget(matters)

        self.events_model = EventTreeModel(self, with_client=False)
        events = Section(S.COURT_DATES, "eventsSection", body)
        self.move_button = events.button(
            S.MOVE_EVENT, "moveEventButton", lambda: self.tasks.spawn(self.move_event())
        )
        self.cancel_event_button = events.button(
            S.CANCEL_EVENT, "cancelEventButton", lambda: self.tasks.spawn(self.cancel_event())
        )
        self.add_event_button = events.button(
            S.ADD_EVENT, "addEventButton", lambda: self.tasks.spawn(self.add_event())
        )
        self.events_view = EventTreeView(events, with_client=False, fit=True)
        self.events_view.setModel(self.events_model)
        self.events_view.reminders_wanted.connect(
            lambda event_id: self.tasks.spawn(self.load_reminders(event_id))
        )
        self.events_view.selectionModel().currentChanged.connect(lambda *_: self._update_buttons())
        events.add(self.events_view, 1)
        self.no_events = QLabel(S.NO_EVENTS, events)
        self.no_events.setObjectName("noEvents")
        events.add(self.no_events)
        column.addWidget(events, 1)

        scroll = QScrollArea(self)
        scroll.setObjectName("clientScroll")
        scroll.setWidgetResizable(True)
        # The page follows the window's width; only the court dates' table scrolls sideways.
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(self.offline)
        layout.addWidget(self.message)
        layout.addWidget(scroll, 1)
        self._sections = (contacts, matters, events)

        self._reload_timer = QTimer(self)
        self._reload_timer.setObjectName("clientReloadTimer")
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(60)
        self._reload_timer.timeout.connect(lambda: self.tasks.spawn(self.load()))
        records.changed.connect(self._record_changed)
        self.refresh_icons()
        self._update_buttons()

    # --- loading -----------------------------------------------------------------------------

    def show_client(self, client_id: int) -> None:
        if client_id != self.client_id:
            self.client_id = client_id
            self.file = None
            self.message.clear_message()
            self.contacts_model.set_rows([])
            self.matters_model.set_rows([])
            self.events_model.set_events([])
            self.consent_label.setText("")
        self.tasks.spawn(self.load())

    def clear(self) -> None:
        self.client_id = None
        self.file = None

    def reload_soon(self) -> None:
        self._reload_timer.start()

    async def load(self) -> None:
        client_id = self.client_id
        if client_id is None:
            return
        self._generation += 1
        generation = self._generation
        try:
            file = await self.records.client_file(client_id)
        except ApiError as exc:
            self.offline.refresh(exc.detail)
            return
        if generation != self._generation or client_id != self.client_id:
            return
        self.offline.refresh()
        # Open court dates stay open and read their reminders again (EventTreeView).
        self._show(file)
        log.info("client loaded %d", client_id)
        self.loaded.emit(client_id)

    def _show(self, file: ClientFile) -> None:
        picked_contact = self.selected_contact()
        self.file = file
        client = file.client
        self.title.setText(client_name(client))
        self.subtitle.setText(S.language_name(client.language))
        order = sorted(file.contacts, key=lambda c: (c.trashed, c.archived, c.id))
        self.contacts_model.set_rows(order)
        self.matters_model.set_rows(file.matters)
        self.events_model.set_events(file.events)
        has_events = bool(file.events)
        self.events_view.setVisible(has_events)
        self.no_events.setVisible(not has_events)
        if picked_contact is not None:
            row = self.contacts_model.row_of(picked_contact.id)
            if row >= 0:
                self.contacts_view.selectRow(row)
        elif order:
            self.contacts_view.selectRow(0)
        self._contact_picked()
        self._update_buttons()

    async def load_reminders(self, event_id: int) -> None:
        try:
            reminders = await self.records.reminders(event_id)
        except ApiError as exc:
            self.show_error(exc.detail)
            return
        if self.events_model.event_row(event_id) < 0:
            return  # not listed (yet): it reads them again once it is
        self.events_model.set_reminders(event_id, reminders)
        log.info("reminders loaded %d (%d)", event_id, len(reminders))
        self.reminders_loaded.emit(event_id)

    def _record_changed(self, kind: str, record_id: int, client_id) -> None:
        if self.client_id is None:
            return
        if client_id is None or client_id == self.client_id:
            self.reload_soon()

    # --- selection ---------------------------------------------------------------------------

    def selected_contact(self) -> ContactOut | None:
        index = self.contacts_view.currentIndex()
        return self.contacts_model.row(index.row()) if index.isValid() else None

    def selected_matter(self) -> MatterOut | None:
        index = self.matters_view.currentIndex()
        return self.matters_model.row(index.row()) if index.isValid() else None

    def select_contact(self, phone: str) -> bool:
        row = self.contacts_model.row_of(phone, "phone")
        if row >= 0:
            self.contacts_view.selectRow(row)
        return row >= 0

    def _contact_picked(self, *_args) -> None:
        contact = self.selected_contact()
        self._update_buttons()
        if contact is None:
            self.why_label.hide()
            self.consent_label.setText(S.CONSENT_NONE)
            return
        why = contact_state(contact)[1]
        self.why_label.setText(why)
        self.why_label.setVisible(bool(why))
        self.tasks.spawn(self._load_consent(contact))

    async def _load_consent(self, contact: ContactOut) -> None:
        try:
            history = await self.records.consent(contact.id)
        except ApiError:
            history = []
        if self.selected_contact() is None or self.selected_contact().id != contact.id:
            return
        lines = [
            S.consent_line(e.opted_in, e.source, e.user_name, e.note, S.local_time(e.created_at))
            for e in reversed(history)
        ]
        self.consent_label.setText("\n".join(lines) if lines else S.CONSENT_NONE)

    def _update_buttons(self) -> None:
        contact = self.selected_contact()
        active = contact is not None and not contact.archived and not contact.trashed
        self.message_button.setEnabled(active and not contact.invalid)
        self.opt_button.setEnabled(active and not contact.invalid)
        self.opt_button.setText(S.OPT_IN if contact and contact.opted_out else S.OPT_OUT)
        self.archive_button.setEnabled(active)
        self.trash_button.setEnabled(contact is not None and not contact.trashed)
        self.restore_button.setEnabled(contact is not None and not active)
        has_client = self.file is not None
        for button in (
            self.edit_button,
            self.add_contact_button,
            self.add_matter_button,
            self.add_event_button,
        ):
            button.setEnabled(has_client)
        self.edit_matter_button.setEnabled(self.selected_matter() is not None)
        event = self.events_view.selected_event()
        self.move_button.setEnabled(event is not None)
        self.cancel_event_button.setEnabled(event is not None and event.status != "canceled")

    def show_error(self, text: str) -> None:
        self.message.show_error(text)

    # --- actions -----------------------------------------------------------------------------

    def message_contact(self) -> None:
        contact = self.selected_contact()
        if contact is not None and self.client_id is not None:
            self.conversation_requested.emit(contact.phone, self.client_id)

    async def edit_client(self) -> None:
        if self.file is None:
            return
        dialog = ClientDialog(self.records, self.file.client, self)
        self.dialog = dialog
        if await ask(dialog) and isinstance(dialog.saved, ClientOut):
            self.client_saved.emit(dialog.saved)
            await self.load()

    async def add_contact(self) -> None:
        if self.client_id is None:
            return
        dialog = ContactDialog(self.records, self.client_id, self)
        self.dialog = dialog
        if await ask(dialog) and dialog.saved is not None:
            await self.load()
            self.select_contact(dialog.saved.phone)

    async def toggle_consent(self) -> None:
        contact = self.selected_contact()
        if contact is None:
            return
        dialog = ReasonDialog(self.records, contact.id, not contact.opted_out, self)
        self.dialog = dialog
        if await ask(dialog) and dialog.saved is not None:
            self.contacts_model.replace(dialog.saved)
            self._contact_picked()
            await self.load()

    def _contact_action(self, name: str) -> None:
        self.tasks.spawn(self.contact_action(name))

    async def contact_action(self, name: str) -> None:
        contact = self.selected_contact()
        if contact is None:
            return
        self.message.clear_message()
        updated = await self.records.contact_action(contact.id, name)
        self.contacts_model.replace(updated)
        self._contact_picked()
        await self.load()

    async def add_matter(self) -> None:
        if self.client_id is None:
            return
        colleagues = await self.records.sync.colleagues()
        dialog = MatterDialog(self.records, self.client_id, None, self, colleagues)
        self.dialog = dialog
        if await ask(dialog) and dialog.saved is not None:
            await self.load()

    async def edit_matter(self) -> None:
        matter = self.selected_matter()
        if matter is None or self.client_id is None:
            return
        colleagues = await self.records.sync.colleagues()
        dialog = MatterDialog(self.records, self.client_id, matter, self, colleagues)
        self.dialog = dialog
        if await ask(dialog) and dialog.saved is not None:
            await self.load()

    def event_dialog(
        self, event: AgendaEventOut | None, colleagues: list[ColleagueOut] = ()
    ) -> EventDialog:
        assert self.file is not None
        file = self.file
        dialog = EventDialog(
            self.records, file.client.id, file.matters, file.flows, event, self, colleagues
        )
        self.dialog = dialog
        return dialog

    async def add_event(self) -> None:
        if self.file is None:
            return
        colleagues = await self.records.sync.colleagues()
        if self.file is None:
            return
        dialog = self.event_dialog(None, colleagues)
        if await ask(dialog) and isinstance(dialog.saved, EventOut):
            await self._after_event(dialog.saved.id)

    async def move_event(self) -> None:
        event = self.events_view.selected_event()
        if event is None or self.file is None:
            return
        colleagues = await self.records.sync.colleagues()
        if self.file is None:
            return
        dialog = self.event_dialog(event, colleagues)
        if await ask(dialog) and dialog.saved is not None:
            await self._after_event(event.id)

    async def cancel_event(self) -> None:
        event = self.events_view.selected_event()
        if event is None or not await confirm_cancel_event(self):
            return
        await self.records.update_event(event.id, status="canceled")
        await self._after_event(event.id)

    async def _after_event(self, event_id: int) -> None:
        """Show the event's reminders as the server made them, in the same breath."""
        self.events_view.open_ids.add(event_id)
        await self.load()
        # Selected now, or when the reload that lists it lands (another may be on its way).
        self.events_view.select_event(event_id)
        row = self.events_model.event_row(event_id)
        if row >= 0:
            self.events_view.expand_event(event_id)
            await self.load_reminders(event_id)

    def refresh_icons(self) -> None:
        t = theme.current()
        self.message_button.setIcon(theme.icon("chat", t.accent))
        self.message_button.setIconSize(QSize(16, 16))
        self.edit_button.setIcon(theme.icon("edit"))
        for button in (self.add_contact_button, self.add_matter_button, self.add_event_button):
            button.setIcon(theme.icon("plus", t.accent))
        for section in self._sections:
            section.setStyleSheet(dialog_style())
        self.events_view.viewport().update()
