"""The `sync_state` table (local migration 0002, key → text), read and written only here,
one typed function per key. Every function takes a connection: inside `store.transaction()`
to write, `store.reading()` to read.

| key | holds | written by |
|---|---|---|
| `account` | the account this device's data belongs to (user id) | engine.attach_account |
| `client_id` | this device's id in sync_push / sync_pull | the engine, once |
| `next_op_id` | the op id the next push takes | engine (`take_op_id`) |
| `pending_op` | the push in flight and its op id, until acknowledged (crash safety) | engine |
| `cursor` | where the next pull starts | engine, with the pulled rows |
| `rejections` | refused or unusable rows for the member, newest 50 | engine |
| `server_profile` | what only the server writes (subscription, member number) | incoming (pull), Realtime |
| `push_device` | what the push server was last told for this phone | notifications.push |

Wiping the device (services.data_rights.wipe_device) empties the whole table.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from chris_app.sync.outgoing import Batch
from chris_app.sync.rejections import Rejection

KEPT_REJECTIONS = 50  # the member reads them; older ones are of no use


def _get(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("select value from sync_state where key = ?", (key,)).fetchone()
    return row[0] if row else None


def _set(conn: sqlite3.Connection, key: str, value: str | None) -> None:
    if value is None:
        conn.execute("delete from sync_state where key = ?", (key,))
    else:
        conn.execute("insert into sync_state (key, value) values (?, ?)"
                     " on conflict (key) do update set value = excluded.value", (key, value))


# -- who and which device -----------------------------------------------------------------------
def account(conn: sqlite3.Connection) -> str | None:
    """The account (user id) this device's data belongs to; None for a guest's device."""
    return _get(conn, "account")


def set_account(conn: sqlite3.Connection, user_id: str) -> None:
    _set(conn, "account", user_id)


def client_id(conn: sqlite3.Connection) -> str | None:
    return _get(conn, "client_id")


def set_client_id(conn: sqlite3.Connection, value: str) -> None:
    _set(conn, "client_id", value)


# -- pushes -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PendingOp:
    """A push sent (or about to be) and not yet acknowledged: re-sent as it is after a crash."""
    op_id: int
    batch: Batch


def take_op_id(conn: sqlite3.Connection) -> int:
    """The op id for a new push; the next one is advanced in the same transaction."""
    op_id = int(_get(conn, "next_op_id") or 1)
    _set(conn, "next_op_id", str(op_id + 1))
    return op_id


def pending_op(conn: sqlite3.Connection) -> PendingOp | None:
    value = _get(conn, "pending_op")
    if value is None:
        return None
    data = json.loads(value)
    return PendingOp(int(data["op_id"]), Batch.from_json(data["batch"]))


def set_pending_op(conn: sqlite3.Connection, op: PendingOp | None) -> None:
    """Keep the push in flight (None once it is acknowledged)."""
    _set(conn, "pending_op", None if op is None else json.dumps({"op_id": op.op_id, "batch": op.batch.to_json()}))


# -- pulls --------------------------------------------------------------------------------------
def cursor(conn: sqlite3.Connection) -> int:
    """Where the next pull starts (0: from the beginning)."""
    return int(_get(conn, "cursor") or 0)


def set_cursor(conn: sqlite3.Connection, value: int) -> None:
    _set(conn, "cursor", str(int(value)))


# -- what the member reads ----------------------------------------------------------------------
def rejections(conn: sqlite3.Connection) -> list[Rejection]:
    value = _get(conn, "rejections")
    return [Rejection(**r) for r in json.loads(value)] if value else []


def add_rejections(conn: sqlite3.Connection, new: Iterable[Rejection]) -> None:
    """Keep these after the ones already kept (the newest KEPT_REJECTIONS stay)."""
    new = list(new)
    if new:
        kept = [r.to_json() for r in rejections(conn) + new]
        _set(conn, "rejections", json.dumps(kept[-KEPT_REJECTIONS:]))


def clear_rejections(conn: sqlite3.Connection) -> None:
    _set(conn, "rejections", None)


# -- what only the server writes ----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ServerProfile:
    """The profile columns only the server writes, as last pulled or pushed live (Realtime);
    None until a pull brought them."""
    subscription_status: str | None = None
    trial_ends_at: str | None = None  # ISO-8601, as the server wrote it
    member_number: int | None = None


_SERVER_ONLY = tuple(f.name for f in fields(ServerProfile))


def server_profile(conn: sqlite3.Connection) -> ServerProfile:
    value = _get(conn, "server_profile")
    known = json.loads(value) if value else {}
    return ServerProfile(**{k: known.get(k) for k in _SERVER_ONLY})


def keep_server_profile(conn: sqlite3.Connection, row: Mapping[str, Any]) -> None:
    """Keep the server-only columns a profile row carries (a pulled row, or a live one that may
    carry only some of them); the others stay as they were."""
    value = _get(conn, "server_profile")
    known = json.loads(value) if value else {}
    known.update({k: row.get(k) for k in _SERVER_ONLY if k in row})
    _set(conn, "server_profile", json.dumps(known))


# -- this phone at the push server --------------------------------------------------------------
def push_device(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """What the push server was last told for this phone (notifications.push.Registered's
    fields); None when nothing was, or when the value cannot be read (registering again is
    harmless)."""
    value = _get(conn, "push_device")
    try:
        data = json.loads(value) if value else None
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def set_push_device(conn: sqlite3.Connection, value: Mapping[str, Any] | None) -> None:
    _set(conn, "push_device", None if value is None else json.dumps(dict(value)))
