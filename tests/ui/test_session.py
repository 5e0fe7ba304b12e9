"""Sign-in through the sync client: the token goes to the keyring, the next start is silent."""

from __future__ import annotations

import pytest

from inbox_app.sync import credentials
from inbox_app.sync.errors import ApiError
from inbox_app.sync.session import SyncClient
from tests.conftest import PASSWORD


def test_sign_in_keeps_the_token_in_the_keyring_and_next_start_is_silent(
    server, admin, tmp_path, run, memory_keyring
):
    first = SyncClient(server.base_url, cache_dir=tmp_path)
    user = run(first.sign_in("alice", PASSWORD))
    assert user.username == "alice"
    url, username, token = credentials.load()
    assert (url, username) == (server.base_url, "alice")
    assert token and token in next(iter(memory_keyring.entries.values()))
    run(first.close())

    second = SyncClient(None, cache_dir=tmp_path)
    resumed = run(second.resume())
    assert resumed is not None and resumed.username == "alice"
    assert second.server_url == server.base_url
    assert run(second.credits()).balance == 100

    run(second.sign_out())
    assert credentials.load() is None
    third = SyncClient(None, cache_dir=tmp_path)
    assert run(third.resume()) is None
    run(second.close())


def test_wrong_password_is_refused_with_the_servers_sentence(server, admin, tmp_path, run):
    client = SyncClient(server.base_url, cache_dir=tmp_path)
    with pytest.raises(ApiError) as caught:
        run(client.sign_in("alice", "not the password"))
    assert caught.value.status == 401
    assert caught.value.detail == "Wrong username or password."
    assert credentials.load() is None
    run(client.close())


def test_a_revoked_token_is_forgotten_on_start(server, admin, tmp_path, run):
    credentials.save_token(server.base_url, "alice", "forged-token")
    client = SyncClient(None, cache_dir=tmp_path)
    assert run(client.resume()) is None
    assert credentials.load() is None
    run(client.close())
