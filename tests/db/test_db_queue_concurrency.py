"""The reminder queue without a per-row foreign key (20261201000400_queue_insert_speed.sql)
stays safe when a member is deleted while the reminder job runs, and when two jobs overlap;
two dispatchers claiming at once (20261202000100_push_reminders.sql) never claim or finalise
the same row.

A foreign key made this safe by locking the member's profile row; the migration replaced it
with one fence row that the job, every insert and every member deletion take until they
commit. Each test drives two real connections and waits for the second one to be blocked on a
lock (pg_stat_activity), so the interleaving is the one named, not a matter of timing.
"""

from __future__ import annotations

import threading
import time
import uuid

import psycopg
import pytest

pytestmark = pytest.mark.db

SLOT = "2026-06-10 07:05+00"  # 07:00-07:15 UTC: the slot of a 07:00 morning in UTC


@pytest.fixture
def member(pg):
    """A committed member due a push reminder in SLOT (a phone registered, the push sender
    alive: 20261202000100_push_reminders.sql queues nothing otherwise); removed afterwards, and
    the senders' heartbeats put back as they were."""
    name = f"fence-{uuid.uuid4()}"
    with pg.connect(autocommit=True) as conn:
        senders = conn.execute("select channel, seen_at from private.reminder_senders").fetchall()
        uid = conn.execute("select tests.create_supabase_user(%s)", (name,)).fetchone()[0]
        conn.execute("update public.profiles set timezone = 'UTC', morning_protocol_time = '07:00',"
                     " subscription_status = 'active' where id = %s", (uid,))
        conn.execute("insert into public.push_devices (user_id, subscription_id, platform)"
                     " values (%s, %s, 'android')", (uid, f"fence-{uuid.uuid4()}"))
        conn.execute("insert into private.reminder_senders (channel, seen_at) values ('push', now())"
                     " on conflict (channel) do update set seen_at = excluded.seen_at")
    yield uid
    with pg.connect(autocommit=True) as conn:
        conn.execute("delete from auth.users where id = %s", (uid,))
        conn.execute("delete from public.notification_queue where scheduled_for = %s", (SLOT,))
        conn.execute("delete from private.reminder_senders")
        for channel, seen_at in senders:
            conn.execute("insert into private.reminder_senders (channel, seen_at) values (%s, %s)", (channel, seen_at))


def queued(pg, uid) -> int:
    with pg.connect(autocommit=True) as conn:
        return conn.execute("select count(*) from public.notification_queue where user_id = %s",
                            (uid,)).fetchone()[0]


class InThread:
    """Runs fn(conn) on its own connection in a thread; result or exception kept."""

    def __init__(self, pg, fn, isolation=None):
        self.conn = pg.connect()
        if isolation:
            self.conn.isolation_level = isolation
        self.pid = self.conn.execute("select pg_backend_pid()").fetchone()[0]
        self.conn.rollback()
        self.fn, self.result, self.error = fn, None, None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        try:
            self.result = self.fn(self.conn)
            self.conn.commit()
        except Exception as e:  # noqa: BLE001 - kept for the test to assert on
            self.error = e
            self.conn.rollback()

    def start(self):
        self.thread.start()
        return self

    def join(self):
        self.thread.join(60)
        assert not self.thread.is_alive(), "the second transaction never finished"
        self.conn.close()
        return self


def wait_until_blocked(pg, pid, timeout=60.0):
    """Until the backend `pid` waits for a lock (a state, not a delay)."""
    deadline = time.monotonic() + timeout
    with pg.connect(autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute("select wait_event_type from pg_stat_activity where pid = %s", (pid,)).fetchone()
            if row and row[0] == "Lock":
                return
            time.sleep(0.01)
    raise AssertionError(f"backend {pid} never waited for a lock")


def delete_member(uid):
    return lambda conn: conn.execute("delete from auth.users where id = %s", (uid,)).rowcount


def test_a_member_deleted_while_the_job_runs_leaves_no_reminder(pg, member):
    with pg.connect() as job:
        assert job.execute("select public.queue_reminders(%s)", (SLOT,)).fetchone()[0] >= 1
        # the job has not committed: the deletion waits for it...
        deletion = InThread(pg, delete_member(member)).start()
        wait_until_blocked(pg, deletion.pid)
        job.commit()
    deletion.join()
    assert deletion.error is None and deletion.result == 1
    # ...and then sees the job's reminder and deletes it with the member
    assert queued(pg, member) == 0


def test_the_job_after_a_deletion_in_progress_skips_the_member_and_still_queues(pg, member):
    with pg.connect() as deletion:
        assert deletion.execute("delete from auth.users where id = %s", (member,)).rowcount == 1
        job = InThread(pg, lambda c: c.execute("select public.queue_reminders(%s)", (SLOT,)).fetchone()[0]).start()
        wait_until_blocked(pg, job.pid)
        deletion.commit()
    job.join()
    assert job.error is None  # a foreign key check would have failed the whole slot here
    assert queued(pg, member) == 0


def test_a_repeatable_read_deletion_that_cannot_see_the_jobs_rows_is_refused(pg, member):
    with pg.connect() as deletion:
        deletion.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        deletion.execute("select 1").fetchone()  # its snapshot: before the job's commit
        with pg.connect() as job:
            assert job.execute("select public.queue_reminders(%s)", (SLOT,)).fetchone()[0] >= 1
            job.commit()
        with pytest.raises(psycopg.errors.SerializationFailure):
            deletion.execute("delete from auth.users where id = %s", (member,))
        deletion.rollback()
    # retried, it sees the reminder and removes it
    with pg.connect() as retry:
        retry.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        assert retry.execute("delete from auth.users where id = %s", (member,)).rowcount == 1
        retry.commit()
    assert queued(pg, member) == 0


def test_two_overlapping_jobs_queue_each_reminder_once_without_error(pg, member):
    with pg.connect() as first:
        assert first.execute("select public.queue_reminders(%s)", (SLOT,)).fetchone()[0] >= 1
        second = InThread(pg, lambda c: c.execute("select public.queue_reminders(%s)", (SLOT,)).fetchone()[0]).start()
        wait_until_blocked(pg, second.pid)
        first.commit()
    second.join()
    assert second.error is None and second.result == 0
    assert queued(pg, member) == 1


def test_two_dispatchers_never_claim_or_finalise_the_same_row(pg, member):
    """claim_notifications_for finalises what it must not send and claims the rest, SKIP LOCKED:
    a row another dispatcher holds (uncommitted) is neither claimed nor finalised again. The
    member's rows are the oldest due ones, and each claim asks for one sendable row, so rows of
    other tests are not touched."""
    with pg.connect(autocommit=True) as conn:
        for days_ago, minutes in [(2, 110), (1, 109), (0, 108)]:
            conn.execute("insert into public.notification_queue (user_id, kind, channel, protocol_day, deep_link,"
                         " scheduled_for) values (%s, 'morning_reminder', 'push', current_date - %s,"
                         " 'chrisapp://open/morning', now() - make_interval(mins => %s))", (member, days_ago, minutes))
        # the middle one's morning was done after it was queued
        conn.execute("insert into public.daily_sessions (user_id, date, morning_completed)"
                     " values (%s, current_date - 1, true)", (member,))

    def claim(conn):
        conn.execute("set local role service_role")
        return [r[0] for r in conn.execute("select id from public.claim_notifications_for('push', 1)"
                                           " where user_id = %s", (member,)).fetchall()]

    with pg.connect() as first:
        held = claim(first)  # not committed: the row stays locked
        second = InThread(pg, claim).start().join()
        assert second.error is None
        first.commit()
    assert len(held) == 1 and len(second.result) == 1 and set(held).isdisjoint(second.result)
    with pg.connect(autocommit=True) as conn:
        rows = conn.execute("select protocol_day = current_date - 2, protocol_day = current_date - 1, status, attempts"
                            " from public.notification_queue where user_id = %s order by protocol_day", (member,)).fetchall()
    assert rows == [(True, False, "sending", 1),   # held by the first dispatcher
                    (False, True, "skipped", 0),   # finalised by the second, not counted against its one
                    (False, False, "sending", 1)]  # claimed by the second
