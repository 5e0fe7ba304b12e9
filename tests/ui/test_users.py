"""Users (admins) over the real server: add with a one-time password that signs in, change
role, disable and enable, the last admin kept (the server says so), staff kept out."""

from __future__ import annotations

import httpx
import pytest
from PySide6.QtWidgets import QDialog, QMessageBox

from inbox_app.ui import theme


def open_users(window, qtbot, run):
    window.action_users.trigger()
    dialog = window.users_dialog
    run(dialog.loading)
    return dialog


def token_for(server, username: str, password: str) -> int:
    return httpx.post(
        f"{server.base_url}/api/v1/auth/token",
        json={"username": username, "password": password},
        timeout=15,
    ).status_code


def add(dialog, qtbot, name: str, username: str, role: str = "staff") -> None:
    dialog.add_button.click()
    qtbot.waitUntil(lambda: dialog.add_dialog is not None and dialog.add_dialog.isVisible())
    add_dialog = dialog.add_dialog
    add_dialog.name_edit.setText(name)
    add_dialog.username_edit.setText(username)
    add_dialog.role_combo.setCurrentIndex(add_dialog.role_combo.findData(role))
    add_dialog.add_button.click()


def test_an_admin_adds_a_user_whose_one_time_password_signs_in(server, admin, window, qtbot, run):
    dialog = open_users(window, qtbot, run)
    assert dialog.model.row_of("alice") >= 0
    add(dialog, qtbot, "Sam Clerk", "sam")
    qtbot.waitUntil(lambda: dialog.model.row_of("sam") >= 0, timeout=5000)
    password = dialog.password_note.text()
    assert len(password) >= 8 and password in dialog.message.text()
    assert token_for(server, "sam", password) == 200
    listed = {u["username"]: u for u in admin.get("/api/v1/users").json()}
    assert listed["sam"]["role"] == "staff" and listed["sam"]["display_name"] == "Sam Clerk"

    # The same username again: the server's refusal is shown in the add dialog; nothing added.
    add(dialog, qtbot, "Sam Two", "sam")
    qtbot.waitUntil(lambda: dialog.add_dialog.message.isVisible() or any(
        e.isVisible() for e in dialog.add_dialog.errors.values()))  # fmt: skip
    assert dialog.add_dialog.isVisible()
    dialog.add_dialog.done(QDialog.DialogCode.Rejected)
    assert [u["username"] for u in admin.get("/api/v1/users").json()].count("sam") == 1


def test_role_disable_enable_and_the_last_admin_is_kept(server, admin, staff, window, qtbot, run):
    dialog = open_users(window, qtbot, run)
    dialog.select("alice")
    dialog.active_button.click()  # alice is the only admin: the server refuses
    qtbot.waitUntil(lambda: "last active admin" in dialog.message.text(), timeout=5000)
    users = {u["username"]: u for u in admin.get("/api/v1/users").json()}
    assert users["alice"]["is_active"] is True

    dialog.select("paula")
    dialog.role_button.click()
    qtbot.waitUntil(lambda: dialog.selected().role == "admin", timeout=5000)
    dialog.role_button.click()
    qtbot.waitUntil(lambda: dialog.selected().role == "staff", timeout=5000)
    dialog.active_button.click()
    qtbot.waitUntil(lambda: not dialog.selected().is_active, timeout=5000)
    assert token_for(server, "paula", "correct horse battery") >= 400
    assert staff.get("/api/v1/conversations").status_code == 401  # signed out everywhere
    dialog.active_button.click()
    qtbot.waitUntil(lambda: dialog.selected().is_active, timeout=5000)
    assert token_for(server, "paula", "correct horse battery") == 200


def test_reset_password_gives_a_new_one_time_password(server, admin, staff, window, qtbot, run):
    dialog = open_users(window, qtbot, run)
    dialog.select("paula")
    dialog.reset_button.click()
    box = None

    def confirm_shown():
        nonlocal box
        box = dialog.findChild(QMessageBox, "usersResetConfirm")
        return box is not None and box.isVisible()

    qtbot.waitUntil(confirm_shown)
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: dialog.password_note.isVisible(), timeout=5000)
    assert token_for(server, "paula", dialog.password_note.text()) == 200
    assert token_for(server, "paula", "correct horse battery") >= 400


def test_staff_never_see_users_and_the_server_refuses_them(staff, server, tmp_path, run, qtbot):
    from inbox_app.sync.session import SyncClient
    from inbox_app.ui.main_window import MainWindow
    from tests.conftest import PASSWORD

    client = SyncClient(server.base_url, cache_dir=tmp_path / "staff", retry_interval=0.2)
    run(client.sign_in("paula", PASSWORD))
    win = MainWindow(client)
    qtbot.addWidget(win)
    win.show()
    run(win.load())
    try:
        assert not win.firm_menu.menuAction().isVisible()
        assert not win.action_users.isEnabled()
        win.open_users()
        assert getattr(win, "users_dialog", None) is None
        assert staff.get("/api/v1/users").status_code == 403
        made = staff.post("/api/v1/users", json={"username": "eve", "password": "x" * 12})
        assert made.status_code == 403
    finally:
        win.close()
        run(client.close())


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_screenshots_of_users(staff, window, qtbot, run, qapp, artifacts_dir, dark):
    theme.apply(qapp, dark=dark)
    try:
        dialog = open_users(window, qtbot, run)
        add(dialog, qtbot, "Sam Clerk", "sam")
        qtbot.waitUntil(lambda: dialog.password_note.isVisible(), timeout=5000)
        qtbot.wait(50)
        name = "dark" if dark else "light"
        assert dialog.grab().save(str(artifacts_dir / f"users-{name}.png"))
    finally:
        theme.apply(qapp, dark=False)
