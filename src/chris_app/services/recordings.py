"""Morning recordings: saving the day's reading completes the morning (docs/rules.md#completed-day).

Every way in ends the same: checked by the quality gate (too short, mostly silence), encoded
to Ogg/Opus, moved into place atomically, and recorded on the day in one transaction.
- `save_take`: a desktop microphone take (chris_app.audio.Recorder), already encoded;
- `save_stream_take`: a web/phone take (`new_stream_take`), encoded while it was streamed;
- `recover_unfinished`: a web/phone take the previous run left mid-way (app killed, tab
  closed), on the next start;
- `save_samples`: samples already in memory (imported files);
- `import_audio_file`: a file the member recorded elsewhere."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

import numpy as np
import soundfile

from chris_app.audio import AudioError, EncodedRecording, Take, check_quality, encode_opus, sweep_temp_files
from chris_app.audio.metrics import ReadingMetrics, file_metrics, reading_metrics
from chris_app.audio.web_take import WebTake, claim_unfinished, has_unfinished
from chris_app.errors import ChrisError, InvalidInput, NotFound, StorageFailed
from chris_app.services._rows import enqueue, new_id, stamp
from chris_app.services.day import complete_morning
from chris_app.services.files import sha256_of, storage_error
from chris_app.services.profile import get_settings, today
from chris_app.services.reading_metrics import store_metrics
from chris_app.store import Store

MAX_IMPORT_BYTES = 50 * 1024 * 1024
# What libsndfile decodes, so the length can be checked; compressed phone formats (m4a) can't.
IMPORT_TYPES = (".ogg", ".opus", ".wav", ".flac", ".mp3")


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
    warnings: tuple[str, ...] = ()  # from the quality gate (e.g. clipping), shown once on saving


def recordings_dir(store: Store) -> Path:
    return store.files_dir / "recordings"


DAY_TAKEN = "This day already has a reading."


def save_day_recording(store: Store, now: datetime, source: Path, *, mime: str,
                       duration_ms: int, sample_rate: int | None,
                       keep_existing: bool = False, metrics: ReadingMetrics | None = None) -> Recording:
    """Move a finished recording file into the store as today's reading and complete the
    morning, all or nothing. The day's previous take is removed only after this one is safe;
    with `keep_existing` a day that already has a reading keeps it (InvalidInput). The
    reading's metrics are stored with it: `metrics` as measured while the take was recorded
    (the app's save paths: nothing is decoded again, so stopping stays instant), else measured
    from the saved file; a file that cannot be measured is saved without them."""
    day = today(store, now)
    recording_id = new_id()
    target = recordings_dir(store) / f"{day.isoformat()}-{recording_id[:8]}{source.suffix or '.ogg'}"
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(source, target)
    except OSError as exc:
        raise storage_error(exc) from exc
    size, digest = target.stat().st_size, sha256_of(target)
    if metrics is None:
        metrics = _measure(target)
    previous: list[str] = []
    try:
        with store.transaction() as conn:
            previous = [r["path"] for r in conn.execute(
                "select r.path from recordings r where r.date = ?", (day.isoformat(),))]
            if keep_existing and previous:
                raise InvalidInput({"recording": DAY_TAKEN})
            conn.execute(
                "insert into recordings (id, date, path, mime, duration_ms, sample_rate, size_bytes,"
                " sha256, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (recording_id, day.isoformat(), str(target), mime, duration_ms, sample_rate,
                 size, digest, stamp(now)),
            )
            enqueue(conn, "recordings", recording_id, now)
            complete_morning(conn, day, now, recording_id)
            if metrics is not None:
                store_metrics(conn, recording_id, metrics, now)
            conn.execute("delete from recordings where date = ? and id != ?", (day.isoformat(), recording_id))
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    for old in previous:
        Path(old).unlink(missing_ok=True)
    return get_recording(store, recording_id)


def _measure(path: Path) -> ReadingMetrics | None:
    try:
        return file_metrics(path)
    except (OSError, RuntimeError):
        return None  # measured later (reading_metrics.measure_missing)


def _save_encoded(store: Store, now: datetime, encoded: EncodedRecording, metrics: ReadingMetrics,
                  keep_existing: bool = False) -> Recording:
    return save_day_recording(store, now, Path(encoded.path), mime=encoded.mime,
                              duration_ms=encoded.duration_ms, sample_rate=encoded.samplerate,
                              keep_existing=keep_existing, metrics=metrics)


def staging_path(store: Store) -> Path:
    """Where a take is encoded before it becomes the day's recording."""
    directory = recordings_dir(store)
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"take-{new_id()}.ogg"


def clean_up(store: Store) -> None:
    """At start-up: remove what a crash left half-done (temp files, takes never recorded on a
    day). Saved recordings are never touched, nor are streamed takes' spools
    (`stream-*.pcm`): `recover_unfinished` decides about those."""
    directory = recordings_dir(store)
    if directory.exists():
        sweep_temp_files(directory)
        for stray in directory.glob("take-*.ogg"):
            stray.unlink(missing_ok=True)


def save_take(store: Store, now: datetime, take: Take, *, keep_existing: bool = False) -> Recording:
    """Judge a finished take; save it as today's reading or refuse it (discarded)."""
    report = take.quality(min_seconds=get_settings(store).min_recording_seconds)
    if not report.ok:
        take.discard()
        raise InvalidInput({"recording": report.reason})
    try:
        encoded = take.save()
    except AudioError as exc:
        raise StorageFailed(exc.message) from exc
    return replace(_save_encoded(store, now, encoded, take.metrics(), keep_existing),
                   warnings=tuple(report.warnings))


def new_stream_take(store: Store, now: datetime) -> WebTake:
    """A take for the web/phone recorder's PCM stream, encoded while the member reads. Its
    spool remembers the day, so a take the app did not live to save can be recovered."""
    return WebTake(recordings_dir(store), staging_path(store), meta={"day": today(store, now).isoformat()})


def save_stream_take(store: Store, now: datetime, web_take: WebTake) -> Recording:
    """Finish a streamed take (only its last blocks are left to encode), then judge and save
    it like a desktop take. Raises the take's AudioError (StreamFormatError, StorageFull) as
    it is. The spool goes once the take is saved or refused — not before, so a run killed in
    between leaves it for `recover_unfinished`."""
    try:
        return save_take(store, now, web_take.finish())
    finally:
        web_take.release()


def has_unfinished_takes(store: Store) -> bool:
    return has_unfinished(recordings_dir(store))


def recover_unfinished(store: Store, now: datetime) -> list[Recording]:
    """At start-up: what a previous run left mid-take (app killed, tab closed) becomes the
    day's reading when the member would want it — it passes the quality gate (so it is long
    enough to count), its day is still today, and that day has no reading yet (a saved reading
    is never replaced by an unfinished one). Everything else is removed. Returns what was
    saved. Re-encodes each spool in bounded memory; a run killed during this tries again."""
    recovered: list[Recording] = []
    day = today(store, now).isoformat()
    for unfinished in claim_unfinished(recordings_dir(store)):
        try:
            taken = store.query("select 1 from recordings where date = ?", (unfinished.meta.get("day"),))
            if unfinished.format is None or unfinished.meta.get("day") != day or taken:
                continue
            take = unfinished.encode(staging_path(store))
            recovered.append(save_take(store, now, take, keep_existing=True))
        except (AudioError, ChrisError):
            pass  # refused by the gate, the day taken meanwhile, or unreadable: not saved
        finally:
            unfinished.remove()
    return recovered


def save_samples(store: Store, now: datetime, samples: np.ndarray, samplerate: int) -> Recording:
    """Judge float32 mono samples; encode and save them as today's reading, or refuse them."""
    report = check_quality(samples, samplerate, min_seconds=get_settings(store).min_recording_seconds)
    if not report.ok:
        raise InvalidInput({"recording": report.reason})
    try:
        encoded = encode_opus(samples, samplerate, staging_path(store))
    except AudioError as exc:
        raise StorageFailed(exc.message) from exc
    return replace(_save_encoded(store, now, encoded, reading_metrics(samples, samplerate)),
                   warnings=tuple(report.warnings))


def import_audio_file(store: Store, now: datetime, filename: str, data: bytes) -> Recording:
    """Check an audio file the member picked and save it (as Opus) as today's reading."""
    suffix = Path(filename).suffix.lower()
    if suffix not in IMPORT_TYPES:
        raise InvalidInput({"recording": "Choose an OGG, Opus, WAV, FLAC or MP3 audio file."})
    if not data:
        raise InvalidInput({"recording": "That file is empty. Choose your recording again."})
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidInput({"recording": "That file is larger than 50 MB. Choose a shorter recording."})
    try:
        samples, samplerate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError):
        raise InvalidInput({"recording": "That file could not be read as audio. Choose another recording."}) from None
    return save_samples(store, now, samples.mean(axis=1), samplerate)


def find_recording(store: Store, recording_id: str) -> Recording | None:
    """The reading with this id, or None when it is gone: a screen may still hold the id of
    a reading that was just replaced (recorded again here, or on another device)."""
    rows = store.query("select * from recordings where id = ?", (recording_id,))
    return _from_row(rows[0]) if rows else None


def get_recording(store: Store, recording_id: str) -> Recording:
    if (recording := find_recording(store, recording_id)) is None:
        raise NotFound("This reading is no longer on this device: it was replaced by a newer one.")
    return recording


def list_recordings(store: Store) -> list[Recording]:
    return [_from_row(r) for r in store.query("select * from recordings order by date desc")]


def _from_row(row) -> Recording:
    return Recording(row["id"], date.fromisoformat(row["date"]), Path(row["path"]), row["mime"],
                     row["duration_ms"], row["sample_rate"], row["size_bytes"], row["sha256"])
