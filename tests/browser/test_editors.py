"""The vision board and affirmations editors through the real UI."""

import pytest

from tests.browser.conftest import DESKTOP, label_of, screenshot, type_into, wait_for_text

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
        page.get_by_role("button", name="Choose image 2").click()
    chooser.value.set_files(image)
    wait_for_text(page, "Vision board image 2")  # the image's label until it has a caption

    type_into(page, "Caption 2", "Cabin by the lake")
    page.get_by_role("button", name="Save caption 2").click()
    page.get_by_role("tab", name="Morning").click()
    wait_for_text(page, "Cabin by the lake")  # the morning shows the board with its caption
    screenshot(page, "vision-board-on-morning")

    page.get_by_role("tab", name="Board").click()
    page.get_by_role("button", name="Remove image 2").click()
    page.get_by_role("tab", name="Morning").click()
    wait_for_text(page, "Your board is empty")


def test_a_file_that_is_not_an_image_is_refused_on_the_board(open_app, tmp_path):
    fake = tmp_path / "notes.png"
    fake.write_bytes(b"this is text, not an image")
    page = open_app("/vision-board", viewport=DESKTOP)
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Choose image 1").click()
    chooser.value.set_files(fake)
    wait_for_text(page, "Choose a PNG, JPEG, GIF or WebP image.")


def test_affirmations_are_saved_as_a_new_version_and_an_old_one_restored(open_app):
    page = open_app("/affirmations", viewport=DESKTOP)
    wait_for_text(page, "Active: version 1")
    type_into(page, "Your affirmations", "I finish what I start.")
    page.get_by_role("button", name="Save as new version").click()
    wait_for_text(page, "Active: version 2")
    page.get_by_role("tab", name="Morning").click()
    wait_for_text(page, "Read aloud (version 2)")
    wait_for_text(page, "I finish what I start.")

    page.get_by_role("button", name="Edit affirmations").click()
    page.get_by_role("button", name="Restore version 1").click()
    wait_for_text(page, "Active: version 3")
    page.get_by_role("tab", name="Morning").click()
    wait_for_text(page, "Read aloud (version 3)")
    wait_for_text(page, "I keep the promises I make to myself.")
