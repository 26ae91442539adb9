"""PCM16 chunks as Flet's AudioRecorder streams them (Chromium: 44.1 kHz stereo 16-bit)."""

import numpy as np
import pytest
import soundfile as sf

from chris_app.audio.encoder import BackgroundOpusWriter, encode_opus
from chris_app.audio.errors import StreamFormatError
from chris_app.audio.quality import check_quality
from chris_app.audio.stream import Pcm16Assembler

from .conftest import synthesize_speech


@pytest.fixture(scope="module")
def browser_speech():
    """25 s of speech as 44.1 kHz stereo int16 bytes, and its float32 mono downmix."""
    data, sr = sf.read(str(synthesize_speech(25, samplerate=44100, channels=2)), dtype="int16")
    data = data[: 25 * sr]
    assert sr == 44100 and data.shape[1] == 2
    mono = data.astype(np.float32).mean(axis=1) / 32768
    return data.tobytes(), mono


def chunks(payload: bytes, seed: int = 11):
    """Splits bytes at random places — frames and even samples get cut in two."""
    rng = np.random.default_rng(seed)
    i = 0
    while i < len(payload):
        n = int(rng.integers(1, 20_000))
        yield payload[i : i + n]
        i += n


def test_chunks_split_anywhere_reassemble_into_the_exact_mono_signal(browser_speech):
    payload, mono = browser_speech
    assembler = Pcm16Assembler(44100, 2)
    for chunk in chunks(payload):
        assembler.feed(chunk)
    assert assembler.bytes_received == len(payload)
    assert assembler.duration_s == pytest.approx(25.0)
    np.testing.assert_allclose(assembler.samples(), mono, atol=1e-6)


def test_a_browser_take_passes_the_same_gate_and_encoder_as_desktop(browser_speech, tmp_path):
    payload, _ = browser_speech
    assembler = Pcm16Assembler(44100, 2)
    for chunk in chunks(payload):
        assembler.feed(chunk)
    samples = assembler.samples()
    assert check_quality(samples, 44100).ok
    rec = encode_opus(samples, 44100, tmp_path / "day.ogg")
    info = sf.info(str(rec.path))
    assert rec.samplerate == info.samplerate == 48000
    assert rec.duration_ms == 25_000
    assert abs(info.frames / info.samplerate - 25.0) <= 0.050
    assert rec.size_bytes <= 200_000 * 25 / 60


def test_chunks_can_be_encoded_while_they_arrive(browser_speech, tmp_path):
    payload, _ = browser_speech
    writer = BackgroundOpusWriter(tmp_path / "day.ogg", 44100)
    assembler = Pcm16Assembler(44100, 2, sink=writer.put)
    for chunk in chunks(payload):
        assembler.feed(chunk)
    assert assembler.samples().size == 0  # everything went to the sink
    take = writer.finish()
    assert take.quality().ok
    rec = take.save()
    assert abs(sf.info(str(rec.path)).frames / 48000 - 25.0) <= 0.050


def test_single_byte_chunks_still_make_whole_samples():
    pcm = np.array([[1000, -1000], [32767, -32768], [0, 2]], dtype="<i2").tobytes()
    assembler = Pcm16Assembler(44100, 2)
    out = [assembler.feed(pcm[i : i + 1]) for i in range(len(pcm))]
    assert [o.size for o in out] == [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]
    np.testing.assert_allclose(assembler.samples(), [0.0, -0.5 / 32768, 1 / 32768])


def test_gaps_in_the_chunk_sequence_are_counted():
    assembler = Pcm16Assembler(48000, 1)
    for sequence in (1, 2, 3, 6, 7, 9):
        assembler.feed(b"\x00\x00" * 10, sequence=sequence)
    assert assembler.missing_chunks == 3
    assert assembler.frames == 60


def test_mono_chunks_are_scaled_to_full_scale():
    assembler = Pcm16Assembler(48000, 1)
    assembler.feed(np.array([16384, -32768], dtype="<i2").tobytes())
    np.testing.assert_array_equal(assembler.samples(), np.array([0.5, -1.0], dtype=np.float32))


def test_the_byte_rate_check_catches_stereo_44_1_khz_announced_as_48_khz_mono(browser_speech):
    payload, _ = browser_speech
    configured = Pcm16Assembler(48000, 1)  # what the app asked the recorder for
    actual = Pcm16Assembler(44100, 2)  # what Chromium delivered
    for chunk in chunks(payload):
        configured.feed(chunk)
        actual.feed(chunk)
    with pytest.raises(StreamFormatError) as err:
        configured.check_byte_rate(elapsed_s=25.0)
    assert "176400 B/s" in err.value.detail and "96000 B/s" in err.value.detail
    assert err.value.message == StreamFormatError.default_message
    actual.check_byte_rate(elapsed_s=25.3)  # bursty delivery within tolerance is fine


def test_the_byte_rate_check_waits_for_a_couple_of_seconds_of_data():
    assembler = Pcm16Assembler(48000, 1)
    assembler.feed(b"\x00" * 500_000)
    assembler.check_byte_rate(elapsed_s=1.0)  # too early to judge: no error


def test_a_nonsense_format_is_refused_up_front():
    with pytest.raises(ValueError):
        Pcm16Assembler(0, 1)
    with pytest.raises(ValueError):
        Pcm16Assembler(44100, 0)
