import numpy as np
import pytest
import sounddevice as sd
import soundfile as sf

from chris_app.audio.encoder import encode_opus
from chris_app.audio.errors import EncodingFailed, NoOutputDevice
from chris_app.audio.playback import Player, PlayerState

from .conftest import SR, tone


class FakeOutputStream:
    """Pulls blocks from the player's callback as PortAudio would."""

    def __init__(self, *, samplerate, channels, dtype, blocksize, callback, finished_callback,
                 **_):
        self.samplerate, self.channels, self.blocksize = samplerate, channels, blocksize
        self.callback, self.finished_callback = callback, finished_callback
        self.played: list[np.ndarray] = []
        self.active = False

    def start(self):
        self.active = True

    def pull(self, blocks: int | None = None):
        out = np.empty((self.blocksize, self.channels), dtype=np.float32)
        n = 0
        while self.active and (blocks is None or n < blocks):
            n += 1
            try:
                self.callback(out, self.blocksize, None, sd.CallbackFlags())
                self.played.append(out.copy())
            except sd.CallbackStop:
                self.played.append(out.copy())
                self.active = False
                self.finished_callback()

    def stop(self):
        self.active = False

    def close(self):
        pass


@pytest.fixture
def saved(tmp_path):
    return encode_opus(tone(3.0), SR, tmp_path / "day.ogg")


def test_plays_the_whole_recording_and_reports_the_end(saved):
    streams, finished = [], []
    player = Player(saved.path, stream_factory=lambda **kw: streams.append(
        FakeOutputStream(**kw)) or streams[-1], on_finished=lambda: finished.append(True))
    assert player.duration_s == pytest.approx(3.0, abs=0.05)
    player.play()
    assert player.state is PlayerState.PLAYING
    streams[-1].pull()
    played = np.concatenate(streams[-1].played)[:, 0]
    decoded, _ = sf.read(str(saved.path), dtype="float32")
    np.testing.assert_array_equal(played[: decoded.shape[0]], decoded)
    assert not played[decoded.shape[0] :].any()  # padded with silence after the end
    assert finished == [True]
    assert player.state is PlayerState.STOPPED and player.position_s == 0.0


def test_position_advances_pauses_and_seeks(saved):
    streams = []
    player = Player(saved.path, stream_factory=lambda **kw: streams.append(
        FakeOutputStream(**kw)) or streams[-1])
    player.play()
    streams[-1].pull(blocks=47)  # 47 × 1024 frames ≈ 1.003 s
    assert player.position_s == pytest.approx(47 * 1024 / SR)
    player.pause()
    assert player.state is PlayerState.PAUSED
    player.seek(2.5)
    assert player.position_s == 2.5
    player.play()  # resumes from the seek position on a fresh stream
    assert len(streams) == 2
    streams[-1].pull(blocks=1)
    assert player.position_s == pytest.approx(2.5 + 1024 / SR)
    player.seek(99)
    assert player.position_s == player.duration_s
    player.stop()
    assert player.position_s == 0.0


def test_a_damaged_file_gives_a_member_facing_error(tmp_path):
    bad = tmp_path / "day.ogg"
    bad.write_bytes(b"OggS not really")
    with pytest.raises(EncodingFailed) as err:
        Player(bad)
    assert err.value.message.startswith("This recording could not be opened.")


def test_no_output_device_gives_a_member_facing_error(saved):
    def none(**kwargs):
        raise sd.PortAudioError("Error querying device -1")

    player = Player(saved.path, stream_factory=none)
    with pytest.raises(NoOutputDevice) as err:
        player.play()
    assert "No speaker or headphones" in err.value.message
    assert player.state is PlayerState.STOPPED
