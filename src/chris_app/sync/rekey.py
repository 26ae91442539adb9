"""Local rows take the server's identity: ids the server matched by natural key (a day by date,
a tile by position) and affirmation version numbers (the server numbers versions 1, 2, 3…
without gaps). Used for a push's answer and for pulled rows (chris_app.sync.incoming); takes a
connection inside the store's transaction and never enqueues anything."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Mapping


def rekey(conn: sqlite3.Connection, table: str, entity: str, mapping: Mapping[str, str]) -> None:
    """Give local rows the server's ids. Done through temporary ids so swaps (a ↔ b) work;
    pending outbox entries follow their row."""
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
