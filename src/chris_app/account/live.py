"""The member's profile, live (Supabase Realtime), while signed in and linked: what only the
server writes (streak, subscription) is kept at once, the screens are told, and a pull is asked
for. The watcher itself is chris_app.sync.realtime.ProfileWatcher."""

from __future__ import annotations

import threading
from collections.abc import Callable

from chris_app.store import Store
from chris_app.sync.config import BackendConfig
from chris_app.sync import sync_state


class LiveProfile:
    def __init__(self, store: Store, config: BackendConfig, token: Callable[[], str],
                 on_changed: Callable[[], None], on_connected: Callable[[], None]) -> None:
        self.store, self.config, self.token = store, config, token
        self.on_changed, self.on_connected = on_changed, on_connected
        self.watcher = None  # ProfileWatcher while watching

    def start(self, user_id: str) -> None:
        from chris_app.sync.realtime import CONNECTED, ProfileWatcher

        self.stop()
        self.watcher = ProfileWatcher(
            self.config.url, self.config.anon_key, self.token, user_id, on_change=self._changed,
            # (re)connected: what changed while the socket was down comes with a pull
            on_status=lambda status: self.on_connected() if status == CONNECTED else None)
        self.watcher.start()

    def stop(self) -> None:
        watcher, self.watcher = self.watcher, None
        if watcher is not None:
            threading.Thread(target=watcher.stop, name="realtime-stop", daemon=True).start()

    def _changed(self, record: dict) -> None:
        """The server changed the member's profile (another device's day, the nightly streak
        job, the billing webhook): keep what only the server writes, show it, pull the rest."""
        with self.store.transaction() as conn:
            sync_state.keep_server_profile(conn, record)
        self.on_changed()
