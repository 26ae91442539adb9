"""Local rows ⇄ the server's sync JSON (contract: docs/backend.md, "Sync RPCs").

Outgoing: `changes_for(conn, entries, user_id)` turns outbox entries into the `changes` object
that `sync_push` takes, reading each row's *current* state (the outbox only says which rows
changed). Incoming: `apply_push_result` re-keys local rows the server matched by their natural
key (a day by date, a tile by position) and renumbers affirmation versions; `apply_pull` writes
pulled server rows, and the server's facts that come with every pull (`reach`), into the
store. Both take a connection inside the store's transaction and never enqueue anything: what
comes from the server is not a local change.

Translation rules (local → server):
- booleans are 0/1 locally, JSON true/false on the server;
- a day's `recording_id` becomes `recording_path = {user_id}/{date}-recording.ogg` with the
  duration and sha256 of that recording; each half of a day is sent only once it has its own
  stamp (`morning_updated_at` / `evening_updated_at`), so one device's edit of the evening
  never carries a stale morning;
- files (tile images, recordings) that exist only on the server are kept locally as
  `remote:{object name}` until they are downloaded (REMOTE_PREFIX); a local file's object name
  is `{user_id}/{file name}`;
- settings: the synced switches keep the server's names (`pulled.SETTINGS_FIELDS`);
  `on_device_reminders` (this device's own reminders), the recording limits and the input
  device stay on the device; `push_reachable` / `email_reachable` (the server's facts,
  `pulled.SETTINGS_FACTS`) are stored in the settings row but are not part of the synced row:
  they come down in every pull's `reach` (one object, whatever the cursor: a sender going quiet
  changes no row) and are never sent;
- profile: `day_start_hour` ⇄ `day_start`, `morning_time` ⇄ `morning_protocol_time`,
  `evening_time` ⇄ `evening_review_time`; an empty display name is sent as null (the server
  wants 1–40 characters or nothing).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from chris_app.sync import pulled
from chris_app.sync.pulled import PROFILE_FIELDS, SETTINGS_FIELDS

REMOTE_PREFIX = "remote:"
log = logging.getLogger(__name__)

# local entity (outbox.entity) → server table (changes key)
SERVER_TABLE = {
    "daily_sessions": "daily_sessions",
    "affirmations": "affirmations",
    "vision_board_tiles": "vision_boards",
    "settings": "user_settings",
    "profile": "profile",
}
LOCAL_ENTITY = {v: k for k, v in SERVER_TABLE.items()}
# Entities pushed through sync_push. `recordings` entries are the upload queue (files), which
# is not part of the RPC: the day row carries the recording's object name.
RPC_ENTITIES = tuple(SERVER_TABLE)
SINGLE_ROW = ("user_settings", "profile")  # sent as one object, not a list

MORNING_KEYS = ("morning_completed", "morning_completed_at", "recording_path", "recording_duration_ms",
                "recording_sha256", "affirmations_version", "vision_board_viewed", "violent_action",
                "violent_action_id", "violent_action_set_at", "action_tile_id", "action_tile_caption")
EVENING_KEYS = ("action_completed", "evening_completed", "evening_completed_at", "discipline_rating",
                "biggest_win")


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


# ---------------------------------------------------------------------------------------------
# Small pure helpers
# ---------------------------------------------------------------------------------------------
def _bool(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def _int(value: bool | None) -> int | None:
    return None if value is None else int(bool(value))


def normalize_stamp(value: str | None) -> str | None:
    """Any ISO-8601 instant (the server writes `+00:00` and trims microseconds) as the store's
    own format, so stamps compare as text and two devices store the same string."""
    return None if value is None else pulled.stamp(value)


def recording_object(user_id: str, day: str) -> str:
    return f"{user_id}/{day}-recording.ogg"


def image_object(user_id: str, local_path: str) -> str:
    """The object name of a tile image in the vision-boards bucket."""
    if local_path.startswith(REMOTE_PREFIX):
        return local_path[len(REMOTE_PREFIX):]
    return f"{user_id}/{PurePath(local_path).name}"


def remote_recording_id(recording_path: str, sha256: str | None) -> str:
    """A stable id for a recording known only from the server, the same on every device."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"chris-recording:{recording_path}:{sha256}"))


# ---------------------------------------------------------------------------------------------
# Local rows → server rows
# ---------------------------------------------------------------------------------------------
# local recordings column → sync_push key: the reading's metrics, which the server keeps with
# the recording of the same sha256 whatever the morning's stamp (docs/sync.md)
METRIC_KEYS = {"speaking_ms": "recording_speaking_ms", "loudness_dbfs": "recording_loudness_dbfs",
               "read_coverage": "read_coverage", "words_per_minute": "words_per_minute"}


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


def row_payload(conn: sqlite3.Connection, entry: OutboxEntry, user_id: str) -> dict[str, Any] | None:
    """The server row for one outbox entry from the store's current state; None when there
    is nothing to send (the row was removed after it was queued)."""
    if entry.op == "delete":
        if entry.entity == "vision_board_tiles" and entry.payload:
            return tile_tombstone(entry.row_id, entry.payload, user_id)
        return None  # days and affirmations are never deleted on the server
    if entry.entity == "daily_sessions":
        row = conn.execute("select * from daily_sessions where id = ?", (entry.row_id,)).fetchone()
        if row is None:
            return None
        rec = conn.execute("select * from recordings where id = ?", (row["recording_id"],)).fetchone() \
            if row["recording_id"] else None
        return session_payload(row, rec, user_id)
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


# ---------------------------------------------------------------------------------------------
# Push result → local store
# ---------------------------------------------------------------------------------------------
def rekey(conn: sqlite3.Connection, table: str, entity: str, mapping: Mapping[str, str]) -> None:
    """Give local rows the server's ids (the server matched them by date or position). Done
    through temporary ids so swaps (a ↔ b) work; pending outbox entries follow their row."""
    mapping = {old: new for old, new in mapping.items() if old != new}
    if not mapping:
        return
    temp = {old: f"rekey-{uuid.uuid4()}" for old in mapping}
    for old, tmp in temp.items():
        conn.execute(f"update {table} set id = ? where id = ?", (tmp, old))
    for old, new in mapping.items():
        # a stale local row already holding the server id (pulled earlier) gives way
        conn.execute(f"delete from {table} where id = ?", (new,))
        conn.execute(f"update {table} set id = ? where id = ?", (new, temp[old]))
        conn.execute("update outbox set row_id = ? where entity = ? and row_id = ?", (new, entity, old))


def set_affirmation_versions(conn: sqlite3.Connection, targets: Mapping[str, int]) -> None:
    """Give affirmations (by id) the server's version numbers, keeping local versions unique
    (a local-only row in the way moves to the end) and days pointing at the same text."""
    offset = 1_000_000
    before = dict(conn.execute("select id, version from affirmations").fetchall())
    targets = {i: v for i, v in targets.items() if i in before and before[i] != v}
    if not targets:
        return
    for row_id in targets:
        conn.execute("update affirmations set version = version + ? where id = ?", (offset, row_id))
    for row_id, version in targets.items():
        clash = conn.execute("select id from affirmations where version = ? and id != ?", (version, row_id)).fetchone()
        if clash:
            top = conn.execute("select coalesce(max(version), 0) from affirmations where version < ?",
                               (offset,)).fetchone()[0]
            conn.execute("update affirmations set version = ? where id = ?",
                         (max(top, *targets.values()) + 1, clash[0]))
        conn.execute("update affirmations set version = ? where id = ?", (version, row_id))
    after = dict(conn.execute("select id, version from affirmations").fetchall())
    renumbered = {before[i]: after[i] for i in before if before[i] != after[i]}
    if renumbered:
        cases = " ".join(f"when {int(old)} then {int(new)}" for old, new in renumbered.items())
        olds = ",".join(str(int(o)) for o in renumbered)
        conn.execute(f"update daily_sessions set affirmations_version = case affirmations_version {cases} end"
                     f" where affirmations_version in ({olds})")


def apply_push_result(conn: sqlite3.Connection, result: Mapping[str, Any], user_id: str) -> list[Skipped]:
    """Re-key and renumber local rows as the server matched them, and take back the server's
    version of every row it refused. Returns what could not be taken back."""
    ids = result.get("ids") or {}
    if ids:
        for table in ("daily_sessions", "vision_board_tiles", "affirmations"):
            known = {r[0] for r in conn.execute(f"select id from {table}")}
            rekey(conn, table, table, {k: v for k, v in ids.items() if k in known})
    if result.get("versions"):
        set_affirmation_versions(conn, {k: int(v) for k, v in result["versions"].items()})
    return take_back(conn, result.get("rejected") or [], user_id)


def take_back(conn: sqlite3.Connection, rejected: Iterable[Mapping[str, Any]], user_id: str) -> list[Skipped]:
    """Rows the server refused: the device takes the server's version of each (sent back as
    `current`), so it never stays apart from the account. Not when the member changed the row
    again meanwhile (that change goes up next), and a day or an affirmations version the
    server holds nothing of stays as it is here: what the member made is never thrown away."""
    skipped: list[Skipped] = []
    for r in rejected:
        table = r.get("table")
        entity = LOCAL_ENTITY.get(table or "")
        if entity is None:
            continue
        row_id = r.get("id") or "1"
        if conn.execute("select 1 from outbox where entity = ? and row_id = ?", (entity, row_id)).fetchone():
            continue
        current = [c for c in (r.get("current") or []) if isinstance(c, Mapping)]
        if table == "vision_boards":
            here = conn.execute("select position from vision_board_tiles where id = ?", (row_id,)).fetchone()
            if here and not any(c.get("position") == here[0] for c in current):
                conn.execute("delete from vision_board_tiles where id = ?", (row_id,))  # the account has none there
        skipped += apply_pull(conn, {table: current}, user_id)
    return skipped


# ---------------------------------------------------------------------------------------------
# Pulled server rows → local store
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Skipped:
    """A pulled row (or one field of the profile or settings) this device could not store."""
    table: str
    id: str | None
    reason: str
    field: str | None = None


def _rows(changes: Mapping[str, Any], table: str) -> list:
    """A table's pulled rows: a list, or one object; anything else is one (bad) row."""
    rows = changes.get(table) or []
    return list(rows) if isinstance(rows, list) else [rows]


def apply_pull(conn: sqlite3.Connection, changes: Mapping[str, Any], user_id: str) -> list[Skipped]:
    """Write pulled server rows into the store (server wins: the engine only applies a pull
    when nothing local is waiting to be pushed). Every row is checked first (chris_app.sync.
    pulled); a row the device cannot hold is skipped alone, never half-written (each row in
    its own savepoint), and a bad profile or settings value leaves just that field as it was.
    `reach` (the server's facts, in every pull) goes into the settings row's facts the same
    way, reported as settings fields; a pull without it (an older server) leaves them as
    they were."""
    skipped: list[Skipped] = []

    def each(table: str, apply_one, reported_as: str | None = None) -> None:
        for row in _rows(changes, table):
            row_id = None if table in SINGLE_ROW or not isinstance(row, Mapping) else row.get("id")
            skipped.extend(_guarded(conn, reported_as or table, row_id, lambda row=row: apply_one(conn, row, user_id)))

    each("profile", _apply_profile)
    each("user_settings", _apply_settings)
    each("reach", _apply_reach, reported_as="user_settings")
    skipped += _apply_affirmations(conn, _rows(changes, "affirmations"))
    each("vision_boards", _apply_tile)
    each("daily_sessions", _apply_session)
    for s in skipped:
        log.warning("sync: kept %s %s from the account off this device: %s", s.table, s.field or s.id or "", s.reason)
    return skipped


def _guarded(conn: sqlite3.Connection, table: str, row_id: str | None, fn) -> list[Skipped]:
    conn.execute("savepoint pulled_row")
    try:
        problems = fn() or []
    except (sqlite3.IntegrityError, KeyError, ValueError, TypeError, AttributeError) as exc:
        conn.execute("rollback to pulled_row")
        conn.execute("release pulled_row")
        return [Skipped(table, row_id, str(exc).splitlines()[0][:300])]
    conn.execute("release pulled_row")
    return problems


SERVER_ONLY = ("subscription_status", "trial_ends_at", "member_number")


def keep_server_fields(conn: sqlite3.Connection, row: Mapping) -> None:
    """What only the server writes (subscription, member number), kept for the screens in
    sync_state 'server_profile': from a pulled profile row or a live (Realtime) one."""
    found = conn.execute("select value from sync_state where key = 'server_profile'").fetchone()
    known = json.loads(found[0]) if found else {}
    known.update({k: row.get(k) for k in SERVER_ONLY if k in row})
    conn.execute("insert into sync_state (key, value) values ('server_profile', ?)"
                 " on conflict (key) do update set value = excluded.value", (json.dumps(known),))


def _adopt(conn: sqlite3.Connection, table: str, values: Mapping[str, Any], stamps: Mapping[str, str],
           extra: Mapping[str, Any] | None = None) -> None:
    """The account's values and edit times of the fields it sent (a field the account never
    had edited loses this device's stamp too: the account's value is the one in force)."""
    local = json.loads(conn.execute(f"select field_stamps from {table} where id = 1").fetchone()[0])
    for name in values:
        if name in stamps:
            local[name] = stamps[name]
        else:
            local.pop(name, None)
    sets = {**values, **(extra or {}), "field_stamps": json.dumps(local, sort_keys=True)}
    conn.execute(f"update {table} set " + ", ".join(f"{k} = :{k}" for k in sets) + " where id = 1", sets)


def _apply_profile(conn: sqlite3.Connection, row: Mapping, user_id: str) -> list[Skipped]:
    keep_server_fields(conn, row)
    values, stamps, first_day, problems = pulled.clean_profile(row)
    _adopt(conn, "profile", values, stamps, {"first_day": first_day.isoformat()} if first_day else None)
    return [Skipped("profile", "1", reason, field) for field, reason in problems]


def _apply_settings(conn: sqlite3.Connection, row: Mapping, user_id: str) -> list[Skipped]:
    values, stamps, problems = pulled.clean_settings(row)
    _adopt(conn, "settings", values, stamps)
    return [Skipped("user_settings", "1", reason, field) for field, reason in problems]


def _apply_reach(conn: sqlite3.Connection, reach: Mapping, user_id: str) -> list[Skipped]:
    """The server's facts (sync_pull's `reach`) into the settings row: no stamps, never
    queued; a bad value is skipped alone and the device keeps what it had for that fact."""
    if not isinstance(reach, Mapping):
        raise TypeError(f"the server's facts are not an object: {reach!r}")
    facts, problems = pulled.clean_settings_facts(reach)
    if facts:
        conn.execute("update settings set " + ", ".join(f"{k} = :{k}" for k in facts) + " where id = 1", facts)
    return [Skipped("user_settings", "1", reason, field) for field, reason in problems]


def _apply_affirmations(conn: sqlite3.Connection, rows: list) -> list[Skipped]:
    """Each version on its own (one this device cannot hold never costs it the others); the
    account's active version becomes active here once it is stored."""
    skipped: list[Skipped] = []
    temp = 2_000_000  # new rows come in above every real version, then take their number
    stored: dict[str, int] = {}
    active: list[str] = []
    for raw in rows:
        def one(raw=raw) -> None:
            r = pulled.PulledAffirmation.model_validate(raw)
            created = r.created_at or r.updated_at
            if conn.execute("select 1 from affirmations where id = ?", (r.id,)).fetchone():
                conn.execute("update affirmations set activated_at = ? where id = ?", (r.client_updated_at, r.id))
            else:
                conn.execute("insert into affirmations (id, version, content, is_active, created_at, updated_at,"
                             " activated_at) values (?, ?, ?, 0, ?, ?, ?)",
                             (r.id, temp + r.version, r.content, created, r.client_updated_at or created,
                              r.client_updated_at))
            stored[r.id] = r.version
            if r.is_active:
                active.append(r.id)
        skipped += _guarded(conn, "affirmations", raw.get("id") if isinstance(raw, Mapping) else None, one)
    if active:
        conn.execute("update affirmations set is_active = 0 where is_active = 1 and id != ?", (active[-1],))
        conn.execute("update affirmations set is_active = 1 where id = ?", (active[-1],))
    set_affirmation_versions(conn, stored)
    return skipped


def _apply_tile(conn: sqlite3.Connection, raw: Mapping, user_id: str) -> None:
    row = pulled.PulledTile.model_validate(raw)
    here = conn.execute("select id from vision_board_tiles where position = ?", (row.position,)).fetchone()
    if row.deleted_at:
        if here:
            conn.execute("delete from vision_board_tiles where id = ?", (here[0],))
        return
    stamp = row.client_updated_at or row.updated_at
    if here and here[0] != row.id:
        conn.execute("delete from vision_board_tiles where id = ?", (here[0],))
        here = None
    # the same id at another position (a move on another device) gives way too
    conn.execute("delete from vision_board_tiles where id = ? and position != ?", (row.id, row.position))
    current = conn.execute("select image_path from vision_board_tiles where id = ?", (row.id,)).fetchone()
    image = row.image_path
    if current and image_object(user_id, current[0]) == image:
        image = current[0]  # the local file is this very image: keep it
    else:
        image = REMOTE_PREFIX + image
    conn.execute(
        "insert into vision_board_tiles (id, position, image_path, caption, created_at, updated_at)"
        " values (?, ?, ?, ?, ?, ?) on conflict (id) do update set position = excluded.position,"
        " image_path = excluded.image_path, caption = excluded.caption, updated_at = excluded.updated_at",
        (row.id, row.position, image, row.caption, row.created_at or stamp, stamp))


def _recording_for(conn: sqlite3.Connection, row: Mapping, local: Mapping | None) -> str | None:
    """The local recording row for a pulled day: this device's own take when it is the same
    audio (same sha256), otherwise a `remote:` placeholder to download on demand."""
    path = row.get("recording_path")
    if not path:
        return None
    sha = row.get("recording_sha256")
    if local and local["recording_id"]:
        mine = conn.execute("select id, sha256 from recordings where id = ?", (local["recording_id"],)).fetchone()
        if mine and mine["sha256"] == sha:
            _keep_metrics(conn, mine["id"], row)
            return mine["id"]
    rec_id = remote_recording_id(path, sha)
    if conn.execute("select 1 from recordings where id = ?", (rec_id,)).fetchone() is None:
        # size unknown until downloaded: 1 byte stands in (see docs/sync.md, "Files")
        conn.execute(
            "insert into recordings (id, date, path, mime, duration_ms, sample_rate, size_bytes, sha256,"
            " created_at, uploaded_at) values (?, ?, ?, 'audio/ogg', ?, null, 1, ?, ?, ?)",
            (rec_id, row["date"], REMOTE_PREFIX + path, max(int(row.get("recording_duration_ms") or 1), 1),
             sha or "0" * 64, normalize_stamp(row.get("morning_completed_at")) or normalize_stamp(row.get("morning_updated_at")),
             normalize_stamp(row.get("updated_at"))))
    _keep_metrics(conn, rec_id, row)
    return rec_id


def _keep_metrics(conn: sqlite3.Connection, rec_id: str, row: Mapping) -> None:
    """The pulled day's reading metrics onto its local recording; a value the server lacks
    (null) keeps what this device measured."""
    speaking = row.get("recording_speaking_ms")
    conn.execute(
        "update recordings set speaking_ms = coalesce(?, speaking_ms), loudness_dbfs = coalesce(?, loudness_dbfs),"
        " read_coverage = coalesce(?, read_coverage), words_per_minute = coalesce(?, words_per_minute)"
        " where id = ?",
        (round(speaking) if speaking is not None else None, row.get("recording_loudness_dbfs"),
         row.get("read_coverage"), row.get("words_per_minute"), rec_id))


def _apply_session(conn: sqlite3.Connection, raw: Mapping, user_id: str) -> None:
    row = pulled.PulledSession.model_validate(raw).model_dump(mode="json")
    local = conn.execute("select * from daily_sessions where date = ?", (row["date"],)).fetchone()
    if local and local["id"] != row["id"]:
        rekey(conn, "daily_sessions", "daily_sessions", {local["id"]: row["id"]})
    recording_id = _recording_for(conn, row, local)
    stamps = [normalize_stamp(row.get(k)) for k in ("morning_updated_at", "evening_updated_at", "updated_at")]
    values = {
        "id": row["id"], "date": row["date"],
        "morning_completed": _int(row.get("morning_completed")) or 0,
        "morning_completed_at": normalize_stamp(row.get("morning_completed_at")),
        "recording_id": recording_id,
        "affirmations_version": row.get("affirmations_version"),
        "vision_board_viewed": _int(row.get("vision_board_viewed")) or 0,
        "violent_action": row.get("violent_action"),
        "violent_action_id": row.get("violent_action_id"),
        "violent_action_set_at": normalize_stamp(row.get("violent_action_set_at")),
        "action_tile_id": row.get("action_tile_id"),
        "action_tile_caption": row.get("action_tile_caption") if row.get("action_tile_id") else None,
        "morning_updated_at": stamps[0],
        "action_completed": _int(row.get("action_completed")),
        "evening_completed": _int(row.get("evening_completed")) or 0,
        "evening_completed_at": normalize_stamp(row.get("evening_completed_at")),
        "discipline_rating": row.get("discipline_rating"),
        "biggest_win": row.get("biggest_win"),
        "evening_updated_at": stamps[1],
        "created_at": normalize_stamp(row.get("created_at")) or max(s for s in stamps if s),
        "updated_at": max(s for s in stamps if s),
    }
    cols = ", ".join(values)
    updates = ", ".join(f"{k} = excluded.{k}" for k in values if k not in ("id", "date", "created_at"))
    conn.execute(f"insert into daily_sessions ({cols}) values ({', '.join(':' + k for k in values)})"
                 f" on conflict (id) do update set {updates}", values)


# ---------------------------------------------------------------------------------------------
# What a device holds, in the server's shape (for comparisons and diagnostics)
# ---------------------------------------------------------------------------------------------
def snapshot(conn: sqlite3.Connection, user_id: str) -> dict[str, Any]:
    """Everything that syncs, as server rows: two devices that converged have equal snapshots."""
    days = []
    for row in conn.execute("select * from daily_sessions order by date").fetchall():
        rec = conn.execute("select * from recordings where id = ?", (row["recording_id"],)).fetchone() \
            if row["recording_id"] else None
        days.append(session_payload(row, rec, user_id))
    return {
        "daily_sessions": days,
        "affirmations": [dict(affirmation_payload(r), version=r["version"]) for r in
                         conn.execute("select * from affirmations order by version").fetchall()],
        "vision_boards": [tile_payload(r, user_id) for r in
                          conn.execute("select * from vision_board_tiles order by position").fetchall()],
        "user_settings": settings_payload(conn.execute("select * from settings").fetchone()),
        "profile": profile_payload(conn.execute("select * from profile").fetchone()),
    }
