"""Stream and tokens (CONTRACT.md): an open stream lives only as long as its token is valid;
signing out, disabling, a changed password and expiry each end it within seconds. Real HTTP."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy import update

from inbox_app.models import tables as t
from inbox_app.server.services import events
from tests.conftest import login, make_user
from tests.server.test_stream import StreamClient

# The contract says "within seconds"; the broker re-checks every second.
ENDS_WITHIN = 5.0


async def ended(stream: StreamClient, timeout: float = ENDS_WITHIN) -> float:
    """Seconds until the server closed the stream; fails when it is still open after `timeout`."""
    started = time.monotonic()
    try:
        await asyncio.wait_for(asyncio.shield(stream._task), timeout)
    except TimeoutError:
        raise AssertionError(f"the stream was still open after {timeout} s") from None
    return time.monotonic() - started


def run_cli(server, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """`inbox-server ARGS` as its own process, on the test server's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_")}
    env["INBOX_DATABASE_URL"] = server.settings.effective_database_url
    env["INBOX_MEDIA_DIR"] = str(server.settings.effective_media_dir)
    return subprocess.run(
        [sys.executable, "-m", "inbox_app.server.cli", *args],
        input=stdin + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def publish(server, firm_id: int, body: str) -> None:
    with server.app.state.sessionmaker() as session, session.begin():
        events.publish(session, firm_id, "message.created", {"body": body})


async def test_streams_end_within_seconds_when_their_token_stops_being_valid(server, admin):
    for name in ("paula", "dora", "pete", "eve"):
        make_user(server, name)
    out, disabled, changed, expired = (
        login(server, name) for name in ("paula", "dora", "pete", "eve")
    )
    firm_id = admin.user["firm_id"]
    sessions = server.app.state.sessionmaker
    async with (
        StreamClient(server.base_url, admin.token) as still_valid,
        StreamClient(server.base_url, out.token) as s_out,
        StreamClient(server.base_url, disabled.token) as s_disabled,
        StreamClient(server.base_url, changed.token) as s_changed,
        StreamClient(server.base_url, expired.token) as s_expired,
    ):
        publish(server, firm_id, "before")
        for stream in (still_valid, s_out, s_disabled, s_changed, s_expired):
            await stream.wait_for(1)

        assert out.post("/api/v1/auth/logout").status_code == 204
        disable = admin.post(f"/api/v1/users/{disabled.user['id']}/disable")
        assert disable.status_code == 200, disable.text
        # The operator's command, another process on the same database.
        done = await asyncio.to_thread(
            run_cli, server, "set-password", "pete", "--password", "-", stdin="a new password!"
        )
        assert done.returncode == 0, done.stderr
        # Expiry is the clock's doing; here the row is simply moved into the past.
        with sessions() as session, session.begin():
            session.execute(
                update(t.AuthToken)
                .where(t.AuthToken.user_id == expired.user["id"])
                .values(expires_at=t.utcnow() - timedelta(seconds=1))
            )

        waits = [await ended(s) for s in (s_out, s_disabled, s_changed, s_expired)]
        assert max(waits) < ENDS_WITHIN
        publish(server, firm_id, "after")
        await still_valid.wait_for(2)
    for stream in (s_out, s_disabled, s_changed, s_expired):
        assert [e.data["body"] for e in stream.events] == ["before"]
    assert [e.data["body"] for e in still_valid.events] == ["before", "after"]
    # And the tokens themselves are refused, so a reconnect gets 401.
    for api in (out, disabled, changed, expired):
        assert api.get("/api/v1/auth/me").status_code == 401
    assert admin.get("/api/v1/auth/me").status_code == 200
