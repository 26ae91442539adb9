"""Helpers of the sync tests: devices (SQLite stores made by the real services), a recorded
sleep, an engine with a frozen clock. (Not named conftest: tests/db has one too, and test
modules import from here.)"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from chris_app.services.profile import ensure_profile
from chris_app.services.recordings import save_day_recording
from chris_app.store import open_store
from chris_app.sync.engine import SyncEngine

USER = "5f0c6a58-3a9e-4c2b-9d7e-0f6c1d2e3a4b"
# 10 Jun 2026, 05:30 in Berlin (CEST, UTC+2): a morning.
MORNING = datetime(2026, 6, 10, 3, 30, tzinfo=timezone.utc)
EVENING = MORNING + timedelta(hours=15)


class NoSleep:
    """The engine's sleep, recorded instead of waited."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def kept(store, read):
    """What the device keeps in sync_state, read by one of chris_app.sync.sync_state's
    functions (e.g. `kept(store, sync_state.cursor)`)."""
    with store.reading() as conn:
        return read(conn)


def open_device(path: Path):
    store = open_store(path)
    ensure_profile(store, MORNING, "Europe/Berlin")
    return store


def engine_for(store, transport, **kwargs) -> SyncEngine:
    kwargs.setdefault("sleep", NoSleep())
    kwargs.setdefault("rand", lambda: 0.5)
    kwargs.setdefault("clock", lambda: MORNING)
    return SyncEngine(store, transport, USER, **kwargs)


def record_morning(store, now: datetime, content: bytes = b"OggS fake audio", duration_ms: int = 30_000):
    """Save a day's reading the way the recorder does (a finished file moved into place)."""
    source = store.files_dir / f"incoming-{now.timestamp()}.ogg"
    source.write_bytes(content)
    return save_day_recording(store, now, source, mime="audio/ogg", duration_ms=duration_ms, sample_rate=48000)
