"""Sign in: server address, username and password; errors are shown inside the dialog."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from inbox_app.sync.errors import ApiError
from inbox_app.ui import strings as S
from inbox_app.ui.dialogs._common import HEADING_STYLE, MessageLabel, dialog_style, mark_primary


class SignInDialog(QDialog):
    """Asks for the server and credentials and signs in through the sync client.

    The sync client keeps the token (keyring); `.user` is the signed-in UserOut once accepted.

    Signals:
        signed_in(UserOut): the signed-in user, just before the dialog accepts.
    """

    signed_in = Signal(object)

    def __init__(
        self,
        sync_client,
        parent: QWidget | None = None,
        *,
        server_url: str = "",
        username: str = "",
    ) -> None:
        super().__init__(parent)
        self._sync = sync_client
        self.user = None
        self.setObjectName("signInDialog")
        self.setStyleSheet(dialog_style())
        self.setWindowTitle(S.SIGN_IN_TITLE)
        self.setMinimumWidth(420)

        heading = QLabel(S.SIGN_IN_HEADING)
        heading.setStyleSheet(HEADING_STYLE)

        self.server_edit = QLineEdit(server_url)
        self.server_edit.setObjectName("serverEdit")
        self.server_edit.setPlaceholderText("https://inbox.example-law.com")
        self.username_edit = QLineEdit(username)
        self.username_edit.setObjectName("usernameEdit")
        self.password_edit = QLineEdit()
        self.password_edit.setObjectName("passwordEdit")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)

        form = QFormLayout()
        form.addRow(S.SIGN_IN_SERVER, self.server_edit)
        form.addRow(S.SIGN_IN_USERNAME, self.username_edit)
        form.addRow(S.SIGN_IN_PASSWORD, self.password_edit)

        self.error_label = MessageLabel("signInError")

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.sign_in_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.sign_in_button.setText(S.SIGN_IN_BUTTON)
        self.sign_in_button.setObjectName("signInButton")
        mark_primary(self.sign_in_button)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setObjectName(
            "signInCancelButton"
        )
        self.buttons.accepted.connect(self.sign_in)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addSpacing(6)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

        first_empty = next(
            (e for e in (self.server_edit, self.username_edit) if not e.text()),
            self.password_edit,
        )
        first_empty.setFocus(Qt.FocusReason.OtherFocusReason)

    @property
    def server_url(self) -> str:
        return self.server_edit.text().strip().rstrip("/")

    @asyncSlot()
    async def sign_in(self) -> None:
        """Check the fields, then ask the server; stays open with a message when refused."""
        url, username = self.server_url, self.username_edit.text().strip()
        password = self.password_edit.text()
        if not (url and username and password):
            self.error_label.show_error(S.SIGN_IN_NEED_ALL)
            return
        if not url.startswith(("http://", "https://")):
            self.error_label.show_error(S.SIGN_IN_BAD_URL)
            return
        self.error_label.clear_message()
        self._set_busy(True)
        self._sync.set_server_url(url)
        try:
            user = await self._sync.sign_in(username, password)
        except ApiError as error:
            self._set_busy(False)
            self.error_label.show_error(S.describe_error(error))
            self.password_edit.selectAll()
            self.password_edit.setFocus()
            return
        self._set_busy(False)
        self.user = user
        self.signed_in.emit(user)
        self.accept()

    def _set_busy(self, busy: bool) -> None:
        self.sign_in_button.setEnabled(not busy)
        self.sign_in_button.setText(S.SIGN_IN_BUSY if busy else S.SIGN_IN_BUTTON)
        for edit in (self.server_edit, self.username_edit, self.password_edit):
            edit.setEnabled(not busy)
