"""Recording a reading through the real UI, with headless Chromium's fake microphone playing
espeak-ng speech (the same path the web build takes on a member's browser)."""

import re
import time

import pytest
import soundfile

from tests.audio.conftest import synthesize_speech
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, label_of, screenshot, wait_for_text

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def mic_browser(playwright):
    speech = synthesize_speech(40)
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + [
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={speech}",
    ])
    yield browser
    browser.close()


def open_morning(browser, app_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, permissions=["microphone"])
    page = context.new_page()
    page.goto(app_url + "/morning")
    page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
    page.eval_on_selector("flt-semantics-placeholder", "e => e.click()")
    page.get_by_role("button", name="Start recording").wait_for(timeout=30_000)
    return page


def playback_id(page) -> str:
    return page.locator('[flt-semantics-identifier^="playback-"]').first.get_attribute("flt-semantics-identifier")


def record(page, seconds: float) -> str:
    page.get_by_role("button", name="Start recording").click()
    wait_for_text(page, "Recording 0:0")
    time.sleep(seconds)
    status = label_of(page, "recorder-status")
    page.get_by_role("button", name="Stop and save").click()
    return status


def affirmation_number(page) -> int:
    return int(re.search(r"Affirmation (\d+) of", label_of(page, "teleprompter")).group(1))


def test_a_reading_recorded_from_the_browser_microphone_completes_the_morning(mic_browser, app_url, tmp_path):
    page = open_morning(mic_browser, app_url)
    page.get_by_role("button", name="Start recording").click()
    wait_for_text(page, "Recording 0:0")
    # The teleprompter: one affirmation at a time; a tap on the text or on "Next" moves on.
    first = affirmation_number(page)
    page.locator('[flt-semantics-identifier="teleprompter"]').click()
    deadline = time.monotonic() + 5
    while affirmation_number(page) == first:
        assert time.monotonic() < deadline, "a tap on the affirmation did not move on"
        time.sleep(0.1)
    second = affirmation_number(page)
    page.get_by_role("button", name="Next affirmation").click()
    while affirmation_number(page) == second:
        assert time.monotonic() < deadline + 5, "the Next button did not move on"
        time.sleep(0.1)
    wait_for_text(page, "Minimum reached", timeout=40)
    time.sleep(1)  # a little past the minimum, as a member would
    status = label_of(page, "recorder-status")
    page.get_by_role("button", name="Stop and save").click()
    assert "of at least 0:20" in status
    level = float(re.search(r"level (-?\d+) dBFS", status).group(1))
    assert level > -50, f"the level meter showed {level} dBFS while speech was playing"
    wait_for_text(page, "Reading saved (", timeout=60)
    screenshot(page, "morning-recorded")
    files = list((tmp_path / "data" / "files" / "recordings").glob("*.ogg"))
    assert len(files) == 1
    info = soundfile.info(files[0])
    assert (info.format, info.subtype) == ("OGG", "OPUS")
    assert 20 <= info.duration <= 26
    seconds = int(re.search(r"Reading saved \((\d+) s\)", label_of(page, "recording")).group(1))
    assert abs(seconds - info.duration) <= 1
    # The reading's metrics, measured from the saved take: espeak's speech has pauses between
    # sentences, so the speaking time is shorter than the duration but most of it.
    wait_for_text(page, "speaking time", timeout=30)
    metrics = re.search(r"Duration (\d+):(\d\d), speaking time (\d+):(\d\d), loudness (-?\d+) dBFS",
                        label_of(page, "reading-metrics"))
    duration, speaking = int(metrics[1]) * 60 + int(metrics[2]), int(metrics[3]) * 60 + int(metrics[4])
    assert abs(duration - info.duration) <= 1
    assert 0.5 * duration <= speaking < duration
    assert -45 < int(metrics[5]) < 0
    page.get_by_role("button", name="Record again").wait_for()  # re-record stays one tap away

    # ...and hears it back from /recordings.
    page.goto(app_url + "/recordings")  # a new page load: the morning's player is gone
    page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
    page.eval_on_selector("flt-semantics-placeholder", "e => e.click()")
    play = page.get_by_role("button", name=re.compile("^Play reading of"))
    play.click()
    wait_for_text(page, "playing 0:0", timeout=20)
    deadline = time.monotonic() + 20
    while not re.search(r"playing 0:0[2-9]", label_of(page, playback_id(page))):
        assert time.monotonic() < deadline, "playback position did not advance"
        time.sleep(0.3)
    page.get_by_role("button", name=re.compile("^Pause reading of")).click()
    wait_for_text(page, "paused 0:0", timeout=10)


def test_a_take_shorter_than_the_minimum_is_refused_in_the_browser(mic_browser, app_url, tmp_path):
    page = open_morning(mic_browser, app_url)
    record(page, 4)
    wait_for_text(page, "at least 20 seconds", timeout=30)
    assert "Not recorded yet" in label_of(page, "recording")
    assert not list((tmp_path / "data" / "files" / "recordings").glob("*.ogg"))


def test_a_reading_whose_tab_is_closed_mid_take_is_saved_by_the_app(mic_browser, app_url, tmp_path):
    """The member closes the tab while reading: the stream stops arriving, the app stops the
    take itself and keeps what was read (as desktop does when the microphone goes away)."""
    page = open_morning(mic_browser, app_url)
    clicked = time.monotonic()
    page.get_by_role("button", name="Start recording").click()
    wait_for_text(page, "Recording 0:0")
    time.sleep(23)
    page.context.close()
    # What can have arrived: at most from the click until the tab was gone (a loaded machine
    # takes seconds to close it), plus one chunk.
    longest = time.monotonic() - clicked + 1
    folder = tmp_path / "data" / "files" / "recordings"
    deadline = time.monotonic() + 60
    while not (saved := list(folder.glob("????-??-??-*.ogg"))):
        assert time.monotonic() < deadline, f"nothing saved after the tab closed: {sorted(folder.iterdir())}"
        time.sleep(0.5)
    info = soundfile.info(saved[0])
    assert (info.format, info.subtype) == ("OGG", "OPUS")
    assert 20 <= info.duration <= longest, (info.duration, longest)
    deadline = time.monotonic() + 10
    while list(folder.glob("stream-*")):  # the spool goes once the reading is in
        assert time.monotonic() < deadline, sorted(folder.iterdir())
        time.sleep(0.2)
