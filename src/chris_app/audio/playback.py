"""Desktop playback of a saved recording through sounddevice, with position and duration.

The file is decoded into memory before playing (a 3-minute reading is ~35 MB of float32), so the
output callback only copies from an array: no disk I/O on PortAudio's thread. Phones and the web
build play through ``flet_audio.Audio`` instead.

States: STOPPED ──play()──▶ PLAYING ⇄ PAUSED (pause()/play()); reaching the end or stop() →
STOPPED with the position back at 0.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from .errors import EncodingFailed, NoOutputDevice

BLOCKSIZE = 1024


class _CallbackStop(Exception):
    """Stand-in for sounddevice.CallbackStop where sounddevice cannot be imported."""


class PlayerState(Enum):
    STOPPED = "stopped"
    PLAYING = "playing"
    PAUSED = "paused"


class Player:
    def __init__(
        self,
        path: Path | str,
        *,
        stream_factory: Callable[..., Any] | None = None,
        on_finished: Callable[[], None] | None = None,
    ) -> None:
        try:
            data, self.samplerate = sf.read(str(path), dtype="float32", always_2d=True)
        except Exception as exc:
            raise EncodingFailed(
                "This recording could not be opened. It may be damaged; record a new one.",
                detail=f"{type(exc).__name__}: {exc}",
            ) from exc
        self._data = np.ascontiguousarray(data)
        self._pos = 0
        self._stream_factory = stream_factory
        self._stream = None
        self._on_finished = on_finished
        self._stop_exc: type[Exception] = _CallbackStop
        self.state = PlayerState.STOPPED

    @property
    def duration_s(self) -> float:
        return self._data.shape[0] / self.samplerate

    @property
    def position_s(self) -> float:
        return self._pos / self.samplerate

    def seek(self, seconds: float) -> None:
        self._pos = int(min(max(seconds, 0.0), self.duration_s) * self.samplerate)

    def play(self) -> None:
        if self.state is PlayerState.PLAYING:
            return
        if self._stream is None:
            self._stream = self._open()
        self.state = PlayerState.PLAYING
        self._stream.start()

    def pause(self) -> None:
        if self.state is PlayerState.PLAYING:
            self.state = PlayerState.PAUSED
            self._close()

    def stop(self) -> None:
        self._close()
        self.state = PlayerState.STOPPED
        self._pos = 0

    def _open(self):
        try:
            import sounddevice

            self._stop_exc = sounddevice.CallbackStop
        except (ImportError, OSError) as exc:
            if self._stream_factory is None:
                raise NoOutputDevice(detail=str(exc)) from exc
        factory = self._stream_factory or sounddevice.OutputStream
        try:
            return factory(
                samplerate=self.samplerate,
                channels=self._data.shape[1],
                dtype="float32",
                blocksize=BLOCKSIZE,
                callback=self._callback,
                finished_callback=self._finished,
            )
        except Exception as exc:
            raise NoOutputDevice(detail=f"{type(exc).__name__}: {exc}") from exc

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        chunk = self._data[self._pos : self._pos + frames]
        n = chunk.shape[0]
        outdata[:n] = chunk
        if n < frames:
            outdata[n:] = 0
            self._pos = self._data.shape[0]
            raise self._stop_exc
        self._pos += n

    def _finished(self) -> None:
        if self.state is PlayerState.PLAYING and self._pos >= self._data.shape[0]:
            self.state = PlayerState.STOPPED
            self._pos = 0
            if self._on_finished is not None:
                self._on_finished()

    def _close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception:
                pass
