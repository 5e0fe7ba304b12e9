"""A firm's history in the real app: the next start paints the cached inbox before the server
answers, with the server stopped, and says it is offline; the server back, it catches up; a
search hit in the middle of a long thread opens the thread at that message, marked.

The app remembers its session (tests/e2e/file_keyring.py), as on a desktop with a keyring.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import start_app
from tests.e2e.driver import wait_until

MARIA = "+12015550111"
JOSE = "+12015550122"
NEW = "+12015550144"
LONG_THREAD = 80  # more than a page of the thread (50), so the hit is not in the newest page
HIT_AT = 20  # the message with the rare word, counted from the first
RARE = "zebrafish"


def _listed(app, part: str) -> bool:
    return any(part in row["text"] for row in app.rows())


@pytest.fixture(scope="module")
def seeded(inbox_server):
    """Two short threads and Maria's long one, which has the rare word once in its middle."""
    inbox_server.inbound("Can I bring my brother to the hearing?", sender=JOSE)
    for n in range(1, LONG_THREAD + 1):
        body = f"Note {n} about the lease"
        if n == HIT_AT:
            body = f"The {RARE} tank was in the photos of the flat"
        inbox_server.inbound(body, sender=MARIA)
    return inbox_server


def test_the_next_start_paints_the_cached_inbox_with_the_server_stopped_then_catches_up(
    display, seeded, e2e_dir
):
    server = seeded
    first = start_app(display, server, e2e_dir, name="cached", keyring=True)
    try:
        first.sign_in("alice")
        first.wait_for(r"conversation list loaded \(2\)")
        first.click_action("menu:File")
        first.click_action("actionQuit")
        assert first.wait_exit() == 0
    finally:
        first.stop()
        first.check_log()

    # A text arrives while the app is closed, then the server goes away.
    server.inbound("New text while you were away", sender=NEW)
    server.stop()

    app = start_app(display, server, e2e_dir, name="cached", keyring=True)
    try:
        app.wait_for("started from the cache as alice")
        app.wait_for("main window shown")
        app.wait_for(r"conversation list shown from the cache \(2\)")
        app.wait_for(r"conversation list painted \(2\)")
        assert not app.is_shown("signInDialog")  # no sign-in: the session was remembered
        assert _listed(app, "555-0111") and _listed(app, "555-0122")
        assert not _listed(app, "555-0144")
        label = app.widget("connectionLabel", where=lambda w: "Offline" in w["text"])
        assert "showing saved messages" in label["text"]
        app.screenshot("cached-start-offline")

        server.start()
        app.wait_for(r"conversation list loaded \(3\)", timeout=30)
        wait_until(lambda: _listed(app, "555-0144"), what="the text that came while away")
        app.widget("connectionLabel", where=lambda w: "Connected" in w["text"])

        # A search hit in the middle of Maria's 80 texts opens the thread there, marked.
        app.fill("searchEdit", RARE)
        hit = wait_until(
            lambda: next((r for r in app.rows("messageHits") if RARE in r["text"]), None),
            what="the message hit",
        )
        alice = server.api("alice")
        found = alice.get("/api/v1/search", params={"q": RARE}).json()["messages"]
        assert len(found) == 1
        message_id = found[0]["id"]
        app.click_rect(hit["rect"])
        app.wait_for(rf"thread loaded {found[0]['conversation_id']}")
        app.wait_for(rf"message marked {message_id}$")
        app.command("ping")
        app.wait_for("e2e pong")
        bubbles = app.rows("messageView")
        shown = [b["text"] for b in bubbles]
        assert any(RARE in text for text in shown), shown
        # The page around the hit, not the newest page: the latest text is not loaded.
        assert not any(re.search(rf"Note {LONG_THREAD}\b", text) for text in shown)
        view = app.widget("messageView")["rect"]
        marked = next(b for b in bubbles if RARE in b["text"])
        assert view[1] <= marked["rect"][1] and (
            marked["rect"][1] + marked["rect"][3] <= view[1] + view[3]
        )  # the whole bubble is in view
        app.screenshot("search-hit")

        app.click_action("menu:File")
        app.click_action("actionQuit")
        assert app.wait_exit() == 0
    finally:
        app.stop()
        app.check_log()
