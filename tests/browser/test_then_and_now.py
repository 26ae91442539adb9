"""/recordings, then and now: the first reading beside the latest (each plays), a sentence on
how the voice changed, and a chart of speaking time, loudness and (once checked) the share of
the affirmations read over the days. A reading saved before metrics were stored is measured
once when the screen opens. Looked at on a phone and a desktop, light and dark."""

from __future__ import annotations

import io
import re
import time
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
import soundfile

from chris_app.services import reading_metrics, recordings
from chris_app.services.profile import ensure_profile, update_settings
from chris_app.store import open_store
from tests.browser.conftest import DESKTOP, PHONE, has_text, label_of, save_settled, wait_for_text
from tests.browser.test_accessibility import MIN_CONTRAST, measured_contrasts

pytestmark = pytest.mark.browser

FIRST = datetime(2026, 6, 8, 4, 0, tzinfo=timezone.utc)  # Monday 8 June 2026, 06:00 in Berlin
RATE = 16000


def reading(speaking_s: float, pause_s: float, amplitude: float) -> bytes:
    """A tone read for `speaking_s` with `pause_s` of silence after it, as a WAV file."""
    t = np.arange(int(speaking_s * RATE)) / RATE
    voice = amplitude * np.sin(2 * np.pi * 200 * t) * (0.8 + 0.2 * np.sin(2 * np.pi * 3 * t))
    samples = np.concatenate([voice, np.zeros(int(pause_s * RATE))]).astype(np.float32)
    buf = io.BytesIO()
    soundfile.write(buf, samples, RATE, format="WAV")
    return buf.getvalue()


def seed(data_dir, theme: str) -> None:
    """Five mornings: a quiet, short first reading with long pauses, a louder, longer latest;
    day 2 saved before the store kept metrics; the read-aloud check on days 4 and 5."""
    data_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(data_dir / "chris.sqlite3")
    try:
        ensure_profile(store, FIRST, "Europe/Berlin")
        update_settings(store, FIRST, theme=theme)
        takes = {0: (21, 9, 0.03), 1: (24, 6, 0.06), 3: (28, 3, 0.12), 5: (33, 2, 0.2), 6: (40, 1, 0.3)}
        saved = {}
        for offset, (speaking, pause, amplitude) in takes.items():
            saved[offset] = recordings.import_audio_file(store, FIRST + timedelta(days=offset), "r.wav",
                                                         reading(speaking, pause, amplitude))
        with store.transaction() as conn:  # as saved by an app version that stored no metrics
            conn.execute("update recordings set speaking_ms = null, loudness_dbfs = null where id = ?",
                         (saved[1].id,))
        reading_metrics.record_check(store, FIRST + timedelta(days=5), saved[5].id, 0.81, 118)
        reading_metrics.record_check(store, FIRST + timedelta(days=6), saved[6].id, 0.97, 131)
    finally:
        store.close()


def stored_speaking(data_dir) -> list:
    store = open_store(data_dir / "chris.sqlite3")
    try:
        return [f.speaking_s for f in reading_metrics.all_figures(store)]
    finally:
        store.close()


def screenshot(page, name: str) -> None:
    """The screen once Flet's "Working..." overlay is gone and two frames in a row agree."""
    deadline = time.monotonic() + 30
    while has_text(page, "Working...") and time.monotonic() < deadline:
        time.sleep(0.2)
    save_settled(page, name)


def wait_for_label(page, identifier: str, pattern: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while not re.search(pattern, text := label_of(page, identifier)):
        assert time.monotonic() < deadline, f"{identifier}: {text!r} never matched {pattern!r}"
        time.sleep(0.2)
    return text


def test_then_and_now_plays_both_readings_and_charts_the_voice(app_process, open_app):
    seed(app_process.data_dir, "light")
    url = app_process.start(now="2026-06-14T07:00:00+02:00")
    page = open_app("/recordings", viewport=PHONE, base_url=url)

    then = label_of(page, "then-reading")
    now = label_of(page, "now-reading")
    assert "08 June 2026" in then and "speaking 0:21" in then
    assert "14 June 2026" in now and "speaking 0:40" in now and "read 97%" in now and "131 words a minute" in now
    change = label_of(page, "voice-change")
    assert "Since your first reading: speaking time 0:21 → 0:40" in change
    louder = int(re.search(r"(\d+) dB louder", change).group(1))
    assert 18 <= louder <= 22  # amplitude 0.03 → 0.3 is 20 dB

    # The reading saved without metrics is measured when the screen opens: five points, not four.
    speaking = wait_for_label(page, "voice-chart", r"over 5 readings")
    assert "Speaking over 5 readings: first 0:21, latest 0:40" in speaking
    assert stored_speaking(app_process.data_dir)[1] == pytest.approx(24, abs=0.1)
    screenshot(page, "recordings-then-now-phone-light")

    page.get_by_role("button", name="Loudness", exact=True).click()
    loudness = wait_for_label(page, "voice-chart", r"^Loudness")
    first_db, latest_db = map(int, re.search(r"first (-\d+) dB, latest (-\d+) dB", loudness).groups())
    assert latest_db - first_db == louder
    page.get_by_role("button", name="Read", exact=True).click()
    assert "Read over 2 readings: first 81 %, latest 97 %" in wait_for_label(page, "voice-chart", r"^Read")

    # Each side plays its own reading.
    page.get_by_role("button", name="Play reading of 08 June").first.click()
    wait_for_label(page, "then-reading", r"playing 0:0[1-9]", timeout=20)
    page.get_by_role("button", name="Pause reading of 08 June").first.click()
    page.get_by_role("button", name="Play reading of 14 June").first.click()
    wait_for_label(page, "now-reading", r"playing 0:0[1-9]", timeout=20)
    page.get_by_role("button", name="Pause reading of 14 June").first.click()

    page.context.close()
    desktop = open_app("/recordings", viewport=DESKTOP, base_url=url)
    wait_for_label(desktop, "voice-chart", r"over 5 readings")
    screenshot(desktop, "recordings-then-now-desktop-light")
    low = [r for r in measured_contrasts(desktop) if r["ratio"] < MIN_CONTRAST]
    assert not low, f"text below {MIN_CONTRAST}:1: {low}"


def test_then_and_now_in_the_dark_and_with_one_reading(app_process, open_app, tmp_path):
    seed(app_process.data_dir, "dark")
    url = app_process.start(now="2026-06-14T07:00:00+02:00")
    # A tall phone: the whole screen in one picture.
    for name, viewport in (("phone", {"width": 390, "height": 1600}), ("desktop", DESKTOP)):
        page = open_app("/recordings", viewport=viewport, base_url=url)
        wait_for_label(page, "voice-chart", r"over 5 readings")
        screenshot(page, f"recordings-then-now-{name}-dark")
        low = [r for r in measured_contrasts(page) if r["ratio"] < MIN_CONTRAST]
        assert not low, f"text below {MIN_CONTRAST}:1 on the {name}: {low}"

    # A single reading: nothing to compare yet, no chart, the reading listed with its figures.
    single = tmp_path / "single"
    single.mkdir()
    store = open_store(single / "chris.sqlite3")
    try:
        ensure_profile(store, FIRST, "Europe/Berlin")
        recordings.import_audio_file(store, FIRST, "r.wav", reading(22, 3, 0.1))
    finally:
        store.close()
    app_process.data_dir = single
    page = open_app("/recordings", viewport=PHONE, base_url=app_process.start(now="2026-06-08T07:00:00+02:00"))
    wait_for_text(page, "Monday, 08 June 2026")
    wait_for_text(page, "speaking 0:22")
    assert page.locator('[flt-semantics-identifier="then-and-now"]').count() == 0
    assert page.locator('[flt-semantics-identifier="voice-chart"]').count() == 0
