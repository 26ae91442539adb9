"""The first-run introduction: a fresh guest sees it once; every screen can be skipped;
finishing lands on Today with the reminder times saved; Settings can replay it."""

import pytest

from chris_app.services.profile import get_profile
from chris_app.store import open_store

from tests.browser.conftest import DESKTOP, PHONE, type_into, wait_for_text

pytestmark = pytest.mark.browser

FIRST, SECOND, THIRD = "Welcome to your daily discipline", "Your affirmations", "When should we remind you?"
TODAY = "Your discipline"  # a heading only Today has
SCREENS = [FIRST, SECOND, THIRD]


def test_a_fresh_guest_is_introduced_once_and_lands_on_today_with_the_times_saved(app_process, open_app):
    url = app_process.start(introduced=False)
    page = open_app("/", viewport=PHONE, base_url=url)
    wait_for_text(page, FIRST, timeout=30)
    wait_for_text(page, "Step 1 of 3")
    wait_for_text(page, "One bold move outside your comfort zone")  # what a violent action is
    page.get_by_role("button", name="Next").click()
    wait_for_text(page, "Step 2 of 3")
    wait_for_text(page, "Each morning you read these out loud")
    page.get_by_role("button", name="Keep these and go on").click()
    wait_for_text(page, THIRD)
    type_into(page, "Morning protocol time", "06:15")
    page.get_by_role("button", name="Start my first day").click()
    wait_for_text(page, TODAY)
    assert page.url.rstrip("/") == url

    # Restarted (the same device): straight to Today.
    port = int(url.rsplit(":", 1)[1])
    url = app_process.start(introduced=False, port=port)
    page = open_app("/", viewport=PHONE, base_url=url)
    wait_for_text(page, TODAY, timeout=30)
    assert not page.get_by_text(FIRST).count()
    store = open_store(app_process.data_dir / "chris.sqlite3")
    try:
        assert get_profile(store).morning_time == "06:15"  # the time chosen in the introduction
    finally:
        store.close()


def test_each_introduction_screen_can_be_skipped_and_settings_replays_it(app_process, open_app):
    url = app_process.start(introduced=False)
    page = open_app("/", viewport=DESKTOP, base_url=url)
    wait_for_text(page, FIRST, timeout=30)
    for shown in range(len(SCREENS)):
        for screen in SCREENS[:shown]:  # walk forward to the screen to skip from
            wait_for_text(page, screen)
            page.get_by_role("button", name="Next" if screen == FIRST else "Keep these and go on").click()
        wait_for_text(page, SCREENS[shown])
        page.get_by_role("button", name="Skip").click()
        wait_for_text(page, TODAY)
        page.get_by_role("button", name="Settings").click()
        page.get_by_role("button", name="Replay the introduction").click()
        wait_for_text(page, FIRST)


def test_writing_your_own_affirmations_opens_the_editor_and_ends_the_introduction(app_process, open_app):
    url = app_process.start(introduced=False)
    page = open_app("/", viewport=PHONE, base_url=url)
    wait_for_text(page, FIRST, timeout=30)
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Write my own").click()
    wait_for_text(page, "History")  # the affirmations editor
    url = app_process.start(introduced=False, port=int(url.rsplit(":", 1)[1]))
    page = open_app("/", viewport=PHONE, base_url=url)
    wait_for_text(page, TODAY, timeout=30)


def test_a_link_to_another_screen_is_obeyed_on_a_fresh_install(app_process, open_app):
    """A reminder's tap opening /evening on a new phone shows the evening, not the introduction."""
    url = app_process.start(introduced=False)
    page = open_app("/evening", viewport=PHONE, base_url=url)
    wait_for_text(page, "Discipline rating", timeout=30)
    assert "welcome" not in page.url
