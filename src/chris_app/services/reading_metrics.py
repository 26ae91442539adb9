"""A reading's metrics, stored with the recording (docs/audio.md, "Reading metrics").

Speaking time and loudness are measured once, when a reading is saved (`services.recordings`
calls `measure_and_store` on every save path); readings saved before the store kept them are
measured lazily, once, in the background (`measure_missing`). The read-aloud check adds its two
results through `record_check`. Every write puts the reading's day in the sync outbox without
touching the day's morning stamp: the metrics belong to the recording (the server keeps them
only for the recording with the same sha256), so storing them never makes an older reading win
over a newer one from another device.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from chris_app.audio.metrics import ReadingMetrics, file_metrics
from chris_app.errors import InvalidInput, NotFound
from chris_app.services._rows import enqueue
from chris_app.store import Store

MAX_WORDS_PER_MINUTE = 1000.0  # far above any reading aloud (fast speech is ~250)
MIN_LOUDNESS_DBFS = -120.0  # levels.FLOOR_DBFS: nothing spoken


@dataclass(frozen=True, slots=True)
class ReadingFigures:
    """What the store knows about one reading. `speaking_s`/`loudness_dbfs` are None until
    measured; `read_coverage` (0..1) and `words_per_minute` until the read-aloud check ran."""

    recording_id: str
    date: date
    duration_s: float
    speaking_s: float | None
    loudness_dbfs: float | None
    read_coverage: float | None
    words_per_minute: float | None

    @property
    def measured(self) -> bool:
        return self.speaking_s is not None and self.loudness_dbfs is not None

    def metrics(self) -> ReadingMetrics | None:
        if not self.measured:
            return None
        return ReadingMetrics(duration_s=self.duration_s, speaking_s=self.speaking_s,
                              loudness_dbfs=self.loudness_dbfs)


def _figures(row: sqlite3.Row) -> ReadingFigures:
    return ReadingFigures(
        recording_id=row["id"], date=date.fromisoformat(row["date"]),
        duration_s=row["duration_ms"] / 1000.0,
        speaking_s=row["speaking_ms"] / 1000.0 if row["speaking_ms"] is not None else None,
        loudness_dbfs=row["loudness_dbfs"], read_coverage=row["read_coverage"],
        words_per_minute=row["words_per_minute"])


def figures_of(store: Store, recording_id: str) -> ReadingFigures | None:
    rows = store.query("select * from recordings where id = ?", (recording_id,))
    return _figures(rows[0]) if rows else None


def all_figures(store: Store) -> list[ReadingFigures]:
    """Every reading the store holds, oldest day first."""
    return [_figures(r) for r in store.query("select * from recordings order by date, created_at")]


def metrics_of(store: Store, recording_id: str) -> ReadingMetrics | None:
    """The stored metrics of a reading; None when not measured (yet, or never: a reading saved
    on another device that no device measured)."""
    figures = figures_of(store, recording_id)
    return figures.metrics() if figures else None


def _enqueue_day(conn: sqlite3.Connection, recording_id: str, now: datetime) -> None:
    day = conn.execute("select id from daily_sessions where recording_id = ?", (recording_id,)).fetchone()
    if day:
        enqueue(conn, "daily_sessions", day["id"], now)


def store_metrics(conn: sqlite3.Connection, recording_id: str, metrics: ReadingMetrics,
                  now: datetime) -> None:
    """Keep a reading's measured metrics, in the caller's transaction."""
    conn.execute("update recordings set speaking_ms = ?, loudness_dbfs = ? where id = ?",
                 (max(0, round(metrics.speaking_s * 1000)),
                  min(0.0, max(MIN_LOUDNESS_DBFS, round(metrics.loudness_dbfs, 2))), recording_id))
    _enqueue_day(conn, recording_id, now)


def measure_and_store(store: Store, now: datetime, recording_id: str) -> ReadingMetrics | None:
    """Measure a reading's file on this device and store the result. None (nothing stored)
    when the file is not here (saved on another device) or cannot be decoded."""
    rows = store.query("select path, sha256 from recordings where id = ?", (recording_id,))
    if not rows or not Path(rows[0]["path"]).exists():
        return None
    try:
        metrics = file_metrics(Path(rows[0]["path"]))
    except (OSError, RuntimeError):
        return None
    with store.transaction() as conn:
        # The same take still (a re-recording in between replaced the row, and measures itself).
        if conn.execute("select 1 from recordings where id = ? and sha256 = ?",
                        (recording_id, rows[0]["sha256"])).fetchone():
            store_metrics(conn, recording_id, metrics, now)
    return metrics


def measure_missing(store: Store, now: datetime, limit: int | None = None) -> int:
    """Measure, once, the readings on this device that have no stored metrics (saved before
    the store kept them). Meant for a background thread; returns how many were stored."""
    rows = store.query("select id, path from recordings where speaking_ms is null order by date desc")
    done = 0
    for row in rows:
        if limit is not None and done >= limit:
            break
        if Path(row["path"]).exists() and measure_and_store(store, now, row["id"]) is not None:
            done += 1
    return done


def record_check(store: Store, now: datetime, recording_id: str, coverage: float,
                 words_per_minute: float) -> None:
    """Store the read-aloud check's results with a reading: `coverage` the share of the
    affirmation words read (0..1), `words_per_minute` the pace. Bad values raise InvalidInput
    and store nothing; an unknown reading raises NotFound. The day is synced like any edit."""
    problems: dict[str, str] = {}
    if not isinstance(coverage, (int, float)) or isinstance(coverage, bool) \
            or not math.isfinite(coverage) or not 0.0 <= coverage <= 1.0:
        problems["read_coverage"] = "Coverage must be a share between 0 and 1."
    if not isinstance(words_per_minute, (int, float)) or isinstance(words_per_minute, bool) \
            or not math.isfinite(words_per_minute) or not 0.0 <= words_per_minute <= MAX_WORDS_PER_MINUTE:
        problems["words_per_minute"] = (f"Words per minute must be between 0 and "
                                        f"{MAX_WORDS_PER_MINUTE:.0f}.")
    if problems:
        raise InvalidInput(problems)
    with store.transaction() as conn:
        changed = conn.execute(
            "update recordings set read_coverage = ?, words_per_minute = ? where id = ?",
            (round(float(coverage), 4), round(float(words_per_minute), 1), recording_id)).rowcount
        if not changed:
            raise NotFound("That reading is no longer on this device.")
        _enqueue_day(conn, recording_id, now)


# ---------------------------------------------------------------------------------------------
# Then and now (/recordings): the first reading beside the latest, the metrics over the days
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class VoiceHistory:
    first: ReadingFigures | None  # the oldest reading (None: no readings)
    latest: ReadingFigures | None  # the newest, when it is not the first
    measured: list[ReadingFigures]  # the measured readings, oldest first (the chart's points)

    @property
    def checked(self) -> list[ReadingFigures]:
        """The measured readings that also have a read-aloud check."""
        return [f for f in self.measured if f.read_coverage is not None]


def voice_history(store: Store) -> VoiceHistory:
    readings = all_figures(store)
    if not readings:
        return VoiceHistory(None, None, [])
    return VoiceHistory(readings[0], readings[-1] if len(readings) > 1 else None,
                        [f for f in readings if f.measured])


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def change_since_first(first: ReadingFigures, latest: ReadingFigures) -> str | None:
    """One sentence on how the voice changed from the first reading to the latest, or None
    when either was never measured."""
    if not (first.measured and latest.measured):
        return None
    parts = [f"speaking time {_clock(first.speaking_s)} → {_clock(latest.speaking_s)}"]
    louder = round(latest.loudness_dbfs - first.loudness_dbfs)
    parts.append("the same loudness" if louder == 0 else
                 f"{abs(louder)} dB {'louder' if louder > 0 else 'quieter'}")
    if first.read_coverage is not None and latest.read_coverage is not None:
        parts.append(f"read {first.read_coverage:.0%} → {latest.read_coverage:.0%}")
    return "Since your first reading: " + ", ".join(parts) + "."
