import hashlib
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from chris_app.audio import encoder
from chris_app.audio.encoder import (
    BackgroundOpusWriter,
    OpusFileWriter,
    encode_opus,
    sweep_temp_files,
)
from chris_app.audio.errors import EncodingFailed, StorageFull
from chris_app.audio.quality import SILENT_REASON

from .conftest import SR, noise, silence, tone

BUDGET_BYTES_PER_MINUTE = 200_000


def rms_db(x):
    return 10 * np.log10(np.mean(np.square(x, dtype=np.float64)))


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


@pytest.fixture(scope="module")
def encoded_minute(speech_60s, tmp_path_factory):
    return encode_opus(speech_60s, SR, tmp_path_factory.mktemp("minute") / "day.ogg")


def test_a_minute_of_speech_keeps_its_duration_and_fits_the_size_budget(encoded_minute):
    rec = encoded_minute
    info = sf.info(str(rec.path))
    assert (info.format, info.subtype, info.channels) == ("OGG", "OPUS", 1)
    assert rec.duration_ms == 60_000
    assert abs(info.frames / info.samplerate * 1000 - 60_000) <= 50
    assert rec.size_bytes <= BUDGET_BYTES_PER_MINUTE
    assert rec.size_bytes == os.path.getsize(rec.path)


def test_the_encoded_speech_sounds_as_loud_as_the_input(encoded_minute, speech_60s):
    decoded, sr = sf.read(str(encoded_minute.path), dtype="float32")
    assert sr == SR
    assert abs(rms_db(decoded) - rms_db(speech_60s)) < 1.0


def test_the_record_describes_the_file_for_the_session_row(speech_25s, tmp_path):
    rec = encode_opus(speech_25s, SR, tmp_path / "day.ogg")
    assert rec.path == tmp_path / "day.ogg"
    assert rec.samplerate == 48000
    assert rec.mime == "audio/ogg"
    assert rec.sha256 == hashlib.sha256(rec.path.read_bytes()).hexdigest()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    "seconds, samplerate, file_rate",
    [(21.337, 48000, 48000), (20.0005, 44100, 48000), (30.0, 16000, 16000), (0.5, 22050, 48000)],
)
def test_duration_survives_any_input_rate_within_50_ms(seconds, samplerate, file_rate, tmp_path):
    samples = tone(seconds, sr=samplerate)
    rec = encode_opus(samples, samplerate, tmp_path / "x.ogg")
    info = sf.info(str(rec.path))
    assert rec.samplerate == info.samplerate == file_rate
    assert rec.duration_ms == round(seconds * 1000)
    assert abs(info.frames / info.samplerate - samples.shape[0] / samplerate) <= 0.050


def test_a_44100_hz_tone_keeps_its_pitch_after_resampling(tmp_path):
    rec = encode_opus(tone(2.0, freq=1000, sr=44100), 44100, tmp_path / "x.ogg")
    decoded, sr = sf.read(str(rec.path), dtype="float32")
    spectrum = np.abs(np.fft.rfft(decoded[sr // 2 : sr // 2 + sr]))
    assert np.argmax(spectrum) == pytest.approx(1000, abs=2)  # 1 Hz per bin over one second


def test_noise_and_silence_encode_too(tmp_path):
    for name, samples in {"noise": noise(3, -20), "silence": silence(3)}.items():
        rec = encode_opus(samples, SR, tmp_path / f"{name}.ogg")
        assert abs(sf.info(str(rec.path)).frames - samples.shape[0]) <= 0.05 * SR


def test_nan_samples_are_written_as_silence_instead_of_breaking_the_file(tmp_path):
    samples = tone(2)
    samples[1000:2000] = np.nan
    rec = encode_opus(samples, SR, tmp_path / "x.ogg")
    decoded, _ = sf.read(str(rec.path), dtype="float32")
    assert np.isfinite(decoded).all()


def test_a_new_take_replaces_the_old_file(speech_25s, tmp_path):
    dest = tmp_path / "day.ogg"
    first = encode_opus(tone(21), SR, dest)
    second = encode_opus(speech_25s, SR, dest)
    assert first.sha256 != second.sha256
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == second.sha256
    assert leftovers(tmp_path) == []


def test_a_write_failure_keeps_the_previous_file_and_removes_the_temp(speech_25s, tmp_path,
                                                                       monkeypatch):
    dest = tmp_path / "day.ogg"
    good = encode_opus(tone(21), SR, dest)
    calls = {"n": 0}
    real_write = sf.SoundFile.write

    def failing_write(self, data):
        calls["n"] += 1
        if calls["n"] > 10:
            raise sf.LibsndfileError(0, "System error.")  # what libsndfile says on ENOSPC
        return real_write(self, data)

    monkeypatch.setattr(sf.SoundFile, "write", failing_write)
    with pytest.raises(EncodingFailed) as err:
        encode_opus(speech_25s, SR, dest)
    assert "previous recording is unchanged" in err.value.message
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == good.sha256
    assert leftovers(tmp_path) == []


def test_a_short_file_on_disk_is_caught_before_it_replaces_the_good_one(tmp_path, monkeypatch):
    dest = tmp_path / "day.ogg"
    good = encode_opus(tone(21), SR, dest)

    class Truncated:
        frames, samplerate = 1000, SR

    monkeypatch.setattr(encoder.sf, "info", lambda path: Truncated)
    with pytest.raises(EncodingFailed):
        encode_opus(tone(30), SR, dest)
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == good.sha256
    assert leftovers(tmp_path) == []


def test_a_failed_rename_keeps_the_previous_file(tmp_path, monkeypatch):
    dest = tmp_path / "day.ogg"
    good = encode_opus(tone(21), SR, dest)

    def no_space(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(encoder.os, "replace", no_space)
    with pytest.raises(StorageFull):
        encode_opus(tone(30), SR, dest)
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == good.sha256
    assert leftovers(tmp_path) == []


def test_a_missing_folder_is_an_encoding_failure_not_a_full_disk(tmp_path):
    with pytest.raises(EncodingFailed) as err:
        encode_opus(tone(1), SR, tmp_path / "gone" / "day.ogg")
    assert not isinstance(err.value, StorageFull)


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 64 KiB tmpfs, so the disk really fills up (needs root and CAP_SYS_ADMIN)."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tiny tmpfs needs root; the injected-failure tests cover this path")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)],
        capture_output=True, text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); "
                    "the injected-failure tests cover this path")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_really_full_disk_keeps_the_previous_take_and_says_so(tiny_disk, speech_60s):
    dest = tiny_disk / "day.ogg"
    good = encode_opus(speech_60s[: 5 * SR], SR, dest)  # ~15 KB of the 64 KiB
    with pytest.raises(StorageFull) as err:
        encode_opus(speech_60s, SR, dest)  # ~180 KB: cannot fit
    assert err.value.message.startswith("Your device is out of storage space")
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == good.sha256
    assert leftovers(tiny_disk) == []


def test_a_really_full_disk_during_background_encoding_keeps_the_previous_take(tiny_disk,
                                                                               speech_60s):
    dest = tiny_disk / "day.ogg"
    good = encode_opus(speech_60s[: 5 * SR], SR, dest)
    writer = BackgroundOpusWriter(dest, SR)
    for i in range(0, speech_60s.shape[0], 1024):
        writer.put(speech_60s[i : i + 1024].copy())
    take = writer.finish()
    assert isinstance(take.error, StorageFull)
    with pytest.raises(StorageFull):
        take.save()
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == good.sha256
    assert leftovers(tiny_disk) == []


def test_the_background_writer_gives_a_take_that_is_saved_only_when_asked(speech_25s, tmp_path):
    dest = tmp_path / "day.ogg"
    writer = BackgroundOpusWriter(dest, SR)
    for i in range(0, speech_25s.shape[0], 1024):
        writer.put(speech_25s[i : i + 1024].copy())
    take = writer.finish()
    assert take.error is None
    assert take.quality().ok
    assert not dest.exists()
    rec = take.save()
    assert rec.duration_ms == 25_000
    assert abs(sf.info(str(dest)).frames - 25 * SR) <= 0.05 * SR
    assert take.save() is rec  # saving twice is harmless


def test_a_refused_take_is_discarded_and_the_good_file_stays(tmp_path):
    dest = tmp_path / "day.ogg"
    good = encode_opus(tone(21), SR, dest)
    writer = BackgroundOpusWriter(dest, SR)
    writer.put(silence(25))
    take = writer.finish()
    assert take.quality().reason == SILENT_REASON
    take.discard()
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == good.sha256
    assert leftovers(tmp_path) == []


def test_an_aborted_background_writer_leaves_nothing_behind(tmp_path):
    writer = BackgroundOpusWriter(tmp_path / "day.ogg", SR)
    writer.put(tone(3))
    writer.abort()
    assert list(tmp_path.iterdir()) == []


def test_the_file_writer_discards_its_temp_when_the_block_raises(tmp_path):
    with pytest.raises(RuntimeError):
        with OpusFileWriter(tmp_path / "day.ogg", SR) as writer:
            writer.write(tone(1))
            raise RuntimeError("the caller gave up")
    assert list(tmp_path.iterdir()) == []


def test_temp_files_left_by_a_crash_are_swept_and_takes_are_not(tmp_path):
    good = encode_opus(tone(1), SR, tmp_path / "day.ogg")
    crashed = OpusFileWriter(tmp_path / "next.ogg", SR)
    crashed.write(tone(1))
    (tmp_path / "notes.txt").write_text("not ours")
    if encoder.fcntl is not None:  # (Windows has no flock: the sweep is as before there)
        assert sweep_temp_files(tmp_path) == 0  # still being written: its lock keeps it
    crashed._unlock()  # the process "dies" here: its lock goes, the temp file stays behind
    assert sweep_temp_files(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["day.ogg", "notes.txt"]
    assert good.path.exists()
    crashed.discard()  # only closes the handle now
