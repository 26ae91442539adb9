"""The browser/phone stream encoded while it arrives (WebTake): same audio as encoding at stop,
memory that does not grow with the take, the format decided early and checked at stop."""

import tracemalloc

import numpy as np
import pytest
import soundfile as sf

from chris_app.audio.encoder import encode_opus
from chris_app.audio.errors import StreamFormatError
from chris_app.audio.resample import Resampler
from chris_app.audio.web_take import (
    DECIDE_AFTER_S,
    KNOWN_FORMATS,
    READ_BYTES,
    FormatClock,
    WebTake,
)

from .conftest import synthesize_speech

RATE, CHANNELS = 44100, 2  # what Chromium streams
BYTE_RATE = RATE * CHANNELS * 2
CHUNK = 8192  # Chromium's chunk size through Flet


@pytest.fixture(scope="module")
def browser_speech():
    """60 s of espeak-ng speech as 44.1 kHz stereo PCM16 bytes, and its float32 mono downmix."""
    data, sr = sf.read(str(synthesize_speech(60, samplerate=RATE, channels=CHANNELS)), dtype="int16")
    data = data[: 60 * sr]
    assert sr == RATE and data.shape[1] == CHANNELS
    return data.tobytes(), data.astype(np.float32).mean(axis=1) / 32768


def arrivals(payload: bytes, byte_rate: float, *, seed: int = 5, jitter_s: float = 0.2,
             latency_s: float = 0.45, sizes=(1, 20_000)):
    """Chunks split at random places, each with the monotonic time it arrives: captured at
    ``byte_rate``, late by ``latency_s`` plus up to ``jitter_s`` (never out of order)."""
    rng = np.random.default_rng(seed)
    i, last = 0, 0.0
    while i < len(payload):
        n = int(rng.integers(*sizes))
        chunk = payload[i : i + n]
        i += len(chunk)
        last = max(last, latency_s + i / byte_rate + rng.uniform(0, jitter_s))
        yield chunk, last


def leftovers(directory):
    return sorted(p.name for p in directory.iterdir())


def decoded(path):
    samples, sr = sf.read(str(path), dtype="float32")
    assert sr == 48000
    return samples


def test_a_streamed_take_is_encoded_while_it_arrives_and_decodes_to_the_input(browser_speech, tmp_path):
    payload, mono = browser_speech
    payload, mono = payload[: 30 * BYTE_RATE], mono[: 30 * RATE]
    take = WebTake(tmp_path, tmp_path / "take.ogg")
    decided_at = None
    for chunk, at in arrivals(payload, BYTE_RATE):
        take.feed(chunk, at)
        if decided_at is None and take.format is not None:
            decided_at = take.bytes_received / BYTE_RATE
    # Decided from the first seconds, not at stop: encoding ran during the take.
    assert take.format == (RATE, CHANNELS)
    assert decided_at is not None and decided_at < 15
    finished = take.finish()
    assert not take.reencoded
    assert finished.quality().ok
    rec = finished.save()
    take.release()
    assert leftovers(tmp_path) == ["take.ogg"]  # spool, sidecar and temp files gone

    out = decoded(rec.path)
    assert rec.duration_ms == 30_000
    assert out.shape[0] == 30 * 48000  # exactly the input's length at 48 kHz
    # The same audio as encoding the whole take at stop (the old path), sample for sample...
    reference = decoded(encode_opus(mono, RATE, tmp_path / "reference.ogg").path)
    np.testing.assert_array_equal(out, reference)
    # ...and that is the speech that went in (Opus at ~24 kbit/s is not lossless).
    resampler = Resampler(RATE, 48000)
    at_48k = np.concatenate((resampler.process(mono), resampler.flush()))
    assert np.corrcoef(out, at_48k)[0, 1] > 0.9


def stream_peak_bytes(loop: bytes, seconds: int, directory) -> int:
    """tracemalloc peak while a take of ``seconds`` is fed (as fast as possible, so the
    encoder falls behind), finished and saved. The chunks come from a 10 s loop."""
    directory.mkdir()
    total = seconds * BYTE_RATE
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        take = WebTake(directory, directory / "take.ogg")
        sent = 0
        while sent < total:
            offset = sent % len(loop)
            chunk = loop[offset : offset + CHUNK]
            sent += len(chunk)
            take.feed(chunk, 0.45 + sent / BYTE_RATE)
        finished = take.finish()
        rec = finished.save()
        take.release()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert rec.duration_ms == seconds * 1000
    return peak


def test_memory_does_not_grow_with_the_length_of_the_take(browser_speech, tmp_path):
    payload, _ = browser_speech
    loop = payload[: 10 * BYTE_RATE]
    short = stream_peak_bytes(loop, 10, tmp_path / "short")
    long = stream_peak_bytes(loop, 40, tmp_path / "long")
    extra_raw = 30 * BYTE_RATE  # 5.3 MB more PCM went through the long take
    # Nothing is held per second of audio: 30 s more adds less than 5 % of its raw bytes
    # (holding the take as PCM16 or float32 mono would add 100 % or 50 %).
    assert long - short < 0.05 * extra_raw, (short, long)
    # What is held is a few blocks of READ_BYTES in their float forms, whatever the length.
    assert long < 200 * READ_BYTES, long


def test_a_wrong_early_decision_is_caught_at_stop_and_the_spool_reencoded(browser_speech, tmp_path):
    payload, mono = browser_speech
    payload, mono = payload[: 30 * BYTE_RATE], mono[: 30 * RATE]
    take = WebTake(tmp_path, tmp_path / "take.ogg")
    # The first 8 s arrive as fast as 48 kHz stereo would (a bursty start); the take as a
    # whole is 44.1 kHz stereo.
    early = 8 * BYTE_RATE
    for chunk, at in arrivals(payload[:early], 48000 * 4, jitter_s=0.0):
        take.feed(chunk, at)
    assert take.format == (48000, 2)  # decided, wrongly
    base = 0.45 + early / (48000 * 4)
    for chunk, at in arrivals(payload[early:], BYTE_RATE, jitter_s=0.0, latency_s=base):
        take.feed(chunk, at)
    finished = take.finish()
    assert take.reencoded and take.format == (RATE, CHANNELS)
    rec = finished.save()
    take.release()
    assert leftovers(tmp_path) == ["take.ogg"]  # the wrong partial encoding is gone too
    assert rec.duration_ms == 30_000
    reference = decoded(encode_opus(mono, RATE, tmp_path / "reference.ogg").path)
    np.testing.assert_array_equal(decoded(rec.path), reference)


def test_a_take_too_short_to_decide_early_is_encoded_at_stop(browser_speech, tmp_path):
    payload, mono = browser_speech
    seconds = DECIDE_AFTER_S - 1
    take = WebTake(tmp_path, tmp_path / "take.ogg")
    for chunk, at in arrivals(payload[: int(seconds * BYTE_RATE)], BYTE_RATE, jitter_s=0.01):
        take.feed(chunk, at)
    assert take.format is None
    finished = take.finish()
    assert take.format == (RATE, CHANNELS) and not take.reencoded
    assert finished.duration_s == pytest.approx(seconds)
    assert not finished.quality().ok  # too short for the gate, as before
    finished.discard()
    take.release()
    assert leftovers(tmp_path) == []


def test_a_byte_rate_that_fits_no_format_is_refused_and_nothing_is_left(browser_speech, tmp_path):
    payload, _ = browser_speech
    take = WebTake(tmp_path, tmp_path / "take.ogg")
    for chunk, at in arrivals(payload[: 20 * BYTE_RATE], 120_000, jitter_s=0.0):
        take.feed(chunk, at)
    with pytest.raises(StreamFormatError):
        take.finish()
    take.release()
    assert leftovers(tmp_path) == []


def test_cancelling_mid_take_leaves_nothing(browser_speech, tmp_path):
    payload, _ = browser_speech
    take = WebTake(tmp_path, tmp_path / "take.ogg")
    for chunk, at in arrivals(payload[: 12 * BYTE_RATE], BYTE_RATE):
        take.feed(chunk, at)
    assert take.format is not None
    take.discard()
    take.feed(payload[:CHUNK], 99.0)  # a late chunk after cancel is ignored
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("fmt", KNOWN_FORMATS)
@pytest.mark.parametrize("seed", range(6))
def test_the_early_decision_picks_the_delivered_format_or_waits(fmt, seed):
    """Arrivals late by up to 0.3 s at random, some in bursts (a stalled event loop
    releasing several chunks at once): a decision, when it comes, is the right format."""
    rate, channels = fmt
    byte_rate = rate * channels * 2
    rng = np.random.default_rng(seed)
    clock = FormatClock()
    captured, stall_until, decided = 0, 0.0, None
    while captured < 30 * byte_rate and decided is None:
        size = int(byte_rate * rng.uniform(0.02, 0.1))
        captured += size
        produced = captured / byte_rate
        if rng.random() < 0.02:
            stall_until = produced + rng.uniform(0.1, 0.3)  # nothing arrives until then
        clock.add(size, 0.45 + max(produced + rng.uniform(0, 0.1), stall_until))
        decided = clock.confident()
    assert decided == fmt


def test_the_lag_envelope_refuses_to_decide_while_arrivals_fit_no_format():
    clock = FormatClock()
    t, rng = 0.0, np.random.default_rng(1)
    for _ in range(400):  # 20 s of chunks whose rate swings between 150 and 200 kB/s
        t += 0.05
        clock.add(int(rng.uniform(150_000, 200_000) * 0.05 * (1 + np.sin(t))), t)
        assert clock.confident() is None
