"""The Upcoming view: the firm's court dates of the next 14 days, filtered by attorney, client or
matter; expanding one shows its reminders as the client will get them. Court dates are added,
moved and canceled here as on a client's page."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inbox_app.models.schemas import AgendaEventOut, EventOut
from inbox_app.sync.errors import ApiError
from inbox_app.sync.records import Records, client_name
from inbox_app.ui import strings as S
from inbox_app.ui import theme
from inbox_app.ui.dialogs._common import MessageLabel, ask, dialog_style
from inbox_app.ui.records.common import OfflineBanner, Tasks, confirm_cancel_event
from inbox_app.ui.records.dialogs import EventDialog, colleague_name
from inbox_app.ui.records.events import EventTreeModel, EventTreeView

log = logging.getLogger("inbox.ui.records")

DAYS = 14


class UpcomingPage(QWidget):
    """The agenda. Reads `Records.upcoming`; the stream's record events keep it current.

    Signals:
      agenda_loaded(): the agenda was (re)read.
      reminders_loaded(int event_id): an expanded event's reminders are on screen.
      client_requested(int client_id): open this client's page.
    """

    agenda_loaded = Signal()
    reminders_loaded = Signal(int)
    client_requested = Signal(int)

    def __init__(self, records: Records, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("upcomingPage")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.records = records
        self.header = None
        self.tasks = Tasks(self, lambda text: self.message.show_error(text))
        self._loaded = False
        self._generation = 0

        header = QFrame(self)
        self.header = header
        header.setObjectName("threadHeader")
        header.setFixedHeight(64)
        head = QHBoxLayout(header)
        head.setContentsMargins(18, 10, 12, 10)
        head.setSpacing(8)
        titles = QVBoxLayout()
        titles.setSpacing(1)
        title = QLabel(S.UPCOMING_TITLE, header)
        title.setObjectName("threadTitle")
        self.count_label = QLabel(header)
        self.count_label.setObjectName("threadSubtitle")
        titles.addStretch(1)
        titles.addWidget(title)
        titles.addWidget(self.count_label)
        titles.addStretch(1)
        head.addLayout(titles, 1)
        self.attorney_box = QComboBox(header)
        self.attorney_box.setObjectName("upcomingAttorney")
        self.attorney_box.setMinimumWidth(160)
        self.client_box = QComboBox(header)
        self.client_box.setObjectName("upcomingClient")
        self.client_box.setMinimumWidth(180)
        self.matter_box = QComboBox(header)
        self.matter_box.setObjectName("upcomingMatter")
        self.matter_box.setMinimumWidth(200)
        self.open_button = QPushButton(S.OPEN_CLIENT, header)
        self.open_button.setObjectName("openClientButton")
        self.open_button.clicked.connect(self._open_client)
        for widget in (self.attorney_box, self.client_box, self.matter_box, self.open_button):
            head.addWidget(widget)
        self.attorney_box.addItem(S.UPCOMING_ALL_ATTORNEYS, None)
        self.client_box.addItem(S.UPCOMING_ALL_CLIENTS, None)
        self.matter_box.addItem(S.UPCOMING_ALL_MATTERS, None)
        self.attorney_box.currentIndexChanged.connect(lambda _i: self.reload())
        self.client_box.currentIndexChanged.connect(self._client_filter_changed)
        self.matter_box.currentIndexChanged.connect(lambda _i: self.reload())

        self.offline = OfflineBanner(records, self)
        self.message = MessageLabel("upcomingMessage", self)
        self.model = EventTreeModel(self, with_client=True)
        self.view = EventTreeView(self, with_client=True)
        self.view.setObjectName("upcomingTree")
        self.view.setModel(self.model)
        self.view.reminders_wanted.connect(
            lambda event_id: self.tasks.spawn(self.load_reminders(event_id))
        )
        self.view.selectionModel().currentChanged.connect(lambda *_: self._update_buttons())
        self.empty_label = QLabel(S.NO_UPCOMING.format(days=DAYS), self)
        self.empty_label.setObjectName("emptyList")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.hide()
        self.actions_bar = QWidget(self)
        self.actions_bar.setObjectName("agendaActions")
        self.actions_bar.setStyleSheet(dialog_style())
        actions = QHBoxLayout(self.actions_bar)
        actions.setContentsMargins(0, 0, 0, 8)
        actions.setSpacing(8)
        self.add_event_button = QPushButton(S.ADD_EVENT, self.actions_bar)
        self.add_event_button.setObjectName("agendaAddEvent")
        self.add_event_button.clicked.connect(lambda: self.tasks.spawn(self.add_event()))
        self.move_event_button = QPushButton(S.MOVE_EVENT, self.actions_bar)
        self.move_event_button.setObjectName("agendaMoveEvent")
        self.move_event_button.clicked.connect(lambda: self.tasks.spawn(self.move_event()))
        self.cancel_event_button = QPushButton(S.CANCEL_EVENT, self.actions_bar)
        self.cancel_event_button.setObjectName("agendaCancelEvent")
        self.cancel_event_button.clicked.connect(lambda: self.tasks.spawn(self.cancel_event()))
        for button in (self.add_event_button, self.move_event_button, self.cancel_event_button):
            actions.addWidget(button)
        actions.addStretch(1)
        self.dialog = None
        body = QVBoxLayout()
        body.setContentsMargins(18, 12, 18, 12)
        body.addWidget(self.actions_bar)
        body.addWidget(self.view, 1)
        body.addWidget(self.empty_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(header)
        layout.addWidget(self.offline)
        layout.addWidget(self.message)
        layout.addLayout(body, 1)

        self._reload_timer = QTimer(self)
        self._reload_timer.setObjectName("upcomingReloadTimer")
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(60)
        self._reload_timer.timeout.connect(self.reload)
        records.changed.connect(self._record_changed)
        records.sync.online_changed.connect(self._online_changed)
        self._update_buttons()

    def activate(self) -> None:
        if not self._loaded:
            self._loaded = True
            self.tasks.spawn(self._load_filters())
            self.reload()

    def reload(self) -> None:
        self.tasks.spawn(self.load())

    async def _load_filters(self) -> None:
        colleagues = await self.records.sync.colleagues()
        current = self.attorney_box.currentData()
        self.attorney_box.blockSignals(True)
        self.attorney_box.clear()
        self.attorney_box.addItem(S.UPCOMING_ALL_ATTORNEYS, None)
        for colleague in colleagues:
            self.attorney_box.addItem(colleague_name(colleague), colleague.id)
        self.attorney_box.setCurrentIndex(max(0, self.attorney_box.findData(current)))
        self.attorney_box.blockSignals(False)
        try:
            clients = await self.records.clients()
        except ApiError:
            return
        current = self.client_box.currentData()
        self.client_box.blockSignals(True)
        self.client_box.clear()
        self.client_box.addItem(S.UPCOMING_ALL_CLIENTS, None)
        for client in clients:
            self.client_box.addItem(client_name(client), client.id)
        self.client_box.setCurrentIndex(max(0, self.client_box.findData(current)))
        self.client_box.blockSignals(False)
        await self._load_matters()

    async def _load_matters(self) -> None:
        client_id = self.client_box.currentData()
        matters = []
        if client_id is not None:
            try:
                file = await self.records.client_file(client_id)
                matters = file.matters
            except ApiError:
                matters = []
        current = self.matter_box.currentData()
        self.matter_box.blockSignals(True)
        self.matter_box.clear()
        self.matter_box.addItem(S.UPCOMING_ALL_MATTERS, None)
        for matter in matters:
            label = f"{matter.name} ({matter.case_number})" if matter.case_number else matter.name
            self.matter_box.addItem(label, matter.id)
        self.matter_box.setCurrentIndex(max(0, self.matter_box.findData(current)))
        self.matter_box.setEnabled(client_id is not None)
        self.matter_box.blockSignals(False)

    def _client_filter_changed(self, _index: int) -> None:
        self.tasks.spawn(self._refilter())

    async def _refilter(self) -> None:
        await self._load_matters()
        await self.load()

    async def load(self) -> None:
        self._generation += 1
        generation = self._generation
        try:
            rows = await self.records.upcoming(
                DAYS,
                self.client_box.currentData(),
                self.matter_box.currentData(),
                attorney_id=self.attorney_box.currentData(),
            )
        except ApiError as exc:
            self.offline.refresh(exc.detail)
            return
        if generation != self._generation:
            return
        self.offline.refresh()
        self.message.clear_message()
        # Open court dates stay open and read their reminders again (EventTreeView).
        self.model.set_events(rows)
        self.count_label.setText(S.upcoming_count(len(rows), DAYS))
        self.view.setVisible(bool(rows))
        self.empty_label.setVisible(not rows)
        self._update_buttons()
        log.info("agenda loaded (%d)", len(rows))
        self.agenda_loaded.emit()

    async def load_reminders(self, event_id: int) -> None:
        try:
            reminders = await self.records.reminders(event_id)
        except ApiError as exc:
            self.message.show_error(exc.detail)
            return
        self.model.set_reminders(event_id, reminders)
        log.info("agenda reminders loaded %d (%d)", event_id, len(reminders))
        self.reminders_loaded.emit(event_id)

    def _record_changed(self, kind: str, _id: int, _client_id) -> None:
        if self._loaded and kind.startswith(("event.", "client.", "matter.", "contact.")):
            self._reload_timer.start()

    def _online_changed(self, online: bool) -> None:
        self.offline.refresh()
        if online and self._loaded:
            self._reload_timer.start()

    def _update_buttons(self) -> None:
        event = self.view.selected_event()
        self.open_button.setEnabled(event is not None)
        self.move_event_button.setEnabled(event is not None)
        self.cancel_event_button.setEnabled(event is not None and event.status != "canceled")

    # --- court dates from the agenda --------------------------------------------------------

    async def _event_dialog(self, client_id: int, event: AgendaEventOut | None) -> EventDialog:
        file = await self.records.client_file(client_id)
        colleagues = await self.records.sync.colleagues()
        dialog = EventDialog(
            self.records, client_id, file.matters, file.flows, event, self, colleagues
        )
        self.dialog = dialog
        return dialog

    async def add_event(self) -> None:
        """A court date for the client in the filter (else the selected court date's client)."""
        client_id = self.client_box.currentData()
        if client_id is None and (event := self.view.selected_event()) is not None:
            client_id = event.client_id
        if client_id is None:
            self.message.show_note(S.UPCOMING_PICK_CLIENT)
            return
        self.message.clear_message()
        dialog = await self._event_dialog(client_id, None)
        if await ask(dialog) and isinstance(dialog.saved, EventOut):
            await self._after_event(dialog.saved.id)

    async def move_event(self) -> None:
        event = self.view.selected_event()
        if event is None:
            return
        dialog = await self._event_dialog(event.client_id, event)
        if await ask(dialog) and dialog.saved is not None:
            await self._after_event(event.id)

    async def cancel_event(self) -> None:
        event = self.view.selected_event()
        if event is None or not await confirm_cancel_event(self):
            return
        await self.records.update_event(event.id, status="canceled")
        await self._after_event(event.id)

    async def _after_event(self, event_id: int) -> None:
        """Show the court date's reminders as the server remade them, at once."""
        self.view.open_ids.add(event_id)
        await self.load()
        # Selected now, or when the reload that lists it lands (another may be on its way).
        self.view.select_event(event_id)
        row = self.model.event_row(event_id)
        if row >= 0:
            self.view.expand_event(event_id)
            await self.load_reminders(event_id)

    def _open_client(self) -> None:
        event = self.view.selected_event()
        if event is not None:
            self.client_requested.emit(event.client_id)

    def refresh_icons(self) -> None:
        t = theme.current()
        self.header.setStyleSheet(dialog_style())
        self.actions_bar.setStyleSheet(dialog_style())
        self.open_button.setIcon(theme.icon("clients", t.accent))
        self.view.viewport().update()
