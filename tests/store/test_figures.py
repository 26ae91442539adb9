"""The figures the screens read from the kept state (services.summary: runs and a score
checkpoint kept by the triggers of local migration 0005) are exactly the domain functions'
over the whole history — for any history, any edits (the services' SQL, upserts, REPLACE,
deletes, moved dates, sync pulls), a first_day that changes and a "today" that moves."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chris_app.domain.stats import DayRecord, compute_stats, frozen_days, score_series, weekly_summary
from chris_app.services import summary
from chris_app.store.db import Store, connect
from chris_app.store.migrate import migrate
from chris_app.sync.incoming import apply_pull

BASE = date(2026, 1, 1)  # offsets in the strategies count from here
STAMP = "2026-06-09T18:00:00+00:00"
USER = "00000000-0000-4000-8000-0000000000aa"


def new_store(first_day: date) -> Store:
    conn = connect(":memory:")
    migrate(conn)
    conn.execute("insert into profile (id, timezone, day_start_hour, first_day, created_at, updated_at)"
                 " values (1, 'UTC', 0, ?, 't', 't')", (first_day.isoformat(),))
    add_recording(conn, "r")
    return Store(conn, None)


def add_recording(conn, rec_id: str) -> None:
    conn.execute("insert into recordings (id, date, path, mime, duration_ms, size_bytes, sha256, created_at)"
                 " values (?, '2026-01-01', 'p', 'audio/ogg', 1000, 1, ?, 't')", (rec_id, "0" * 64))


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=timezone.utc)  # UTC, day start 00:00: `day`


def set_day(conn, d: date, done: bool, rating: int | None, action: bool | None, how: str) -> None:
    values = (f"s-{d}", d.isoformat(), int(done), "t" if done else None, "r" if done else None,
              None if action is None else int(action), rating)
    cols = ("insert {} into daily_sessions (id, date, morning_completed, morning_completed_at, recording_id,"
            " action_completed, discipline_rating, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, 't', 't')")
    if how == "replace":
        conn.execute(cols.format("or replace"), values)
    elif how == "update" and conn.execute("select 1 from daily_sessions where date = ?", (d.isoformat(),)).fetchone():
        conn.execute("update daily_sessions set morning_completed = ?, morning_completed_at = ?, recording_id = ?,"
                     " action_completed = ?, discipline_rating = ? where date = ?", (*values[2:], d.isoformat()))
    elif how == "pull":
        row = {"id": f"pulled-{d}", "date": d.isoformat(), "morning_completed": done,
               "morning_updated_at": STAMP, "created_at": STAMP, "updated_at": STAMP,
               "action_completed": action, "discipline_rating": rating}
        if done:
            row.update(morning_completed_at=STAMP, recording_path=f"{USER}/{d}-recording.ogg",
                       recording_sha256="ab" * 32, recording_duration_ms=30_000)
        assert apply_pull(conn, {"daily_sessions": [row]}, USER) == []
    else:  # an upsert, as the services and older pulls write
        updated = ("morning_completed", "morning_completed_at", "recording_id", "action_completed", "discipline_rating")
        conn.execute(cols.format("") + " on conflict (date) do update set "
                     + ", ".join(f"{c} = excluded.{c}" for c in updated), values)


def runs_of(completed: set[date]) -> list[tuple[str, str, int]]:
    runs = []
    for d in sorted(completed):
        if runs and runs[-1][1] == d - timedelta(days=1):
            runs[-1][1] = d
        else:
            runs.append([d, d])
    return [(a.isoformat(), b.isoformat(), (b - a).days + 1) for a, b in runs]


def reference_progress(store: Store, first_day: date, today: date) -> dict:
    """What /progress showed when it read the whole history (its score curve from first_day)."""
    records = summary.day_records(store)
    completed = {d.date for d in records if d.completed}
    monday = today - timedelta(days=today.weekday())
    heat_start = monday - timedelta(weeks=summary.CALENDAR_WEEKS - 1)
    trend_start = max(first_day, today - timedelta(days=summary.TREND_DAYS - 1))
    actions = {date.fromisoformat(r[0])
               for r in store.query("select date from daily_sessions where action_completed = 1")}
    return {
        "stats": compute_stats(records, first_day, today),
        "calendar": {d for d in completed if heat_start <= d <= today},
        "frozen": {d for d in frozen_days(completed, first_day, today) if d >= heat_start},
        "ratings": [((d.date - trend_start).days, float(d.rating)) for d in sorted(records, key=lambda r: r.date)
                    if d.rating is not None and trend_start <= d.date <= today],
        "scores": [(i, round(v * 100, 1)) for i, (_, v) in
                   enumerate(score_series(completed, first_day, today)[-summary.CURVE_DAYS:])],
        "weeks": weekly_summary(records, first_day, today, weeks=summary.SUMMARY_WEEKS, actions_done=actions),
    }


def assert_same_figures(store: Store, today: date) -> None:
    first_day = date.fromisoformat(store.query("select first_day from profile")[0][0])
    now = noon(today)
    expected = reference_progress(store, first_day, today)
    assert summary.stats(store, now) == expected["stats"] == summary.stats_from_history(store, now)
    home = summary.home(store, now)
    assert (home.today, home.stats) == (today, expected["stats"])
    assert summary.today_session(store, now) == summary.Today(today, home.session)
    got = summary.progress(store, now)
    heat_start = today - timedelta(days=today.weekday(), weeks=summary.CALENDAR_WEEKS - 1)
    assert got.stats == expected["stats"]
    assert {d for d in got.calendar if d >= heat_start} == expected["calendar"]
    assert got.frozen == expected["frozen"]
    assert got.ratings == expected["ratings"]
    assert got.scores == expected["scores"]
    assert got.weeks == expected["weeks"]
    # the kept state itself
    completed = {d.date for d in summary.day_records(store) if d.completed}
    assert [tuple(r) for r in store.query("select first_date, last_date, days from stats_runs order by first_date")] \
        == runs_of(completed)
    assert store.query("select completed_count from stats_state")[0][0] == len(completed)


# Checkpoint spacing: the app's, and tight ones so that short histories cross many checkpoints.
SPACINGS = st.sampled_from([(summary.CHECKPOINT_LAG, summary.CHECKPOINT_STEP), (7, 3), (2, 1), (1, 1)])
HOW = st.sampled_from(["upsert", "update", "replace", "pull"])


@st.composite
def histories(draw):
    span = draw(st.integers(1, 260))
    kind = st.sampled_from(["done", "done", "done", "missed", None, None])
    rating = st.one_of(st.none(), st.integers(1, 10))
    days = [(BASE + timedelta(days=i), k == "done", r, draw(st.sampled_from([None, True, False])))
            for i, (k, r) in enumerate(draw(st.lists(st.tuples(kind, rating), min_size=span, max_size=span)))
            if k is not None]
    order = draw(st.permutations(range(len(days))))
    flipped = draw(st.lists(st.booleans(), min_size=len(days), max_size=len(days)))
    hows = draw(st.lists(HOW, min_size=len(days), max_size=len(days)))
    return span, [days[i] for i in order], flipped, hows


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=histories(), spacing=SPACINGS, views=st.lists(st.tuples(st.integers(-5, 270), st.integers(-3, 270)),
                                                         min_size=1, max_size=4))
def test_random_histories_give_the_domain_functions_figures(case, spacing, views):
    """A history written in a random order, some days first saved the other way round and then
    flipped, through every write path; then read for several (first_day, today)."""
    span, days, flipped, hows = case
    store = new_store(BASE)
    with mock.patch.multiple(summary, CHECKPOINT_LAG=spacing[0], CHECKPOINT_STEP=spacing[1]):
        with store.transaction() as conn:
            for (d, done, r, action), flip, how in zip(days, flipped, hows):
                set_day(conn, d, done != flip, r, action, how)
        with store.transaction() as conn:
            for (d, done, r, action), flip, how in zip(days, flipped, hows):
                if flip:
                    set_day(conn, d, done, r, action, how)
        for first, today in views:
            with store.transaction() as conn:
                conn.execute("update profile set first_day = ?", ((BASE + timedelta(days=first)).isoformat(),))
            assert_same_figures(store, BASE + timedelta(days=today))


DAY_VALUES = (st.booleans(), st.one_of(st.none(), st.integers(1, 10)), st.sampled_from([None, True, False]), HOW)
OPS = st.one_of(
    st.tuples(st.just("set"), st.integers(0, 200), *DAY_VALUES),
    # days counted back from today: the window's edges and the checkpoint's day
    st.tuples(st.just("set_back"), st.one_of(st.integers(-2, 8), st.integers(85, 95), st.integers(-2, 125)),
              *DAY_VALUES),
    # the kept score checkpoint's day, or next to it
    st.tuples(st.just("set_at_checkpoint"), st.integers(-1, 1), *DAY_VALUES),
    st.tuples(st.just("delete"), st.integers(0, 200)),
    st.tuples(st.just("move"), st.integers(0, 200), st.integers(0, 200)),
    st.tuples(st.just("first_day"), st.integers(-5, 200)),
    st.tuples(st.just("clock"), st.integers(-10, 60)),
    st.tuples(st.just("wipe")),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=st.sets(st.integers(0, 200), max_size=150), ops=st.lists(OPS, max_size=25), spacing=SPACINGS,
       start=st.integers(0, 200))
def test_random_edits_keep_the_figures_equal_to_the_domain_functions(history, ops, spacing, start):
    """After every edit, a new first_day or a move of the clock, each screen's figures are the
    domain functions' of the whole history."""
    store = new_store(BASE)
    today = BASE + timedelta(days=start)
    with mock.patch.multiple(summary, CHECKPOINT_LAG=spacing[0], CHECKPOINT_STEP=spacing[1]):
        with store.transaction() as conn:
            for o in history:
                set_day(conn, BASE + timedelta(days=o), o % 7 != 3, o % 10 + 1 if o % 3 else None, o % 2 == 0, "upsert")
        assert_same_figures(store, today)
        for op in ops:
            with store.transaction() as conn:
                if op[0] == "set":
                    set_day(conn, BASE + timedelta(days=op[1]), *op[2:])
                elif op[0] == "set_back":
                    set_day(conn, today - timedelta(days=op[1]), *op[2:])
                elif op[0] == "set_at_checkpoint":
                    kept = conn.execute("select score_day from stats_state").fetchone()[0]
                    if kept:
                        set_day(conn, date.fromisoformat(kept) + timedelta(days=op[1]), *op[2:])
                elif op[0] == "delete":
                    conn.execute("delete from daily_sessions where date = ?",
                                 ((BASE + timedelta(days=op[1])).isoformat(),))
                elif op[0] == "move":
                    a, b = (BASE + timedelta(days=o) for o in op[1:])
                    if not conn.execute("select 1 from daily_sessions where date = ?", (b.isoformat(),)).fetchone():
                        conn.execute("update daily_sessions set date = ? where date = ?",
                                     (b.isoformat(), a.isoformat()))
                elif op[0] == "first_day":
                    conn.execute("update profile set first_day = ?", ((BASE + timedelta(days=op[1])).isoformat(),))
                elif op[0] == "clock":
                    today += timedelta(days=op[1])
                else:
                    conn.execute("delete from daily_sessions")
            assert_same_figures(store, today)


def long_store(days: int, today: date) -> Store:
    store = new_store(today - timedelta(days=days))
    with store.transaction() as conn:
        for i in range(1, days + 1):
            d = today - timedelta(days=i)
            set_day(conn, d, i % 9 != 0, 1 + i % 10, i % 2 == 0, "upsert")
    return store


def checkpoint(store: Store):
    return tuple(store.query("select score_first_day, score_day, score_value from stats_state")[0])


def test_a_ten_year_history_is_read_over_the_window_once_the_checkpoint_is_kept(monkeypatch):
    """No timing: the EMA steps a render takes are counted. The first read computes from the
    first day (no checkpoint yet) and keeps one; from then on Home and /progress step over at
    most 90 + 7 days, also as the clock moves on for weeks."""
    today = date(2026, 6, 15)
    store = long_store(3650, today)
    steps = []
    real = summary.score_steps

    def counted(completed, first, last, score=0.0):
        values = real(completed, first, last, score)
        steps.append(len(values))
        return values

    monkeypatch.setattr(summary, "score_steps", counted)
    assert_same_figures(store, today)
    assert steps[0] > 3600  # the first read: from first_day
    assert checkpoint(store)[1] == (today - timedelta(days=summary.CHECKPOINT_LAG)).isoformat()
    for moved in range(0, 45):
        steps.clear()
        day = today + timedelta(days=moved)
        summary.home(store, noon(day))
        summary.progress(store, noon(day))
        assert max(steps) <= summary.CHECKPOINT_LAG + summary.CHECKPOINT_STEP
    assert_same_figures(store, today + timedelta(days=44))


def test_an_old_day_pulled_from_the_account_drops_the_checkpoint_and_a_recent_one_does_not():
    today = date(2026, 6, 15)
    store = long_store(400, today)
    assert_same_figures(store, today)
    kept = checkpoint(store)
    assert kept[1] == "2026-03-17"
    with store.transaction() as conn:  # yesterday edited on another device
        set_day(conn, today - timedelta(days=1), False, 3, False, "pull")
    assert checkpoint(store) == kept
    assert_same_figures(store, today)
    with store.transaction() as conn:  # a day a year ago completed on another device
        set_day(conn, today - timedelta(days=360), True, 8, True, "pull")
    assert checkpoint(store) == (None, None, None)
    assert_same_figures(store, today)
    assert checkpoint(store)[1] == "2026-03-17"


@pytest.mark.parametrize("back", [summary.CHECKPOINT_LAG - 1, summary.CHECKPOINT_LAG, summary.CHECKPOINT_LAG + 1])
@pytest.mark.parametrize("done", [True, False])
def test_a_change_on_the_checkpoint_day_or_next_to_it(back, done):
    today = date(2026, 6, 15)
    store = long_store(400, today)
    assert_same_figures(store, today)
    assert checkpoint(store)[1] == (today - timedelta(days=summary.CHECKPOINT_LAG)).isoformat()
    with store.transaction() as conn:
        set_day(conn, today - timedelta(days=back), done, 5, None, "update")
        set_day(conn, today - timedelta(days=back), not done, 5, None, "update")
    assert_same_figures(store, today)


def test_a_first_day_adopted_from_the_account_is_used_at_once():
    today = date(2026, 6, 15)
    store = long_store(400, today)
    assert_same_figures(store, today)
    with store.transaction() as conn:
        assert apply_pull(conn, {"profile": {"first_day": "2025-12-01", "prefs_stamps": {}}}, USER) == []
    assert store.query("select first_day from profile")[0][0] == "2025-12-01"
    assert_same_figures(store, today)
    assert checkpoint(store)[0] == "2025-12-01"


def test_a_checkpoint_ahead_of_today_is_not_used_when_the_clock_goes_back():
    today = date(2026, 6, 15)
    store = long_store(400, today)
    assert_same_figures(store, today + timedelta(days=200))
    assert_same_figures(store, today - timedelta(days=150))
    assert_same_figures(store, today)


def test_wiping_the_device_empties_the_kept_state(store):
    from chris_app.services.data_rights import wipe_device

    with store.transaction() as conn:
        add_recording(conn, "r")
        for i in range(5):
            set_day(conn, date(2026, 6, 1) + timedelta(days=i), True, 7, True, "upsert")
    wipe_device(store, noon(date(2026, 6, 10)), "Europe/Berlin")
    assert store.query("select count(*) from stats_runs")[0][0] == 0
    assert store.query("select completed_count from stats_state")[0][0] == 0
    assert summary.stats(store, noon(date(2026, 6, 10))).total_days_completed == 0


@pytest.mark.parametrize("days", [0, 1, 7, 95])
def test_the_screens_after_the_services_write(store, days):
    """The services' own writes (morning, evening) move the figures as the domain says."""
    from chris_app.services import day as day_service

    start = date(2026, 6, 10)
    with store.transaction() as conn:
        add_recording(conn, "r")
        add_recording(conn, "r-today")
        conn.execute("update profile set first_day = ?", ((start - timedelta(days=days)).isoformat(),))
        for i in range(1, days + 1):
            set_day(conn, start - timedelta(days=i), i % 4 != 0, i % 10 + 1, True, "upsert")
    assert_same_figures_at(store, datetime(2026, 6, 10, 18, 0, tzinfo=timezone.utc))
    with store.transaction() as conn:
        day_service.complete_morning(conn, start, datetime(2026, 6, 10, 4, 0, tzinfo=timezone.utc), "r-today")
    day_service.save_evening(store, datetime(2026, 6, 10, 18, 0, tzinfo=timezone.utc),
                             action_completed=True, discipline_rating=9, biggest_win="Won")
    assert_same_figures_at(store, datetime(2026, 6, 10, 18, 0, tzinfo=timezone.utc))


def assert_same_figures_at(store: Store, now: datetime) -> None:
    assert summary.home(store, now).stats == summary.stats_from_history(store, now)
    assert summary.progress(store, now).stats == summary.stats_from_history(store, now)
