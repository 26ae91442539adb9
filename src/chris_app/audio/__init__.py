"""Recording the affirmation reading: capture, quality gate, Opus encoding, playback.

No UI imports here: views call these with plain values. Modules:

* ``capture``  — desktop microphone (sounddevice): ``Recorder``, ``list_input_devices``
* ``stream``   — PCM16 chunks from Flet's AudioRecorder (web, phones): ``Pcm16Assembler``
* ``quality``  — ``check_quality`` / ``QualityMeter`` → ``QualityReport``
* ``encoder``  — ``encode_opus``, ``OpusFileWriter``, ``BackgroundOpusWriter`` → ``Take``,
  ``EncodedRecording``; atomic replace of the destination
* ``playback`` — desktop ``Player``
* ``errors``   — ``AudioError`` and its member-facing subclasses
* ``levels``, ``resample`` — dBFS helpers and 44.1 → 48 kHz conversion

sounddevice is imported lazily, so this package imports where PortAudio does not exist (phones).
"""

from .capture import InputDevice, Recorder, RecorderState, list_input_devices, resolve_device
from .encoder import (
    BackgroundOpusWriter,
    EncodedRecording,
    OpusFileWriter,
    Take,
    encode_opus,
    sweep_temp_files,
)
from .errors import (
    AudioError,
    DeviceLost,
    EncodingFailed,
    MicrophonePermissionDenied,
    NoInputDevice,
    NoOutputDevice,
    RecorderStateError,
    StorageFull,
    StreamFormatError,
)
from .playback import Player, PlayerState
from .quality import QualityMeter, QualityReport, check_quality
from .stream import Pcm16Assembler

__all__ = [
    "AudioError",
    "BackgroundOpusWriter",
    "DeviceLost",
    "EncodedRecording",
    "EncodingFailed",
    "InputDevice",
    "MicrophonePermissionDenied",
    "NoInputDevice",
    "NoOutputDevice",
    "OpusFileWriter",
    "Pcm16Assembler",
    "Player",
    "PlayerState",
    "QualityMeter",
    "QualityReport",
    "Recorder",
    "RecorderState",
    "RecorderStateError",
    "StorageFull",
    "StreamFormatError",
    "Take",
    "check_quality",
    "encode_opus",
    "list_input_devices",
    "resolve_device",
    "sweep_temp_files",
]
