"""Regenerate docs/screenshots/: every screen at phone (390×844) and desktop (1280×800) size, in
the light and the dark theme, from a demo member with ten days of history whose morning today is
finished: the introduction's three screens, Today, each morning step (Read & record, Board,
Action) and the celebration (Done), the evening, progress, the vision board and settings (its
top, and its Reminders section).

    .venv/bin/python scripts/screenshots.py                    # all of them
    .venv/bin/python scripts/screenshots.py settings settings-reminders   # only these

Each picture is taken once the screen has settled (two identical frames in a row), so
animations such as the celebration's are caught at their end, not halfway."""

from __future__ import annotations

import base64
import os
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots"
# file name → (route, buttons to press there first, in order; "@id": scroll the node with that
# semantics identifier to the top instead)
SCREENS = {
    "welcome-1": ("/welcome", []),
    "welcome-2": ("/welcome", ["Next"]),
    "welcome-3": ("/welcome", ["Next", "Keep these and go on"]),
    "home": ("/", []),
    "morning-record": ("/morning?step=record", []),
    "morning-board": ("/morning?step=board", []),
    "morning-action": ("/morning?step=action", []),
    "morning-done": ("/morning?step=done", []),
    "evening": ("/evening", []),
    "progress": ("/progress", []),
    "vision-board": ("/vision-board", []),
    "settings": ("/settings", []),
    "settings-reminders": ("/settings", ["@settings-reminders"]),
}
SIZES = {"phone": (390, 844), "desktop": (1280, 800)}
NOW = datetime(2026, 6, 18, 5, 40, tzinfo=timezone.utc)  # 07:40 in Berlin


def png(width: int, height: int, top: tuple, bottom: tuple) -> bytes:
    """A vertical gradient as a PNG, standing in for a member's photo."""
    rows = b""
    for y in range(height):
        t = y / (height - 1)
        pixel = bytes(int(a + (b - a) * t) for a, b in zip(top, bottom))
        rows += b"\0" + pixel * width
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def seed(data_dir: Path, theme: str) -> None:
    os.environ["CHRIS_APP_DATA_DIR"] = str(data_dir)
    from chris_app.paths import database_path
    from chris_app.services import day, recordings, vision_board
    from chris_app.services.introduction import mark_introduced
    from chris_app.services.profile import ensure_profile, update_settings
    from chris_app.store import open_store
    from tests.conftest import wav_bytes

    store = open_store(database_path())
    start = NOW - timedelta(days=10)
    ensure_profile(store, start, "Europe/Berlin")
    for offset in range(10):
        if offset in (3, 7):
            continue  # two missed days
        morning = start + timedelta(days=offset)
        recordings.import_audio_file(store, morning, "reading.wav", wav_bytes(21))
        day.mark_vision_board_viewed(store, morning)
        day.set_action(store, morning, "Call three prospects before noon")
        day.save_evening(store, morning + timedelta(hours=14), action_completed=offset % 3 != 0,
                         discipline_rating=5 + offset % 5, biggest_win="Made the call I was avoiding")
    colours = [((255, 140, 60), (120, 40, 20)), ((60, 140, 255), (10, 30, 90)), ((90, 200, 120), (20, 80, 40)),
               ((240, 200, 80), (150, 90, 20))]
    # today: the morning finished a few minutes ago (the celebration's day)
    today = NOW - timedelta(minutes=10)
    recordings.import_audio_file(store, today, "reading.wav", wav_bytes(21))
    day.mark_vision_board_viewed(store, today)
    day.set_action(store, today, "Pitch the new offer to two former clients")
    for position, (top, bottom) in enumerate(colours, start=1):
        vision_board.set_tile(store, start, position, png(96, 96, top, bottom),
                              ["Cabin by the lake", "Run a marathon", "Healthy family", "Own business"][position - 1])
    update_settings(store, start, theme=theme)
    mark_introduced(store, start)
    store.close()


# How many colours (up to 64) a PNG has: the page before the screen is drawn has a handful.
COLOURS = """async png => {
  const bytes = Uint8Array.from(atob(png), c => c.charCodeAt(0));
  const bitmap = await createImageBitmap(new Blob([bytes], {type: 'image/png'}));
  const g = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d', {willReadFrequently: true});
  g.drawImage(bitmap, 0, 0);
  const d = g.getImageData(0, 0, bitmap.width, bitmap.height).data, seen = new Set();
  for (let i = 0; i < d.length && seen.size < 64; i += 4) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
  return seen.size;
}"""


def settled(page, timeout: float = 60.0) -> bytes:
    """A screenshot once two in a row are the same and the screen is drawn (many colours: the
    page before it, or Flet's "Working..." page, has a handful)."""
    deadline = time.monotonic() + timeout
    last = b""
    while True:
        shot = page.screenshot(timeout=90_000)
        if shot == last and page.evaluate(COLOURS, base64.b64encode(shot).decode()) >= 64:
            return shot
        if time.monotonic() > deadline:
            return shot  # still moving (a level meter, a progress ring): the last frame will do
        last = shot
        time.sleep(0.3)


def scroll_to(page, identifier: str) -> None:
    """Scroll with the mouse wheel (as a person would) until the node is just under the app bar,
    or as far as the screen goes."""
    node = page.locator(f'[flt-semantics-identifier="{identifier}"]')
    node.wait_for(state="attached", timeout=30_000)
    size = page.viewport_size
    page.mouse.move(size["width"] / 2, size["height"] / 2)
    last = None
    for _ in range(30):
        top = node.bounding_box()["y"]
        if abs(top - 72) < 4 or top == last:
            break
        last = top
        page.mouse.wheel(0, top - 72)
        time.sleep(0.4)
    page.mouse.move(2, 40)  # off the controls: no hover highlight in the picture


def main(only: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, free_port, stop_process, wait_until_served

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for theme in ("light", "dark"):
            data_dir = Path(tmp) / theme
            subprocess.run([sys.executable, __file__, "--seed", str(data_dir), theme], check=True)
            port = free_port()
            env = {**os.environ, "CHRIS_APP_DATA_DIR": str(data_dir), "TZ": "Europe/Berlin",
                   "CHRIS_APP_NOW": NOW.isoformat()}
            app = subprocess.Popen([sys.executable, "-m", "chris_app", "--web", "--port", str(port)], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_until_served(f"http://127.0.0.1:{port}/", app)
                for size, (width, height) in SIZES.items():
                    for name, (route, presses) in SCREENS.items():
                        if only and name not in only:
                            continue
                        page = browser.new_page(viewport={"width": width, "height": height})
                        page.goto(f"http://127.0.0.1:{port}{route}")
                        page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
                        page.eval_on_selector("flt-semantics-placeholder", "e => e.click()")
                        page.wait_for_selector("flt-semantics-host flt-semantics", timeout=30_000)
                        for button in presses:
                            if button.startswith("@"):
                                scroll_to(page, button[1:])
                            else:
                                page.get_by_role("button", name=button, exact=True).click(timeout=30_000)
                        (OUT / f"{name}-{size}-{theme}.png").write_bytes(settled(page))
                        page.close()
            finally:
                stop_process(app)
        browser.close()
    print(f"{OUT.relative_to(ROOT)} holds {len(list(OUT.glob('*.png')))} screenshots")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--seed":
        seed(Path(sys.argv[2]), sys.argv[3])
    else:
        unknown = [name for name in sys.argv[1:] if name not in SCREENS]
        if unknown:
            sys.exit(f"no such screen: {', '.join(unknown)} (known: {', '.join(SCREENS)})")
        main(sys.argv[1:])
