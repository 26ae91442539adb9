"""What can go wrong with a recording, in words a member understands.

Every error carries ``message``: one or two plain sentences the UI can show as they are.
``str(error)`` is the same message, so logs read the same as the screen.

    AudioError                      anything in this package a member can hit
    ├── NoInputDevice               no microphone found, or the chosen one cannot be opened
    ├── MicrophonePermissionDenied  the platform refused access to the microphone
    ├── NoOutputDevice              nothing to play a recording through (desktop playback)
    ├── DeviceLost                  the microphone stopped mid-recording (unplugged, driver gone);
    │                               what was captured so far is kept
    ├── StorageFull                 the disk filled up while saving; the previous file is kept
    ├── EncodingFailed              saving failed for another reason; the previous file is kept
    ├── StreamFormatError           browser/phone chunks do not match their stated format
    └── RecorderStateError          a UI bug: e.g. ``pause()`` before ``start()``

The quality gate (too short, silent) is *not* an error: ``check_quality`` returns a report with
``ok=False`` and a ``reason``, because refusing a take is an ordinary outcome.
"""

from __future__ import annotations


class AudioError(Exception):
    """Base class; ``message`` is meant for members."""

    default_message = "Something went wrong with the recording. Please try again."

    def __init__(self, message: str | None = None, *, detail: str | None = None) -> None:
        self.message = message or self.default_message
        self.detail = detail  # technical detail for logs, never shown to members
        super().__init__(self.message)


class NoInputDevice(AudioError):
    default_message = (
        "No microphone was found. Plug one in or choose another input in Settings, then try again."
    )


class MicrophonePermissionDenied(AudioError):
    default_message = (
        "The app is not allowed to use the microphone. Allow microphone access for Chris "
        "Disciplined in your device settings, then try again."
    )


class NoOutputDevice(AudioError):
    default_message = (
        "No speaker or headphones were found to play the recording. Connect one and try again."
    )


class DeviceLost(AudioError):
    default_message = (
        "The microphone stopped working during the recording. What was recorded so far has been "
        "kept; check the microphone and record again if needed."
    )


class StorageFull(AudioError):
    default_message = (
        "Your device is out of storage space, so the recording could not be saved. Your previous "
        "recording is unchanged. Free some space and try again."
    )


class EncodingFailed(AudioError):
    default_message = (
        "The recording could not be saved. Your previous recording is unchanged. Please try again."
    )


class StreamFormatError(AudioError):
    default_message = (
        "The microphone sent audio in an unexpected format. Please try recording again."
    )


class RecorderStateError(AudioError):
    default_message = "The recorder is not ready for that yet. Please try again."
