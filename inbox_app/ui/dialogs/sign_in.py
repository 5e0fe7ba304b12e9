"""Sign in: server address, username and password; errors are shown inside the dialog."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer, Signal
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

from inbox_app.sync import credentials
from inbox_app.sync.errors import ApiError
from inbox_app.ui import strings as S
from inbox_app.ui.dialogs._common import (
    HEADING_STYLE,
    MUTED_STYLE,
    MessageLabel,
    dialog_style,
    mark_primary,
)

log = logging.getLogger("inbox.ui")


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
        # Without a keyring the session lives only as long as the app: say so once, here.
        self.keyring_note = QLabel(S.SIGN_IN_NOT_REMEMBERED)
        self.keyring_note.setObjectName("signInKeyringNote")
        self.keyring_note.setWordWrap(True)
        self.keyring_note.setStyleSheet(MUTED_STYLE)
        self.keyring_note.setVisible(
            bool(getattr(sync_client, "remember", False)) and not credentials.is_available()
        )

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.sign_in_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.sign_in_button.setText(S.SIGN_IN_BUTTON)
        self.sign_in_button.setObjectName("signInButton")
        mark_primary(self.sign_in_button)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("signInCancelButton")
        # While signing in the fields are disabled and focus falls to Cancel; as an auto-default
        # button it would then take Return, and the next try would cancel (and quit Inbox).
        cancel.setAutoDefault(False)
        self.buttons.accepted.connect(self.sign_in)
        self.buttons.rejected.connect(self.reject)
        cancel.clicked.connect(lambda: log.info("sign-in: Cancel clicked"))

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addSpacing(6)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.keyring_note)
        layout.addWidget(self.buttons)

        first_empty = next(
            (e for e in (self.server_edit, self.username_edit) if not e.text()),
            self.password_edit,
        )
        first_empty.setFocus(Qt.FocusReason.OtherFocusReason)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape:
            log.info("sign-in: Escape pressed")
        super().keyPressEvent(event)

    def closeEvent(self, event) -> None:
        # The window's close button (or Alt+F4): the log says how a sign-in ended.
        log.info("sign-in: dialog closed")
        super().closeEvent(event)

    @property
    def server_url(self) -> str:
        return self.server_edit.text().strip().rstrip("/")

    @asyncSlot()
    async def sign_in(self) -> None:
        """Check the fields, then ask the server; stays open with a message when refused."""
        url, username = self.server_url, self.username_edit.text().strip()
        password = self.password_edit.text()
        if not (url and username and password):
            self._refuse(S.SIGN_IN_NEED_ALL)
            return
        if not url.startswith(("http://", "https://")):
            self._refuse(S.SIGN_IN_BAD_URL)
            return
        self.error_label.clear_message()
        self._set_busy(True)
        self._sync.set_server_url(url)
        try:
            user = await self._sync.sign_in(username, password)
        except ApiError as error:
            self._set_busy(False)
            self._refuse(S.describe_error(error))
            self.password_edit.selectAll()
            self.password_edit.setFocus()
            return
        self._set_busy(False)
        self.user = user
        self.signed_in.emit(user)
        self.accept()

    def _refuse(self, text: str) -> None:
        self.error_label.show_error(text)
        log.info("sign-in refused: %s", text)
        # The label wraps long sentences; the dialog grows to show all of them.
        QTimer.singleShot(0, self.fit_height)

    def fit_height(self) -> None:
        """Grow (never shrink) to the height the layout needs at the current width."""
        layout = self.layout()
        width = self.width()
        if layout.hasHeightForWidth():
            needed = layout.totalHeightForWidth(width)
        else:
            needed = layout.totalSizeHint().height()
        if needed > self.height():
            self.resize(width, needed)

    def _set_busy(self, busy: bool) -> None:
        self.sign_in_button.setEnabled(not busy)
        self.sign_in_button.setText(S.SIGN_IN_BUSY if busy else S.SIGN_IN_BUTTON)
        for edit in (self.server_edit, self.username_edit, self.password_edit):
            edit.setEnabled(not busy)
        if not busy:
            self.sign_in_button.setDefault(True)  # Return signs in again
