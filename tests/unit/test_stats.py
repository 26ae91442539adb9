from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from chris_app.domain.stats import (
    SCORE_MULTIPLIER,
    DayRecord,
    compute_stats,
    current_streak,
    longest_streak,
)

D = date(2026, 6, 15)  # "today" in most tests


def days_ago(*offsets, rating=None):
    return [DayRecord(D - timedelta(days=o), True, rating) for o in offsets]


def test_a_member_on_their_first_day_with_nothing_done_has_all_zeros():
    s = compute_stats([], first_day=D, today=D)
    assert (s.current_streak, s.longest_streak, s.total_days_completed) == (0, 0, 0)
    assert (s.completion_rate, s.average_rating, s.score) == (Decimal("0.00"), Decimal("0.0"), Decimal("0.0"))


def test_a_member_who_completed_their_first_day_has_100_percent():
    s = compute_stats([DayRecord(D, True, 8)], first_day=D, today=D)
    assert s.current_streak == 1
    assert s.completion_rate == Decimal("100.00")
    assert s.average_rating == Decimal("8.0")
    # one step of the moving average: 1 − 0.5^(1/13) = 0.0519…
    assert s.score == Decimal("5.2")


def test_today_not_yet_done_never_breaks_the_streak():
    s = compute_stats(days_ago(1, 2, 3), first_day=D - timedelta(days=10), today=D)
    assert s.current_streak == 3


def test_a_missed_yesterday_breaks_the_streak():
    s = compute_stats(days_ago(2, 3, 4), first_day=D - timedelta(days=10), today=D)
    assert s.current_streak == 0
    assert s.longest_streak == 3


def test_completing_today_extends_the_streak_through_today():
    assert current_streak({D, D - timedelta(days=1)}, D) == 2


def test_longest_streak_finds_the_longest_run_anywhere_in_history():
    completed = {D - timedelta(days=o) for o in [0, 1, 5, 6, 7, 8, 400, 401]}
    assert longest_streak(completed) == 4
    assert longest_streak(set()) == 0


def test_completion_rate_uses_days_since_joining_not_a_fixed_90():
    # Joined 9 days ago (10 days incl. today), completed 9 of the 9 finished days; today open.
    s = compute_stats(days_ago(*range(1, 10)), first_day=D - timedelta(days=9), today=D)
    assert s.completion_rate == Decimal("100.00")
    # Joined 10 days ago, 5 of the 10 finished days done.
    s = compute_stats(days_ago(1, 3, 5, 7, 9), first_day=D - timedelta(days=10), today=D)
    assert s.completion_rate == Decimal("50.00")


def test_completion_rate_window_is_the_last_90_days_for_long_time_members():
    # 45 of the last 90 days done, plus 300 days done long before: only the window counts.
    recent = days_ago(*range(1, 91, 2))
    old = days_ago(*range(200, 500))
    s = compute_stats(recent + old, first_day=D - timedelta(days=1000), today=D)
    assert s.completion_rate == Decimal("50.00")
    assert s.total_days_completed == 45 + 300


def test_completion_rate_rounds_half_up_to_two_decimals():
    # 1 of 3 days → 33.333… → 33.33; 2 of 3 → 66.67
    s = compute_stats(days_ago(1), first_day=D - timedelta(days=3), today=D)
    assert s.completion_rate == Decimal("33.33")
    s = compute_stats(days_ago(1, 2), first_day=D - timedelta(days=3), today=D)
    assert s.completion_rate == Decimal("66.67")
    # 1 of 32 → 3.125 → 3.13 (half away from zero, like PostgreSQL)
    s = compute_stats(days_ago(1), first_day=D - timedelta(days=32), today=D)
    assert s.completion_rate == Decimal("3.13")


def test_average_rating_counts_only_rated_days_in_the_window():
    days = [
        DayRecord(D - timedelta(days=1), True, 7),
        DayRecord(D - timedelta(days=2), False, 8),  # evening done without a morning
        DayRecord(D - timedelta(days=3), True, None),
        DayRecord(D - timedelta(days=200), True, 1),  # outside the window
    ]
    s = compute_stats(days, first_day=D - timedelta(days=300), today=D)
    assert s.average_rating == Decimal("7.5")


def test_average_rating_rounds_half_up_to_one_decimal():
    days = [DayRecord(D - timedelta(days=i + 1), True, r) for i, r in enumerate([7, 7, 7, 8])]
    assert compute_stats(days, first_day=D - timedelta(days=10), today=D).average_rating == Decimal("7.3")


def test_after_a_long_gap_the_streak_is_zero_and_the_score_decays():
    s = compute_stats(days_ago(*range(100, 130)), first_day=D - timedelta(days=130), today=D)
    assert s.current_streak == 0
    assert s.longest_streak == 30
    assert s.completion_rate == Decimal("0.00")  # nothing done in the last 90 days
    assert Decimal("0.0") < s.score < Decimal("1.0")


def test_the_score_after_13_perfect_days_is_half():
    # 1 − m^13 = 1 − 0.5
    s = compute_stats(days_ago(*range(0, 13)), first_day=D - timedelta(days=12), today=D)
    assert s.score == Decimal("50.0")


def test_the_score_follows_the_moving_average_formula_day_by_day():
    pattern = [1, 1, 0, 1, 0, 0, 1, 1, 1, 0]
    first = D - timedelta(days=len(pattern) - 1)
    days = [DayRecord(first + timedelta(days=i), bool(p)) for i, p in enumerate(pattern)]
    # Today (the last) is not done, so the average runs over the first nine days. By hand,
    # with m = 0.948078 and 1 − m = 0.051922: .0519 .1012 .0959 .1429 .1354 .1284 .1737 .2166 .2573
    s = compute_stats(days, first_day=first, today=D)
    assert s.score == Decimal("25.7")
    assert round(SCORE_MULTIPLIER, 6) == 0.948078


# -- invariants -------------------------------------------------------------------------

histories = st.lists(
    st.tuples(st.integers(0, 400), st.booleans(), st.one_of(st.none(), st.integers(1, 10))),
    max_size=120,
    unique_by=lambda t: t[0],
)


def build(history, joined_ago):
    return [DayRecord(D - timedelta(days=o), done, r) for o, done, r in history if o <= joined_ago]


@given(histories, st.integers(0, 400))
def test_figures_stay_within_their_bounds(history, joined_ago):
    days = build(history, joined_ago)
    s = compute_stats(days, first_day=D - timedelta(days=joined_ago), today=D)
    assert 0 <= s.current_streak <= s.longest_streak <= s.total_days_completed
    assert Decimal(0) <= s.completion_rate <= Decimal(100)
    assert s.average_rating == 0 or Decimal(1) <= s.average_rating <= Decimal(10)
    assert Decimal(0) <= s.score <= Decimal(100)


@given(histories, st.integers(1, 400))
def test_completing_today_never_lowers_any_figure(history, joined_ago):
    before = [d for d in build(history, joined_ago) if d.date != D]
    first = D - timedelta(days=joined_ago)
    a = compute_stats(before, first_day=first, today=D)
    b = compute_stats(before + [DayRecord(D, True)], first_day=first, today=D)
    assert b.current_streak == a.current_streak + 1
    assert b.longest_streak >= a.longest_streak
    assert b.total_days_completed == a.total_days_completed + 1
    assert b.completion_rate >= a.completion_rate
    assert b.score >= a.score


@given(histories, st.integers(0, 400))
def test_the_order_of_the_days_does_not_matter(history, joined_ago):
    days = build(history, joined_ago)
    first = D - timedelta(days=joined_ago)
    assert compute_stats(days, first, D) == compute_stats(list(reversed(days)), first, D)


@given(st.integers(1, 400))
def test_a_member_who_completed_every_day_has_100_percent_whatever_their_age(age):
    first = D - timedelta(days=age)
    days = [DayRecord(first + timedelta(days=i), True) for i in range(age + 1)]
    s = compute_stats(days, first_day=first, today=D)
    assert s.completion_rate == Decimal("100.00")
    assert s.current_streak == s.longest_streak == age + 1


# -- series and weeks for the progress screen --------------------------------------------

from chris_app.domain.stats import score_series, weekly_summary  # noqa: E402


def test_the_score_series_ends_at_the_headline_score():
    completed = {D - timedelta(days=o) for o in (0, 1, 2, 5)}
    first = D - timedelta(days=9)
    series = score_series(completed, first, D)
    assert [d for d, _ in series] == [first + timedelta(days=i) for i in range(10)]
    assert series[0][1] == 0.0  # day one not done
    assert all(b > a for (_, a), (d, b) in zip(series, series[1:]) if d in completed)
    assert all(b < a for (_, a), (d, b) in zip(series, series[1:]) if d not in completed and a > 0)
    s = compute_stats([DayRecord(d, True) for d in completed], first, D)
    assert s.score == Decimal(str(round(series[-1][1] * 100, 1)))


def test_weeks_count_only_days_since_joining_and_up_to_today():
    # D is Monday 15 Jun 2026; the member joined on Thursday 4 Jun.
    assert D.weekday() == 0
    days = [DayRecord(date(2026, 6, 4), True, 6), DayRecord(date(2026, 6, 5), True, 8),
            DayRecord(date(2026, 6, 9), True, 9), DayRecord(date(2026, 6, 10), False, 4),
            DayRecord(D, True, 7)]
    weeks = weekly_summary(days, first_day=date(2026, 6, 4), today=D, actions_done={date(2026, 6, 9)})
    assert [(w.start, w.days, w.completed, w.average_rating, w.actions_done) for w in weeks] == [
        (date(2026, 6, 15), 1, 1, Decimal("7.0"), 0),
        (date(2026, 6, 8), 7, 1, Decimal("6.5"), 1),
        (date(2026, 6, 1), 4, 2, Decimal("7.0"), 0),
    ]


# -- the score over day numbers, continued from a kept value (services.summary) ---------------

from chris_app.domain.stats import score_steps  # noqa: E402


@given(st.sets(st.integers(0, 500), max_size=300), st.integers(0, 500), st.integers(0, 500), st.integers(0, 520))
def test_score_steps_are_the_score_series_floats_also_continued_from_any_day(done, first_offset, split, end_offset):
    """Bit for bit (==, not approximately): the device continues the EMA from a value it kept."""
    first = D - timedelta(days=first_offset)
    end = first + timedelta(days=end_offset)
    completed = {D - timedelta(days=o) for o in done}
    series = score_series(completed, first, end)
    ordinals = {d.toordinal() for d in completed}
    assert score_steps(ordinals, first.toordinal(), end.toordinal()) == [v for _, v in series]
    if split < len(series):  # continued after day `split`, from the value the series had there
        kept_day, kept = series[split]
        continued = score_steps(ordinals, kept_day.toordinal() + 1, end.toordinal(), kept)
        assert continued == [v for _, v in series[split + 1:]]


def weekly_summary_as_written_first(days, first_day, today, weeks=8, actions_done=None):
    """weekly_summary before it counted in one pass (the reference it must keep equal)."""
    from chris_app.domain.stats import Week, _round

    by_date = {d.date: d for d in days}
    actions_done = actions_done or set()
    monday = today - timedelta(days=today.weekday())
    summary = []
    for w in range(weeks):
        start = monday - timedelta(days=7 * w)
        span = [start + timedelta(days=i) for i in range(7)]
        span = [d for d in span if first_day <= d <= today]
        if not span:
            break
        ratings = [by_date[d].rating for d in span if d in by_date and by_date[d].rating is not None]
        summary.append(Week(
            start=start,
            days=len(span),
            completed=sum(1 for d in span if d in by_date and by_date[d].completed),
            average_rating=_round(Decimal(sum(ratings)) / len(ratings), 1) if ratings else None,
            actions_done=sum(1 for d in span if d in actions_done),
        ))
    return summary


@given(st.lists(st.tuples(st.integers(-10, 90), st.booleans(), st.one_of(st.none(), st.integers(1, 10))), max_size=80),
       st.sets(st.integers(-10, 90), max_size=40), st.integers(-20, 100), st.integers(0, 6), st.integers(0, 10))
def test_weekly_summary_counts_as_it_was_first_written(days, actions, joined_ago, weekday_shift, weeks):
    today = D + timedelta(days=weekday_shift)  # any weekday
    records = [DayRecord(today - timedelta(days=o), done, r) for o, done, r in days]  # repeats: the last counts
    done_actions = {today - timedelta(days=o) for o in actions}
    first = today - timedelta(days=joined_ago)
    assert weekly_summary(records, first, today, weeks, done_actions) == \
        weekly_summary_as_written_first(records, first, today, weeks, done_actions)
