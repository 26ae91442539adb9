import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest

from chris_app.notifications.runner import ReminderRunner
from chris_app.services import recordings
from chris_app.services.profile import update_settings
from tests.conftest import wav_bytes

# 05:00 in Berlin on 10 June (03:00 UTC); the default morning time is 05:30.
START = datetime(2026, 6, 10, 3, 0, tzinfo=timezone.utc)


class FakeTime:
    def __init__(self, now):
        self.now = now

    def clock(self):
        return self.now

    async def sleep(self, seconds):
        self.now += timedelta(seconds=seconds)


def run(store, time, minutes, opened=None, **options):
    opened = [] if opened is None else opened
    sent = []

    async def notify(reminder, on_click):
        sent.append((reminder, on_click))

    runner = ReminderRunner(store, time.clock, notify, opened.append, sleep=time.sleep, **options)

    async def loop():
        end = time.now + timedelta(minutes=minutes)
        while time.now < end:
            await time.sleep(await runner.tick())

    # In its own thread: a browser test's Playwright may already run an event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, loop()).result()
    return sent


def test_the_morning_reminder_fires_once_at_the_members_time_and_a_tap_opens_the_morning(store):
    time, opened = FakeTime(START), []
    sent = run(store, time, 60, opened)
    assert [(r.kind, r.at) for r, _ in sent] == [("morning", datetime(2026, 6, 10, 3, 30, tzinfo=timezone.utc))]
    sent[0][1]()  # the member taps it
    assert opened == ["/morning"]


def test_no_morning_reminder_once_the_morning_is_done(store):
    recordings.import_audio_file(store, START, "a.wav", wav_bytes(21))
    assert run(store, FakeTime(START), 60) == []


def test_no_reminders_when_the_member_switched_them_off(store):
    update_settings(store, START, on_device_reminders=False)
    assert run(store, FakeTime(START), 24 * 60) == []


def test_a_whole_day_gives_one_morning_and_one_evening_reminder(store):
    sent = run(store, FakeTime(START), 24 * 60)
    assert [r.kind for r, _ in sent] == ["morning", "evening"]
    assert sent[1][0].at == datetime(2026, 6, 10, 18, 0, tzinfo=timezone.utc)  # 20:00 CEST


# -- the one-channel rule (services/reminder_plan.device_plan) ----------------------------------
def reachable(store, push=False, email=False):
    """The server's facts as a pull writes them."""
    store.query("update settings set push_reachable = ?, email_reachable = ?", (int(push), int(email)))


def test_a_signed_in_member_whom_the_server_reminds_by_push_gets_nothing_from_this_computer(store):
    reachable(store, push=True)
    assert run(store, FakeTime(START), 24 * 60, member=lambda: (True, False)) == []
    # the same store for a guest (or before the member's state is known): the device reminds
    assert [r.kind for r, _ in run(store, FakeTime(START), 24 * 60)] == ["morning", "evening"]


def test_a_signed_in_member_with_email_reminders_gets_them_by_email_only(store):
    update_settings(store, START, email_reminders=True)
    reachable(store, email=True)
    assert run(store, FakeTime(START), 24 * 60, member=lambda: (True, False)) == []


def test_a_signed_in_member_the_server_cannot_reach_is_reminded_here(store):
    reachable(store, push=False, email=True)  # push on but no phone; email off
    assert [r.kind for r, _ in run(store, FakeTime(START), 24 * 60, member=lambda: (True, False))] == [
        "morning", "evening"]


def test_a_member_behind_the_paywall_gets_no_reminders(store):
    assert run(store, FakeTime(START), 24 * 60, member=lambda: (True, True)) == []


@pytest.mark.parametrize("switch, kinds", [("morning_reminder", ["evening"]), ("evening_reminder", ["morning"])])
def test_a_part_switched_off_is_not_reminded(store, switch, kinds):
    update_settings(store, START, **{switch: False})
    assert [r.kind for r, _ in run(store, FakeTime(START), 24 * 60)] == kinds


def test_the_member_is_asked_again_at_every_look(store):
    """The trial runs out at 12:00: the morning is reminded, the evening no longer."""
    time = FakeTime(START)
    assert [r.kind for r, _ in run(store, time, 24 * 60,
                                   member=lambda: (True, time.now >= START + timedelta(hours=9)))] == ["morning"]
