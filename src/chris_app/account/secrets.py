"""Where the session is kept on desktops: the system keychain, or memory when there is none."""

from __future__ import annotations

import keyring


class MemorySecrets:
    """Where a session is kept when the system has no keychain: in memory, for this run only
    (the member signs in again after a restart; tokens never go to a plain file)."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self._items.pop((service, username), None)


def system_secrets():
    """The `keyring` module when this system has a usable keychain, else MemorySecrets."""
    backend = keyring.get_keyring()
    usable = getattr(backend, "priority", 0) > 0 and "fail" not in type(backend).__module__
    return keyring if usable else MemorySecrets()
