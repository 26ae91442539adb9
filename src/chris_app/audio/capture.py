"""Desktop microphone capture through sounddevice (PortAudio).

The PortAudio callback (``Recorder._callback``) does three things and nothing else: copies the
block (the only allocation), computes its RMS for the level meter, and appends the copy to the
encoder's ``queue.SimpleQueue``. No disk I/O, no locks the UI holds; the UI only reads plain
attributes (``state``, ``level_dbfs``, ``elapsed_s``). Encoding happens on the writer thread of
``BackgroundOpusWriter``, so ``stop()`` is instant.

Tests drive the very same callback without PortAudio by passing ``stream_factory``: any callable
taking sounddevice's ``InputStream`` keyword arguments and returning an object with ``start()``,
``stop()`` and ``close()``.

Recorder states (``RecorderState``)::

    IDLE ──start()──▶ RECORDING ◀──resume()── PAUSED
                        │  └────pause()──────────▲
                        ├── max length reached ──▶ LIMIT_REACHED ─┐
                        ├── device stopped/lost ─▶ DEVICE_LOST ───┤ stop() → Take
                        ├── stop() ──────────────▶ STOPPED ◀──────┘
                        └── cancel() ────────────▶ CANCELLED  (from any state but STOPPED)

While PAUSED the microphone stays open but blocks are dropped (the meter reads silence), so
resuming cannot fail on a device that was grabbed by another app meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np

from .encoder import SPEECH_COMPRESSION_LEVEL, BackgroundOpusWriter, Take
from .errors import AudioError, DeviceLost, NoInputDevice, RecorderStateError
from .levels import FLOOR_DBFS, rms_dbfs

DEFAULT_SAMPLERATE = 48000
FALLBACK_SAMPLERATE = 44100
DEFAULT_BLOCKSIZE = 1024  # 21.3 ms at 48 kHz
DEFAULT_MAX_SECONDS = 15 * 60
STALL_SECONDS = 2.0  # no audio for this long while recording → the device is considered lost


class RecorderState(Enum):
    IDLE = "idle"  # created; nothing opened yet
    RECORDING = "recording"  # blocks are captured, metered and encoded
    PAUSED = "paused"  # stream open, blocks dropped
    LIMIT_REACHED = "limit_reached"  # max length captured; the stream stopped itself
    DEVICE_LOST = "device_lost"  # the stream ended on its own; what was captured is kept
    STOPPED = "stopped"  # stop() handed back a Take
    CANCELLED = "cancelled"  # cancel() dropped everything


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str  # remember the member's choice by name: indices change when devices come and go
    hostapi: str
    max_input_channels: int
    default_samplerate: float
    is_default: bool


class _CallbackStop(Exception):
    """Stand-in for sounddevice.CallbackStop where sounddevice cannot be imported."""


def _sounddevice():
    try:
        import sounddevice
    except (ImportError, OSError) as exc:  # OSError: libportaudio missing
        raise NoInputDevice(detail=f"sounddevice unavailable: {exc}") from exc
    return sounddevice


def list_input_devices(
    devices: list[dict] | None = None,
    hostapis: list[dict] | None = None,
    default_input: int | None = None,
) -> list[InputDevice]:
    """Input devices PortAudio can see; [] when there are none or PortAudio is missing.

    The arguments are for tests: they replace what sounddevice would report.
    """
    if devices is None:
        try:
            sd = _sounddevice()
            devices = list(sd.query_devices())
            hostapis = list(sd.query_hostapis())
            default_input = sd.default.device[0]
        except Exception:  # NoInputDevice, or PortAudio failing to enumerate
            return []
    hostapis = hostapis or []
    if default_input is None or default_input < 0:
        default_input = next(
            (api["default_input_device"] for api in hostapis if api["default_input_device"] >= 0),
            -1,
        )
    result = []
    for index, dev in enumerate(devices):
        if dev["max_input_channels"] < 1:
            continue
        api = dev.get("hostapi", 0)
        result.append(
            InputDevice(
                index=index,
                name=dev["name"],
                hostapi=hostapis[api]["name"] if api < len(hostapis) else "",
                max_input_channels=dev["max_input_channels"],
                default_samplerate=float(dev["default_samplerate"]),
                is_default=index == default_input,
            )
        )
    return result


def resolve_device(name: str | None, devices: list[InputDevice]) -> int | None:
    """The index of the remembered device ``name``; None (the default) if it is not connected."""
    if name:
        for dev in devices:
            if dev.name == name:
                return dev.index
    return None


class Recorder:
    """Records one take from a microphone into ``dest`` (Ogg/Opus), via a background encoder."""

    def __init__(
        self,
        dest: Path | str,
        *,
        device: int | str | None = None,
        samplerate: int = DEFAULT_SAMPLERATE,
        blocksize: int = DEFAULT_BLOCKSIZE,
        max_seconds: float = DEFAULT_MAX_SECONDS,
        compression_level: float = SPEECH_COMPRESSION_LEVEL,
        stream_factory: Callable[..., Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.dest = Path(dest)
        self.device = device
        self.samplerate = samplerate
        self.blocksize = blocksize
        self.max_seconds = max_seconds
        self._compression_level = compression_level
        self._stream_factory = stream_factory
        self._clock = clock

        self.state = RecorderState.IDLE
        self.level_dbfs = FLOOR_DBFS  # of the latest block, for the meter
        self.overflows = 0  # blocks PortAudio reported as overflowed (audio dropped)
        self.fault: AudioError | None = None
        self._frames = 0
        self._max_frames = 0
        self._paused = False
        self._stopping = False
        self._stream = None
        self._writer: BackgroundOpusWriter | None = None
        self._stop_exc: type[Exception] = _CallbackStop
        self._watch_frames = 0
        self._watch_since = 0.0

    # -- what the UI reads --------------------------------------------------------------------

    @property
    def elapsed_s(self) -> float:
        """Seconds captured so far (pauses excluded)."""
        return self._frames / self.samplerate

    @property
    def remaining_s(self) -> float:
        return max(0.0, self.max_seconds - self.elapsed_s)

    @property
    def encoding_error(self) -> AudioError | None:
        """Set once the writer thread failed (e.g. the disk filled up): the take cannot be
        saved, so the UI may stop early and show ``encoding_error.message``."""
        return self._writer.error if self._writer is not None else None

    # -- commands -----------------------------------------------------------------------------

    def start(self) -> None:
        if self.state is not RecorderState.IDLE:
            raise RecorderStateError(detail=f"start() in state {self.state.value}")
        factory = self._stream_factory
        if factory is None:
            sd = _sounddevice()
            factory = sd.InputStream
            self._stop_exc = sd.CallbackStop
        else:
            try:
                import sounddevice

                self._stop_exc = sounddevice.CallbackStop
            except (ImportError, OSError):
                pass
        try:
            self._stream = self._open(factory)
        except Exception as exc:
            self.state = RecorderState.IDLE
            raise NoInputDevice(detail=f"{type(exc).__name__}: {exc}") from exc
        self._max_frames = int(round(self.max_seconds * self.samplerate))
        try:
            self._writer = BackgroundOpusWriter(  # StorageFull / EncodingFailed go to the UI
                self.dest, self.samplerate, compression_level=self._compression_level
            )
        except AudioError:
            self._close_stream()
            raise
        try:
            self._stream.start()
        except Exception as exc:
            self._writer.abort()
            self._close_stream()
            raise NoInputDevice(detail=f"{type(exc).__name__}: {exc}") from exc
        self._watch_frames, self._watch_since = 0, self._clock()
        self.state = RecorderState.RECORDING

    def _open(self, factory: Callable[..., Any]):
        # Some devices (WASAPI shared mode, some USB mics) refuse 48 kHz: fall back to 44.1 kHz,
        # which the encoder resamples to 48 kHz.
        for rate in dict.fromkeys((self.samplerate, FALLBACK_SAMPLERATE)):
            try:
                stream = factory(
                    samplerate=rate,
                    channels=1,
                    dtype="float32",
                    blocksize=self.blocksize,
                    device=self.device,
                    callback=self._callback,
                    finished_callback=self._finished,
                )
            except Exception as exc:
                if "sample rate" not in str(exc).lower() or rate == FALLBACK_SAMPLERATE:
                    raise
                continue
            self.samplerate = rate
            return stream
        raise AssertionError("unreachable")

    def pause(self) -> None:
        self._require(RecorderState.RECORDING, "pause")
        self._paused = True
        self.state = RecorderState.PAUSED

    def resume(self) -> None:
        self._require(RecorderState.PAUSED, "resume")
        self._paused = False
        self._watch_frames, self._watch_since = self._frames, self._clock()
        self.state = RecorderState.RECORDING

    def stop(self) -> Take:
        """Ends capture and returns the take (quality-check it, then ``save()`` or ``discard()``).

        After a lost device, the take holds what was captured and ``take.fault`` says why it
        ended early.
        """
        self._require(
            (RecorderState.RECORDING, RecorderState.PAUSED, RecorderState.LIMIT_REACHED,
             RecorderState.DEVICE_LOST),
            "stop",
        )
        self._stopping = True
        self._close_stream()
        take = self._writer.finish()
        take.fault = self.fault
        self.state = RecorderState.STOPPED
        self.level_dbfs = FLOOR_DBFS
        return take

    def cancel(self) -> None:
        """Drops the take; the file at ``dest`` (an earlier good take) is untouched."""
        if self.state in (RecorderState.STOPPED, RecorderState.CANCELLED):
            return
        self._stopping = True
        self._close_stream()
        if self._writer is not None:
            self._writer.abort()
        self.state = RecorderState.CANCELLED
        self.level_dbfs = FLOOR_DBFS

    def poll(self) -> RecorderState:
        """Called from the UI's refresh loop: notices a device that silently stopped delivering."""
        if self.state is RecorderState.RECORDING:
            now = self._clock()
            if self._frames != self._watch_frames:
                self._watch_frames, self._watch_since = self._frames, now
            elif now - self._watch_since > STALL_SECONDS:
                self._lose_device("no audio for %.1f s" % (now - self._watch_since))
        return self.state

    # -- PortAudio's thread -------------------------------------------------------------------

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        if status and getattr(status, "input_overflow", False):
            self.overflows += 1
        if self._paused:
            self.level_dbfs = FLOOR_DBFS
            return
        remaining = self._max_frames - self._frames
        if remaining <= 0:  # PortAudio should not call again after CallbackStop; be safe
            raise self._stop_exc
        block = indata[:remaining, 0].copy()  # the one allocation; PortAudio reuses indata
        self.level_dbfs = rms_dbfs(block)
        self._writer.put(block)
        self._frames += block.shape[0]
        if self._frames >= self._max_frames:
            self.state = RecorderState.LIMIT_REACHED
            raise self._stop_exc

    def _finished(self) -> None:
        # PortAudio calls this when the stream goes inactive for any reason.
        if not self._stopping and self.state in (RecorderState.RECORDING, RecorderState.PAUSED):
            self._lose_device("stream finished unexpectedly")

    # -- helpers ------------------------------------------------------------------------------

    def _lose_device(self, detail: str) -> None:
        self.fault = DeviceLost(detail=detail)
        self.state = RecorderState.DEVICE_LOST
        self.level_dbfs = FLOOR_DBFS

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is None:
            return
        try:
            stream.stop()
        except Exception:
            pass  # a lost device may refuse to stop; closing is what matters
        try:
            stream.close()
        except Exception:
            pass

    def _require(self, allowed, action: str) -> None:
        allowed = allowed if isinstance(allowed, tuple) else (allowed,)
        if self.state not in allowed:
            raise RecorderStateError(detail=f"{action}() in state {self.state.value}")
