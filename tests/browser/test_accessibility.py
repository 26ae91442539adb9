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
