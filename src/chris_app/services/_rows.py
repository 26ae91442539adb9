"""Helpers shared by the services: ids, timestamps and the sync outbox."""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import datetime, timezone


def new_id() -> str:
    return str(uuid.uuid4())


def stamp(now: datetime) -> str:
    """ISO-8601 UTC timestamp with microseconds, sortable as text."""
    return now.astimezone(timezone.utc).isoformat(timespec="microseconds")


def enqueue(conn: sqlite3.Connection, entity: str, row_id: str, now: datetime, op: str = "upsert",
            payload: dict | None = None) -> None:
    """Record a local change for the sync engine, in the caller's transaction. One pending
    entry per row is enough: the engine pushes the row's current state. A delete carries in
    `payload` what the server needs to find the row (the row itself is gone)."""
    pending = conn.execute(
        "select 1 from outbox where entity = ? and row_id = ? and op = ?", (entity, row_id, op)
    ).fetchone()
    if not pending:
        conn.execute(
            "insert into outbox (entity, row_id, op, created_at, payload) values (?, ?, ?, ?, ?)",
            (entity, row_id, op, stamp(now), json.dumps(payload) if payload is not None else None),
        )


def stamp_fields(conn: sqlite3.Connection, table: str, before: dict, after: dict, now: datetime) -> None:
    """Note the edit time of each field whose value changed (profile, settings): a field the
    member never changed has no stamp, so an install default never wins in sync."""
    changed = [k for k in after if before.get(k) != after[k]]
    if changed:
        stamps = json.loads(conn.execute(f"select field_stamps from {table} where id = 1").fetchone()[0])
        stamps.update({k: stamp(now) for k in changed})
        conn.execute(f"update {table} set field_stamps = ? where id = 1", (json.dumps(stamps, sort_keys=True),))
