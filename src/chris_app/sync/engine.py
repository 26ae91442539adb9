"""The sync engine: the outbox goes up through `sync_push`, the account's changes come down
through `sync_pull` (docs/backend.md for the server, docs/sync.md for this side).

One run (`SyncEngine.run`) is: push the outbox in batches → pull → store the cursor. The
public API is synchronous and blocking (SQLite + HTTP): the app calls it from a background
thread (`await asyncio.to_thread(engine.run)`), never on the UI thread. Runs do not overlap:
a run requested while one is going makes the current run go round once more instead.

Crash safety. Before a batch is sent, the batch itself (the changes object, the outbox entries
it covers and the row each entry sent) and its op id are written to `sync_state` and the next
op id is advanced, in one transaction. If the process dies after the server applied the push
but before the acknowledgement committed, the next run re-sends *that same batch with that
same op id*; the server recognises (client_id, op_id) and replays its stored result, so nothing
is applied twice and nothing is lost. (Rebuilding the batch from the outbox under the old op id
would be wrong: the server would replay the old result for different rows.)

Acknowledgement deletes an outbox entry only if the row it sent is still the row's current
state: a row edited while its push was in flight stays queued and goes in the next batch. Rows
the server refused (`rejected`) are acknowledged the same way — retrying cannot succeed — and
their reasons are kept in `sync_state` for the member to read (`SyncEngine.rejections`).

The pull is applied only when nothing is waiting to be pushed (checked again inside the
transaction that applies it), and the cursor is stored in that same transaction, after the
rows: pulled rows then simply win (the server already has everything this device sent).
"""

from __future__ import annotations

import enum
import json
import random
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from chris_app.services._rows import enqueue, stamp
from chris_app.store import Store
from chris_app.sync.errors import AccountMismatch, AuthExpired, SyncError
from chris_app.sync.payloads import (
    LOCAL_ENTITY, RPC_ENTITIES, Batch, OutboxEntry, Skipped, apply_pull, apply_push_result, build_batch,
    row_payload,
)


class Transport(Protocol):
    """How the engine reaches the server (chris_app.sync.transport.SupabaseTransport, or a
    fake in tests). Both raise chris_app.sync.errors.SyncError subclasses."""

    def push(self, changes: dict[str, Any], client_id: str, op_id: int) -> dict[str, Any]: ...

    def pull(self, since: int, client_id: str) -> dict[str, Any]: ...


class SyncState(enum.Enum):
    """What the member sees about sync.

    SYNCED   nothing waits to be pushed and the last run finished.
    PENDING  `pending` local changes wait (not synced yet, or edited since the last run).
    SYNCING  a run is going on.
    OFFLINE  the last run could not reach the server (no network, server busy); changes are
             safe on the device and the app retries later (with backoff inside a run).
    ERROR    the last run stopped for a reason retrying cannot fix (sign-in expired, the
             server refused the call, another account's data); `message` says what to do.

    Transitions: any → SYNCING when a run starts; SYNCING → SYNCED | PENDING (edits arrived
    during the run) | OFFLINE | ERROR when it ends. A local edit turns SYNCED into PENDING
    (status() counts the outbox). OFFLINE and ERROR stay until the next run ends."""

    SYNCED = "synced"
    PENDING = "pending"
    SYNCING = "syncing"
    OFFLINE = "offline"
    ERROR = "error"


# Server reasons are database messages; the member reads these instead (by SQLSTATE class).
_REASONS = {
    "23514": "a value is outside what your account allows",
    "23502": "a required value is missing",
    "23505": "it clashes with something already saved",
    "23503": "it refers to something that does not exist",
    "42501": "your account is not allowed to change it",
    "22008": "its date is out of range",
    "22001": "a text is too long",
    "local": "it is outside what this app version can hold",
}
_WHAT = {"daily_sessions": "A day", "affirmations": "Your affirmations", "vision_board_tiles": "A vision board image",
         "settings": "Your settings", "profile": "Your profile"}


_FIELDS = {"display_name": "display name", "timezone": "time zone", "day_start_hour": "day start",
           "day_start": "day start", "morning_time": "morning time", "morning_protocol_time": "morning time",
           "evening_time": "evening time", "evening_review_time": "evening time", "theme": "theme",
           "leaderboard_opt_in": "leaderboard choice", "first_day": "first day"}


@dataclass(frozen=True, slots=True)
class Rejection:
    """A change the server refused (code: SQLSTATE), or a row/field from the account that this
    device could not store (code "local"). A refused change is replaced on this device by the
    account's version where the account has one (payloads.take_back)."""
    entity: str
    row_id: str | None
    code: str
    reason: str  # the server's own words (for support)
    at: str
    field: str | None = None
    kept_here: bool = False  # the account holds nothing of it: the device keeps its own

    @property
    def message(self) -> str:
        why = _REASONS.get(self.code, self.reason)
        what = _WHAT.get(self.entity, "A change")
        if self.field:
            what = f"{what} ({_FIELDS.get(self.field, self.field.replace('_', ' '))})"
        if self.code == "local":
            return f"{what} from your account could not be used on this device: {why}; this device keeps its own."
        if self.kept_here:
            return f"{what} could not be synced: {why}. It stays on this device only."
        return f"{what} could not be synced: {why}. This device now shows what your account holds."


@dataclass(frozen=True, slots=True)
class SyncStatus:
    state: SyncState
    pending: int
    message: str
    rejections: tuple[Rejection, ...] = ()

    @property
    def skipped(self) -> int:
        """Rows (or fields) from the account this device could not store, not yet dismissed."""
        return sum(1 for r in self.rejections if r.code == "local")

    @property
    def text(self) -> str:
        return self.message


@dataclass(slots=True)
class SyncReport:
    """What one successful pass did (for logs and tests)."""
    ops: list[int] = field(default_factory=list)
    pulled: bool = False
    skipped: list[Skipped] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# sync_state helpers (key/value table from local migration 0002)
# ---------------------------------------------------------------------------------------------
def _get(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("select value from sync_state where key = ?", (key,)).fetchone()
    return row[0] if row else None


def _set(conn: sqlite3.Connection, key: str, value: str | None) -> None:
    if value is None:
        conn.execute("delete from sync_state where key = ?", (key,))
    else:
        conn.execute("insert into sync_state (key, value) values (?, ?)"
                     " on conflict (key) do update set value = excluded.value", (key, value))


_RPC_FILTER = "entity in (" + ",".join(f"'{e}'" for e in RPC_ENTITIES) + ")"


def pending_count(conn: sqlite3.Connection) -> int:
    """Local changes waiting for sync_push (the upload queue of files is counted apart)."""
    return conn.execute(f"select count(*) from outbox where {_RPC_FILTER}").fetchone()[0]


def attach_account(store: Store, user_id: str, now: datetime) -> None:
    """Make this device's data the account's (guest → account, after the member confirmed):
    everything made as a guest is queued for the first push, which merges it with whatever
    the account already holds by the sync rules. Idempotent; refuses another account."""
    with store.transaction() as conn:
        current = _get(conn, "account")
        if current == user_id:
            return
        if current is not None:
            raise AccountMismatch()
        _set(conn, "account", user_id)
        enqueue(conn, "profile", "1", now)
        enqueue(conn, "settings", "1", now)
        for entity, table in (("affirmations", "affirmations"), ("daily_sessions", "daily_sessions"),
                              ("vision_board_tiles", "vision_board_tiles"), ("recordings", "recordings")):
            for (row_id,) in conn.execute(f"select id from {table}").fetchall():
                enqueue(conn, entity, row_id, now)


class SyncEngine:
    """Push/pull for one signed-in member on one device. Thread-safe; blocking calls."""

    MAX_OPS_PER_PASS = 1000  # 200 entries each: far more than any device's history

    def __init__(self, store: Store, transport: Transport, user_id: str, *,
                 batch_size: int = 200, max_attempts: int = 5, base_delay: float = 1.0, max_delay: float = 60.0,
                 sleep: Callable[[float], None] = time.sleep, rand: Callable[[], float] = random.random,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 refresh_auth: Callable[[], bool] | None = None,
                 on_status: Callable[[SyncStatus], None] | None = None) -> None:
        self.store, self.transport, self.user_id = store, transport, str(user_id)
        self.batch_size, self.max_attempts = batch_size, max_attempts
        self.base_delay, self.max_delay = base_delay, max_delay
        self.sleep, self.rand, self.clock = sleep, rand, clock
        self.refresh_auth, self.on_status = refresh_auth, on_status
        self._running = threading.Lock()
        self._flag = threading.Lock()
        self._again = False
        self._outcome: tuple[SyncState, str] | None = None  # last run's OFFLINE/ERROR, if any
        self._syncing = False
        with store.transaction() as conn:
            self.client_id = _get(conn, "client_id") or str(uuid.uuid4())
            _set(conn, "client_id", self.client_id)

    # -- status ---------------------------------------------------------------------------------
    def status(self) -> SyncStatus:
        pending = self._pending()
        rejections = tuple(self.rejections())
        if self._syncing:
            return SyncStatus(SyncState.SYNCING, pending, "Syncing…", rejections)
        if self._outcome:
            return SyncStatus(self._outcome[0], pending, self._outcome[1], rejections)
        if pending:
            noun = "change" if pending == 1 else "changes"
            return SyncStatus(SyncState.PENDING, pending, f"{pending} {noun} waiting to sync.", rejections)
        kept_off = sum(1 for r in rejections if r.code == "local")
        if kept_off:
            noun = "item" if kept_off == 1 else "items"
            return SyncStatus(SyncState.SYNCED, 0, f"Synced, except {kept_off} {noun} from your account that this"
                              " device could not use (see below).", rejections)
        return SyncStatus(SyncState.SYNCED, 0, "Everything is synced.", rejections)

    def _pending(self) -> int:
        return self.store.query(f"select count(*) from outbox where {_RPC_FILTER}")[0][0]

    def _publish(self) -> None:
        if self.on_status:
            self.on_status(self.status())

    def rejections(self) -> list[Rejection]:
        rows = self.store.query("select value from sync_state where key = 'rejections'")
        return [Rejection(**r) for r in json.loads(rows[0][0])] if rows else []

    def dismiss_rejections(self) -> None:
        with self.store.transaction() as conn:
            _set(conn, "rejections", None)

    # -- the run with retries -----------------------------------------------------------------
    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: half of the exponential delay is fixed, half random,
        so retries of many devices spread out but never come back at once."""
        delay = min(self.max_delay, self.base_delay * 2 ** attempt)
        return delay / 2 + delay / 2 * self.rand()

    def run(self) -> SyncStatus:
        """Sync until done or until retrying is pointless; returns the status to show."""
        if not self._running.acquire(blocking=False):
            with self._flag:
                self._again = True
            return self.status()
        try:
            attempt, refreshed = 0, False
            while True:
                self._syncing = True
                self._publish()
                try:
                    self.sync_once()
                except SyncError as exc:
                    self._syncing = False
                    if exc.retryable and attempt + 1 < self.max_attempts:
                        self._outcome = (SyncState.OFFLINE, exc.message)
                        self._publish()
                        self.sleep(self.backoff(attempt))
                        attempt += 1
                        continue
                    if isinstance(exc, AuthExpired) and self.refresh_auth and not refreshed:
                        refreshed = True
                        if self.refresh_auth():
                            continue
                    self._outcome = (SyncState.OFFLINE if exc.retryable else SyncState.ERROR, exc.message)
                    break
                self._syncing = False
                self._outcome = None
                with self._flag:
                    again, self._again = self._again, False
                if not again:
                    break
        finally:
            self._syncing = False
            self._running.release()
        self._publish()
        return self.status()

    # -- one pass -----------------------------------------------------------------------------
    def sync_once(self) -> SyncReport:
        """Push everything queued, then pull; raises SyncError. Edits made during the pass go
        round again (a few times at most; the next run picks up the rest)."""
        self._check_account()
        report = SyncReport()
        for _ in range(3):
            for _ in range(self.MAX_OPS_PER_PASS):  # a bound, so no bug can spin forever
                op_id = self.push_one()
                if op_id is None:
                    break
                report.ops.append(op_id)
            pulled = self.pull()
            if pulled is not None:
                report.pulled, report.skipped = True, pulled
                break
        return report

    def _check_account(self) -> None:
        with self.store.transaction() as conn:
            account = _get(conn, "account")
        if account is None:
            attach_account(self.store, self.user_id, self.clock())
        elif account != self.user_id:
            raise AccountMismatch()

    def push_one(self) -> int | None:
        """Send one batch (the one in flight from before a crash first). Returns its op id, or
        None when nothing waits."""
        with self.store.transaction() as conn:
            in_flight = _get(conn, "pending_op")
            if in_flight:
                data = json.loads(in_flight)
                op_id, batch = data["op_id"], Batch.from_json(data["batch"])
            else:
                entries = self._next_entries(conn)
                if not entries:
                    return None
                batch = build_batch(conn, entries, self.user_id)
                op_id = int(_get(conn, "next_op_id") or 1)
                _set(conn, "next_op_id", str(op_id + 1))
                _set(conn, "pending_op", json.dumps({"op_id": op_id, "batch": batch.to_json()}))
        if batch.changes:
            try:
                result = self.transport.push(batch.changes, self.client_id, op_id)
            except SyncError as exc:
                self._note_failure(batch, exc)
                raise
        else:
            result = {}  # only entries for rows that no longer exist: nothing to send
        with self.store.transaction() as conn:
            self._acknowledge(conn, batch, result)
        return op_id

    def _next_entries(self, conn: sqlite3.Connection) -> list[OutboxEntry]:
        # Affirmations go up alone first: the server numbers their versions, and the days
        # that point at a version must be sent with the server's number.
        rows = conn.execute("select * from outbox where entity = 'affirmations' order by seq limit ?",
                            (self.batch_size,)).fetchall()
        if not rows:
            rows = conn.execute(f"select * from outbox where {_RPC_FILTER} order by seq limit ?",
                                (self.batch_size,)).fetchall()
        return [OutboxEntry.from_row(r) for r in rows]

    def _note_failure(self, batch: Batch, exc: SyncError) -> None:
        with self.store.transaction() as conn:
            for entry, _ in batch.sent:
                conn.execute("update outbox set attempts = attempts + 1, last_error = ? where seq = ?",
                             (exc.message, entry.seq))

    def _acknowledge(self, conn: sqlite3.Connection, batch: Batch, result: dict[str, Any]) -> None:
        for entry, sent in batch.sent:
            row = conn.execute("select * from outbox where seq = ?", (entry.seq,)).fetchone()
            if row is None:
                continue
            now = OutboxEntry.from_row(row)
            if now.op == "delete" or row_payload(conn, now, self.user_id) == sent:
                conn.execute("delete from outbox where seq = ?", (entry.seq,))
            # else: edited while in flight — stays queued for the next batch
        self._remember(conn, [(r.get("table"), r.get("id"), r.get("code"), r.get("reason"), r.get("field"),
                               "current" in r and not r["current"]) for r in result.get("rejected") or []])
        kept_off = apply_push_result(conn, result, self.user_id)
        self._remember(conn, [(s.table, s.id, "local", s.reason, s.field, False) for s in kept_off])
        _set(conn, "pending_op", None)

    def _remember(self, conn: sqlite3.Connection, problems: list[tuple]) -> None:
        """Keep (server table, id, code, reason, field, kept here) of refused rows for the member
        (newest 50)."""
        if not problems:
            return
        kept = [_as_dict(r) for r in self.rejections_in(conn)]
        at = stamp(self.clock())
        for table, row_id, code, reason, field_name, kept_here in problems:
            entity = LOCAL_ENTITY.get(table, table or "")
            kept.append({"entity": entity, "row_id": row_id or ("1" if entity in ("profile", "settings") else None),
                         "code": code or "", "reason": reason or "", "at": at, "field": field_name,
                         "kept_here": kept_here})
        _set(conn, "rejections", json.dumps(kept[-50:]))

    @staticmethod
    def rejections_in(conn: sqlite3.Connection) -> list[Rejection]:
        value = _get(conn, "rejections")
        return [Rejection(**r) for r in json.loads(value)] if value else []

    def pull(self) -> list[Skipped] | None:
        """Pull and apply the account's changes; None when local changes wait (not applied,
        cursor unchanged: push first)."""
        with self.store.transaction() as conn:
            if pending_count(conn) or _get(conn, "pending_op"):
                return None
            since = int(_get(conn, "cursor") or 0)
        response = self.transport.pull(since, self.client_id)
        with self.store.transaction() as conn:
            if pending_count(conn) or _get(conn, "pending_op"):
                return None  # edited while pulling: push those first, pull again next round
            skipped = apply_pull(conn, response.get("changes") or {}, self.user_id)
            # a row this device cannot hold is reported, not retried forever (the cursor moves on)
            self._remember(conn, [(s.table, s.id, "local", s.reason, s.field, False) for s in skipped])
            _set(conn, "cursor", str(int(response["cursor"])))
        return skipped

    def cursor(self) -> int:
        rows = self.store.query("select value from sync_state where key = 'cursor'")
        return int(rows[0][0]) if rows else 0


def _as_dict(r: Rejection) -> dict[str, Any]:
    return {"entity": r.entity, "row_id": r.row_id, "code": r.code, "reason": r.reason, "at": r.at,
            "field": r.field, "kept_here": r.kept_here}
