"""The quality gate a take passes before it completes the morning protocol.

Rules (the setting is ``min_seconds``, 20 s by default):

* **too short** — shorter than ``min_seconds`` → refused;
* **silent** — more than 90 % of 20 ms frames below −50 dBFS → refused;
* **clipping** — more than 0.01 % of samples at full scale → accepted with a warning;
* **very quiet** — even the loudest tenth of the frames is below −35 dBFS → warning.

``QualityMeter`` computes the same figures block by block, so a recording that is encoded while
it is captured is judged without keeping the whole signal in memory: it keeps counts, not the
frame levels, so it holds the same few bytes after a minute or an hour. ``check_quality`` is
the one-shot form for a signal already in memory. Both give the same ``QualityReport``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .levels import frame_dbfs

DEFAULT_MIN_SECONDS = 20.0
FRAME_SECONDS = 0.020
SILENCE_DBFS = -50.0
MAX_SILENT_FRACTION = 0.90
CLIP_LEVEL = 0.999  # |sample| at or above this counts as clipped (int16 full scale is 0.99997)
MAX_CLIPPED_FRACTION = 0.0001
QUIET_DBFS = -35.0
QUIET_PERCENTILE = 0.90

CLIPPING_WARNING = (
    "Your voice was too loud for the microphone in places and may sound distorted. Next time, "
    "move a little further from the microphone or lower its input level."
)
QUIET_WARNING = (
    "The recording is very quiet. Next time, move closer to the microphone or raise its input "
    "level."
)
SILENT_REASON = (
    "We could not hear you: the recording is almost entirely silent. Check that the right "
    "microphone is selected, not muted and allowed for this app, then read your affirmations "
    "again."
)


@dataclass(frozen=True)
class QualityReport:
    ok: bool
    reason: str | None  # why the take was refused, for the member; None when ok
    duration_s: float
    silent_fraction: float  # of 20 ms frames below SILENCE_DBFS, 0..1
    clipped_fraction: float  # of samples at full scale, 0..1
    warnings: list[str] = field(default_factory=list)


def _seconds(n: float) -> str:
    whole = math.floor(n)
    return "1 second" if whole == 1 else f"{whole} seconds"


def too_short_reason(duration_s: float, min_seconds: float) -> str:
    return (
        f"The recording is {_seconds(duration_s)} long; read your affirmations for at least "
        f"{_seconds(min_seconds)}."
    )


class QualityMeter:
    """Accumulates the gate's figures over consecutive blocks of float32 mono samples.

    Not for the audio callback (it allocates); the writer thread feeds it.
    """

    def __init__(self, samplerate: int) -> None:
        if samplerate <= 0:
            raise ValueError(f"samplerate must be positive, got {samplerate}")
        self.samplerate = samplerate
        self._frame_len = max(1, round(samplerate * FRAME_SECONDS))
        self._carry = np.empty(0, dtype=np.float32)  # the incomplete frame between blocks
        self.frames = 0  # complete 20 ms frames seen
        self.silent_frames = 0  # of them, below SILENCE_DBFS
        self.quiet_frames = 0  # of them, below QUIET_DBFS
        self.samples = 0
        self.clipped = 0
        self.speech_power = 0.0  # sum of the non-silent frames' mean squares (audio/metrics)

    def add(self, block: np.ndarray) -> None:
        block = np.asarray(block, dtype=np.float32).reshape(-1)
        if block.size == 0:
            return
        self.samples += block.shape[0]
        self.clipped += int(np.count_nonzero(np.abs(block) >= CLIP_LEVEL))
        joined = np.concatenate((self._carry, block)) if self._carry.size else block
        levels = frame_dbfs(joined, self._frame_len)
        self._count(levels)
        self._carry = joined[levels.size * self._frame_len :].copy()

    def _count(self, levels: np.ndarray) -> None:
        self.frames += levels.size
        silent = levels < SILENCE_DBFS
        self.silent_frames += int(np.count_nonzero(silent))
        self.speech_power += float(np.sum(10.0 ** (levels[~silent] / 10.0)))
        self.quiet_frames += int(np.count_nonzero(levels < QUIET_DBFS))

    def report(self, min_seconds: float = DEFAULT_MIN_SECONDS) -> QualityReport:
        duration_s = self.samples / self.samplerate
        frames, silent, quiet = self.frames, self.silent_frames, self.quiet_frames
        if self._carry.size and frames == 0:
            # Shorter than one frame: judge what there is.
            level = frame_dbfs(self._carry, self._carry.size)
            frames = 1
            silent = int(np.count_nonzero(level < SILENCE_DBFS))
            quiet = int(np.count_nonzero(level < QUIET_DBFS))
        silent_fraction = silent / frames if frames else 1.0
        clipped_fraction = self.clipped / self.samples if self.samples else 0.0

        reason = None
        if self.samples and silent_fraction > MAX_SILENT_FRACTION:
            reason = SILENT_REASON
        elif duration_s < min_seconds:
            reason = too_short_reason(duration_s, min_seconds)

        warnings = []
        if clipped_fraction > MAX_CLIPPED_FRACTION:
            warnings.append(CLIPPING_WARNING)
        # The loudest tenth of the frames is below QUIET_DBFS (the 90th percentile, counted).
        if reason is None and frames and quiet > QUIET_PERCENTILE * (frames - 1):
            warnings.append(QUIET_WARNING)
        return QualityReport(
            ok=reason is None,
            reason=reason,
            duration_s=duration_s,
            silent_fraction=silent_fraction,
            clipped_fraction=clipped_fraction,
            warnings=warnings,
        )


def as_mono_float32(samples: np.ndarray) -> np.ndarray:
    """Validate and view ``samples`` as 1-D float32; a (n, 1) column is accepted."""
    arr = np.asarray(samples)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"expected mono samples of shape (n,), got shape {arr.shape}")
    return arr.astype(np.float32, copy=False)


def check_quality(
    samples: np.ndarray, samplerate: int, min_seconds: float = DEFAULT_MIN_SECONDS
) -> QualityReport:
    """Judge a whole take held in memory (float32 mono, full scale ±1.0)."""
    meter = QualityMeter(samplerate)
    meter.add(as_mono_float32(samples))
    return meter.report(min_seconds)
