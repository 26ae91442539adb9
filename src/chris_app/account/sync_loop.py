"""The background sync thread: a run after each kick (a save) and every `every` seconds, never
before the server's Retry-After has passed.

Backoff: inside a run the engine retries Offline/ServerError with exponential backoff and
jitter (chris_app.sync.engine); its sleeper is `pause`, which waits at least what the server
still asks for (`retry_wait()`, the door's memory of the last 429). Before each run the loop
itself waits out that same time, so a kick right after a 429 does not knock again early.
`sleep` is injectable (tests: a fake clock, no real waiting); by default it is the stop
event's wait, so `stop()` ends any wait at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

SYNC_EVERY_S = 300.0


class SyncLoop:
    def __init__(self, run: Callable[[], object], retry_wait: Callable[[], float], *,
                 every: float = SYNC_EVERY_S, sleep: Callable[[float], object] | None = None) -> None:
        self._run, self._retry_wait, self.every = run, retry_wait, every
        self._kick = threading.Event()
        self._stop = threading.Event()
        self.sleep = sleep or self._stop.wait
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="sync", daemon=True)
            self._thread.start()

    def kick(self) -> None:
        """Sync soon (after a save); never blocks the caller."""
        self._kick.set()

    def pause(self, seconds: float) -> None:
        """The engine's sleeper between retries: at least the server's Retry-After."""
        self.sleep(max(seconds, self._retry_wait()))

    def step(self) -> None:
        """One turn: wait for a kick (or `every`), wait out a Retry-After, run."""
        self._kick.wait(self.every)
        self._kick.clear()
        if self._stop.is_set():
            return
        wait = self._retry_wait()
        if wait > 0:
            self.sleep(wait)
        if not self._stop.is_set():
            self._run()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.step()

    def stop(self, join_s: float = 10.0) -> None:
        self._stop.set()
        self._kick.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(join_s)
