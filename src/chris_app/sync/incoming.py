"""The server's rows and answers → the local store. `apply_pull` writes pulled rows, and the
server's facts that come with every pull (`reach`); `apply_push_result` re-keys and renumbers
local rows as a push's answer matched them (chris_app.sync.rekey) and takes back the account's
version of every row the server refused (`take_back`). All take a connection inside the store's
transaction and never enqueue anything: what comes from the server is not a local change.

Every pulled row is checked first (chris_app.sync.pulled); a row this device cannot hold is
skipped alone (`Skipped`), never half-written. Files that exist only on the server are kept as
`remote:{object name}` rows (sync/paths.py) until they are downloaded.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chris_app.sync import pulled, sync_state
from chris_app.sync.outgoing import LOCAL_ENTITY, SINGLE_ROW
from chris_app.sync.paths import REMOTE_PREFIX, image_object, remote_recording_id
from chris_app.sync.rekey import rekey, set_affirmation_versions

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Skipped:
    """A pulled row (or one field of the profile or settings) this device could not store."""
    table: str
    id: str | None
    reason: str
    field: str | None = None


def _int(value: bool | None) -> int | None:
    return None if value is None else int(bool(value))


def _stamp(value: str | None) -> str | None:
    """Any ISO-8601 instant (the server writes `+00:00` and trims microseconds) as the store's
    own format, so stamps compare as text and two devices store the same string."""
    return None if value is None else pulled.stamp(value)


# -- a push's answer ----------------------------------------------------------------------------
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


# -- a pull ------------------------------------------------------------------------------------
def pulled_rows(changes: Mapping[str, Any], table: str) -> list:
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
        for row in pulled_rows(changes, table):
            row_id = None if table in SINGLE_ROW or not isinstance(row, Mapping) else row.get("id")
            skipped.extend(_guarded(conn, reported_as or table, row_id, lambda row=row: apply_one(conn, row, user_id)))

    each("profile", _apply_profile)
    each("user_settings", _apply_settings)
    each("reach", _apply_reach, reported_as="user_settings")
    skipped += _apply_affirmations(conn, pulled_rows(changes, "affirmations"))
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
    sync_state.keep_server_profile(conn, row)
    values, stamps, first_day, problems = pulled.clean_profile(row)
    if pulled.unset_time_zone(row) and zone_is_the_devices_own(conn):
        values.pop("timezone", None)  # the device's zone stays; the engine claims it for the account
    _adopt(conn, "profile", values, stamps, {"first_day": first_day.isoformat()} if first_day else None)
    return [Skipped("profile", "1", reason, field) for field, reason in problems]


def zone_is_the_devices_own(conn: sqlite3.Connection) -> bool:
    """This device's zone is still the one it found itself (never chosen by the member, never
    taken from the account: both would have stamped it)."""
    stamps = json.loads(conn.execute("select field_stamps from profile where id = 1").fetchone()[0])
    return "timezone" not in stamps


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
             sha or "0" * 64, _stamp(row.get("morning_completed_at")) or _stamp(row.get("morning_updated_at")),
             _stamp(row.get("updated_at"))))
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
    stamps = [_stamp(row.get(k)) for k in ("morning_updated_at", "evening_updated_at", "updated_at")]
    values = {
        "id": row["id"], "date": row["date"],
        "morning_completed": _int(row.get("morning_completed")) or 0,
        "morning_completed_at": _stamp(row.get("morning_completed_at")),
        "recording_id": recording_id,
        "affirmations_version": row.get("affirmations_version"),
        "vision_board_viewed": _int(row.get("vision_board_viewed")) or 0,
        "violent_action": row.get("violent_action"),
        "violent_action_id": row.get("violent_action_id"),
        "violent_action_set_at": _stamp(row.get("violent_action_set_at")),
        "action_tile_id": row.get("action_tile_id"),
        "action_tile_caption": row.get("action_tile_caption") if row.get("action_tile_id") else None,
        "morning_updated_at": stamps[0],
        "action_completed": _int(row.get("action_completed")),
        "evening_completed": _int(row.get("evening_completed")) or 0,
        "evening_completed_at": _stamp(row.get("evening_completed_at")),
        "discipline_rating": row.get("discipline_rating"),
        "biggest_win": row.get("biggest_win"),
        "evening_updated_at": stamps[1],
        "created_at": _stamp(row.get("created_at")) or max(s for s in stamps if s),
        "updated_at": max(s for s in stamps if s),
    }
    cols = ", ".join(values)
    updates = ", ".join(f"{k} = excluded.{k}" for k in values if k not in ("id", "date", "created_at"))
    conn.execute(f"insert into daily_sessions ({cols}) values ({', '.join(':' + k for k in values)})"
                 f" on conflict (id) do update set {updates}", values)
