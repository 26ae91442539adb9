"""Rate limits on the sync RPCs (migrations/20261202000800_rate_limits.sql) as PostgREST meets
them: each call its own committed transaction as the member (role authenticated + JWT claims).

A refused call raises SQLSTATE 'PGRST' with a JSON message and detail, which PostgREST turns into
the response (docs.postgrest.org, Errors, "Add HTTP Headers with RAISE"): the message's JSON is
the body, the detail's `status` the HTTP status and its `headers` the response headers. The
tests decode both as PostgREST does.

The buckets refill with real time, and this machine may be slow: a burst that takes 20 s would
see 33 tokens come back in the middle. Where a test counts exactly, it moves the bucket's clock
instead of waiting (or sleeping): `updated_at` an hour ahead stops the refill for the burst (a
request never refills from a bucket time later than its own, as for a concurrent request that
started later), `updated_at` in the past gives the refill of that much time.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from datetime import date, timedelta

import psycopg
import pytest

from sql_sync import signed_up

pytestmark = pytest.mark.db

CAPACITY = 100  # private.rate_limit_config, 'sync'


class Member:
    """A member's PostgREST requests: one committed transaction per call."""

    def __init__(self, pg, uid: str) -> None:
        self.uid = uid
        self.conn = pg.connect(options="-c statement_timeout=20000")
        self.conn.execute("select set_config('role', 'authenticated', false),"
                          " set_config('request.jwt.claims', %s, false)",
                          (json.dumps({"sub": uid, "role": "authenticated"}),))
        self.conn.commit()

    def call(self, sql: str, params=()) -> tuple[object | None, psycopg.Error | None]:
        try:
            result = self.conn.execute(sql, params).fetchone()[0]
            self.conn.commit()
            return result, None
        except psycopg.Error as exc:
            self.conn.rollback()
            return None, exc

    def push_day(self, op_id: int, day: date) -> tuple[object | None, psycopg.Error | None]:
        changes = {"daily_sessions": [{"id": str(uuid.uuid4()), "date": day.isoformat(), "morning_completed": True,
                                       "morning_updated_at": "2026-01-01T00:00:00Z"}]}
        return self.call("select public.sync_push(%s::jsonb, %s::uuid, %s)",
                         (json.dumps(changes), "00000000-0000-4000-8000-00000000000a", op_id))

    def close(self) -> None:
        self.conn.close()


def as_postgrest(exc: psycopg.Error) -> tuple[int, dict[str, str], dict]:
    """(status, headers, body) of the response PostgREST makes of a raised 'PGRST' error."""
    assert exc.sqlstate == "PGRST", (exc.sqlstate, str(exc))
    detail = json.loads(exc.diag.message_detail)
    return detail["status"], detail["headers"], json.loads(exc.diag.message_primary)


@pytest.fixture
def admin(pg):
    with pg.connect(autocommit=True) as conn:
        assert conn.execute("select per_minute from private.rate_limit_config where bucket = 'sync'").fetchone()[0] \
            == CAPACITY, "another test left the sync limit changed"
        yield conn


@pytest.fixture
def ana(pg, admin):
    with signed_up(pg, "rate-ana") as uid:
        m = Member(pg, uid)
        yield m
        m.close()


@pytest.fixture
def bob(pg, admin):
    with signed_up(pg, "rate-bob") as uid:
        m = Member(pg, uid)
        yield m
        m.close()


def pin_clock(admin, uid: str, tokens: float = CAPACITY) -> None:
    """The member's sync bucket with `tokens`, its clock an hour ahead: no refill for an hour."""
    admin.execute("insert into private.rate_buckets (user_id, bucket, tokens, updated_at)"
                  " values (%s, 'sync', %s, now() + interval '1 hour')"
                  " on conflict (user_id, bucket) do update set tokens = excluded.tokens, updated_at = excluded.updated_at",
                  (uid, tokens))


def days_of(admin, uid: str) -> set[date]:
    return {r[0] for r in admin.execute("select date from public.daily_sessions where user_id = %s", (uid,))}


def test_a_burst_of_500_pushes_lets_100_through_and_refuses_the_rest_with_429(admin, ana, bob):
    pin_clock(admin, ana.uid)
    today = date.today()
    passed: list[date] = []
    refused: list[psycopg.Error] = []
    bob_passed = 0
    for i in range(500):
        day = today - timedelta(days=1 + i)
        result, error = ana.push_day(i + 1, day)
        if error is None:
            assert result["applied"] == 1, result
            passed.append(day)
        else:
            refused.append(error)
        if i % 5 == 0:  # another member, pushing in the middle of it: 100 pushes, never held back
            result, error = bob.push_day(i + 1, today - timedelta(days=1 + i))
            assert error is None, error
            bob_passed += 1

    assert len(passed) == CAPACITY and len(refused) == 400
    assert passed == [today - timedelta(days=1 + i) for i in range(CAPACITY)], "the first 100 go through"
    for error in refused:
        status, headers, body = as_postgrest(error)
        assert status == 429
        assert set(headers) == {"Retry-After"}
        wait = int(headers["Retry-After"])
        assert wait >= 1
        assert body == {"code": "rate_limited", "message": f"Too many requests: try again in {wait} s."}
    # nothing of a refused push was written: its day, its op
    assert days_of(admin, ana.uid) == set(passed)
    assert admin.execute("select count(*) from public.sync_ops where user_id = %s", (ana.uid,)).fetchone()[0] == CAPACITY
    assert bob_passed == 100 and len(days_of(admin, bob.uid)) == 100


def pulls_after(pg, uid: str, moved_back: str, tries: int) -> list[str]:
    """Moves the member's sync bucket `moved_back` into the past, then tries `tries` pulls as the
    member, all in one transaction (each pull in its own savepoint): the move and the pulls see
    the same now(), so the refill is exactly that much time's."""
    outcomes = []
    with pg.connect() as conn, conn.transaction():
        conn.execute("update private.rate_buckets set updated_at = now() - %s::interval"
                     " where user_id = %s and bucket = 'sync'", (moved_back, uid))
        conn.execute("select set_config('role', 'authenticated', true), set_config('request.jwt.claims', %s, true)",
                     (json.dumps({"sub": uid, "role": "authenticated"}),))
        for _ in range(tries):
            try:
                with conn.transaction():
                    conn.execute("select public.sync_pull(0, null)")
                outcomes.append("ok")
            except psycopg.Error as exc:
                outcomes.append(exc.sqlstate)
    return outcomes


def test_the_bucket_refills_with_time(pg, admin, ana):
    pin_clock(admin, ana.uid, tokens=0)
    _, error = ana.call("select public.sync_pull(0, null)")
    assert as_postgrest(error)[1] == {"Retry-After": "1"}  # 0.6 s to the next token at 100 a minute
    admin.execute("update private.rate_buckets set updated_at = now() where user_id = %s", (ana.uid,))
    # half a minute passes: 50 tokens
    assert pulls_after(pg, ana.uid, "30 seconds", 60) == ["ok"] * 50 + ["PGRST"] * 10
    # an hour passes: the bucket is full, but holds 100, not 6,000
    assert pulls_after(pg, ana.uid, "1 hour", 150) == ["ok"] * 100 + ["PGRST"] * 50


def test_two_devices_of_one_member_share_one_bucket(pg, admin, ana):
    """Concurrent requests queue on the bucket's row: never more than the capacity between them."""
    pin_clock(admin, ana.uid)
    second = Member(pg, ana.uid)
    counts = {"ok": 0, "refused": 0}
    lock = threading.Lock()

    def device(member: Member) -> None:
        for _ in range(120):
            _, error = member.call("select public.sync_pull(0, gen_random_uuid())")
            with lock:
                counts["ok" if error is None else "refused"] += 1
                if error is not None:
                    assert error.sqlstate == "PGRST"

    threads = [threading.Thread(target=device, args=(m,)) for m in (ana, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    second.close()
    assert counts == {"ok": CAPACITY, "refused": 140}
    # only the pulls that went through recorded their device
    assert admin.execute("select count(*) from public.last_seen where user_id = %s", (ana.uid,)).fetchone()[0] == CAPACITY


def test_a_longer_wait_is_rounded_up_in_the_header_and_the_message(admin, ana):
    admin.execute("update private.rate_limit_config set per_minute = 7 where bucket = 'sync'")
    try:
        pin_clock(admin, ana.uid, tokens=0.25)
        _, error = ana.call("select public.sync_push('{}'::jsonb, gen_random_uuid(), 1)")
        status, headers, body = as_postgrest(error)
        # (1 - 0.25) tokens at 7 a minute: 6.43 s -> 7
        assert (status, headers) == (429, {"Retry-After": "7"})
        assert re.fullmatch(r"Too many requests: try again in 7 s\.", body["message"])
    finally:
        admin.execute("update private.rate_limit_config set per_minute = %s where bucket = 'sync'", (CAPACITY,))
