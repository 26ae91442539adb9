"""The read-aloud check in the real app (web build, Chromium), against the fake Supabase of
test_account.py: a guest is told it needs an account; a signed-in member turns it on in Settings
(off by default, the consent line naming OpenAI), saves a reading, and sees how much of their
affirmations they read and how fast; a refusal of the server is a sentence that leaves the
morning going on."""

from __future__ import annotations

import base64
import sqlite3

import pytest

from chris_app.domain.read_aloud import ReadAloudCheck, describe, words
from tests.browser.conftest import DESKTOP, has_text, wait_for_text
from tests.browser.test_account import ANON_KEY, TOKEN, USER, go, sign_in_and_carry, supabase  # noqa: F401 (a fixture)
from tests.browser.test_settings_reminders import flip, wait_switch, wait_until
from tests.conftest import wav_bytes

pytestmark = pytest.mark.browser

SWITCH = "Check my reading with AI"


def query(data_dir, sql: str, *args):
    with sqlite3.connect(data_dir / "chris.sqlite3") as conn:
        return conn.execute(sql, args).fetchall()


def flag(data_dir) -> list:
    return query(data_dir, "select value from device_flags where name = 'read_aloud_check'")


def active_lines(data_dir) -> list[str]:
    [(content,)] = query(data_dir, "select content from affirmations where is_active = 1")
    return [line.strip() for line in content.splitlines() if line.strip()]


def test_a_member_turns_the_check_on_and_sees_how_much_of_their_affirmations_they_read(
        supabase, app_process, open_app, tmp_path):
    server, calls, url, functions = supabase
    data_dir = tmp_path / "data"
    sent = []

    def transcribe(body):
        sent.append(base64.b64decode(body["audio"], validate=True))
        lines = active_lines(data_dir)
        return 200, {"text": " ".join(lines[:-1]), "duration_s": 21.0}  # the last line skipped

    functions["transcribe-reading"] = transcribe
    base = app_process.start(env={"SUPABASE_URL": url, "SUPABASE_ANON_KEY": ANON_KEY})
    page = open_app("/settings", viewport=DESKTOP, base_url=base)
    wait_for_text(page, "Sign in to have your readings checked")  # a guest: no switch
    assert not has_text(page, SWITCH)

    sign_in_and_carry(page, base)
    go(page, base, "/settings")
    wait_for_text(page, "Sends your reading to our AI provider (OpenAI) to be transcribed")
    wait_for_text(page, "Your choice is kept on this device only.")
    flip(page, SWITCH, True)  # off by default
    # the switch moves on screen at the tap; the app stores the choice when its event arrives
    wait_until(lambda: flag(data_dir) == [(USER,)], "the check's switch stored on", state=lambda: flag(data_dir))

    reading = tmp_path / "reading.wav"
    reading.write_bytes(wav_bytes(21))
    go(page, base, "/morning")
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Attach a file").click()
    chooser.value.set_files(reading)
    wait_for_text(page, "Reading saved (21 s)", timeout=60)  # encoded and measured: slow on a loaded machine

    [(rid, path, speaking_ms)] = query(data_dir, "select id, path, speaking_ms from recordings")
    lines = active_lines(data_dir)
    expected = describe(ReadAloudCheck(len(words(" ".join(lines[:-1]))) / len(words(" ".join(lines))),
                        len(words(" ".join(lines[:-1]))) * 60 / (speaking_ms / 1000)))
    assert expected.startswith("You read ") and not expected.startswith("You read 100 %")
    wait_for_text(page, expected, timeout=60)
    assert sent == [open(path, "rb").read()]  # the saved Ogg/Opus file, as saved
    [headers] = [h for p, h, _ in calls if p == "/functions/v1/transcribe-reading"]
    assert headers["Authorization"] == f"Bearer {TOKEN}" and headers["apikey"] == ANON_KEY
    [(coverage, wpm)] = query(data_dir, "select read_coverage, words_per_minute from recordings where id = ?", rid)
    assert coverage is not None and 0 < coverage < 1 and wpm > 0  # stored with the reading

    # Turned off: no check under a new reading, and the server is not called.
    go(page, base, "/settings")
    wait_switch(page, SWITCH, True)
    flip(page, SWITCH, False)
    wait_until(lambda: flag(data_dir) == [], "the check's switch stored off", state=lambda: flag(data_dir))
    flip(page, SWITCH, True)
    wait_until(lambda: flag(data_dir) == [(USER,)], "the check's switch stored on again", state=lambda: flag(data_dir))

    # A refusal (the day's quota used up) is one sentence; the morning goes on.
    functions["transcribe-reading"] = lambda body: (429, {"error": {
        "code": "quota_exceeded", "message": "You have used today's 10 AI requests for this feature. More tomorrow."}})
    go(page, base, "/morning?step=record")
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Attach a file").click()
    chooser.value.set_files(reading)
    wait_for_text(page, "Your reading could not be checked: You have used today's 10 AI requests for this feature."
                        " More tomorrow. Your morning is saved.", timeout=60)
    assert page.get_by_role("button", name="Try the check again").is_visible()
    page.get_by_role("button", name="Next: your board").click()
    wait_for_text(page, "Your board is empty")
