"""Import and flows in the real app: File > Import… a Clio-style CSV of 50 clients and 50
hearings with 3 bad rows (reported, not imported); the same file again, changed (updated, not
duplicated; the moved hearings' reminders follow); then the flow editor shows a live preview the
server renders for an imported client, and it follows what is typed."""

from __future__ import annotations

from datetime import date, timedelta

from tests.import_files import clio_csv

EN = "Hi [ClientFirstName], your hearing is on [EventDate] at [EventTime], [EventLocation]."


def _import(app, path, rows: int = 50) -> None:
    app.click_action("menu:File")
    app.click_action("actionImport")
    app.widget("fileNameEdit", where=lambda w: w["focus"])
    app.type(str(path))
    app.key("Return")
    app.wait_for(rf"import dialog shown \({rows} rows\)")
    app.widget("importColumn_phone", where=lambda w: w["text"] == "Primary Phone Number")


def _flow(alice) -> None:
    steps = [
        {"offset_days": -7, "send_time": "09:00", "templates": {"en": EN}},
        {"offset_days": -3, "send_time": "09:00", "templates": {"en": EN}},
        {"offset_days": 0, "offset_hours": -2, "templates": {"en": EN}},
    ]
    created = alice.post("/api/v1/flows", json={"name": "Court date", "steps": steps})
    assert created.status_code == 201, created.text


def test_import_a_clio_file_then_again_changed_and_preview_a_flow(app, inbox_server, e2e_dir):
    alice = inbox_server.api("alice")
    _flow(alice)
    app.sign_in("alice")

    first = e2e_dir / "clio-export.csv"
    first.write_text(clio_csv(), encoding="utf-8")
    _import(app, first)
    app.screenshot("import-mapping")
    app.click("importNext")
    app.wait_for(r"import checked: 50 rows, 3 rejected")
    assert alice.get("/api/v1/clients").json() == []
    app.click("importNext")
    app.wait_for(r"import finished: 47 imported, 3 rejected, 47 events resynced, 0 pending")
    app.widget("importSummary", where=lambda w: "47 imported" in w["text"])
    app.screenshot("import-report")
    clients = alice.get("/api/v1/clients", params={"limit": 200}).json()
    events = alice.get("/api/v1/events", params={"limit": 200}).json()
    assert (len(clients), len(events)) == (47, 47)
    app.click("importClose")
    app.wait_gone("importDialog")

    changed = e2e_dir / "clio-export-2.csv"
    changed.write_text(clio_csv(changed=True), encoding="utf-8")
    _import(app, changed)
    app.click("importNext")
    app.wait_for(r"import checked: 50 rows, 3 rejected")
    app.click("importNext")
    app.wait_for(r"import finished: 47 imported, 3 rejected, 7 events resynced, 0 pending")
    app.widget(
        "importSummary", where=lambda w: "1 client updated, 6 court dates changed" in w["text"]
    )
    again = alice.get("/api/v1/events", params={"limit": 200}).json()
    assert len(alice.get("/api/v1/clients", params={"limit": 200}).json()) == 47
    assert len(again) == 47
    # The first client's hearing moved a day; its three reminders moved with it.
    maria = next(
        c for c in clients if c["contacts"] and c["contacts"][0]["phone"] == "+12015551000"
    )
    hearing = next(e for e in again if e["client_id"] == maria["id"])
    assert hearing["starts_at"][:10] == (date.today() + timedelta(days=11)).isoformat()
    reminders = alice.get(f"/api/v1/events/{hearing['id']}/messages").json()
    assert len(reminders) == 3
    assert all(r["status"] == "scheduled" for r in reminders)
    app.click("importClose")
    app.wait_gone("importDialog")

    app.click_action("menu:Firm")
    app.click_action("actionFlows")
    app.wait_for(r"flows loaded \(1\)")
    app.wait_for(r"preview shown")  # the sample client, rendered by the server
    app.fill("previewSearch", "Lopez")
    app.widget("previewClient", where=lambda w: w["text"] == "Maria Lopez")
    app.widget("previewBody", where=lambda w: "2:00 PM, Courtroom 1." in w["text"])
    app.click("template_en")
    app.key("ctrl+End")
    app.type(" Bring your ID.")
    app.wait_for(r"preview shown")
    body = app.widget("previewBody", where=lambda w: w["text"].endswith("Bring your ID."))
    assert "Courtroom 1" in body["text"]
    app.widget("previewMeasure", where=lambda w: "GSM-7" in w["text"])
    app.screenshot("flow-editor")
    app.key("Escape")
    app.wait_gone("flowsDialog")
