"""Numbered local migrations (store/migrations/NNNN_name.sql), tracked in PRAGMA user_version.

Each file runs in its own transaction together with the version bump, so a failed migration
leaves the database at the previous version, never in between."""

from __future__ import annotations

import re
import sqlite3
from importlib import resources

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """(version, file name, sql) for every migration, in order."""
    found = []
    for entry in resources.files("chris_app.store").joinpath("migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"local migrations must be numbered 1..n without gaps: {versions}")
    return found


def latest_version() -> int:
    return len(migrations())


def current_version(conn: sqlite3.Connection) -> int:
    return conn.execute("pragma user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection, target: int | None = None) -> int:
    """Apply pending migrations up to `target` (default: all). Returns the new version."""
    version = current_version(conn)
    for number, name, sql in migrations():
        if number <= version or (target is not None and number > target):
            continue
        # executescript() commits first and runs outside our transaction control, so the
        # statements are split and run one by one inside an explicit transaction instead.
        conn.execute("begin immediate")
        try:
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute(f"pragma user_version = {number}")
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
        version = number
    newer = current_version(conn)
    if newer > latest_version():
        raise RuntimeError(
            f"This database was written by a newer version of the app (schema {newer}); "
            "please update the app."
        )
    return version


def _statements(sql: str) -> list[str]:
    statements, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        if line.lstrip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        raise ValueError(f"incomplete SQL statement in migration: {buffer[:80]!r}")
    return statements
