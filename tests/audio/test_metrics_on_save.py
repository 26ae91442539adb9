"""Every save path measures the reading once and stores the metrics with it; on real speech
(espeak-ng), the speaking time of a reading padded with silence excludes the silence."""

from datetime import timedelta
import io

import numpy as np
import pytest
import soundfile as sf

from chris_app.audio import BackgroundOpusWriter
from chris_app.audio.metrics import file_metrics, reading_metrics
from chris_app.services import reading_metrics as stored, recordings
from tests.conftest import MORNING

from .conftest import SR, silence


def wav(samples: np.ndarray, rate: int = SR) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, samples, rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


@pytest.fixture(scope="module")
def padded(speech_60s):
    """22 s of speech with 15 s of silence before it and 20 s after (57 s in all)."""
    speech = speech_60s[: 22 * SR]
    return speech, np.concatenate([silence(15), speech, silence(20)])


def test_the_speaking_time_of_a_padded_reading_excludes_the_silence(store, padded):
    speech, reading = padded
    alone = reading_metrics(speech, SR)
    assert 0.5 * 22 < alone.speaking_s < 22  # espeak pauses between sentences

    rec = recordings.import_audio_file(store, MORNING, "padded.wav", wav(reading))
    figures = stored.figures_of(store, rec.id)

    assert abs(figures.duration_s - 57) < 0.1
    assert figures.speaking_s == pytest.approx(alone.speaking_s, rel=0.10)
    assert figures.speaking_s < 22  # none of the 35 s of silence is counted
    assert figures.loudness_dbfs == pytest.approx(alone.loudness_dbfs, abs=1.5)


def test_samples_a_desktop_take_and_a_stream_take_each_store_the_metrics_of_what_was_recorded(store, speech_60s):
    reading = speech_60s[: 21 * SR]
    expected = reading_metrics(reading, SR)

    saved = [recordings.save_samples(store, MORNING, reading, SR)]
    writer = BackgroundOpusWriter(recordings.staging_path(store), SR)
    for block in np.array_split(reading, 100):
        writer.put(block)
    saved.append(recordings.save_take(store, MORNING + timedelta(days=1), writer.finish()))
    take = recordings.new_stream_take(store, MORNING + timedelta(days=2))
    stereo = np.repeat(sf.read(io.BytesIO(wav(reading, SR)), dtype="int16")[0][:, None], 2, axis=1)
    # 48 kHz stereo PCM16: one of the formats a browser streams
    chunk = SR * 4 // 10
    payload = stereo.tobytes()
    for start in range(0, len(payload), chunk):
        take.feed(payload[start:start + chunk], at=0.3 + (start + chunk) / (SR * 4))
    saved.append(recordings.save_stream_take(store, MORNING + timedelta(days=2), take))

    for rec in saved:
        figures = stored.figures_of(store, rec.id)
        # measured from the signal as it was recorded (no second decode when saving); the saved
        # Opus, decoded again, gives the same within 1 %
        assert figures.speaking_s == pytest.approx(file_metrics(rec.path).speaking_s, rel=0.01)
        assert figures.speaking_s == pytest.approx(expected.speaking_s, rel=0.10)
        assert figures.loudness_dbfs == pytest.approx(expected.loudness_dbfs, abs=1.5)
        assert (figures.read_coverage, figures.words_per_minute) == (None, None)


def test_an_old_reading_without_metrics_is_measured_once_later(store, speech_60s):
    rec = recordings.save_samples(store, MORNING, speech_60s[: 21 * SR], SR)
    with store.transaction() as conn:  # as a reading saved before the store kept metrics
        conn.execute("update recordings set speaking_ms = null, loudness_dbfs = null")
        conn.execute("delete from outbox")
    assert stored.metrics_of(store, rec.id) is None

    assert stored.measure_missing(store, MORNING + timedelta(hours=1)) == 1
    assert stored.metrics_of(store, rec.id).speaking_s == pytest.approx(
        file_metrics(rec.path).speaking_s, abs=0.001)
    assert [r["entity"] for r in store.query("select entity from outbox")] == ["daily_sessions"]
    assert stored.measure_missing(store, MORNING + timedelta(hours=2)) == 0  # once


def test_a_reading_known_only_from_the_server_is_not_measured_here(store, speech_60s):
    rec = recordings.save_samples(store, MORNING, speech_60s[: 21 * SR], SR)
    with store.transaction() as conn:
        conn.execute("update recordings set speaking_ms = null, loudness_dbfs = null,"
                     " path = 'remote:u/2026-06-10-recording.ogg'")
    assert stored.measure_missing(store, MORNING) == 0
    assert stored.measure_and_store(store, MORNING, rec.id) is None
    assert stored.metrics_of(store, rec.id) is None
