"""The session on phones: Flet SecureStorage (the iOS Keychain; Android's Keystore-encrypted
storage), behind the same three calls the desktop keyring offers (`SecretStore`).

SecureStorage talks to the device asynchronously, through the page's event loop; the auth
client calls the secret store synchronously, mostly from worker threads. So the secrets are
read once when the page starts (`await load()`), kept in memory, and every change is written
through to the device: waited for (up to WRITE_WAIT_S) when the caller is a worker thread,
scheduled when the caller is the event loop itself (waiting there would deadlock).

`CHRIS_APP_SECRETS=device` makes desktops and the web build use it too (the web build's
SecureStorage keeps the values encrypted with WebCrypto in the browser's storage); the browser
tests use that to run this path for real.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from chris_app.sync.auth import KEYRING_NAME, KEYRING_SERVICE, VERIFIER_NAME

WRITE_WAIT_S = READ_WAIT_S = 10.0
log = logging.getLogger(__name__)


class DeviceSecrets:
    def __init__(self, storage: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.storage = storage  # flet_secure_storage.SecureStorage (registered with the page)
        self.loop = loop
        self._items: dict[str, str] = {}

    @staticmethod
    def _key(service: str, name: str) -> str:
        return f"{service}.{name}"

    async def load(self) -> None:
        """Read what this app keeps (the session, a Google sign-in in progress)."""
        for name in (KEYRING_NAME, VERIFIER_NAME):
            key = self._key(KEYRING_SERVICE, name)
            try:  # a client that went away never answers: don't wait for it forever
                value = await asyncio.wait_for(self.storage.get(key), READ_WAIT_S)
            except Exception as exc:  # a device that refuses: the member signs in again
                log.warning("secure storage could not be read (%s)", type(exc).__name__)
                continue
            if value:
                self._items[key] = value

    # -- SecretStore ---------------------------------------------------------------------------
    def get_password(self, service: str, username: str) -> str | None:
        return self._items.get(self._key(service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        key = self._key(service, username)
        self._items[key] = password
        self._write(self.storage.set(key, password))

    def delete_password(self, service: str, username: str) -> None:
        key = self._key(service, username)
        self._items.pop(key, None)
        self._write(self.storage.remove(key))

    def _write(self, change) -> None:
        future = asyncio.run_coroutine_threadsafe(change, self.loop)
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:  # on the loop itself: it runs as soon as this handler yields
            future.add_done_callback(lambda f: f.exception() and log.warning(
                "secure storage could not be written (%s)", type(f.exception()).__name__))
            return
        try:
            future.result(WRITE_WAIT_S)
        except Exception as exc:  # kept in memory for this run either way
            log.warning("secure storage could not be written (%s)", type(exc).__name__)
