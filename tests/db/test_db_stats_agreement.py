"""The SQL statistics and the Python client's agree on the same member histories.

Hypothesis draws a history (each day absent, done or not done, with or without a rating,
including days before the first day and tomorrow), a first day and a "today". The same history
goes to `chris_app.domain.stats.compute_stats` and, as the member, into `daily_sessions` — in a
random order, some days first saved the other way round and then flipped, so the incremental
trigger paths (merging and splitting runs, adding and removing score terms, rewalking the
streak freezes from a changed day) all run. The figures must be identical, freezes held and the
window's frozen days included (docs/rules.md#streak-freezes).
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chris_app.domain.stats import DayRecord, compute_stats, frozen_days, window

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


COLUMNS = ("current_streak, longest_streak, total_days_completed, completion_rate,"
           " average_discipline_rating, discipline_score, freezes_held, frozen_days")


def sql_stats(conn, uid, today):
    row = conn.execute(f"select {COLUMNS} from private.compute_stats(%s, %s)", (uid, today)).fetchone()
    return tuple(row)


def python_stats(days, first_day, today):
    """The figures, then the freezes held and the frozen days of the 90-day window."""
    records = [DayRecord(d, done, r) for d, done, r in days]
    s = compute_stats(records, first_day=first_day, today=today)
    completed = {d for d, done, _ in days if done}
    span = window(first_day, today, today in completed)
    frozen = [d for d in frozen_days(completed, first_day, today) if span and span[0] <= d <= span[1]]
    return (s.current_streak, s.longest_streak, s.total_days_completed, s.completion_rate,
            s.average_rating, s.score, s.freezes_held, frozen)


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
        stored = conn.execute(f"select {COLUMNS} from public.profiles where id = %s", (uid,)).fetchone()
        assert tuple(stored) == expected


def test_a_known_history_gives_the_written_out_figures(conn):
    """Guards the property test itself: both sides on a fixed case, values written out."""
    today = REAL_TODAY - timedelta(days=1)
    first_day = today - timedelta(days=19)
    days = [(first_day + timedelta(days=i), i not in (4, 12), 6 if i % 5 == 0 else None) for i in range(19)]
    # 19 days, all done but the 5th and 13th; today not done, so the window is those 19 days.
    # score = (1 - m^19) - (1 - m)(m^14 + m^6) = 0.57457 with m = 0.5^(1/13)
    # The 5th day is missed before any freeze is earned; the 13th is bridged by the freeze the
    # 7 days from the 6th earned, so the streak runs from the 6th day: 7 + 6 days.
    expected = (13, 13, 17, Decimal("89.47"), Decimal("6.0"), Decimal("57.5"), 0,
                [first_day + timedelta(days=12)])
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


# ---------------------------------------------------------------------------------------------
# Streak freezes: written-out histories, saved in order and then changed late
# ---------------------------------------------------------------------------------------------
def pattern_days(pattern, today):
    """'x' done, '.' missed (a row, not completed), ' ' no row; the last character is today."""
    first = today - timedelta(days=len(pattern) - 1)
    return first, [(first + timedelta(days=i), c == "x", None) for i, c in enumerate(pattern) if c != " "]


def save(conn, uid, rows):
    as_member(conn, uid)
    with conn.cursor() as cur:
        cur.executemany(
            "insert into public.daily_sessions (date, morning_completed, discipline_rating) values (%s, %s, %s)"
            " on conflict (user_id, date) do update set morning_completed = excluded.morning_completed",
            rows)
    as_superuser(conn)


FREEZE_CASES = {
    # gaps of 1, 2 and 3 days with one and two freezes held; today open or done
    "gap of 1, one freeze": ("xxxxxxx.xx", (9, 9, 0)),
    "gap of 1, no freeze": ("xxxxxx.xxx", (3, 6, 0)),
    "gap of 2, one freeze": ("xxxxxxx..xx", (2, 7, 0)),
    "gap of 2, two freezes": ("x" * 14 + "..x" + " ", (15, 15, 0)),
    "gap of 3, two freezes": ("x" * 14 + "...xx", (2, 14, 0)),
    "at the cap": ("x" * 30 + " ", (30, 30, 2)),
    "at the cap, one spent": ("x" * 30 + ".x", (31, 31, 1)),
    "yesterday frozen, today open": ("x" * 8 + ". ", (8, 8, 0)),
    "frozen days missing rows": ("x" * 14 + "  xx", (16, 16, 0)),
}


@pytest.mark.parametrize("name", list(FREEZE_CASES))
def test_written_out_freeze_histories(conn, name):
    pattern, (streak, best, held) = FREEZE_CASES[name]
    today = REAL_TODAY - timedelta(days=1)
    first_day, days = pattern_days(pattern, today)
    expected = python_stats(days, first_day, today)
    assert (expected[0], expected[1], expected[6]) == (streak, best, held)  # the rule, by hand
    with conn.transaction(force_rollback=True):
        uid = conn.execute("select tests.create_supabase_user('fz')").fetchone()[0]
        conn.execute("update public.profiles set first_day = %s where id = %s", (first_day, uid))
        save(conn, uid, days)
        assert sql_stats(conn, uid, today) == expected


def test_a_day_synced_late_rewalks_from_that_day(conn):
    """A freeze was spent on a missed day; that day then arrives completed from another device
    (after later days were saved): the freeze is back, the streak is longer, and the next gaps
    are bridged differently. Then the day is taken back, and the first day moves."""
    today = REAL_TODAY - timedelta(days=1)
    first_day, days = pattern_days("xxxxxxx.xxxxxx..xx", today)
    late = first_day + timedelta(days=7)
    with conn.transaction(force_rollback=True):
        uid = conn.execute("select tests.create_supabase_user('late')").fetchone()[0]
        conn.execute("update public.profiles set first_day = %s where id = %s", (first_day, uid))
        save(conn, uid, days)
        before = python_stats(days, first_day, today)
        assert before[:2] == (2, 13) and before[7] == [late]  # one freeze, spent on day 8
        assert sql_stats(conn, uid, today) == before

        after_days = [(d, True if d == late else done, r) for d, done, r in days]
        save(conn, uid, [(late, True, None)])
        after = python_stats(after_days, first_day, today)
        # 14 in a row now earn 2 freezes, which bridge the 2-day gap: 16 kept
        assert after[:2] == (16, 16) and after[7] == [today - timedelta(days=3), today - timedelta(days=2)]
        assert sql_stats(conn, uid, today) == after

        save(conn, uid, [(late, False, None)])
        assert sql_stats(conn, uid, today) == before

        # an earlier first day (a device's older history adopted): walked from there
        older = first_day - timedelta(days=3)
        conn.execute("update public.profiles set first_day = %s where id = %s", (older, uid))
        assert sql_stats(conn, uid, today) == python_stats(days, older, today)
        save(conn, uid, [(older, True, None), (older + timedelta(days=1), True, None)])
        more = days + [(older, True, None), (older + timedelta(days=1), True, None)]
        assert sql_stats(conn, uid, today) == python_stats(more, older, today)


def test_the_day_job_moves_freezes_to_the_new_day(conn):
    """refresh_stale_stats, with nothing saved: missed days spend the freezes, then the streak
    breaks; the leaderboard follows the bridged streak."""
    today = REAL_TODAY - timedelta(days=3)
    first_day, days = pattern_days("x" * 14 + " ", today)
    with conn.transaction(force_rollback=True):
        uid = conn.execute("select tests.create_supabase_user('job')").fetchone()[0]
        conn.execute("update public.profiles set first_day = %s, timezone = 'UTC', day_start = 0,"
                     " leaderboard_opt_in = true, display_name = 'Frosty' where id = %s", (first_day, uid))
        save(conn, uid, days)
        for k in range(4):  # today, and 1, 2, 3 days later
            day = today + timedelta(days=k)
            conn.execute("select public.refresh_stale_stats(%s)",
                         (datetime.combine(day, datetime.min.time(), timezone.utc) + timedelta(hours=12),))
            stored = conn.execute(f"select {COLUMNS} from public.profiles where id = %s", (uid,)).fetchone()
            assert tuple(stored) == python_stats(days, first_day, day)
            board = conn.execute("select current_streak from public.leaderboard where user_id = %s", (uid,)).fetchone()
            assert board[0] == stored[0]
        assert (stored[0], stored[6]) == (0, 0)  # the third missed day broke it
