"""A streamed take whose app is killed mid-way (SIGKILL of a real process): the next start
recovers it as the day's reading when it counts, or removes it cleanly. Never is a corrupt
file listed as a reading."""

import hashlib
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from chris_app.audio.encoder import encode_opus
from chris_app.audio.metrics import file_metrics
from chris_app.audio.metrics import reading_metrics as measured
from chris_app.services import day, reading_metrics, recordings
from tests.conftest import MORNING

from .conftest import synthesize_speech

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


@pytest.fixture(scope="module")
def wav():
    return synthesize_speech(60, samplerate=44100, channels=2)


class Recording:
    """The child process recording a take; ``fed`` is how many bytes it had fed at READY."""

    def __init__(self, store, wav, seconds: float):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.audio.stream_take_child",
             str(store.files_dir.parent), str(wav), str(seconds)],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )
        line = self.proc.stdout.readline()  # waits for the state, not for a time
        assert line.startswith("READY "), f"the child said {line!r} (exit {self.proc.poll()})"
        self.fed = int(line.split()[1])

    def kill(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.proc.stdout.close()
        assert self.proc.returncode == -signal.SIGKILL


def next_start(store, now=MORNING + timedelta(minutes=5)):
    """What the app does when it starts again: make_main's clean-up, then App's recovery."""
    recordings.clean_up(store)
    return recordings.recover_unfinished(store, now)


def spools(store):
    return sorted(recordings.recordings_dir(store).glob("stream-*.pcm"))


def files(store):
    return sorted(p.name for p in recordings.recordings_dir(store).iterdir())


def assert_every_listed_reading_is_whole(store):
    for rec in recordings.list_recordings(store):
        data = rec.path.read_bytes()
        assert hashlib.sha256(data).hexdigest() == rec.sha256 and len(data) == rec.size_bytes
        samples, rate = sf.read(str(rec.path), dtype="float32")  # decodes to the end
        assert abs(samples.shape[0] / rate * 1000 - rec.duration_ms) <= 50


def test_a_take_killed_mid_way_is_recovered_on_the_next_start(store, wav, tmp_path):
    child = Recording(store, wav, seconds=30)
    try:
        # While it is still recording, a start elsewhere leaves its take alone.
        assert next_start(store) == []
        assert len(spools(store)) == 1
    finally:
        child.kill()
    spool = spools(store)[0]
    fed = spool.stat().st_size
    assert fed >= child.fed
    assert any(name.endswith(".part") for name in files(store))  # a partial Opus was open

    recovered = next_start(store)

    assert [r.id for r in recordings.list_recordings(store)] == [r.id for r in recovered]
    (rec,) = recovered
    assert day.get_day(store, MORNING.date()).morning_completed
    assert files(store) == [rec.path.name]  # spool, sidecar, partial Opus: all gone
    assert_every_listed_reading_is_whole(store)
    # Every byte the killed process had spooled is in the reading, at the right speed.
    frames = fed // 4
    assert rec.duration_ms == round(frames * 1000 / 44100)
    data, _ = sf.read(str(wav), dtype="int16")
    mono = data[:frames].astype(np.float32).mean(axis=1) / 32768
    reference = encode_opus(mono, 44100, tmp_path / "reference.ogg")
    np.testing.assert_array_equal(sf.read(str(rec.path), dtype="float32")[0],
                                  sf.read(str(reference.path), dtype="float32")[0])
    # A recovered reading is measured like any other, as it is encoded (the captured signal,
    # not the Opus decoded again): the metrics are stored with it.
    stored = reading_metrics.figures_of(store, rec.id)
    assert stored.speaking_s == pytest.approx(measured(mono, 44100).speaking_s, abs=0.001)
    assert stored.speaking_s == pytest.approx(file_metrics(rec.path).speaking_s, rel=0.01)
    assert 0.5 * stored.duration_s < stored.speaking_s < stored.duration_s


@pytest.mark.parametrize("seconds", [1.5, 10])
def test_a_take_killed_before_it_counts_is_removed_cleanly(store, wav, seconds):
    """1.5 s: killed before the format was known; 10 s: shorter than the 20 s minimum."""
    Recording(store, wav, seconds=seconds).kill()
    assert spools(store)
    assert next_start(store) == []
    assert recordings.list_recordings(store) == []
    assert day.get_day(store, MORNING.date()) is None
    assert files(store) == []


def test_an_unfinished_take_never_replaces_a_saved_reading(store, wav):
    t = np.arange(22 * 48000) / 48000
    saved = recordings.save_samples(store, MORNING, (0.3 * np.sin(2 * np.pi * 180 * t)).astype(np.float32), 48000)
    Recording(store, wav, seconds=25).kill()
    assert next_start(store) == []
    assert [r.id for r in recordings.list_recordings(store)] == [saved.id]
    assert files(store) == [saved.path.name]
    assert_every_listed_reading_is_whole(store)


def test_a_take_from_a_day_that_has_passed_is_removed(store, wav):
    Recording(store, wav, seconds=25).kill()
    assert next_start(store, now=MORNING + timedelta(days=1)) == []
    assert recordings.list_recordings(store) == []
    assert files(store) == []
