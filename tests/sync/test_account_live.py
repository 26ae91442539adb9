"""The account follows the member's profile live: a signed-in, linked device joins Realtime
for its own profile row; a change the server pushes (here: the billing webhook made the member
active) is on this device at once — subscription state kept, screens told to re-render, a pull
asked for — and signing out leaves the channel. Against the fake Realtime server of
test_realtime.py (the Phoenix protocol as Supabase documents it)."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

from chris_app.account import Account
from chris_app.sync.auth import KEYRING_NAME, KEYRING_SERVICE
from chris_app.sync.config import BackendConfig
from chris_app.sync.engine import attach_account
from tests.sync.test_realtime import ANON, USER, FakeRealtime, profile, wait_until
from tests.sync.test_sync_auth import MemoryKeyring


def signed_in_device(store, url: str) -> Account:
    keyring = MemoryKeyring()
    keyring.set_password(KEYRING_SERVICE, KEYRING_NAME, json.dumps({
        "access_token": "member-token", "refresh_token": "r", "expires_at": int(time.time()) + 3600,
        "user_id": USER, "email": "chris@example.com"}))
    attach_account(store, USER, datetime.now(timezone.utc))  # this device was linked before
    return Account(store, BackendConfig(url, ANON), secrets=keyring)


def test_a_profile_change_pushed_by_the_server_is_on_the_device_at_once_and_sign_out_leaves(store):
    server = FakeRealtime()
    server.start()
    account = signed_in_device(store, f"http://127.0.0.1:{server.port}")
    told = []
    stop_listening = account.on_change(lambda: told.append(1))
    try:
        account.restore()
        wait_until(lambda: server.joined == 1, timeout=10, what="the device joining its profile channel")
        [join] = server.of("phx_join")
        assert join["topic"] == f"realtime:profile:{USER}"
        assert join["payload"]["access_token"] == "member-token"
        assert account.subscription() is None  # nothing pulled yet

        told.clear()
        server.push({**profile(12), "subscription_status": "active", "trial_ends_at": "2026-12-01T00:00:00+00:00",
                     "member_number": 47})
        wait_until(lambda: account.subscription() is not None, timeout=5, what="the live profile on the device")
        assert account.subscription().status == "active"
        assert account.subscription().trial_ends_at == datetime(2026, 12, 1, tzinfo=timezone.utc)
        wait_until(lambda: told, timeout=5, what="the screens being told")

        stop_listening()
        account.sign_out()
        assert account.watcher is None
        wait_until(lambda: server.of("phx_leave") or not server.conns, timeout=5, what="leaving the channel")
    finally:
        account.close()
        server.close()


def test_a_listener_of_a_page_that_went_away_is_dropped(store):
    account = Account(store, BackendConfig("http://127.0.0.1:9", ANON), secrets=MemoryKeyring())
    calls = []

    def gone():
        raise RuntimeError("An attempt to fetch destroyed session.")

    account.on_change(gone)
    account.on_change(lambda: calls.append(1))
    account._notify()
    account._notify()
    assert calls == [1, 1] and len(account._listeners) == 1  # the gone page was dropped after its first failure
