"""The vision board editor as a board, through the real UI in Chromium: a tap on an empty
place adds an image there, a tap on an image opens its dialog (caption, replace, move,
remove), and the grid is 2 columns × 4 rows on a phone and 4 × 2 on a desktop."""

from __future__ import annotations

import base64
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pytest

from chris_app.services import vision_board
from chris_app.services.profile import ensure_profile, update_settings
from chris_app.store import open_store
from tests.browser.conftest import DESKTOP, PHONE, has_text, nav, poll, screenshot, type_into, wait_for_text
from tests.conftest import MORNING

pytestmark = pytest.mark.browser


def png(width: int, height: int, top: tuple, bottom: tuple) -> bytes:
    """A real PNG: a vertical gradient from `top` to `bottom` (RGB)."""
    rows = b""
    for y in range(height):
        t = y / max(height - 1, 1)
        rows += b"\0" + bytes(int(a + (b - a) * t) for a, b in zip(top, bottom)) * width

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


WHITE = png(80, 60, (255, 255, 255), (255, 255, 255))
ORANGE = png(80, 60, (255, 140, 60), (120, 40, 20))
BLUE = png(80, 60, (60, 140, 255), (10, 30, 90))


def seed(data_dir: Path, tiles: dict[int, tuple[bytes, str | None]], theme: str = "light") -> None:
    """A member's board, written through the services before the app starts."""
    store = open_store(data_dir / "chris.sqlite3")
    try:
        ensure_profile(store, MORNING, "Europe/Berlin")
        for position, (image, caption) in tiles.items():
            vision_board.set_tile(store, MORNING, position, image, caption)
        update_settings(store, MORNING, theme=theme)
    finally:
        store.close()


def board(data_dir: Path) -> dict[int, tuple[str, bytes, str | None]]:
    """What the device holds now: position → (id, image bytes, caption)."""
    store = open_store(data_dir / "chris.sqlite3")
    try:
        return {t.position: (t.id, t.image_path.read_bytes(), t.caption) for t in vision_board.tiles(store)}
    finally:
        store.close()


def open_board(app_process, open_app, tiles=None, viewport=DESKTOP, theme="light"):
    seed(app_process.data_dir, tiles or {}, theme)
    page = open_app("/vision-board", viewport=viewport, base_url=app_process.start())
    page.locator('[flt-semantics-identifier="tile-1"]').wait_for(state="attached", timeout=30_000)
    return page


def tile(page, position: int):
    return page.locator(f'[flt-semantics-identifier="tile-{position}"]')


def boxes(page) -> dict[int, dict]:
    return {p: tile(page, p).bounding_box() for p in range(1, 9)}


# The rendered screenshot, decoded by the browser itself: RGB of the rectangle asked for.
PIXELS = """async ([b64, x, y, w, h]) => {
  const img = new Image();
  img.src = 'data:image/png;base64,' + b64;
  await img.decode();
  const c = document.createElement('canvas');
  c.width = img.width; c.height = img.height;
  const g = c.getContext('2d');
  g.drawImage(img, 0, 0);
  return Array.from(g.getImageData(x, y, w, h).data);
}"""


def luminance(rgb: np.ndarray) -> np.ndarray:
    c = rgb / 255.0
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return c @ np.array([0.2126, 0.7152, 0.0722])


def region(page, shot: str, x: float, y: float, w: float, h: float) -> np.ndarray:
    """RGB pixels of a rectangle of a screenshot, as an (n, 3) array."""
    rect = [round(x), round(y), round(w), round(h)]
    return np.array(page.evaluate(PIXELS, [shot, *rect]), dtype=float).reshape(-1, 4)[:, :3]


def wait_painted(page, position: int) -> None:
    """Wait until a coloured image shows in the tile (the first frame can come after the
    accessibility tree), so a screenshot shows what a member sees."""
    deadline = time.monotonic() + 20
    while True:
        b = tile(page, position).bounding_box()
        shot = base64.b64encode(page.screenshot()).decode()
        if region(page, shot, b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, 4, 4).min() < 200:
            return
        assert time.monotonic() < deadline, f"tile {position} never showed its image"
        time.sleep(0.2)


def test_a_tap_on_an_empty_place_adds_an_image_there(app_process, open_app, tmp_path):
    image = tmp_path / "cabin.png"
    image.write_bytes(ORANGE)
    page = open_board(app_process, open_app)
    wait_for_text(page, "Your board is empty")
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Tile 3: empty").click()
    chooser.value.set_files(image)
    wait_for_text(page, "Tile 3: no caption")
    wait_for_text(page, "1 of 8 images")
    assert has_text(page, "Tile 1: empty") and has_text(page, "Tile 8: empty")
    saved = board(app_process.data_dir)
    assert list(saved) == [3] and saved[3][1] == ORANGE


def test_a_file_that_is_not_an_image_is_refused_and_the_board_keeps_what_it_had(app_process, open_app, tmp_path):
    fake = tmp_path / "notes.png"
    fake.write_bytes(b"this is text, not an image")
    page = open_board(app_process, open_app, {1: (BLUE, "Run a marathon")})
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Tile 2: empty").click()
    chooser.value.set_files(fake)
    wait_for_text(page, "Tile 2: Choose a PNG, JPEG, GIF or WebP image.")

    tile(page, 1).click()  # replacing an image with a non-image keeps the old one
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Replace image").click()
    chooser.value.set_files(fake)
    wait_for_text(page, "Choose a PNG, JPEG, GIF or WebP image.")
    saved = board(app_process.data_dir)
    assert list(saved) == [1] and saved[1][1:] == (BLUE, "Run a marathon")


def test_a_caption_is_written_in_the_tiles_dialog_and_shown_on_the_board(app_process, open_app):
    page = open_board(app_process, open_app, {2: (ORANGE, None)})
    page.get_by_role("button", name="Tile 2: no caption").click()
    wait_for_text(page, "Move to")
    type_into(page, "Caption", "Cabin by the lake")
    page.get_by_role("button", name="Save").click()
    wait_for_text(page, "Tile 2: Cabin by the lake")
    assert board(app_process.data_dir)[2][2] == "Cabin by the lake"


def test_a_caption_too_long_is_refused_with_a_message_and_the_typed_text_stays(app_process, open_app):
    page = open_board(app_process, open_app, {1: (ORANGE, "Cabin")})
    tile(page, 1).click()
    long = "I wake before the sun " * 7  # 154 characters
    type_into(page, "Caption", long)
    page.get_by_role("button", name="Save").click()
    wait_for_text(page, "Keep the caption to 140 characters or fewer.")
    field = page.get_by_role("textbox", name="Caption")
    assert field.input_value() == long  # nothing the member typed is lost
    assert board(app_process.data_dir)[1][2] == "Cabin"


def test_a_tile_moved_to_an_empty_place_goes_there_and_leaves_its_place_empty(app_process, open_app):
    page = open_board(app_process, open_app, {1: (ORANGE, "Cabin"), 2: (BLUE, "Marathon")})
    before = board(app_process.data_dir)
    tile(page, 1).click()
    page.get_by_role("button", name="Move to position 6").click()
    wait_for_text(page, "Position 6, here now")  # the dialog follows the image
    page.get_by_role("button", name="Cancel").click()
    wait_for_text(page, "Tile 6: Cabin")
    wait_for_text(page, "Tile 1: empty")
    after = board(app_process.data_dir)
    assert sorted(after) == [2, 6]
    assert after[6][1:] == (ORANGE, "Cabin") and after[2] == before[2]
    assert after[6][0] != before[1][0]  # a new id at the new place, so sync sees a tombstone at 1


def test_a_tile_moved_onto_another_image_swaps_the_two(app_process, open_app):
    page = open_board(app_process, open_app, {1: (ORANGE, "Cabin"), 2: (BLUE, "Marathon")})
    tile(page, 1).click()
    page.get_by_role("button", name="Move to position 2").click()
    wait_for_text(page, "Position 2, here now")
    page.keyboard.press("Escape")
    wait_for_text(page, "Tile 2: Cabin")
    wait_for_text(page, "Tile 1: Marathon")
    after = board(app_process.data_dir)
    assert after[1][1:] == (BLUE, "Marathon") and after[2][1:] == (ORANGE, "Cabin")


def test_an_image_removed_leaves_an_empty_place_and_undo_brings_it_back(app_process, open_app):
    page = open_board(app_process, open_app, {4: (ORANGE, "Cabin")})
    files = list((app_process.data_dir / "files" / "vision").iterdir())
    assert len(files) == 1
    page.get_by_role("button", name="Tile 4: Cabin").click()
    page.get_by_role("button", name="Remove image").click()
    wait_for_text(page, "Tile 4: empty")
    wait_for_text(page, "Your board is empty")
    wait_for_text(page, "Image removed from tile 4.")
    assert board(app_process.data_dir) == {} and not files[0].exists()

    page.get_by_role("button", name="Undo").click()
    wait_for_text(page, "Tile 4: Cabin")
    assert not has_text(page, "Image removed from tile 4.")
    assert {p: v[1:] for p, v in board(app_process.data_dir).items()} == {4: (ORANGE, "Cabin")}


FULL = {p: (ORANGE if p % 2 else BLUE, f"Dream {p}") for p in range(1, 9)}


def columns_and_rows(page) -> tuple[list[float], list[float]]:
    found = boxes(page)
    xs = sorted({round(b["x"]) for b in found.values()})
    ys = sorted({round(b["y"]) for b in found.values()})
    return xs, ys


def test_the_board_is_two_columns_by_four_rows_on_a_phone_and_all_of_it_in_view(app_process, open_app):
    page = open_board(app_process, open_app, FULL, viewport=PHONE)
    poll(page, "() => document.querySelectorAll('[flt-semantics-identifier^=\"tile-\"]').length === 8", "8 tiles")
    xs, ys = columns_and_rows(page)
    assert len(xs) == 2 and len(ys) == 4, (xs, ys)
    found = boxes(page)
    for p, b in found.items():  # reading order: left to right, then down
        assert (round(b["x"]), round(b["y"])) == (xs[(p - 1) % 2], ys[(p - 1) // 2])
        assert b["width"] > 150 and b["width"] / b["height"] == pytest.approx(4 / 3, rel=0.02)
    nav_top = nav(page, "Today").bounding_box()["y"]
    assert max(b["y"] + b["height"] for b in found.values()) <= nav_top  # all eight at a glance
    wait_painted(page, 1)
    screenshot(page, "board-phone-full")


def test_the_board_is_four_columns_by_two_rows_on_a_desktop(app_process, open_app):
    page = open_board(app_process, open_app, FULL, viewport=DESKTOP)
    poll(page, "() => document.querySelectorAll('[flt-semantics-identifier^=\"tile-\"]').length === 8", "8 tiles")
    xs, ys = columns_and_rows(page)
    assert len(xs) == 4 and len(ys) == 2, (xs, ys)
    for p, b in boxes(page).items():
        assert (round(b["x"]), round(b["y"])) == (xs[(p - 1) % 4], ys[(p - 1) // 4])
        assert b["width"] > 150 and b["width"] == pytest.approx(b["height"], rel=0.02)  # squares fit here
    assert max(b["y"] + b["height"] for b in boxes(page).values()) <= DESKTOP["height"]  # all eight in view
    wait_painted(page, 1)
    screenshot(page, "board-desktop-full")


def caption_contrast(page, position: int) -> float | None:
    """The contrast of a tile's caption line (its bottom 30 px) against what is behind it,
    from one screenshot of a white image; None until the screenshot shows the tile painted
    (the image pure white above the caption, the dark position badge in its corner) where its
    accessibility node says it is."""
    before = tile(page, position).bounding_box()
    shot = base64.b64encode(page.screenshot()).decode()
    b = tile(page, position).bounding_box()
    if b != before:
        return None
    image = region(page, shot, b["x"] + 8, b["y"] + b["height"] / 2, b["width"] - 16, 4)
    badge = luminance(region(page, shot, b["x"] + 6, b["y"] + 6, 26, 26))
    if image.min() < 254 or badge.min() > 0.3:
        return None
    lum = luminance(region(page, shot, b["x"] + 8, b["y"] + b["height"] - 30, b["width"] - 16, 24))
    assert (lum > 0.8).mean() > 0.02, "no caption text found in the strip"
    return (lum.max() + 0.05) / (np.median(lum) + 0.05)  # brightest: text; most of the strip: scrim


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_caption_on_a_white_image_keeps_at_least_4_5_to_1_contrast(app_process, open_app, theme):
    page = open_board(app_process, open_app, {1: (WHITE, "Wake before the sun")}, viewport=PHONE, theme=theme)
    wait_for_text(page, "1 of 8 images")
    # Images decode after the tile is laid out and the layout may still settle: measure until
    # a screenshot shows the image in place, for at most 20 s.
    deadline = time.monotonic() + 20
    while (ratio := caption_contrast(page, 1)) is None or ratio < 4.5:
        if time.monotonic() > deadline:
            screenshot(page, f"FAILED-board-caption-on-white-{theme}")
            raise AssertionError(f"caption contrast {ratio and round(ratio, 2)}:1, at least 4.5:1 wanted")
        time.sleep(0.3)
    screenshot(page, f"board-caption-on-white-{theme}")


def drag(page, start: int, to: int) -> None:
    """Drag with the mouse from one tile's centre to another's, in small steps like a hand."""
    a, b = tile(page, start).bounding_box(), tile(page, to).bounding_box()
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(a["x"] + a["width"] / 2 + 20, a["y"] + a["height"] / 2 + 10, steps=5)
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=20)
    page.mouse.up()


def test_on_a_desktop_an_image_dragged_onto_another_place_moves_there(app_process, open_app):
    page = open_board(app_process, open_app, {1: (ORANGE, "Cabin"), 2: (BLUE, "Marathon")})
    wait_for_text(page, "Tile 2: Marathon")
    drag(page, 1, 7)  # to an empty place
    wait_for_text(page, "Tile 7: Cabin")
    wait_for_text(page, "Tile 1: empty")
    drag(page, 2, 7)  # onto an image: the two swap
    wait_for_text(page, "Tile 7: Marathon")
    wait_for_text(page, "Tile 2: Cabin")
    after = board(app_process.data_dir)
    assert {p: v[1:] for p, v in after.items()} == {2: (ORANGE, "Cabin"), 7: (BLUE, "Marathon")}
    assert not has_text(page, "Move to")  # a drag is not a tap: no dialog opened
