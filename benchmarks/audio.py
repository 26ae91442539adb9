"""Audio benchmarks: encoders on 5 minutes of speech, and the capture callback's cost.

    python benchmarks/audio.py [--minutes 5] [--blocks 20000]

Speech is espeak-ng resampled to 48 kHz mono by sox (both Debian packages), cached in the temp
directory. Prints, per format: encode speed as a multiple of real time and bytes per minute of
speech; then the recorder callback's cost per 1024-frame block in µs and as a share of one core
(one block every 21.3 ms at 48 kHz). Numbers vary with the machine; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from chris_app.audio.capture import Recorder
from chris_app.audio.encoder import SPEECH_COMPRESSION_LEVEL, encode_opus

SR = 48000
BLOCK = 1024
TEXT = (
    "I am disciplined. I keep the promises I make to myself. Every morning I read my "
    "affirmations aloud, and every evening I review my day honestly. I choose the hard thing "
    "first. My actions today build the person I become tomorrow. I am grateful, focused and "
    "calm under pressure. "
)


def speech_file(minutes: float, rate: int, channels: int) -> Path:
    """espeak-ng speech, at least ``minutes`` long, as PCM16 WAV at ``rate`` / ``channels``
    (made once with sox, then cached in the temp folder)."""
    text = TEXT * (int(minutes * 60 // 15) + 1)
    key = hashlib.sha256(f"{text}|{rate}|{channels}|bench|v2".encode()).hexdigest()[:16]
    cache = Path(tempfile.gettempdir()) / "chris-app-audio-bench" / f"speech-{key}.wav"
    if not cache.exists():
        cache.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache.parent) as tmp:
            raw, part = Path(tmp) / "raw.wav", Path(tmp) / "part.wav"
            subprocess.run(["espeak-ng", "-w", str(raw), text], check=True, capture_output=True)
            subprocess.run(["sox", str(raw), "-r", str(rate), "-c", str(channels), "-b", "16", str(part)],
                           check=True, capture_output=True)
            part.replace(cache)
    return cache


def speech(minutes: float) -> np.ndarray:
    data, sr = sf.read(str(speech_file(minutes, SR, 1)), dtype="float32")
    assert sr == SR
    return data[: int(minutes * 60 * SR)]


def chunked_write(samples: np.ndarray, path: Path, **fmt) -> float:
    start = time.perf_counter()
    with sf.SoundFile(str(path), "w", SR, 1, **fmt) as f:
        for i in range(0, samples.shape[0], BLOCK):
            f.write(samples[i : i + BLOCK])
    return time.perf_counter() - start


def encoders(samples: np.ndarray, tmp: Path) -> None:
    seconds = samples.shape[0] / SR
    minutes = seconds / 60
    rows = [
        ("WAV PCM16", "x.wav", dict(format="WAV", subtype="PCM_16")),
        ("FLAC 16-bit", "x.flac", dict(format="FLAC", subtype="PCM_16")),
        ("Opus (libsndfile default)", "d.opus", dict(format="OGG", subtype="OPUS")),
        (f"Opus speech (level {SPEECH_COMPRESSION_LEVEL})", "s.opus",
         dict(format="OGG", subtype="OPUS", compression_level=SPEECH_COMPRESSION_LEVEL)),
    ]
    print(f"Encoding {seconds:.0f} s of speech (48 kHz mono), writes of {BLOCK} frames")
    print(f"  {'format':<34} {'× real time':>12} {'bytes/min':>12} {'kbit/s':>8}")
    for name, filename, fmt in rows:
        path = tmp / filename
        took = chunked_write(samples, path, **fmt)
        size = os.path.getsize(path)
        print(f"  {name:<34} {seconds / took:>12.1f} {size / minutes:>12,.0f} "
              f"{size * 8 / seconds / 1000:>8.1f}")
    start = time.perf_counter()
    rec = encode_opus(samples, SR, tmp / "app.ogg")
    took = time.perf_counter() - start
    print(f"  {'encode_opus (+verify, sha256, rename)':<34} {seconds / took:>12.1f} "
          f"{rec.size_bytes / minutes:>12,.0f} {rec.size_bytes * 8 / seconds / 1000:>8.1f}")
    browser = samples[: int(60 * SR)]
    n44 = int(browser.shape[0] * 44100 / SR)
    from44 = np.interp(np.arange(n44) * SR / 44100, np.arange(browser.shape[0]),
                       browser).astype(np.float32)
    start = time.perf_counter()
    encode_opus(from44, 44100, tmp / "web.ogg")
    took = time.perf_counter() - start
    print(f"  {'encode_opus from 44.1 kHz (resampled)':<34} {60 / took:>12.1f}")


class _NullStream:
    def __init__(self, **kwargs):
        self.callback = kwargs["callback"]

    def start(self):
        pass

    def stop(self):
        pass

    def close(self):
        pass


def callback_cost(samples: np.ndarray, blocks: int, tmp: Path) -> None:
    """Times the recorder's real callback with its real background encoder running."""
    recorder = Recorder(tmp / "cb.ogg", stream_factory=_NullStream, max_seconds=10**6)
    recorder.start()
    callback = recorder._callback  # exactly what PortAudio calls
    indata = np.empty((BLOCK, 1), dtype=np.float32)
    period = BLOCK / SR
    costs = []
    n_src = samples.shape[0] // BLOCK
    for k in range(blocks):
        indata[:, 0] = samples[(k % n_src) * BLOCK : (k % n_src + 1) * BLOCK]
        t0 = time.perf_counter_ns()
        callback(indata, BLOCK, None, None)
        costs.append(time.perf_counter_ns() - t0)
        if k % 8 == 7:
            time.sleep(period * 0.5)  # let the writer keep up, roughly as in real time
    recorder.cancel()
    us = np.array(costs) / 1000
    median = statistics.median(us)
    print(f"\nRecorder callback, {blocks} blocks of {BLOCK} frames (period {period * 1e6:.0f} µs), "
          "writer thread encoding concurrently")
    print(f"  median {median:.1f} µs  p99 {np.percentile(us, 99):.1f} µs  max {us.max():.0f} µs")
    print(f"  share of one core at 48 kHz: {median / (period * 1e6) * 100:.3f} % (median), "
          f"{np.percentile(us, 99) / (period * 1e6) * 100:.3f} % (p99)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--blocks", type=int, default=20000)
    args = parser.parse_args()
    samples = speech(args.minutes)
    with tempfile.TemporaryDirectory() as tmp:
        encoders(samples, Path(tmp))
        callback_cost(samples, args.blocks, Path(tmp))


if __name__ == "__main__":
    main()
