"""Every way a reading gets in — desktop take, web stream, imported file — ends as an Ogg/Opus
file on the day, through the same quality gate."""

from datetime import date

import numpy as np
import pytest
import soundfile

from chris_app.audio import BackgroundOpusWriter, StreamFormatError
from chris_app.audio.web_take import infer_format
from chris_app.errors import InvalidInput
from chris_app.services import day, recordings
from tests.conftest import MORNING

RATE = 48000


def tone(seconds, rate=RATE, amplitude=0.3):
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * 180 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)


def test_streamed_samples_become_the_days_opus_recording(store):
    rec = recordings.save_samples(store, MORNING, tone(22), RATE)
    assert rec.mime == "audio/ogg" and rec.path.suffix == ".ogg"
    info = soundfile.info(rec.path)
    assert info.format == "OGG" and info.subtype == "OPUS"
    assert abs(rec.duration_ms - 22000) <= 50
    assert day.get_day(store, date(2026, 6, 10)).morning_completed


def test_a_silent_reading_is_refused_and_nothing_is_saved(store):
    silence = np.zeros(RATE * 30, dtype=np.float32)
    with pytest.raises(InvalidInput) as err:
        recordings.save_samples(store, MORNING, silence, RATE)
    assert "silent" in err.value.message.lower() or "hear" in err.value.message.lower()
    assert recordings.list_recordings(store) == []
    assert day.get_day(store, date(2026, 6, 10)) is None


def test_a_desktop_take_is_saved_or_refused_and_discarded(store):
    writer = BackgroundOpusWriter(recordings.staging_path(store), RATE)
    for block in np.array_split(tone(21), 200):
        writer.put(block)
    saved = recordings.save_take(store, MORNING, writer.finish())
    assert abs(saved.duration_ms - 21000) <= 50 and saved.path.exists()

    short = BackgroundOpusWriter(recordings.staging_path(store), RATE)
    short.put(tone(3))
    with pytest.raises(InvalidInput, match="at least 20 seconds"):
        recordings.save_take(store, MORNING, short.finish())
    assert [r.id for r in recordings.list_recordings(store)] == [saved.id]
    assert sorted(p.name for p in recordings.recordings_dir(store).iterdir()) == [saved.path.name]


@pytest.mark.parametrize("rate, channels", [(44100, 2), (48000, 2), (48000, 1), (44100, 1), (16000, 1)])
def test_the_stream_format_is_told_apart_from_the_bytes_over_a_reading(rate, channels):
    seconds = 20.0
    jitter = 1.03  # chunks bunching up: 3 % more bytes than the clock says
    assert infer_format(int(rate * channels * 2 * seconds * jitter), seconds) == (rate, channels)


def test_a_byte_rate_that_fits_no_format_is_refused():
    with pytest.raises(StreamFormatError):
        infer_format(120_000 * 20, 20.0)
    with pytest.raises(StreamFormatError):
        infer_format(0, 0.0)


def stereo_chunks(source, rate=44100):
    """`source` as 44.1 kHz stereo PCM16 in 100 ms chunks split off-frame, with arrival times."""
    stereo = np.repeat((source * 32767).astype("<i2")[:, None], 2, axis=1).tobytes()
    chunk = rate * 4 // 10 + 1
    for start in range(0, len(stereo), chunk):
        yield stereo[start:start + chunk], 0.3 + (start + chunk) / (rate * 4)


def test_a_streamed_take_is_saved_as_the_days_reading_and_its_spool_removed(store):
    source = tone(21, rate=44100)
    take = recordings.new_stream_take(store, MORNING)
    for chunk, at in stereo_chunks(source):
        take.feed(chunk, at=at)
    assert take.level_dbfs > -20
    assert take.format == (44100, 2)  # decided while streaming
    rec = recordings.save_stream_take(store, MORNING, take)
    assert abs(rec.duration_ms - 21000) <= 1 and rec.sample_rate == 48000
    samples, rate = soundfile.read(rec.path, dtype="float32")
    assert rate == 48000 and abs(len(samples) - 21 * 48000) <= 1
    assert day.get_day(store, date(2026, 6, 10)).morning_completed
    assert sorted(p.name for p in recordings.recordings_dir(store).iterdir()) == [rec.path.name]


def test_a_streamed_take_refused_by_the_gate_leaves_nothing(store):
    take = recordings.new_stream_take(store, MORNING)
    for chunk, at in stereo_chunks(tone(8, rate=44100)):
        take.feed(chunk, at=at)
    with pytest.raises(InvalidInput, match="at least 20 seconds"):
        recordings.save_stream_take(store, MORNING, take)
    assert list(recordings.recordings_dir(store).iterdir()) == []


def test_start_up_clean_up_removes_leftovers_but_never_a_saved_reading(store):
    saved = recordings.save_samples(store, MORNING, tone(21), RATE)
    folder = recordings.recordings_dir(store)
    (folder / "take-dead.ogg").write_bytes(b"x")
    (folder / ".take-dead.ogg.abc.part").write_bytes(b"x")
    recordings.clean_up(store)
    assert sorted(p.name for p in folder.iterdir()) == [saved.path.name]
