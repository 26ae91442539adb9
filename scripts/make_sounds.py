"""Synthesises the app's two chimes into assets/sounds/ (run once; the files are committed).

    .venv/bin/python scripts/make_sounds.py

- morning-done.ogg: two bell notes rising a fifth (the morning is finished);
- day-complete.ogg: a soft major arpeggio, resolving to the octave (the evening review is in).

Each note is a small bell: a fundamental with a few quieter, faster-decaying partials, a 5 ms
attack (no click) and an exponential decay. Mono 44.1 kHz Ogg/Vorbis, peak at -6 dBFS, under
two seconds: short enough to confirm, not to interrupt. The samples are the same every run;
the files' bytes differ (Ogg gives each stream a random serial number)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 44_100
OUT = Path(__file__).resolve().parent.parent / "assets" / "sounds"

# (ratio to the fundamental, relative amplitude, decay speed relative to the fundamental's)
PARTIALS = [(1.0, 1.0, 1.0), (2.0, 0.35, 1.8), (3.0, 0.12, 2.6), (4.2, 0.05, 3.4)]


def bell(freq: float, samples: int, decay: float = 3.2) -> np.ndarray:
    t = np.arange(samples) / RATE
    tone = sum(amp * np.sin(2 * np.pi * freq * ratio * t) * np.exp(-decay * speed * t)
               for ratio, amp, speed in PARTIALS)
    attack = np.clip(t / 0.005, 0.0, 1.0)
    return tone * attack


def sequence(notes: list[tuple[float, float]], total: float) -> np.ndarray:
    """notes: (start in seconds, frequency in Hz), mixed over `total` seconds."""
    out = np.zeros(int(total * RATE))
    for start, freq in notes:
        begin = int(start * RATE)
        out[begin:] += bell(freq, len(out) - begin)
    fade = np.linspace(1.0, 0.0, int(0.15 * RATE))  # the tail ends at silence, not mid-wave
    out[-len(fade):] *= fade
    return (out / np.max(np.abs(out)) * 10 ** (-6 / 20)).astype(np.float32)


SOUNDS = {
    "morning-done": sequence([(0.0, 659.25), (0.16, 987.77)], total=1.4),          # E5, B5
    "day-complete": sequence([(0.0, 523.25), (0.14, 659.25), (0.28, 783.99), (0.42, 1046.5)],
                             total=1.8),                                           # C5 E5 G5 C6
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, samples in SOUNDS.items():
        path = OUT / f"{name}.ogg"
        sf.write(path, samples, RATE, format="OGG", subtype="VORBIS")
        print(f"{path.relative_to(OUT.parent.parent)}: {len(samples) / RATE:.2f} s, {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
