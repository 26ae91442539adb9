"""What Home shows for each figure: at most one decimal, and "—" for a figure that does not
exist yet (no rate or score before the first finished or recorded day, no average before the
first rating)."""

from decimal import Decimal

import pytest

from chris_app.domain.stats import Stats
from chris_app.views.home import NOT_YET, figure_rows, percent


@pytest.mark.parametrize("value, shown", [
    ("100.00", "100%"), ("66.67", "66.7%"), ("75.00", "75%"), ("85.71", "85.7%"), ("0.00", "0%"),
    ("5.25", "5.3%"), ("99.96", "100%"), ("14.3", "14.3%"), ("27.0", "27%"),
])
def test_percentages_show_at_most_one_decimal(value, shown):
    assert percent(Decimal(value)) == shown


def shown(st: Stats, has_window: bool) -> dict[str, str]:
    return {identifier: value for identifier, _, value, _ in figure_rows(st, has_window)}


def test_a_first_day_before_the_reading_has_no_rate_score_or_rating_yet():
    assert shown(Stats.empty(), has_window=False) == {
        "stat-longest-streak": "0", "stat-completion-rate": NOT_YET, "stat-average-rating": NOT_YET,
        "stat-score": NOT_YET, "stat-total-days": "0"}


def test_a_recorded_morning_without_an_evening_has_a_rate_and_score_but_no_average():
    st = Stats(1, 1, 1, Decimal("100.00"), Decimal("0.0"), Decimal("5.2"))
    assert shown(st, has_window=True) == {
        "stat-longest-streak": "1", "stat-completion-rate": "100%", "stat-average-rating": NOT_YET,
        "stat-score": "5.2%", "stat-total-days": "1"}


def test_a_missed_first_day_gives_a_real_zero_rate_not_a_dash():
    st = Stats(0, 0, 0, Decimal("0.00"), Decimal("0.0"), Decimal("0.0"))
    assert shown(st, has_window=True)["stat-completion-rate"] == "0%"


def test_every_figure_has_a_one_line_explanation():
    for has_window in (False, True):
        for _, label, _, explanation in figure_rows(Stats.empty(), has_window):
            assert explanation and "\n" not in explanation and len(explanation) <= 70, (label, explanation)
