"""Users (admins): list the firm's users, add one with a one-time password shown once, reset a
password, change role, disable and enable. The server keeps the last admin (it says so here)."""

from __future__ import annotations

import asyncio
import logging
import secrets

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from inbox_app.models.schemas import UserAdminOut
from inbox_app.sync.errors import ApiError, Unreachable
from inbox_app.ui import strings as S
from inbox_app.ui import theme
from inbox_app.ui.admin.table_model import RowsTableModel
from inbox_app.ui.dialogs._common import (
    HEADING_STYLE,
    MUTED_STYLE,
    MessageLabel,
    ask,
    dialog_style,
    mark_primary,
)

log = logging.getLogger("inbox.ui")


# No 0/O, 1/l/I: the password is read out or copied by hand once.
_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def one_time_password() -> str:
    """A password to read out once: three groups of five (about 87 bits; the server wants 8+)."""
    groups = ("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(3))
    return "-".join(groups)


def role_text(role: str) -> str:
    return S.ROLE_ADMIN if role == "admin" else S.ROLE_STAFF


class UserListModel(RowsTableModel):
    """The firm's users in the server's order: username, name, role, status."""

    UserRole = RowsTableModel.RowRole
    COLUMNS = ("USERS_USERNAME", "USERS_NAME", "USERS_ROLE", "USERS_STATUS")

    def cell(self, u: UserAdminOut, column: int) -> str:
        return (
            u.username,
            u.display_name or S.DETAILS_NONE,
            role_text(u.role),
            S.USERS_ACTIVE if u.is_active else S.USERS_DISABLED,
        )[column]

    def row_of(self, username: str) -> int:  # type: ignore[override]
        return super().row_of(username, "username")


class AddUserDialog(QDialog):
    """Name, username and role; the one-time password is made here and shown after adding."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("addUserDialog")
        self.setStyleSheet(dialog_style())
        self.setWindowTitle(S.USERS_ADD_TITLE)
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("addUserName")
        self.username_edit = QLineEdit()
        self.username_edit.setObjectName("addUserUsername")
        self.role_combo = QComboBox()
        self.role_combo.setObjectName("addUserRole")
        self.role_combo.addItem(S.ROLE_STAFF, "staff")
        self.role_combo.addItem(S.ROLE_ADMIN, "admin")
        self.errors: dict[str, QLabel] = {}
        form = QFormLayout()
        for name, label, widget in (
            ("display_name", S.USERS_NAME, self.name_edit),
            ("username", S.USERS_USERNAME, self.username_edit),
            ("role", S.USERS_ROLE, self.role_combo),
        ):
            cell = QWidget()
            box = QVBoxLayout(cell)
            box.setContentsMargins(0, 0, 0, 0)
            box.addWidget(widget)
            error = MessageLabel(f"addUserError_{name}")
            box.addWidget(error)
            self.errors[name] = error
            form.addRow(label, cell)
        self.message = MessageLabel("addUserMessage")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.add_button = mark_primary(QPushButton(S.USERS_ADD_BUTTON))
        self.add_button.setObjectName("addUserButton")
        buttons.addButton(self.add_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def fields(self) -> dict:
        return {
            "username": self.username_edit.text().strip(),
            "display_name": self.name_edit.text().strip() or None,
            "role": self.role_combo.currentData(),
        }


class UsersDialog(QDialog):
    """The firm's users and what an admin does to them; every answer comes from the server.

    Loading starts at once; `.loading` is the task.

    Signals:
      loaded(): the list was read from the server.
      changed(UserAdminOut): the server kept a change to this user (or added them).
    """

    loaded = Signal()
    changed = Signal(object)

    def __init__(self, sync_client, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sync = sync_client
        self.add_dialog: AddUserDialog | None = None
        self.setObjectName("usersDialog")
        self.setStyleSheet(dialog_style())
        self.setWindowTitle(S.USERS_TITLE)
        self.resize(720, 460)

        heading = QLabel(S.USERS_TITLE)
        heading.setStyleSheet(HEADING_STYLE)
        subtitle = QLabel(S.USERS_SUBTITLE)
        subtitle.setStyleSheet(MUTED_STYLE)
        subtitle.setWordWrap(True)

        self.model = UserListModel(self)
        self.table = QTableView()
        self.table.setObjectName("usersTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        t = theme.current()
        self.table.setStyleSheet(
            f"QTableView {{ background: {t.raised}; border: 1px solid {t.border};"
            f" border-radius: 8px; alternate-background-color: {t.hover};"
            f" selection-background-color: {t.selection}; selection-color: {t.text}; }}"
        )
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)

        self.add_button = QPushButton(S.USERS_ADD)
        self.add_button.setObjectName("usersAdd")
        self.add_button.clicked.connect(self.add_user)
        self.reset_button = QPushButton(S.USERS_RESET)
        self.reset_button.setObjectName("usersReset")
        self.reset_button.clicked.connect(self.reset_password)
        self.role_button = QPushButton(S.USERS_MAKE_ADMIN)
        self.role_button.setObjectName("usersRole")
        self.role_button.clicked.connect(self.toggle_role)
        self.active_button = QPushButton(S.USERS_DISABLE)
        self.active_button.setObjectName("usersActive")
        self.active_button.clicked.connect(self.toggle_active)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addStretch(1)
        for button in (self.reset_button, self.role_button, self.active_button):
            row.addWidget(button)

        # The one-time password, selectable so it can be copied; shown once, then cleared.
        self.password_note = QLineEdit()
        self.password_note.setObjectName("usersOneTimePassword")
        self.password_note.setReadOnly(True)
        self.password_note.hide()
        self.message = MessageLabel("usersMessage")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(heading)
        layout.addWidget(subtitle)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addWidget(self.password_note)
        layout.addWidget(buttons)
        self._update_buttons()
        self.loading = asyncio.ensure_future(self.load())

    def selected(self) -> UserAdminOut | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row(rows[0].row()) if rows else None

    def select(self, username: str) -> None:
        row = self.model.row_of(username)
        if row >= 0:
            self.table.selectRow(row)

    def _update_buttons(self, *_args) -> None:
        user = self.selected()
        for button in (self.reset_button, self.role_button, self.active_button):
            button.setEnabled(user is not None)
        if user is not None:
            is_admin = user.role == "admin"
            self.role_button.setText(S.USERS_MAKE_STAFF if is_admin else S.USERS_MAKE_ADMIN)
            self.active_button.setText(S.USERS_DISABLE if user.is_active else S.USERS_ENABLE)

    async def load(self) -> None:
        try:
            self.model.set_rows(await self._sync.users())
        except ApiError as exc:
            self.message.show_error(S.describe_error(exc))
        self._update_buttons()
        log.info("users loaded (%d)", self.model.rowCount())
        self.loaded.emit()

    def _kept(self, user: UserAdminOut, what: str) -> None:
        self.model.replace(user)
        self.select(user.username)
        self._update_buttons()
        self.message.show_note(S.USERS_DONE.format(username=user.username, what=what))
        log.info("user %s: %s", user.username, what)
        self.changed.emit(user)

    def _refused(self, exc: ApiError) -> None:
        self.password_note.hide()
        self.message.show_error(S.describe_error(exc))
        log.info("user change refused: %s", exc.code)

    def _show_password(self, username: str, password: str) -> None:
        self.password_note.setText(password)
        self.password_note.show()
        self.password_note.selectAll()
        self.message.show_note(S.USERS_PASSWORD_ONCE.format(username=username, password=password))

    @asyncSlot()
    async def add_user(self) -> None:
        self.password_note.hide()
        dialog = self.add_dialog = AddUserDialog(self)
        while await ask(dialog) == QDialog.DialogCode.Accepted:
            for error in dialog.errors.values():
                error.clear_message()
            dialog.message.clear_message()
            password = one_time_password()
            try:
                user = await self._sync.create_user(password=password, **dialog.fields())
            except Unreachable:
                dialog.message.show_error(S.FIRM_OFFLINE_EDIT)
                continue
            except ApiError as exc:
                known = {k: v for k, v in exc.fields.items() if k in dialog.errors}
                for name, text in known.items():
                    dialog.errors[name].show_error(text)
                if not known:
                    dialog.message.show_error(S.describe_error(exc))
                log.info("add user refused: %s", ", ".join(known) or exc.code)
                continue
            self._kept(user, S.USERS_ADDED)
            self._show_password(user.username, password)
            return

    @asyncSlot()
    async def reset_password(self) -> None:
        user = self.selected()
        if user is None:
            return
        box = QMessageBox(self)
        box.setObjectName("usersResetConfirm")
        box.setIcon(QMessageBox.Icon.Question)
        box.setText(S.USERS_RESET_CONFIRM.format(username=user.username))
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
        if await ask(box) != QMessageBox.StandardButton.Yes:
            return
        password = one_time_password()
        try:
            kept = await self._sync.reset_password(user.id, password)
        except Unreachable:
            self.message.show_error(S.FIRM_OFFLINE_EDIT)
            return
        except ApiError as exc:
            self._refused(exc)
            return
        self._kept(kept, S.USERS_PASSWORD_RESET)
        self._show_password(kept.username, password)

    async def _change(self, user: UserAdminOut, what: str, **changes) -> None:
        self.password_note.hide()
        try:
            kept = await self._sync.update_user(user.id, **changes)
        except Unreachable:
            self.message.show_error(S.FIRM_OFFLINE_EDIT)
            return
        except ApiError as exc:
            self._refused(exc)
            return
        self._kept(kept, what)

    @asyncSlot()
    async def toggle_role(self) -> None:
        user = self.selected()
        if user is not None:
            role = "staff" if user.role == "admin" else "admin"
            await self._change(user, role_text(role).lower(), role=role)

    @asyncSlot()
    async def toggle_active(self) -> None:
        user = self.selected()
        if user is not None:
            what = S.USERS_DISABLED if user.is_active else S.USERS_ACTIVE
            await self._change(user, what.lower(), is_active=not user.is_active)
