"""Every interactive control on every screen has a name a screen reader can announce, at phone
and desktop size (read from Chromium's accessibility tree of the real UI)."""

import re

import pytest

from tests.browser.conftest import DESKTOP, PHONE, wait_for_text

pytestmark = pytest.mark.browser

ROUTES = {"/": "Your discipline", "/morning": "Read aloud", "/evening": "Discipline rating",
          "/affirmations": "History", "/vision-board": "Eight images", "/progress": "Weekly summary",
          "/recordings": "Your morning readings", "/settings": "Your data", "/sign-in": "Guest mode",
          "/subscribe": "Guest mode is free", "/leaderboard": "Opt-in leaderboard"}
INTERACTIVE = r"button|textbox|switch|radio|tab|checkbox|slider|combobox|link|menuitem"
UNNAMED = re.compile(rf"^\s*- ({INTERACTIVE})( \[[^\]]*\])*:?\s*$", re.MULTILINE)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_every_control_on_every_screen_has_an_accessible_name(open_app, viewport):
    page = open_app("/", viewport=viewport)
    problems = {}
    for route, landmark in ROUTES.items():
        page.goto(page.url.split("/", 3)[0] + "//" + page.url.split("/", 3)[2] + route)
        page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
        page.eval_on_selector("flt-semantics-placeholder", "e => e.click()")
        wait_for_text(page, landmark)
        tree = page.locator("flt-semantics-host").aria_snapshot()
        unnamed = UNNAMED.findall(tree)
        if unnamed:
            problems[route] = tree
    assert not problems, "controls without a name:\n" + "\n\n".join(f"{r}:\n{t}" for r, t in problems.items())


NAVIGATION = {"/": "Today", "/morning": "Morning", "/evening": "Evening", "/vision-board": "Board",
              "/progress": "Progress"}
SELECTED_TABS = """() => [...document.querySelectorAll('flt-semantics-host [role=tab]')]
    .filter(t => t.getAttribute('aria-selected') === 'true').map(t => t.getAttribute('aria-label'))"""


def test_the_bottom_navigation_marks_only_the_screen_it_leads_to(open_app):
    """Screens outside the bottom navigation (settings, recordings, sign-in...) select no tab:
    they used to show "Today" selected."""
    page = open_app("/")
    base = page.url.split("/", 3)[0] + "//" + page.url.split("/", 3)[2]
    wrong = {}
    for route, landmark in ROUTES.items():
        page.goto(base + route)
        page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
        page.eval_on_selector("flt-semantics-placeholder", "e => e.click()")
        wait_for_text(page, landmark)
        page.wait_for_selector("flt-semantics-host [role=tab]", state="attached")
        assert page.locator("flt-semantics-host [role=tab]").count() == len(NAVIGATION)
        expected = [NAVIGATION[route]] if route in NAVIGATION else []
        if page.evaluate(SELECTED_TABS) != expected:
            wrong[route] = page.evaluate(SELECTED_TABS)
    assert not wrong, f"selected tabs (expected only the screen's own): {wrong}"

    page.get_by_role("tab", name="Evening").click()  # from /leaderboard, where none is selected
    wait_for_text(page, "Discipline rating")
    assert page.evaluate(SELECTED_TABS) == ["Evening"]
