"""A take recorded through Flet's AudioRecorder (web build, phones), encoded while it is read.

Browsers ignore the recorder's configured format (headless Chromium streamed 44.1 kHz stereo
when 48 kHz mono was asked for) and Flet does not report the delivered one, so it is inferred
from when the chunks arrive. The known formats differ in byte rate by at least 8.8 %
(44.1 vs 48 kHz); mono and stereo by half.

How a take flows (``WebTake``)::

    on_stream chunk ─▶ feed(): append to the spool file (raw PCM16, on disk) ─▶ FormatClock
                                   │                                             │ confident?
                                   ▼                                             ▼
                       encoder thread reads the spool behind the writer ◀── format decided
                       ─▶ Pcm16Assembler ─▶ QualityMeter + OpusFileWriter (resampled to 48 kHz)

* **The spool is the queue.** Chunks are written to disk as they arrive; the encoder thread
  reads them back in blocks of at most ``READ_BYTES``. A slow phone that falls behind leaves
  the backlog on disk, not in memory, so memory stays the same whatever the length.
* **Deciding the format early** (``FormatClock``): for each known format, the lag of every
  chunk — its arrival time minus when its last byte was captured at that format's byte rate —
  is tracked as a running minimum and maximum. At the true rate the lags stay within the
  arrival jitter; at a rate 8 % off they drift by 8 % of the elapsed time. The format is
  decided once at least ``DECIDE_AFTER_S`` seconds of chunks have arrived and the best
  format's lag spread is below ``DECIDE_SPREAD`` (2.5 %) of that time: on an idle machine
  after ~4 s, with a loaded 2-core machine after ~8 s (measured with Chromium). Deciding
  the wrong neighbour would take jitter above 5 % of the elapsed time shaped like a drift.
* **At stop** the whole take's byte rate (``infer_format``, ±4 %) must agree with the early
  decision; the encoder then only finishes the last blocks. If it disagrees, the partial
  encoding is dropped and the spool is re-encoded at the whole take's format
  (``reencoded``), never saved at the wrong speed. A take too short to decide is encoded at
  stop. A byte rate that fits no format raises ``StreamFormatError``.
* **Killed mid-take** (app killed, tab closed): the spool and its sidecar
  ``stream-<id>.json`` (the caller's ``meta``, the decided format, and a checkpoint of the
  byte count and span, rewritten every ~10 s by the encoder thread) stay behind. ``claim_unfinished`` finds them on the next start;
  ``UnfinishedTake.encode`` re-encodes the spool into a ``Take`` that goes through the same
  gate. A live take holds an exclusive lock on its spool (``flock`` where the platform has
  it, and an in-process registry), so recovery never takes a spool that is still recording.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .encoder import SPEECH_COMPRESSION_LEVEL, OpusFileWriter, Take, _storage_error, try_lock
from .errors import AudioError, EncodingFailed, StreamFormatError
from .levels import FLOOR_DBFS, rms_dbfs
from .quality import QualityMeter
from .stream import BYTES_PER_SAMPLE, Pcm16Assembler

# (sample rate, channels) that browsers and phones deliver for a PCM16 stream.
KNOWN_FORMATS = [(48000, 1), (44100, 1), (48000, 2), (44100, 2), (16000, 1), (24000, 1), (22050, 1)]
MATCH_TOLERANCE = 0.04  # whole-take byte rate vs a format (they are ≥ 8.8 % apart)
DECIDE_AFTER_S = 4.0  # earliest decision: seconds of chunks after the first one
DECIDE_SPREAD = 0.025  # decide once the best format's lags spread less than this × elapsed
READ_BYTES = 1 << 16  # the encoder reads the spool in blocks of at most this (~0.37 s)
CHECKPOINT_BYTES = 10 * 176_400  # sidecar checkpoint every ~10 s of 44.1 kHz stereo
SPOOL_PREFIX = "stream-"
SIDECAR_VERSION = 1

_LIVE: set[str] = set()  # spools recording in this process
_LIVE_LOCK = threading.Lock()


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


class FormatClock:
    """Which known format the chunks' arrival times fit; O(1) memory (two floats per format).

    The first chunk only sets the origin (it carries audio from before it arrived).
    """

    def __init__(self, formats: list[tuple[int, int]] = KNOWN_FORMATS) -> None:
        self.formats = list(formats)
        self._rates = np.array([r * c * BYTES_PER_SAMPLE for r, c in self.formats], dtype=np.float64)
        self._low = np.full(len(self.formats), np.inf)
        self._high = np.full(len(self.formats), -np.inf)
        self.first_at: float | None = None
        self.first_bytes = 0
        self.last_at: float | None = None
        self.bytes = 0

    def add(self, nbytes: int, at: float) -> None:
        self.bytes += nbytes
        if self.first_at is None:
            self.first_at, self.first_bytes, self.last_at = at, nbytes, at
            return
        self.last_at = at
        lag = (at - self.first_at) - (self.bytes - self.first_bytes) / self._rates
        np.minimum(self._low, lag, out=self._low)
        np.maximum(self._high, lag, out=self._high)

    @property
    def span_s(self) -> float:
        """Seconds from the first chunk's arrival to the last one's."""
        return (self.last_at or 0.0) - (self.first_at or 0.0)

    @property
    def measured_bytes(self) -> int:
        """Bytes after the first chunk (the ones ``span_s`` covers)."""
        return self.bytes - self.first_bytes

    def confident(self) -> tuple[int, int] | None:
        """The format, once the arrivals fit one well enough to start encoding; else None."""
        span = self.span_s
        if span < DECIDE_AFTER_S:
            return None
        spread = self._high - self._low
        best = int(np.argmin(spread))
        return self.formats[best] if spread[best] <= DECIDE_SPREAD * span else None

    def whole_take(self) -> tuple[int, int]:
        """The format the whole take's byte rate fits (``StreamFormatError`` if none)."""
        return infer_format(self.measured_bytes, self.span_s)


def _write_json_atomically(path: Path, data: dict) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _encode_spool(
    spool: Path,
    fmt: tuple[int, int],
    writer: OpusFileWriter,
    meter: QualityMeter,
    available: Callable[[int], int | None],
    progress: Callable[[int], None] = lambda offset: None,
) -> None:
    """Reads the spool from its start through the assembler into ``meter`` and ``writer``.

    ``available(offset)`` returns how many bytes may be read (blocking until there is more
    than ``offset``), or None when nothing more will come. Memory: one block at a time.
    """

    def sink(block: np.ndarray) -> None:
        meter.add(block)
        writer.write(block)

    assembler = Pcm16Assembler(*fmt, sink=sink)
    offset = 0
    with open(spool, "rb") as f:
        while (limit := available(offset)) is not None:
            while offset < limit:
                block = f.read(min(READ_BYTES, limit - offset))
                if not block:
                    raise EncodingFailed(detail=f"spool ends at {offset} of {limit} bytes")
                offset += len(block)
                assembler.feed(block)
                progress(offset)


class _Encoding:
    """An OpusFileWriter and QualityMeter fed from the spool, on this thread or a worker."""

    def __init__(self, spool: Path, fmt: tuple[int, int], dest: Path, compression_level: float):
        self.spool = spool
        self.format = fmt
        self.writer = OpusFileWriter(dest, fmt[0], compression_level=compression_level)
        self.meter = QualityMeter(fmt[0])
        self.error: AudioError | None = None
        self.thread: threading.Thread | None = None

    def run(self, available, progress=lambda offset: None, before=lambda: None) -> None:
        try:
            try:
                before()
            except OSError:
                pass  # without the sidecar the take cannot be recovered, but it can be saved
            _encode_spool(self.spool, self.format, self.writer, self.meter, available, progress)
        except AudioError as exc:
            self.error = exc
        except Exception as exc:  # never let the encoder die silently
            self.error = EncodingFailed(detail=f"{type(exc).__name__}: {exc}")

    def start(self, available, progress, before) -> None:
        self.thread = threading.Thread(
            target=self.run, args=(available, progress, before), name="stream-encoder", daemon=True
        )
        self.thread.start()

    def join(self) -> None:
        if self.thread is not None:
            self.thread.join()

    def take(self) -> Take:
        """Closes the Ogg stream (not yet in place) and hands over the take."""
        if self.error is None:
            try:
                self.writer.close()
            except AudioError as exc:
                self.error = exc
        if self.error is not None:
            self.writer.discard()
        return Take(self.writer, self.meter, self.error)


class WebTake:
    """Spools streamed PCM16 chunks and encodes them as they arrive (see the module doc).

    Call ``feed`` for every chunk (cheap: one file append; safe on the event loop), then
    ``finish()`` for the ``Take`` and, once it is saved or refused, ``release()``, which
    removes the spool. ``discard()`` drops everything (cancel).
    """

    def __init__(
        self,
        spool_dir: Path | str,
        dest: Path | str,
        *,
        meta: dict | None = None,
        compression_level: float = SPEECH_COMPRESSION_LEVEL,
    ) -> None:
        spool_dir = Path(spool_dir)
        spool_dir.mkdir(parents=True, exist_ok=True)
        take_id = uuid.uuid4().hex
        self.path = spool_dir / f"{SPOOL_PREFIX}{take_id}.pcm"
        self.sidecar = self.path.with_suffix(".json")
        self.dest = Path(dest)
        self.meta = dict(meta or {})
        self._compression_level = compression_level
        self.clock = FormatClock()
        self.format: tuple[int, int] | None = None  # decided (early, or at stop)
        self.reencoded = False  # the early decision was overturned at stop
        self.level_dbfs = FLOOR_DBFS
        self.last_chunk_at: float | None = None
        self._spool_error: AudioError | None = None  # the spool could not be written
        self._encoding: _Encoding | None = None
        self._cond = threading.Condition()
        self._written = 0  # bytes in the spool
        self._encoded = 0  # bytes the encoder has read
        self._closing = False  # no more chunks: the encoder drains and stops
        self._abort = False
        self._finished = False
        self._checkpoint_at = 0
        try:
            self._write_sidecar()
            self._fd: int | None = os.open(
                self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600
            )
        except OSError as exc:
            self.sidecar.unlink(missing_ok=True)
            raise _storage_error(spool_dir, exc) from exc
        try_lock(self._fd)
        with _LIVE_LOCK:
            _LIVE.add(str(self.path))

    # -- the event loop's side ----------------------------------------------------------------

    @property
    def error(self) -> AudioError | None:
        """Set once the take cannot be saved (the disk filled up): the UI may stop early and
        show ``error.message``."""
        if self._spool_error is not None:
            return self._spool_error
        encoding = self._encoding
        return encoding.error if encoding is not None else None

    @property
    def bytes_received(self) -> int:
        return self.clock.bytes

    @property
    def encoded_bytes(self) -> int:
        """Bytes of the spool the encoder has consumed (for tests and benchmarks)."""
        with self._cond:
            return self._encoded

    def feed(self, chunk: bytes, at: float) -> None:
        """Appends one chunk that arrived at monotonic time ``at`` (seconds)."""
        if self._finished or self._spool_error is not None or not chunk:
            return
        data = memoryview(chunk)
        try:
            while data:
                data = data[os.write(self._fd, data) :]
        except OSError as exc:
            self._spool_error = _storage_error(self.path.parent, exc)
            return
        self.last_chunk_at = at
        with self._cond:
            self.clock.add(len(chunk), at)
            self._written += len(chunk)
            self._cond.notify()
        usable = len(chunk) - len(chunk) % BYTES_PER_SAMPLE
        if usable:
            pcm = np.frombuffer(chunk, dtype="<i2", count=usable // BYTES_PER_SAMPLE)
            self.level_dbfs = rms_dbfs(pcm.astype(np.float32) / 32768.0)
        if self.format is None and (fmt := self.clock.confident()) is not None:
            self._start_encoding(fmt)

    def _start_encoding(self, fmt: tuple[int, int]) -> None:
        self.format = fmt
        try:
            self._encoding = _Encoding(self.path, fmt, self.dest, self._compression_level)
        except AudioError as exc:
            self._spool_error = exc
            return
        # The thread first records the format beside the spool (fsynced), so a take killed
        # from here on can be recovered, then reads the spool from its start.
        self._encoding.start(self._available, self._progress, self._write_sidecar)

    # -- the encoder thread's side ------------------------------------------------------------

    def _available(self, offset: int) -> int | None:
        with self._cond:
            while True:
                if self._abort:
                    return None
                if self._written > offset:
                    return self._written
                if self._closing:
                    return None
                self._cond.wait()

    def _progress(self, offset: int) -> None:
        with self._cond:
            self._encoded = offset
            checkpoint = offset - self._checkpoint_at >= CHECKPOINT_BYTES
            if checkpoint:
                self._checkpoint_at = offset
                state = self._sidecar_state()
        if checkpoint:
            try:
                _write_json_atomically(self.sidecar, state)
            except OSError:
                pass  # the earlier sidecar (with the format) stays; recovery still works

    def _sidecar_state(self) -> dict:
        return {
            "version": SIDECAR_VERSION,
            "meta": self.meta,
            "format": list(self.format) if self.format else None,
            "bytes": self.clock.measured_bytes,
            "span_s": self.clock.span_s,
        }

    def _write_sidecar(self) -> None:
        with self._cond:
            state = self._sidecar_state()
        _write_json_atomically(self.sidecar, state)

    # -- stop, cancel -------------------------------------------------------------------------

    def _stop_encoder(self, abort: bool) -> None:
        with self._cond:
            self._closing = True
            self._abort = self._abort or abort
            self._cond.notify_all()
        if self._encoding is not None:
            self._encoding.join()

    def finish(self) -> Take:
        """Ends the take: checks the format against the whole take and returns its ``Take``.

        Raises ``StreamFormatError`` (no known format fits) or the spool's write error; the
        partial encoding is dropped then. The spool stays until ``release()``.
        """
        if self._finished:
            raise EncodingFailed(detail="finish() called twice")
        self._finished = True
        try:
            if self._spool_error is not None:
                raise self._spool_error
            with self._cond:
                whole = self.clock.whole_take()
        except AudioError:
            self._drop_encoding()
            raise
        if self._encoding is not None and whole == self.format:
            self._stop_encoder(abort=False)  # only the last blocks are left
            encoding, self._encoding = self._encoding, None
            return encoding.take()  # the Take owns the writer now
        # Decided wrongly (or not yet): encode the spool again at the whole take's format.
        self.reencoded = self._encoding is not None
        self._drop_encoding()
        self.format = whole
        try:
            self._write_sidecar()
        except OSError:
            pass
        encoding = _Encoding(self.path, whole, self.dest, self._compression_level)
        total = self._written
        encoding.run(lambda offset: total if offset < total else None)
        return encoding.take()

    def _drop_encoding(self) -> None:
        self._stop_encoder(abort=True)
        if self._encoding is not None:
            self._encoding.writer.discard()
            self._encoding = None

    def release(self) -> None:
        """Removes the spool and its sidecar (after the take was saved or refused)."""
        self._finished = True
        self._drop_encoding()  # an encoding no Take took over (finish() not called)
        fd, self._fd = self._fd, None
        self.sidecar.unlink(missing_ok=True)
        self.path.unlink(missing_ok=True)
        if fd is not None:
            os.close(fd)  # also releases the lock, after the files are gone
        with _LIVE_LOCK:
            _LIVE.discard(str(self.path))

    def discard(self) -> None:
        """Cancel: drops the partial encoding and the spool; nothing is saved."""
        self._finished = True
        self._drop_encoding()
        self.release()


@dataclass
class UnfinishedTake:
    """A spool a previous run left behind, locked for this process until ``remove()``."""

    path: Path
    sidecar: Path
    meta: dict
    format: tuple[int, int] | None  # None: killed before the format could be known
    size_bytes: int
    _fd: int | None

    def encode(self, dest: Path | str, *, compression_level: float = SPEECH_COMPRESSION_LEVEL) -> Take:
        """Re-encodes the whole spool (bounded memory, one block at a time) into a ``Take``."""
        if self.format is None:
            raise StreamFormatError(detail="the take ended before its format was known")
        encoding = _Encoding(self.path, self.format, Path(dest), compression_level)
        total = self.path.stat().st_size
        encoding.run(lambda offset: total if offset < total else None)
        return encoding.take()

    def remove(self) -> None:
        self.sidecar.unlink(missing_ok=True)
        self.path.unlink(missing_ok=True)
        self.release()

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def _recovered_format(state: dict) -> tuple[int, int] | None:
    """The format a killed take was recorded in: the checkpoint's byte rate, else the early
    decision."""
    try:
        return infer_format(int(state.get("bytes") or 0), float(state.get("span_s") or 0.0))
    except (StreamFormatError, TypeError, ValueError):
        pass
    fmt = state.get("format")
    if isinstance(fmt, list) and len(fmt) == 2 and tuple(fmt) in KNOWN_FORMATS:
        return (int(fmt[0]), int(fmt[1]))
    return None


def claim_unfinished(spool_dir: Path | str, *, min_span_s: float = DECIDE_AFTER_S) -> list[UnfinishedTake]:
    """Spools left by a run that ended mid-take, each locked for the caller.

    Spools that are still recording (here or in another process) are left alone. Leftovers
    that cannot be a take (a sidecar without its spool or the reverse) are removed. A
    checkpoint shorter than ``min_span_s`` is not trusted over the early decision.
    """
    directory = Path(spool_dir)
    if not directory.is_dir():
        return []
    claimed: list[UnfinishedTake] = []
    seen: set[Path] = set()
    for sidecar in sorted(directory.glob(f"{SPOOL_PREFIX}*.json")):
        spool = sidecar.with_suffix(".pcm")
        seen.add(spool)
        with _LIVE_LOCK:
            if str(spool) in _LIVE:
                continue
        try:
            fd = os.open(spool, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        except FileNotFoundError:
            sidecar.unlink(missing_ok=True)  # the spool was removed, its sidecar was not
            continue
        if not try_lock(fd):
            os.close(fd)
            continue  # recording in another process
        try:
            state = json.loads(sidecar.read_text())
            meta = state.get("meta") or {}
            if state.get("span_s", 0) < min_span_s:
                state = {**state, "bytes": 0, "span_s": 0}
            fmt = _recovered_format(state)
        except (OSError, ValueError, AttributeError):
            meta, fmt = {}, None
        claimed.append(UnfinishedTake(spool, sidecar, meta, fmt, os.fstat(fd).st_size, fd))
    for spool in directory.glob(f"{SPOOL_PREFIX}*.pcm"):
        if spool in seen:
            continue
        with _LIVE_LOCK:
            if str(spool) in _LIVE:
                continue
        try:
            fd = os.open(spool, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        except FileNotFoundError:
            continue
        try:
            if try_lock(fd):
                spool.unlink(missing_ok=True)  # no sidecar: nothing says what it is
        finally:
            os.close(fd)
    return claimed


def has_unfinished(spool_dir: Path | str) -> bool:
    """Cheap check for start-up: is there any spool that may need recovering?"""
    directory = Path(spool_dir)
    return directory.is_dir() and any(directory.glob(f"{SPOOL_PREFIX}*.*"))
