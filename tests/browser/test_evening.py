"""The evening in real Chromium: the action question only on a day with an action, a refused
save that keeps what the member typed, the "day complete" moment, and the tap budget."""

import sqlite3
import time
from datetime import datetime, timezone

import pytest

from tests.browser.conftest import DESKTOP, PHONE, has_text, label_of, poll, type_into, wait_for_text
from tests.browser.seed import ACTION, seed
from tests.browser.test_home import picture

pytestmark = pytest.mark.browser

MORNING = datetime(2026, 6, 10, 4, 0, tzinfo=timezone.utc)  # Wednesday 10 June 2026, 06:00 in Berlin
EVENING = "2026-06-10T21:30:00+02:00"
EVENING_BUDGET = 4  # taps, typing aside (the product's budget on a 390×844 phone)


def saved_evening(app_process) -> tuple | None:
    with sqlite3.connect(app_process.data_dir / "chris.sqlite3") as db:
        return db.execute("select evening_completed, action_completed, discipline_rating, biggest_win"
                          " from daily_sessions where date = '2026-06-10'").fetchone()


def field_text(page) -> str:
    """The text the biggest-win field holds, read after focusing it: only then does Flutter
    hand its own text to the browser's editing element (before, that element can keep a value
    the field on screen no longer shows)."""
    focused = ("() => document.activeElement?.tagName === 'TEXTAREA'"
               " && document.activeElement.getAttribute('aria-label').includes('Biggest win')")
    page.get_by_role("textbox", name="Biggest win").click()
    poll(page, focused, "focus on the biggest win")
    page.wait_for_timeout(300)
    return page.evaluate("() => document.activeElement.value")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_refused_save_keeps_what_was_typed_and_what_is_saved_is_what_is_shown(app_process, open_app, viewport):
    seed(app_process.data_dir, MORNING, {1: None}, action_on=1)
    page = open_app("/evening", viewport=viewport, base_url=app_process.start(now=EVENING))
    wait_for_text(page, ACTION)
    page.get_by_role("radio", name="Yes, I did it").click()
    type_into(page, "Biggest win", "Called the client at nine")
    page.get_by_role("button", name="Save evening review").click()  # no rating chosen
    wait_for_text(page, "Choose a discipline rating from 1 to 10.")
    page.wait_for_timeout(500)  # time for a wrong update (the bug: the field emptied) to arrive
    assert field_text(page) == "Called the client at nine", "the refused save emptied the biggest win"
    assert saved_evening(app_process)[0] == 0  # nothing saved

    page.get_by_role("button", name="Rating 8").click()
    page.get_by_role("button", name="Save evening review").click()
    wait_for_text(page, "Day complete")
    assert saved_evening(app_process) == (1, 1, 8, "Called the client at nine")
    assert "Biggest win: Called the client at nine" in label_of(page, "day-complete")

    page = open_app("/evening", viewport=viewport, base_url=app_process.url)  # opened again later
    assert "Biggest win: Called the client at nine" in label_of(page, "day-complete")
    page.get_by_role("button", name="Edit my review").click()
    assert field_text(page) == "Called the client at nine"


def test_a_win_cleared_after_a_refusal_is_saved_cleared_not_from_memory(app_process, open_app):
    seed(app_process.data_dir, MORNING, {1: None}, action_on=1)
    page = open_app("/evening", base_url=app_process.start(now=EVENING))
    wait_for_text(page, ACTION)
    page.get_by_role("radio", name="No, not today").click()
    type_into(page, "Biggest win", "Went to bed on time")
    page.get_by_role("button", name="Save evening review").click()
    wait_for_text(page, "Choose a discipline rating from 1 to 10.")
    type_into(page, "Biggest win", "")  # the win is optional: the member takes it back
    page.get_by_role("button", name="Rating 5").click()
    page.get_by_role("button", name="Save evening review").click()
    wait_for_text(page, "Day complete")
    assert saved_evening(app_process) == (1, 0, 5, None)
    assert "Biggest win" not in label_of(page, "day-complete")


def test_a_day_without_an_action_does_not_ask_about_one(app_process, open_app):
    seed(app_process.data_dir, MORNING, {1: None})  # reading recorded, no action set
    page = open_app("/evening", base_url=app_process.start(now=EVENING))
    wait_for_text(page, "Discipline rating")
    assert not has_text(page, "Did you do today's action?")
    assert page.get_by_role("radio").count() == 0
    page.get_by_role("button", name="Rating 6").click()
    type_into(page, "Biggest win", "Read for twenty minutes")
    page.get_by_role("button", name="Save evening review").click()
    wait_for_text(page, "Day complete")
    assert saved_evening(app_process) == (1, None, 6, "Read for twenty minutes")  # no answer kept
    assert "Action" not in label_of(page, "day-complete")


def test_the_day_complete_moment_shows_the_week_with_todays_evening_and_plays_its_chime(app_process, open_app):
    seed(app_process.data_dir, MORNING, {1: None}, action_on=1)
    page = open_app("/evening", base_url=app_process.start(now=EVENING))
    sounds = []
    page.on("request", lambda r: sounds.append(r.url) if r.url.endswith(".ogg") else None)
    wait_for_text(page, ACTION)
    page.get_by_role("radio", name="Yes, I did it").click()
    page.get_by_role("button", name="Rating 9").click()
    type_into(page, "Biggest win", "Closed the deal")
    page.get_by_role("button", name="Save evening review").click()
    wait_for_text(page, "Day complete")
    moment = label_of(page, "day-complete")
    assert "Wednesday 10 June, today: morning done, evening done" in moment
    assert "Current streak: 1 day" in moment and "Discipline 9/10" in moment
    assert f"Action done: {ACTION}" in moment and "See you tomorrow morning at" in moment
    deadline = time.monotonic() + 10
    while not any(u.endswith("/sounds/day-complete.ogg") for u in sounds):
        assert time.monotonic() < deadline, f"the day-complete chime was never fetched: {sounds}"
        time.sleep(0.2)

    # Editable until the day ends: the form comes back with what was saved.
    page.get_by_role("button", name="Edit my review").click()
    page.get_by_role("button", name="Rating 7").click()
    page.get_by_role("button", name="Save evening review").click()
    wait_for_text(page, "Discipline 7/10")
    assert saved_evening(app_process) == (1, 1, 7, "Closed the deal")


def test_with_sound_off_the_moment_is_silent(app_process, open_app):
    seed(app_process.data_dir, MORNING, {1: None})
    from chris_app.services.profile import update_settings
    from chris_app.store import open_store
    store = open_store(app_process.data_dir / "chris.sqlite3")
    update_settings(store, MORNING, sound_enabled=False)
    store.close()
    page = open_app("/evening", base_url=app_process.start(now=EVENING))
    sounds = []
    page.on("request", lambda r: sounds.append(r.url) if r.url.endswith(".ogg") else None)
    page.get_by_role("button", name="Rating 6").click()
    type_into(page, "Biggest win", "Quiet evening")
    page.get_by_role("button", name="Save evening review").click()
    wait_for_text(page, "Day complete")
    page.wait_for_timeout(2000)  # a chime would be fetched within this
    assert sounds == []


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_returning_member_finishes_the_evening_in_four_taps_without_scrolling(app_process, open_app, viewport,
                                                                                  theme):
    seed(app_process.data_dir, MORNING, {1: None}, action_on=1, theme=theme)
    page = open_app("/evening", viewport=viewport, base_url=app_process.start(now=EVENING))
    wait_for_text(page, ACTION)
    size = "phone" if viewport is PHONE else "desktop"
    picture(page, f"evening-before-{theme}-{size}")
    taps = []
    tabs = page.get_by_role("tablist")  # the phone's bottom navigation covers the screen's end
    bottom = tabs.bounding_box()["y"] if tabs.count() else viewport["height"]

    def tap(role: str, name: str):
        target = page.get_by_role(role, name=name)
        box = target.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= bottom, \
            f"{name!r} is not on screen without scrolling (visible down to {bottom}): {box}"
        target.click()
        taps.append(name)

    tap("radio", "Yes, I did it")
    tap("button", "Rating 8")
    tap("textbox", "Biggest win")
    type_into(page, "Biggest win", "Did the hard call first")  # typing (it re-focuses the field)
    tap("button", "Save evening review")
    wait_for_text(page, "Day complete")
    assert len(taps) <= EVENING_BUDGET, taps
    page.wait_for_timeout(1000)  # the streak's grow-in animation
    picture(page, f"evening-after-{theme}-{size}")
