"""SQLite connection and the one transaction context manager used for every local write."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from chris_app.store.migrate import migrate


class Store:
    """One SQLite database file. Writes go through `transaction()`, which rolls back unless
    the block finishes, so a failed write never leaves half of itself behind.

    Flet runs event handlers on worker threads, so the connection is shared across threads
    behind a lock (SQLite itself is in serialized mode)."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self.conn = conn
        self.path = path
        self.files_dir = (path.parent if path else Path.cwd()) / "files"
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self.conn.execute("begin immediate")
            try:
                yield self.conn
            except BaseException:
                self.conn.rollback()
                raise
            else:
                self.conn.commit()

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """The connection for several reads that must see one state: no write of this
        process comes in between (a read may keep a cache row, see services.summary)."""
        with self._lock:
            yield self.conn

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self.conn.execute(sql, params).fetchall()

    def close(self) -> None:
        with self._lock:
            self.conn.close()


def connect(path: Path | str) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=10)
    conn.row_factory = sqlite3.Row
    conn.execute("pragma foreign_keys = on")
    # A row replaced (INSERT OR REPLACE) fires its delete triggers too, so the statistics
    # state that triggers keep (migration 0005) stays right whoever writes.
    conn.execute("pragma recursive_triggers = on")
    conn.execute("pragma busy_timeout = 10000")
    if str(path) != ":memory:":
        conn.execute("pragma journal_mode = wal")
        conn.execute("pragma synchronous = normal")
    return conn


def open_store(path: Path | str) -> Store:
    """Open (creating if needed) the store at `path` and bring it to the newest schema."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = connect(path)
    migrate(conn)
    store = Store(conn, None if str(path) == ":memory:" else Path(path))
    store.files_dir.mkdir(parents=True, exist_ok=True)
    return store
