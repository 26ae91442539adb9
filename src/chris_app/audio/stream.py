"""PCM16 chunks from Flet's AudioRecorder ``on_stream`` (web build, phones) → float32 mono.

The format is whatever the platform really delivers, which is not always what was configured:
in Chromium a recorder configured for 48 kHz mono streamed 44.1 kHz *stereo* 16-bit. So the
caller states the real sample rate and channel count; the app's stream path
(``web_take.WebTake``) decides them from the chunks' arrival times and checks them against the
whole take. ``check_byte_rate`` compares the bytes received against the wall-clock time they
took and raises ``StreamFormatError`` on a mismatch (±20 %).

Chunks may split a frame anywhere; the leftover bytes wait for the next chunk. Channels are
averaged into mono. Each mono block goes to ``sink`` when one is given (e.g. a
``BackgroundOpusWriter.put``), else it is kept for ``samples()``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .errors import StreamFormatError

BYTES_PER_SAMPLE = 2


class Pcm16Assembler:
    """Reassembles little-endian signed 16-bit interleaved PCM chunks into float32 mono."""

    def __init__(
        self,
        samplerate: int,
        channels: int,
        *,
        sink: Callable[[np.ndarray], None] | None = None,
    ) -> None:
        if samplerate <= 0:
            raise ValueError(f"samplerate must be positive, got {samplerate}")
        if channels < 1:
            raise ValueError(f"channels must be at least 1, got {channels}")
        self.samplerate = samplerate
        self.channels = channels
        self._frame_bytes = BYTES_PER_SAMPLE * channels
        self._sink = sink
        self._pending = b""
        self._blocks: list[np.ndarray] = []
        self.bytes_received = 0
        self.frames = 0
        self.missing_chunks = 0  # gaps in the event's ``sequence`` numbers (audio lost on the way)
        self._last_sequence: int | None = None

    @property
    def byte_rate(self) -> int:
        """Bytes per second this format should deliver."""
        return self.samplerate * self._frame_bytes

    @property
    def duration_s(self) -> float:
        return self.frames / self.samplerate

    def feed(self, chunk: bytes, sequence: int | None = None) -> np.ndarray:
        """Adds one chunk; returns the mono samples it completed (possibly empty).

        ``sequence`` is ``AudioRecorderStreamEvent.sequence``; jumps are counted in
        ``missing_chunks`` (the take is then shorter than the time it took to record).
        """
        if sequence is not None:
            if self._last_sequence is not None and sequence > self._last_sequence + 1:
                self.missing_chunks += sequence - self._last_sequence - 1
            self._last_sequence = sequence
        self.bytes_received += len(chunk)
        data = self._pending + bytes(chunk) if self._pending else bytes(chunk)
        usable = len(data) - len(data) % self._frame_bytes
        self._pending = data[usable:]
        if usable == 0:
            return np.empty(0, dtype=np.float32)
        pcm = np.frombuffer(data, dtype="<i2", count=usable // BYTES_PER_SAMPLE)
        if self.channels > 1:
            mono = pcm.reshape(-1, self.channels).mean(axis=1, dtype=np.float32)
        else:
            mono = pcm.astype(np.float32)
        mono *= np.float32(1.0 / 32768.0)
        self.frames += mono.shape[0]
        if self._sink is not None:
            self._sink(mono)
        else:
            self._blocks.append(mono)
        return mono

    def samples(self) -> np.ndarray:
        """Everything fed so far as one float32 mono array (empty when a sink was given)."""
        if not self._blocks:
            return np.empty(0, dtype=np.float32)
        if len(self._blocks) > 1:
            self._blocks = [np.concatenate(self._blocks)]
        return self._blocks[0]

    def check_byte_rate(self, elapsed_s: float, tolerance: float = 0.2) -> None:
        """Raises ``StreamFormatError`` if the bytes received over ``elapsed_s`` seconds of
        recording do not fit the stated format (within ``tolerance``, default ±20 %).

        Only meaningful after a few seconds: chunks arrive in bursts. Shorter spans pass.
        """
        if elapsed_s < 2.0:
            return
        measured = self.bytes_received / elapsed_s
        if abs(measured - self.byte_rate) > tolerance * self.byte_rate:
            raise StreamFormatError(
                detail=(
                    f"received {measured:.0f} B/s over {elapsed_s:.1f} s; "
                    f"{self.samplerate} Hz × {self.channels} ch × 16 bit is {self.byte_rate} B/s"
                )
            )
