"""Duration, speaking time and loudness of a reading."""

import numpy as np
import soundfile

from chris_app.audio.levels import FLOOR_DBFS
from chris_app.audio.metrics import file_metrics, reading_metrics

SR = 48_000


def tone(seconds: float, amplitude: float) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (amplitude * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def test_speaking_time_counts_the_voiced_parts_and_not_the_pauses():
    signal = np.concatenate([tone(3, 0.3), np.zeros(2 * SR, np.float32), tone(4, 0.3), np.zeros(SR, np.float32)])
    m = reading_metrics(signal, SR)
    assert m.duration_s == 10.0
    assert abs(m.speaking_s - 7.0) <= 0.04


def test_loudness_is_the_level_of_the_voice_not_diluted_by_pauses():
    # A sine of amplitude 0.3 has an RMS of 0.3/sqrt(2): -13.5 dBFS, with or without silence around it.
    alone = reading_metrics(tone(2, 0.3), SR)
    with_pauses = reading_metrics(np.concatenate([tone(2, 0.3), np.zeros(6 * SR, np.float32)]), SR)
    assert abs(alone.loudness_dbfs - (-13.47)) < 0.05
    assert abs(with_pauses.loudness_dbfs - alone.loudness_dbfs) < 0.05


def test_a_silent_take_has_no_speaking_time_and_the_floor_loudness():
    m = reading_metrics(np.zeros(3 * SR, np.float32), SR)
    assert m.speaking_s == 0 and m.loudness_dbfs == FLOOR_DBFS


def test_the_metrics_of_a_saved_ogg_opus_file_match_the_signal(tmp_path):
    signal = np.concatenate([tone(5, 0.2), np.zeros(3 * SR, np.float32), tone(5, 0.2)])
    path = tmp_path / "reading.ogg"
    soundfile.write(path, signal, SR, format="OGG", subtype="OPUS")
    m, expected = file_metrics(path), reading_metrics(signal, SR)
    assert abs(m.duration_s - expected.duration_s) < 0.05
    assert abs(m.speaking_s - expected.speaking_s) < 0.2
    assert abs(m.loudness_dbfs - expected.loudness_dbfs) < 1.0
