"""A file of more court dates than one transaction resyncs, in the real app: the report comes
first and says their reminders are being scheduled; the server makes them right after, three
per court date and none twice. (Its own module: a fresh server and database.)"""

from __future__ import annotations

import time

from tests.e2e.test_import_flows import _flow, _import
from tests.import_files import clio_csv
from tests.server.test_import_pending import _state


def test_a_file_of_1100_court_dates_reports_first_and_its_reminders_follow(
    app, inbox_server, e2e_dir
):
    alice = inbox_server.api("alice")
    _flow(alice)
    app.sign_in("alice")
    big = e2e_dir / "clio-big.csv"
    big.write_text(clio_csv(1100), encoding="utf-8")
    _import(app, big, rows=1100)
    app.click("importNext")
    app.wait_for(r"import checked: 1100 rows, 3 rejected")
    app.click("importNext")
    app.wait_for(r"import finished: 1097 imported, 3 rejected, 0 events resynced, 1097 pending")
    app.widget(
        "importSummary",
        where=lambda w: "Reminders for 1,097 court dates are being scheduled now" in w["text"],
    )
    app.screenshot("import-report-large")
    deadline = time.monotonic() + 60
    while (state := _state(inbox_server.database_url))[0]:
        assert time.monotonic() < deadline, f"reminders not made in 60 s: {state[:2]}"
        time.sleep(0.2)
    assert state == (0, 3 * 1097, {3})  # none waiting, three each
    app.click("importClose")
    app.wait_gone("importDialog")
