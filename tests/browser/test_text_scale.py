"""Large text (issue #7): every screen at twice the text size, at phone and desktop size.

How a member gets large text in the web app: Flutter's web engine takes its text scale factor
from the browser's root font size — the computed font-size of <html> divided by 16 px — read at
start and again whenever a hidden probe paragraph it puts in <body> changes size (a
ResizeObserver). Chrome's "Font size" setting changes that root size; so does a page style.
Here the root is set to 200 % (32 px) before Flutter starts.

Flutter's overflow reports ("A RenderFlex overflowed ...") exist only in debug builds: the web
build served here contains no such text and prints nothing. So overflow is looked for in what
the page shows:
- Flutter's accessibility tree: a node cut off by the screen body's clip ends exactly at the
  clip edge; every control must be at least 24 × 24 px (WCAG 2.5.8), and the screen's key
  controls must each show up whole at some point while the screen is scrolled through;
- the pixels: inside every card, the strip between the content and the card's right edge must
  be plain card colour — text or controls running out of the card paint over it.
Both checks read settled states only: the tree once it stops changing, the pixels once two
screenshots in a row are identical, so a loaded machine makes the test slower, not flaky. On a
wide window the content sits in a centred column, and the cards whose strips are read span that
column (a card's accessibility box can reach a few pixels past its edge, so boxes are not
compared with the column: the pixels are).
Each screen's main text must be at least 1.5 times as tall as at the normal size, so the test
fails if text scaling stops working."""

from __future__ import annotations

import base64
import time

import pytest

from chris_app.views.common import WIDE, column_width
from tests.browser.conftest import DESKTOP, PHONE, AppProcess, screenshot, wait_for_text
from tests.conftest import wav_bytes

pytestmark = pytest.mark.browser

# route: (landmark that shows the screen rendered, main text to measure, controls that must be reachable)
# Main text: the start of a node's accessible text, [identifier], or /regular expression/.
# Controls: (role, part of the accessible name).
SCREENS = {
    "/": ("Your discipline", r"/^\w+day, \d\d \w+$/",  # the heading: today's date
          [("button", "Next: choose today's violent action"),  # the reading is recorded, no board
           ("button", "Affirmations"), ("button", "Leaderboard")]),
    # The morning's steps (the reading is recorded: Read & record shows playback and metrics).
    "/morning?step=record": ("Read aloud", "Protocol day",
                             [("button", "Play reading of"), ("button", "Next: your board"),
                              ("button", "Record again"), ("button", "Attach a file"), ("button", "Edit affirmations")]),
    "/morning?step=action": ("Today's violent action", "Protocol day",
                             [("button", "Choose:"), ("textbox", "Or write your own action"),
                              ("button", "Set my own action"), ("button", "Browse the whole library")]),
    "/evening": ("Discipline rating", "Protocol day",
                 [("button", "Rating 10"),
                  ("textbox", "Biggest win"), ("button", "Save evening review")]),
    "/affirmations": ("History", "History",
                      [("textbox", "Your affirmations"), ("button", "Save as new version")]),
    "/vision-board": ("Eight images", "Eight images",
                      [("button", "Tile 1: empty"), ("button", "Tile 8: empty")]),
    "/progress": ("Weekly summary", "Week of", []),
    "/recordings": ("Your morning readings", "Your morning readings", [("button", "Play reading of")]),
    "/settings": ("Your data", "Day starts at",
                  [("button", "Earlier day start"), ("button", "Later day start"), ("button", "Save"),
                   ("switch", "Notifications on this device"), ("switch", "Play my recording back after saving"),
                   ("textbox", "Shortest (seconds)"), ("button", "Account and sync"), ("button", "Subscription"),
                   ("button", "Export my data"), ("button", "Wipe this device…")]),
    "/leaderboard": ("Opt-in leaderboard", "Opt-in leaderboard", [("button", "Sign in")]),
    "/sign-in": ("Guest mode", "Guest mode", [("button", "Back to today")]),
}
DESTINATIONS = ["Today", "Morning", "Evening", "Board", "Progress"]
# The app bar's buttons, and the navigation: bottom tabs on a phone, the rail's buttons on a desktop.
EVERYWHERE = {"phone": [("button", "Recordings"), ("button", "Settings"), *[("tab", d) for d in DESTINATIONS]],
              "desktop": [("button", "Recordings"), ("button", "Settings"), *[("button", d) for d in DESTINATIONS]]}
INTERACTIVE = {"button", "checkbox", "combobox", "link", "menuitem", "radio", "slider", "switch", "tab", "textbox"}
MIN_TARGET = 24  # px, WCAG 2.5.8
EDGE = 0.5  # px of rounding allowed

# Before Flutter starts: the root font size a member gets by setting the browser's font size to
# 32 px (Chrome: Settings → Appearance → Customize fonts; checked to scale the app the same way).
# Percent of the browser's default, so 200 % is twice whatever the default is.
SCALE_SCRIPT = """document.addEventListener('DOMContentLoaded', () => {
  document.documentElement.style.fontSize = '%d%%';
});"""

# The screen body (the scrolling area between the app bar and the bottom navigation) and every
# named or interactive accessibility node, with its rectangle.
STATE = """() => {
  const host = document.querySelector('flt-semantics-host');
  // The body is the scrolling group next to the navigation: the bottom bar's tab list on
  // phones, the rail (buttons named "Today Tab 1 of 5", ...) on wide windows.
  const tabs = host && (host.querySelector('[role=tablist]') ||
    [...host.querySelectorAll('[role=button]')].find(e => /Tab \\d+ of \\d+/.test(e.textContent))?.parentElement);
  const body = tabs && [...tabs.parentElement.children].find(e => e.getAttribute('role') === 'group');
  if (!body) return null;
  const box = e => { const r = e.getBoundingClientRect();
                     return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
  const nodes = [];
  for (const e of host.querySelectorAll('flt-semantics, input, textarea')) {
    const own = [...e.childNodes].filter(c => c.nodeType === 3 || c.tagName === 'SPAN').map(c => c.textContent).join('');
    const name = (e.getAttribute('aria-label') || own || '').trim();
    const role = ['INPUT', 'TEXTAREA'].includes(e.tagName) ? 'textbox' : (e.getAttribute('role') || '');
    if (!name && !role) continue;
    const r = box(e);
    if (r.right - r.left <= 0 || r.bottom - r.top <= 0) continue;
    nodes.push({name, role, inBody: e !== body && body.contains(e), ...r});
  }
  return {width: innerWidth, body: box(body), nodes};
}"""

# Rows of each card's right padding strip that are not plain card colour, read from a
# screenshot (decoded by the browser). Card: a node spanning the body; Flet's Card keeps a 4 px
# margin and its content 12-16 px further in; the strip is card.right-15 … card.right-10
# (clear of Flutter's scrollbar, which is drawn in the last 8 px of the body).
OVERFLOW_PIXELS = """async ([png, cards, top, bottom]) => {
  const bytes = Uint8Array.from(atob(png), c => c.charCodeAt(0));
  const bitmap = await createImageBitmap(new Blob([bytes], {type: 'image/png'}));
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const g = canvas.getContext('2d', {willReadFrequently: true});
  g.drawImage(bitmap, 0, 0);
  const found = [];
  for (const card of cards) {
    const y0 = Math.ceil(Math.max(card.top + 16, top + 1)), y1 = Math.floor(Math.min(card.bottom - 16, bottom - 1));
    if (y1 - y0 < 4) continue;
    const x0 = Math.round(card.right - 15), x1 = Math.round(card.right - 10), xr = Math.round(card.left + 10);
    const strip = g.getImageData(x0, y0, x1 - x0, y1 - y0).data, ref = g.getImageData(xr, y0, 1, y1 - y0).data;
    const rows = [];
    for (let y = 0; y < y1 - y0; y++) {
      for (let x = 0; x < x1 - x0; x++) {
        const i = (y * (x1 - x0) + x) * 4, j = y * 4;
        if (Math.max(Math.abs(strip[i] - ref[j]), Math.abs(strip[i + 1] - ref[j + 1]),
                     Math.abs(strip[i + 2] - ref[j + 2])) > 16) { rows.push(y0 + y); break; }
      }
    }
    if (rows.length) found.push(`"${card.name.split('\\n')[0]}": ${rows.length} rows between y=${rows[0]} and y=${rows[rows.length - 1]}`);
  }
  return found;
}"""


@pytest.fixture(scope="module")
def app_with_reading(browser, tmp_path_factory):
    """One app for the module, with a recorded reading (so the playback rows show)."""
    app = AppProcess(tmp_path_factory.mktemp("text-scale") / "data")
    url = app.start()
    reading = tmp_path_factory.mktemp("reading") / "reading.wav"
    reading.write_bytes(wav_bytes(21))
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = open_page(context, url + "/morning", "Read aloud")
        with page.expect_file_chooser() as chooser:
            page.get_by_role("button", name="Attach a file").click()
        chooser.value.set_files(reading)
        wait_for_text(page, "Reading saved (21 s)", timeout=30)
    finally:
        context.close()
    yield url
    app.stop()


def open_page(context, url: str, landmark: str):
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(url)
    page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
    page.eval_on_selector("flt-semantics-placeholder", "e => e.click()")
    wait_for_text(page, landmark, timeout=30)
    return page


@pytest.fixture(scope="module")
def contexts(browser):
    """(viewport name, text scale) → a browser context whose pages start at that text scale."""
    made = {}

    def get(viewport: str, scale: float):
        if (viewport, scale) not in made:
            context = browser.new_context(viewport={"phone": PHONE, "desktop": DESKTOP}[viewport])
            context.add_init_script(SCALE_SCRIPT % round(scale * 100))
            made[viewport, scale] = context
        return made[viewport, scale]

    yield get
    for context in made.values():
        context.close()


def settled(page, timeout: float = 20.0) -> dict:
    """The accessibility state once it stops changing (a scroll has finished)."""
    deadline = time.monotonic() + timeout
    last = page.evaluate(STATE)
    while True:
        time.sleep(0.15)
        now = page.evaluate(STATE)
        if now == last and now is not None:
            return now
        if time.monotonic() > deadline:
            raise AssertionError("the screen did not settle")
        last = now


# The first node whose accessible text starts with the key ("[id]": its identifier; "/re/": a
# regular expression its text matches).
FIND_TEXT = """key => [...document.querySelectorAll('flt-semantics-host flt-semantics')].find(e => {
  if (key.startsWith('[')) return e.getAttribute('flt-semantics-identifier') === key.slice(1, -1);
  const own = [...e.childNodes].filter(c => c.nodeType === 3 || c.tagName === 'SPAN').map(c => c.textContent).join('');
  const text = e.getAttribute('aria-label') || own;
  return key.startsWith('/') ? new RegExp(key.slice(1, -1)).test(text) : text.startsWith(key);
}) || null"""


def main_text_height(page, key: str) -> float:
    """Height of the node holding the screen's main text, scrolled wholly into view."""
    deadline = time.monotonic() + 20
    while (node := page.evaluate_handle(FIND_TEXT, key).as_element()) is None:
        assert time.monotonic() < deadline, f"no node starts with {key!r}"
        time.sleep(0.2)
    node.scroll_into_view_if_needed()
    state = settled(page)
    top, bottom = node.evaluate("e => { const r = e.getBoundingClientRect(); return [r.top, r.bottom]; }")
    body = state["body"]
    assert body["top"] - EDGE <= top and bottom <= body["bottom"] + EDGE, \
        f"{key!r} is not wholly on the screen ({top:.0f}…{bottom:.0f}), so it cannot be measured"
    return bottom - top


def settled_pixels(page, timeout: float = 30.0) -> bytes:
    """A screenshot once two in a row are the same. The accessibility tree settles before the
    last frames of a scroll or a fade are painted; on a loaded machine a single screenshot
    caught such a frame (a card's strip half repainted) and reported an overflow."""
    deadline = time.monotonic() + timeout
    last = page.screenshot(timeout=90_000)
    while True:
        time.sleep(0.2)
        now = page.screenshot(timeout=90_000)
        if now == last:
            return now
        assert time.monotonic() < deadline, "the screen kept changing"
        last = now


def content_column(state: dict) -> dict:
    """Where the screen's content is: the body on a phone; on a wide window the centred column
    (chris_app.views.common: at most COLUMN_MAX wide) inside the body."""
    body = state["body"]
    if state["width"] < WIDE:
        return body
    width = column_width(state["width"])
    left = body["left"] + (body["right"] - body["left"] - width) / 2
    return {**body, "left": left, "right": left + width}


def cut_off(n: dict, body: dict, nodes: list[dict]) -> bool:
    """Flutter clips the screen body: a node running out of it ends exactly at its edge. The
    right column of a grid ends there too, whole: a twin as wide in the same row, left of it,
    tells the two apart (a cut node is narrower than it would be)."""
    def same(a: float, b: float) -> bool:
        return abs(a - b) < EDGE

    twin = any(same(m["top"], n["top"]) and same(m["right"] - m["left"], n["right"] - n["left"])
               and m["right"] <= n["left"] and m["role"] == n["role"] for m in nodes)
    return n["inBody"] and n["right"] >= body["right"] - EDGE and n["left"] > body["left"] + EDGE and not twin


def layout_problems(state: dict) -> list[str]:
    """Nodes outside the window, cut off at the body's edge, or controls too small to hit."""
    problems = []
    body, width = state["body"], state["width"]
    for n in state["nodes"]:
        what = f"{n['role'] or 'text'} {n['name'][:50]!r}"
        if n["left"] < -EDGE or n["right"] > width + EDGE:
            problems.append(f"{what} sticks out of the window: x {n['left']:.0f}…{n['right']:.0f} of {width}")
        if cut_off(n, body, state["nodes"]):
            problems.append(f"{what} is cut off at the right edge: x {n['left']:.0f}…{n['right']:.0f}")
        # A node touching the body's top or bottom may be cut by the scrolling: measured elsewhere.
        clear = not n["inBody"] or (n["top"] > body["top"] + EDGE and n["bottom"] < body["bottom"] - EDGE)
        if n["role"] in INTERACTIVE and clear and (
                n["right"] - n["left"] < MIN_TARGET or n["bottom"] - n["top"] < MIN_TARGET):
            problems.append(f"{what} is only {n['right'] - n['left']:.0f} × {n['bottom'] - n['top']:.0f} px")
    return problems


def reachable(n: dict, body: dict, nodes: list[dict]) -> bool:
    """A control a member can see and hit: inside the body (or in the app bar or navigation),
    not cut off, at least MIN_TARGET square (one taller than the body fills it)."""
    return (n["role"] in INTERACTIVE and not cut_off(n, body, nodes)
            and n["right"] - n["left"] >= MIN_TARGET and n["bottom"] - n["top"] >= MIN_TARGET
            and (not n["inBody"] or (n["top"] >= body["top"] - EDGE and n["bottom"] <= body["bottom"] + EDGE)))


def scroll_through(page, name: str) -> tuple[list[str], set[tuple[str, str]]]:
    """Scroll the screen from top to bottom like a member with a mouse wheel; at every stop,
    check the layout and the card strips. Returns the problems and the (role, name) of every
    control that was reachable at some stop."""
    problems, seen = [], set()
    state = settled(page)
    for step in range(60):
        body, column = state["body"], content_column(state)
        shot = settled_pixels(page)
        cards = [{"name": n["name"], "left": n["left"], "right": n["right"], "top": n["top"], "bottom": n["bottom"]}
                 for n in state["nodes"] if n["inBody"] and n["role"] == "group"
                 and abs(n["left"] - column["left"]) < 1 and abs(n["right"] - column["right"]) < 1
                 and n["bottom"] - n["top"] > 48]
        found = layout_problems(state) + [
            f"something runs out of card {c}" for c in page.evaluate(
                OVERFLOW_PIXELS, [base64.b64encode(shot).decode(), cards, body["top"], body["bottom"]])]
        if found:
            path = screenshot(page, f"FAILED-text-scale-{name}-{step}")
            problems += [f"{p} (see {path.name})" for p in found]
        seen |= {(n["role"], n["name"]) for n in state["nodes"] if reachable(n, body, state["nodes"])}
        # The wheel over the body's left margin scrolls the screen, not a text field in it.
        page.mouse.move(body["left"] + 2, (body["top"] + body["bottom"]) / 2)
        page.mouse.wheel(0, body["bottom"] - body["top"] - 150)
        after = settled(page)
        if after == state:
            return problems, seen
        state = after
    raise AssertionError(f"{name}: still scrolling after 60 screens")


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("route", list(SCREENS))
def test_every_screen_at_twice_the_text_size(app_with_reading, contexts, route, viewport):
    landmark, main_text, controls = SCREENS[route]
    normal = open_page(contexts(viewport, 1.0), app_with_reading + route, landmark)
    normal_height = main_text_height(normal, main_text)

    page = open_page(contexts(viewport, 2.0), app_with_reading + route, landmark)
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "32px"
    large_height = main_text_height(page, main_text)
    assert large_height >= 1.5 * normal_height, (
        f"the main text {main_text!r} is {large_height:.0f} px tall at twice the text size, "
        f"{normal_height:.0f} px normally: the text did not scale")

    problems, seen = scroll_through(page, f"{viewport}{route.replace('/', '-')}")
    assert not problems, f"{route} at twice the text size ({viewport}):\n" + "\n".join(problems)
    missing = [f"{role} {name!r}" for role, name in controls + EVERYWHERE[viewport]
               if not any(r == role and name in n for r, n in seen)]
    assert not missing, (f"{route} at twice the text size ({viewport}): never visible and whole while "
                         f"scrolling through: {', '.join(missing)}")
