"""File > Import… and the flow editor against the real server: mapping guessed, rows checked
by a dry run, the import's report and its rejects; a live preview rendered by the server, its
refusals shown at the template; staff read flows only."""

from __future__ import annotations

import csv

from inbox_app.ui import theme
from inbox_app.ui.dialogs import import_file
from tests.import_files import clio_csv

EN = "Hi [ClientFirstName], your hearing is on [EventDate] at [EventTime], [EventLocation]."
ES = "Hola [ClientFirstName], su audiencia es el [EventDate] a las [EventTime]."


def make_flow(api) -> dict:
    steps = [
        {"offset_days": -7, "send_time": "09:00", "templates": {"en": EN, "es": ES}},
        {"offset_days": -3, "send_time": "09:00", "templates": {"en": EN}},
        {"offset_days": 0, "offset_hours": -2, "templates": {"en": EN}},
    ]
    return admin_post(api, "/api/v1/flows", {"name": "Court date", "steps": steps})


def admin_post(api, path: str, body: dict) -> dict:
    response = api.post(path, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def import_dialog(window, run, path):
    dialog = run(import_file.open_import(window.sync, window, str(path)))
    assert dialog is not None
    return dialog


def shoot(widget, qtbot, artifacts_dir, name: str, dark: bool) -> None:
    qtbot.wait(80)
    assert widget.grab().save(str(artifacts_dir / f"{name}-{'dark' if dark else 'light'}.png"))


def test_import_checks_rows_imports_the_good_ones_and_saves_the_rejects(
    admin, window, qtbot, run, qapp, tmp_path, artifacts_dir
):
    dark = False
    try:
        flow = make_flow(admin)
        path = tmp_path / "clio-contacts.csv"
        path.write_text(clio_csv(), encoding="utf-8")
        dialog = import_dialog(window, run, path)
        qtbot.addWidget(dialog)
        assert dialog.column_combos["phone"].currentText() == "Primary Phone Number"
        assert dialog.column_combos["event_id"].currentText() == "Calendar Entry ID"
        assert dialog.column_combos["full_name"].currentData() == -1
        assert dialog.source_combo.currentData() == "clio"
        assert dialog.flow_combo.currentData() == flow["id"]
        shoot(dialog, qtbot, artifacts_dir, "import-mapping", dark)

        with qtbot.waitSignal(dialog.checked, timeout=15_000) as checked:
            dialog.next_button.click()
        assert (checked.args[0].imported, checked.args[0].rejected) == (47, 3)
        assert admin.get("/api/v1/clients").json() == []  # a dry run writes nothing
        # The three problems come first in the preview, their cells marked.
        firsts = [dialog.model.index(row, 0).data() for row in range(3)]
        assert firsts == ["11", "21", "31"]
        assert "not a phone number" in dialog.model.index(0, 1).data()
        assert "47 will be imported" in dialog.summary.text()

        shown = []
        dialog.progress.valueChanged.connect(shown.append)
        with qtbot.waitSignal(dialog.imported, timeout=30_000) as done:
            dialog.next_button.click()
        assert shown and max(shown) == 1000  # the server's progress reached the bar
        report = done.args[0]
        assert (report.imported, report.rejected, report.events_resynced) == (47, 3, 47)
        assert dialog.model.rowCount() == 3 and dialog.save_rejects_button.isVisible()
        assert "Reminders scheduled for 47 court dates" in dialog.summary.text()
        shoot(dialog, qtbot, artifacts_dir, "import-report", dark)
        saved = dialog.save_rejects(str(tmp_path / "rejects.csv"))
        rows = list(csv.reader(saved.open(encoding="utf-8-sig")))
        assert rows[0][-1] == "Problems" and len(rows) == 4
        assert rows[1][3] == "555-12" and "Mobile phone:" in rows[1][-1]
        assert len(admin.get("/api/v1/clients", params={"limit": 200}).json()) == 47
        dialog.close()

        # The same two pages in the dark theme (the dialog takes its colours when made).
        theme.apply(qapp, dark=True)
        flows = run(window.sync.flows())
        again = import_file.ImportDialog(window.sync, dialog.file, flows, window)
        qtbot.addWidget(again)
        again.show()
        shoot(again, qtbot, artifacts_dir, "import-mapping", True)
        again.show_report(report)
        shoot(again, qtbot, artifacts_dir, "import-report", True)
        again.close()
    finally:
        theme.apply(qapp, dark=False)


def test_a_large_import_says_its_reminders_follow_and_the_agenda_shows_them_when_made(
    admin, window, qtbot, run, tmp_path
):
    """Over 1,000 court dates: the report comes back before their reminders (the server makes
    them right after, a chunk at a time), and the open agenda shows them once they are made."""
    from inbox_app.server.services import reminders

    make_flow(admin)
    rows = reminders.PENDING_CHUNK + 100
    path = tmp_path / "clio-big.csv"
    path.write_text(clio_csv(rows), encoding="utf-8")
    views = window.views
    views.show_view("upcoming")
    upcoming = views.upcoming_page
    dialog = import_dialog(window, run, path)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.checked, timeout=30_000):
        dialog.next_button.click()
    with qtbot.waitSignal(dialog.imported, timeout=60_000) as done:
        dialog.next_button.click()
    report = done.args[0]
    assert (report.imported, report.events_resynced, report.events_pending) == (
        rows - 3,
        0,
        rows - 3,
    )
    assert f"Reminders for {rows - 3:,} court dates are being scheduled now" in (
        dialog.summary.text()
    )
    dialog.close()

    def all_made() -> bool:
        events = upcoming.model.events()
        return bool(events) and all(e.pending_reminders == 3 for e in events)

    qtbot.waitUntil(all_made, timeout=30_000)


def test_flow_editor_previews_live_and_shows_refusals_at_the_template(
    admin, window, qtbot, run, qapp, artifacts_dir
):
    dark = False
    try:
        flow = make_flow(admin)
        client = admin_post(admin, "/api/v1/clients", {"first_name": "Maria", "last_name": "Lopez"})
        admin_post(admin, f"/api/v1/clients/{client['id']}/contacts", {"phone": "2015550188"})
        admin_post(
            admin,
            "/api/v1/events",
            {
                "client_id": client["id"],
                "starts_at": "2027-03-04T09:30:00-05:00",
                "location": "Courtroom 4B",
                "flow_id": flow["id"],
            },
        )
        window.action_flows.trigger()
        dialog = window.flows_dialog
        run(dialog.loading)
        assert dialog.flow_list.count() == 1 and dialog.step_list.count() == 3
        assert dialog.step_list.item(0).text() == "7 days before at 9:00 AM"
        assert dialog.step_list.item(2).text() == "2 hours before"
        # Found by the server's search (the combo lists only the first page of clients).
        qtbot.keyClicks(dialog.client_search, "lopez")
        qtbot.waitUntil(lambda: dialog.client_combo.currentText() == "Maria Lopez", timeout=10_000)
        qtbot.waitUntil(lambda: "March 4, 2027" in dialog.preview_body.text(), timeout=10_000)
        assert dialog.preview_body.text() == (
            "Hi Maria, your hearing is on Thursday, March 4, 2027 at 9:30 AM, Courtroom 4B."
        )
        assert dialog.preview_measure.text() == "1 segment · GSM-7 · 78 characters"
        shoot(dialog, qtbot, artifacts_dir, "flow-editor", dark)

        # Spanish: the server renders the Spanish template with a Spanish date.
        with qtbot.waitSignal(dialog.previewed, timeout=10_000):
            dialog.template_tabs.setCurrentIndex(1)
        assert dialog.preview_body.text().startswith("Hola Maria, su audiencia es el jueves")

        # An unknown tag: the preview and the save are refused at the template.
        dialog.template_tabs.setCurrentIndex(0)
        edit = dialog.template_edits["en"]
        edit.setPlainText("Hi [ClientName], see you [EventDate].")
        qtbot.waitUntil(dialog.template_error.isVisible, timeout=10_000)
        assert "Unknown merge tag [ClientName]" in dialog.template_error.text()
        dialog.save_button.click()
        qtbot.waitUntil(lambda: "Unknown merge tag" in dialog.template_error.text(), timeout=5000)
        assert admin.get(f"/api/v1/flows/{flow['id']}").json()["steps"][0]["templates"]["en"] == EN

        # Too long: the preview warns, the save is refused at the template.
        edit.setPlainText("x" * 1601)
        qtbot.waitUntil(dialog.preview_warning.isVisible, timeout=10_000)
        assert "limit of 10 segments" in dialog.preview_warning.text()
        assert dialog.preview_measure.text().startswith("11 segments · GSM-7")
        dialog.save_button.click()
        qtbot.waitUntil(lambda: "longer than 10 segments" in dialog.template_error.text())

        # Fixed with the tag picker, moved to 5 days before, saved.
        edit.setPlainText("Hi , see you [EventDate].")
        cursor = edit.textCursor()
        cursor.setPosition(3)
        edit.setTextCursor(cursor)
        dialog.insert_tag("ClientFirstName")
        dialog.days_spin.setValue(5)
        with qtbot.waitSignal(dialog.saved, timeout=10_000):
            dialog.save_button.click()
        kept = admin.get(f"/api/v1/flows/{flow['id']}").json()["steps"][0]
        assert kept["offset_days"] == -5
        assert kept["templates"]["en"] == "Hi [ClientFirstName], see you [EventDate]."
        dialog.close()

        theme.apply(qapp, dark=True)
        window.action_flows.trigger()
        dark_dialog = window.flows_dialog
        run(dark_dialog.loading)
        dark_dialog.template_edits["en"].setPlainText(EN)
        with qtbot.waitSignal(dark_dialog.previewed, timeout=10_000):
            dark_dialog.client_combo.setCurrentIndex(
                dark_dialog.client_combo.findText("Maria Lopez")
            )
        qtbot.waitUntil(lambda: "Courtroom 4B" in dark_dialog.preview_body.text(), timeout=10_000)
        shoot(dark_dialog, qtbot, artifacts_dir, "flow-editor", True)
        dark_dialog.close()
    finally:
        theme.apply(qapp, dark=False)


def test_staff_read_flows_without_editing(admin, staff, server, tmp_path, run, qtbot):
    from inbox_app.sync.session import SyncClient
    from inbox_app.ui.main_window import MainWindow
    from tests.conftest import PASSWORD

    make_flow(admin)
    client = SyncClient(server.base_url, cache_dir=tmp_path / "staff", retry_interval=0.2)
    run(client.sign_in("paula", PASSWORD))
    win = MainWindow(client)
    qtbot.addWidget(win)
    win.show()
    run(win.load())
    try:
        assert win.action_flows in win.view_menu.actions()
        win.action_flows.trigger()
        dialog = win.flows_dialog
        run(dialog.loading)
        assert dialog.step_list.count() == 3
        assert not dialog.save_button.isVisible() and not dialog.new_button.isVisible()
        assert dialog.template_edits["en"].isReadOnly() and not dialog.days_spin.isEnabled()
        flow_id = dialog.flow_id
        assert staff.patch(f"/api/v1/flows/{flow_id}", json={"name": "x"}).status_code == 403
        dialog.close()
    finally:
        win.close()
        run(client.close())
