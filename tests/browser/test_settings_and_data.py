"""Settings that show, export that downloads a valid zip, wipe with a confirmation."""

import json
import time
import zipfile
import zlib

import pytest

from tests.browser.conftest import DESKTOP, label_of, nav, poll, screenshot, type_into, wait_for_text
from tests.conftest import wav_bytes

pytestmark = pytest.mark.browser


def attach_reading(page, tmp_path, seconds=21):
    reading = tmp_path / "reading.wav"
    reading.write_bytes(wav_bytes(seconds))
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Attach a file").click()
    chooser.value.set_files(reading)


def test_an_export_downloads_a_zip_with_the_days_data_and_recording(open_app, tmp_path):
    page = open_app("/morning", viewport=DESKTOP)
    attach_reading(page, tmp_path)
    wait_for_text(page, "Reading saved (21 s)")
    page.get_by_role("button", name="Settings").click()
    wait_for_text(page, "Your data")
    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("button", name="Export my data").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.startswith("chris-disciplined-export-") and saved.suffix == ".zip"
    with zipfile.ZipFile(saved) as archive:
        assert archive.testzip() is None
        data_name = next(n for n in archive.namelist() if n.endswith("/data.json"))
        data = json.loads(archive.read(data_name))
        assert any(n.endswith(".ogg") for n in archive.namelist())
    assert data["daily_sessions"][0]["morning_completed"] == 1
    assert data["figures"]["current_streak"] == 1


def test_wiping_the_device_asks_first_and_then_starts_fresh(open_app, tmp_path):
    page = open_app("/morning")
    attach_reading(page, tmp_path)
    wait_for_text(page, "Reading saved (21 s)")
    page.get_by_role("button", name="Settings").click()
    page.get_by_role("button", name="Wipe this device…").click()
    wait_for_text(page, "It cannot be undone")
    page.get_by_role("button", name="Keep my data").click()
    nav(page, "Today").click()
    assert "Current streak: 1" in label_of(page, "stat-current-streak")

    page.get_by_role("button", name="Settings").click()
    page.get_by_role("button", name="Wipe this device…").click()
    page.get_by_role("button", name="Wipe everything").click()
    wait_for_text(page, "Everything was deleted from this device")
    nav(page, "Today").click()
    assert "Current streak: 0" in label_of(page, "stat-current-streak")
    screenshot(page, "after-wipe")


def brightness(page, x=640, y=700) -> int:
    """Mean of R, G, B of one pixel of the page, read from a 1×1 PNG screenshot."""
    png = page.screenshot(clip={"x": x, "y": y, "width": 1, "height": 1})
    pos, idat = 8, b""
    while pos < len(png):  # walk the PNG chunks: length, type, data, CRC
        length = int.from_bytes(png[pos:pos + 4], "big")
        if png[pos + 4:pos + 8] == b"IDAT":
            idat += png[pos + 8:pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    return sum(raw[1:4]) // 3  # filter byte, then R, G, B


def test_choosing_the_dark_theme_changes_the_app_and_is_kept(open_app):
    page = open_app("/settings", viewport=DESKTOP)
    wait_for_text(page, "Preferences")
    assert brightness(page) > 200  # the default follows the system: light in headless Chromium
    page.get_by_role("radio", name="Dark").click()
    wait_until_dark(page, "the app did not turn dark")
    screenshot(page, "settings-dark")
    page.reload()
    page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
    page.eval_on_selector("flt-semantics-placeholder", "e => e.click()")
    wait_for_text(page, "Preferences")
    wait_until_dark(page, "the dark theme was not kept after reloading")


def wait_until_dark(page, failure: str) -> None:
    deadline = time.monotonic() + 10
    while brightness(page) > 80:
        assert time.monotonic() < deadline, failure
        time.sleep(0.2)


def test_a_new_day_start_shows_on_the_evening_screen(open_app):
    page = open_app("/settings", viewport=DESKTOP)
    wait_for_text(page, "Day starts at 03:00")
    page.get_by_role("button", name="Later day start").click()
    wait_for_text(page, "Day starts at 04:00")
    page.get_by_role("button", name="Save", exact=True).click()
    wait_for_text(page, "Saved")
    nav(page, "Evening").click()
    wait_for_text(page, "editable until 04:00 tomorrow")


def test_a_longer_minimum_reading_shows_on_the_morning_and_is_enforced(open_app, tmp_path):
    page = open_app("/settings", viewport=DESKTOP)
    type_into(page, "Shortest (seconds)", "30")
    page.keyboard.press("Enter")
    nav(page, "Morning").click()
    wait_for_text(page, "Read your affirmations aloud for at least 30 seconds.")
    attach_reading(page, tmp_path, seconds=25)
    wait_for_text(page, "at least 30 seconds")
    assert "Not recorded yet" in label_of(page, "recording")


def test_the_app_serves_its_sounds_and_font_from_the_assets_folder(app_url):
    import urllib.request

    for path, magic in (("sounds/morning-done.ogg", b"OggS"), ("sounds/day-complete.ogg", b"OggS"),
                        ("fonts/Inter.ttf", b"\x00\x01\x00\x00")):
        with urllib.request.urlopen(f"{app_url}/{path}", timeout=10) as response:
            assert response.status == 200
            assert response.read(4) == magic, path


PLAYS = """() => { window.__played = [];
    const play = HTMLMediaElement.prototype.play;
    HTMLMediaElement.prototype.play = function () { window.__played.push(this.src); return play.call(this); }; }"""


def test_turning_sound_on_plays_the_chime_and_with_sound_off_nothing_plays(open_app):
    """Every media element's play() is recorded in the page (Chromium here has no speakers
    to listen to): the chime's element plays its file from the assets folder."""
    page = open_app("/settings", viewport=DESKTOP)
    page.evaluate(PLAYS)
    wait_for_text(page, "Preferences")
    page.get_by_role("switch", name="Sound").click()  # on (the default) -> off: no sound
    poll(page, """() => [...document.querySelectorAll('flt-semantics[role="switch"]')].some(
        e => (e.getAttribute('aria-label') || '').includes('Sound') && e.getAttribute('aria-checked') === 'false')""",
         "the Sound switch turning off")
    page.get_by_role("switch", name="Sound").click()  # off -> on: the morning's chime
    poll(page, "() => window.__played.some(src => src.endsWith('/sounds/morning-done.ogg'))",
         "the chime playing", timeout=20)
    assert page.evaluate("() => window.__played.length") == 1  # turning it off played nothing
