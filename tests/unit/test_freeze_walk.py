"""The streak freeze walk (docs/rules.md#streak-freezes): hand-written histories and properties.

`chris_app.domain.stats.walk` is the rule itself, day by day. The server walks from one
completed day to the next instead (supabase/migrations/20261202000200_streak_freezes.sql); its
arithmetic is repeated here as `gap_walk` and must give the same states and frozen days.
"""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chris_app.domain.stats import (
    MAX_FREEZES,
    DayRecord,
    Walk,
    compute_stats,
    current_streak,
    frozen_days,
    longest_streak,
    walk,
)

D = date(2026, 6, 15)  # "today"


def history(pattern: str, end: date = D) -> tuple[set[date], date]:
    """'x' done, '.' missed, the last character being `end`; returns (completed, first day)."""
    first = end - timedelta(days=len(pattern) - 1)
    return {first + timedelta(days=i) for i, c in enumerate(pattern) if c == "x"}, first


def figures(pattern: str, today_done: bool = True):
    completed, first = history(pattern)
    s = compute_stats([DayRecord(d, True) for d in completed], first_day=first, today=D)
    return s.current_streak, s.longest_streak, s.freezes_held, frozen_days(completed, first, D)


def test_seven_days_earn_a_freeze_that_bridges_one_missed_day():
    streak, best, held, frozen = figures("xxxxxxx.x")
    assert (streak, best, held) == (8, 8, 0)  # kept, not extended by the frozen day
    assert frozen == [D - timedelta(days=1)]


def test_without_a_freeze_a_missed_day_breaks_the_streak():
    assert figures("xxxxxx.x")[:3] == (1, 6, 0)


def test_a_gap_of_two_days_needs_two_freezes():
    assert figures("xxxxxxx..x")[:3] == (1, 7, 0)  # one freeze: the second missed day breaks it
    streak, best, held, frozen = figures("x" * 14 + "..x")
    assert (streak, best, held) == (15, 15, 0)
    assert frozen == [D - timedelta(days=2), D - timedelta(days=1)]


def test_a_gap_of_three_days_breaks_even_two_freezes_and_keeps_the_frozen_days():
    streak, best, held, frozen = figures("x" * 21 + "...x")
    assert (streak, best, held) == (1, 21, 0)
    assert frozen == [D - timedelta(days=3), D - timedelta(days=2)]


def test_freezes_are_capped_at_two():
    assert figures("x" * 21)[2] == MAX_FREEZES
    assert figures("x" * 70)[2] == MAX_FREEZES
    # at the cap, the 28th day's earning is lost: after spending two, 7 more days earn one
    assert figures("x" * 28 + ".." + "x" * 6)[:3] == (34, 34, 0)
    assert figures("x" * 28 + ".." + "x" * 7)[:3] == (35, 35, 1)


def test_frozen_days_count_toward_earning_nothing():
    # 7 done, 1 frozen, 6 done: 13 completed since the last earning is 6, no new freeze
    assert figures("xxxxxxx.xxxxxx")[:3] == (13, 13, 0)
    assert figures("xxxxxxx.xxxxxxx")[:3] == (14, 14, 1)


def test_an_unfinished_today_is_never_frozen():
    completed, first = history("xxxxxxx" + "x")  # through yesterday... then today open
    completed.discard(D)
    s = compute_stats([DayRecord(d, True) for d in completed], first_day=first, today=D)
    assert (s.current_streak, s.freezes_held) == (7, 1)
    assert frozen_days(completed, first, D) == []
    # yesterday missed: it is frozen at once, today still open
    completed.discard(D - timedelta(days=1))
    completed.add(D - timedelta(days=8))
    first = D - timedelta(days=8)
    s = compute_stats([DayRecord(d, True) for d in completed], first_day=first, today=D)
    assert (s.current_streak, s.freezes_held) == (7, 0)
    assert frozen_days(completed, first, D) == [D - timedelta(days=1)]


def test_frozen_days_are_not_completed_days():
    completed, first = history("xxxxxxx.x")
    s = compute_stats([DayRecord(d, True) for d in completed], first_day=first, today=D)
    assert s.total_days_completed == 8
    assert str(s.completion_rate) == "88.89"  # 8 of 9, the frozen day counts as missed


def test_days_before_the_first_day_are_not_walked():
    completed, first = history("xxxxxxxx")
    s = compute_stats([DayRecord(d, True) for d in completed], first_day=first + timedelta(days=3), today=D)
    assert (s.current_streak, s.longest_streak, s.total_days_completed) == (5, 5, 8)


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------
patterns = st.lists(st.sampled_from("xxxx.."), min_size=0, max_size=120).map("".join)


def gap_walk(completed: set[int], first: int, last: int) -> tuple[Walk, list[int]]:
    """The server's way: from one completed day to the next, a gap of missed days at a time."""
    s, frozen, prev = Walk(), [], first - 1
    for day in sorted(d for d in completed if first <= d <= last) + [last + 1]:
        gap = day - prev - 1
        streak, best, freezes, since = s.streak, s.best, s.freezes, s.since_earn
        if gap:
            if streak > 0 and freezes >= gap:
                frozen += range(prev + 1, prev + 1 + gap)
                freezes -= gap
            else:
                if streak > 0:
                    frozen += range(prev + 1, prev + 1 + freezes)
                streak = freezes = since = 0
        if day <= last:
            streak, since = streak + 1, since + 1
            best = max(best, streak)
            if since == 7:
                freezes, since = min(freezes + 1, MAX_FREEZES), 0
        s, prev = Walk(streak, best, freezes, since), day
    return s, frozen


@given(pattern=patterns)
def test_walking_gap_by_gap_is_walking_day_by_day(pattern):
    completed, first = history(pattern or ".")
    days = {d.toordinal() for d in completed}
    frozen: list[int] = []
    state = walk(days, first.toordinal(), D.toordinal(), frozen=frozen)
    assert gap_walk(days, first.toordinal(), D.toordinal()) == (state, frozen)


@given(pattern=patterns, split=st.integers(0, 120))
def test_the_walk_continues_from_any_day(pattern, split):
    completed, first = history(pattern or ".")
    days, a, b = {d.toordinal() for d in completed}, first.toordinal(), D.toordinal()
    mid = min(a + split, b + 1)
    f1: list[int] = []
    f2: list[int] = []
    whole = walk(days, a, b, frozen=f1)
    assert walk(days, mid, b, walk(days, a, mid - 1, frozen=f2), frozen=f2) == whole
    assert f2 == f1


@given(pattern=patterns)
def test_freezes_only_ever_lengthen_streaks_and_never_touch_completed_days(pattern):
    completed, first = history(pattern or ".")
    s = compute_stats([DayRecord(d, True) for d in completed], first_day=first, today=D)
    frozen = frozen_days(completed, first, D)
    assert 0 <= s.freezes_held <= MAX_FREEZES
    assert s.current_streak >= current_streak(completed, D)
    assert s.longest_streak >= longest_streak(completed)
    assert s.current_streak <= s.longest_streak <= len(completed)
    assert not set(frozen) & completed
    assert all(first <= d <= D for d in frozen)
    # no two frozen runs longer than the freezes that could be held
    run = 0
    for i, d in enumerate(frozen):
        run = run + 1 if i and frozen[i - 1] == d - timedelta(days=1) else 1
        assert run <= MAX_FREEZES


@given(pattern=patterns)
def test_a_history_with_no_earned_freeze_counts_the_strict_runs(pattern):
    completed, first = history(pattern or ".")
    if longest_streak(completed) < 7:
        s = compute_stats([DayRecord(d, True) for d in completed], first_day=first, today=D)
        assert (s.current_streak, s.longest_streak, s.freezes_held) == (
            current_streak(completed, D), longest_streak(completed), 0)
        assert frozen_days(completed, first, D) == []
