"""Settings → Reminders in the real app (web build, Chromium): every switch saves at once, is
kept after a reload, and for a signed-in member syncs with the account (the fake Supabase of
test_account.py); the line at the top says how reminders reach the member now."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from tests.browser.conftest import DESKTOP, PHONE, has_text, label_of, poll, screenshot, wait_for_text
from tests.browser.test_account import ANON_KEY, sign_in_and_carry, supabase  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser

SWITCH_STATE = """([name, checked]) => [...document.querySelectorAll('flt-semantics[role="switch"]')].some(
    e => (e.getAttribute('aria-label') || e.textContent || '').includes(name)
         && e.getAttribute('aria-checked') === checked)"""


def switch(page, name: str):
    return page.get_by_role("switch", name=name)


def wait_switch(page, name: str, on: bool, timeout: float = 20.0) -> None:
    poll(page, f"() => ({SWITCH_STATE})({json.dumps([name, 'true' if on else 'false'])})",
         f"the {name!r} switch turning {'on' if on else 'off'}", timeout=timeout)


def flip(page, name: str, to: bool) -> None:
    wait_switch(page, name, not to)
    switch(page, name).click()
    wait_switch(page, name, to)


def stored(data_dir, *columns: str) -> tuple:
    """The device's settings as the app saved them (read from its SQLite file)."""
    with sqlite3.connect(data_dir / "chris.sqlite3") as conn:
        return conn.execute(f"select {', '.join(columns)} from settings").fetchone()


def reload(page) -> None:
    page.reload()
    page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
    page.eval_on_selector("flt-semantics-placeholder", "e => e.click()")
    wait_for_text(page, "Reminders")


def to_settings(page) -> None:
    """Settings through the app bar, as a member gets there."""
    page.get_by_role("button", name="Settings").click()
    wait_for_text(page, "Weekly progress email")


def sync_now(page) -> None:
    """Account and sync → Sync now, and back to Settings once everything is synced."""
    page.get_by_role("button", name="Account and sync").click()
    page.get_by_role("button", name="Sync now").click()
    wait_for_text(page, "Sync: Everything is synced.", timeout=30)
    to_settings(page)


def wait_until(check, what: str, timeout: float = 30.0, state=lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s {state()}"
        time.sleep(0.2)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_guest_switches_the_parts_of_the_day_and_this_device_and_they_are_kept(open_app, app_process, viewport):
    page = open_app("/settings", viewport=viewport)
    wait_for_text(page, "Reminders")
    # the times next to the parts; the switches of an account are not offered to a guest
    assert "05:30" in switch(page, "Morning reminder").get_attribute("aria-label") + \
        switch(page, "Morning reminder").inner_text()
    wait_for_text(page, "Push notifications and email reminders need an account")
    assert not has_text(page, "Push notifications to my phone") and not has_text(page, "Weekly progress email")
    # the web build shows no notifications of its own, and says so
    assert "a browser tab cannot show notifications" in label_of(page, "reminders-reach")

    flip(page, "Morning reminder", False)
    flip(page, "Notifications on this device", False)
    wait_for_text(page, "notifications on this device are off")
    assert stored(app_process.data_dir, "morning_reminder", "evening_reminder", "on_device_reminders") == (0, 1, 0)
    screenshot(page, f"settings-reminders-guest-{'phone' if viewport is PHONE else 'desktop'}")

    reload(page)
    wait_switch(page, "Morning reminder", False)
    wait_switch(page, "Evening reminder", True)
    wait_switch(page, "Notifications on this device", False)

    flip(page, "Evening reminder", False)
    wait_for_text(page, "No reminders: the morning and evening reminders are both off.")
    flip(page, "Morning reminder", True)
    reload(page)
    wait_switch(page, "Morning reminder", True)
    wait_switch(page, "Evening reminder", False)


def test_a_member_switches_push_email_and_the_weekly_email_and_they_sync(supabase, app_process, open_app):  # noqa: F811
    server, calls, url, _ = supabase
    server.sender_heartbeat("email")  # the account's email sender runs
    base = app_process.start(env={"SUPABASE_URL": url, "SUPABASE_ANON_KEY": ANON_KEY})
    page = open_app("/settings", viewport=PHONE, base_url=base)
    sign_in_and_carry(page, base)
    to_settings(page)
    wait_switch(page, "Push notifications to my phone", True)
    wait_switch(page, "Email reminders", False)
    wait_switch(page, "Weekly progress email", True)
    assert "member@example.com" in switch(page, "Email reminders").get_attribute("aria-label") + \
        switch(page, "Email reminders").inner_text()
    # push is on but no phone is registered, email is off: this tab is all there is, and it
    # cannot show them
    assert "no phone is set up for push" in label_of(page, "reminders-reach")
    assert "email reminders are off" in label_of(page, "reminders-reach")

    flip(page, "Push notifications to my phone", False)
    flip(page, "Email reminders", True)
    flip(page, "Weekly progress email", False)
    flip(page, "Evening reminder", False)
    wait_until(lambda: (server.settings["push_notifications"], server.settings["email_reminders"],
                        server.settings["weekly_email"], server.settings["evening_reminder"]) == (
                            False, True, False, False), "the switches reaching the account",
               state=lambda: (server.settings, stored(app_process.data_dir, "push_notifications", "email_reminders",
                                                      "weekly_email", "evening_reminder", "field_stamps"),
                              [c[2] for c in calls if c[0] == "/rest/v1/rpc/sync_push"]))
    assert set(server.settings["field_stamps"]) == {"push_notifications", "email_reminders", "weekly_email",
                                                    "evening_reminder"}

    # this device's own switch stays here: the account's push switch does not move with it
    def settings_pushed() -> list[dict]:
        return [body["changes"]["user_settings"] for path, _, body in list(calls)
                if path == "/rest/v1/rpc/sync_push" and "user_settings" in body["changes"]]

    before = len(settings_pushed())
    flip(page, "Notifications on this device", False)
    wait_until(lambda: stored(app_process.data_dir, "on_device_reminders") == (0,), "saving the device switch")
    wait_until(lambda: len(settings_pushed()) > before, "the sync after the device switch")
    for payload in settings_pushed():
        assert not {"on_device_reminders", "push_reachable", "email_reachable"} & set(payload), payload
    assert server.settings["push_notifications"] is False

    # the pull after the push brought the server's facts with the settings: email reaches the member
    wait_for_text(page, "Your morning reminder (05:30) comes by email to member@example.com.")
    assert stored(app_process.data_dir, "push_reachable", "email_reachable") == (0, 1)
    screenshot(page, "settings-reminders-member-phone")

    reload(page)
    wait_switch(page, "Push notifications to my phone", False)
    wait_switch(page, "Email reminders", True)
    wait_switch(page, "Weekly progress email", False)
    wait_switch(page, "Evening reminder", False)
    wait_switch(page, "Notifications on this device", False)

    # another device of the member turns the weekly email back on later: it comes down here
    server.push({"user_settings": {"weekly_email": True, "field_stamps": {"weekly_email": "2030-01-01T00:00:00Z"}}},
                "another-device", 1)
    sync_now(page)
    wait_switch(page, "Weekly progress email", True)
