"""Ogg/Opus encoding at speech quality, written so a failure never costs the previous file.

Every write goes to a hidden temp file in the destination's directory (same filesystem), is
closed, checked (it decodes, and holds as many frames as were written), hashed, and only then
``os.replace``d over the destination — an atomic rename on POSIX and Windows. A full disk or any
other failure deletes the temp file and leaves whatever was at ``dest`` untouched.

Three ways in:

* ``encode_opus(samples, samplerate, dest)`` — a whole take already in memory;
* ``OpusFileWriter`` — the same, block by block, on the caller's thread;
* ``BackgroundOpusWriter`` — a writer thread fed through a queue while recording, so stopping
  only waits for the last few blocks. It also runs the quality gate's meter on the same blocks
  and ends in a ``Take`` the caller either ``save()``s or ``discard()``s.

Speech quality: libsndfile 1.2.2 maps ``compression_level`` c to about (1 − c) × 250 + 6 kbit/s
per channel for Opus; 0.93 gives ~23.5 kbit/s, measured at ~180 KB per minute of speech with the
Ogg overhead (budget: 200 KB/min). Inputs at rates Opus lacks (44.1 kHz) are resampled to 48 kHz.
"""

from __future__ import annotations

import errno
import hashlib
import os
import queue
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

try:  # POSIX (desktops, Android, iOS)
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, the sweep is as before
    fcntl = None

from .errors import AudioError, EncodingFailed, StorageFull
from .quality import DEFAULT_MIN_SECONDS, QualityMeter, QualityReport, as_mono_float32
from .metrics import ReadingMetrics, meter_metrics
from .resample import Resampler, opus_rate_for

SPEECH_COMPRESSION_LEVEL = 0.93
CHUNK_FRAMES = 4096  # libsndfile gets bounded writes (one huge write can crash the Vorbis path)
MIME = "audio/ogg"
_LOW_SPACE_BYTES = 1 << 20
_FRAME_TOLERANCE_S = 0.020


@dataclass(frozen=True)
class EncodedRecording:
    """What the session row stores about a saved recording."""

    path: Path
    duration_ms: int  # from the number of input samples, not from the container
    samplerate: int  # of the encoded file (48000 unless the input was another Opus rate)
    size_bytes: int
    sha256: str  # hex digest of the file's bytes
    mime: str = MIME


def _storage_error(directory: Path, exc: BaseException) -> AudioError:
    if isinstance(exc, AudioError):
        return exc
    code = getattr(exc, "errno", None)
    full = code in (errno.ENOSPC, errno.EDQUOT)
    if not full:
        # libsndfile reports a full disk only as "System error": look at the disk itself.
        try:
            full = shutil.disk_usage(directory).free < _LOW_SPACE_BYTES
        except OSError:
            pass
    cls = StorageFull if full else EncodingFailed
    return cls(detail=f"{type(exc).__name__}: {exc}")


def _sha256_and_fsync(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
        os.fsync(f.fileno())
    return digest.hexdigest(), size


def try_lock(fd: int) -> bool:
    """Takes an exclusive lock on the open file ``fd`` without waiting; False if another
    open file (in this process or another) holds it. The lock goes with the file's close or
    the process's death, even a SIGKILL. True where the platform has no ``flock``."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _fsync_directory(directory: Path) -> None:
    if os.name != "posix":
        return  # Windows cannot open a directory; os.replace is still atomic there
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class OpusFileWriter:
    """Encodes float32 mono blocks to a temp file beside ``dest``; ``commit()`` moves it in place.

    Use as a context manager: leaving the block with an exception discards the temp file.
    """

    def __init__(
        self,
        dest: Path | str,
        samplerate: int,
        *,
        compression_level: float = SPEECH_COMPRESSION_LEVEL,
    ) -> None:
        if samplerate <= 0:
            raise ValueError(f"samplerate must be positive, got {samplerate}")
        self.dest = Path(dest)
        self.input_rate = samplerate
        self.samplerate = opus_rate_for(samplerate)
        self._resampler = Resampler(samplerate, self.samplerate)
        self.frames_in = 0
        self.frames_out = 0
        self._file: sf.SoundFile | None = None
        self._closed = False
        directory = self.dest.parent
        try:  # the name pattern is what sweep_temp_files() looks for
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{self.dest.name}.", suffix=".part")
        except OSError as exc:
            raise _storage_error(directory, exc) from exc
        self.temp_path = Path(tmp)
        self._lock_fd: int | None = fd  # held while writing: another start's sweep skips it
        try_lock(fd)
        try:
            self._file = sf.SoundFile(
                tmp,
                "w",
                samplerate=self.samplerate,
                channels=1,
                format="OGG",
                subtype="OPUS",
                compression_level=compression_level,
            )
        except Exception as exc:
            self._remove_temp()
            raise _storage_error(directory, exc) from exc

    def write(self, samples: np.ndarray) -> None:
        block = as_mono_float32(samples)
        if self._closed:
            raise EncodingFailed(detail="write after close")
        self.frames_in += block.shape[0]
        self._write_out(self._resampler.process(block))

    def _write_out(self, out: np.ndarray) -> None:
        if not out.size:
            return
        out = np.nan_to_num(out, copy=False, nan=0.0, posinf=1.0, neginf=-1.0)
        try:
            for i in range(0, out.shape[0], CHUNK_FRAMES):
                self._file.write(out[i : i + CHUNK_FRAMES])
        except Exception as exc:
            self.discard()
            raise _storage_error(self.dest.parent, exc) from exc
        self.frames_out += out.shape[0]

    def close(self) -> None:
        """Finishes the Ogg stream; the temp file is complete but not yet in place."""
        if self._closed:
            return
        try:
            self._write_out(self._resampler.flush())
            self._file.close()
        except Exception as exc:
            self.discard()
            raise _storage_error(self.dest.parent, exc) from exc
        self._closed = True

    @property
    def duration_ms(self) -> int:
        return round(self.frames_in * 1000 / self.input_rate)

    def commit(self) -> EncodedRecording:
        """Closes, verifies, hashes and atomically replaces ``dest``; discards on any failure."""
        self.close()
        try:
            info = sf.info(str(self.temp_path))
            if abs(info.frames - self.frames_out) > _FRAME_TOLERANCE_S * self.samplerate:
                raise EncodingFailed(
                    detail=f"file holds {info.frames} frames, {self.frames_out} were written"
                )
            sha256, size = _sha256_and_fsync(self.temp_path)
            os.replace(self.temp_path, self.dest)
        except Exception as exc:
            self._remove_temp()
            raise _storage_error(self.dest.parent, exc) from exc
        self._unlock()
        try:
            _fsync_directory(self.dest.parent)
        except OSError:
            pass  # the rename happened; durability of the directory entry is best effort
        return EncodedRecording(
            path=self.dest,
            duration_ms=self.duration_ms,
            samplerate=self.samplerate,
            size_bytes=size,
            sha256=sha256,
        )

    def discard(self) -> None:
        """Drops the temp file; ``dest`` is untouched. Safe to call more than once."""
        if self._file is not None and not self._file.closed:
            try:
                self._file.close()
            except Exception:
                pass
        self._closed = True
        self._remove_temp()

    def _remove_temp(self) -> None:
        try:
            os.unlink(self.temp_path)
        except (FileNotFoundError, AttributeError):
            pass
        self._unlock()

    def _unlock(self) -> None:
        fd, self._lock_fd = getattr(self, "_lock_fd", None), None
        if fd is not None:
            os.close(fd)

    def __del__(self) -> None:
        self._unlock()  # a writer dropped undecided: its temp file is left to the next sweep

    def __enter__(self) -> OpusFileWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.discard()


def sweep_temp_files(directory: Path | str) -> int:
    """Deletes temp files left by a crash or power cut mid-recording; returns how many.

    Call at start-up. A temp file that a recorder is still writing (in another process, or
    this one) is locked and left alone.
    """
    removed = 0
    for path in Path(directory).glob(".*.part"):
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        except OSError:
            continue
        try:
            if not try_lock(fd):
                continue
            path.unlink()
            removed += 1
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


def encode_opus(
    samples: np.ndarray,
    samplerate: int,
    dest: Path | str,
    *,
    compression_level: float = SPEECH_COMPRESSION_LEVEL,
) -> EncodedRecording:
    """Encodes a whole float32 mono take to Ogg/Opus at ``dest``, atomically."""
    block = as_mono_float32(samples)
    with OpusFileWriter(dest, samplerate, compression_level=compression_level) as writer:
        for i in range(0, block.shape[0], CHUNK_FRAMES * 16):
            writer.write(block[i : i + CHUNK_FRAMES * 16])
        return writer.commit()


class Take:
    """A finished recording waiting for a decision: ``save()`` it or ``discard()`` it.

    ``error`` is set when encoding failed part-way (e.g. a full disk); such a take cannot be
    saved. ``fault`` is set by the recorder when capture ended abnormally (device lost) but what
    was captured is still usable.
    """

    def __init__(self, writer: OpusFileWriter | None, meter: QualityMeter,
                 error: AudioError | None, fault: AudioError | None = None) -> None:
        self._writer = writer
        self._meter = meter
        self.error = error
        self.fault = fault
        self.saved: EncodedRecording | None = None

    @property
    def duration_s(self) -> float:
        return self._meter.samples / self._meter.samplerate

    def quality(self, min_seconds: float = DEFAULT_MIN_SECONDS) -> QualityReport:
        return self._meter.report(min_seconds)

    def metrics(self) -> ReadingMetrics:
        """Duration, speaking time and loudness, from the frames the gate was fed."""
        return meter_metrics(self._meter)

    def save(self) -> EncodedRecording:
        """Moves the encoded take over its destination (raises the encoding error, if any)."""
        if self.saved is not None:
            return self.saved
        if self.error is not None or self._writer is None:
            raise self.error or EncodingFailed()
        self.saved = self._writer.commit()
        return self.saved

    def discard(self) -> None:
        if self._writer is not None and self.saved is None:
            self._writer.discard()


_STOP = None


class BackgroundOpusWriter:
    """Encodes blocks on a writer thread while they are being captured.

    ``put`` only appends to a ``queue.SimpleQueue`` (no lock shared with anyone, never blocks),
    so it may be called from an audio callback. ``finish()`` waits for the backlog — a few
    blocks when the thread keeps up — and returns a ``Take``.
    """

    def __init__(
        self,
        dest: Path | str,
        samplerate: int,
        *,
        compression_level: float = SPEECH_COMPRESSION_LEVEL,
    ) -> None:
        self._writer: OpusFileWriter | None = OpusFileWriter(
            dest, samplerate, compression_level=compression_level
        )
        self.meter = QualityMeter(samplerate)
        self.error: AudioError | None = None
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="opus-writer", daemon=True)
        self._thread.start()
        self._finished = False

    def put(self, block: np.ndarray) -> None:
        """Hands over a block the caller will not touch again (pass a copy)."""
        self._queue.put(block)

    def _run(self) -> None:
        while True:
            block = self._queue.get()
            if block is _STOP:
                return
            if self.error is not None:
                continue  # keep draining so finish() never waits on a full queue
            try:
                self.meter.add(block)
                self._writer.write(block)
            except AudioError as exc:
                self.error = exc
            except Exception as exc:  # never let the thread die silently
                self.error = EncodingFailed(detail=f"{type(exc).__name__}: {exc}")

    def _stop_thread(self) -> None:
        if not self._finished:
            self._finished = True
            self._queue.put(_STOP)
            self._thread.join()

    def finish(self) -> Take:
        """Stops the thread after the backlog and closes the Ogg stream (not yet in place)."""
        self._stop_thread()
        if self.error is None:
            try:
                self._writer.close()
            except AudioError as exc:
                self.error = exc
        if self.error is not None:
            self._writer.discard()
        return Take(self._writer, self.meter, self.error)

    def abort(self) -> None:
        """Stops and drops everything written so far."""
        self._stop_thread()
        self._writer.discard()
