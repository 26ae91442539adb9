"""The SecureStorage-backed secret store's threading: reads come from what `load()` read,
writes reach the device whether they come from a worker thread (waited for) or from the
event loop itself (scheduled, no deadlock), and a client that never answers does not hold
the app's start. The real SecureStorage runs in tests/browser/test_account.py."""

from __future__ import annotations

import asyncio
import threading

from chris_app.sync import device_secrets
from chris_app.sync.auth import KEYRING_NAME, KEYRING_SERVICE
from chris_app.sync.device_secrets import DeviceSecrets

KEY = f"{KEYRING_SERVICE}.{KEYRING_NAME}"


class Storage:
    """What the app uses of flet_secure_storage.SecureStorage (async get/set/remove)."""

    def __init__(self, items=None, hang=False):
        self.items = dict(items or {})
        self.hang = hang

    async def get(self, key):
        if self.hang:
            await asyncio.Event().wait()
        await asyncio.sleep(0.01)
        return self.items.get(key)

    async def set(self, key, value):
        await asyncio.sleep(0.01)
        self.items[key] = value

    async def remove(self, key):
        await asyncio.sleep(0.01)
        self.items.pop(key, None)


def on_a_loop(work):
    """Run `work(loop)` (a coroutine function) on an event loop in a thread of its own."""
    result = {}

    def run():
        result["value"] = asyncio.run(work())

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(10)
    return result["value"]


def test_load_then_worker_thread_writes_reach_the_device_before_returning():
    storage = Storage({KEY: "stored-session"})

    async def work():
        secrets = DeviceSecrets(storage, asyncio.get_running_loop())
        await secrets.load()
        before = secrets.get_password(KEYRING_SERVICE, KEYRING_NAME)
        await asyncio.to_thread(secrets.set_password, KEYRING_SERVICE, KEYRING_NAME, "new-session")
        written = storage.items.get(KEY)  # already on the device when the call returned
        await asyncio.to_thread(secrets.delete_password, KEYRING_SERVICE, KEYRING_NAME)
        return before, written, storage.items.get(KEY), secrets.get_password(KEYRING_SERVICE, KEYRING_NAME)

    assert on_a_loop(work) == ("stored-session", "new-session", None, None)


def test_a_write_from_the_event_loop_itself_is_scheduled_not_waited_for():
    storage = Storage()

    async def work():
        secrets = DeviceSecrets(storage, asyncio.get_running_loop())
        secrets.set_password(KEYRING_SERVICE, KEYRING_NAME, "s")  # would deadlock if it waited
        right_after = storage.items.get(KEY)
        await asyncio.sleep(0.1)
        return right_after, storage.items.get(KEY), secrets.get_password(KEYRING_SERVICE, KEYRING_NAME)

    assert on_a_loop(work) == (None, "s", "s")


def test_a_client_that_never_answers_does_not_hold_the_start(monkeypatch):
    monkeypatch.setattr(device_secrets, "READ_WAIT_S", 0.1)

    async def work():
        secrets = DeviceSecrets(Storage({KEY: "x"}, hang=True), asyncio.get_running_loop())
        await secrets.load()
        return secrets.get_password(KEYRING_SERVICE, KEYRING_NAME)

    assert on_a_loop(work) is None
