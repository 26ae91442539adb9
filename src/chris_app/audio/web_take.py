"""A take recorded through Flet's AudioRecorder (web build, phones) as streamed PCM16 chunks.

Browsers ignore the recorder's configured format (headless Chromium streamed 44.1 kHz stereo
when 48 kHz mono was asked for) and Flet does not report the delivered one. So the raw chunks
are spooled to a file next to the recordings while the member reads, and the format is
decided at the end from the bytes received over the whole take's wall-clock time: over a
reading of 20 s or more the arrival jitter is well under the 8.8 % that separates 44.1 kHz
from 48 kHz, and mono/stereo differ by half. A take whose byte rate fits no known format is
refused (`StreamFormatError`) rather than saved at the wrong speed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from .errors import StreamFormatError
from .levels import rms_dbfs
from .stream import BYTES_PER_SAMPLE, Pcm16Assembler

# (sample rate, channels) that browsers and phones deliver for a PCM16 stream.
KNOWN_FORMATS = [(48000, 1), (44100, 1), (48000, 2), (44100, 2), (16000, 1), (24000, 1), (22050, 1)]
MATCH_TOLERANCE = 0.04


def infer_format(byte_count: int, seconds: float) -> tuple[int, int]:
    """The known (rate, channels) whose byte rate is nearest to what arrived."""
    if seconds <= 0 or byte_count <= 0:
        raise StreamFormatError(detail="no audio arrived")
    measured = byte_count / seconds
    rate, channels = min(KNOWN_FORMATS, key=lambda f: abs(measured - f[0] * f[1] * BYTES_PER_SAMPLE))
    expected = rate * channels * BYTES_PER_SAMPLE
    if abs(measured - expected) > MATCH_TOLERANCE * expected:
        raise StreamFormatError(detail=f"{measured:.0f} B/s fits no known format")
    return rate, channels


class WebTake:
    """Spools streamed PCM16 chunks; `finish()` returns (float32 mono samples, sample rate)."""

    def __init__(self, spool_dir: Path) -> None:
        spool_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=spool_dir, prefix=".web-take.", suffix=".part")
        self.path = Path(name)
        self._file = os.fdopen(fd, "wb")
        self.bytes_received = 0
        self.level_dbfs = -120.0
        self._first_at: float | None = None
        self._first_bytes = 0
        self._last_at: float | None = None

    def feed(self, chunk: bytes, at: float) -> None:
        """Append one chunk that arrived at monotonic time `at` (seconds)."""
        if self._first_at is None:
            # The first chunk carries audio from before it arrived: timing starts after it.
            self._first_at, self._first_bytes = at, len(chunk)
        self._last_at = at
        self._file.write(chunk)
        self.bytes_received += len(chunk)
        usable = len(chunk) - len(chunk) % BYTES_PER_SAMPLE
        if usable:
            pcm = np.frombuffer(chunk, dtype="<i2", count=usable // BYTES_PER_SAMPLE)
            self.level_dbfs = rms_dbfs(pcm.astype(np.float32) / 32768.0)

    def finish(self) -> tuple[np.ndarray, int]:
        self._file.close()
        try:
            span = (self._last_at or 0) - (self._first_at or 0)
            rate, channels = infer_format(self.bytes_received - self._first_bytes, span)
            assembler = Pcm16Assembler(rate, channels)
            with self.path.open("rb") as spool:
                for block in iter(lambda: spool.read(1 << 20), b""):
                    assembler.feed(block)
            return assembler.samples(), rate
        finally:
            self.path.unlink(missing_ok=True)

    def discard(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)
