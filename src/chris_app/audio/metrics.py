"""A reading's metrics: duration, speaking time and loudness.

Speaking time is energy-based voice activity over the quality gate's own 20 ms frames and
silence threshold (``quality.FRAME_SECONDS``, ``quality.SILENCE_DBFS``), so a frame the gate
counts as silent is never counted as speech here. Loudness is the level of the speaking frames
(dBFS), i.e. how loud the voice was, not diluted by the pauses between affirmations.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from .levels import FLOOR_DBFS, frame_dbfs, power_to_dbfs
from .quality import FRAME_SECONDS, SILENCE_DBFS

BLOCK_FRAMES = 48_000  # one second at 48 kHz per read: a long take is never held in memory whole


@dataclass(frozen=True, slots=True)
class ReadingMetrics:
    duration_s: float
    speaking_s: float  # 20 ms frames at or above SILENCE_DBFS
    loudness_dbfs: float  # level of those frames; FLOOR_DBFS when nothing was spoken


class MetricsMeter:
    """Accumulates the metrics block by block (float32 mono)."""

    def __init__(self, samplerate: int) -> None:
        self.samplerate = samplerate
        self._frame_len = max(1, round(samplerate * FRAME_SECONDS))
        self._carry = np.empty(0, dtype=np.float32)
        self.samples = 0
        self.speaking_frames = 0
        self._speech_power = 0.0  # sum of the speaking frames' mean squares

    def add(self, block: np.ndarray) -> None:
        block = np.asarray(block, dtype=np.float32).reshape(-1)
        self.samples += block.size
        joined = np.concatenate((self._carry, block)) if self._carry.size else block
        levels = frame_dbfs(joined, self._frame_len)
        speaking = levels >= SILENCE_DBFS
        self.speaking_frames += int(np.count_nonzero(speaking))
        self._speech_power += float(np.sum(10.0 ** (levels[speaking] / 10.0)))
        self._carry = joined[levels.size * self._frame_len:].copy()

    def result(self) -> ReadingMetrics:
        loudness = (power_to_dbfs(self._speech_power / self.speaking_frames) if self.speaking_frames
                    else FLOOR_DBFS)
        return ReadingMetrics(duration_s=self.samples / self.samplerate,
                              speaking_s=self.speaking_frames * self._frame_len / self.samplerate,
                              loudness_dbfs=loudness)


def reading_metrics(samples: np.ndarray, samplerate: int) -> ReadingMetrics:
    """The metrics of a signal in memory (float32 mono, full scale ±1.0)."""
    meter = MetricsMeter(samplerate)
    meter.add(samples)
    return meter.result()


def file_metrics(path: Path) -> ReadingMetrics:
    """The metrics of a saved reading (Ogg/Opus or anything libsndfile reads), decoded in blocks;
    channels are mixed down to mono."""
    with soundfile.SoundFile(str(path)) as f:
        meter = MetricsMeter(f.samplerate)
        for block in f.blocks(blocksize=BLOCK_FRAMES, dtype="float32", always_2d=True):
            meter.add(block.mean(axis=1))
    return meter.result()
