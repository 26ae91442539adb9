"""Board <-> action links in the app: on the morning's action step the member taps "This builds
toward: Cabin by the lake" (optional) and then an action; the day keeps the tile; /progress shows
the action under that tile, and a tile removed since still shows its earlier action under the
caption the day kept. Phone and desktop, light and dark, every text measured at 4.5:1 or more."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from chris_app.services import day, vision_board
from chris_app.store import open_store
from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE, label_of, wait_for_text
from tests.browser.test_accessibility import MIN_CONTRAST, measured_contrasts, settled_screenshot
from tests.browser.test_morning_steps import (CAPTIONS, JOINED, TODAY, open_page, seed_returning_member, todays_row,
                                              wait_for_step)

pytestmark = pytest.mark.browser


def seed(data_dir, theme: str) -> None:
    """The returning member of the morning tests, today's reading recorded and board seen; on
    Tuesday the action was linked to tile 8 ("Quiet mornings"), removed from the board since."""
    seed_returning_member(data_dir, theme=theme, read_today=True)
    store = open_store(data_dir / "chris.sqlite3")
    try:
        tuesday = JOINED + timedelta(days=1)
        quiet = next(t for t in vision_board.tiles(store) if t.position == 8)
        with store.transaction() as conn:  # Tuesday's action, as linked that morning
            conn.execute("update daily_sessions set action_tile_id = ?, action_tile_caption = ? where date = ?",
                         (quiet.id, quiet.caption, tuesday.date().isoformat()))
        vision_board.remove_tile(store, tuesday + timedelta(days=1), 8)
        day.mark_vision_board_viewed(store, datetime.fromisoformat(TODAY))
    finally:
        store.close()


def hidden_chips(page) -> set[str]:
    """The labels of the tile chips scrolled out of their line: not painted, nothing to measure."""
    line = page.locator('[flt-semantics-identifier="builds-toward"]')
    if not line.count():
        return set()
    edge = line.bounding_box()
    hidden = set()
    for chip in page.get_by_role("button", name="This builds toward:").all():
        box = chip.bounding_box()
        if box["x"] + box["width"] > edge["x"] + edge["width"] + 1:
            hidden.add(chip.get_attribute("aria-label") or chip.text_content())
    return hidden


def look(page, name: str) -> None:
    """A settled screenshot, and every text on it readable (chips scrolled out of view aside)."""
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"{name}.png").write_bytes(settled_screenshot(page))
    hidden = hidden_chips(page)
    low = [r for r in measured_contrasts(page) if r["ratio"] < MIN_CONTRAST and r["text"] not in hidden]
    assert not low, f"{name}: text below {MIN_CONTRAST}:1: {low}"


@pytest.mark.parametrize(("viewport", "theme"), [(PHONE, "light"), (DESKTOP, "dark")], ids=["phone-light", "desktop-dark"])
def test_a_linked_action_shows_on_progress_and_a_removed_tile_stays_readable(browser, app_process, viewport, theme):
    size = "phone" if viewport is PHONE else "desktop"
    other = DESKTOP if viewport is PHONE else PHONE
    data_dir = app_process.data_dir
    seed(data_dir, theme)
    base = app_process.start(now=TODAY)
    page = open_page(browser, base + "/morning", viewport)

    wait_for_step(page, "Step 3 of 4: Action")
    cabin = page.get_by_role("button", name="This builds toward: Cabin by the lake")
    cabin.wait_for(timeout=20_000)
    assert page.get_by_role("button", name="This builds toward: Quiet mornings").count() == 0  # removed
    assert page.get_by_role("button", name="Choose:").count() == 3
    cabin.click()
    page.get_by_role("button", name="This builds toward: Cabin by the lake, chosen").wait_for(timeout=20_000)
    assert todays_row(data_dir).get("action_tile_id") is None  # remembered, not saved: no action yet
    look(page, f"tile-links-morning-{size}-{theme}")
    page.get_by_role("button", name="Choose:").first.click()

    wait_for_step(page, "Step 4 of 4: Done")
    row = todays_row(data_dir)
    assert row["violent_action"] and row["action_tile_caption"] == CAPTIONS[0]
    page.context.close()

    for port_view, name in ((viewport, size), (other, "desktop" if other is DESKTOP else "phone")):
        progress = open_page(browser, base + "/progress", port_view)
        wait_for_text(progress, "Toward your vision", timeout=30)
        card = label_of(progress, "progress-tiles")
        assert "Cabin by the lake: 0 of 1 linked actions done" in card
        assert row["violent_action"] in card and "not reviewed yet" in card
        assert "Quiet mornings: 1 of 1 linked actions done, no longer on your board" in card
        assert "Call the client I was avoiding, done" in card
        progress.locator('[flt-semantics-identifier="progress-tiles"]').scroll_into_view_if_needed()
        look(progress, f"tile-links-progress-{name}-{theme}")
        progress.context.close()
