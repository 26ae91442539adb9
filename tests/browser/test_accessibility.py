"""Every interactive control on every screen has a name a screen reader can announce, at phone
and desktop size (read from Chromium's accessibility tree of the real UI)."""

import base64
import re
import time

import pytest

from tests.browser.conftest import DESKTOP, PHONE, nav, screenshot, settled_screenshot, wait_for_text

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


RAIL_CURRENT = """() => [...document.querySelectorAll('flt-semantics-host [role=button]')]
    .filter(b => /Tab \\d+ of \\d+/.test(b.textContent))
    .map(b => [b.textContent.split('\\n')[0], b.getAttribute('aria-current')])"""
CARD_WIDTH = """name => { const card = [...document.querySelectorAll('flt-semantics-host [role=group]')]
    .find(e => (e.getAttribute('aria-label') || e.textContent || '').startsWith(name));
    return card ? Math.round(card.getBoundingClientRect().width) : null; }"""


def wait_for(page, script: str, arg=None, expected=None, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while (value := page.evaluate(script, arg)) != expected:
        assert time.monotonic() < deadline, f"expected {expected!r}, still {value!r}"
        time.sleep(0.2)


def test_wide_windows_get_a_rail_and_a_centred_column_and_the_layout_follows_resizes(open_app):
    """From 900 px wide: a navigation rail marking only the screen it leads to, the content in a
    centred column of at most 720 px; narrower: the bottom bar. Resizing switches between them."""
    page = open_app("/settings", viewport=DESKTOP)
    wait_for_text(page, "Your data")
    rail = [[d, "false"] for d in NAVIGATION.values()]
    wait_for(page, RAIL_CURRENT, expected=rail)  # a screen outside the rail selects none
    assert page.locator("flt-semantics-host [role=tab]").count() == 0
    wait_for(page, CARD_WIDTH, "Your day", expected=720)

    nav(page, "Evening").click()
    wait_for(page, RAIL_CURRENT, expected=[[d, "true" if d == "Evening" else "false"] for d in NAVIGATION.values()])

    page.set_viewport_size(PHONE)
    wait_for(page, "() => document.querySelectorAll('flt-semantics-host [role=tab]').length", expected=5)
    wait_for(page, RAIL_CURRENT, expected=[])
    assert page.evaluate(SELECTED_TABS) == ["Evening"]

    page.set_viewport_size({"width": 960, "height": 800})  # just past the threshold
    wait_for(page, RAIL_CURRENT, expected=[[d, "true" if d == "Evening" else "false"] for d in NAVIGATION.values()])
    page.get_by_role("button", name="Settings").click()
    wait_for(page, CARD_WIDTH, "Your day", expected=720)


# --- Craft: contrast and announced states, on every screen, in both themes --------------------

THEMED_ROUTES = {**ROUTES, "/welcome": "Welcome to your daily discipline"}
# A phone's and a desktop's width, tall enough to show most screens whole without scrolling.
TALL_PHONE = {"width": 390, "height": 2400}
TALL_DESKTOP = {"width": 1280, "height": 2400}
MIN_CONTRAST = 4.5

# Every node of the accessibility tree that carries text of its own, with its box.
TEXT_BOXES = """() => {
  const out = [];
  const sel = 'flt-semantics-host flt-semantics, flt-semantics-host input, flt-semantics-host textarea';
  for (const e of document.querySelectorAll(sel)) {
    if (e.getAttribute('aria-disabled') === 'true' || e.closest('[role=img]')) continue;  // pictures: no text
    const own = [...e.childNodes].filter(c => c.nodeType === 3 || c.tagName === 'SPAN').map(c => c.textContent).join('');
    const text = (e.getAttribute('aria-label') || own || e.value || '').trim();
    if (!text) continue;
    const r = e.getBoundingClientRect();
    // wholly in the window (a box cut by the window's or the screen's edge shows only part)
    if (r.width < 8 || r.height < 8 || r.top < 0 || r.left < 0 || r.bottom > innerHeight - 12 || r.right > innerWidth) continue;
    out.push({text: text.slice(0, 60), left: r.left, top: r.top, right: r.right, bottom: r.bottom});
  }
  return out;
}"""

# For each box: the background is the colour most of its pixels have; the ink is the pixel
# colour with the highest contrast against it; the box's ratio is the WCAG contrast of the two.
CONTRASTS = """async ([png, boxes]) => {
  const bytes = Uint8Array.from(atob(png), c => c.charCodeAt(0));
  const bitmap = await createImageBitmap(new Blob([bytes], {type: 'image/png'}));
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const g = canvas.getContext('2d', {willReadFrequently: true});
  g.drawImage(bitmap, 0, 0);
  const lin = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const lum = (r, g, b) => 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  const hex = (r, g, b) => '#' + [r, g, b].map(v => v.toString(16).padStart(2, '0')).join('');
  return boxes.map(box => {
    const x = Math.round(box.left), y = Math.round(box.top);
    const w = Math.round(box.right) - x, h = Math.round(box.bottom) - y;
    if (w < 4 || h < 4) return null;
    const d = g.getImageData(x, y, w, h).data, counts = new Map();
    for (let i = 0; i < d.length; i += 4) {
      const key = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
      counts.set(key, (counts.get(key) || 0) + 1);
    }
    let bg = 0, most = -1;
    for (const [key, n] of counts) if (n > most) { most = n; bg = key; }
    const br = bg >> 16, bgg = (bg >> 8) & 255, bb = bg & 255, lb = lum(br, bgg, bb);
    let best = 1, ink = bg;
    for (const key of counts.keys()) {
      const l = lum(key >> 16, (key >> 8) & 255, key & 255);
      const ratio = (Math.max(l, lb) + 0.05) / (Math.min(l, lb) + 0.05);
      if (ratio > best) { best = ratio; ink = key; }
    }
    return {text: box.text, ratio: Math.round(best * 100) / 100,
            background: hex(br, bgg, bb), ink: hex(ink >> 16, (ink >> 8) & 255, ink & 255)};
  }).filter(Boolean);
}"""


def start_with_theme(app_process, theme: str) -> str:
    from datetime import datetime, timezone

    from chris_app.services.profile import ensure_profile, update_settings
    from chris_app.store import open_store

    app_process.data_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(app_process.data_dir / "chris.sqlite3")
    try:
        now = datetime.now(timezone.utc)
        ensure_profile(store, now, "Europe/Berlin")
        update_settings(store, now, theme=theme)
    finally:
        store.close()
    return app_process.start()


def open_screen(page, base: str, route: str) -> None:
    page.goto(base + route)
    page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
    page.eval_on_selector("flt-semantics-placeholder", "e => e.click()")
    wait_for_text(page, THEMED_ROUTES[route], timeout=30)


def measured_contrasts(page, timeout: float = 30.0) -> list[dict]:
    """The contrast of every text box in a settled frame that shows the screen: Flet's
    "Working..." page can still be up while the accessibility tree already has the new screen,
    and in such a frame the text boxes hold nothing but its background. A frame counts once
    most boxes show something; if none ever does, the screen is unreadable and the test fails."""
    deadline = time.monotonic() + timeout
    while True:
        shot = settled_screenshot(page)
        results = page.evaluate(CONTRASTS, [base64.b64encode(shot).decode(), page.evaluate(TEXT_BOXES)])
        if sum(r["ratio"] > 1 for r in results) > len(results) / 2:
            return results
        assert time.monotonic() < deadline, "no text box ever showed its text"
        time.sleep(0.5)


@pytest.mark.parametrize("viewport", [TALL_PHONE, TALL_DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_text_on_every_screen_has_at_least_4_5_to_1_contrast(app_process, open_app, theme, viewport):
    """Measured from the rendered pixels, not from the theme's colour names: the test sees what
    a member sees, whatever colour scheme Flutter derives from the seed and however a control
    combines its colours (tonal fills, opacity on a card, text over an image).

    For the box of every text node in Flutter's accessibility tree, the colour most of the box's
    pixels have is taken as the background, and the pixel colour with the highest contrast
    against it as the text's colour (the cores of the glyphs' strokes are drawn in the full text
    colour; anti-aliased edges only lie between the two). Its WCAG 2 contrast ratio must be at
    least 4.5:1. Where a box holds more than its text (an icon, a switch), the highest contrast
    may come from that instead, so the measure can pass a text it should not; it cannot fail a
    text that meets the ratio, which keeps the test free of false alarms. Disabled controls are
    left out, as WCAG leaves them out."""
    base = start_with_theme(app_process, theme)
    page = open_app("/", viewport=viewport, base_url=base)
    low = {}
    for route in THEMED_ROUTES:
        open_screen(page, base, route)
        results = measured_contrasts(page)
        failing = [r for r in results if r["ratio"] < MIN_CONTRAST]
        if failing:
            low[route] = failing
            screenshot(page, f"FAILED-contrast-{theme}-{viewport['width']}{route.replace('/', '-')}")
    assert not low, f"text below {MIN_CONTRAST}:1 in the {theme} theme:\n" + "\n".join(
        f"{route}: {r['text']!r} {r['ratio']}:1 ({r['ink']} on {r['background']})"
        for route, rows in low.items() for r in rows)


CHECKLIST = ["Morning reading recorded", "Vision board viewed", "Violent action set", "Evening review saved"]
# What a screen reader reads for each node: its label, or the text it holds itself.
STATE_NODES = """() => [...document.querySelectorAll('flt-semantics-host flt-semantics')].map(e =>
    (e.getAttribute('aria-label') || [...e.childNodes].filter(c => c.nodeType === 3 || c.tagName === 'SPAN')
        .map(c => c.textContent).join('')).trim()).filter(Boolean)"""


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_done_or_not_done_state_is_announced(app_process, open_app, theme):
    """Today's checklist, the week strip and the morning's steps: each tells a screen reader
    whether it is done, not just what it is."""
    base = start_with_theme(app_process, theme)
    page = open_app("/", viewport=TALL_PHONE, base_url=base)
    wait_for_text(page, THEMED_ROUTES["/"], timeout=30)
    labels = page.evaluate(STATE_NODES)
    for item in CHECKLIST:
        said = [label for label in labels if label.startswith(item)]
        assert said and all(re.match(rf"{item}: (done|not done yet|not needed)\b", label) for label in said), (item, said)
    days = [label for label in labels if re.search(r"morning (not )?done", label)]
    assert len(days) == 7 and all(re.search(r": morning (not )?done, evening (not )?done$", d) for d in days), days

    open_screen(page, base, "/morning")
    # the step indicator's four segments (the heading "Step 1 of 4: Read & record" names the step)
    steps = [label for label in page.evaluate(STATE_NODES) if re.match(r"Step \d of 4: [^,]+, ", label)]
    assert len(steps) == 4 and all(re.search(r", (current step|done|not done)$", s) for s in steps), steps
