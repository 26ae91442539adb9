"""A saved reading's metrics (duration, speaking time, loudness) for the morning to show.

The store keeps no metrics with a recording yet, so they are measured from the saved take on
this device when a screen asks, and remembered per file version (a take is never rewritten in
place: a new reading is a new file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from chris_app.audio.metrics import ReadingMetrics, file_metrics
from chris_app.services.recordings import get_recording
from chris_app.store import Store


@lru_cache(maxsize=16)
def _measured(path: str, sha256: str) -> ReadingMetrics:
    return file_metrics(Path(path))


def metrics_of(store: Store, recording_id: str) -> ReadingMetrics | None:
    """None when the reading is not on this device (saved from another one) or unreadable."""
    recording = get_recording(store, recording_id)
    if not recording.path.exists():
        return None
    try:
        return _measured(str(recording.path), recording.sha256)
    except (OSError, RuntimeError):
        return None
