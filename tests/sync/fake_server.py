"""An in-memory model of the server's sync RPCs for one member, following docs/backend.md
("Sync RPCs") and supabase/migrations/*_sync.sql rule for rule: sessions matched by date with
two last-writer-wins groups, affirmations numbered by the server (an insert that is active
retires the others), tiles matched by position, settings/profile last-writer-wins as a whole,
(client_id, op_id) replayed, a bad row rejected while the rest of the batch applies, and a
transaction-counter cursor (rows written by transactions ≥ since).

`FakeTransport` puts it behind the engine's Transport protocol and can fail on purpose."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

MORNING = ("morning_completed", "morning_completed_at", "recording_path", "recording_duration_ms",
           "recording_sha256", "affirmations_version", "vision_board_viewed", "violent_action",
           "violent_action_id", "violent_action_set_at")
EVENING = ("action_completed", "evening_completed", "evening_completed_at", "discipline_rating", "biggest_win")
SETTINGS = ("push_notifications", "email_reminders", "morning_reminder", "evening_reminder", "weekly_email",
            "sound_enabled", "auto_play_recording", "theme")
PROFILE = ("full_name", "display_name", "timezone", "day_start", "morning_protocol_time", "evening_review_time",
           "leaderboard_opt_in")


def _server_time(xid: int) -> str:
    """The server's now() of transaction `xid` (one second apart)."""
    return (datetime(2026, 6, 1, tzinfo=timezone.utc) + timedelta(seconds=xid)).isoformat()


class Reject(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


def _ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


class FakeServer:
    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        self.next_xid = 1
        self.sessions: dict[str, dict] = {}
        self.affirmations: dict[str, dict] = {}
        self.tiles: dict[int, dict] = {}
        self.settings = {"id": user_id, "push_notifications": True, "email_reminders": False,
                         "morning_reminder": True, "evening_reminder": True, "weekly_email": True,
                         "sound_enabled": True, "auto_play_recording": True, "theme": "system",
                         "client_updated_at": None, "change_xid": 0}
        self.profile = {"id": user_id, "full_name": None, "display_name": None, "timezone": "UTC", "day_start": 3,
                        "morning_protocol_time": "05:30:00", "evening_review_time": "20:00:00",
                        "leaderboard_opt_in": False, "prefs_updated_at": None, "change_xid": 0}
        self.ops: dict[tuple[str, int], dict] = {}
        self.log: list[tuple[str, int, bool]] = []  # (client_id, op_id, replayed)

    # -- sync_push --------------------------------------------------------------------------------
    def push(self, changes: dict[str, Any], client_id: str, op_id: int) -> dict[str, Any]:
        changes = json.loads(json.dumps(changes))  # what went over the wire
        key = (client_id, op_id)
        if key in self.ops:
            self.log.append((client_id, op_id, True))
            return copy.deepcopy(self.ops[key]) | {"replayed": True}
        xid, self.next_xid = self.next_xid, self.next_xid + 1
        applied = unchanged = 0
        rejected, ids, versions = [], {}, {}
        for table in ("profile", "user_settings", "affirmations", "vision_boards", "daily_sessions"):
            rows = changes.get(table) or []
            if isinstance(rows, dict):
                rows = [rows]
            for rec in rows:
                before = copy.deepcopy(self.__dict__)
                try:
                    outcome = getattr(self, f"_apply_{table}")(rec, xid)
                except Reject as exc:
                    self._restore(before)
                    rejected.append({"table": table, "id": rec.get("id"), "code": exc.code, "reason": exc.reason})
                    continue
                applied += outcome["status"] == "applied"
                unchanged += outcome["status"] == "unchanged"
                if "id" in rec and rec["id"] != outcome["id"] and table not in ("profile", "user_settings"):
                    ids[rec["id"]] = outcome["id"]
                if "version" in outcome:
                    versions[outcome["id"]] = outcome["version"]
        result = {"op_id": op_id, "applied": applied, "unchanged": unchanged, "rejected": rejected, "ids": ids,
                  "versions": versions, "replayed": False}
        self.ops[key] = copy.deepcopy(result)
        self.log.append((client_id, op_id, False))
        return result

    def _restore(self, before: dict) -> None:  # a row's subtransaction rolled back
        for name in ("sessions", "affirmations", "tiles", "settings", "profile"):
            setattr(self, name, before[name])

    def _apply_daily_sessions(self, rec: dict, xid: int) -> dict:
        if not rec.get("id") or not rec.get("date"):
            raise Reject("22023", "a session needs an id and a date")
        has_m, has_e = any(k in rec for k in MORNING), any(k in rec for k in EVENING)
        m_ts = _ts(rec.get("morning_updated_at") or rec.get("updated_at"))
        e_ts = _ts(rec.get("evening_updated_at") or rec.get("updated_at"))
        if (has_m and m_ts is None) or (has_e and e_ts is None):
            raise Reject("22023", "a session needs morning_updated_at / evening_updated_at (or updated_at)")
        rating = rec.get("discipline_rating")
        if rating is not None and not 1 <= rating <= 10:
            raise Reject("23514", 'new row for relation "daily_sessions" violates check constraint'
                                  ' "daily_sessions_discipline_rating_check"')
        path = rec.get("recording_path")
        if path is not None and not path.startswith(f"{self.user_id}/"):
            raise Reject("23514", 'violates check constraint "recording_path_in_own_folder"')
        cur = self.sessions.get(rec["date"])
        if cur is None:
            row = {"id": rec["id"], "user_id": self.user_id, "date": rec["date"]}
            row |= {k: rec.get(k) for k in MORNING + EVENING}
            for k in ("morning_completed", "vision_board_viewed", "evening_completed"):
                row[k] = bool(row[k])
            row["morning_updated_at"] = rec.get("morning_updated_at") or rec.get("updated_at") if has_m else None
            row["evening_updated_at"] = rec.get("evening_updated_at") or rec.get("updated_at") if has_e else None
            row["change_xid"] = xid
            self.sessions[rec["date"]] = row
            return {"status": "applied", "id": rec["id"]}
        apply_m = has_m and (cur["morning_updated_at"] is None or m_ts > _ts(cur["morning_updated_at"]))
        apply_e = has_e and (cur["evening_updated_at"] is None or e_ts > _ts(cur["evening_updated_at"]))
        if not (apply_m or apply_e):
            return {"status": "unchanged", "id": cur["id"]}
        if apply_m:  # jsonb_populate_record: absent keys keep the stored value
            cur |= {k: rec[k] for k in MORNING if k in rec}
            cur["morning_updated_at"] = rec.get("morning_updated_at") or rec.get("updated_at")
        if apply_e:
            cur |= {k: rec[k] for k in EVENING if k in rec}
            cur["evening_updated_at"] = rec.get("evening_updated_at") or rec.get("updated_at")
        for k in ("morning_completed", "vision_board_viewed", "evening_completed"):
            cur[k] = bool(cur[k])
        cur["change_xid"] = xid
        return {"status": "applied", "id": cur["id"]}

    def _apply_affirmations(self, rec: dict, xid: int) -> dict:
        if not rec.get("id"):
            raise Reject("22023", "an affirmation needs an id")
        ts = rec.get("client_updated_at") or rec.get("updated_at")
        cur = self.affirmations.get(rec["id"])
        if cur is None:
            if not rec.get("content"):
                raise Reject("23502", 'null value in column "content"')
            active = rec.get("is_active", True)
            if not any(a["is_active"] for a in self.affirmations.values()):
                active = True
            elif active:
                self._retire_all(xid)
            version = max((a["version"] for a in self.affirmations.values()), default=0) + 1
            self.affirmations[rec["id"]] = {"id": rec["id"], "user_id": self.user_id, "version": version,
                                            "content": rec["content"], "is_active": bool(active),
                                            "client_updated_at": ts, "created_at": ts, "change_xid": xid}
            return {"status": "applied", "id": rec["id"], "version": version}
        if rec.get("content") is not None and rec["content"] != cur["content"]:
            raise Reject("22023", "affirmation versions are immutable: save a new version instead")
        if rec.get("is_active") and not cur["is_active"] and (
                cur["client_updated_at"] is None or _ts(ts) > _ts(cur["client_updated_at"])):
            self._retire_all(xid)
            cur.update(is_active=True, client_updated_at=ts, change_xid=xid)
            return {"status": "applied", "id": cur["id"], "version": cur["version"]}
        return {"status": "unchanged", "id": cur["id"], "version": cur["version"]}

    def _retire_all(self, xid: int) -> None:
        for a in self.affirmations.values():
            if a["is_active"]:
                a.update(is_active=False, change_xid=xid)

    def _apply_vision_boards(self, rec: dict, xid: int) -> dict:
        ts = rec.get("client_updated_at") or rec.get("updated_at")
        if not rec.get("id") or rec.get("position") is None or ts is None:
            raise Reject("22023", "a tile needs an id, a position and updated_at")
        if not 1 <= rec["position"] <= 8:
            raise Reject("23514", 'violates check constraint "vision_boards_position_check"')
        cur = self.tiles.get(rec["position"])
        if cur is None:
            path = rec.get("image_path")
            if path is None:
                raise Reject("23502", 'null value in column "image_path"')
            if not path.startswith(f"{self.user_id}/"):
                raise Reject("23514", 'violates check constraint "image_path_in_own_folder"')
            if any(t["id"] == rec["id"] for t in self.tiles.values()):
                raise Reject("23505", 'duplicate key value violates unique constraint "vision_boards_pkey"')
            self.tiles[rec["position"]] = {"id": rec["id"], "user_id": self.user_id, "position": rec["position"],
                                           "image_path": path, "caption": rec.get("caption"),
                                           "deleted_at": rec.get("deleted_at"), "client_updated_at": ts,
                                           "change_xid": xid}
            return {"status": "applied", "id": rec["id"]}
        if cur["client_updated_at"] is not None and _ts(ts) <= _ts(cur["client_updated_at"]):
            return {"status": "unchanged", "id": cur["id"]}
        path = rec.get("image_path") or cur["image_path"]
        if not path.startswith(f"{self.user_id}/"):
            raise Reject("23514", 'violates check constraint "image_path_in_own_folder"')
        cur.update(image_path=path, caption=rec.get("caption"), deleted_at=rec.get("deleted_at"),
                   client_updated_at=ts, change_xid=xid)
        return {"status": "applied", "id": cur["id"]}

    def _apply_user_settings(self, rec: dict, xid: int) -> dict:
        ts = rec.get("client_updated_at") or rec.get("updated_at")
        if ts is None:
            raise Reject("22023", "settings need updated_at")
        cur = self.settings
        if cur["client_updated_at"] is not None and _ts(ts) <= _ts(cur["client_updated_at"]):
            return {"status": "unchanged", "id": self.user_id}
        cur |= {k: rec[k] for k in SETTINGS if k in rec}
        cur.update(client_updated_at=ts, change_xid=xid)
        return {"status": "applied", "id": self.user_id}

    def _apply_profile(self, rec: dict, xid: int) -> dict:
        ts = rec.get("prefs_updated_at") or rec.get("updated_at")
        if ts is None:
            raise Reject("22023", "profile preferences need updated_at")
        cur = self.profile
        if cur["prefs_updated_at"] is not None and _ts(ts) <= _ts(cur["prefs_updated_at"]):
            return {"status": "unchanged", "id": self.user_id}
        name = rec.get("display_name", cur["display_name"])
        if name is not None and not 1 <= len(name.strip()) <= 40:
            raise Reject("23514", 'violates check constraint "profiles_display_name_check"')
        cur |= {k: rec[k] for k in PROFILE if k in rec}
        for k in ("morning_protocol_time", "evening_review_time"):
            if len(cur[k]) == 5:
                cur[k] += ":00"  # a time column reads back as HH:MM:SS
        cur.update(prefs_updated_at=ts, change_xid=xid)
        return {"status": "applied", "id": self.user_id}

    # -- sync_pull ----------------------------------------------------------------------------
    def pull(self, since: int, client_id: str | None = None) -> dict[str, Any]:
        def fresh(rows):  # the server's clock columns, as to_jsonb writes a timestamptz
            return [{k: v for k, v in r.items() if k != "change_xid"}
                    | {"created_at": r.get("created_at") or _server_time(0), "updated_at": _server_time(r["change_xid"])}
                    for r in rows if r["change_xid"] >= since]
        return copy.deepcopy({"cursor": self.next_xid, "changes": {
            "daily_sessions": fresh(sorted(self.sessions.values(), key=lambda r: r["date"])),
            "affirmations": fresh(sorted(self.affirmations.values(), key=lambda r: r["version"])),
            "vision_boards": fresh(sorted(self.tiles.values(), key=lambda r: r["position"])),
            "user_settings": fresh([self.settings]),
            "profile": fresh([self.profile]),
        }})


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
