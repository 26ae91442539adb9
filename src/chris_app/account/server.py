"""What only the server knows, read as the member through the backend door: the leaderboard,
the member's devices, the audit log of their account, an export archive built server-side, and
signing out the member's other sessions. Each raises the door's errors (chris_app.errors tree);
views show `.message`.

    leaderboard        GET  /rest/v1/leaderboard?select=display_name,member_code,current_streak
                            &order=current_streak.desc&limit=N
    devices            POST /rest/v1/rpc/my_devices
    activity           GET  /rest/v1/audit_log?select=event,actor,detail,at&order=at.desc&limit=N
    export_link        POST /functions/v1/export-data {}
    other sessions     POST /auth/v1/logout?scope=others, then
                       POST /rest/v1/rpc/record_own_audit {"p_event": "sessions_revoked"}
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chris_app.sync.door import Backend
from chris_app.sync.errors import FunctionFailed, ServerError, SyncError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Device:
    client_id: str
    platform: str | None
    app_version: str | None
    seen_at: datetime
    this_device: bool


@dataclass(frozen=True, slots=True)
class ExportPart:
    url: str
    bytes: int


@dataclass(frozen=True, slots=True)
class ExportLink:
    """The server's archive of the whole account: one part, or several when it is larger than
    the exports bucket takes in one file (each part is a zip of its own; part 1 holds data.json
    and a README naming the others). `not_exported`: files too large for any part."""
    url: str  # part 1's
    expires_at: datetime
    bytes: int  # all parts together
    parts: tuple[ExportPart, ...] = ()
    not_exported: int = 0


@dataclass(frozen=True, slots=True)
class AuditEntry:
    event: str
    actor: str
    detail: dict
    at: datetime


def _when(value: Any) -> datetime:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise ServerError() from None


def leaderboard(backend: Backend, limit: int = 50) -> list[dict]:
    """The top members by current streak, among those who opted in: display name, member code
    and streak only (the server's narrow, opt-in table)."""
    return backend.transport().select("leaderboard", "display_name,member_code,current_streak",
                                      order="current_streak", desc=True, limit=limit)


def devices(backend: Backend, this_client: str | None) -> list[Device]:
    """The member's devices, last seen first (`this_device`: the one asking)."""
    rows = backend.transport().rpc("my_devices", {})
    if not isinstance(rows, list):
        raise ServerError()
    return [Device(str(r["client_id"]), r.get("platform"), r.get("app_version"), _when(r["seen_at"]),
                   this_client is not None and str(r["client_id"]) == this_client) for r in rows]


def activity(backend: Backend, limit: int = 50) -> list[AuditEntry]:
    """The audit log of the member's account, newest first (exports, deletions, support)."""
    rows = backend.transport().select("audit_log", "event,actor,detail,at", order="at", desc=True, limit=limit)
    return [AuditEntry(r["event"], r["actor"], r.get("detail") or {}, _when(r["at"])) for r in rows]


def export_link(backend: Backend) -> ExportLink:
    """A short-lived link to the whole account's archive, built by the `export-data` function."""
    data = backend.call_function("export-data", {}, timeout=120.0)
    try:
        url, total = str(data["url"]), int(data["bytes"])
        parts = tuple(ExportPart(str(p["url"]), int(p["bytes"])) for p in data.get("parts") or ())
        return ExportLink(url, _when(data["expires_at"]), total, parts or (ExportPart(url, total),),
                          len(data.get("not_exported") or ()))
    except (KeyError, TypeError, ValueError, ServerError):
        raise FunctionFailed("The server could not prepare your export right now. Try again later.",
                             "bad_reply") from None


def sign_out_other_sessions(backend: Backend) -> None:
    """End every session of the member but this device's, then note it in the audit log (the
    sign-out has happened whether or not the note gets through)."""
    backend.auth.sign_out_others()
    try:
        backend.transport().rpc("record_own_audit", {"p_event": "sessions_revoked"})
    except SyncError as exc:
        log.warning("the audit note of signing out other sessions failed (%s)", type(exc).__name__)
