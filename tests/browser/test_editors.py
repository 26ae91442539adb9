"""The vision board and affirmations editors through the real UI."""

import pytest

from tests.browser.conftest import DESKTOP, nav, screenshot, type_into, wait_for_text

pytestmark = pytest.mark.browser

# A real 2×2 PNG (red, green / blue, white).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000020000000208020000"
    "00fdd49a730000001649444154789c63f8cfc0f01f0418fe0310ff07"
    "0000fb1505fe1bd5bb3e0000000049454e44ae426082"
)


def test_a_vision_board_image_is_added_captioned_and_removed(open_app, tmp_path):
    image = tmp_path / "cabin.png"
    image.write_bytes(PNG)
    page = open_app("/vision-board", viewport=DESKTOP)
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Tile 2: empty").click()
    chooser.value.set_files(image)
    wait_for_text(page, "Tile 2: no caption")  # the image's name until it has a caption

    page.get_by_role("button", name="Tile 2: no caption").click()
    type_into(page, "Caption", "Cabin by the lake")
    page.get_by_role("button", name="Save").click()
    wait_for_text(page, "Tile 2: Cabin by the lake")
    screenshot(page, "vision-board-one-image")

    page.get_by_role("button", name="Tile 2: Cabin by the lake").click()
    page.get_by_role("button", name="Remove image").click()
    wait_for_text(page, "Tile 2: empty")
    wait_for_text(page, "Your board is empty")


def test_affirmations_are_saved_as_a_new_version_and_an_old_one_restored(open_app):
    page = open_app("/affirmations", viewport=DESKTOP)
    wait_for_text(page, "Active: version 1")
    type_into(page, "Your affirmations", "I finish what I start.")
    page.get_by_role("button", name="Save as new version").click()
    wait_for_text(page, "Active: version 2")
    nav(page, "Morning").click()
    wait_for_text(page, "Read aloud (version 2)")
    wait_for_text(page, "I finish what I start.")

    page.get_by_role("button", name="Edit affirmations").click()
    page.get_by_role("button", name="Restore version 1").click()
    wait_for_text(page, "Active: version 3")
    nav(page, "Morning").click()
    wait_for_text(page, "Read aloud (version 3)")
    wait_for_text(page, "I keep the promises I make to myself.")
