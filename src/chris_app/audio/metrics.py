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

from .levels import FLOOR_DBFS, power_to_dbfs
from .quality import FRAME_SECONDS, QualityMeter

BLOCK_FRAMES = 48_000  # one second at 48 kHz per read: a long take is never held in memory whole


@dataclass(frozen=True, slots=True)
class ReadingMetrics:
    duration_s: float
    speaking_s: float  # 20 ms frames at or above SILENCE_DBFS
    loudness_dbfs: float  # level of those frames; FLOOR_DBFS when nothing was spoken


def meter_metrics(meter: QualityMeter) -> ReadingMetrics:
    """The metrics of what `meter` was fed: the quality gate's own frames, so a take is measured
    as it is recorded (the desktop writer thread and the stream encoder feed the gate) and
    nothing is decoded again to save it."""
    speaking = meter.frames - meter.silent_frames
    loudness = power_to_dbfs(meter.speech_power / speaking) if speaking else FLOOR_DBFS
    frame_len = max(1, round(meter.samplerate * FRAME_SECONDS))
    return ReadingMetrics(duration_s=meter.samples / meter.samplerate,
                          speaking_s=speaking * frame_len / meter.samplerate,
                          loudness_dbfs=loudness)


def reading_metrics(samples: np.ndarray, samplerate: int) -> ReadingMetrics:
    """The metrics of a signal in memory (float32 mono, full scale ±1.0)."""
    meter = QualityMeter(samplerate)
    meter.add(samples)
    return meter_metrics(meter)


def file_metrics(path: Path) -> ReadingMetrics:
    """The metrics of a saved reading (Ogg/Opus or anything libsndfile reads), decoded in blocks;
    channels are mixed down to mono."""
    with soundfile.SoundFile(str(path)) as f:
        meter = QualityMeter(f.samplerate)
        for block in f.blocks(blocksize=BLOCK_FRAMES, dtype="float32", always_2d=True):
            meter.add(block.mean(axis=1))
    return meter_metrics(meter)
