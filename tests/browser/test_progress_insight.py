"""The weekly AI insight on /progress in the real app (web build, Chromium), against the fake
Supabase of test_account.py with analyze-progress faked at its HTTP boundary: a guest is told it
needs an account; a signed-in member asks, sees the day's quota refusal as the server's
sentence, asks again and reads the summary, the insights and the focus for next week; opened
again the answer is shown without a second call. Looked at on a phone and a desktop, light and
dark, every text at least 4.5:1 measured from the pixels."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timedelta, timezone

import pytest

from chris_app.views.progress_insight import CONSENT_LINE
from tests.browser.conftest import ARTIFACTS, has_text, wait_for_text
from tests.browser.seed import seed
from tests.browser.test_accessibility import MIN_CONTRAST, measured_contrasts, settled_screenshot
from tests.browser.test_account import ANON_KEY, TOKEN, USER, go, sign_in_and_carry, supabase  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser

# Tall pages: the whole of /progress in one picture, so every text on it is measured.
PHONE = {"width": 390, "height": 2600}
DESKTOP = {"width": 1280, "height": 1900}
ASK = "Get this week's insight"
QUOTA = "You have used today's 10 AI requests for this feature. More tomorrow."
ANSWER = {
    "summary": "Eight mornings out of nine: you rarely miss, and your ratings climb as the week goes on.",
    "insights": ["Your strongest mornings come after a rated evening.",
                 "You skipped the one day after your highest rating: plan that morning the night before."],
    "focus_for_next_week": "Set tomorrow's action before you go to bed.",
    "period": {"from": "2026-11-03", "to": "2026-12-02", "days_completed": 8},
}


def kept(data_dir) -> list:
    with sqlite3.connect(data_dir / "chris.sqlite3") as conn:
        return conn.execute("select value from device_flags where name = 'progress_insight'").fetchall()


def look(page, name: str) -> None:
    """Save the settled screen and hold every text on it to the contrast minimum."""
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"{name}.png").write_bytes(settled_screenshot(page))
    low = [r for r in measured_contrasts(page) if r["ratio"] < MIN_CONTRAST]
    assert not low, f"{name}: text below {MIN_CONTRAST}:1: {low}"


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_member_asks_for_the_weekly_insight_and_sees_it_again_without_a_second_call(
        supabase, app_process, open_app, theme):
    server, calls, url, functions = supabase
    server.settings["theme"] = theme  # the member's synced choice, the same as the guest's
    # Nine days with their mornings and evenings, the last one yesterday (the real clock: the
    # fake server and its tokens run on it).
    first = datetime.now(timezone.utc).replace(hour=6, minute=0, second=0, microsecond=0) - timedelta(days=10)
    seed(app_process.data_dir, first, {n: 5 + n % 4 for n in (1, 2, 3, 5, 6, 7, 8, 9, 10)}, theme=theme)
    functions["analyze-progress"] = lambda body: (429, {"error": {"code": "quota_exceeded", "message": QUOTA}})
    base = app_process.start(env={"SUPABASE_URL": url, "SUPABASE_ANON_KEY": ANON_KEY})

    page = open_app("/progress", viewport=PHONE, base_url=base)
    wait_for_text(page, "Sign in to get a weekly insight on your progress from the AI coach.")  # a guest
    assert not has_text(page, ASK)

    sign_in_and_carry(page, base)
    go(page, base, "/progress")
    wait_for_text(page, CONSENT_LINE)
    page.get_by_role("button", name=ASK).click()
    wait_for_text(page, QUOTA, timeout=30)  # the server's sentence, nothing kept
    assert kept(app_process.data_dir) == []
    assert page.get_by_role("button", name=ASK).is_visible()  # it can be asked again

    look(page, f"progress-insight-ask-phone-{theme}")

    bodies, gate = [], threading.Event()

    def analyze(body):
        bodies.append(body)
        assert gate.wait(60), "the test never let the answer go"
        return 200, ANSWER

    functions["analyze-progress"] = analyze
    page.get_by_role("button", name=ASK).click()
    wait_for_text(page, "The AI coach is reading your last 30 days…")  # the answer held back: in progress
    assert page.get_by_role("button", name=ASK).is_disabled()
    gate.set()
    wait_for_text(page, ANSWER["summary"], timeout=30)
    for line in (*ANSWER["insights"], "Focus for next week", ANSWER["focus_for_next_week"]):
        wait_for_text(page, line)
    assert not has_text(page, QUOTA)  # the refusal is gone with the answer
    wait_for_text(page, "8 mornings completed in the last 30 days")
    assert bodies == [{}]
    asked = [h for p, h, _ in calls if p == "/functions/v1/analyze-progress"]
    assert len(asked) == 2 and all(h["Authorization"] == f"Bearer {TOKEN}" and h["apikey"] == ANON_KEY
                                   for h in asked)
    [(value,)] = kept(app_process.data_dir)
    assert f'"member": "{USER}"' in value
    look(page, f"progress-insight-phone-{theme}")

    # Opened again (another window, desktop size): the kept answer, no second call.
    desktop = open_app("/progress", viewport=DESKTOP, base_url=base)
    wait_for_text(desktop, ANSWER["summary"], timeout=30)
    assert desktop.get_by_role("button", name="Ask again").is_visible()
    look(desktop, f"progress-insight-desktop-{theme}")
    assert len([p for p, _, _ in calls if p == "/functions/v1/analyze-progress"]) == 2
