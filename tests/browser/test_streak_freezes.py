"""Streak freezes in real Chromium (docs/rules.md#streak-freezes): a member whose missed day was
bridged sees the streak kept, the freezes still held with their one line on Home, and the frozen
day in its own colour on /progress's heatmap, at phone and desktop size, light and dark."""

from datetime import datetime, timezone

import pytest

from tests.browser.conftest import PHONE, DESKTOP, label_of, nav, wait_for_text
from tests.browser.seed import seed
from tests.browser.test_home import picture

pytestmark = pytest.mark.browser

FIRST_MORNING = datetime(2026, 6, 1, 4, 0, tzinfo=timezone.utc)  # Monday 1 June 2026, 06:00 in Berlin
# Days 1–14 recorded (two freezes earned), day 15 missed (one spent), day 16 recorded; on day 17
# before the reading the streak runs through day 16: 15 days, one freeze left.
HISTORY = {**{n: 7 for n in range(1, 15)}, 16: 8}
DAY_17 = "2026-06-17T07:00:00+02:00"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_bridged_missed_day_keeps_the_streak_and_shows_as_frozen(app_process, open_app, viewport, theme):
    seed(app_process.data_dir, FIRST_MORNING, HISTORY, theme=theme)
    page = open_app("/", viewport=viewport, base_url=app_process.start(now=DAY_17))
    wait_for_text(page, "Your discipline")
    size = "phone" if viewport is PHONE else "desktop"
    assert "Current streak: 15 days" in label_of(page, "stat-current-streak")
    freezes = label_of(page, "streak-freezes")
    assert "1 streak freeze: a missed day won't break your streak" in freezes
    assert "Days completed: 15." in label_of(page, "stat-total-days")  # the frozen day is not one
    picture(page, f"home-streak-freeze-{theme}-{size}")

    nav(page, "Progress").click()
    wait_for_text(page, "Frozen (streak freeze)")
    assert "15 completed days, 1 frozen day" in label_of(page, "heatmap")
    assert "Frozen (streak freeze)" in label_of(page, "heatmap-legend")
    assert "15" in label_of(page, "progress-current-streak")
    picture(page, f"progress-streak-freeze-{theme}-{size}")
