"""Streaks and statistics over a member's days (docs/rules.md, "Days and figures").

Everything here is derived from what the member entered (their days) and "today" (a protocol
day, see `days.protocol_day`); nothing is stored. The SQL side computes the same figures and
tests feed both the same histories; so does the device's kept state (services.summary), which
reads them without walking the whole history.

The window: the last 90 protocol days ending today if today is completed, else yesterday,
never starting before the member's first day. Completion rate and average rating use it; the
discipline score runs from the first day to the window's end, so an unfinished today never
drags any figure down.

Streaks count with freezes (docs/rules.md#streak-freezes): `walk` goes over the days from the
first day to the window's end, earning a freeze for every 7 completed days of a streak (at most
2 held) and spending one on a missed day, which keeps the streak without lengthening it.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

WINDOW_DAYS = 90
# Discipline score smoothing: a 13-day half-life, as in Loop Habit Tracker's habit strength.
SCORE_MULTIPLIER = 0.5 ** (1 / 13)


@dataclass(frozen=True, slots=True)
class DayRecord:
    """One protocol day as the member left it: morning completed? evening rating (1–10)?"""

    date: date
    completed: bool
    rating: int | None = None


@dataclass(frozen=True, slots=True)
class Stats:
    current_streak: int
    longest_streak: int
    total_days_completed: int
    completion_rate: Decimal  # percent, 2 decimals
    average_rating: Decimal  # 1 decimal, 0 when there is no rating in the window
    score: Decimal  # discipline score in percent, 1 decimal
    freezes_held: int = 0  # streak freezes held at the window's end (0..MAX_FREEZES)

    @classmethod
    def empty(cls) -> Stats:
        return cls(0, 0, 0, Decimal("0.00"), Decimal("0.0"), Decimal("0.0"))


# Streak freezes (docs/rules.md#streak-freezes)
FREEZE_EVERY = 7  # completed days of a streak that earn one freeze
MAX_FREEZES = 2  # freezes held at most


@dataclass(frozen=True, slots=True)
class Walk:
    """The freeze walk's state after some day: the streak (bridged), the longest streak so far,
    the freezes held, and the completed days since the last freeze was earned (or the streak
    started)."""

    streak: int = 0
    best: int = 0
    freezes: int = 0
    since_earn: int = 0


def walk(completed: Container[int], first: int, last: int, state: Walk = Walk(),
         frozen: list[int] | None = None) -> Walk:
    """The walk over day numbers (date.toordinal()) first..last, continuing from `state` (the
    state after the day before `first`; `Walk()` when `first` is the member's first day).
    Days where a freeze is spent are appended to `frozen` when given."""
    streak, best, freezes, since_earn = state.streak, state.best, state.freezes, state.since_earn
    for day in range(first, last + 1):
        if day in completed:
            streak += 1
            since_earn += 1
            best = max(best, streak)
            if since_earn == FREEZE_EVERY:
                freezes = min(freezes + 1, MAX_FREEZES)
                since_earn = 0
        elif streak > 0 and freezes > 0:
            freezes -= 1  # a frozen day: the streak is kept, not extended
            if frozen is not None:
                frozen.append(day)
        else:
            streak = since_earn = 0
    return Walk(streak, best, freezes, since_earn)


def window_end(today: date, today_completed: bool) -> date:
    """The last day the figures count: today once it is completed, else yesterday."""
    return today if today_completed else today - timedelta(days=1)


def frozen_days(completed: set[date], first_day: date, today: date) -> list[date]:
    """The days a freeze was spent on, from the first day to the window's end, oldest first."""
    out: list[int] = []
    walk({d.toordinal() for d in completed}, first_day.toordinal(),
         window_end(today, today in completed).toordinal(), frozen=out)
    return [date.fromordinal(o) for o in out]


def _round(value: Decimal | float, places: int) -> Decimal:
    # Half away from zero, as PostgreSQL's round(numeric) does.
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def current_streak(completed: set[date], today: date) -> int:
    """Consecutive completed days ending today (if done) or yesterday: the strict run, without
    freezes (the figures use `walk`)."""
    day = today if today in completed else today - timedelta(days=1)
    streak = 0
    while day in completed:
        streak += 1
        day -= timedelta(days=1)
    return streak


def longest_streak(completed: set[date]) -> int:
    """The longest run of consecutive completed days, without freezes (the figures use `walk`)."""
    best = 0
    for day in completed:
        if day - timedelta(days=1) in completed:
            continue  # not the start of a run
        length = 1
        while day + timedelta(days=length) in completed:
            length += 1
        best = max(best, length)
    return best


def window(first_day: date, today: date, today_completed: bool) -> tuple[date, date] | None:
    """(start, end) of the statistics window, both inclusive; None when it is empty."""
    end = today if today_completed else today - timedelta(days=1)
    start = max(first_day, end - timedelta(days=WINDOW_DAYS - 1))
    return (start, end) if start <= end else None


def score_series(completed: set[date], first_day: date, end: date) -> list[tuple[date, float]]:
    """The discipline score (0–1) after each day from first_day through end: an exponential
    moving average of done (1) / not done (0)."""
    series, score, day = [], 0.0, first_day
    while day <= end:
        score = score * SCORE_MULTIPLIER + (1.0 if day in completed else 0.0) * (1 - SCORE_MULTIPLIER)
        series.append((day, score))
        day += timedelta(days=1)
    return series


def score_steps(completed: Container[int], first: int, last: int, score: float = 0.0) -> list[float]:
    """`score_series`' values over day numbers (date.toordinal()): the score after each day
    first..last, from `score` after the day before first (0.0 when first is the first day).
    The same steps, so the very same floats: continuing from a value the series gave for some
    day equals the series from the first day (the device keeps such a value, services.summary)."""
    values = []
    for day in range(first, last + 1):
        score = score * SCORE_MULTIPLIER + (1.0 if day in completed else 0.0) * (1 - SCORE_MULTIPLIER)
        values.append(score)
    return values


def discipline_score(completed: set[date], first_day: date, end: date) -> float:
    series = score_series(completed, first_day, end)
    return series[-1][1] if series else 0.0


def compute_stats(days: Iterable[DayRecord], first_day: date, today: date) -> Stats:
    days = list(days)
    completed = {d.date for d in days if d.completed}
    span = window(first_day, today, today in completed)
    if span is None:
        in_window, ratings, score = 0, [], 0.0
    else:
        start, end = span
        in_window = sum(1 for d in completed if start <= d <= end)
        ratings = [d.rating for d in days if d.rating is not None and start <= d.date <= end]
        score = discipline_score(completed, first_day, end)
    state = walk({d.toordinal() for d in completed}, first_day.toordinal(),
                 window_end(today, today in completed).toordinal())
    return figures(state.streak, state.best, len(completed), span, in_window, sum(ratings), len(ratings),
                   score, state.freezes)


def figures(current: int, longest: int, total: int, span: tuple[date, date] | None,
            completed_in_window: int, rating_sum: int, rating_count: int, score: float,
            freezes_held: int = 0) -> Stats:
    """The figures from their parts, rounded as shown: what `compute_stats` counts from the
    days, and what the device's incremental state (services.summary) reads by index."""
    if span is None:
        rate, avg, score = Decimal(0), Decimal(0), 0.0
    else:
        start, end = span
        rate = Decimal(completed_in_window * 100) / Decimal((end - start).days + 1)
        avg = Decimal(rating_sum) / Decimal(rating_count) if rating_count else Decimal(0)
    return Stats(
        current_streak=current,
        longest_streak=longest,
        total_days_completed=total,
        completion_rate=_round(rate, 2),
        average_rating=_round(avg, 1),
        score=_round(score * 100, 1),
        freezes_held=freezes_held,
    )


@dataclass(frozen=True, slots=True)
class Week:
    """One Monday–Sunday week, counted only over days since the member joined, up to today."""

    start: date
    days: int  # days of this week the member could have done (joined, not in the future)
    completed: int
    average_rating: Decimal | None
    actions_done: int


def weekly_summary(days: Iterable[DayRecord], first_day: date, today: date, weeks: int = 8,
                   actions_done: set[date] | None = None) -> list[Week]:
    """The last `weeks` weeks, newest first; weeks wholly before the first day are left out."""
    monday = today - timedelta(days=today.weekday())
    # week w (0 = this one) starts on monday - 7w; its days since joining, up to today
    counted = []
    for w in range(weeks):
        start = monday - timedelta(days=7 * w)
        lo, hi = max(start, first_day), min(start + timedelta(days=6), today)
        if lo > hi:
            break
        counted.append((start, (hi - lo).days + 1))
    if not counted:
        return []
    lo, hi, top = max(counted[-1][0], first_day), today, monday.toordinal() + 6
    completed, rating_sums, rating_counts = [0] * len(counted), [0] * len(counted), [0] * len(counted)
    for d in {d.date: d for d in days}.values():  # the last record of a day counts, as by date
        if lo <= d.date <= hi:
            w = (top - d.date.toordinal()) // 7
            completed[w] += d.completed
            if d.rating is not None:
                rating_sums[w] += d.rating
                rating_counts[w] += 1
    actions = [0] * len(counted)
    for d in actions_done or ():
        if lo <= d <= hi:
            actions[(top - d.toordinal()) // 7] += 1
    return [
        Week(start=start, days=n, completed=completed[w],
             average_rating=_round(Decimal(rating_sums[w]) / rating_counts[w], 1) if rating_counts[w] else None,
             actions_done=actions[w])
        for w, (start, n) in enumerate(counted)
    ]
