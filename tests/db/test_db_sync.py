"""Sync and concurrency with real, separately committed transactions (what a single pgTAP
transaction cannot show): the pull cursor never skips a transaction that commits late, a
retried push racing its original applies once, and two devices saving affirmations at the same
moment get distinct versions."""

from __future__ import annotations

import json
import threading
import time
import uuid

import psycopg
import pytest

pytestmark = pytest.mark.db


def member_conn(pg, uid) -> psycopg.Connection:
    conn = pg.connect(options="-c statement_timeout=20000")  # a wrong lock fails fast
    conn.execute("select set_config('role', 'authenticated', false),"
                 " set_config('request.jwt.claims', %s, false)",
                 (json.dumps({"sub": str(uid), "role": "authenticated"}),))
    conn.commit()
    return conn


@pytest.fixture
def member(pg):
    with pg.connect(autocommit=True) as admin:
        uid = admin.execute("select tests.create_supabase_user(%s)", (f"sync-{uuid.uuid4()}",)).fetchone()[0]
        try:
            yield uid
        finally:
            admin.execute("select public.delete_member(%s)", (uid,))


def wait_until_blocked(pg, conn: psycopg.Connection, timeout: float = 10.0) -> None:
    pid = conn.info.backend_pid
    with pg.connect(autocommit=True) as admin:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = admin.execute("select wait_event_type from pg_stat_activity where pid = %s", (pid,)).fetchone()
            if row and row[0] == "Lock":
                return
            time.sleep(0.02)
    raise AssertionError("the second transaction never waited on the first")


def tile(uid, position):
    return {"id": str(uuid.uuid4()), "position": position, "image_path": f"{uid}/tile-{position}.jpg",
            "updated_at": "2026-11-20T10:00:00Z"}


def test_a_transaction_that_commits_late_is_not_skipped_by_the_next_pull(pg, member):
    late, early, reader = member_conn(pg, member), member_conn(pg, member), member_conn(pg, member)
    try:
        # the late writer (a direct PostgREST insert) starts first: its now() and xid are older
        late.execute("insert into public.vision_boards (position, image_path) values (1, %s)",
                     (f"{member}/tile-1.jpg",))
        # ... another device's change commits before it
        early.execute("select public.sync_push(%s, %s, 1)",
                      (json.dumps({"vision_boards": [tile(member, 2)]}), str(uuid.uuid4())))
        early.commit()

        first = reader.execute("select public.sync_pull(0)").fetchone()[0]
        reader.commit()
        assert [t["position"] for t in first["changes"]["vision_boards"]] == [2]

        late.commit()
        second = reader.execute("select public.sync_pull(%s)", (first["cursor"],)).fetchone()[0]
        reader.commit()
        assert 1 in [t["position"] for t in second["changes"]["vision_boards"]]

        # what a clock cursor would have done: the late row's timestamp is older than the
        # newest row the first pull returned, so "updated_at > last pull" would skip it
        late_row = [t for t in second["changes"]["vision_boards"] if t["position"] == 1][0]
        assert late_row["updated_at"] < first["changes"]["vision_boards"][0]["updated_at"]
    finally:
        for c in (late, early, reader):
            c.close()


def test_a_pull_with_nothing_new_returns_nothing(pg, member):
    conn = member_conn(pg, member)
    try:
        conn.execute("select public.sync_push(%s, %s, 1)",
                     (json.dumps({"vision_boards": [tile(member, 1)]}), str(uuid.uuid4())))
        conn.commit()
        cursor = conn.execute("select public.sync_pull(0)").fetchone()[0]["cursor"]
        conn.commit()
        again = conn.execute("select public.sync_pull(%s)", (cursor,)).fetchone()[0]
        conn.commit()
        reach = again["changes"].pop("reach")  # the server's facts come with every pull
        assert set(reach[0]) == {"push_reachable", "email_reachable"} and len(reach) == 1
        assert all(rows == [] for rows in again["changes"].values())
    finally:
        conn.close()


def test_a_retried_push_racing_the_original_applies_once(pg, member):
    a, b = member_conn(pg, member), member_conn(pg, member)
    client, results = str(uuid.uuid4()), {}
    changes = json.dumps({"daily_sessions": [{"id": str(uuid.uuid4()), "date": "2026-11-20",
                                              "morning_completed": True,
                                              "morning_updated_at": "2026-11-20T06:00:00Z"}]})
    try:
        results["a"] = a.execute("select public.sync_push(%s, %s, 7)", (changes, client)).fetchone()[0]

        def retry():
            results["b"] = b.execute("select public.sync_push(%s, %s, 7)", (changes, client)).fetchone()[0]
            b.commit()

        t = threading.Thread(target=retry)
        t.start()
        wait_until_blocked(pg, b)
        a.commit()
        t.join(10)
        assert results["a"]["applied"] == 1 and results["a"]["replayed"] is False
        assert results["b"]["replayed"] is True and results["b"]["applied"] == 1
        count = a.execute("select count(*) from public.daily_sessions").fetchone()[0]
        assert count == 1
    finally:
        a.close()
        b.close()


def test_two_devices_saving_affirmations_at_once_get_distinct_versions(pg, member):
    a, b = member_conn(pg, member), member_conn(pg, member)
    errors = []
    try:
        a.execute("insert into public.affirmations (content) values ('from A')")

        def save_b():
            try:
                b.execute("insert into public.affirmations (content) values ('from B')")
                b.commit()
            except Exception as exc:  # reported below
                errors.append(exc)

        t = threading.Thread(target=save_b)
        t.start()
        wait_until_blocked(pg, b)
        a.commit()
        t.join(10)
        assert errors == []
        rows = a.execute("select content, version, is_active from public.affirmations order by version").fetchall()
        assert rows == [("from A", 1, False), ("from B", 2, True)]
    finally:
        a.close()
        b.close()
