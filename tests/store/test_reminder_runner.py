import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

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


def run(store, time, minutes, opened=None):
    opened = [] if opened is None else opened
    sent = []

    async def notify(reminder, on_click):
        sent.append((reminder, on_click))

    runner = ReminderRunner(store, time.clock, notify, opened.append, sleep=time.sleep)

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
