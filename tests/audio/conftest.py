"""Fixtures for the audio tests: real speech (espeak-ng → sox), synthetic signals, fake streams.

Speech is generated, never committed: espeak-ng speaks at 22.05 kHz and sox resamples it to
48 kHz. The WAV files are cached in the system temp directory under a hash of the text and
commands, so a second run skips the synthesis.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

SR = 48000

AFFIRMATIONS = (
    "I am disciplined. I keep the promises I make to myself. Every morning I read my "
    "affirmations aloud, and every evening I review my day honestly. I choose the hard thing "
    "first. My actions today build the person I become tomorrow. I am grateful, focused and "
    "calm under pressure. "
)

CACHE_DIR = Path(tempfile.gettempdir()) / "chris-app-audio-test-cache"


def synthesize_speech(seconds: float, samplerate: int = SR, channels: int = 1) -> Path:
    """A WAV of espeak-ng reading the affirmations for at least ``seconds``, cached."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise RuntimeError(
                f"{tool} is needed to generate test speech: apt-get install espeak-ng sox "
                "(scripts/test.sh installs them)"
            )
    repeats = max(1, int(seconds // 15) + 1)  # the text reads in about 16 s
    text = AFFIRMATIONS * repeats
    key = hashlib.sha256(f"{text}|{samplerate}|{channels}|v1".encode()).hexdigest()[:16]
    out = CACHE_DIR / f"speech-{key}.wav"
    if not out.exists():
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=CACHE_DIR) as tmp:
            raw = Path(tmp) / "espeak.wav"
            part = Path(tmp) / "resampled.wav"
            subprocess.run(["espeak-ng", "-w", str(raw), text], check=True, capture_output=True)
            subprocess.run(
                ["sox", str(raw), "-r", str(samplerate), "-c", str(channels), "-b", "16",
                 str(part)],
                check=True,
                capture_output=True,
            )
            part.replace(out)  # atomic, so parallel runs never read half a file
    return out


def load_speech(seconds: float, samplerate: int = SR) -> np.ndarray:
    data, sr = sf.read(str(synthesize_speech(seconds, samplerate)), dtype="float32")
    assert sr == samplerate
    assert data.shape[0] >= int(seconds * samplerate), "espeak-ng spoke for less than expected"
    return data[: int(seconds * samplerate)]


@pytest.fixture(scope="session")
def speech_60s() -> np.ndarray:
    """One minute of espeak-ng reading affirmations, float32 mono at 48 kHz."""
    return load_speech(60.0)


@pytest.fixture(scope="session")
def speech_25s(speech_60s) -> np.ndarray:
    return speech_60s[: 25 * SR]


def tone(seconds: float, freq: float = 440.0, amplitude: float = 0.3, sr: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def silence(seconds: float, sr: int = SR) -> np.ndarray:
    return np.zeros(int(seconds * sr), dtype=np.float32)


def noise(seconds: float, dbfs: float, sr: int = SR, seed: int = 7) -> np.ndarray:
    """White noise with an RMS of ``dbfs``."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(int(seconds * sr)) * 10 ** (dbfs / 20)).astype(np.float32)


def clipped(samples: np.ndarray, gain: float = 6.0) -> np.ndarray:
    return np.clip(samples * gain, -1.0, 1.0).astype(np.float32)


class FakeInputStream:
    """Stands in for ``sounddevice.InputStream``: ``feed`` calls the recorder's callback exactly
    as PortAudio does — a (frames, channels) float32 array, a frame count, time info, status."""

    def __init__(self, *, samplerate, channels, dtype, blocksize, device, callback,
                 finished_callback, **_ignored):
        assert dtype == "float32" and channels == 1
        self.samplerate, self.blocksize, self.device = samplerate, blocksize, device
        self.callback, self.finished_callback = callback, finished_callback
        self.active = False
        self.closed = False
        self.calls = 0

    def start(self):
        self.active = True

    def stop(self):
        if self.active:
            self.active = False
            self.finished_callback()

    def close(self):
        self.closed = True

    def feed(self, samples: np.ndarray, status=None) -> int:
        """Delivers ``samples`` block by block; returns the frames delivered before a stop."""
        import sounddevice as sd

        status = status if status is not None else sd.CallbackFlags()
        buf = np.empty((self.blocksize, 1), dtype=np.float32)  # reused, as PortAudio does
        delivered = 0
        for start in range(0, samples.shape[0], self.blocksize):
            if not self.active:
                break
            block = samples[start : start + self.blocksize]
            view = buf[: block.shape[0]]
            view[:, 0] = block
            delivered += block.shape[0]
            self.calls += 1
            try:
                self.callback(view, block.shape[0], None, status)
            except sd.CallbackStop:
                self.active = False
                self.finished_callback()
            buf[:] = np.nan  # a callback that kept a reference instead of copying would see this
        return delivered

    def unplug(self):
        """The device disappears: PortAudio ends the stream on its own."""
        self.active = False
        self.finished_callback()


@pytest.fixture
def fake_streams():
    """A stream factory for ``Recorder(stream_factory=...)``; ``.last`` is the open stream."""

    class Factory:
        last: FakeInputStream | None = None

        def __call__(self, **kwargs):
            self.last = FakeInputStream(**kwargs)
            return self.last

    return Factory()
