"""Pick when a message goes out, or edit a scheduled one (its text and time).

The time is a local date and time in the future; edited text follows the compose box's
counter rules (segments, encoding, the 10-segment limit).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inbox_app.ui import strings as S
from inbox_app.ui.compose import counter_text
from inbox_app.ui.dialogs._common import MUTED_STYLE, MessageLabel, dialog_style, mark_primary

MORNING_HOUR = 9


def _now() -> datetime:
    return datetime.now().astimezone()


def _local_zone_name() -> str | None:
    """This computer's IANA zone name when the system says it (e.g. "America/Chicago")."""
    from PySide6.QtCore import QTimeZone

    name = bytes(QTimeZone.systemTimeZoneId().data()).decode(errors="replace")
    return name or None


def _to_qt(moment: datetime) -> QDateTime:
    return QDateTime.fromSecsSinceEpoch(int(moment.timestamp()))


class SendLaterDialog(QDialog):
    """`.send_at` (an aware datetime in this computer's zone) once accepted.

    Pass `send_at` to start from an already scheduled message's time. Pass `body` to edit a
    scheduled message: the dialog then also has its text (`.body` once accepted), with the
    compose box's counter; `has_images` lets an image-only message have no text.
    `recipient_zone` (the client's IANA zone) shows the picked time on the client's clock too.
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        send_at: datetime | None = None,
        body: str | None = None,
        *,
        has_images: bool = False,
        recipient_zone: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.send_at: datetime | None = None
        self.body: str | None = None
        self.editing = body is not None
        self._has_images = has_images
        self.setObjectName("editScheduledDialog" if self.editing else "sendLaterDialog")
        self.setStyleSheet(dialog_style())
        self.setWindowTitle(S.EDIT_TITLE if self.editing else S.LATER_TITLE)
        self.setMinimumWidth(460 if self.editing else 380)

        start = send_at if send_at and send_at > _now() else self._next_morning(days=1)
        self.edit = QDateTimeEdit(_to_qt(start))
        self.edit.setObjectName("sendAtEdit")
        self.edit.setCalendarPopup(True)
        self.edit.setDisplayFormat("ddd d MMM yyyy  h:mm AP")
        self.edit.setMinimumDateTime(_to_qt(_now().replace(second=0, microsecond=0)))
        from inbox_app.ui.times import zone_label

        zone = QLabel(zone_label(_local_zone_name()) or _now().tzname() or "")
        zone.setObjectName("myZoneLabel")
        zone.setStyleSheet(MUTED_STYLE)
        self.recipient_zone = recipient_zone
        self.recipient_label = QLabel()
        self.recipient_label.setObjectName("recipientTimeLabel")
        self.recipient_label.setStyleSheet(MUTED_STYLE)
        self.edit.dateTimeChanged.connect(lambda _when: self._update_recipient_time())
        self._update_recipient_time()

        tomorrow = QPushButton(S.LATER_TOMORROW)
        tomorrow.setObjectName("tomorrowButton")
        tomorrow.clicked.connect(lambda: self.edit.setDateTime(_to_qt(self._next_morning(1))))
        monday = QPushButton(S.LATER_MONDAY)
        monday.setObjectName("mondayButton")
        monday.clicked.connect(
            lambda: self.edit.setDateTime(_to_qt(self._next_morning((7 - _now().weekday()) or 7)))
        )

        self.error_label = MessageLabel("sendLaterError")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.schedule_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.schedule_button.setText(S.LATER_SCHEDULE)
        self.schedule_button.setObjectName("scheduleButton")
        mark_primary(self.schedule_button)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setObjectName(
            "sendLaterCancelButton"
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        self.body_edit: QPlainTextEdit | None = None
        self.counter: QLabel | None = None
        if self.editing:
            self.schedule_button.setText(S.EDIT_SAVE)
            self.body_edit = QPlainTextEdit()
            self.body_edit.setObjectName("scheduledBodyEdit")
            self.body_edit.setPlainText(body)
            self.body_edit.setTabChangesFocus(True)
            line = self.body_edit.fontMetrics().lineSpacing()
            self.body_edit.setFixedHeight(line * 4 + 24)
            self.counter = QLabel()
            self.counter.setObjectName("scheduledCounter")
            self.counter.setTextFormat(Qt.TextFormat.PlainText)
            self.counter.setStyleSheet(MUTED_STYLE)
            self.body_edit.textChanged.connect(self._update_counter)
            self._update_counter()

        row = QHBoxLayout()
        row.addWidget(self.edit, 1)
        row.addWidget(zone)
        quick = QHBoxLayout()
        quick.addWidget(tomorrow)
        quick.addWidget(monday)
        quick.addStretch(1)

        layout = QVBoxLayout(self)
        if self.body_edit is not None:
            layout.addWidget(QLabel(S.EDIT_TEXT))
            layout.addWidget(self.body_edit)
            layout.addWidget(self.counter, 0, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(QLabel(S.LATER_WHEN))
        layout.addLayout(row)
        layout.addWidget(self.recipient_label)
        layout.addLayout(quick)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

    @staticmethod
    def _next_morning(days: int) -> datetime:
        day = _now() + timedelta(days=days)
        return day.replace(hour=MORNING_HOUR, minute=0, second=0, microsecond=0)

    def chosen(self) -> datetime:
        """The picked moment as an aware datetime in the local zone."""
        seconds = self.edit.dateTime().toSecsSinceEpoch()
        return datetime.fromtimestamp(seconds).astimezone()

    def _update_recipient_time(self) -> None:
        from inbox_app.ui.times import recipient_time

        line = recipient_time(self.chosen(), self.recipient_zone)
        self.recipient_label.setText(line)
        self.recipient_label.setVisible(bool(line))

    def text(self) -> str:
        return self.body_edit.toPlainText() if self.body_edit is not None else ""

    def _update_counter(self) -> None:
        label, over = counter_text(self.text(), has_images=self._has_images)
        self.counter.setText(label)
        empty = not self.text().strip() and not self._has_images
        self.schedule_button.setEnabled(not over and not empty)

    def accept(self) -> None:
        moment = self.chosen()
        if moment <= _now():
            self.error_label.show_error(S.LATER_IN_PAST)
            return
        if self.editing:
            _label, over = counter_text(self.text(), has_images=self._has_images)
            if over:
                self.error_label.show_error(S.EDIT_TOO_LONG)
                return
            if not self.text().strip() and not self._has_images:
                self.error_label.show_error(S.EDIT_EMPTY)
                return
            self.body = self.text()
        self.send_at = moment
        super().accept()
