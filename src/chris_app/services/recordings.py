"""Morning recordings: saving the day's reading completes the morning (PRODUCT.md §4).

Until the microphone capture is wired in, a member can attach an audio file they recorded
elsewhere (`import_audio_file`); the UI says so. It is decoded and checked like a recording."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import soundfile

from chris_app.errors import InvalidInput
from chris_app.services._rows import enqueue, new_id, stamp
from chris_app.services.day import complete_morning
from chris_app.services.files import sha256_of, storage_error, write_atomically
from chris_app.services.profile import get_settings, today
from chris_app.store import Store

MAX_IMPORT_BYTES = 50 * 1024 * 1024
# What libsndfile decodes, so the length can be checked; compressed phone formats (m4a) can't.
IMPORT_TYPES = {".ogg": "audio/ogg", ".opus": "audio/ogg", ".wav": "audio/wav",
                ".flac": "audio/flac", ".mp3": "audio/mpeg"}


@dataclass(frozen=True, slots=True)
class Recording:
    id: str
    date: date
    path: Path
    mime: str
    duration_ms: int
    sample_rate: int | None
    size_bytes: int
    sha256: str


def recordings_dir(store: Store) -> Path:
    return store.files_dir / "recordings"


def save_day_recording(store: Store, now: datetime, source: Path, *, mime: str,
                       duration_ms: int, sample_rate: int | None) -> Recording:
    """Move a finished recording file into the store as today's reading and complete the
    morning, all or nothing. The day's previous take is removed only after this one is safe."""
    day = today(store, now)
    recording_id = new_id()
    target = recordings_dir(store) / f"{day.isoformat()}-{recording_id[:8]}{source.suffix or '.ogg'}"
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(source, target)
    except OSError as exc:
        raise storage_error(exc) from exc
    size, digest = target.stat().st_size, sha256_of(target)
    previous: list[str] = []
    try:
        with store.transaction() as conn:
            previous = [r["path"] for r in conn.execute(
                "select r.path from recordings r where r.date = ?", (day.isoformat(),))]
            conn.execute(
                "insert into recordings (id, date, path, mime, duration_ms, sample_rate, size_bytes,"
                " sha256, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (recording_id, day.isoformat(), str(target), mime, duration_ms, sample_rate,
                 size, digest, stamp(now)),
            )
            enqueue(conn, "recordings", recording_id, now)
            complete_morning(conn, day, now, recording_id)
            conn.execute("delete from recordings where date = ? and id != ?", (day.isoformat(), recording_id))
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    for old in previous:
        Path(old).unlink(missing_ok=True)
    return get_recording(store, recording_id)


def import_audio_file(store: Store, now: datetime, filename: str, data: bytes) -> Recording:
    """Check an audio file the member picked and save it as today's reading."""
    suffix = Path(filename).suffix.lower()
    if suffix not in IMPORT_TYPES:
        raise InvalidInput({"recording": "Choose an OGG, Opus, WAV, FLAC or MP3 audio file."})
    if not data:
        raise InvalidInput({"recording": "That file is empty. Choose your recording again."})
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidInput({"recording": "That file is larger than 50 MB. Choose a shorter recording."})
    try:
        info = soundfile.info(io.BytesIO(data))
    except (soundfile.LibsndfileError, RuntimeError, TypeError):
        raise InvalidInput({"recording": "That file could not be read as audio. Choose another recording."}) from None
    minimum = get_settings(store).min_recording_seconds
    if info.duration < minimum:
        raise InvalidInput({"recording": (
            f"The recording is {info.duration:.0f} seconds long; read your affirmations"
            f" for at least {minimum} seconds.")})
    staging = recordings_dir(store) / f".import-{new_id()}{suffix}"
    write_atomically(staging, data)
    return save_day_recording(store, now, staging, mime=IMPORT_TYPES[suffix],
                              duration_ms=round(info.duration * 1000), sample_rate=info.samplerate)


def get_recording(store: Store, recording_id: str) -> Recording:
    return _from_row(store.query("select * from recordings where id = ?", (recording_id,))[0])


def list_recordings(store: Store) -> list[Recording]:
    return [_from_row(r) for r in store.query("select * from recordings order by date desc")]


def _from_row(row) -> Recording:
    return Recording(row["id"], date.fromisoformat(row["date"]), Path(row["path"]), row["mime"],
                     row["duration_ms"], row["sample_rate"], row["size_bytes"], row["sha256"])
