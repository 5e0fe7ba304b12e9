"""Pick when a message goes out (or move a scheduled one): a local date and time in the future."""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inbox_app.ui import strings as S
from inbox_app.ui.dialogs._common import MUTED_STYLE, MessageLabel, dialog_style, mark_primary

MORNING_HOUR = 9


def _now() -> datetime:
    return datetime.now().astimezone()


def _to_qt(moment: datetime) -> QDateTime:
    return QDateTime.fromSecsSinceEpoch(int(moment.timestamp()))


class SendLaterDialog(QDialog):
    """`.send_at` (an aware datetime in this computer's zone) once accepted.

    Pass `send_at` to edit an already scheduled message's time.
    """

    def __init__(self, parent: QWidget | None = None, send_at: datetime | None = None) -> None:
        super().__init__(parent)
        self.send_at: datetime | None = None
        self.setObjectName("sendLaterDialog")
        self.setStyleSheet(dialog_style())
        self.setWindowTitle(S.LATER_TITLE)
        self.setMinimumWidth(380)

        start = send_at if send_at and send_at > _now() else self._next_morning(days=1)
        self.edit = QDateTimeEdit(_to_qt(start))
        self.edit.setObjectName("sendAtEdit")
        self.edit.setCalendarPopup(True)
        self.edit.setDisplayFormat("ddd d MMM yyyy  h:mm AP")
        self.edit.setMinimumDateTime(_to_qt(_now().replace(second=0, microsecond=0)))
        zone = QLabel(_now().tzname() or "")
        zone.setStyleSheet(MUTED_STYLE)

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

        row = QHBoxLayout()
        row.addWidget(self.edit, 1)
        row.addWidget(zone)
        quick = QHBoxLayout()
        quick.addWidget(tomorrow)
        quick.addWidget(monday)
        quick.addStretch(1)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(S.LATER_WHEN))
        layout.addLayout(row)
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

    def accept(self) -> None:
        moment = self.chosen()
        if moment <= _now():
            self.error_label.show_error(S.LATER_IN_PAST)
            return
        self.send_at = moment
        super().accept()
