"""The SQL statistics and the Python client's agree on the same member histories.

Hypothesis draws a history (each day absent, done or not done, with or without a rating,
including days before the first day and tomorrow), a first day and a "today". The same history
goes to `chris_app.domain.stats.compute_stats` and, as the member, into `daily_sessions` — in a
random order, some days first saved the other way round and then flipped, so the incremental
trigger paths (merging and splitting runs, adding and removing score terms) all run. The
figures must be identical.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chris_app.domain.stats import DayRecord, compute_stats

pytestmark = pytest.mark.db

REAL_TODAY = datetime.now(timezone.utc).date()
ABSENT = None


@st.composite
def histories(draw):
    # "today" in the past so every date stays within the table's range check (<= UTC today + 1)
    today = REAL_TODAY - timedelta(days=draw(st.integers(1, 40)))
    first_day = today - timedelta(days=draw(st.integers(0, 150)))
    start = first_day - timedelta(days=draw(st.integers(0, 10)))
    n = (today + timedelta(days=1) - start).days + 1
    # mostly done days, so long runs and real streaks happen
    kind = st.sampled_from(["done", "done", "done", "missed", ABSENT, ABSENT])
    rating = st.one_of(st.none(), st.integers(1, 10))
    states = draw(st.lists(st.tuples(kind, rating), min_size=n, max_size=n))
    days = [(start + timedelta(days=i), k == "done", r)
            for i, (k, r) in enumerate(states) if k is not ABSENT]
    order = draw(st.permutations(range(len(days))))
    flipped = draw(st.lists(st.booleans(), min_size=len(days), max_size=len(days)))
    return first_day, today, [days[i] for i in order], flipped


def sql_stats(conn, uid, today):
    row = conn.execute(
        "select current_streak, longest_streak, total_days_completed, completion_rate,"
        " average_discipline_rating, discipline_score from private.compute_stats(%s, %s)",
        (uid, today)).fetchone()
    return tuple(row)


def python_stats(days, first_day, today):
    s = compute_stats([DayRecord(d, done, r) for d, done, r in days], first_day=first_day, today=today)
    return (s.current_streak, s.longest_streak, s.total_days_completed, s.completion_rate,
            s.average_rating, s.score)


def as_member(conn, uid):
    conn.execute("select set_config('role', 'authenticated', true),"
                 " set_config('request.jwt.claims', %s, true)",
                 (json.dumps({"sub": str(uid), "role": "authenticated"}),))


def as_superuser(conn):
    conn.execute("select set_config('role', 'postgres', true)")


@pytest.fixture(scope="module")
def conn(pg):
    with pg.connect() as c:
        yield c


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(case=histories())
def test_sql_statistics_equal_the_python_client_on_random_histories(conn, case):
    first_day, today, days, flipped = case
    with conn.transaction(force_rollback=True):
        uid = conn.execute("select tests.create_supabase_user('h-' || gen_random_uuid())").fetchone()[0]
        conn.execute("update public.profiles set first_day = %s where id = %s", (first_day, uid))
        as_member(conn, uid)
        with conn.cursor() as cur:
            cur.executemany(
                "insert into public.daily_sessions (date, morning_completed, discipline_rating)"
                " values (%s, %s, %s)",
                [(d, done != flip, r) for (d, done, r), flip in zip(days, flipped)])
            cur.executemany(
                "update public.daily_sessions set morning_completed = %s where date = %s",
                [(done, d) for (d, done, _), flip in zip(days, flipped) if flip])
        as_superuser(conn)

        expected = python_stats(days, first_day, today)
        assert sql_stats(conn, uid, today) == expected
        # the stored profile columns are the same figures
        conn.execute("select private.refresh_profile_stats(%s, %s)", (uid, today))
        stored = conn.execute(
            "select current_streak, longest_streak, total_days_completed, completion_rate,"
            " average_discipline_rating, discipline_score from public.profiles where id = %s",
            (uid,)).fetchone()
        assert tuple(stored) == expected


def test_a_known_history_gives_the_written_out_figures(conn):
    """Guards the property test itself: both sides on a fixed case, values written out."""
    today = REAL_TODAY - timedelta(days=1)
    first_day = today - timedelta(days=19)
    days = [(first_day + timedelta(days=i), i not in (4, 12), 6 if i % 5 == 0 else None) for i in range(19)]
    # 19 days, all done but the 5th and 13th; today not done, so the window is those 19 days.
    # score = (1 - m^19) - (1 - m)(m^14 + m^6) = 0.57457 with m = 0.5^(1/13)
    expected = (6, 7, 17, Decimal("89.47"), Decimal("6.0"), Decimal("57.5"))
    assert python_stats(days, first_day, today) == expected
    with conn.transaction(force_rollback=True):
        uid = conn.execute("select tests.create_supabase_user('fixed')").fetchone()[0]
        conn.execute("update public.profiles set first_day = %s where id = %s", (first_day, uid))
        as_member(conn, uid)
        with conn.cursor() as cur:
            cur.executemany("insert into public.daily_sessions (date, morning_completed, discipline_rating)"
                            " values (%s, %s, %s)", days)
        as_superuser(conn)
        assert sql_stats(conn, uid, today) == expected


ZONES = ["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu",
         "Pacific/Chatham", "Pacific/Kiritimati", "America/St_Johns", "Africa/Casablanca",
         "America/Santiago", "Asia/Tehran", "Europe/Dublin"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(instant=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 12, 31),
                            timezones=st.just(timezone.utc)),
       zone=st.sampled_from(ZONES), day_start=st.integers(0, 23))
def test_sql_protocol_day_equals_the_python_client(conn, instant, zone, day_start):
    from chris_app.domain.days import protocol_day

    sql = conn.execute("select public.protocol_day(%s, %s, %s)", (instant, zone, day_start)).fetchone()[0]
    conn.rollback()
    assert sql == protocol_day(instant, zone, day_start)
