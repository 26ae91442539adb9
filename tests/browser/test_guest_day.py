"""A new guest does a whole protocol day through the real UI in headless Chromium."""

import re

import pytest

from tests.browser.conftest import DESKTOP, has_text, label_of, nav, screenshot, type_into, wait_for_text
from tests.conftest import wav_bytes

pytestmark = pytest.mark.browser


def test_a_guest_completes_the_morning_and_the_evening_and_home_shows_a_streak_of_one(open_app, tmp_path):
    reading = tmp_path / "reading.wav"
    reading.write_bytes(wav_bytes(22))

    page = open_app("/morning")  # deep link straight into the protocol
    wait_for_text(page, "Step 1 of 4: Read & record")
    wait_for_text(page, "Read aloud (version 1)")
    wait_for_text(page, "I keep the promises I make to myself.")
    attach = page.get_by_role("button", name="Attach a file")
    with page.expect_file_chooser() as chooser:
        attach.click()
    chooser.value.set_files(reading)
    wait_for_text(page, "Reading saved (22 s)")
    wait_for_text(page, "Duration 0:22, speaking time 0:22")  # a steady tone: all of it counts as voice
    screenshot(page, "guest-day-recorded")

    page.get_by_role("button", name="Next: your board").click()
    wait_for_text(page, "Step 2 of 4: Board")
    wait_for_text(page, "Your board is empty")  # a new guest has no images: an invitation, not a wall
    page.get_by_role("button", name="Add images to your board").wait_for()
    page.get_by_role("button", name="Next: your action").click()
    wait_for_text(page, "Step 3 of 4: Action")
    page.get_by_role("button", name="Choose:").first.wait_for()
    assert page.get_by_role("button", name="Choose:").count() == 3
    page.get_by_role("button", name="Choose:").first.click()
    wait_for_text(page, "Step 4 of 4: Done")
    wait_for_text(page, "Morning done")
    wait_for_text(page, "Current streak: 1 day")
    screenshot(page, "guest-day-morning")

    nav(page, "Evening").click()  # bottom navigation
    wait_for_text(page, "Did you do today's action?")
    page.get_by_role("radio", name="Yes, I did it").click()
    page.get_by_role("button", name="Rating 8").click()
    type_into(page, "Biggest win", "Called the client I was avoiding")
    page.get_by_role("button", name="Save evening review").click()
    wait_for_text(page, "Day complete")

    nav(page, "Today").click()
    assert re.search(r"Current streak: 1\b", label_of(page, "stat-current-streak"))
    assert re.search(r"Longest streak: 1\b", label_of(page, "stat-longest-streak"))
    assert "Completion rate: 100%" in label_of(page, "stat-completion-rate")
    assert "Average rating: 8.0" in label_of(page, "stat-average-rating")
    assert "Discipline score: 5.2%" in label_of(page, "stat-score")
    assert "Evening review saved: done" in label_of(page, "today-state")
    screenshot(page, "guest-day-home")


def test_a_too_short_recording_is_refused_with_a_message_and_the_morning_stays_open(open_app, tmp_path):
    short = tmp_path / "short.wav"
    short.write_bytes(wav_bytes(4))
    page = open_app("/morning")
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Attach a file").click()
    chooser.value.set_files(short)
    wait_for_text(page, "read your affirmations for at least 20 seconds")
    assert "Not recorded yet" in label_of(page, "recording")
    assert "Step 1 of 4: Read & record" in label_of(page, "morning-step")  # still the first step
    page.get_by_role("button", name="Start recording").wait_for()


def test_the_evening_review_refuses_an_empty_form_field_by_field(open_app):
    """A day without an action: the evening does not ask about one, and says what is missing
    (the rating; the biggest win is optional)."""
    page = open_app("/evening", viewport=DESKTOP)
    page.get_by_role("button", name="Save evening review").click()
    wait_for_text(page, "Choose a discipline rating from 1 to 10.")
    assert not has_text(page, "Did you do today's action?")
    assert not has_text(page, "Say whether you did today's action.")
    screenshot(page, "evening-validation")
