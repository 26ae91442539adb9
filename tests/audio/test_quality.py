import numpy as np
import pytest

from chris_app.audio.quality import (
    CLIPPING_WARNING,
    QUIET_WARNING,
    SILENT_REASON,
    QualityMeter,
    check_quality,
)

from .conftest import SR, clipped, noise, silence, tone


def test_accepts_a_minute_of_real_speech_without_warnings(speech_60s):
    report = check_quality(speech_60s, SR)
    assert report.ok and report.reason is None
    assert report.duration_s == pytest.approx(60.0)
    assert report.silent_fraction < 0.5
    assert report.clipped_fraction == 0.0
    assert report.warnings == []


def test_refuses_a_take_that_is_too_short_with_its_length_in_the_reason(speech_60s):
    report = check_quality(speech_60s[: int(8.6 * SR)], SR)
    assert not report.ok
    assert report.reason == (
        "The recording is 8 seconds long; read your affirmations for at least 20 seconds."
    )
    assert report.duration_s == pytest.approx(8.6)


def test_the_minimum_length_is_a_setting(speech_25s):
    assert check_quality(speech_25s, SR, min_seconds=20).ok
    report = check_quality(speech_25s, SR, min_seconds=30)
    assert report.reason == (
        "The recording is 25 seconds long; read your affirmations for at least 30 seconds."
    )


def test_refuses_digital_silence():
    report = check_quality(silence(30), SR)
    assert not report.ok
    assert report.reason == SILENT_REASON
    assert report.silent_fraction == 1.0


def test_refuses_a_hiss_below_minus_50_dbfs():
    report = check_quality(noise(30, dbfs=-60), SR)
    assert report.reason == SILENT_REASON


def test_refuses_a_take_with_only_two_seconds_of_voice_in_thirty():
    samples = silence(30)
    samples[: 2 * SR] = tone(2)  # 6.7 % of frames are loud: more than 90 % silent
    assert check_quality(samples, SR).reason == SILENT_REASON


def test_accepts_a_take_with_four_seconds_of_voice_in_thirty():
    samples = silence(30)
    samples[: 4 * SR] = tone(4)  # 13 % loud, 87 % silent: under the 90 % limit
    report = check_quality(samples, SR)
    assert report.ok
    assert report.silent_fraction == pytest.approx(26 / 30, abs=0.001)


def test_silence_is_reported_before_shortness_because_it_is_the_actionable_cause():
    assert check_quality(silence(5), SR).reason == SILENT_REASON


def test_an_empty_take_is_refused_as_too_short():
    report = check_quality(np.empty(0, dtype=np.float32), SR)
    assert not report.ok
    assert report.reason.startswith("The recording is 0 seconds long")


def test_clipped_speech_is_accepted_with_a_warning(speech_25s):
    report = check_quality(clipped(speech_25s), SR)
    assert report.ok
    assert report.clipped_fraction > 0.001
    assert report.warnings == [CLIPPING_WARNING]


def test_a_single_full_scale_peak_does_not_warn(speech_25s):
    samples = speech_25s.copy()
    samples[1000] = 1.0
    assert check_quality(samples, SR).warnings == []


def test_a_very_quiet_reading_is_accepted_with_a_warning(speech_25s):
    report = check_quality(speech_25s * 0.05, SR)  # −26 dB: loudest frames near −42 dBFS
    assert report.ok
    assert report.warnings == [QUIET_WARNING]


def test_the_block_by_block_meter_agrees_with_the_one_shot_check(speech_25s):
    rng = np.random.default_rng(3)
    meter = QualityMeter(SR)
    i = 0
    while i < speech_25s.shape[0]:
        n = int(rng.integers(1, 3000))
        meter.add(speech_25s[i : i + n])
        i += n
    assert meter.report() == check_quality(speech_25s, SR)


def test_accepts_a_column_vector_and_rejects_stereo():
    column = tone(21)[:, None]
    assert check_quality(column, SR).ok
    with pytest.raises(ValueError):
        check_quality(np.zeros((SR, 2), dtype=np.float32), SR)


def test_works_at_the_browser_rate_of_44100_hz():
    report = check_quality(tone(21, sr=44100), 44100)
    assert report.ok and report.duration_s == pytest.approx(21.0)
