"""The recorder's PortAudio callback, driven block by block through a fake stream."""

import hashlib

import numpy as np
import pytest
import sounddevice as sd
import soundfile as sf

from chris_app.audio.capture import (
    InputDevice,
    Recorder,
    RecorderState,
    list_input_devices,
    resolve_device,
)
from chris_app.audio.encoder import encode_opus
from chris_app.audio.errors import (
    DeviceLost,
    EncodingFailed,
    NoInputDevice,
    RecorderStateError,
    StorageFull,
)
from chris_app.audio.levels import FLOOR_DBFS
from chris_app.audio.quality import CLIPPING_WARNING, SILENT_REASON

from .conftest import SR, clipped, noise, silence, tone


def record(tmp_path, fake_streams, samples, **kwargs):
    recorder = Recorder(tmp_path / "day.ogg", stream_factory=fake_streams, **kwargs)
    recorder.start()
    fake_streams.last.feed(samples)
    return recorder


def test_real_speech_through_the_callback_is_saved_with_its_duration(tmp_path, fake_streams,
                                                                     speech_25s):
    recorder = record(tmp_path, fake_streams, speech_25s)
    assert recorder.state is RecorderState.RECORDING
    assert recorder.elapsed_s == pytest.approx(25.0)
    take = recorder.stop()
    assert recorder.state is RecorderState.STOPPED
    assert take.quality().ok and take.fault is None
    rec = take.save()
    assert rec.duration_ms == 25_000
    decoded, _ = sf.read(str(rec.path), dtype="float32")
    assert abs(decoded.shape[0] - 25 * SR) <= 0.05 * SR
    for second in (0, 12, 24):  # every block arrived, once, in order
        a, b = (x[second * SR : (second + 1) * SR] for x in (speech_25s, decoded))
        assert np.corrcoef(a, b)[0, 1] > 0.9
    assert fake_streams.last.closed


def test_the_callback_copies_each_block_because_portaudio_reuses_its_buffer(tmp_path,
                                                                           fake_streams):
    # The fake overwrites its buffer with NaN after every callback: a kept reference would
    # turn the take into NaN (encoded as silence), and the gate would refuse it.
    take = record(tmp_path, fake_streams, tone(21)).stop()
    assert take.quality().ok
    decoded, _ = sf.read(str(take.save().path), dtype="float32")
    assert np.isfinite(decoded).all() and np.abs(decoded).max() > 0.2


def test_the_level_meter_reads_the_latest_block_in_dbfs(tmp_path, fake_streams):
    recorder = record(tmp_path, fake_streams, tone(1, amplitude=0.5))
    assert recorder.level_dbfs == pytest.approx(20 * np.log10(0.5 / np.sqrt(2)), abs=0.2)
    fake_streams.last.feed(noise(1, dbfs=-40))
    assert recorder.level_dbfs == pytest.approx(-40, abs=1.0)
    fake_streams.last.feed(silence(1))
    assert recorder.level_dbfs == FLOOR_DBFS
    recorder.cancel()


def test_a_silent_take_through_the_callback_is_refused(tmp_path, fake_streams):
    take = record(tmp_path, fake_streams, silence(25)).stop()
    assert take.quality().reason == SILENT_REASON
    take.discard()
    assert list(tmp_path.iterdir()) == []


def test_clipping_through_the_callback_gives_a_warning(tmp_path, fake_streams, speech_25s):
    take = record(tmp_path, fake_streams, clipped(speech_25s)).stop()
    assert take.quality().ok
    assert take.quality().warnings == [CLIPPING_WARNING]


def test_steady_noise_through_the_callback_is_not_mistaken_for_silence(tmp_path, fake_streams):
    take = record(tmp_path, fake_streams, noise(21, dbfs=-30)).stop()
    assert take.quality().ok


def test_a_short_take_is_refused_with_the_minimum_as_a_setting(tmp_path, fake_streams,
                                                              speech_25s):
    take = record(tmp_path, fake_streams, speech_25s[: 12 * SR]).stop()
    assert take.quality(min_seconds=20).reason == (
        "The recording is 12 seconds long; read your affirmations for at least 20 seconds."
    )
    assert take.quality(min_seconds=10).ok


def test_paused_time_is_neither_recorded_nor_counted(tmp_path, fake_streams, speech_25s):
    recorder = record(tmp_path, fake_streams, speech_25s[: 10 * SR])
    recorder.pause()
    assert recorder.state is RecorderState.PAUSED
    fake_streams.last.feed(tone(5, amplitude=0.9))
    assert recorder.level_dbfs == FLOOR_DBFS
    assert recorder.elapsed_s == pytest.approx(10.0)
    recorder.resume()
    fake_streams.last.feed(speech_25s[10 * SR : 22 * SR])
    take = recorder.stop()
    assert take.duration_s == pytest.approx(22.0)
    assert take.save().duration_ms == 22_000


def test_the_maximum_length_stops_the_stream_at_exactly_that_length(tmp_path, fake_streams):
    recorder = Recorder(tmp_path / "day.ogg", stream_factory=fake_streams, max_seconds=3)
    recorder.start()
    delivered = fake_streams.last.feed(tone(5))
    assert recorder.state is RecorderState.LIMIT_REACHED
    assert not fake_streams.last.active
    assert delivered < 4 * SR  # the stream stopped itself right after the limit
    assert recorder.elapsed_s == 3.0 and recorder.remaining_s == 0.0
    take = recorder.stop()
    assert take.fault is None
    assert take.save().duration_ms == 3000


def test_the_default_maximum_is_fifteen_minutes(tmp_path):
    assert Recorder(tmp_path / "x.ogg").max_seconds == 15 * 60


def test_an_unplugged_microphone_keeps_what_was_captured(tmp_path, fake_streams, speech_25s):
    recorder = record(tmp_path, fake_streams, speech_25s[: 22 * SR])
    fake_streams.last.unplug()
    assert recorder.state is RecorderState.DEVICE_LOST
    assert isinstance(recorder.fault, DeviceLost)
    take = recorder.stop()
    assert isinstance(take.fault, DeviceLost)
    assert take.fault.message.startswith("The microphone stopped working during the recording.")
    assert take.quality().ok
    rec = take.save()
    assert rec.duration_ms == 22_000


def test_a_microphone_that_silently_stops_delivering_is_noticed_by_poll(tmp_path, fake_streams):
    now = [100.0]
    recorder = Recorder(tmp_path / "day.ogg", stream_factory=fake_streams, clock=lambda: now[0])
    recorder.start()
    fake_streams.last.feed(tone(1))
    now[0] += 1.0
    assert recorder.poll() is RecorderState.RECORDING
    fake_streams.last.feed(tone(1))
    now[0] += 1.5
    assert recorder.poll() is RecorderState.RECORDING  # audio arrived since the last poll
    now[0] += 2.5
    assert recorder.poll() is RecorderState.DEVICE_LOST
    assert recorder.stop().duration_s == pytest.approx(2.0)


def test_a_paused_recorder_is_not_considered_lost(tmp_path, fake_streams):
    now = [0.0]
    recorder = Recorder(tmp_path / "day.ogg", stream_factory=fake_streams, clock=lambda: now[0])
    recorder.start()
    recorder.pause()
    now[0] += 60
    assert recorder.poll() is RecorderState.PAUSED
    recorder.resume()
    assert recorder.poll() is RecorderState.RECORDING
    recorder.cancel()


def test_stopping_the_stream_ourselves_is_not_a_lost_device(tmp_path, fake_streams):
    recorder = record(tmp_path, fake_streams, tone(2))
    take = recorder.stop()  # the fake calls finished_callback from stop(), as PortAudio does
    assert take.fault is None
    assert recorder.fault is None


def test_no_microphone_raises_a_member_facing_error_and_leaves_nothing(tmp_path):
    def no_device(**kwargs):
        raise sd.PortAudioError("Error querying device -1")

    recorder = Recorder(tmp_path / "day.ogg", stream_factory=no_device)
    with pytest.raises(NoInputDevice) as err:
        recorder.start()
    assert err.value.message.startswith("No microphone was found.")
    assert "querying device" in err.value.detail
    assert recorder.state is RecorderState.IDLE
    assert list(tmp_path.iterdir()) == []


def test_a_remembered_microphone_that_is_gone_raises_no_input_device_through_portaudio(tmp_path):
    recorder = Recorder(tmp_path / "day.ogg", device="A microphone that is not connected")
    with pytest.raises(NoInputDevice):
        recorder.start()
    assert list(tmp_path.iterdir()) == []


def test_a_missing_folder_fails_and_releases_the_microphone(tmp_path, fake_streams):
    recorder = Recorder(tmp_path / "gone" / "day.ogg", stream_factory=fake_streams)
    with pytest.raises(EncodingFailed):
        recorder.start()
    assert fake_streams.last.closed and not fake_streams.last.active
    assert recorder.state is RecorderState.IDLE


def test_a_device_that_refuses_48_khz_is_recorded_at_44_1_khz(tmp_path, fake_streams,
                                                              speech_25s):
    def picky(**kwargs):
        if kwargs["samplerate"] != 44100:
            raise sd.PortAudioError("Error opening InputStream: Invalid sample rate [-9997]")
        return fake_streams(**kwargs)

    recorder = Recorder(tmp_path / "day.ogg", stream_factory=picky)
    recorder.start()
    assert recorder.samplerate == 44100
    samples = np.interp(np.arange(22 * 44100) * SR / 44100, np.arange(speech_25s.shape[0]),
                        speech_25s).astype(np.float32)
    fake_streams.last.feed(samples)
    assert recorder.elapsed_s == pytest.approx(22.0)
    take = recorder.stop()
    assert take.quality().ok
    rec = take.save()
    assert rec.samplerate == 48000 and rec.duration_ms == 22_000


def test_a_disk_that_fills_up_while_recording_is_reported_and_keeps_the_good_take(
        tmp_path, fake_streams, speech_25s, monkeypatch):
    dest = tmp_path / "day.ogg"
    good = encode_opus(speech_25s, SR, dest)
    real_write = sf.SoundFile.write
    written = []

    def fill_up(self, data):
        written.append(len(data))
        if sum(written) > 5 * SR:
            raise sf.LibsndfileError(0, "System error.")
        return real_write(self, data)

    monkeypatch.setattr(sf.SoundFile, "write", fill_up)
    monkeypatch.setattr("chris_app.audio.encoder.shutil.disk_usage",
                        lambda path: type("Usage", (), {"free": 0})())
    recorder = record(tmp_path, fake_streams, speech_25s)
    take = recorder.stop()
    assert isinstance(recorder.encoding_error, StorageFull)
    assert take.error is recorder.encoding_error
    with pytest.raises(StorageFull):
        take.save()
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == good.sha256
    assert sorted(p.name for p in tmp_path.iterdir()) == ["day.ogg"]


def test_cancel_keeps_the_previous_good_take(tmp_path, fake_streams, speech_25s):
    dest = tmp_path / "day.ogg"
    good = encode_opus(speech_25s, SR, dest)
    recorder = record(tmp_path, fake_streams, tone(21))
    recorder.cancel()
    assert recorder.state is RecorderState.CANCELLED
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == good.sha256
    assert sorted(p.name for p in tmp_path.iterdir()) == ["day.ogg"]


def test_overflows_reported_by_portaudio_are_counted(tmp_path, fake_streams):
    recorder = Recorder(tmp_path / "day.ogg", stream_factory=fake_streams)
    recorder.start()
    fake_streams.last.feed(tone(0.1), status=sd.CallbackFlags(sd._lib.paInputOverflow))
    assert recorder.overflows == 5  # 4800 frames in blocks of 1024
    recorder.cancel()


def test_commands_out_of_order_are_refused(tmp_path, fake_streams):
    recorder = Recorder(tmp_path / "day.ogg", stream_factory=fake_streams)
    with pytest.raises(RecorderStateError):
        recorder.pause()
    with pytest.raises(RecorderStateError):
        recorder.stop()
    recorder.start()
    with pytest.raises(RecorderStateError):
        recorder.start()
    with pytest.raises(RecorderStateError):
        recorder.resume()
    recorder.cancel()
    recorder.cancel()  # harmless


def test_the_stream_is_opened_at_48_khz_mono_with_the_chosen_device(tmp_path, fake_streams):
    recorder = Recorder(tmp_path / "day.ogg", stream_factory=fake_streams, device=3)
    recorder.start()
    assert (fake_streams.last.samplerate, fake_streams.last.device) == (48000, 3)
    recorder.cancel()


DEVICES = [
    {"name": "HDA Intel PCH: ALC257 Analog", "hostapi": 0, "max_input_channels": 2,
     "max_output_channels": 2, "default_samplerate": 44100.0},
    {"name": "HDMI 0", "hostapi": 0, "max_input_channels": 0, "max_output_channels": 8,
     "default_samplerate": 48000.0},
    {"name": "USB Microphone", "hostapi": 0, "max_input_channels": 1, "max_output_channels": 0,
     "default_samplerate": 48000.0},
]
HOSTAPIS = [{"name": "ALSA", "default_input_device": 0, "default_output_device": 1}]


def test_only_input_devices_are_listed_and_the_default_is_marked():
    devices = list_input_devices(DEVICES, HOSTAPIS, default_input=2)
    assert devices == [
        InputDevice(0, "HDA Intel PCH: ALC257 Analog", "ALSA", 2, 44100.0, False),
        InputDevice(2, "USB Microphone", "ALSA", 1, 48000.0, True),
    ]


def test_the_host_api_default_is_used_when_sounddevice_has_none():
    devices = list_input_devices(DEVICES, HOSTAPIS, default_input=-1)
    assert [d.is_default for d in devices] == [True, False]


def test_a_remembered_device_is_found_by_name_and_falls_back_to_the_default():
    devices = list_input_devices(DEVICES, HOSTAPIS)
    assert resolve_device("USB Microphone", devices) == 2
    assert resolve_device("Unplugged headset", devices) is None
    assert resolve_device(None, devices) is None
