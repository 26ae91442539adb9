"""What the screens show: today's state and the member's figures (Home, evening, /progress).

The figures are exactly `chris_app.domain.stats.compute_stats` of the whole history, but no
screen walks that history to show them: the work per render depends on the 90-day window, not
on how long the member has been at it.

* Runs of consecutive completed days and the completed count live in the store
  (`stats_runs`, `stats_state`, local migration 0005), kept by SQLite triggers on
  `daily_sessions`, so they are right whoever writes (these services, sync pulls, a wipe).
  Current streak = the run holding the window's end, longest = the longest run: index lookups.
* Completion rate and average rating: one aggregate over the window's ≤ 90 rows.
* The discipline score continues the EMA (`score_steps`, `score_series`' very steps) from a
  checkpoint in `stats_state`: its value after a day ~90 days back, so the same floats. A change
  to a completed day on or before that day drops it (trigger); one made for another first_day
  is not used. Then it is computed once from first_day and kept again; it moves forward every
  7 days as today moves.
* Streaks count with freezes (docs/rules.md#streak-freezes): `domain.stats.walk` continues
  from its state kept with the score checkpoint (`stats_state.walk_*`, local migration 0010,
  dropped with it) over the same ≤ 97 days, which also gives /progress its frozen days.
* "today" and first_day are read at every call; nothing kept depends on either.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from chris_app.domain.days import protocol_day
from chris_app.domain.stats import (
    WINDOW_DAYS,
    DayRecord,
    Stats,
    Walk,
    Week,
    compute_stats,
    figures,
    score_steps,
    walk,
    weekly_summary,
    window,
)
from chris_app.services.day import DaySession, board_is_empty, get_day, morning_finished_today
from chris_app.services.profile import get_profile, today
from chris_app.store import Store

CALENDAR_WEEKS = 12  # /progress: the heatmap
SUMMARY_WEEKS = 8  # /progress: the weekly summary
TREND_DAYS = 30  # /progress: the rating trend
CURVE_DAYS = 90  # /progress: the score curve
# The score checkpoint is kept this many days before today, and moved forward once it lags
# CHECKPOINT_STEP days more: edits of the last 90 days (the usual ones, also from other
# devices) never drop it, and a render continues the EMA over at most 90 + 7 days.
CHECKPOINT_LAG = max(WINDOW_DAYS, CURVE_DAYS)
CHECKPOINT_STEP = 7


@dataclass(frozen=True, slots=True)
class Today:
    """The protocol day `now` falls in, and what the member did of it so far."""

    today: date
    session: DaySession | None


@dataclass(frozen=True, slots=True)
class Home:
    today: date
    session: DaySession | None
    stats: Stats
    board_empty: bool = False  # no vision board tiles: the board step never holds the morning up

    @property
    def next_step(self) -> str:
        """The route of the next thing to do today: the morning (which opens at its first
        unfinished step) until the morning is finished, then the evening, then /progress."""
        if not morning_finished_today(self.session, self.board_empty):
            return "/morning"
        if not self.session.evening_completed:
            return "/evening"
        return "/progress"


@dataclass(frozen=True, slots=True)
class Progress:
    """Everything /progress shows, read from the last ~90 days and the kept state."""

    today: date
    stats: Stats
    calendar: frozenset[date]  # completed days among the last CALENDAR_WEEKS weeks
    frozen: frozenset[date]  # days a streak freeze bridged, same weeks (docs/rules.md#streak-freezes)
    ratings: list[tuple[int, float]]  # (days since the trend's start, rating), oldest first
    scores: list[tuple[int, float]]  # the score curve in percent, the last CURVE_DAYS days
    weeks: list[Week]  # newest first


def day_records(store: Store) -> list[DayRecord]:
    """Every day of the history (the reference computation and tests; screens never need it)."""
    return [
        DayRecord(date.fromisoformat(r["date"]), bool(r["morning_completed"]), r["discipline_rating"])
        for r in store.query("select date, morning_completed, discipline_rating from daily_sessions")
    ]


def stats_from_history(store: Store, now: datetime) -> Stats:
    """The figures computed from the whole history by the domain functions: what `stats`
    must always equal (tests, benchmarks)."""
    return compute_stats(day_records(store), get_profile(store).first_day, today(store, now))


def stats(store: Store, now: datetime) -> Stats:
    with store.reading() as conn:
        return _figures(conn, *_first_day_and_today(store, now))[0]


def today_session(store: Store, now: datetime) -> Today:
    """What the morning and evening screens need: no figures."""
    with store.reading():
        day = today(store, now)
        return Today(day, get_day(store, day))


def home(store: Store, now: datetime) -> Home:
    with store.reading() as conn:
        first_day, day = _first_day_and_today(store, now)
        return Home(today=day, session=get_day(store, day), stats=_figures(conn, first_day, day)[0],
                    board_empty=board_is_empty(store))


def progress(store: Store, now: datetime) -> Progress:
    with store.reading() as conn:
        first_day, day = _first_day_and_today(store, now)
        monday = day - timedelta(days=day.weekday())
        shown_from = min(monday - timedelta(weeks=CALENDAR_WEEKS - 1), monday - timedelta(weeks=SUMMARY_WEEKS - 1),
                         day - timedelta(days=TREND_DAYS - 1))
        curve_from = max(first_day, day - timedelta(days=CURVE_DAYS - 1))
        st, series, rows, frozen = _figures(conn, first_day, day, curve_from=curve_from, rows_from=shown_from)
        trend_start = max(first_day, day - timedelta(days=TREND_DAYS - 1))
        shown, trend, weeks_from = (shown_from.toordinal(), trend_start.toordinal(),
                                    (monday - timedelta(weeks=SUMMARY_WEEKS - 1)).toordinal())
        return Progress(
            today=day,
            stats=st,
            calendar=frozenset(date.fromordinal(o) for o, done, _, _ in rows if done and o >= shown),
            frozen=frozenset(date.fromordinal(o) for o in frozen if o >= shown),
            ratings=[(o - trend, float(rating)) for o, _, rating, _ in rows if rating is not None and o >= trend],
            scores=[(i, round(v * 100, 1)) for i, v in enumerate(series[-CURVE_DAYS:])],
            weeks=weekly_summary(
                [DayRecord(date.fromordinal(o), bool(done), rating) for o, done, rating, _ in rows
                 if o >= weeks_from and (done or rating is not None)],
                first_day, day, weeks=SUMMARY_WEEKS,
                actions_done={date.fromordinal(o) for o, _, _, action in rows if action and o >= weeks_from}),
        )


# ---------------------------------------------------------------------------------------------
# The figures from the kept state
# ---------------------------------------------------------------------------------------------
def _first_day_and_today(store: Store, now: datetime) -> tuple[date, date]:
    profile = get_profile(store)
    return profile.first_day, protocol_day(now, profile.timezone, profile.day_start_hour)


def _cursor(conn: sqlite3.Connection) -> sqlite3.Cursor:
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: these reads go over up to ~120 rows
    return cursor


# A date's day number (date.toordinal()) in SQL: julianday of a date is a whole number + 0.5.
_ORDINAL = "cast(julianday(date) - 1721424.5 as integer)"


def _figures(conn: sqlite3.Connection, first_day: date, day: date, curve_from: date | None = None,
             rows_from: date | None = None) -> tuple[Stats, list[float], list[tuple], list[int]]:
    """compute_stats(history, first_day, day) from the kept state and one read of the window's
    rows; the score after each day from `curve_from` (or the window's end; or earlier) through
    `day`; with `rows_from`, the days from then (or earlier) through `day` as (day number,
    morning_completed, discipline_rating, action_completed), oldest first; and the frozen days
    (day numbers) from then (or earlier) through the window's end."""
    cur = _cursor(conn)
    today_completed, total, kept_first_day, kept_day, kept_value, *kept_walk = cur.execute(
        "select coalesce((select morning_completed from daily_sessions where date = :day), 0),"
        " s.completed_count, s.score_first_day, s.score_day, s.score_value,"
        " s.walk_streak, s.walk_best, s.walk_freezes, s.walk_since_earn from stats_state s where s.id = 1",
        {"day": day.isoformat()}).fetchone()
    span = window(first_day, day, bool(today_completed))
    end = day if today_completed else day - timedelta(days=1)

    # The score and the freeze walk: continued from the checkpoint when it is for this first
    # day and before what is needed, else from the first day. `after` is the last day they are
    # known for.
    since = None
    if kept_day is not None and kept_first_day == first_day.isoformat() and None not in kept_walk:
        checkpoint = date.fromisoformat(kept_day)
        if first_day <= checkpoint < max(first_day, min(curve_from or end, end)):
            since = (checkpoint, kept_value, Walk(*kept_walk))
    after = since[0] if since else first_day - timedelta(days=1)
    # One read of the rows: the window's (rate, rating), the score's days, the caller's.
    ws, we = span or (day + timedelta(days=1), day)  # no window: an empty range
    lo = min(after + timedelta(days=1), ws, rows_from or ws)
    a = after.toordinal()
    rows: list[tuple] = []
    if rows_from is None:  # counted by SQLite
        in_window, rating_sum, rating_count, done_list = cur.execute(
            "select coalesce(sum(morning_completed) filter (where date between :ws and :we), 0),"
            " coalesce(sum(discipline_rating) filter (where date between :ws and :we), 0),"
            " count(discipline_rating) filter (where date between :ws and :we),"
            f" group_concat({_ORDINAL}) filter (where morning_completed = 1 and date > :after)"
            " from daily_sessions where date between :lo and :day",
            {"ws": ws.isoformat(), "we": we.isoformat(), "after": after.isoformat(), "lo": lo.isoformat(),
             "day": day.isoformat()}).fetchone()
        done = set(map(int, done_list.split(","))) if done_list else set()
    else:
        rows = cur.execute(
            f"select {_ORDINAL}, morning_completed, discipline_rating, action_completed from daily_sessions"
            " where date between ? and ? order by date", (lo.isoformat(), day.isoformat())).fetchall()
        in_window = rating_sum = rating_count = 0
        done = set()
        first, last = ws.toordinal(), we.toordinal()
        for o, completed, rating, _ in rows:
            if first <= o <= last:
                in_window += completed
                if rating is not None:
                    rating_sum += rating
                    rating_count += 1
            if completed and o > a:
                done.add(o)

    series = score_steps(done, a + 1, day.toordinal(), since[1] if since else 0.0) if first_day <= day else []
    frozen: list[int] = []
    state = walk(done, a + 1, end.toordinal(), since[2] if since else Walk(), frozen=frozen)
    if series:
        _keep_checkpoint(conn, first_day, day, after, since, series, done)
    if span is None:
        return figures(state.streak, state.best, total, None, 0, 0, 0, 0.0, state.freezes), series, rows, frozen
    score = series[-1] if today_completed else series[-2]
    return (figures(state.streak, state.best, total, span, in_window, rating_sum, rating_count, score, state.freezes),
            series, rows, frozen)


def _keep_checkpoint(conn: sqlite3.Connection, first_day: date, day: date, after: date,
                     since: tuple[date, float, Walk] | None, series: list[float], done: set[int]) -> None:
    """Keep the score and the walk's state CHECKPOINT_LAG days before `day` when there is none
    (for this first_day) or the one used lags CHECKPOINT_STEP days more. `series` starts the
    day after `after`; `done` holds the completed days after `after`."""
    target = day - timedelta(days=CHECKPOINT_LAG)
    if after < target and (since is None or (target - since[0]).days >= CHECKPOINT_STEP):
        w = walk(done, after.toordinal() + 1, target.toordinal(), since[2] if since else Walk())
        try:
            conn.execute("update stats_state set score_first_day = ?, score_day = ?, score_value = ?,"
                         " walk_streak = ?, walk_best = ?, walk_freezes = ?, walk_since_earn = ? where id = 1",
                         (first_day.isoformat(), target.isoformat(), series[(target - after).days - 1],
                          w.streak, w.best, w.freezes, w.since_earn))
        except sqlite3.OperationalError:
            pass  # the database is busy or read-only: the checkpoint is a cache, the figures stay right
