"""Affirmation versions: editing creates a new version; exactly one is active."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from chris_app.errors import NotFound
from chris_app.models import AffirmationsInput, parse
from chris_app.services._rows import enqueue, new_id, stamp
from chris_app.store import Store

STARTER_AFFIRMATIONS = """I am disciplined. I do what I said I would do, especially when I don't feel like it.
I keep the promises I make to myself.
Every morning I choose who I become today.
Fear is a signal to move forward, not to stop.
I act boldly, and I learn faster than I fail.
My body is strong, my mind is clear, and my word is my bond.
I am building a life I am proud of, one day at a time."""


@dataclass(frozen=True, slots=True)
class Affirmations:
    version: int
    content: str
    is_active: bool
    created_at: str

    @property
    def lines(self) -> list[str]:
        return [line.strip() for line in self.content.splitlines() if line.strip()]


def seed_starter_affirmations(conn: sqlite3.Connection, now: datetime) -> None:
    """The text every install starts with. It is a default, not the member's edit (no
    `activated_at`): it never becomes active over versions an account already has."""
    if conn.execute("select 1 from affirmations").fetchone() is None:
        _insert_version(conn, STARTER_AFFIRMATIONS, now, saved=False)


def _insert_version(conn: sqlite3.Connection, content: str, now: datetime, saved: bool = True) -> int:
    version = conn.execute("select coalesce(max(version), 0) + 1 from affirmations").fetchone()[0]
    ts = stamp(now)
    for (row_id,) in conn.execute("select id from affirmations where is_active = 1").fetchall():
        conn.execute("update affirmations set is_active = 0, updated_at = ? where id = ?", (ts, row_id))
        enqueue(conn, "affirmations", row_id, now)
    row_id = new_id()
    conn.execute(
        "insert into affirmations (id, version, content, is_active, created_at, updated_at, activated_at)"
        " values (?, ?, ?, 1, ?, ?, ?)",
        (row_id, version, content, ts, ts, ts if saved else None),
    )
    enqueue(conn, "affirmations", row_id, now)
    return version


def active(store: Store) -> Affirmations:
    rows = store.query("select * from affirmations where is_active = 1")
    if not rows:
        raise NotFound("You have no affirmations yet. Write your first ones in the editor.")
    return _from_row(rows[0])


def history(store: Store) -> list[Affirmations]:
    return [_from_row(r) for r in store.query("select * from affirmations order by version desc")]


def save_new_version(store: Store, now: datetime, content: str) -> Affirmations:
    values = parse(AffirmationsInput, content=content)
    with store.transaction() as conn:
        if _active_content(conn) == values.content:
            return active(store)  # nothing changed: no new version
        _insert_version(conn, values.content, now)
    return active(store)


def restore(store: Store, now: datetime, version: int) -> Affirmations:
    """Bring back an old version's text as a new version (history stays linear)."""
    with store.transaction() as conn:
        row = conn.execute("select content from affirmations where version = ?", (version,)).fetchone()
        if row is None:
            raise NotFound(f"Version {version} of your affirmations does not exist.")
        if _active_content(conn) != row["content"]:
            _insert_version(conn, row["content"], now)
    return active(store)


def _active_content(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("select content from affirmations where is_active = 1").fetchone()
    return row["content"] if row else None


def _from_row(row: sqlite3.Row) -> Affirmations:
    return Affirmations(row["version"], row["content"], bool(row["is_active"]), row["created_at"])
