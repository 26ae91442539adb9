import asyncio
import io
import threading
from datetime import datetime, timezone

import numpy as np
import pytest
import soundfile

from chris_app.services.profile import ensure_profile
from chris_app.store import open_store

# 10 Jun 2026, 05:30 in Berlin (CEST, UTC+2): a morning.
MORNING = datetime(2026, 6, 10, 3, 30, tzinfo=timezone.utc)


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "chris.sqlite3")
    ensure_profile(s, MORNING, "Europe/Berlin")
    yield s
    s.close()


def wav_bytes(seconds: float, samplerate: int = 16000, amplitude: float = 0.3) -> bytes:
    """A tone of the given length as WAV bytes (an audio file a member could pick)."""
    t = np.arange(int(seconds * samplerate)) / samplerate
    buf = io.BytesIO()
    soundfile.write(buf, (amplitude * np.sin(2 * np.pi * 220 * t)).astype(np.float32), samplerate, format="WAV")
    return buf.getvalue()


@pytest.fixture(scope="session")
def playwright():
    """One Playwright driver for the whole run: a second sync_playwright() while one is open
    in the same process fails, so every browser fixture launches from this one."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


def run_async(coro) -> None:
    """asyncio.run on a thread of its own: in the whole suite, a session-wide Playwright browser
    keeps an event loop running on the main thread, where asyncio.run refuses to start."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coro)
        except BaseException as exc:  # handed back to the test's thread
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
