"""Levels in dBFS (decibels relative to full scale, where a sample of ±1.0 is 0 dBFS).

Shared by the level meter in the capture callback and by the quality gate, so the meter and the
gate never disagree about what "silent" means.
"""

from __future__ import annotations

import math

import numpy as np

FLOOR_DBFS = -120.0
"""What digital silence reads as, instead of minus infinity."""

_FLOOR_POWER = 10.0 ** (FLOOR_DBFS / 10.0)


def power_to_dbfs(mean_square: float) -> float:
    """dBFS of a mean square (power); floored at ``FLOOR_DBFS``."""
    return 10.0 * math.log10(max(float(mean_square), _FLOOR_POWER))


def rms_dbfs(block: np.ndarray) -> float:
    """RMS level of one block in dBFS. Cheap enough for the audio callback: one dot product."""
    n = block.shape[0]
    if n == 0:
        return FLOOR_DBFS
    flat = block.reshape(-1)
    return power_to_dbfs(float(np.dot(flat, flat)) / flat.shape[0])


def frame_dbfs(samples: np.ndarray, frame_len: int) -> np.ndarray:
    """dBFS of each complete frame of ``frame_len`` samples; a trailing partial frame is dropped."""
    n = samples.shape[0] // frame_len
    if n == 0:
        return np.empty(0, dtype=np.float64)
    frames = samples[: n * frame_len].reshape(n, frame_len).astype(np.float64)
    power = np.einsum("ij,ij->i", frames, frames) / frame_len
    return 10.0 * np.log10(np.maximum(power, _FLOOR_POWER))
