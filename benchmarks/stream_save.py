"""Stop → reading saved on the browser/phone path: encoding while streaming vs at stop.

    python benchmarks/stream_save.py [--minutes 5 15]

For each length, two takes of espeak-ng speech as 44.1 kHz stereo PCM16 (what Chromium
streams), in 8192-byte chunks with the arrival times they would have in real time, each in a
fresh process so its memory figures are its own:

* **old** (baseline): the path before encoding-while-streaming — chunks spooled to disk, and at
  stop the spool read back into memory, downmixed, judged and encoded (``save_samples``);
* **new**: ``recordings.new_stream_take`` + ``feed`` (encoded while fed) and
  ``recordings.save_stream_take`` at stop.

Both end in the same store transaction. The chunks are fed faster than real time; the new
path's feeder waits for the encoder to catch up (a state, not a sleep) before the last 0.5 s
of audio, then stops at once, so it stops with a backlog of 0.5 s (in real time the encoder
trails by one chunk, 46 ms). Printed per take: stop → saved (s); the process's peak RSS during
the save above its RSS at stop (MB, Linux ``VmHWM`` reset through ``/proc/self/clear_refs``);
peak RSS over the whole take above the start; CPU while recording as a share of one core in
real time. Then new/old ratios. Nothing is asserted; the numbers vary with the machine and its
load (printed).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import soundfile as sf

from audio import speech_file  # benchmarks/audio.py: one speech sample maker

ROOT = Path(__file__).resolve().parents[1]
GOAL_STOP_S, GOAL_SAVE_MB = 0.5, 50.0  # whatever the take's length (docs/performance.md)
RATE, CHANNELS = 44100, 2
BYTE_RATE = RATE * CHANNELS * 2
CHUNK = 8192
TAIL_S = 0.5


def speech_wav(minutes: float) -> Path:
    """espeak-ng speech, at least ``minutes`` long, as 44.1 kHz stereo PCM16 (cached)."""
    return speech_file(minutes, RATE, CHANNELS)


def chunks(wav: Path, seconds: float):
    """(chunk, arrival time) for the first ``seconds``, read from disk as they are needed."""
    total = int(seconds * RATE) * CHANNELS * 2
    sent = 0
    with sf.SoundFile(str(wav)) as f:
        while sent < total:
            block = f.read(CHUNK // 4, dtype="int16")
            if not len(block):
                raise SystemExit(f"{wav} is shorter than {seconds} s")
            data = block.tobytes()[: total - sent]
            sent += len(data)
            yield data, 0.45 + sent / BYTE_RATE


def rss_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class OldWebTake:
    """The stream path before encoding-while-streaming (kept here as the baseline): chunks are
    spooled, and at stop read back whole into memory as float32 mono."""

    def __init__(self, spool_dir: Path) -> None:
        from chris_app.audio.web_take import infer_format

        self._infer = infer_format
        fd, name = tempfile.mkstemp(dir=spool_dir, prefix=".web-take.", suffix=".part")
        self.path = Path(name)
        self._file = os.fdopen(fd, "wb")
        self.bytes_received = 0
        self._first_at = self._last_at = None
        self._first_bytes = 0

    def feed(self, chunk: bytes, at: float) -> None:
        if self._first_at is None:
            self._first_at, self._first_bytes = at, len(chunk)
        self._last_at = at
        self._file.write(chunk)
        self.bytes_received += len(chunk)

    def finish(self):
        from chris_app.audio.stream import Pcm16Assembler

        self._file.close()
        try:
            rate, channels = self._infer(self.bytes_received - self._first_bytes,
                                         self._last_at - self._first_at)
            assembler = Pcm16Assembler(rate, channels)
            with self.path.open("rb") as spool:
                for block in iter(lambda: spool.read(1 << 20), b""):
                    assembler.feed(block)
            return assembler.samples(), rate
        finally:
            self.path.unlink(missing_ok=True)


def run_take(path: str, minutes: float, data_dir: str) -> dict:
    """One take in this (fresh) process; returns its figures."""
    from chris_app.services import recordings
    from chris_app.services.profile import ensure_profile
    from chris_app.store import open_store
    from datetime import datetime, timezone

    now = datetime(2026, 6, 10, 3, 30, tzinfo=timezone.utc)
    store = open_store(Path(data_dir) / "chris.sqlite3")
    ensure_profile(store, now, "Europe/Berlin")
    wav = speech_wav(minutes)
    seconds = minutes * 60
    rss_start = rss_mb("VmRSS")
    reset_peak_rss()
    cpu0, wall0 = cpu_s(), time.perf_counter()
    tail_from = (seconds - TAIL_S) * BYTE_RATE
    if path == "new":
        take = recordings.new_stream_take(store, now)
        waited = False
        for chunk, at in chunks(wav, seconds):
            if not waited and take.bytes_received + len(chunk) > tail_from:
                while take.encoded_bytes < take.bytes_received:  # the encoder catches up
                    time.sleep(0.005)
                waited = True
            take.feed(chunk, at)
    else:
        recordings.recordings_dir(store).mkdir(parents=True, exist_ok=True)
        take = OldWebTake(recordings.recordings_dir(store))
        for chunk, at in chunks(wav, seconds):
            take.feed(chunk, at)
    record_cpu = cpu_s() - cpu0
    record_peak = rss_mb("VmHWM") - rss_start

    rss_at_stop = rss_mb("VmRSS")
    exact_peak = reset_peak_rss()
    start = time.perf_counter()
    if path == "new":
        rec = recordings.save_stream_take(store, now, take)
    else:
        samples, rate = take.finish()
        rec = recordings.save_samples(store, now, samples, rate)
    stop_to_saved = time.perf_counter() - start
    save_peak = rss_mb("VmHWM") - rss_at_stop
    info = sf.info(str(rec.path))
    return {
        "path": path,
        "minutes": minutes,
        "stop_to_saved_s": stop_to_saved,
        "save_peak_rss_mb": save_peak if exact_peak else float("nan"),
        "take_peak_rss_mb": max(record_peak, rss_mb("VmHWM") - rss_start),
        "record_cpu_share": record_cpu / seconds,
        "feed_wall_s": time.perf_counter() - wall0 - stop_to_saved,
        "duration_s": info.frames / info.samplerate,
        "size_bytes": rec.size_bytes,
    }


def child(path: str, minutes: float) -> dict:
    with tempfile.TemporaryDirectory() as data_dir:
        out = subprocess.run(
            [sys.executable, __file__, "--child", path, str(minutes), data_dir],
            cwd=ROOT, check=True, capture_output=True, text=True,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[5.0, 15.0])
    parser.add_argument("--child", nargs=3, metavar=("PATH", "MINUTES", "DATA_DIR"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        path, minutes, data_dir = args.child
        print(json.dumps(run_take(path, float(minutes), data_dir)))
        return
    speech_wav(max(args.minutes))  # synthesize once, outside the timings
    print(f"Browser/phone path, 44.1 kHz stereo PCM16 in {CHUNK}-byte chunks; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    print(f"  {'take':<29} {'stop→saved s':>12} {'save +RSS MB':>12} {'take peak MB':>12} "
          f"{'rec. CPU':>9} {'saved s':>8} {'bytes':>10}")
    for minutes in args.minutes:
        pair = {path: child(path, minutes) for path in ("old", "new")}
        for path, name in (("old", "old (encode at stop)"), ("new", "new (streamed)")):
            r = pair[path]
            print(f"  {minutes:>4g} min {name:<20} {r['stop_to_saved_s']:>12.3f} "
                  f"{r['save_peak_rss_mb']:>12.1f} {r['take_peak_rss_mb']:>12.1f} "
                  f"{r['record_cpu_share'] * 100:>8.1f}% {r['duration_s']:>8.1f} {r['size_bytes']:>10,}")
        old, new = pair["old"], pair["new"]
        print(f"  {minutes:>4g} min new/old: stop→saved ×{new['stop_to_saved_s'] / old['stop_to_saved_s']:.4f} "
              f"({old['stop_to_saved_s'] / new['stop_to_saved_s']:.0f}× faster); save +RSS "
              f"{new['save_peak_rss_mb']:.1f} vs {old['save_peak_rss_mb']:.1f} MB "
              f"(×{new['save_peak_rss_mb'] / max(old['save_peak_rss_mb'], 1e-9):.3f})")
        met = new["stop_to_saved_s"] < GOAL_STOP_S and new["save_peak_rss_mb"] < GOAL_SAVE_MB
        print(f"  {minutes:>4g} min goal: stop→saved < {GOAL_STOP_S:g} s and save < +{GOAL_SAVE_MB:g} MB: "
              f"{'met' if met else 'NOT met'}")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
