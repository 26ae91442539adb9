"""Streaming sample-rate conversion for rates Opus does not take (44.1 kHz from browsers).

Opus (and so libsndfile's Ogg/Opus writer) accepts only 8, 12, 16, 24 and 48 kHz. A browser
microphone usually delivers 44.1 kHz, so those chunks are converted to 48 kHz as they arrive.

Method: polyphase windowed-sinc (Kaiser, 32 taps per phase), exact rational positions, so the
output of any chunking is the same and its length is exactly n_in × out / in, rounded half up.
Good enough for speech; not a mastering-grade converter.
"""

from __future__ import annotations

from math import gcd

import numpy as np

OPUS_RATES = (8000, 12000, 16000, 24000, 48000)

_HALF_TAPS = 16
_KAISER_BETA = 8.0
_ROLLOFF = 0.94


def opus_rate_for(samplerate: int) -> int:
    """The rate to encode at: the input rate if Opus takes it, else 48 kHz."""
    return samplerate if samplerate in OPUS_RATES else 48000


def _phase_table(up: int, down: int) -> np.ndarray:
    """Filter taps for each of the ``up`` fractional positions, shape (up, 2 * _HALF_TAPS)."""
    cutoff = _ROLLOFF * min(1.0, up / down)  # relative to the input Nyquist
    k = np.arange(-_HALF_TAPS + 1, _HALF_TAPS + 1, dtype=np.float64)  # taps around floor(t)
    frac = np.arange(up, dtype=np.float64)[:, None] / up
    x = k[None, :] - frac  # distance of each tap from the output instant, in input samples
    window = np.kaiser(2 * _HALF_TAPS + 1, _KAISER_BETA)
    w = np.interp(x, np.linspace(-_HALF_TAPS, _HALF_TAPS, window.size), window)
    taps = cutoff * np.sinc(cutoff * x) * w
    taps /= taps.sum(axis=1, keepdims=True)  # unity gain at DC for every phase
    return taps.astype(np.float32)


class Resampler:
    """Converts consecutive float32 mono blocks from ``rate_in`` to ``rate_out``."""

    def __init__(self, rate_in: int, rate_out: int) -> None:
        if rate_in <= 0 or rate_out <= 0:
            raise ValueError("sample rates must be positive")
        g = gcd(rate_in, rate_out)
        self.rate_in, self.rate_out = rate_in, rate_out
        self._up, self._down = rate_out // g, rate_in // g
        self._passthrough = rate_in == rate_out
        self._table = None if self._passthrough else _phase_table(self._up, self._down)
        # History starts with _HALF_TAPS zeros so the first output sample is centred on input 0.
        self._buf = np.zeros(_HALF_TAPS - 1, dtype=np.float32)
        self._pos = (_HALF_TAPS - 1) * self._up  # next output instant, in 1/up input samples
        self._n_in = 0
        self._n_out = 0

    def process(self, block: np.ndarray) -> np.ndarray:
        block = np.asarray(block, dtype=np.float32).reshape(-1)
        self._n_in += block.shape[0]
        if self._passthrough:
            self._n_out += block.shape[0]
            return block
        self._buf = np.concatenate((self._buf, block))
        return self._drain(limit=None)

    def flush(self) -> np.ndarray:
        """The tail: pads with zeros; the total is n_in × rate_out / rate_in, rounded half up."""
        if self._passthrough:
            return np.empty(0, dtype=np.float32)
        self._buf = np.concatenate((self._buf, np.zeros(_HALF_TAPS, dtype=np.float32)))
        target = (self._n_in * self._up * 2 + self._down) // (2 * self._down)
        return self._drain(limit=max(0, target - self._n_out))

    def _drain(self, limit: int | None) -> np.ndarray:
        # Output k needs input samples floor(t) - 15 .. floor(t) + 16.
        last_ok = self._buf.shape[0] - _HALF_TAPS - 1
        if last_ok < 0 or self._pos // self._up > last_ok:
            n = 0
        else:
            n = ((last_ok + 1) * self._up - self._pos + self._down - 1) // self._down
        if limit is not None:
            n = min(n, limit)
        if n <= 0:
            return np.empty(0, dtype=np.float32)
        pos = self._pos + self._down * np.arange(n, dtype=np.int64)
        base = pos // self._up
        phase = pos % self._up
        idx = base[:, None] + np.arange(-_HALF_TAPS + 1, _HALF_TAPS + 1)[None, :]
        out = np.einsum("ij,ij->i", self._buf[idx], self._table[phase]).astype(np.float32)
        self._pos += self._down * n
        self._n_out += n
        # Drop input no longer needed by any future output.
        keep_from = max(0, self._pos // self._up - _HALF_TAPS + 1)
        self._buf = self._buf[keep_from:]
        self._pos -= keep_from * self._up
        return out
