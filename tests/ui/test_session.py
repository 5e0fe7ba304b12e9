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


def test_a_remembered_session_with_a_cache_paints_the_inbox_before_the_server_answers(
    server, admin, tmp_path, run, qtbot
):
    from inbox_app.ui.main_window import MainWindow
    from tests.ui.helpers import compose

    for number in ("+12025550111", "+12025550112"):
        compose(admin, number)
    first = SyncClient(server.base_url, cache_dir=tmp_path)
    run(first.sign_in("alice", PASSWORD))
    assert len(run(first.conversations())) == 2  # kept in the cache
    run(first.close())

    # The server goes away; the next start needs no network call to show the inbox.
    server.server.force_exit = True
    server.stop()
    second = SyncClient(None, cache_dir=tmp_path, retry_interval=0.2)
    user = second.resume_cached()
    assert user is not None and user.username == "alice" and second.connecting
    window = MainWindow(second)
    qtbot.addWidget(window)
    assert "Connecting" in window.connection_label.text()
    assert window.show_cached_list()
    assert window.list_model.rowCount() == 2
    assert run(second.verify())  # unreachable: the session stays, offline
    assert not second.connecting and not second.is_online
    assert "Offline" in window.connection_label.text()
    assert credentials.load() is not None
    run(window.load())
    assert window.list_model.rowCount() == 2
    window.close()
    run(second.close())


def test_a_refused_token_from_a_cached_start_is_forgotten(server, admin, tmp_path, run):
    first = SyncClient(server.base_url, cache_dir=tmp_path)
    run(first.sign_in("alice", PASSWORD))
    run(first.close())
    credentials.save_token(server.base_url, "alice", "forged-token")
    client = SyncClient(None, cache_dir=tmp_path)
    assert client.resume_cached() is not None
    assert not run(client.verify())
    assert credentials.load() is None
    run(client.close())


def test_no_cached_start_without_a_cache_or_for_another_server(server, admin, tmp_path, run):
    credentials.save_token(server.base_url, "alice", "some-token")
    assert SyncClient(None, cache_dir=tmp_path).resume_cached() is None  # nothing cached
    first = SyncClient(server.base_url, cache_dir=tmp_path)
    run(first.sign_in("alice", PASSWORD))
    run(first.close())
    assert SyncClient("http://127.0.0.1:9", cache_dir=tmp_path).resume_cached() is None
