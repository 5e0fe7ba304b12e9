"""Reminder flows and templates: list and edit a flow's steps (days or hours before or after the
court date, an optional fixed time) and a template per language, with a merge-tag picker and a
live preview the server renders for a chosen client and court date (one rule, one place), with
its segments and encoding. The server's refusals are shown at the template they are about.
Staff see the same dialog read-only (the server refuses their edits anyway)."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import time

from PySide6.QtCore import QTime, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QTimeEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from inbox_app.domain import merge
from inbox_app.models.schemas import FlowOut, FlowPreviewOut
from inbox_app.sync.errors import ApiError, Unreachable
from inbox_app.ui import strings as S
from inbox_app.ui import theme
from inbox_app.ui.dialogs._common import (
    HEADING_STYLE,
    MUTED_STYLE,
    MessageLabel,
    dialog_style,
    mark_primary,
)

log = logging.getLogger("inbox.ui")

LANGUAGES = ("en", "es")
PREVIEW_DELAY_MS = 250
# "Step 2, es template: Unknown merge tag [X]; …": where the server's refusal belongs.
_STEP_ERROR = re.compile(r"^Step (\d+), ([a-z-]+) template:? (.*)$", re.DOTALL)
_NEEDS_STEP = re.compile(r"^Step (\d+) (.*)$", re.DOTALL)


def _blank_step() -> dict:
    return {"offset_days": -1, "offset_hours": 0, "send_time": time(9, 0), "templates": {}}


class FlowsDialog(QDialog):
    """The firm's flows on the left, the chosen one's steps, template and preview on the right.

    Signals:
      loaded(): the flows (and the clients for the preview) were read.
      previewed(FlowPreviewOut): a preview came back from the server.
      saved(FlowOut): the server kept a flow.
    """

    loaded = Signal()
    previewed = Signal(object)
    saved = Signal(object)

    def __init__(self, sync, *, can_edit: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("flowsDialog")
        self.setWindowTitle(S.FLOWS_TITLE)
        self.setStyleSheet(dialog_style())
        self.resize(1040, 720)
        self._sync = sync
        self.can_edit = can_edit
        self.flows: list[FlowOut] = []
        self.flow_id: int | None = None
        self.steps: list[dict] = []
        self.step_index = -1
        self._filling = False
        self.preview_task: asyncio.Future | None = None
        self.last_preview: FlowPreviewOut | None = None

        heading = QLabel(S.FLOWS_HEADING)
        heading.setStyleSheet(HEADING_STYLE)
        subtitle = QLabel(S.FLOWS_SUBTITLE if can_edit else S.FLOWS_READ_ONLY)
        subtitle.setObjectName("flowsSubtitle")
        subtitle.setStyleSheet(MUTED_STYLE)

        self.flow_list = QListWidget()
        self.flow_list.setObjectName("flowsList")
        self.flow_list.setMaximumWidth(220)
        self.flow_list.currentRowChanged.connect(self._flow_chosen)
        self.new_button = QPushButton(S.FLOWS_NEW)
        self.new_button.setObjectName("flowsNew")
        self.new_button.clicked.connect(self.new_flow)
        left = QVBoxLayout()
        left.addWidget(self.flow_list, 1)
        left.addWidget(self.new_button)

        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("flowName")
        self.step_list = QListWidget()
        self.step_list.setObjectName("flowSteps")
        self.step_list.setMaximumHeight(120)
        self.step_list.currentRowChanged.connect(self._step_chosen)
        self.add_step_button = QPushButton(S.FLOWS_ADD_STEP)
        self.add_step_button.setObjectName("flowAddStep")
        self.add_step_button.clicked.connect(self.add_step)
        self.remove_step_button = QPushButton(S.FLOWS_REMOVE_STEP)
        self.remove_step_button.setObjectName("flowRemoveStep")
        self.remove_step_button.clicked.connect(self.remove_step)
        step_buttons = QHBoxLayout()
        step_buttons.addWidget(self.add_step_button)
        step_buttons.addWidget(self.remove_step_button)
        step_buttons.addStretch(1)

        self.days_spin = QSpinBox()
        self.days_spin.setObjectName("stepDays")
        self.days_spin.setRange(0, 365)
        self.days_spin.setSuffix(S.FLOWS_DAYS)
        self.hours_spin = QSpinBox()
        self.hours_spin.setObjectName("stepHours")
        self.hours_spin.setRange(0, 23)
        self.hours_spin.setSuffix(S.FLOWS_HOURS)
        self.direction_combo = QComboBox()
        self.direction_combo.setObjectName("stepDirection")
        self.direction_combo.addItem(S.FLOWS_BEFORE, -1)
        self.direction_combo.addItem(S.FLOWS_AFTER, 1)
        self.at_time_check = QCheckBox(S.FLOWS_AT_TIME)
        self.at_time_check.setObjectName("stepAtTime")
        self.time_edit = QTimeEdit()
        self.time_edit.setObjectName("stepTime")
        self.time_edit.setDisplayFormat("h:mm AP")
        when = QHBoxLayout()
        for widget in (
            self.days_spin,
            self.hours_spin,
            self.direction_combo,
            self.at_time_check,
            self.time_edit,
        ):
            when.addWidget(widget)
        when.addStretch(1)
        for signal in (
            self.days_spin.valueChanged,
            self.hours_spin.valueChanged,
            self.direction_combo.currentIndexChanged,
            self.at_time_check.toggled,
            self.time_edit.timeChanged,
        ):
            signal.connect(self._step_edited)

        self.template_tabs = QTabWidget()
        self.template_tabs.setObjectName("templateTabs")
        self.template_edits: dict[str, QPlainTextEdit] = {}
        for code in LANGUAGES:
            edit = QPlainTextEdit()
            edit.setObjectName(f"template_{code}")
            edit.setTabChangesFocus(True)
            edit.textChanged.connect(self._template_edited)
            self.template_tabs.addTab(edit, S.FLOWS_LANGUAGES[code])
            self.template_edits[code] = edit
        self.template_tabs.currentChanged.connect(lambda _i: self.schedule_preview())
        self.tag_button = QToolButton()
        self.tag_button.setObjectName("mergeTagButton")
        self.tag_button.setText(S.FLOWS_INSERT_TAG)
        self.tag_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        tags = QMenu(self.tag_button)
        tags.setObjectName("mergeTagMenu")
        for tag in merge.KNOWN_TAGS:
            tags.addAction(f"[{tag}]", lambda tag=tag: self.insert_tag(tag))
        self.tag_button.setMenu(tags)
        t = theme.current()
        self.tag_button.setText(f"{S.FLOWS_INSERT_TAG}  ▾")
        self.tag_button.setStyleSheet(
            f"QToolButton {{ background: {t.raised}; color: {t.text}; border: 1px solid"
            f" {t.border}; border-radius: 6px; padding: 3px 10px; margin-bottom: 2px; }}"
            f" QToolButton:hover {{ background: {t.hover}; }}"
            f" QToolButton:focus {{ border: 2px solid {t.accent}; padding: 2px 9px; }}"
            " QToolButton::menu-indicator { image: none; width: 0; }"
        )
        self.template_tabs.setCornerWidget(self.tag_button)
        self.template_error = MessageLabel("templateError")

        self.client_combo = QComboBox()
        self.client_combo.setObjectName("previewClient")
        self.client_combo.addItem(S.FLOWS_SAMPLE_CLIENT, None)
        self.client_combo.currentIndexChanged.connect(self._client_chosen)
        # The combo holds the first page of clients; a search finds any other.
        self.client_search = QLineEdit()
        self.client_search.setObjectName("previewSearch")
        self.client_search.setPlaceholderText(S.FLOWS_FIND_CLIENT)
        self.client_search.setClearButtonEnabled(True)
        self.client_search.textEdited.connect(lambda _t: self.search_timer.start())
        self.search_timer = QTimer(self)
        self.search_timer.setObjectName("previewSearchTimer")
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(PREVIEW_DELAY_MS)
        self.search_timer.timeout.connect(lambda: asyncio.ensure_future(self.find_clients()))
        self.event_combo = QComboBox()
        self.event_combo.setObjectName("previewEvent")
        self.event_combo.currentIndexChanged.connect(lambda _i: self.schedule_preview())
        self.event_combo.setEnabled(False)
        self.preview_body = QLabel()
        self.preview_body.setObjectName("previewBody")
        self.preview_body.setWordWrap(True)
        self.preview_body.setMinimumHeight(60)
        self.preview_body.setStyleSheet(
            f"QLabel {{ background: {t.bubble_out}; color: {t.on_bubble_out};"
            f" border-radius: 14px; padding: 10px 14px; font-size: 11pt; }}"
        )
        self.preview_measure = QLabel()
        self.preview_measure.setObjectName("previewMeasure")
        self.preview_measure.setStyleSheet(MUTED_STYLE)
        self.preview_note = QLabel()
        self.preview_note.setObjectName("previewNote")
        self.preview_note.setWordWrap(True)
        self.preview_note.setStyleSheet(MUTED_STYLE)
        self.preview_warning = MessageLabel("previewWarning")
        choose = QHBoxLayout()
        choose.addWidget(QLabel(S.FLOWS_PREVIEW_FOR))
        self.client_search.setMaximumWidth(180)
        choose.addWidget(self.client_search)
        choose.addWidget(self.client_combo, 2)
        choose.addWidget(self.event_combo, 3)
        preview_box = QGroupBox(S.FLOWS_PREVIEW)
        preview_box.setObjectName("previewBox")
        preview_layout = QVBoxLayout(preview_box)
        preview_layout.addLayout(choose)
        bubble_row = QHBoxLayout()
        bubble_row.addStretch(1)
        bubble_row.addWidget(self.preview_body, 4)
        preview_layout.addLayout(bubble_row)
        preview_layout.addWidget(self.preview_measure)
        preview_layout.addWidget(self.preview_note)
        preview_layout.addWidget(self.preview_warning)

        form = QFormLayout()
        form.addRow(S.FLOWS_NAME, self.name_edit)
        form.addRow(S.FLOWS_STEPS, self.step_list)
        form.addRow("", step_buttons)
        form.addRow(S.FLOWS_WHEN, when)
        right = QVBoxLayout()
        right.addLayout(form)
        right.addWidget(QLabel(S.FLOWS_TEMPLATE))
        right.addWidget(self.template_tabs, 1)
        right.addWidget(self.template_error)
        right.addWidget(preview_box)

        body = QHBoxLayout()
        body.addLayout(left)
        body.addLayout(right, 1)

        self.message = MessageLabel("flowsMessage")
        self.save_button = mark_primary(QPushButton(S.FLOWS_SAVE))
        self.save_button.setObjectName("flowSave")
        self.save_button.clicked.connect(self.save)
        close = QPushButton(S.IMPORT_CLOSE)
        close.setObjectName("flowsClose")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(close)
        buttons.addWidget(self.save_button)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(subtitle)
        layout.addLayout(body, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)

        self.preview_timer = QTimer(self)
        self.preview_timer.setObjectName("previewTimer")
        self.preview_timer.setSingleShot(True)
        self.preview_timer.setInterval(PREVIEW_DELAY_MS)
        self.preview_timer.timeout.connect(self._start_preview)
        self._apply_permissions()
        self.loading = asyncio.ensure_future(self.load())

    # -- loading and choosing --------------------------------------------------------------

    def _apply_permissions(self) -> None:
        for widget in (
            self.new_button,
            self.add_step_button,
            self.remove_step_button,
            self.save_button,
            self.tag_button,
        ):
            widget.setVisible(self.can_edit)
        self.name_edit.setReadOnly(not self.can_edit)
        for edit in self.template_edits.values():
            edit.setReadOnly(not self.can_edit)
        for widget in (
            self.days_spin,
            self.hours_spin,
            self.direction_combo,
            self.at_time_check,
            self.time_edit,
        ):
            widget.setEnabled(self.can_edit)

    async def load(self) -> None:
        try:
            self.flows = await self._sync.flows()
            clients = await self._sync.clients()
        except (ApiError, Unreachable) as exc:
            self.message.show_error(S.describe_error(exc))
            self.loaded.emit()
            return
        self._set_clients(clients)
        self.flow_list.clear()
        for flow in self.flows:
            self.flow_list.addItem(flow.name)
        if self.flows:
            self.flow_list.setCurrentRow(0)
        log.info("flows loaded (%d)", len(self.flows))
        self.loaded.emit()

    def _flow_chosen(self, row: int) -> None:
        if not 0 <= row < len(self.flows):
            return
        flow = self.flows[row]
        self.flow_id = flow.id
        self.steps = [
            {
                "offset_days": step.offset_days,
                "offset_hours": step.offset_hours,
                "send_time": step.send_time,
                "templates": dict(step.templates),
            }
            for step in flow.steps
        ]
        self._filling = True
        self.name_edit.setText(flow.name)
        self._filling = False
        self.message.clear_message()
        self._fill_steps(0)

    def _fill_steps(self, select: int) -> None:
        self.step_index = -1
        self.step_list.blockSignals(True)
        self.step_list.clear()
        for step in self.steps:
            self.step_list.addItem(
                S.step_text(step["offset_days"], step["offset_hours"], step["send_time"])
            )
        self.step_list.blockSignals(False)
        if self.steps:
            self.step_list.setCurrentRow(min(select, len(self.steps) - 1))

    def _step_chosen(self, row: int) -> None:
        if not 0 <= row < len(self.steps):
            return
        self.step_index = row
        step = self.steps[row]
        self._filling = True
        days, hours = step["offset_days"], step["offset_hours"]
        self.days_spin.setValue(abs(days))
        self.hours_spin.setValue(abs(hours))
        self.direction_combo.setCurrentIndex(1 if (days or hours) > 0 else 0)
        self.at_time_check.setChecked(step["send_time"] is not None)
        self.time_edit.setEnabled(self.can_edit and step["send_time"] is not None)
        at = step["send_time"] or time(9, 0)
        self.time_edit.setTime(QTime(at.hour, at.minute))
        for code, edit in self.template_edits.items():
            edit.setPlainText(step["templates"].get(code, ""))
        self._filling = False
        self.template_error.clear_message()
        self.schedule_preview()

    def _step_edited(self, *_args) -> None:
        if self._filling or self.step_index < 0:
            return
        sign = self.direction_combo.currentData()
        step = self.steps[self.step_index]
        step["offset_days"] = sign * self.days_spin.value()
        step["offset_hours"] = sign * self.hours_spin.value()
        at = self.time_edit.time()
        checked = self.at_time_check.isChecked()
        step["send_time"] = time(at.hour(), at.minute()) if checked else None
        self.time_edit.setEnabled(self.can_edit and checked)
        item = self.step_list.item(self.step_index)
        if item is not None:
            item.setText(S.step_text(step["offset_days"], step["offset_hours"], step["send_time"]))
        self.schedule_preview()

    def _template_edited(self) -> None:
        if self._filling or self.step_index < 0:
            return
        step = self.steps[self.step_index]
        for code, edit in self.template_edits.items():
            step["templates"][code] = edit.toPlainText()
        self.schedule_preview()

    def language(self) -> str:
        return LANGUAGES[self.template_tabs.currentIndex()]

    def insert_tag(self, tag: str) -> None:
        edit = self.template_edits[self.language()]
        edit.insertPlainText(f"[{tag}]")
        edit.setFocus()

    # -- steps and flows -------------------------------------------------------------------

    def add_step(self) -> None:
        self.steps.append(_blank_step())
        self._fill_steps(len(self.steps) - 1)

    def remove_step(self) -> None:
        if 0 <= self.step_index < len(self.steps) and len(self.steps) > 1:
            del self.steps[self.step_index]
            self._fill_steps(self.step_index)

    def new_flow(self) -> None:
        self.flow_list.clearSelection()
        self.flow_id = None
        self.steps = [_blank_step()]
        self.name_edit.setText(S.FLOWS_NEW_NAME)
        self._fill_steps(0)
        self.name_edit.setFocus()
        self.name_edit.selectAll()

    # -- preview ---------------------------------------------------------------------------

    def _set_clients(self, clients) -> None:
        self.client_combo.blockSignals(True)
        while self.client_combo.count() > 1:
            self.client_combo.removeItem(1)
        for client in clients:
            name = f"{client.first_name} {client.last_name}".strip()
            self.client_combo.addItem(name, client.id)
        self.client_combo.blockSignals(False)

    async def find_clients(self) -> None:
        """Clients matching the search (name, number or case number, as the server searches)."""
        query = self.client_search.text().strip()
        try:
            clients = await self._sync.clients(query or None)
        except (ApiError, Unreachable) as exc:
            self.preview_warning.show_error(S.describe_error(exc))
            return
        if query != self.client_search.text().strip():
            return
        before = self.client_combo.currentIndex()
        self._set_clients(clients)
        wanted = 1 if clients and query else 0
        self.client_combo.setCurrentIndex(wanted)
        if wanted == before:  # same row, maybe another client: no signal came
            self._client_chosen()

    @asyncSlot()
    async def _client_chosen(self, _index: int = 0) -> None:
        client_id = self.client_combo.currentData()
        self.event_combo.blockSignals(True)
        self.event_combo.clear()
        self.event_combo.addItem(S.FLOWS_NO_EVENT, None)
        self.event_combo.setEnabled(client_id is not None)
        if client_id is not None:
            try:
                events = await self._sync.events(client_id)
            except (ApiError, Unreachable):
                events = []
            for event in events:
                # My clock, named: the reminder's own text uses the court's (the firm's).
                local = event.starts_at.astimezone()
                label = local.strftime("%b %-d, %Y %-I:%M %p %Z")
                if event.location:
                    label += f" · {event.location}"
                self.event_combo.addItem(label, event.id)
            if len(events) == 1:
                self.event_combo.setCurrentIndex(1)
        self.event_combo.blockSignals(False)
        self.schedule_preview()

    def schedule_preview(self) -> None:
        self.preview_timer.start()

    def done(self, result: int) -> None:
        self.preview_timer.stop()
        self.search_timer.stop()
        super().done(result)

    def _start_preview(self) -> None:
        if not self.isVisible():
            return
        self.preview_task = asyncio.ensure_future(self.preview())

    async def preview(self) -> None:
        """Ask the server to render the shown template for the chosen client and court date."""
        if self.step_index < 0:
            return
        template = self.template_edits[self.language()].toPlainText()
        self.preview_warning.clear_message()
        if not template.strip():
            self.preview_body.setText(S.FLOWS_EMPTY)
            self.preview_measure.setText("")
            self.template_error.clear_message()
            return
        try:
            preview = await self._sync.preview_template(
                template=template,
                language=self.language(),
                client_id=self.client_combo.currentData(),
                event_id=self.event_combo.currentData(),
            )
        except ApiError as exc:
            self.template_error.show_error(exc.fields.get("template") or exc.detail)
            log.info("preview refused: %s", exc.code)
            return
        except Unreachable as exc:
            self.template_error.show_error(S.describe_error(exc))
            return
        if template != self.template_edits[self.language()].toPlainText():
            return  # typed on meanwhile; the next preview is on its way
        self.template_error.clear_message()
        self.last_preview = preview
        self.preview_body.setText(preview.body)
        self.preview_measure.setText(
            S.segment_line(preview.segments, preview.encoding, preview.characters)
        )
        self.preview_note.setText(S.FLOWS_SAMPLE_NOTE if preview.is_sample else "")
        self.preview_note.setVisible(preview.is_sample)
        if preview.too_long:
            self.preview_warning.show_error(S.FLOWS_TOO_LONG.format(max=preview.max_segments))
        log.info("preview shown (%d segments)", preview.segments)
        self.previewed.emit(preview)

    # -- saving ----------------------------------------------------------------------------

    def body(self) -> dict:
        return {
            "name": self.name_edit.text(),
            "steps": [
                {
                    "offset_days": step["offset_days"],
                    "offset_hours": step["offset_hours"],
                    "send_time": step["send_time"].isoformat() if step["send_time"] else None,
                    "templates": {k: v for k, v in step["templates"].items() if v.strip()},
                }
                for step in self.steps
            ],
        }

    @asyncSlot()
    async def save(self) -> None:
        self.message.clear_message()
        self.template_error.clear_message()
        try:
            if self.flow_id is None:
                flow = await self._sync.create_flow(self.body())
            else:
                flow = await self._sync.update_flow(self.flow_id, self.body())
        except ApiError as exc:
            self._refused(exc.detail)
            log.info("flow save refused: %s", exc.code)
            return
        except Unreachable as exc:
            self.message.show_error(S.describe_error(exc))
            return
        for row, old in enumerate(self.flows):
            if old.id == flow.id:
                self.flows[row] = flow
                self.flow_list.item(row).setText(flow.name)
                break
        else:
            self.flows.append(flow)
            self.flow_list.addItem(flow.name)
            self.flow_list.blockSignals(True)
            self.flow_list.setCurrentRow(len(self.flows) - 1)
            self.flow_list.blockSignals(False)
        self.flow_id = flow.id
        note = S.FLOWS_SAVED.format(name=flow.name)
        if flow.warnings:
            note += " " + " ".join(flow.warnings)
        self.message.show_note(note)
        log.info("flow saved %d", flow.id)
        self.saved.emit(flow)

    def _refused(self, detail: str) -> None:
        """Show the server's sentence at the step and template it names, else below."""
        for part in detail.split("; Step "):
            text = part if part.startswith("Step ") else f"Step {part}"
            match = _STEP_ERROR.match(text)
            if match:
                step, code, message = int(match.group(1)), match.group(2), match.group(3)
                if 0 < step <= len(self.steps) and code in LANGUAGES:
                    self.step_list.setCurrentRow(step - 1)
                    self.template_tabs.setCurrentIndex(LANGUAGES.index(code))
                    self.template_error.show_error(message[0].upper() + message[1:])
                    return
        if (match := _NEEDS_STEP.match(detail)) and 0 < int(match.group(1)) <= len(self.steps):
            self.step_list.setCurrentRow(int(match.group(1)) - 1)
        self.message.show_error(detail)
