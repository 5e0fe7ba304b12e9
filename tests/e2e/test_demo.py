"""`inbox-app --demo` (what scripts/run.sh --demo starts): its private server, the demo firm's
inbox on screen, and File > Quit ends both with exit code 0."""

from __future__ import annotations

import re

from tests.e2e.driver import AppProcess


def test_the_demo_shows_the_seeded_inbox_and_quits_cleanly(display, e2e_dir):
    app = AppProcess(display, None, e2e_dir, name="demo")
    app.start("--demo", "--data-dir", str(e2e_dir / "demo-data"), timeout=90)
    try:
        app.wait_for("signed in as ", timeout=60)
        app.wait_for("main window shown")
        count = int(app.wait_for(r"conversation list loaded \((\d+)\)").group(1))
        assert count > 0
        rows = app.rows()
        assert rows and all(re.search(r"\w", r["text"]) for r in rows)
        app.screenshot("demo-main-window")
        app.click_action("menu:File")
        app.click_action("actionQuit")
        app.wait_for("^INFO inbox.ui quit$")
        assert app.wait_exit(timeout=30) == 0
        app.check_log()
    finally:
        app.stop()
