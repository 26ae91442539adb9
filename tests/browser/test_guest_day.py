"""A new guest does a whole protocol day through the real UI in headless Chromium."""

import re

import pytest

from tests.browser.conftest import DESKTOP, label_of, screenshot, type_into, wait_for_text
from tests.conftest import wav_bytes

pytestmark = pytest.mark.browser


def test_a_guest_completes_the_morning_and_the_evening_and_home_shows_a_streak_of_one(open_app, tmp_path):
    reading = tmp_path / "reading.wav"
    reading.write_bytes(wav_bytes(22))

    page = open_app("/morning")  # deep link straight into the protocol
    wait_for_text(page, "Read aloud (version 1)")
    wait_for_text(page, "I keep the promises I make to myself.")
    attach = page.get_by_role("button", name="Attach a file")
    with page.expect_file_chooser() as chooser:
        attach.click()
    chooser.value.set_files(reading)
    wait_for_text(page, "Reading saved (22 s)")

    page.get_by_role("button", name="I looked at my vision board").click()
    page.get_by_role("button", name="Viewed ✓").wait_for()
    page.get_by_role("button", name="Choose").first.click()
    wait_for_text(page, "Morning done — back to today")
    screenshot(page, "guest-day-morning")

    page.get_by_role("tab", name="Evening").click()  # bottom navigation
    wait_for_text(page, "Did you do today's action?")
    page.get_by_role("radio", name="Yes, I did it").click()
    page.get_by_role("button", name="Rating 8").click()
    type_into(page, "Biggest win", "Called the client I was avoiding")
    page.get_by_role("button", name="Save evening review").click()
    wait_for_text(page, "Saved ✓")

    page.get_by_role("tab", name="Today").click()
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


def test_the_evening_review_refuses_an_empty_form_field_by_field(open_app):
    page = open_app("/evening", viewport=DESKTOP)
    page.get_by_role("button", name="Save evening review").click()
    wait_for_text(page, "Say whether you did today's action.")
    wait_for_text(page, "Choose a discipline rating from 1 to 10.")
    wait_for_text(page, "Write your biggest win of the day")
    screenshot(page, "evening-validation")
