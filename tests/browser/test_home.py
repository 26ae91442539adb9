"""Home in real Chromium: the streak as the hero, the week strip, one button to the next step,
the figures with "—" until they exist and at most one decimal, each state announced."""

from datetime import datetime, timezone

import io
import time

import pytest
from PIL import Image

from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE, has_text, label_of, nav, type_into, wait_for_text
from tests.browser.seed import seed

pytestmark = pytest.mark.browser

FIRST_MORNING = datetime(2026, 6, 1, 4, 0, tzinfo=timezone.utc)  # Monday 1 June 2026, 06:00 in Berlin
DAY_TEN = "2026-06-10T07:00:00+02:00"  # Wednesday 10 June, before the reading
# Days 1–9 recorded except day 4, each evening rated: streak 5 (days 5–9), longest 5, 8 of 9
# days in the window, ratings 61 / 8.
TEN_DAYS = {1: 7, 2: 8, 3: 6, 5: 9, 6: 7, 7: 8, 8: 9, 9: 7}


def looks_blank(frame: bytes) -> bool:
    """Flet's "Working..." overlay (a slow server round trip on a loaded machine) is one flat
    colour but for a small spinner and its word; a screen of the app never is."""
    image = Image.open(io.BytesIO(frame)).convert("RGB")
    most = max(image.getcolors(maxcolors=1 << 24))[0]
    return most > 0.95 * image.width * image.height


def picture(page, name: str) -> None:
    """A screenshot once the screen has settled: two equal frames, not the loading overlay (the
    page can still be painting its first frame, or turning dark, when its text is there)."""
    deadline, previous = time.monotonic() + 30, b""
    while True:
        frame = page.screenshot()
        if frame == previous and not looks_blank(frame):
            break
        assert time.monotonic() < deadline, f"{name}: the screen never settled"
        previous = frame
        time.sleep(0.5)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"{name}.png").write_bytes(frame)


def figures(page) -> dict[str, str]:
    return {k: label_of(page, f"stat-{k}") for k in
            ("current-streak", "longest-streak", "completion-rate", "average-rating", "score", "total-days")}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_first_day_shows_a_streak_of_zero_dashes_for_missing_figures_and_one_button_to_the_reading(
        app_process, open_app, viewport, theme):
    seed(app_process.data_dir, datetime(2026, 6, 10, 4, 0, tzinfo=timezone.utc), {}, theme=theme)
    page = open_app("/", viewport=viewport, base_url=app_process.start(now="2026-06-10T06:00:00+02:00"))
    wait_for_text(page, "Your discipline")
    shown = figures(page)
    assert "Current streak: 0 days" in shown["current-streak"]
    assert "Longest streak: 0." in shown["longest-streak"] and "Days completed: 0." in shown["total-days"]
    # No day has ended or been recorded: no rate, no score, no rating yet; never "0.0".
    for key, name in (("completion-rate", "Completion rate"), ("average-rating", "Average rating"),
                      ("score", "Discipline score")):
        assert f"{name}: none yet." in shown[key], shown[key]
    assert not has_text(page, "0.0")
    assert "Wednesday 10 June, today: morning not done, evening not done" in label_of(page, "week-strip")
    today = label_of(page, "today-state")
    assert "Morning reading recorded: not done yet" in today and "Evening review saved: not done yet" in today
    assert "Vision board viewed: not needed, the board is empty" in today  # never an open task
    picture(page, f"home-first-day-{theme}-{'phone' if viewport is PHONE else 'desktop'}")

    page.get_by_role("button", name="Start the morning protocol: read aloud").click()
    wait_for_text(page, "Read aloud")
    assert page.url.endswith("/morning")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_after_ten_days_home_shows_the_exact_figures_with_at_most_one_decimal(app_process, open_app, viewport,
                                                                              theme):
    seed(app_process.data_dir, FIRST_MORNING, TEN_DAYS, theme=theme)
    page = open_app("/", viewport=viewport, base_url=app_process.start(now=DAY_TEN))
    wait_for_text(page, "Your discipline")
    shown = figures(page)
    # Today is not recorded yet: the streak still runs to yesterday (days 5–9).
    assert "Current streak: 5 days" in shown["current-streak"]
    assert "Longest streak: 5." in shown["longest-streak"]
    assert "Completion rate: 88.9%." in shown["completion-rate"]  # 8 of 9 days, 88.89 on the record
    assert "Average rating: 7.6." in shown["average-rating"]  # 61 / 8 = 7.625
    assert "Discipline score: 34.1%." in shown["score"]
    assert "Days completed: 8." in shown["total-days"]
    assert not has_text(page, "88.89")
    strip = label_of(page, "week-strip")
    assert "Thursday 4 June: morning not done, evening not done" in strip  # the missed day
    assert "Tuesday 9 June: morning done, evening done" in strip
    assert "Wednesday 10 June, today: morning not done, evening not done" in strip
    assert "Wednesday 3 June" not in strip  # seven days, no more
    picture(page, f"home-ten-days-{theme}-{'phone' if viewport is PHONE else 'desktop'}")


def test_the_one_button_follows_the_day_to_the_action_the_evening_and_then_progress(app_process, open_app):
    # Day 10's reading recorded, no board (nothing to view), no action yet.
    seed(app_process.data_dir, FIRST_MORNING, {**TEN_DAYS, 10: None})
    page = open_app("/", base_url=app_process.start(now="2026-06-10T20:00:00+02:00"))
    wait_for_text(page, "Your discipline")
    assert page.get_by_role("button", name="Next: choose today's violent action").count() == 1
    assert "Current streak: 6 days" in label_of(page, "stat-current-streak")
    assert "Morning reading recorded: done" in label_of(page, "today-state")
    assert "Wednesday 10 June, today: morning done, evening not done" in label_of(page, "week-strip")

    seed(app_process.data_dir, FIRST_MORNING, {}, action_on=10)  # the action set: the morning is finished
    page = open_app("/", base_url=app_process.start(now="2026-06-10T20:05:00+02:00"))
    page.get_by_role("button", name="Do the evening review").click()
    page.get_by_role("button", name="Rating 9").click()
    page.get_by_role("radio", name="Yes, I did it").click()
    type_into(page, "Biggest win", "Made the call")
    page.get_by_role("button", name="Save evening review").click()
    wait_for_text(page, "Day complete")
    nav(page, "Today").click()
    page.get_by_role("button", name="Day complete — see your progress").wait_for()
    assert "Wednesday 10 June, today: morning done, evening done" in label_of(page, "week-strip")
    assert "Evening review saved: done" in label_of(page, "today-state")
