"""Firm settings (admins): one dialog, a page per group, each field checked by the server.

The server is the one judge of a value: the form sends what changed and shows each sentence
the server answers at the field it names. Staff never open it (the server answers 403 anyway).
"""

from __future__ import annotations

import asyncio
import logging
import zoneinfo
from datetime import time
from typing import Any

from PySide6.QtCore import Qt, QTime, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from inbox_app.domain.merge import KNOWN_TAGS
from inbox_app.models.schemas import CardOut, CreditsOut, FirmSettingsOut
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

FIELD_ERROR_STYLE = "QLabel {{ color: {color}; font-weight: normal; padding: 0; }}"
PAGES = ("FIRM_PAGE_FIRM", "FIRM_PAGE_TEXTING", "FIRM_PAGE_AFTER_HOURS", "FIRM_PAGE_CREDITS")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A day ticked open for the first time starts with these hours.
DAY_OPEN, DAY_CLOSE = QTime(9, 0), QTime(17, 0)


def open_in_browser(url: str) -> bool:
    """Stripe's card page opens in the user's browser (tests replace this)."""
    return QDesktopServices.openUrl(QUrl(url))


def describe_card(card: CardOut) -> str:
    if not card.has_card:
        return S.FIRM_CARD_NONE
    if not (card.brand and card.last4 and card.exp_month and card.exp_year):
        return S.FIRM_CARD_SAVED_BARE
    brand = {"amex": "American Express", "mastercard": "Mastercard"}.get(
        card.brand, card.brand.title()
    )
    return S.FIRM_CARD_SAVED.format(
        brand=brand, last4=card.last4, month=card.exp_month, year=card.exp_year
    )


def _to_qtime(value: time) -> QTime:
    return QTime(value.hour, value.minute)


def _from_qtime(value: QTime) -> str:
    return time(value.hour(), value.minute()).isoformat()


class FirmSettingsDialog(QDialog):
    """Reads GET /firm/settings and /credits, sends what changed, shows refusals at the field.

    Loading starts at once; `.loading` is the task.

    Signals:
      loaded(): the settings were read (from the server, or offline from the cache).
      saved(FirmSettingsOut): the server kept the changes.
      card_changed(CardOut): the card was read from Stripe, or a new one saved.
    """

    loaded = Signal()
    saved = Signal(object)
    card_changed = Signal(object)

    def __init__(self, sync_client, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sync = sync_client
        self.settings: FirmSettingsOut | None = None
        self.credits: CreditsOut | None = None
        self.card: CardOut | None = None
        # The Stripe card page the admin is filling in, until Done saves what it set up.
        self.card_session_id: str | None = None
        self.setObjectName("firmSettingsDialog")
        self.setStyleSheet(dialog_style())
        self.setWindowTitle(S.FIRM_TITLE)
        self.resize(760, 600)

        heading = QLabel(S.FIRM_TITLE)
        heading.setStyleSheet(HEADING_STYLE)
        subtitle = QLabel(S.FIRM_SUBTITLE)
        subtitle.setStyleSheet(MUTED_STYLE)
        subtitle.setWordWrap(True)
        self.offline_note = QLabel(S.FIRM_OFFLINE)
        self.offline_note.setObjectName("firmSettingsOffline")
        self.offline_note.setWordWrap(True)
        t = theme.current()
        self.offline_note.setStyleSheet(
            f"QLabel {{ color: {t.warning_text}; background: {t.raised};"
            f" border: 1px solid {t.border}; border-radius: 4px; padding: 6px 8px; }}"
        )
        self.offline_note.hide()

        self.fields: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self.page_of: dict[str, int] = {}

        self.pages = QListWidget()
        self.pages.setObjectName("firmSettingsPages")
        self.pages.setFixedWidth(160)
        self.stack = QStackedWidget()
        self.stack.setObjectName("firmSettingsStack")
        for key in PAGES:
            self.pages.addItem(getattr(S, key))
        self._build_firm_page()
        self._build_texting_page()
        self._build_after_hours_page()
        self._build_credits_page()
        self.pages.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.pages.setCurrentRow(0)

        body = QHBoxLayout()
        body.setSpacing(12)
        body.addWidget(self.pages)
        body.addWidget(self.stack, 1)

        self.message = MessageLabel("firmSettingsMessage")
        buttons = QDialogButtonBox()
        self.save_button = mark_primary(QPushButton(S.FIRM_SAVE))
        self.save_button.setObjectName("firmSettingsSave")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setObjectName("firmSettingsClose")
        close.setAutoDefault(False)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(heading)
        layout.addWidget(subtitle)
        layout.addWidget(self.offline_note)
        layout.addLayout(body, 1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

        self.message.show_note(S.FIRM_LOADING)
        sync_client.online_changed.connect(self._online_changed)
        self.loading = asyncio.ensure_future(self.load())

    # --- building -----------------------------------------------------------------------------

    def _page(self) -> QFormLayout:
        page = QWidget()
        outer = QVBoxLayout(page)
        outer.setContentsMargins(4, 4, 4, 4)
        form = QFormLayout()
        outer.addLayout(form)
        outer.addStretch(1)  # spare height below the last row, not between rows
        form.setVerticalSpacing(6)
        form.setHorizontalSpacing(16)
        self.stack.addWidget(page)
        return form

    def _add(self, form: QFormLayout, name: str, label: str, widget: QWidget, note: str = ""):
        """One field, its hint and the line where the server's refusal for it appears."""
        widget.setObjectName(f"firmField_{name}")
        error = QLabel()
        error.setObjectName(f"firmError_{name}")
        error.setWordWrap(True)
        error.setStyleSheet(FIELD_ERROR_STYLE.format(color=theme.current().danger))
        error.hide()
        cell = QWidget()
        box = QVBoxLayout(cell)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(widget)
        if note:
            hint = QLabel(note)
            hint.setWordWrap(True)
            hint.setStyleSheet(MUTED_STYLE)
            box.addWidget(hint)
        box.addWidget(error)
        form.addRow(label, cell)
        self.fields[name] = widget
        self.errors[name] = error
        self.page_of[name] = self.stack.count() - 1

    def _build_firm_page(self) -> None:
        form = self._page()
        name = QLineEdit()
        name.setMaxLength(400)  # the server's 200 is its to say, at the field
        self._add(form, "name", S.FIRM_NAME, name)
        number = QLineEdit()
        number.setPlaceholderText(S.FIRM_FROM_NUMBER_HINT)
        self._add(form, "from_number", S.FIRM_FROM_NUMBER, number)
        zone = QComboBox()
        zone.setEditable(True)
        zone.addItems(sorted(zoneinfo.available_timezones()))
        self._add(form, "time_zone", S.FIRM_TIME_ZONE, zone)
        trash = QSpinBox()
        trash.setRange(1, 3650)
        trash.setSuffix(S.UNIT_DAYS)
        self._add(form, "trash_retention_days", S.FIRM_TRASH_DAYS, trash)

    def _build_texting_page(self) -> None:
        form = self._page()
        start = QTimeEdit()
        start.setDisplayFormat("h:mm AP")
        self._add(form, "quiet_start", S.FIRM_QUIET_START, start)
        end = QTimeEdit()
        end.setDisplayFormat("h:mm AP")
        self._add(form, "quiet_end", S.FIRM_QUIET_END, end, S.FIRM_QUIET_NOTE)
        delay = QSpinBox()
        delay.setRange(0, 7 * 24 * 3600)
        delay.setSuffix(S.UNIT_SECONDS)
        note = S.FIRM_SEND_DELAY_NOTE
        self._add(form, "default_send_delay_seconds", S.FIRM_SEND_DELAY, delay, note)
        segments = QSpinBox()
        segments.setRange(1, 10)
        segments.setSuffix(S.UNIT_SEGMENTS)
        self._add(form, "max_segments", S.FIRM_MAX_SEGMENTS, segments)
        help_reply = QPlainTextEdit()
        help_reply.setTabChangesFocus(True)
        help_reply.setFixedHeight(90)
        self._add(form, "help_reply", S.FIRM_HELP_REPLY, help_reply)

    def _build_after_hours_page(self) -> None:
        form = self._page()
        enabled = QCheckBox(S.FIRM_AFTER_HOURS_ENABLED)
        self._add(form, "after_hours_enabled", "", enabled, S.FIRM_AFTER_HOURS_NOTE)
        week = QWidget()
        grid = QGridLayout(week)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(2)
        # One row per weekday: ticked open, from, to; a closed day says so (and keeps its
        # times for when it is ticked again).
        self.day_rows: dict[str, tuple[QCheckBox, QTimeEdit, QTimeEdit]] = {}
        for row, (day, label) in enumerate(zip(WEEKDAYS, S.FIRM_WEEKDAYS.split("|"), strict=True)):
            is_open = QCheckBox(label)
            is_open.setObjectName(f"firmDayOpen_{day}")
            opens, closes = QTimeEdit(DAY_OPEN), QTimeEdit(DAY_CLOSE)
            to = QLabel(S.FIRM_HOURS_TO)
            closed = QLabel(S.FIRM_CLOSED_ALL_DAY)
            closed.setObjectName(f"firmDayClosed_{day}")
            closed.setStyleSheet(MUTED_STYLE)
            for edit, part in ((opens, "open"), (closes, "close")):
                edit.setDisplayFormat("h:mm AP")
                edit.setObjectName(f"firmDay_{day}_{part}")
                edit.setMinimumHeight(edit.sizeHint().height())
            for widget in (opens, to, closes):
                widget.hide()
                is_open.toggled.connect(widget.setVisible)
            is_open.toggled.connect(closed.setHidden)
            grid.addWidget(is_open, row, 0)
            grid.addWidget(closed, row, 1, 1, 3)
            grid.addWidget(opens, row, 1)
            grid.addWidget(to, row, 2)
            grid.addWidget(closes, row, 3)
            self.day_rows[day] = (is_open, opens, closes)
        grid.setColumnStretch(4, 1)
        self._add(form, "opening_hours", S.FIRM_OPENING_HOURS, week, S.FIRM_OPENING_HOURS_NOTE)
        reply = QPlainTextEdit()
        reply.setTabChangesFocus(True)
        reply.setFixedHeight(64)
        tags = S.QR_TAGS.format(tags="  ".join(f"[{tag}]" for tag in KNOWN_TAGS))
        self._add(form, "after_hours_reply", S.FIRM_AFTER_HOURS_REPLY, reply, tags)

    def _build_credits_page(self) -> None:
        form = self._page()
        size = QSpinBox()
        size.setRange(1, 1_000_000)
        size.setSuffix(S.UNIT_MESSAGES)
        self._add(form, "bundle_size", S.FIRM_BUNDLE_SIZE, size)
        price = QDoubleSpinBox()
        price.setRange(0, 1_000_000)
        price.setDecimals(2)
        price.setPrefix("$")
        price.setMinimumHeight(size.sizeHint().height())
        self._add(form, "bundle_price_cents", S.FIRM_BUNDLE_PRICE, price)
        low = QSpinBox()
        low.setRange(0, 1_000_000_000)
        low.setSuffix(S.UNIT_MESSAGES)
        self._add(form, "low_balance_threshold", S.FIRM_LOW_BALANCE, low)
        auto = QCheckBox(S.FIRM_AUTO_TOP_UP)
        auto.setEnabled(False)  # until /credits has said what it is
        self._add(form, "auto_top_up", "", auto)
        self.payment_label = QLabel(S.DETAILS_NONE)
        self.payment_label.setObjectName("firmPaymentMode")
        self.payment_label.setWordWrap(True)
        form.addRow(S.FIRM_PAYMENT, self.payment_label)
        self._build_card_row(form)

    def _build_card_row(self, form: QFormLayout) -> None:
        """Stripe mode: the saved card; Add/Replace opens Stripe's page in the browser."""
        self.card_row = QWidget()
        box = QVBoxLayout(self.card_row)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(4)
        self.card_label = QLabel(S.FIRM_CARD_LOADING)
        self.card_label.setObjectName("firmCard")
        self.card_label.setWordWrap(True)
        self.card_label.setStyleSheet("QLabel { font-weight: 600; }")
        buttons = QHBoxLayout()
        self.card_button = QPushButton(S.FIRM_CARD_ADD)
        self.card_button.setObjectName("firmCardButton")
        self.card_button.setAutoDefault(False)
        self.card_button.setEnabled(False)
        self.card_button.clicked.connect(self.start_card_setup)
        self.card_done_button = mark_primary(QPushButton(S.FIRM_CARD_DONE))
        self.card_done_button.setObjectName("firmCardDone")
        self.card_done_button.setAutoDefault(False)
        self.card_done_button.hide()
        self.card_done_button.clicked.connect(self.finish_card_setup)
        buttons.addWidget(self.card_button)
        buttons.addWidget(self.card_done_button)
        buttons.addStretch(1)
        self.card_note = QLabel(S.FIRM_CARD_NOTE)
        self.card_note.setObjectName("firmCardNote")
        self.card_note.setWordWrap(True)
        self.card_note.setStyleSheet(MUTED_STYLE)
        self.card_error = QLabel()
        self.card_error.setObjectName("firmCardError")
        self.card_error.setWordWrap(True)
        self.card_error.setStyleSheet(FIELD_ERROR_STYLE.format(color=theme.current().danger))
        self.card_error.hide()
        box.addWidget(self.card_label)
        box.addLayout(buttons)
        box.addWidget(self.card_note)
        box.addWidget(self.card_error)
        form.addRow(S.FIRM_CARD, self.card_row)
        self.card_form = form
        form.setRowVisible(self.card_row, False)

    # --- values -------------------------------------------------------------------------------

    def _show(self, settings: FirmSettingsOut) -> None:
        f = self.fields
        f["name"].setText(settings.name)
        f["from_number"].setText(settings.from_number or "")
        f["time_zone"].setCurrentText(settings.time_zone)
        f["trash_retention_days"].setValue(settings.trash_retention_days)
        f["quiet_start"].setTime(_to_qtime(settings.quiet_start))
        f["quiet_end"].setTime(_to_qtime(settings.quiet_end))
        f["default_send_delay_seconds"].setValue(settings.default_send_delay_seconds)
        f["max_segments"].setValue(settings.max_segments)
        f["help_reply"].setPlainText(settings.help_reply)
        f["after_hours_enabled"].setChecked(settings.after_hours_enabled)
        for day, (is_open, opens, closes) in self.day_rows.items():
            span = settings.opening_hours.get(day)
            is_open.setChecked(span is not None)
            if span is not None:
                opens.setTime(_to_qtime(span.open))
                closes.setTime(_to_qtime(span.close))
        f["after_hours_reply"].setPlainText(settings.after_hours_reply)
        f["bundle_size"].setValue(settings.bundle_size)
        f["bundle_price_cents"].setValue(settings.bundle_price_cents / 100)
        f["low_balance_threshold"].setValue(settings.low_balance_threshold)

    def form_values(self) -> dict[str, Any]:
        """The form as FirmSettingsIn's JSON (times as HH:MM:SS, money in cents)."""
        f = self.fields
        values: dict[str, Any] = {
            "name": f["name"].text(),
            "from_number": f["from_number"].text().strip() or None,
            "time_zone": f["time_zone"].currentText().strip(),
            "trash_retention_days": f["trash_retention_days"].value(),
            "default_send_delay_seconds": f["default_send_delay_seconds"].value(),
            "max_segments": f["max_segments"].value(),
            "help_reply": f["help_reply"].toPlainText(),
            "bundle_size": f["bundle_size"].value(),
            "bundle_price_cents": round(f["bundle_price_cents"].value() * 100),
            "low_balance_threshold": f["low_balance_threshold"].value(),
        }
        for name in ("quiet_start", "quiet_end"):
            qt = f[name].time()
            values[name] = time(qt.hour(), qt.minute()).isoformat()
        values["after_hours_enabled"] = f["after_hours_enabled"].isChecked()
        values["opening_hours"] = {
            day: {"open": _from_qtime(opens.time()), "close": _from_qtime(closes.time())}
            if is_open.isChecked()
            else None
            for day, (is_open, opens, closes) in self.day_rows.items()
        }
        values["after_hours_reply"] = f["after_hours_reply"].toPlainText()
        return values

    def changes(self) -> dict[str, Any]:
        """The fields that differ from what the server last said."""
        if self.settings is None:
            return {}
        before = self.settings.model_dump(mode="json")
        changed = {k: v for k, v in self.form_values().items() if before.get(k) != v}
        for name in ("quiet_start", "quiet_end"):
            # The editor shows minutes: 23:59:59.999 left alone is not a change to 23:59.
            if name in changed and changed[name][:5] == before[name][:5]:
                del changed[name]
        return changed

    def auto_top_up_change(self) -> bool | None:
        checked = self.fields["auto_top_up"].isChecked()
        if self.credits is None or checked == self.credits.auto_top_up:
            return None
        return checked

    # --- server -------------------------------------------------------------------------------

    async def load(self) -> None:
        settings, credits = await asyncio.gather(
            self._sync.firm_settings(), self._sync.credits(), return_exceptions=True
        )
        if isinstance(settings, BaseException):
            if not isinstance(settings, ApiError):
                raise settings
            self.message.show_error(S.describe_error(settings))
            self.loaded.emit()
            return
        self.settings = settings
        self._show(settings)
        if isinstance(credits, CreditsOut):
            self._show_credits(credits)
        self.message.clear_message()
        self.save_button.setEnabled(True)
        self.offline_note.setVisible(not self._sync.is_online)
        log.info("firm settings loaded%s", "" if self._sync.is_online else " (offline copy)")
        self.loaded.emit()

    def _show_credits(self, credits: CreditsOut) -> None:
        self.credits = credits
        auto = self.fields["auto_top_up"]
        auto.setChecked(credits.auto_top_up)
        auto.setEnabled(True)
        is_stripe = credits.payment_mode == "stripe"
        if is_stripe:
            self.payment_label.setText(
                S.FIRM_PAYMENT_CARD if credits.has_saved_card else S.FIRM_PAYMENT_NO_CARD
            )
            self._card_task = asyncio.ensure_future(self.load_card())
        else:
            self.payment_label.setText(S.FIRM_PAYMENT_MANUAL)
        self.card_form.setRowVisible(self.card_row, is_stripe)

    # --- the card (Stripe mode) -----------------------------------------------------------------

    def _card_failed(self, error: BaseException) -> None:
        self.card_error.setText(S.describe_error(error))
        self.card_error.show()

    def _show_card(self, card: CardOut) -> None:
        self.card = card
        self.card_label.setText(describe_card(card))
        self.card_button.setText(S.FIRM_CARD_REPLACE if card.has_card else S.FIRM_CARD_ADD)
        self.card_button.setEnabled(self._sync.is_online)
        self.card_changed.emit(card)

    async def load_card(self) -> None:
        try:
            card = await self._sync.card()
        except ApiError as exc:
            self.card_label.setText(S.DETAILS_NONE)
            self._card_failed(exc)
            self.card_button.setEnabled(self._sync.is_online)
            return
        self._show_card(card)

    @asyncSlot()
    async def start_card_setup(self) -> None:
        """Open Stripe's card page in the browser; Done then saves what was typed there."""
        self.card_error.hide()
        self.card_button.setEnabled(False)
        self.card_note.setText(S.FIRM_CARD_OPENING)
        try:
            page = await self._sync.start_card_setup()
        except ApiError as exc:
            self.card_note.setText(S.FIRM_CARD_NOTE)
            self.card_button.setEnabled(True)
            self._card_failed(exc)
            return
        self.card_session_id = page.session_id
        log.info("card page opened")
        open_in_browser(page.url)
        self.card_note.setText(S.FIRM_CARD_IN_BROWSER.format(url=page.url))
        self.card_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.card_done_button.show()
        self.card_button.setEnabled(True)

    @asyncSlot()
    async def finish_card_setup(self) -> None:
        if self.card_session_id is None:
            return
        self.card_error.hide()
        self.card_done_button.setEnabled(False)
        try:
            card = await self._sync.finish_card_setup(self.card_session_id)
        except ApiError as exc:
            self._card_failed(exc)  # not finished yet: the page stays open, Done stays
            self.card_done_button.setEnabled(True)
            return
        self.card_session_id = None
        self.card_done_button.hide()
        self.card_done_button.setEnabled(True)
        self.card_note.setText(S.FIRM_CARD_NOTE)
        self.payment_label.setText(S.FIRM_PAYMENT_CARD)
        self._show_card(card)
        self.message.show_note(S.FIRM_CARD_ADDED)
        log.info("card saved")

    def clear_errors(self) -> None:
        for label in self.errors.values():
            label.clear()
            label.hide()

    def show_field_error(self, name: str, text: str) -> None:
        label = self.errors[name]
        label.setText(text)
        label.show()

    @asyncSlot()
    async def save(self) -> None:
        """Send the changed fields; a refusal is shown at its field and changes nothing."""
        self.clear_errors()
        changes = self.changes()
        auto = self.auto_top_up_change()
        if not changes and auto is None:
            self.message.show_note(S.FIRM_NOTHING_CHANGED)
            return
        self.save_button.setEnabled(False)
        self.save_button.setText(S.FIRM_SAVING)
        try:
            settings = await self._sync.update_firm_settings(changes, auto)
        except Unreachable:
            self.message.show_error(S.FIRM_OFFLINE_EDIT)
            self.offline_note.show()
            return
        except ApiError as exc:
            self._refused(exc)
            return
        finally:
            self.save_button.setText(S.FIRM_SAVE)
            self.save_button.setEnabled(self.settings is not None)
        self.settings = settings
        self._show(settings)
        if auto is not None and self.credits is not None:
            self.credits = self.credits.model_copy(update={"auto_top_up": auto})
        names = sorted([*changes, *(["auto_top_up"] if auto is not None else [])])
        log.info("firm settings saved: %s", ", ".join(names))
        self.message.show_note(S.FIRM_SAVED)
        self.saved.emit(settings)

    def _refused(self, exc: ApiError) -> None:
        known = {k: v for k, v in exc.fields.items() if k in self.errors}
        if exc.status == 403:
            self.message.show_error(S.FIRM_ADMINS_ONLY)
            return
        if not known:
            self.message.show_error(S.describe_error(exc))
            return
        for name, text in known.items():
            self.show_field_error(name, text)
        first = next(iter(known))
        self.pages.setCurrentRow(self.page_of[first])
        self.fields[first].setFocus()
        self.message.show_error(S.FIRM_FIX_FIELDS)
        log.info("firm settings refused: %s", ", ".join(known))

    def _online_changed(self, online: bool) -> None:
        self.offline_note.setVisible(not online and self.settings is not None)
