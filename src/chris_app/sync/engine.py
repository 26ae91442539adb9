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
their reasons are kept in `sync_state` for the member to read (`SyncStatus.rejections`).

The pull is applied only when nothing is waiting to be pushed (checked again inside the
transaction that applies it), and the cursor is stored in that same transaction, after the
rows: pulled rows then simply win (the server already has everything this device sent).

What the rows look like on the wire is chris_app.sync.outgoing (up) and chris_app.sync.incoming
(down); this module only decides what is sent when, and what the member is told.
"""

from __future__ import annotations

import enum
import json
import random
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from chris_app.domain import defaults
from chris_app.services._rows import enqueue, stamp
from chris_app.store import Store
from chris_app.sync import pulled, sync_state
from chris_app.sync.errors import AccountMismatch, AuthExpired, RateLimited, SyncError
from chris_app.sync.incoming import Skipped, apply_pull, apply_push_result, pulled_rows, zone_is_the_devices_own
from chris_app.sync.outgoing import (
    LOCAL_ENTITY, Batch, OutboxEntry, build_batch, next_entries, pending_count, row_payload,
)
from chris_app.sync.rejections import Rejection

__all__ = ["Rejection", "SyncEngine", "SyncReport", "SyncState", "SyncStatus", "Transport", "attach_account"]


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
    BUSY     the server asked this device to wait (too many requests, HTTP 429): nothing is
             wrong, changes are safe on the device; `retry_after` says when the next try may go.
    OFFLINE  the last run could not reach the server (no network, server failing); changes are
             safe on the device and the app retries later (with backoff inside a run).
    ERROR    the last run stopped for a reason retrying cannot fix (sign-in expired, the
             server refused the call, another account's data); `message` says what to do.

    Transitions: any → SYNCING when a run starts; SYNCING → SYNCED | PENDING (edits arrived
    during the run) | BUSY | OFFLINE | ERROR when it ends. A local edit turns SYNCED into
    PENDING (status() counts the outbox). BUSY, OFFLINE and ERROR stay until the next run ends."""

    SYNCED = "synced"
    PENDING = "pending"
    SYNCING = "syncing"
    BUSY = "busy"
    OFFLINE = "offline"
    ERROR = "error"


def _kept_off(rejections: tuple[Rejection, ...]) -> int:
    return sum(1 for r in rejections if r.code == "local")


@dataclass(frozen=True, slots=True)
class SyncStatus:
    state: SyncState
    pending: int
    message: str
    rejections: tuple[Rejection, ...] = ()
    retry_after: float | None = None  # BUSY: seconds before the next try may go

    @property
    def skipped(self) -> int:
        """Rows (or fields) from the account this device could not store, not yet dismissed."""
        return _kept_off(self.rejections)


@dataclass(frozen=True, slots=True)
class _Outcome:
    """How the last run ended when it did not finish (BUSY, OFFLINE or ERROR)."""
    state: SyncState
    message: str
    retry_after: float | None = None


@dataclass(slots=True)
class SyncReport:
    """What one successful pass did (for logs and tests)."""
    ops: list[int] = field(default_factory=list)
    pulled: bool = False
    skipped: list[Skipped] = field(default_factory=list)


def attach_account(store: Store, user_id: str, now: datetime) -> None:
    """Make this device's data the account's (guest → account, after the member confirmed):
    everything made as a guest is queued for the first push, which merges it with whatever
    the account already holds by the sync rules. Idempotent; refuses another account."""
    with store.transaction() as conn:
        current = sync_state.account(conn)
        if current == user_id:
            return
        if current is not None:
            raise AccountMismatch()
        sync_state.set_account(conn, user_id)
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
        self._outcome: _Outcome | None = None  # how the last run ended, when it did not finish
        self._syncing = False
        with store.transaction() as conn:
            self.client_id = sync_state.client_id(conn) or str(uuid.uuid4())
            sync_state.set_client_id(conn, self.client_id)

    # -- status ---------------------------------------------------------------------------------
    def status(self) -> SyncStatus:
        with self.store.reading() as conn:
            pending = pending_count(conn)
            rejections = tuple(sync_state.rejections(conn))
        if self._syncing:
            return SyncStatus(SyncState.SYNCING, pending, "Syncing…", rejections)
        if self._outcome:
            outcome = self._outcome
            return SyncStatus(outcome.state, pending, outcome.message, rejections, outcome.retry_after)
        if pending:
            noun = "change" if pending == 1 else "changes"
            return SyncStatus(SyncState.PENDING, pending, f"{pending} {noun} waiting to sync.", rejections)
        kept_off = _kept_off(rejections)
        if kept_off:
            noun = "item" if kept_off == 1 else "items"
            return SyncStatus(SyncState.SYNCED, 0, f"Synced, except {kept_off} {noun} from your account that this"
                              " device could not use (see below).", rejections)
        return SyncStatus(SyncState.SYNCED, 0, "Everything is synced.", rejections)

    def _publish(self) -> None:
        if self.on_status:
            self.on_status(self.status())

    def dismiss_rejections(self) -> None:
        with self.store.transaction() as conn:
            sync_state.clear_rejections(conn)

    # -- the run with retries -----------------------------------------------------------------
    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: half of the exponential delay is fixed, half random,
        so retries of many devices spread out but never come back at once."""
        delay = min(self.max_delay, self.base_delay * 2 ** attempt)
        return delay / 2 + delay / 2 * self.rand()

    @staticmethod
    def _outcome_of(exc: SyncError, wait: float | None = None) -> _Outcome:
        """What the member is told after `exc`; `wait`: the seconds until this run tries again,
        when it will. Being asked to wait is a calm status, not an error."""
        if isinstance(exc, RateLimited):
            if wait is None:
                return _Outcome(SyncState.BUSY, exc.message, exc.retry_after)
            return _Outcome(SyncState.BUSY, RateLimited(wait).message, wait)
        return _Outcome(SyncState.OFFLINE if exc.retryable else SyncState.ERROR, exc.message)

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
                        wait = self.backoff(attempt)
                        if isinstance(exc, RateLimited):
                            wait = max(wait, exc.retry_after)  # never sooner than the server asked
                        self._outcome = self._outcome_of(exc, wait)
                        self._publish()
                        self.sleep(wait)
                        attempt += 1
                        continue
                    if isinstance(exc, AuthExpired) and self.refresh_auth and not refreshed:
                        refreshed = True
                        if self.refresh_auth():
                            continue
                    self._outcome = self._outcome_of(exc)
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
            skipped = self.pull()
            if skipped is not None:
                report.pulled, report.skipped = True, skipped
                break
        return report

    def _check_account(self) -> None:
        with self.store.reading() as conn:
            account = sync_state.account(conn)
        if account is None:
            attach_account(self.store, self.user_id, self.clock())
        elif account != self.user_id:
            raise AccountMismatch()

    def push_one(self) -> int | None:
        """Send one batch (the one in flight from before a crash first). Returns its op id, or
        None when nothing waits."""
        with self.store.transaction() as conn:
            op = sync_state.pending_op(conn)
            if op is None:
                entries = next_entries(conn, self.batch_size)
                if not entries:
                    return None
                op = sync_state.PendingOp(sync_state.take_op_id(conn), build_batch(conn, entries, self.user_id))
                sync_state.set_pending_op(conn, op)
        if op.batch.changes:
            try:
                result = self.transport.push(op.batch.changes, self.client_id, op.op_id)
            except SyncError as exc:
                self._note_failure(op.batch, exc)
                raise
        else:
            result = {}  # only entries for rows that no longer exist: nothing to send
        with self.store.transaction() as conn:
            self._acknowledge(conn, op.batch, result)
        return op.op_id

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
        sync_state.set_pending_op(conn, None)

    def _remember(self, conn: sqlite3.Connection, problems: list[tuple]) -> None:
        """Keep (server table, id, code, reason, field, kept here) of refused rows for the member."""
        if not problems:
            return
        at = stamp(self.clock())
        new = []
        for table, row_id, code, reason, field_name, kept_here in problems:
            entity = LOCAL_ENTITY.get(table, table or "")
            new.append(Rejection(entity, row_id or ("1" if entity in ("profile", "settings") else None),
                                 code or "", reason or "", at, field_name, kept_here))
        sync_state.add_rejections(conn, new)

    def pull(self) -> list[Skipped] | None:
        """Pull and apply the account's changes; None when local changes wait (not applied,
        cursor unchanged: push first)."""
        with self.store.transaction() as conn:
            if pending_count(conn) or sync_state.pending_op(conn):
                return None
            since = sync_state.cursor(conn)
        response = self.transport.pull(since, self.client_id)
        with self.store.transaction() as conn:
            if pending_count(conn) or sync_state.pending_op(conn):
                return None  # edited while pulling: push those first, pull again next round
            skipped = apply_pull(conn, response.get("changes") or {}, self.user_id)
            # a row this device cannot hold is reported, not retried forever (the cursor moves on)
            self._remember(conn, [(s.table, s.id, "local", s.reason, s.field, False) for s in skipped])
            sync_state.set_cursor(conn, int(response["cursor"]))
            if self._claim_time_zone(conn, response.get("changes") or {}):
                with self._flag:
                    self._again = True  # the claim goes up in this run
        return skipped

    def _claim_time_zone(self, conn: sqlite3.Connection, changes: Mapping[str, Any]) -> bool:
        """An account whose zone was never given (a Google sign-up: `pulled.unset_time_zone`)
        takes this device's own zone, stamped now as the member's and queued for the next
        push; the account and the member's other devices then count days in it. A zone chosen
        on any device, or given at sign-up, is never replaced this way."""
        if not any(isinstance(row, Mapping) and pulled.unset_time_zone(row) for row in pulled_rows(changes, "profile")):
            return False
        local = conn.execute("select timezone, field_stamps from profile where id = 1").fetchone()
        if not zone_is_the_devices_own(conn) or local["timezone"] in defaults.UTC_NAMES:  # (one it could not tell)
            return False
        stamps = json.loads(local["field_stamps"])
        now = self.clock()
        stamps["timezone"] = stamp(now)
        conn.execute("update profile set field_stamps = ? where id = 1", (json.dumps(stamps, sort_keys=True),))
        enqueue(conn, "profile", "1", now)
        return True
