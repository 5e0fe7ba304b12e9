"""The records' small forms: a client, a number, a matter, a court date, a consent reason.

Each saves through `Records` and shows the server's refusal at the field it names (or below
the form); offline they refuse with the sync layer's sentence and change nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from inbox_app.domain.phone import InvalidPhoneNumber, format_display, is_mobile_capable, normalize
from inbox_app.models.schemas import (
    AgendaEventOut,
    ClientOut,
    ColleagueOut,
    EventOut,
    FlowOut,
    MatterOut,
)
from inbox_app.sync.errors import ApiError
from inbox_app.sync.records import Records
from inbox_app.ui import strings as S
from inbox_app.ui import theme, times
from inbox_app.ui.dialogs._common import MessageLabel, dialog_style, mark_primary

CONTACT_TYPES = ("cell", "home", "work", "school", "other")
LANGUAGES = ("en", "es")


# What the When field reads, this computer's clock: "12/11/2026 10:00 AM", "2026-12-11 14:30".
_WHEN_FORMATS = (
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M%p",
    "%m/%d/%Y %I %p",
    "%m/%d/%Y %H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %I:%M %p",
)


def parse_when(text: str, zone: ZoneInfo | None = None) -> datetime | None:
    """A typed date and time on `zone`'s clock (this computer's when None), or None when it
    does not read as one."""
    cleaned = " ".join(text.replace(",", " ").split()).upper()
    for fmt in _WHEN_FORMATS:
        try:
            naive = datetime.strptime(cleaned, fmt)
        except ValueError:
            continue
        return naive.replace(tzinfo=zone) if zone is not None else naive.astimezone()
    return None


def format_when(when: datetime, zone: ZoneInfo | None = None) -> str:
    local = when.astimezone(zone)
    return f"{local:%m/%d/%Y} {local:%I:%M %p}".replace(" 0", " ", 1)


def number_check(text: str) -> tuple[str, str, str | None]:
    """The compose box's live check of a typed number: (sentence, theme colour name, E.164 or
    None when it will not do). Empty sentence: too little typed to judge."""
    if sum(ch.isdigit() for ch in text) < 3:
        return "", "muted", None
    try:
        phone = normalize(text)
    except InvalidPhoneNumber as error:
        return S.invalid_number(error.reason), "muted", None
    if not is_mobile_capable(phone):
        return S.NEW_NOT_MOBILE, "danger", None
    return S.NEW_NUMBER_OK.format(number=format_display(phone)), "success", phone


class RecordDialog(QDialog):
    """A form with Save / Cancel, an error line, and per-field error lines."""

    def __init__(self, records: Records, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.records = records
        self.setWindowTitle(title)
        self.setMinimumWidth(420)
        self.setStyleSheet(dialog_style())
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.message = MessageLabel("recordMessage", self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = mark_primary(self.buttons.button(QDialogButtonBox.StandardButton.Save))
        self.save_button.setObjectName("recordSave")
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.errors: dict[str, QLabel] = {}
        self.saved = None

    def add_field(self, name: str, label: str, widget: QWidget) -> QWidget:
        box = QWidget(self)
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        error = QLabel(box)
        error.setObjectName(f"{name}Error")
        error.setWordWrap(True)
        error.setStyleSheet(f"QLabel {{ color: {theme.current().danger}; }}")
        error.hide()
        column.addWidget(error)
        self.errors[name] = error
        self.form.addRow(label, box)
        return widget

    def show_refusal(self, exc: ApiError) -> None:
        shown = False
        for name, sentence in exc.fields.items():
            label = self.errors.get(name)
            if label is not None:
                label.setText(sentence)
                label.show()
                shown = True
        if not shown:
            self.message.show_error(exc.detail)

    def _clear(self) -> None:
        self.message.clear_message()
        for label in self.errors.values():
            label.hide()

    @asyncSlot()
    async def _save(self) -> None:
        self._clear()
        self.save_button.setEnabled(False)
        try:
            self.saved = await self.save()
        except ApiError as exc:
            self.show_refusal(exc)
            return
        finally:
            self.save_button.setEnabled(True)
        if self.saved is not None:
            self.accept()

    async def save(self):
        raise NotImplementedError


class ClientDialog(RecordDialog):
    """Add a client, or change one's name and language (a new language rewrites reminders)."""

    def __init__(self, records: Records, client: ClientOut | None, parent=None) -> None:
        super().__init__(records, S.EDIT_CLIENT.rstrip("…") if client else S.NEW_CLIENT, parent)
        self.setObjectName("clientDialog")
        self.client = client
        self.first_edit = self.add_field("first_name", S.CLIENT_FIRST_NAME, QLineEdit(self))
        self.first_edit.setObjectName("clientFirstName")
        self.last_edit = self.add_field("last_name", S.CLIENT_LAST_NAME, QLineEdit(self))
        self.last_edit.setObjectName("clientLastName")
        self.language_box = self.add_field("language", S.CLIENT_LANGUAGE, QComboBox(self))
        self.language_box.setObjectName("clientLanguage")
        for code in LANGUAGES:
            self.language_box.addItem(S.language_name(code), code)
        if client is not None:
            self.first_edit.setText(client.first_name)
            self.last_edit.setText(client.last_name)
            if self.language_box.findData(client.language) < 0:
                self.language_box.addItem(S.language_name(client.language), client.language)
            self.language_box.setCurrentIndex(self.language_box.findData(client.language))

    async def save(self) -> ClientOut:
        fields = {
            "first_name": self.first_edit.text(),
            "last_name": self.last_edit.text(),
            "language": self.language_box.currentData(),
        }
        if self.client is None:
            return await self.records.create_client(**fields)
        changes = {k: v for k, v in fields.items() if getattr(self.client, k) != v}
        if not changes:
            return self.client
        return await self.records.update_client(self.client.id, **changes)


class ContactDialog(RecordDialog):
    """A new number for a client, checked live as compose checks it, with its type."""

    def __init__(self, records: Records, client_id: int, parent=None) -> None:
        super().__init__(records, S.ADD_CONTACT.rstrip("…"), parent)
        self.setObjectName("contactDialog")
        self.client_id = client_id
        self.phone_edit = self.add_field("phone", S.CONTACT_PHONE, QLineEdit(self))
        self.phone_edit.setObjectName("contactPhone")
        self.phone_edit.setPlaceholderText("(201) 555-0123")
        self.check_label = QLabel(self)
        self.check_label.setObjectName("contactNumberCheck")
        self.check_label.hide()
        self.form.addRow("", self.check_label)
        self.type_box = self.add_field("type", S.CONTACT_TYPE, QComboBox(self))
        self.type_box.setObjectName("contactType")
        for kind in CONTACT_TYPES:
            self.type_box.addItem(S.tr(kind.capitalize()), kind)
        self.consent_box = QCheckBox(S.CONTACT_CONSENT, self)
        self.consent_box.setObjectName("contactConsent")
        self.consent_box.setChecked(True)
        self.form.addRow("", self.consent_box)
        self.phone_edit.textChanged.connect(self.check_number)

    def check_number(self) -> str | None:
        text, color, phone = number_check(self.phone_edit.text())
        self.check_label.setStyleSheet(f"QLabel {{ color: {getattr(theme.current(), color)}; }}")
        self.check_label.setText(text)
        self.check_label.setVisible(bool(text))
        return phone

    async def save(self):
        # A landline is kept too (badged "can't receive texts"): the server decides, as it does
        # for numbers imported from a practice-management system.
        return await self.records.create_contact(
            self.client_id,
            phone=self.phone_edit.text(),
            type=self.type_box.currentData(),
            consent=self.consent_box.isChecked(),
        )


def colleague_name(colleague: ColleagueOut) -> str:
    return colleague.display_name or colleague.username


class MatterDialog(RecordDialog):
    """Add or edit a matter: name, case number and its attorney (one of the firm's users)."""

    def __init__(
        self,
        records: Records,
        client_id: int,
        matter: MatterOut | None,
        parent=None,
        colleagues: list[ColleagueOut] = (),
    ):
        super().__init__(records, (S.EDIT_MATTER if matter else S.ADD_MATTER).rstrip("…"), parent)
        self.setObjectName("matterDialog")
        self.client_id = client_id
        self.matter = matter
        self.name_edit = self.add_field("name", S.MATTER_NAME, QLineEdit(self))
        self.name_edit.setObjectName("matterName")
        self.case_edit = self.add_field("case_number", S.MATTER_CASE_NUMBER, QLineEdit(self))
        self.case_edit.setObjectName("matterCaseNumber")
        self.attorney_box = self.add_field("attorney_id", S.MATTER_ATTORNEY, QComboBox(self))
        self.attorney_box.setObjectName("matterAttorney")
        self.attorney_box.addItem(S.MATTER_NO_ATTORNEY, None)
        for colleague in colleagues:
            self.attorney_box.addItem(colleague_name(colleague), colleague.id)
        if matter is not None:
            self.name_edit.setText(matter.name)
            self.case_edit.setText(matter.case_number or "")
            attorney = matter.attorney_id
            if attorney is not None and self.attorney_box.findData(attorney) < 0:
                self.attorney_box.addItem(S.MATTER_FORMER_ATTORNEY, attorney)
            self.attorney_box.setCurrentIndex(max(0, self.attorney_box.findData(attorney)))

    async def save(self) -> MatterOut:
        fields = {
            "name": self.name_edit.text(),
            "case_number": self.case_edit.text() or None,
            "attorney_id": self.attorney_box.currentData(),
        }
        if self.matter is None:
            return await self.records.create_matter(client_id=self.client_id, **fields)
        return await self.records.update_matter(self.matter.id, **fields)


class EventDialog(RecordDialog):
    """Add a court date, or move one: date and time (the court's clock), location, matter, its
    attorney, status and the flow its reminders come from.

    The attorney is the court date's own (one of the firm's users); left at the first choice it
    has none, and its matter's applies (the choice says whose), so a hearing without a matter
    can still have one."""

    def __init__(
        self,
        records: Records,
        client_id: int,
        matters: list[MatterOut],
        flows: list[FlowOut],
        event: AgendaEventOut | None = None,
        parent=None,
        colleagues: list[ColleagueOut] = (),
    ) -> None:
        super().__init__(records, (S.MOVE_EVENT if event else S.ADD_EVENT).rstrip("…"), parent)
        self.setObjectName("eventDialog")
        self.client_id = client_id
        self.event = event
        # Court dates are typed on the court's (the firm's) clock, whatever this computer's is.
        user = records.sync.user
        zone_name = user.firm_time_zone if user is not None else ""
        self.zone = times.zone_of(zone_name)
        label = S.EVENT_WHEN
        if self.zone is not None:
            label = f"{label} ({times.zone_label(zone_name)})"
        self.zone_name = zone_name
        self.when_edit = self.add_field("starts_at", label, QLineEdit(self))
        self.when_edit.setObjectName("eventWhen")
        self.when_edit.setPlaceholderText("12/11/2026 9:00 AM")
        self.when_check = QLabel(self)
        self.when_check.setObjectName("eventWhenCheck")
        self.form.addRow("", self.when_check)
        self.when_edit.textChanged.connect(self._when_typed)
        if event is not None:
            start = event.starts_at
        else:
            tomorrow = datetime.now(self.zone).astimezone(self.zone) + timedelta(days=1)
            start = tomorrow.replace(hour=9, minute=0, second=0, microsecond=0)
        self.when_edit.setText(format_when(start, self.zone))
        self.location_edit = self.add_field("location", S.EVENT_LOCATION, QLineEdit(self))
        self.location_edit.setObjectName("eventLocation")
        self.matter_box = self.add_field("matter_id", S.EVENT_MATTER, QComboBox(self))
        self.matter_box.setObjectName("eventMatter")
        self.matter_box.addItem(S.EVENT_NO_MATTER, None)
        for matter in matters:
            label = f"{matter.name} ({matter.case_number})" if matter.case_number else matter.name
            self.matter_box.addItem(label, matter.id)
        self.matters = {matter.id: matter for matter in matters}
        self.colleague_names = {c.id: colleague_name(c) for c in colleagues}
        self.attorney_box = self.add_field("attorney_id", S.EVENT_ATTORNEY, QComboBox(self))
        self.attorney_box.setObjectName("eventAttorney")
        self.attorney_box.addItem(S.EVENT_NO_ATTORNEY, None)
        for colleague in colleagues:
            self.attorney_box.addItem(colleague_name(colleague), colleague.id)
        self.matter_box.currentIndexChanged.connect(self._matter_picked)
        self.flow_box = self.add_field("flow_id", S.EVENT_FLOW, QComboBox(self))
        self.flow_box.setObjectName("eventFlow")
        self.flow_box.addItem(S.EVENT_NO_FLOW, None)
        for flow in flows:
            self.flow_box.addItem(flow.name, flow.id)
        self.status_box = self.add_field("status", S.EVENT_STATUS, QComboBox(self))
        self.status_box.setObjectName("eventStatus")
        for status in S.EVENT_STATUSES:
            self.status_box.addItem(S.event_status(status), status)
        if event is not None:
            self.location_edit.setText(event.location or "")
            self.matter_box.setCurrentIndex(max(0, self.matter_box.findData(event.matter_id)))
            self.flow_box.setCurrentIndex(max(0, self.flow_box.findData(event.flow_id)))
            self.status_box.setCurrentIndex(max(0, self.status_box.findData(event.status)))
            own = self.own_attorney(event)
            if own is not None and self.attorney_box.findData(own) < 0:
                self.attorney_box.addItem(S.MATTER_FORMER_ATTORNEY, own)
            self.attorney_box.setCurrentIndex(max(0, self.attorney_box.findData(own)))
        elif len(flows) == 1:
            self.flow_box.setCurrentIndex(1)
        self._matter_picked()

    @staticmethod
    def own_attorney(event: AgendaEventOut | EventOut) -> int | None:
        """The court date's own attorney (an agenda row's `attorney_id` may be its matter's)."""
        if isinstance(event, AgendaEventOut) and event.attorney_source != "event":
            return None
        return event.attorney_id

    def _matter_picked(self, _index: int = 0) -> None:
        """The first attorney choice says whose applies without one: the matter's, or none."""
        matter = self.matters.get(self.matter_box.currentData())
        attorney = matter.attorney_id if matter is not None else None
        if attorney is None:
            label = S.EVENT_NO_ATTORNEY
        else:
            name = self.colleague_names.get(attorney, S.MATTER_FORMER_ATTORNEY)
            label = S.EVENT_MATTERS_ATTORNEY.format(name=name)
        self.attorney_box.setItemText(0, label)

    def starts_at(self) -> datetime | None:
        return parse_when(self.when_edit.text(), self.zone)

    def set_starts_at(self, when: datetime) -> None:
        self.when_edit.setText(format_when(when, self.zone))

    def _when_typed(self, _text: str = "") -> None:
        when = self.starts_at()
        t = theme.current()
        if when is None:
            self.when_check.setText(S.EVENT_WHEN_UNREAD)
            self.when_check.setStyleSheet(f"QLabel {{ color: {t.danger}; }}")
        else:
            self.when_check.setText(S.event_when_read(when, times.zone_label(self.zone_name)))
            self.when_check.setStyleSheet(f"QLabel {{ color: {t.muted}; }}")

    async def save(self):
        starts_at = self.starts_at()
        if starts_at is None:
            self.errors["starts_at"].setText(S.EVENT_WHEN_UNREAD)
            self.errors["starts_at"].show()
            return None
        fields = {
            "starts_at": starts_at,
            "location": self.location_edit.text().strip() or None,
            "matter_id": self.matter_box.currentData(),
            "flow_id": self.flow_box.currentData(),
            "status": self.status_box.currentData(),
            "attorney_id": self.attorney_box.currentData(),
        }
        if self.event is None:
            return await self.records.create_event(client_id=self.client_id, **fields)
        before = {k: getattr(self.event, k) for k in fields}
        before["attorney_id"] = self.own_attorney(self.event)
        changes = {k: v for k, v in fields.items() if before[k] != v}
        if "starts_at" in changes and abs(changes["starts_at"] - self.event.starts_at) < timedelta(
            minutes=1
        ):
            changes.pop("starts_at")
        if not changes:
            return self.event
        return await self.records.update_event(self.event.id, **changes)


class ReasonDialog(RecordDialog):
    """Opt a number out or in: why (kept in the consent history)."""

    def __init__(self, records: Records, contact_id: int, opt_out: bool, parent=None) -> None:
        super().__init__(records, (S.OPT_OUT if opt_out else S.OPT_IN).rstrip("…"), parent)
        self.setObjectName("consentDialog")
        self.contact_id = contact_id
        self.opt_out = opt_out
        self.reason_edit = self.add_field("note", S.CONSENT_REASON, QLineEdit(self))
        self.reason_edit.setObjectName("consentReason")
        self.reason_edit.setMaxLength(500)
        self.save_button.setText(S.OPT_OUT.rstrip("…") if opt_out else S.OPT_IN.rstrip("…"))
        self.reason_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    async def save(self):
        reason = self.reason_edit.text().strip()
        if not reason:
            self.errors["note"].setText(S.CONSENT_REASON_NEEDED)
            self.errors["note"].show()
            return None
        name = "opt-out" if self.opt_out else "opt-in"
        return await self.records.contact_action(self.contact_id, name, reason)
