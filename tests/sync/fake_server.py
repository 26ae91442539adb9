"""An in-memory model of the server's sync RPCs for one member, following docs/backend.md
("Sync RPCs"), supabase/migrations/20261126001100_sync.sql and 20261201000100_sync_merge.sql
rule for rule (tests/db/test_db_fake_vs_real.py checks it against the real SQL):

- sessions matched by date, two last-writer-wins groups (morning, evening);
  the reading's metrics follow the recording kept after the merge (its sha256), whichever half
  won: a pushed null never erases them, a new recording brings its own (or none);
- affirmation versions numbered by the server; the active version is the one saved last by
  client clock (ties: the larger id as text); a version without a save time never becomes
  active over an existing one and maps onto a version with the same text; the first version
  is always active;
- tiles matched by position, last-writer-wins; a position without a row takes the pushed id
  unless that id is already used by another row (then a fresh uuid, mapped in `ids`); tiles
  are kept by id, like the table's primary key, so that collision can happen here too;
- profile preferences and settings merge per field (`field_stamps`), each field in its own
  subtransaction (a bad value is rejected with its `field`, the others apply); a row without
  `field_stamps` is the legacy path (every sent field stamped at the row stamp);
- the profile's `first_day` only moves earlier, applied when the push ends;
- every `sync_pull`, whatever its cursor, carries `reach`: one object with the server's
  read-only facts `push_reachable` (a phone registered through `register_push_device` and a
  push sender alive) and `email_reachable` (an email address and an email sender alive),
  computed when pulled (20261202000100_push_reminders.sql); the settings rows are plain. The
  member's first phone registered or last one removed touches the settings row (it comes
  again with the next pull); a sender's heartbeat touches nothing;
- a call without changes, client_id or op_id, or with more than 1000 rows, refused whole
  (CallRejected, as the transport raises it); (client_id, op_id) replayed; a bad row rejected
  (with `current`: the server's rows behind it, in sync_pull's shape) while the rest of the
  batch applies; a transaction-counter cursor (rows written by transactions >= since).

Values are converted as PostgreSQL converts them (jsonb_populate_record) and timestamps are
kept as to_jsonb renders a timestamptz in UTC. Not modelled: statistics, the violent actions
library (any violent_action_id is accepted) and other members' rows.

`FakeTransport` puts it behind the engine's Transport protocol and can fail on purpose."""

from __future__ import annotations

import copy
import json
import math
import re
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

import numpy as np

from chris_app.domain.days import is_valid_timezone, protocol_day
from chris_app.sync.errors import CallRejected

MORNING = ("morning_completed", "morning_completed_at", "recording_path", "recording_duration_ms",
           "recording_sha256", "affirmations_version", "vision_board_viewed", "violent_action",
           "violent_action_id", "violent_action_set_at", "action_tile_id", "action_tile_caption")
EVENING = ("action_completed", "evening_completed", "evening_completed_at", "discipline_rating", "biggest_win")
# the reading's metrics (20261202000300_reading_metrics.sql): kept with the recording they belong to
METRICS = ("recording_speaking_ms", "recording_loudness_dbfs", "read_coverage", "words_per_minute")
SETTINGS = ("push_notifications", "email_reminders", "morning_reminder", "evening_reminder", "weekly_email",
            "sound_enabled", "auto_play_recording", "theme")
PROFILE = ("full_name", "display_name", "timezone", "day_start", "morning_protocol_time", "evening_review_time",
           "leaderboard_opt_in")
TABLES = ("profile", "user_settings", "affirmations", "vision_boards", "daily_sessions")  # the order sync_push applies
EARLIEST = date(2000, 1, 1)
UTC = timezone.utc

# column → PostgreSQL type, for the conversions jsonb_populate_record does
_TYPES: dict[str, str] = {
    "id": "uuid", "date": "date", "morning_completed": "bool", "morning_completed_at": "ts", "recording_path": "text",
    "recording_duration_ms": "int", "recording_sha256": "text", "affirmations_version": "int",
    "vision_board_viewed": "bool", "violent_action": "text", "violent_action_id": "uuid",
    "violent_action_set_at": "ts", "action_completed": "bool", "evening_completed": "bool",
    "evening_completed_at": "ts", "discipline_rating": "smallint", "biggest_win": "text",
    "recording_speaking_ms": "int", "recording_loudness_dbfs": "real", "read_coverage": "real",
    "words_per_minute": "real", "action_tile_id": "uuid", "action_tile_caption": "text",
    "content": "text", "position": "smallint", "image_path": "text", "caption": "text", "deleted_at": "ts",
    "full_name": "text", "display_name": "text", "timezone": "text", "day_start": "smallint",
    "morning_protocol_time": "time", "evening_review_time": "time", "leaderboard_opt_in": "bool",
    "push_notifications": "bool", "email_reminders": "bool", "morning_reminder": "bool", "evening_reminder": "bool",
    "weekly_email": "bool", "sound_enabled": "bool", "auto_play_recording": "bool", "theme": "text",
}


def _server_time(xid: int) -> str:
    """The server's now() of transaction `xid` (one second apart)."""
    return (datetime(2026, 6, 1, tzinfo=timezone.utc) + timedelta(seconds=xid)).isoformat()


class Reject(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


# -- PostgreSQL's conversions -----------------------------------------------------------------
def _text(value: Any) -> str | None:
    """`rec ->> key`: a JSON value as text (None for JSON null)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def _parse_ts(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise Reject("22007", f'invalid input syntax for type timestamp with time zone: "{text}"') from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)  # the server's zone is UTC


def _render_ts(value: datetime) -> str:
    """to_jsonb of a timestamptz (session time zone UTC): microseconds only when there are any,
    without trailing zeros."""
    text = value.astimezone(timezone.utc).isoformat()
    if value.microsecond:
        head, frac = text[:-6].split(".")
        text = f"{head}.{frac.rstrip('0')}+00:00"
    return text


def _ts(value: str | None) -> datetime | None:
    return None if value is None else _parse_ts(value)


def _parse_date(text: str) -> date:
    match = re.fullmatch(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*", text)
    if not match:
        raise Reject("22007", f'invalid input syntax for type date: "{text}"')
    try:
        return date(*map(int, match.groups()))
    except ValueError:
        raise Reject("22008", f'date/time field value out of range: "{text}"') from None


def _parse_time(text: str) -> str:
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{1,2})(?::(\d{1,2})(\.\d+)?)?\s*", text)
    if not match:
        raise Reject("22007", f'invalid input syntax for type time: "{text}"')
    h, m, s = int(match[1]), int(match[2]), int(match[3] or 0)
    frac = (match[4] or "").rstrip("0").rstrip(".")
    if m > 59 or s > 60 or h > 24 or (h == 24 and (m or s or frac)):
        raise Reject("22008", f'date/time field value out of range: "{text}"')
    return f"{h:02d}:{m:02d}:{s:02d}{frac}"


def _convert(column: str, value: Any) -> Any:
    """One value as jsonb_populate_record stores it in `column` (errors as PostgreSQL's)."""
    if value is None:
        return None
    kind = _TYPES[column]
    text = _text(value)
    if kind == "text":
        return text
    if kind == "bool":
        if isinstance(value, bool):
            return value
        word = text.strip().lower()
        if word and any(w.startswith(word) for w in ("true", "yes")) or word in ("on", "1"):
            return True
        if word and any(w.startswith(word) for w in ("false", "no")) or word in ("of", "off", "0"):
            return False
        raise Reject("22P02", f'invalid input syntax for type boolean: "{text}"')
    if kind in ("int", "smallint"):
        name, bits = ("integer", 31) if kind == "int" else ("smallint", 15)
        if isinstance(value, bool) or not re.fullmatch(r"\s*[+-]?\d+\s*", text):
            raise Reject("22P02", f'invalid input syntax for type {name}: "{text}"')
        number = int(text)
        if not -2 ** bits <= number < 2 ** bits:
            raise Reject("22003", f'value "{text}" is out of range for type {name}')
        return number
    if kind == "real":  # float4: its input syntax, its precision (to_jsonb prints the shortest form)
        if isinstance(value, bool) or not re.fullmatch(
                r"\s*([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(nan|inf|infinity))\s*", text, re.IGNORECASE):
            raise Reject("22P02", f'invalid input syntax for type real: "{text}"')
        number = float(text)
        if math.isfinite(number) and (abs(number) > 3.4028234663852886e38 or 0 < abs(number) < 1.17549435e-38):
            raise Reject("22003", f'"{text.strip()}" is out of range for type real')
        return float(str(np.float32(number)))
    if kind == "uuid":
        try:
            return str(uuid.UUID(text.strip()))
        except ValueError:
            raise Reject("22P02", f'invalid input syntax for type uuid: "{text}"') from None
    if kind == "ts":
        return _render_ts(_parse_ts(text))
    if kind == "date":
        return _parse_date(text).isoformat()
    if kind == "time":
        return _parse_time(text)
    raise AssertionError(kind)


def _same_value(a: Any, b: Any) -> bool:
    """`is not distinct from` (NaN equals NaN in PostgreSQL)."""
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


def _client_time(rec: dict, key: str) -> datetime | None:
    """private.client_time: coalesce(rec ->> key, rec ->> 'updated_at')::timestamptz."""
    text = _text(rec.get(key))
    if text is None:
        text = _text(rec.get("updated_at"))
    return None if text is None else _parse_ts(text)


def _check(ok: bool | None, relation: str, constraint: str) -> None:
    if ok is False:  # a CHECK passes on null
        raise Reject("23514", f'new row for relation "{relation}" violates check constraint "{constraint}"')


def _not_null(row: dict, relation: str, *columns: str) -> None:
    for c in columns:
        if row.get(c) is None:
            raise Reject("23502", f'null value in column "{c}" of relation "{relation}" violates not-null constraint')


def _length(value: str | None) -> int | None:
    return None if value is None else len(value)


def _btrim(value: str | None) -> str | None:
    return None if value is None else value.strip(" ")


def _within(value: float | None, low: float, high: float) -> bool | None:
    """`value between low and high` (PostgreSQL's NaN is above every number)."""
    return None if value is None else (not math.isnan(value) and low <= value <= high)


class FakeServer:
    """One member's account. `timezone` is the sign-up time zone (the app signs up with the
    device's); `first_day` the sign-up day (default: today's protocol day there); `today` the
    server's UTC date (default: the real one), which bounds the days it takes."""

    def __init__(self, user_id: str, *, timezone: str = "Europe/Berlin", first_day: str | None = None,
                 today: date | None = None, email: str | None = "member@example.com") -> None:
        now = datetime.now(tz=UTC)
        self.user_id = user_id
        self.today = today or now.date()
        self.next_xid = 1
        self.sessions: dict[str, dict] = {}  # by date (unique per member)
        self.affirmations: dict[str, dict] = {}  # by id
        self.tiles: dict[str, dict] = {}  # by id (the primary key); positions are unique too
        self.settings = {"id": user_id, "push_notifications": True, "email_reminders": False,
                         "morning_reminder": True, "evening_reminder": True, "weekly_email": True,
                         "sound_enabled": True, "auto_play_recording": False, "theme": "system",
                         "client_updated_at": None, "field_stamps": {}, "change_xid": 0}
        self.profile = {"id": user_id, "full_name": None, "display_name": None, "timezone": timezone, "day_start": 3,
                        "morning_protocol_time": "05:30:00", "evening_review_time": "20:00:00",
                        "leaderboard_opt_in": False, "prefs_updated_at": None, "prefs_stamps": {},
                        "first_day": first_day or protocol_day(now, timezone, 3).isoformat(), "change_xid": 0}
        self.first_day_claim: date | None = None  # chris.first_day_claim of the push going on
        self.email = email  # the account's address (profiles.email)
        self.push_devices: dict[str, str] = {}  # public.push_devices: subscription id → platform
        self.senders_alive: set[str] = set()  # channels ('push', 'email') with a fresh heartbeat
        self.ops: dict[tuple[str, int], dict] = {}
        self.log: list[tuple[str, int, bool]] = []  # (client_id, op_id, replayed)

    def tile_at(self, position: int) -> dict | None:
        return next((t for t in self.tiles.values() if t["position"] == position), None)

    # -- sync_push --------------------------------------------------------------------------------
    def push(self, changes: dict[str, Any], client_id: str, op_id: int) -> dict[str, Any]:
        changes = json.loads(json.dumps(changes))  # what went over the wire
        if not isinstance(changes, dict) or client_id is None or op_id is None:
            raise CallRejected("sync_push needs changes (an object), client_id and op_id", code="22023")
        if sum(len(v) for v in changes.values() if isinstance(v, list)) > 1000:
            raise CallRejected("at most 1000 rows per push", code="54000")
        key = (client_id, op_id)
        if key in self.ops:
            self.log.append((client_id, op_id, True))
            return copy.deepcopy(self.ops[key]) | {"replayed": True}
        xid, self.next_xid = self.next_xid, self.next_xid + 1
        self.first_day_claim = None
        applied = unchanged = 0
        rejected, ids, versions = [], {}, {}
        for table in TABLES:
            rows = changes.get(table)
            rows = rows if isinstance(rows, list) else [rows] if isinstance(rows, dict) else []
            for rec in rows:
                before = self._state()
                try:
                    if not isinstance(rec, dict):
                        raise Reject("22023", "a change must be an object")
                    outcome = getattr(self, f"_apply_{table}")(rec, xid)
                except Reject as exc:
                    self._restore(before)
                    rejected.append({"table": table, "id": _text(rec.get("id")) if isinstance(rec, dict) else None,
                                     "code": exc.code, "reason": exc.reason,
                                     "current": self.current(table, rec) if isinstance(rec, dict) else []})
                    continue
                applied += outcome["status"] == "applied"
                unchanged += outcome["status"] == "unchanged"
                if "id" in rec and _text(rec["id"]) != outcome["id"] and table not in ("profile", "user_settings"):
                    ids[_text(rec["id"])] = outcome["id"]
                if "version" in outcome:
                    versions[outcome["id"]] = outcome["version"]
                for problem in outcome.get("problems", []):
                    rejected.append({"table": table, "id": _text(rec.get("id")), **problem,
                                     "current": self.current(table, rec)})
        # the end of the push (the sync_ops trigger): the first day a device claimed
        if self.first_day_claim is not None and self.first_day_claim < date.fromisoformat(self.profile["first_day"]):
            self.profile.update(first_day=self.first_day_claim.isoformat(), change_xid=xid)
        self.first_day_claim = None
        result = {"op_id": op_id, "applied": applied, "unchanged": unchanged, "rejected": rejected, "ids": ids,
                  "versions": versions, "replayed": False}
        self.ops[key] = copy.deepcopy(result)
        self.log.append((client_id, op_id, False))
        return result

    def _state(self) -> dict:
        return copy.deepcopy({name: getattr(self, name) for name in
                              ("sessions", "affirmations", "tiles", "settings", "profile", "first_day_claim")})

    def _restore(self, before: dict) -> None:  # a subtransaction rolled back
        for name, value in before.items():
            setattr(self, name, value)

    # -- daily_sessions -----------------------------------------------------------------------------
    def _apply_daily_sessions(self, rec: dict, xid: int) -> dict:
        m_ts, e_ts = _client_time(rec, "morning_updated_at"), _client_time(rec, "evening_updated_at")
        row_id, day = _convert("id", rec.get("id")), _convert("date", rec.get("date"))
        if row_id is None or day is None:
            raise Reject("22023", "a session needs an id and a date")
        has_m, has_e = any(k in rec for k in MORNING), any(k in rec for k in EVENING)
        if (has_m and m_ts is None) or (has_e and e_ts is None):
            raise Reject("22023", "a session needs morning_updated_at / evening_updated_at (or updated_at)")
        metrics = {k: _convert(k, rec.get(k)) for k in METRICS}
        cur = self.sessions.get(day)
        if cur is None:
            row = {"id": row_id, "user_id": self.user_id, "date": day}
            row |= {k: _convert(k, rec.get(k)) for k in MORNING + EVENING}
            same = row["recording_sha256"] is not None
            row |= {k: metrics[k] if same else None for k in METRICS}
            for k in ("morning_completed", "vision_board_viewed", "evening_completed"):
                row[k] = bool(row[k])
            row["morning_updated_at"] = _render_ts(m_ts) if has_m else None
            row["evening_updated_at"] = _render_ts(e_ts) if has_e else None
            self._check_session(row)
            if any(s["id"] == row_id for s in self.sessions.values()):
                raise Reject("23505", 'duplicate key value violates unique constraint "daily_sessions_pkey"')
            self.sessions[day] = row | {"created_at": _server_time(xid), "change_xid": xid}
            return {"status": "applied", "id": row_id}
        apply_m = has_m and (cur["morning_updated_at"] is None or m_ts > _ts(cur["morning_updated_at"]))
        apply_e = has_e and (cur["evening_updated_at"] is None or e_ts > _ts(cur["evening_updated_at"]))
        row = dict(cur)
        if apply_m:  # jsonb_populate_record: absent keys keep the stored value
            row |= {k: _convert(k, rec[k]) for k in MORNING if k in rec}
            row["morning_updated_at"] = _render_ts(m_ts)
        if apply_e:
            row |= {k: _convert(k, rec[k]) for k in EVENING if k in rec}
            row["evening_updated_at"] = _render_ts(e_ts)
        # The metrics follow the recording kept after the merge.
        same = row["recording_sha256"] is not None and _text(rec.get("recording_sha256")) == row["recording_sha256"]
        if row["recording_sha256"] != cur["recording_sha256"]:
            row |= {k: metrics[k] if same else None for k in METRICS}
        elif same:
            row |= {k: cur[k] if metrics[k] is None else metrics[k] for k in METRICS}
        if not (apply_m or apply_e) and all(_same_value(row[k], cur[k]) for k in METRICS):
            return {"status": "unchanged", "id": cur["id"]}
        for k in ("morning_completed", "vision_board_viewed", "evening_completed"):
            row[k] = bool(row[k])
        self._check_session(row)
        cur.update(row, change_xid=xid)
        return {"status": "applied", "id": cur["id"]}

    def _check_session(self, row: dict) -> None:
        day = date.fromisoformat(row["date"])
        if day > self.today + timedelta(days=1) or day < EARLIEST:  # the before-write trigger
            raise Reject("22008", f"session date {row['date']} is out of range")
        rel, path, sha = "daily_sessions", row["recording_path"], row["recording_sha256"]
        caption = row["action_tile_caption"]  # 20261202000600_action_tile.sql
        _check(None if caption is None else 1 <= len(caption) <= 200, rel, "daily_sessions_action_tile_caption_check")
        _check(row["action_tile_id"] is not None or caption is None, rel, "daily_sessions_action_tile_link_check")
        _check(row["action_tile_id"] is None or row["violent_action"] is not None, rel,
               "daily_sessions_action_tile_needs_action_check")
        _check(None if row["affirmations_version"] is None else row["affirmations_version"] >= 1, rel,
               "daily_sessions_affirmations_version_check")
        _check(None if row["biggest_win"] is None else len(row["biggest_win"]) <= 1000, rel,
               "daily_sessions_biggest_win_check")
        _check(_within(row["discipline_rating"], 1, 10), rel, "daily_sessions_discipline_rating_check")
        _check(_within(row["recording_duration_ms"], 0, 3_600_000), rel, "daily_sessions_recording_duration_ms_check")
        _check(_within(row["recording_speaking_ms"], 0, 3_600_000), rel, "daily_sessions_recording_speaking_ms_check")
        _check(_within(row["recording_loudness_dbfs"], -120, 0), rel, "daily_sessions_recording_loudness_dbfs_check")
        _check(_within(row["read_coverage"], 0, 1), rel, "daily_sessions_read_coverage_check")
        _check(_within(row["words_per_minute"], 0, 1000), rel, "daily_sessions_words_per_minute_check")
        _check(None if sha is None else bool(re.fullmatch(r"[0-9a-f]{64}", sha)), rel,
               "daily_sessions_recording_sha256_check")
        action = row["violent_action"]
        _check(None if action is None else len(_btrim(action)) >= 3 and len(action) <= 280, rel,
               "daily_sessions_violent_action_check")
        _check(None if path is None else len(path) <= 1024 and path.startswith(f"{self.user_id}/"), rel,
               "recording_path_in_own_folder")

    # -- affirmations -------------------------------------------------------------------------------
    def _apply_affirmations(self, rec: dict, xid: int) -> dict:
        text = _text(rec.get("client_updated_at"))  # no fallback: null is a default never saved
        ts = None if text is None else _parse_ts(text)
        row_id, content = _convert("id", rec.get("id")), _convert("content", rec.get("content"))
        if row_id is None:
            raise Reject("22023", "an affirmation needs an id")
        cur = self.affirmations.get(row_id)
        if cur is not None:
            if content is not None and content != cur["content"]:
                raise Reject("22023", "affirmation versions are immutable: save a new version instead")
            return {"status": "unchanged", "id": cur["id"], "version": cur["version"]}
        if ts is None:
            same = sorted((a for a in self.affirmations.values() if a["content"] == content),
                          key=lambda a: a["version"])
            if same:
                return {"status": "unchanged", "id": same[0]["id"], "version": same[0]["version"]}
        act = next((a for a in self.affirmations.values() if a["is_active"]), None)
        active = act is None or (ts is not None and (
            act["client_updated_at"] is None or (ts, row_id) > (_ts(act["client_updated_at"]), act["id"])))
        # the before-insert trigger: numbered by the server, the first is active, an active one
        # retires the others; then the row's constraints
        version = max((a["version"] for a in self.affirmations.values()), default=0) + 1
        if act is None:
            active = True
        elif active:
            for a in self.affirmations.values():
                if a["is_active"]:
                    a.update(is_active=False, change_xid=xid)
        row = {"id": row_id, "user_id": self.user_id, "version": version, "content": content,
               "is_active": active, "client_updated_at": None if ts is None else _render_ts(ts),
               "created_at": _server_time(xid), "change_xid": xid}
        _not_null(row, "affirmations", "content")
        _check(1 <= len(content) <= 5000 and _btrim(content) != "", "affirmations", "affirmations_content_check")
        self.affirmations[row_id] = row
        return {"status": "applied", "id": row_id, "version": version}

    # -- vision_boards ------------------------------------------------------------------------------
    def _apply_vision_boards(self, rec: dict, xid: int) -> dict:
        ts = _client_time(rec, "client_updated_at")
        r = {k: _convert(k, rec.get(k)) for k in ("id", "position", "image_path", "caption", "deleted_at")}
        if r["id"] is None or r["position"] is None or ts is None:
            raise Reject("22023", "a tile needs an id, a position and updated_at")
        cur = self.tile_at(r["position"])
        if cur is None:
            new_id = r["id"] if r["id"] not in self.tiles else str(uuid.uuid4())
            row = {"id": new_id, "user_id": self.user_id, "position": r["position"], "image_path": r["image_path"],
                   "caption": r["caption"], "deleted_at": r["deleted_at"], "client_updated_at": _render_ts(ts)}
            self._check_tile(row)
            self.tiles[new_id] = row | {"created_at": _server_time(xid), "change_xid": xid}
            return {"status": "applied", "id": new_id}
        if cur["client_updated_at"] is not None and ts <= _ts(cur["client_updated_at"]):
            return {"status": "unchanged", "id": cur["id"]}
        row = dict(cur, image_path=r["image_path"] if r["image_path"] is not None else cur["image_path"],
                   caption=r["caption"], deleted_at=r["deleted_at"], client_updated_at=_render_ts(ts))
        self._check_tile(row)
        cur.update(row, change_xid=xid)
        return {"status": "applied", "id": cur["id"]}

    def _check_tile(self, row: dict) -> None:
        _not_null(row, "vision_boards", "image_path")
        path = row["image_path"]
        _check(len(path) <= 1024 and path.startswith(f"{self.user_id}/"), "vision_boards", "image_path_in_own_folder")
        _check(None if row["caption"] is None else len(row["caption"]) <= 140, "vision_boards",
               "vision_boards_caption_check")
        _check(1 <= row["position"] <= 8, "vision_boards", "vision_boards_position_check")

    # -- user_settings and profile: per field -------------------------------------------------------
    def _apply_fields(self, row: dict, relation: str, stamps_col: str, row_stamp_col: str, keys: tuple[str, ...],
                      rec: dict, legacy_ts: datetime | None, xid: int, check: Callable[[dict, dict], None]) -> dict:
        """private.sync_apply_fields: {"applied": n, "problems": [{field, code, reason}]}."""
        if "field_stamps" not in rec:
            if legacy_ts is None:
                raise Reject("22023", f"{relation} needs field_stamps (or updated_at)")
            stamps: dict[str, Any] = {k: _render_ts(legacy_ts) for k in keys if k in rec}
        else:
            stamps = rec["field_stamps"]
            if not isinstance(stamps, dict):
                raise Reject("22023", "field_stamps must be an object")
        applied, problems = 0, []
        for k in keys:
            if not (k in stamps and k in rec):
                continue
            before = copy.deepcopy(row)
            try:
                text = _text(stamps[k])
                if text is None:
                    raise Reject("22023", f"the stamp of {k} is empty")
                ts = _parse_ts(text)
                stored = row[stamps_col]
                if k not in stored or ts > _parse_ts(stored[k]):
                    new = dict(row, **{k: _convert(k, rec[k])})
                    check(new, row)
                    row.update(new, change_xid=xid)
                    row[stamps_col] = {**row[stamps_col], k: _render_ts(ts)}
                    row[row_stamp_col] = _render_ts(max(ts, _ts(row[row_stamp_col]) or ts))
                    applied += 1
            except Reject as exc:
                row.clear()
                row.update(before)
                problems.append({"field": k, "code": exc.code, "reason": exc.reason})
        return {"applied": applied, "problems": problems}

    def _apply_user_settings(self, rec: dict, xid: int) -> dict:
        outcome = self._apply_fields(self.settings, "user_settings", "field_stamps", "client_updated_at", SETTINGS,
                                     rec, _client_time(rec, "client_updated_at"), xid, self._check_settings)
        return {"status": "applied" if outcome["applied"] else "unchanged", "id": self.user_id,
                "problems": outcome["problems"]}

    @staticmethod
    def _check_settings(new: dict, old: dict) -> None:
        _not_null(new, "user_settings", *SETTINGS)
        _check(new["theme"] in ("light", "dark", "system"), "user_settings", "user_settings_theme_check")

    def _apply_profile(self, rec: dict, xid: int) -> dict:
        outcome = self._apply_fields(self.profile, "profiles", "prefs_stamps", "prefs_updated_at", PROFILE,
                                     rec, _client_time(rec, "prefs_updated_at"), xid, self._check_profile)
        moved = False
        if "first_day" in rec:
            try:
                text = _text(rec["first_day"])
                claimed = None if text is None else _parse_date(text)
                if claimed is not None and (claimed < EARLIEST or claimed > self.today + timedelta(days=1)):
                    raise Reject("22008", f"first day {claimed.isoformat()} is out of range")
                if claimed is not None and claimed < date.fromisoformat(self.profile["first_day"]):
                    # applied when the push ends: members cannot write first_day
                    self.first_day_claim = min(claimed, self.first_day_claim or claimed)
                    moved = True
            except Reject as exc:
                outcome["problems"].append({"field": "first_day", "code": exc.code, "reason": exc.reason})
        return {"status": "applied" if outcome["applied"] or moved else "unchanged", "id": self.user_id,
                "problems": outcome["problems"]}

    @staticmethod
    def _check_profile(new: dict, old: dict) -> None:
        if new["timezone"] != old["timezone"] and not (new["timezone"] and is_valid_timezone(new["timezone"])):
            raise Reject("22023", f"invalid time zone: {new['timezone'] if new['timezone'] is not None else '<NULL>'}")
        _not_null(new, "profiles", "timezone", "day_start", "morning_protocol_time", "evening_review_time",
                  "leaderboard_opt_in")
        name = new["display_name"]
        _check(None if name is None else len(_btrim(name)) >= 1 and len(name) <= 40, "profiles",
               "profiles_display_name_check")
        _check(_within(new["day_start"], 0, 23), "profiles", "profiles_day_start_check")
        _check(None if new["full_name"] is None else len(new["full_name"]) <= 100, "profiles",
               "profiles_full_name_check")

    # -- what the server holds ----------------------------------------------------------------------
    def current(self, table: str, rec: dict) -> list[dict]:
        """private.sync_current: the rows behind a pushed row (same id or natural key)."""
        row_id = _text(rec.get("id"))
        if table == "daily_sessions":
            rows = [s for s in self.sessions.values() if s["id"] == row_id or s["date"] == _text(rec.get("date"))]
        elif table == "affirmations":
            rows = [a for a in self.affirmations.values() if a["id"] == row_id]
        elif table == "vision_boards":
            position = _text(rec.get("position"))
            rows = [t for t in self.tiles.values() if t["id"] == row_id or str(t["position"]) == position]
        elif table == "user_settings":
            rows = [self.settings]
        elif table == "profile":  # with the first day this push is about to adopt
            claim = self.first_day_claim
            rows = [self.profile | ({"first_day": claim.isoformat()} if claim and
                                    claim < date.fromisoformat(self.profile["first_day"]) else {})]
        else:
            rows = []
        return self._shaped(rows, -1)

    @staticmethod
    def _shaped(rows, since: int) -> list[dict]:
        """As to_jsonb writes the rows (the server's clock columns included), changed since."""
        return copy.deepcopy([{k: v for k, v in r.items() if k != "change_xid"}
                              | {"created_at": r.get("created_at") or _server_time(0),
                                 "updated_at": _server_time(r["change_xid"])}
                              for r in rows if r["change_xid"] >= since])

    # -- the server's facts about reaching the member -----------------------------------------
    def facts(self) -> dict[str, bool]:
        """push_reachable / email_reachable, as sync_pull reports them (its `reach`)."""
        return {"push_reachable": bool(self.push_devices) and "push" in self.senders_alive,
                "email_reachable": self.email is not None and "email" in self.senders_alive}

    def _touch_settings(self) -> None:
        """private.push_devices_touch_settings: a new change_xid, nothing else."""
        self.settings["change_xid"], self.next_xid = self.next_xid, self.next_xid + 1

    def register_push_device(self, subscription_id: Any, platform: Any) -> None:
        """public.register_push_device (the member's own phone; here always this member)."""
        if not (isinstance(subscription_id, str) and re.fullmatch(r"[A-Za-z0-9-]{1,128}", subscription_id)):
            raise CallRejected("a push subscription id is 1 to 128 letters, digits or hyphens", code="22023")
        if platform not in ("android", "ios"):
            raise CallRejected("a phone registered for push is 'android' or 'ios'", code="22023")
        first = not self.push_devices
        self.push_devices[subscription_id] = platform
        if first:
            self._touch_settings()

    def unregister_push_device(self, subscription_id: Any) -> None:
        if self.push_devices.pop(subscription_id, None) is not None and not self.push_devices:
            self._touch_settings()

    def sender_heartbeat(self, channel: str, alive: bool = True) -> None:
        """public.sender_heartbeat (alive=False: its last heartbeat is over an hour old). Touches
        no member's row: devices learn it from `reach` in their next pull."""
        (self.senders_alive.add if alive else self.senders_alive.discard)(channel)

    # -- sync_pull ----------------------------------------------------------------------------
    def pull(self, since: int, client_id: str | None = None) -> dict[str, Any]:
        return {"cursor": self.next_xid, "changes": {
            "daily_sessions": self._shaped(sorted(self.sessions.values(), key=lambda r: r["date"]), since),
            "affirmations": self._shaped(sorted(self.affirmations.values(), key=lambda r: r["version"]), since),
            "vision_boards": self._shaped(sorted(self.tiles.values(), key=lambda r: r["position"]), since),
            "user_settings": self._shaped([self.settings], since),
            "profile": self._shaped([self.profile], since),
            "reach": [self.facts()],
        }}


class Crash(BaseException):
    """The process dies (not an error the engine handles)."""


class FakeTransport:
    """The engine's Transport over a FakeServer. `fail` is a list of exceptions raised, one per
    call, before the server sees the call; `crash_after_push` makes the next push reach the
    server and then kill the caller before it hears the answer."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.fail: list[BaseException] = []
        self.crash_after_push = False
        self.calls: list[tuple[str, Any]] = []
        self.before_push: Callable[[], None] | None = None

    def push(self, changes: dict, client_id: str, op_id: int) -> dict:
        self.calls.append(("push", op_id))
        if self.fail:
            raise self.fail.pop(0)
        if self.before_push:
            hook, self.before_push = self.before_push, None
            hook()
        result = self.server.push(changes, client_id, op_id)
        if self.crash_after_push:
            self.crash_after_push = False
            raise Crash()
        return result

    def pull(self, since: int, client_id: str) -> dict:
        self.calls.append(("pull", since))
        if self.fail:
            raise self.fail.pop(0)
        return self.server.pull(since, client_id)
