"""The morning as a guided ritual of steps (Read & record → Board → Action → Done), driven
through the real UI in headless Chromium, with the fake microphone playing speech where a
reading is recorded."""

from __future__ import annotations

import io
import sqlite3
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from chris_app.services import day, recordings, vision_board
from chris_app.services.profile import ensure_profile, update_settings
from chris_app.store import open_store
from tests.audio.conftest import synthesize_speech
from tests.browser.conftest import (CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, has_text, label_of, nav, screenshot,
                                    wait_for_text)
from tests.conftest import wav_bytes

pytestmark = pytest.mark.browser

# Wednesday 10 June 2026, 06:15 in Berlin; the member joined on Monday and did Tuesday.
TODAY = "2026-06-10T06:15:00+02:00"
JOINED = datetime.fromisoformat("2026-06-08T06:10:00+02:00")
CAPTIONS = ["Cabin by the lake", "Run the marathon", "Family dinners", "Own the company",
            "Read every night", "Strong at sixty", "Travel light", "Quiet mornings"]
COLOURS = ["#2E5E4E", "#B5562B", "#3B4C8A", "#8A3B6E", "#C9A227", "#2B7A99", "#6B4E9B", "#4F7D2E"]


def image(i: int) -> bytes:
    """A landscape picture with a sky, a sun and hills: something to look at, not a flat square."""
    picture = Image.new("RGB", (480, 360), COLOURS[i])
    draw = ImageDraw.Draw(picture)
    draw.ellipse((300 - 20 * i % 200, 40, 380 - 20 * i % 200, 120), fill="#F4E3B2")
    draw.polygon([(0, 360), (0, 240), (160, 180), (320, 250), (480, 200), (480, 360)], fill="#1E2B24")
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def seed_returning_member(data_dir: Path, *, tiles: int = 8, theme: str | None = None,
                          read_today: bool = False) -> None:
    """A member who joined on Monday, did Tuesday completely, and has a board; with
    `read_today`, today's reading is recorded already."""
    data_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(data_dir / "chris.sqlite3")
    try:
        ensure_profile(store, JOINED, "Europe/Berlin")
        if theme:
            update_settings(store, JOINED, theme=theme)
        for position in range(1, tiles + 1):
            vision_board.set_tile(store, JOINED, position, image(position - 1), CAPTIONS[position - 1])
        tuesday = JOINED + timedelta(days=1)
        recordings.import_audio_file(store, tuesday, "reading.wav", wav_bytes(21))
        day.mark_vision_board_viewed(store, tuesday)
        day.set_action(store, tuesday, "Call the client I was avoiding")
        day.save_evening(store, tuesday + timedelta(hours=14), action_completed=True, discipline_rating=8,
                         biggest_win="Called them")
        if read_today:
            recordings.import_audio_file(store, datetime.fromisoformat(TODAY), "reading.wav", wav_bytes(21))
    finally:
        store.close()


def todays_row(data_dir: Path) -> dict:
    with sqlite3.connect(data_dir / "chris.sqlite3") as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("select * from daily_sessions where date = '2026-06-10'").fetchone()
    return dict(row) if row else {}


@pytest.fixture(scope="module")
def mic_browser(playwright):
    speech = synthesize_speech(40)
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + [
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={speech}",
    ])
    yield browser
    browser.close()


def open_page(browser, url: str, viewport: dict, microphone: bool = False):
    context = browser.new_context(viewport=viewport, permissions=["microphone"] if microphone else [])
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
    page.eval_on_selector("flt-semantics-placeholder", "e => e.click()")
    page.wait_for_selector("flt-semantics-host flt-semantics", timeout=30_000)
    return page


def step_label(page) -> str:
    """What a screen reader announces for the step indicator (a live region)."""
    node = page.locator('[flt-semantics-identifier="morning-step"]')
    if not node.count():
        return ""
    return node.first.evaluate("e => (e.getAttribute('aria-label') || '') + ' ' + e.textContent")


def wait_for_step(page, label: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if label in step_label(page):
            return
        assert time.monotonic() < deadline, f"the morning did not reach {label!r} (shows {step_label(page)!r})"
        time.sleep(0.2)


def assert_in_view(page, locator, what: str) -> None:
    """The control is on screen without scrolling: its box lies inside the viewport and above
    the bottom navigation bar (which covers the content under it)."""
    locator.wait_for(timeout=20_000)
    box = locator.bounding_box()
    size = page.viewport_size
    bottom = size["height"]
    tabs = page.locator("flt-semantics-host [role=tablist]")
    if tabs.count():
        bar = tabs.first.bounding_box()
        if bar and bar["width"] > bar["height"]:  # a bar along the bottom, not a side rail
            bottom = min(bottom, bar["y"])
    assert box is not None, f"{what} has no box"
    assert box["y"] >= 0 and box["y"] + box["height"] <= bottom + 1, f"{what} is outside the view: {box}, bottom {bottom}"
    assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"], f"{what} is outside the view: {box}"


def picture(page, name: str) -> None:
    """A screenshot once the frame is painted: the accessibility tree can run a frame ahead of
    the canvas, and an animation (the streak growing in) needs its moment. Flet's "Working..."
    overlay (a slow server round trip on a loaded machine) is waited out."""
    deadline = time.monotonic() + 20
    while has_text(page, "Working...") and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)
    screenshot(page, name)


class Taps:
    """Every click the member makes, counted."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, locator) -> None:
        locator.click()
        self.count += 1


@pytest.mark.parametrize(("viewport", "theme"), [(PHONE, "light"), (DESKTOP, "dark")], ids=["phone-light", "desktop-dark"])
def test_a_returning_member_with_a_board_finishes_the_morning_in_five_taps(mic_browser, app_process, viewport,
                                                                            theme):
    name = f"{'phone' if viewport is PHONE else 'desktop'}-{theme}"
    data_dir = app_process.data_dir
    seed_returning_member(data_dir, theme=theme)
    base = app_process.start(now=TODAY)
    page = open_page(mic_browser, base + "/morning", viewport, microphone=True)
    tap = Taps()

    wait_for_step(page, "Step 1 of 4: Read & record")
    start = page.get_by_role("button", name="Start recording")
    assert_in_view(page, start, "Start recording")
    picture(page, f"morning-1-record-{name}")
    tap(start)

    wait_for_text(page, "Recording 0:0")
    prompter = page.locator('[flt-semantics-identifier="teleprompter"]')
    stop = page.get_by_role("button", name="Stop and save")
    assert_in_view(page, prompter, "the teleprompter")
    assert_in_view(page, stop, "Stop and save")
    assert_in_view(page, page.locator('[flt-semantics-identifier="recorder-status"]'), "elapsed time and level")
    assert "Affirmation 1 of" in label_of(page, "teleprompter")
    picture(page, f"morning-1-teleprompter-{name}")
    wait_for_text(page, "Minimum reached", timeout=40)
    # It moved on at the reading pace without a tap, and the bar is still in view.
    assert "Affirmation 1 of" not in label_of(page, "teleprompter")
    assert_in_view(page, stop, "Stop and save after 20 s")
    tap(stop)

    wait_for_text(page, "Reading saved (", timeout=60)
    wait_for_text(page, "speaking time", timeout=30)
    metrics = label_of(page, "reading-metrics")
    next_step = page.get_by_role("button", name="Next: your board")
    assert_in_view(page, next_step, "Next: your board")
    picture(page, f"morning-1-recorded-{name}")
    tap(next_step)

    wait_for_step(page, "Step 2 of 4: Board")
    assert_in_view(page, page.get_by_role("button", name="Tile 1: Cabin by the lake"), "the board's first tile")
    assert_in_view(page, page.get_by_role("button", name="Tile 8: Quiet mornings"), "the board's last tile")
    time.sleep(2)  # the images arrive after the grid: let them paint (well within the 8 s)
    picture(page, f"morning-2-board-{name}")
    assert not todays_row(data_dir)["vision_board_viewed"]
    wait_for_step(page, "Step 3 of 4: Action", timeout=25)  # after 8 s on the board, by itself
    assert todays_row(data_dir)["vision_board_viewed"] == 1

    suggestion = page.get_by_role("button", name="Choose:").first
    assert_in_view(page, suggestion, "the first suggestion")  # (waits for it)
    assert page.get_by_role("button", name="Choose:").count() == 3
    picture(page, f"morning-3-action-{name}")
    chosen = suggestion.evaluate("e => (e.getAttribute('aria-label') || '') + e.textContent")
    tap(suggestion)

    wait_for_step(page, "Step 4 of 4: Done")
    wait_for_text(page, "Current streak: 2 days")
    wait_for_text(page, "See you tonight at 20:00")
    back = page.get_by_role("button", name="Back to Today")
    assert_in_view(page, back, "Back to Today")
    picture(page, f"morning-4-done-{name}")
    row = todays_row(data_dir)
    assert row["morning_completed"] == 1 and row["violent_action"] in chosen
    tap(back)
    wait_for_text(page, "Your discipline")

    assert tap.count <= 5, f"the morning took {tap.count} taps"
    assert "Duration 0:2" in metrics and "dBFS" in metrics, metrics


def test_the_board_counts_as_viewed_after_a_slideshow_and_not_when_the_member_leaves_early(browser, app_process):
    data_dir = app_process.data_dir
    seed_returning_member(data_dir, read_today=True)
    base = app_process.start(now=TODAY)

    page = open_page(browser, base + "/morning?step=action", PHONE)  # a link can name the step
    wait_for_step(page, "Step 3 of 4: Action")
    nav(page, "Today").click()
    # Today on screen before Morning is tapped: a tap on a loaded machine can land before the
    # first one's screen, on the morning's own tab.
    page.locator('[flt-semantics-identifier="stat-current-streak"]').wait_for(timeout=30_000)
    nav(page, "Morning").click()  # without one, the first unfinished step: the reading is in
    wait_for_step(page, "Step 2 of 4: Board")
    page.get_by_role("button", name="Tile 1: Cabin by the lake").wait_for()

    # Leaving before 8 s stops the timer: nothing is recorded, however long the member stays away.
    page.get_by_role("button", name="Step 1 of 4: Read & record, done").click()
    wait_for_step(page, "Step 1 of 4: Read & record")
    left = time.monotonic()
    while time.monotonic() - left < 10:
        assert not todays_row(data_dir)["vision_board_viewed"], "the board was recorded as viewed after leaving"
        time.sleep(0.5)
    assert "Step 1 of 4" in step_label(page)  # and the morning did not move on by itself

    # Back on the board, a tap opens the slideshow; tapping through every image records it.
    page.get_by_role("button", name="Step 2 of 4: Board, not done").click()
    page.get_by_role("button", name="Tile 3: Family dinners").click()
    wait_for_text(page, "Image 1 of 8: Family dinners")
    picture(page, "morning-2-slideshow-phone-light")
    for shown in range(2, 9):
        page.get_by_role("button", name="Next image").click()
        wait_for_text(page, f"Image {shown} of 8: {CAPTIONS[(shown + 1) % 8]}")
    assert not todays_row(data_dir)["vision_board_viewed"]
    page.get_by_role("button", name="Done looking").click()
    wait_for_step(page, "Step 3 of 4: Action")
    assert todays_row(data_dir)["vision_board_viewed"] == 1


@pytest.mark.parametrize(("viewport", "theme"), [(PHONE, "dark"), (DESKTOP, "light")], ids=["phone-dark", "desktop-light"])
def test_every_step_and_the_celebration_in_the_other_theme(mic_browser, app_process, tmp_path, viewport, theme):
    """The pictures the budget test does not take (the other theme at each size), each step's
    main control in view, and an attached file as the reading."""
    name = f"{'phone' if viewport is PHONE else 'desktop'}-{theme}"
    reading = tmp_path / "reading.wav"
    reading.write_bytes(wav_bytes(21))
    seed_returning_member(app_process.data_dir, theme=theme)
    page = open_page(mic_browser, app_process.start(now=TODAY) + "/morning", viewport, microphone=True)
    wait_for_step(page, "Step 1 of 4: Read & record")
    assert_in_view(page, page.get_by_role("button", name="Start recording"), "Start recording")
    picture(page, f"morning-1-record-{name}")
    page.get_by_role("button", name="Start recording").click()
    assert_in_view(page, page.get_by_role("button", name="Stop and save"), "Stop and save")
    picture(page, f"morning-1-teleprompter-{name}")
    page.get_by_role("button", name="Cancel").click()
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Attach a file").click()
    chooser.value.set_files(reading)
    wait_for_text(page, "Reading saved (21 s)")
    wait_for_text(page, "speaking time")
    assert_in_view(page, page.get_by_role("button", name="Next: your board"), "Next: your board")
    picture(page, f"morning-1-recorded-{name}")
    page.get_by_role("button", name="Next: your board").click()
    wait_for_step(page, "Step 2 of 4: Board")
    assert_in_view(page, page.get_by_role("button", name="Tile 8: Quiet mornings"), "the board's last tile")
    time.sleep(2)  # the images arrive after the grid: let them paint
    picture(page, f"morning-2-board-{name}")
    wait_for_step(page, "Step 3 of 4: Action", timeout=25)
    assert_in_view(page, page.get_by_role("button", name="Choose:").first, "the first suggestion")
    picture(page, f"morning-3-action-{name}")
    page.get_by_role("button", name="Choose:").first.click()
    wait_for_step(page, "Step 4 of 4: Done")
    assert_in_view(page, page.get_by_role("button", name="Back to Today"), "Back to Today")
    picture(page, f"morning-4-done-{name}")
