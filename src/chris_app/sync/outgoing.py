"""Local rows → the server's sync JSON (contract: docs/backend.md, "Sync RPCs").

The outbox says *which* rows changed (`OutboxEntry`); `build_batch` reads each row's *current*
state and makes the `changes` object that `sync_push` takes, keeping the row each entry sent
(`Batch.sent`) for the acknowledgement. Nothing here writes to the store.

Translation rules (local → server):
- booleans are 0/1 locally, JSON true/false on the server;
- a day's `recording_id` becomes `recording_path = {user_id}/{date}-recording.ogg` with the
  duration, sha256 and reading metrics of that recording; each half of a day is sent only once
  it has its own stamp (`morning_updated_at` / `evening_updated_at`), so one device's edit of
  the evening never carries a stale morning;
- a tile's image is named by its object name (sync/paths.py: a local file's is
  `{user_id}/{file name}`, a `remote:` one keeps the server's);
- settings: the synced switches keep the server's names (`pulled.SETTINGS_FIELDS`);
  `on_device_reminders` (this device's own reminders), the recording limits, the input device
  and the server's facts (`push_reachable` / `email_reachable`) are never sent;
- profile: `day_start_hour` ⇄ `day_start`, `morning_time` ⇄ `morning_protocol_time`,
  `evening_time` ⇄ `evening_review_time`; an empty display name is sent as null (the server
  wants 1–40 characters or nothing). Profile and settings carry `field_stamps` under the
  server's names, only of the fields the member edited.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chris_app.sync.paths import image_object, recording_object
from chris_app.sync.pulled import PROFILE_FIELDS, SETTINGS_FIELDS

# local entity (outbox.entity) → server table (changes key)
SERVER_TABLE = {
    "daily_sessions": "daily_sessions",
    "affirmations": "affirmations",
    "vision_board_tiles": "vision_boards",
    "settings": "user_settings",
    "profile": "profile",
}
LOCAL_ENTITY = {v: k for k, v in SERVER_TABLE.items()}
SINGLE_ROW = ("user_settings", "profile")  # sent as one object, not a list
# Entities pushed through sync_push. `recordings` entries are the upload queue (files), which
# is not part of the RPC: the day row carries the recording's object name.
_RPC_FILTER = "entity in (" + ",".join(f"'{e}'" for e in SERVER_TABLE) + ")"

# local recordings column → sync_push key: the reading's metrics, which the server keeps with
# the recording of the same sha256 whatever the morning's stamp (docs/sync.md)
METRIC_KEYS = {"speaking_ms": "recording_speaking_ms", "loudness_dbfs": "recording_loudness_dbfs",
               "read_coverage": "read_coverage", "words_per_minute": "words_per_minute"}


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    seq: int
    entity: str
    row_id: str
    op: str  # 'upsert' | 'delete'
    payload: dict | None  # for deletes: what the server needs to find the row

    @classmethod
    def from_row(cls, row: Mapping) -> OutboxEntry:
        payload = json.loads(row["payload"]) if row["payload"] else None
        return cls(row["seq"], row["entity"], row["row_id"], row["op"], payload)


# -- the outbox -------------------------------------------------------------------------------
def pending_count(conn: sqlite3.Connection) -> int:
    """Local changes waiting for sync_push (the upload queue of files is counted apart)."""
    return conn.execute(f"select count(*) from outbox where {_RPC_FILTER}").fetchone()[0]


def next_entries(conn: sqlite3.Connection, limit: int) -> list[OutboxEntry]:
    """The oldest entries for the next push. Affirmations go up alone first: the server numbers
    their versions, and the days that point at a version must be sent with the server's number."""
    rows = conn.execute("select * from outbox where entity = 'affirmations' order by seq limit ?",
                        (limit,)).fetchall()
    if not rows:
        rows = conn.execute(f"select * from outbox where {_RPC_FILTER} order by seq limit ?", (limit,)).fetchall()
    return [OutboxEntry.from_row(r) for r in rows]


# -- one row each -----------------------------------------------------------------------------
def _bool(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def _metrics_payload(recording: Mapping | None) -> dict[str, Any]:
    return {key: recording[column] if recording else None for column, key in METRIC_KEYS.items()}


def session_payload(row: Mapping, recording: Mapping | None, user_id: str) -> dict[str, Any]:
    """A local day as sync_push expects it; each half only once it has its own stamp."""
    out: dict[str, Any] = {"id": row["id"], "date": row["date"]}
    if row["morning_updated_at"]:
        out.update(
            morning_completed=bool(row["morning_completed"]),
            morning_completed_at=row["morning_completed_at"],
            recording_path=recording_object(user_id, row["date"]) if recording else None,
            recording_duration_ms=recording["duration_ms"] if recording else None,
            recording_sha256=recording["sha256"] if recording else None,
            **_metrics_payload(recording),
            affirmations_version=row["affirmations_version"],
            vision_board_viewed=bool(row["vision_board_viewed"]),
            violent_action=row["violent_action"],
            violent_action_id=row["violent_action_id"],
            violent_action_set_at=row["violent_action_set_at"],
            action_tile_id=row["action_tile_id"],
            action_tile_caption=row["action_tile_caption"],
            morning_updated_at=row["morning_updated_at"],
        )
    if row["evening_updated_at"]:
        out.update(
            action_completed=_bool(row["action_completed"]),
            evening_completed=bool(row["evening_completed"]),
            evening_completed_at=row["evening_completed_at"],
            discipline_rating=row["discipline_rating"],
            biggest_win=row["biggest_win"],
            evening_updated_at=row["evening_updated_at"],
        )
    return out


def affirmation_payload(row: Mapping) -> dict[str, Any]:
    """`client_updated_at` is the time the member saved this version (None for the install's
    untouched starter text): the server makes the latest saved version the active one."""
    return {"id": row["id"], "content": row["content"], "is_active": bool(row["is_active"]),
            "client_updated_at": row["activated_at"]}


def tile_payload(row: Mapping, user_id: str) -> dict[str, Any]:
    return {"id": row["id"], "position": row["position"], "image_path": image_object(user_id, row["image_path"]),
            "caption": row["caption"], "deleted_at": None, "client_updated_at": row["updated_at"]}


def tile_tombstone(row_id: str, payload: Mapping, user_id: str) -> dict[str, Any]:
    """A removed tile. The server needs an image path even for a tombstone it has never seen
    (its column is not null), so a placeholder inside the member's folder is sent."""
    return {"id": row_id, "position": payload["position"], "image_path": f"{user_id}/removed-{row_id}",
            "caption": None, "deleted_at": payload["deleted_at"], "client_updated_at": payload["deleted_at"]}


def _server_stamps(row: Mapping, names: Mapping[str, str]) -> dict[str, str]:
    """The member's edit times of the synced fields, under the server's column names. Only
    these fields count as edits on the server: the others are install defaults."""
    local = json.loads(row["field_stamps"])
    return {server: local[name] for server, name in names.items() if name in local}


def settings_payload(row: Mapping) -> dict[str, Any]:
    """The synced settings (each applied by the server only if its edit time is newer than the
    account's): never this device's own switch, never the server's facts."""
    stamps = _server_stamps(row, SETTINGS_FIELDS)
    values = {server: row[local] if server == "theme" else bool(row[local])
              for server, local in SETTINGS_FIELDS.items()}
    return {**values, "field_stamps": stamps, "client_updated_at": max(stamps.values(), default=None)}


def profile_payload(row: Mapping) -> dict[str, Any]:
    """The preferences (each applied by the server only if its edit time is newer than the
    account's) and this device's first day (the account keeps the earliest)."""
    stamps = _server_stamps(row, PROFILE_FIELDS)
    return {"display_name": row["display_name"].strip() or None, "timezone": row["timezone"],
            "day_start": row["day_start_hour"], "morning_protocol_time": row["morning_time"],
            "evening_review_time": row["evening_time"], "leaderboard_opt_in": bool(row["leaderboard_opt_in"]),
            "first_day": row["first_day"], "field_stamps": stamps,
            "prefs_updated_at": max(stamps.values(), default=None)}


def day_payload(conn: sqlite3.Connection, row: Mapping, user_id: str) -> dict[str, Any]:
    """A stored day with its recording, as sync_push expects it."""
    rec = conn.execute("select * from recordings where id = ?", (row["recording_id"],)).fetchone() \
        if row["recording_id"] else None
    return session_payload(row, rec, user_id)


def row_payload(conn: sqlite3.Connection, entry: OutboxEntry, user_id: str) -> dict[str, Any] | None:
    """The server row for one outbox entry from the store's current state; None when there
    is nothing to send (the row was removed after it was queued)."""
    if entry.op == "delete":
        if entry.entity == "vision_board_tiles" and entry.payload:
            return tile_tombstone(entry.row_id, entry.payload, user_id)
        return None  # days and affirmations are never deleted on the server
    if entry.entity == "daily_sessions":
        row = conn.execute("select * from daily_sessions where id = ?", (entry.row_id,)).fetchone()
        return day_payload(conn, row, user_id) if row else None
    if entry.entity == "affirmations":
        row = conn.execute("select * from affirmations where id = ?", (entry.row_id,)).fetchone()
        return affirmation_payload(row) if row else None
    if entry.entity == "vision_board_tiles":
        row = conn.execute("select * from vision_board_tiles where id = ?", (entry.row_id,)).fetchone()
        return tile_payload(row, user_id) if row else None
    if entry.entity == "settings":
        row = conn.execute("select * from settings where id = 1").fetchone()
        return settings_payload(row) if row else None
    if entry.entity == "profile":
        row = conn.execute("select * from profile where id = 1").fetchone()
        return profile_payload(row) if row else None
    return None


# -- one push ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Batch:
    """One push: the changes object and, per outbox entry, the row that was sent for it (the
    snapshot compared at acknowledgement; None = nothing sent, acknowledge anyway)."""
    changes: dict[str, Any]
    sent: list[tuple[OutboxEntry, dict | None]]

    def to_json(self) -> str:
        return json.dumps({"changes": self.changes, "sent": [
            [[e.seq, e.entity, e.row_id, e.op, e.payload], row] for e, row in self.sent]})

    @classmethod
    def from_json(cls, text: str) -> Batch:
        data = json.loads(text)
        return cls(data["changes"], [(OutboxEntry(*e), row) for e, row in data["sent"]])


def build_batch(conn: sqlite3.Connection, entries: Iterable[OutboxEntry], user_id: str) -> Batch:
    """The changes object for these entries. Several entries of one tile position collapse
    into the newest (replacing a tile queues a removal and an insert with the same stamp; the
    server matches tiles by position and would keep the first of two equal stamps)."""
    sent: list[tuple[OutboxEntry, dict | None]] = []
    by_table: dict[str, list[dict]] = {}
    tiles: dict[int, tuple[str, int, dict]] = {}
    for entry in entries:
        row = row_payload(conn, entry, user_id)
        sent.append((entry, row))
        if row is None:
            continue
        table = SERVER_TABLE[entry.entity]
        if table == "vision_boards":
            rank = (row["client_updated_at"], 0 if row["deleted_at"] else 1)
            if row["position"] not in tiles or rank >= tiles[row["position"]][:2]:
                tiles[row["position"]] = (*rank, row)
        elif table in SINGLE_ROW:
            by_table[table] = [row]
        else:
            rows = by_table.setdefault(table, [])
            rows[:] = [r for r in rows if r["id"] != row["id"]] + [row]
    if tiles:
        by_table["vision_boards"] = [t[2] for _, t in sorted(tiles.items())]
    if "affirmations" in by_table:  # oldest first, so the newest ends active
        versions = dict(conn.execute("select id, version from affirmations").fetchall())
        by_table["affirmations"].sort(key=lambda r: versions.get(r["id"], 0))
    changes = {t: (rows[0] if t in SINGLE_ROW else rows) for t, rows in by_table.items()}
    return Batch(changes, sent)
