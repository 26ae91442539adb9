"""A newcomer lives several days in the app (the app's clock moved between restarts, as a member
opens it each morning) and the figures follow docs/rules.md."""

import pytest

from tests.browser.conftest import DESKTOP, label_of, nav, screenshot, type_into, wait_for_text
from tests.conftest import wav_bytes

pytestmark = pytest.mark.browser


def morning(page, reading):
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Attach a file").click()
    chooser.value.set_files(reading)
    wait_for_text(page, "Reading saved (21 s)")
    page.get_by_role("button", name="Next: your board").click()  # an empty board never holds it up
    page.get_by_role("button", name="Next: your action").click()
    page.get_by_role("button", name="Choose:").first.click()
    wait_for_text(page, "Morning done")


def evening(page, rating: int, win: str):
    nav(page, "Evening").click()
    page.get_by_role("radio", name="Yes, I did it").click()
    page.get_by_role("button", name=f"Rating {rating}").click()
    type_into(page, "Biggest win", win)
    page.get_by_role("button", name="Save evening review").click()
    wait_for_text(page, "Day complete")


def figures(page) -> str:
    nav(page, "Today").click()
    wait_for_text(page, "Your discipline")
    return " ".join(label_of(page, f"stat-{k}") for k in
                    ("current-streak", "longest-streak", "completion-rate", "average-rating", "score"))


def test_a_week_with_a_missed_day_gives_the_exact_figures(app_process, open_app, tmp_path):
    reading = tmp_path / "reading.wav"
    reading.write_bytes(wav_bytes(21))
    # Monday 8 June 2026 in Berlin (CEST): the member joins at 06:10.
    days = {1: "2026-06-08T06:10:00+02:00", 2: "2026-06-09T06:05:00+02:00", 4: "2026-06-11T05:50:00+02:00",
            5: "2026-06-12T06:00:00+02:00", 6: "2026-06-13T07:30:00+02:00", 7: "2026-06-14T06:45:00+02:00"}

    page = open_app("/morning", viewport=DESKTOP, base_url=app_process.start(now=days[1]))
    morning(page, reading)
    evening(page, 8, "Joined and did it")
    assert "Current streak: 1" in figures(page)

    page = open_app("/morning", viewport=DESKTOP, base_url=app_process.start(now=days[2]))
    morning(page, reading)
    evening(page, 6, "Second day")
    text = figures(page)
    assert "Current streak: 2" in text and "Completion rate: 100%" in text

    # Day 3 (10 June) is missed: the app is not opened at all.
    page = open_app("/", viewport=DESKTOP, base_url=app_process.start(now=days[4]))
    text = figures(page)
    # Today not done yet: the streak still counts to yesterday, and yesterday was missed.
    assert "Current streak: 0" in text and "Longest streak: 2" in text
    assert "Completion rate: 66.7%" in text  # 2 of the 3 finished days
    nav(page, "Morning").click()
    morning(page, reading)
    text = figures(page)
    assert "Current streak: 1" in text and "Longest streak: 2" in text
    assert "Completion rate: 75%" in text  # 3 of 4 days, today included now it is done
    assert "Average rating: 7.0" in text
    # Score by hand (m = 0.948078): 0.0519, 0.1012, 0.0959, 0.1429 → 14.3 %
    assert "Discipline score: 14.3%" in text

    nav(page, "Progress").click()
    assert "Week of 08 Jun: 3/4 mornings · average rating 7.0 · 2 actions done" in label_of(page, "week-2026-06-08")

    # Days 5 to 7: full days again (day 4's evening was skipped).
    for number, rating in ((5, 9), (6, 7), (7, 10)):
        page = open_app("/morning", viewport=DESKTOP, base_url=app_process.start(now=days[number]))
        morning(page, reading)
        evening(page, rating, f"Day {number} done")
    text = figures(page)
    assert "Current streak: 4" in text and "Longest streak: 4" in text
    assert "Completion rate: 85.7%" in text  # 6 of 7
    assert "Average rating: 8.0" in text  # (8 + 6 + 9 + 7 + 10) / 5
    # 1,1,0,1,1,1,1 through the moving average (m = 0.5^(1/13)) → 0.2695
    assert "Discipline score: 27%" in text
    nav(page, "Progress").click()
    assert "Week of 08 Jun: 6/7 mornings · average rating 8.0 · 5 actions done" in label_of(page, "week-2026-06-08")
    page.wait_for_timeout(1000)  # let the page transition finish before the picture
    screenshot(page, "progress-after-a-week")
