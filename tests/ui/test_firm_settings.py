"""Firm settings (admins): the dialog over the real server (the after-hours reply too, then marked
in the thread); refusals at the field; staff kept out; offline it shows the last copy and refuses
edits; in Stripe mode (against the Stripe fake) the saved card, added and replaced on Stripe's
page. Screenshots in light and dark."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTime

from inbox_app.models import tables as t
from inbox_app.ui import strings as S
from inbox_app.ui import theme
from inbox_app.ui.admin import firm_settings


@pytest.fixture
def server(db_url, tmp_path, request):
    """The real backend; in Stripe mode, pointed at the fake, when the test asks for stripe_fake."""
    from tests.harness import free_port, make_settings, serve_in_thread

    stripe = {}
    if "stripe_fake" in request.fixturenames:
        fake = request.getfixturevalue("stripe_fake")
        stripe = {
            "payment_mode": "stripe",
            "stripe_api_key": "sk_test_x",
            "stripe_api_base": fake.url,
        }
    port = free_port()
    with serve_in_thread(make_settings(db_url, tmp_path, port, **stripe)) as running:
        yield running


@pytest.fixture
def stripe_fake():
    from tests.fakes.stripe import FakeStripe

    with FakeStripe() as fake:
        yield fake


def open_dialog(window, qtbot, run):
    window.action_firm_settings.trigger()
    dialog = window.firm_settings_dialog
    run(dialog.loading)
    qtbot.waitUntil(lambda: dialog.settings is not None and dialog.credits is not None)
    return dialog


def save(dialog, qtbot, run):
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.message.isVisible() and dialog.save_button.isEnabled())


def test_an_admin_changes_settings_on_every_page_and_the_server_keeps_them(
    server, admin, window, qtbot, run, artifacts_dir, monkeypatch
):
    assert window.firm_menu.menuAction().isVisible()
    dialog = open_dialog(window, qtbot, run)
    f, days = dialog.fields, dialog.day_rows
    assert f["name"].text() == "Doe & Roe Law"
    f["name"].setText("Doe, Roe & Partners")
    f["time_zone"].setCurrentText("America/Chicago")
    f["quiet_start"].setTime(QTime(9, 30))
    f["quiet_end"].setTime(QTime(19, 0))
    f["max_segments"].setValue(3)
    f["help_reply"].setPlainText("Doe & Roe: call 555-0100.")
    f["bundle_price_cents"].setValue(25.5)
    f["auto_top_up"].setChecked(True)
    # After hours: Monday to Friday 9 to 5 to begin with.
    dialog.pages.setCurrentRow(dialog.page_of["opening_hours"])
    assert [d for d, (is_open, _, _) in days.items() if is_open.isChecked()] == [
        "mon", "tue", "wed", "thu", "fri"
    ]  # fmt: skip
    f["after_hours_enabled"].setChecked(True)
    days["wed"][0].setChecked(False)
    days["fri"][2].setTime(QTime(15, 30))
    days["sat"][0].setChecked(True)
    days["sat"][1].setTime(QTime(10, 0))
    days["sat"][2].setTime(QTime(13, 0))
    f["after_hours_reply"].setPlainText("Hi [ClientFirstName], [FirmName] opens at 9.")
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        dialog.save_button.click()
    assert dialog.message.text().startswith("Saved.")
    qtbot.wait(50)
    assert dialog.grab().save(str(artifacts_dir / "firm-settings-after-hours-filled.png"))
    got = admin.get("/api/v1/firm/settings").json()
    assert got["name"] == "Doe, Roe & Partners"
    assert got["time_zone"] == "America/Chicago"
    assert (got["quiet_start"], got["quiet_end"]) == ("09:30:00", "19:00:00")
    assert got["max_segments"] == 3
    assert got["help_reply"] == "Doe & Roe: call 555-0100."
    assert got["bundle_price_cents"] == 2550
    assert admin.get("/api/v1/credits").json()["auto_top_up"] is True
    assert got["after_hours_enabled"] is True
    assert got["after_hours_reply"] == "Hi [ClientFirstName], [FirmName] opens at 9."
    hours = got["opening_hours"]
    assert hours["wed"] is None and hours["sun"] is None
    assert hours["fri"] == {"open": "09:00:00", "close": "15:30:00"}
    assert hours["sat"] == {"open": "10:00:00", "close": "13:00:00"}
    assert "Doe, Roe & Partners" in window.windowTitle()
    # Saving again sends nothing: nothing changed.
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.message.text() == "Nothing changed.")

    # Refusals land at their field: an unknown tag, a day that closes before it opens.
    f["after_hours_reply"].setPlainText("Hi [Nickname]")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.errors["after_hours_reply"].text() != "")
    assert "Unknown merge tag [Nickname]" in dialog.errors["after_hours_reply"].text()
    f["after_hours_reply"].setPlainText("We are closed.")
    days["mon"][2].setTime(QTime(8, 0))
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.errors["opening_hours"].text() != "")
    assert "open before it closes" in dialog.errors["opening_hours"].text()
    assert dialog.stack.currentIndex() == dialog.page_of["opening_hours"]
    assert admin.get("/api/v1/firm/settings").json() == got
    dialog.close()

    # A text on a Wednesday (closed all day now) gets the reply; the thread marks it automatic.
    from datetime import UTC, datetime

    from inbox_app.server.services import after_hours
    from inbox_app.ui.thread_view import meta_text
    from tests.ui.helpers import inbound
    from tests.ui.test_scheduled import open_thread

    monkeypatch.setattr(after_hours, "clock", lambda: datetime(2026, 6, 3, 16, 0, tzinfo=UTC))
    inbound(server, "+12025550160", "Is anyone there?")
    open_thread(window, qtbot, admin.get("/api/v1/conversations").json()[0]["id"])
    model = window.thread_model
    qtbot.waitUntil(lambda: any(m.origin == "auto" for m in model.messages()), timeout=5000)
    [auto] = [m for m in model.messages() if m.origin == "auto"]
    assert auto.body == "Hi, Doe, Roe & Partners opens at 9."
    assert meta_text(auto)[0].startswith("Automatic reply · ")
    qtbot.wait(50)
    assert window.grab().save(str(artifacts_dir / "thread-after-hours-reply.png"))


@pytest.mark.parametrize(
    ("field", "set_value", "said"),
    [
        ("time_zone", lambda f: f["time_zone"].setCurrentText("Mars/Olympus"), "IANA"),
        ("name", lambda f: f["name"].setText(""), "at least 1 character"),
        ("from_number", lambda f: f["from_number"].setText("12"), ""),
        ("help_reply", lambda f: f["help_reply"].setPlainText("   "), "blank"),
        ("quiet_end", lambda f: f["quiet_end"].setTime(QTime(7, 0)), "starts before it ends"),
    ],
)
def test_a_value_the_server_refuses_is_shown_at_its_field_and_changes_nothing(
    admin, window, qtbot, run, field, set_value, said
):
    before = admin.get("/api/v1/firm/settings").json()
    dialog = open_dialog(window, qtbot, run)
    dialog.fields["max_segments"].setValue(2)  # a good change in the same request
    set_value(dialog.fields)
    save(dialog, qtbot, run)
    error = dialog.errors[field]
    assert error.isVisible() or error.text()
    assert said in error.text()
    assert dialog.stack.currentIndex() == dialog.page_of[field]
    assert [n for n, e in dialog.errors.items() if e.text()] == [field]
    assert admin.get("/api/v1/firm/settings").json() == before


def test_staff_never_see_firm_settings_and_the_server_refuses_them(
    staff, server, tmp_path, run, qtbot
):
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
        assert not win.action_firm_settings.isEnabled()
        win.open_firm_settings()
        assert getattr(win, "firm_settings_dialog", None) is None
        assert staff.get("/api/v1/firm/settings").status_code == 403
        put = staff.put("/api/v1/firm/settings", json={"name": "Taken over"})
        assert put.status_code == 403 and put.json()["code"]
        assert staff.put("/api/v1/credits/settings", json={"auto_top_up": True}).status_code == 403
    finally:
        win.close()
        run(client.close())


def test_offline_the_dialog_shows_the_last_copy_and_refuses_edits(
    admin, server, window, sync, qtbot, run
):
    first = open_dialog(window, qtbot, run)  # read once online: the cache keeps it
    first.close()
    server.server.force_exit = True  # the live stream's connection is dropped too
    server.stop()
    qtbot.waitUntil(lambda: not sync.is_online, timeout=10_000)
    window.action_firm_settings.trigger()
    dialog = window.firm_settings_dialog
    run(dialog.loading)
    assert dialog.settings is not None and dialog.settings.name == "Doe & Roe Law"
    assert dialog.offline_note.isVisible()
    dialog.fields["name"].setText("Offline rename")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: "offline" in dialog.message.text())


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_screenshots_of_firm_settings(window, qtbot, run, qapp, artifacts_dir, dark):
    theme.apply(qapp, dark=dark)
    try:
        dialog = open_dialog(window, qtbot, run)
        name = "dark" if dark else "light"
        dialog.fields["time_zone"].setCurrentText("Mars/Olympus")
        save(dialog, qtbot, run)
        qtbot.wait(50)
        assert dialog.grab().save(str(artifacts_dir / f"firm-settings-firm-{name}.png"))
        dialog.pages.setCurrentRow(1)
        qtbot.wait(50)
        assert dialog.grab().save(str(artifacts_dir / f"firm-settings-texting-{name}.png"))
        dialog.pages.setCurrentRow(2)
        qtbot.wait(50)
        assert dialog.grab().save(str(artifacts_dir / f"firm-settings-after-hours-{name}.png"))
        dialog.pages.setCurrentRow(3)
        qtbot.wait(50)
        assert dialog.grab().save(str(artifacts_dir / f"firm-settings-credits-{name}.png"))
    finally:
        theme.apply(qapp, dark=False)


def test_an_admin_adds_then_replaces_the_firms_card_on_stripes_page(
    stripe_fake, server, window, qtbot, run, qapp, artifacts_dir, monkeypatch
):
    opened: list[str] = []
    monkeypatch.setattr(firm_settings, "open_in_browser", opened.append)
    dialog = open_dialog(window, qtbot, run)
    dialog.pages.setCurrentRow(3)
    qtbot.waitUntil(lambda: dialog.card is not None)
    assert dialog.card_row.isVisible() and dialog.card_label.text() == S.FIRM_CARD_NONE
    assert dialog.card_button.text() == S.FIRM_CARD_ADD

    dialog.card_button.click()
    qtbot.waitUntil(lambda: bool(opened))
    assert opened[0].startswith(stripe_fake.url + "/pay/") and dialog.card_done_button.isVisible()
    dialog.card_done_button.click()  # before the page is finished: says so, Done stays
    qtbot.waitUntil(lambda: dialog.card_error.isVisible())
    assert "not saved yet" in dialog.card_error.text() and dialog.card_done_button.isVisible()
    method_id = stripe_fake.complete_setup(dialog.card_session_id, brand="visa", last4="4242")
    with qtbot.waitSignal(dialog.card_changed, timeout=10_000):
        dialog.card_done_button.click()
    assert dialog.card_label.text() == "Visa ending in 4242 · expires 12/2034"
    assert dialog.card_button.text() == S.FIRM_CARD_REPLACE
    assert not dialog.card_done_button.isVisible() and not dialog.card_error.isVisible()
    with server.app.state.sessionmaker() as session:
        firm = session.query(t.Firm).filter_by(name="Doe & Roe Law").one()
        assert firm.stripe_payment_method_id == method_id  # automatic top-ups charge it

    # Replace it: a second page, another card.
    dialog.card_button.click()
    qtbot.waitUntil(lambda: len(opened) == 2 and dialog.card_done_button.isVisible())
    stripe_fake.complete_setup(dialog.card_session_id, brand="mastercard", last4="4444")
    with qtbot.waitSignal(dialog.card_changed, timeout=10_000):
        dialog.card_done_button.click()
    assert dialog.card_label.text() == "Mastercard ending in 4444 · expires 12/2034"
    qtbot.wait(50)
    assert dialog.grab().save(str(artifacts_dir / "firm-settings-card-light.png"))
    dialog.close()

    theme.apply(qapp, dark=True)
    try:
        dark = open_dialog(window, qtbot, run)
        dark.pages.setCurrentRow(3)
        qtbot.waitUntil(lambda: dark.card is not None)
        assert dark.card_label.text() == "Mastercard ending in 4444 · expires 12/2034"
        qtbot.wait(50)
        assert dark.grab().save(str(artifacts_dir / "firm-settings-card-dark.png"))
    finally:
        theme.apply(qapp, dark=False)
