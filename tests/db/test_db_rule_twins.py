"""Rules the server repeats, fed the same cases on both sides (docs/rules.md).

- The completed day (docs/rules.md#completed-day): a day counts when its morning reading was
  saved, nothing else. Every combination of (reading saved, board viewed, action set, evening
  saved) goes into the server's `daily_sessions` (the statistics triggers count it) and into
  `chris_app.domain.days.day_completed`.
- The reminders' "that part of the day is done" (docs/rules.md#reminders): the same 16 days go
  to `public.queue_reminders` at the member's morning and evening times, and into a device store
  whose `services.day.parts_done` feeds `domain.reminders.next_reminder`; today's reminder is
  due on the server exactly when the device still has it today.
- The defaults (chris_app.domain.defaults) are the column defaults of public.profiles and
  public.user_settings; the device store's are held to them by tests/store/test_store_defaults.py.
"""

from __future__ import annotations

import itertools
import json
from datetime import date, datetime, time, timedelta, timezone

import pytest

from chris_app.domain import defaults
from chris_app.domain.days import day_completed
from chris_app.domain.reminders import next_reminder
from chris_app.services import day as services_day
from chris_app.services import recordings, vision_board
from chris_app.services.day import parts_done
from chris_app.services.profile import ensure_profile
from chris_app.store.db import open_store
from tests.conftest import wav_bytes

pytestmark = pytest.mark.db

# (reading saved, board viewed, action set, evening saved)
CASES = list(itertools.product([False, True], repeat=4))
IDS = ["".join("RBAE"[i] if on else "-" for i, on in enumerate(case)) for case in CASES]
DAY = datetime.now(timezone.utc).date() - timedelta(days=2)  # inside the table's date range
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def new_member(db, name: str):
    uid = db.execute("select tests.create_supabase_user(%s || gen_random_uuid())", (name,)).fetchone()[0]
    db.execute("update public.profiles set first_day = %s, timezone = 'UTC' where id = %s", (DAY, uid))
    return uid


def save_day(db, uid, day: date, case) -> None:
    """The day's row written as the member writes it (through the API role)."""
    recorded, board_viewed, action_set, evening_saved = case
    db.execute("select set_config('role', 'authenticated', true), set_config('request.jwt.claims', %s, true)",
               (json.dumps({"sub": str(uid), "role": "authenticated"}),))
    db.execute("insert into public.daily_sessions (date, morning_completed, vision_board_viewed, violent_action,"
               " evening_completed, discipline_rating) values (%s, %s, %s, %s, %s, %s)",
               (day, recorded, board_viewed, "Cold shower" if action_set else None, evening_saved,
                7 if evening_saved else None))
    db.execute("select set_config('role', 'postgres', true)")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_server_counts_a_completed_day_as_the_app_does(db, case):
    uid = new_member(db, "completed-")
    save_day(db, uid, DAY, case)
    total, streak = db.execute("select total_days_completed, current_streak from private.compute_stats(%s, %s)",
                               (uid, DAY)).fetchone()
    expected = int(day_completed(case[0]))
    assert (total, streak) == (expected, expected)


def device_parts_done(tmp_path, day: date, now: datetime, case) -> tuple[bool, bool]:
    """services.day.parts_done on a device store whose day was done through the app's own
    services (a UTC member, everything saved at 04:00, an hour into the protocol day)."""
    recorded, board_viewed, action_set, evening_saved = case
    done_at = datetime.combine(day, time(4), timezone.utc)
    store = open_store(tmp_path / "device.sqlite3")
    try:
        ensure_profile(store, done_at, "UTC")
        vision_board.set_tile(store, done_at, 1, PNG)  # a board that must be viewed
        if recorded:
            recordings.import_audio_file(store, done_at, "reading.wav", wav_bytes(21))
        if board_viewed:
            services_day.mark_vision_board_viewed(store, done_at)
        if action_set:
            services_day.set_action(store, done_at, "Cold shower")
        if evening_saved:
            services_day.save_evening(store, done_at, action_completed=True if action_set else None,
                                      discipline_rating=7)
        return parts_done(store, now)
    finally:
        store.close()


def server_queues(db, uid, at: datetime, kind: str) -> bool:
    db.execute("select public.queue_reminders(%s)", (at,))
    return db.execute("select exists (select 1 from public.notification_queue where user_id = %s and kind = %s)",
                      (uid, kind)).fetchone()[0]


@pytest.mark.parametrize("part", ["morning", "evening"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_part_of_the_day_is_reminded_on_the_server_exactly_when_the_device_still_reminds_it(
        db, tmp_path, case, part):
    clock = defaults.MORNING_TIME if part == "morning" else defaults.EVENING_TIME
    at = datetime.combine(DAY, time.fromisoformat(clock), timezone.utc)  # a UTC member's slot
    # the server: one member on the email channel, an email sender alive, that day saved
    db.execute("select public.sender_heartbeat('email')")
    uid = new_member(db, "parts-")
    db.execute("update public.user_settings set push_notifications = false, email_reminders = true,"
               " morning_reminder = true, evening_reminder = true where id = %s", (uid,))
    save_day(db, uid, DAY, case)
    queued = server_queues(db, uid, at, f"{part}_reminder")
    # the device: the same day; today's reminder is still ahead a minute before its time
    morning_done, evening_done = device_parts_done(tmp_path, DAY, at, case)
    before = at - timedelta(minutes=1)
    reminder = next_reminder(part, clock, before, "UTC", defaults.DAY_START_HOUR,
                             morning_done if part == "morning" else evening_done)
    assert queued == (reminder.at == at)
    # and the rule itself, written out: the morning waits on the saved reading alone
    assert queued == (not (case[0] if part == "morning" else case[3]))


def column_default(db, table: str, column: str):
    """The column's default, evaluated (so '05:30'::time comes back as a time)."""
    expr = db.execute("select pg_get_expr(d.adbin, d.adrelid) from pg_attrdef d"
                      " join pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum"
                      " where d.adrelid = %s::regclass and a.attname = %s", (f"public.{table}", column)).fetchone()
    assert expr is not None, f"public.{table}.{column} has no default"
    return db.execute(f"select {expr[0]}").fetchone()[0]


def test_the_servers_profile_defaults_are_the_apps(db):
    assert column_default(db, "profiles", "day_start") == defaults.DAY_START_HOUR
    assert column_default(db, "profiles", "morning_protocol_time") == time.fromisoformat(defaults.MORNING_TIME)
    assert column_default(db, "profiles", "evening_review_time") == time.fromisoformat(defaults.EVENING_TIME)
    assert column_default(db, "profiles", "timezone") == defaults.TIMEZONE


SYNCED_SETTINGS = {
    "push_notifications": defaults.PUSH_NOTIFICATIONS, "email_reminders": defaults.EMAIL_REMINDERS,
    "morning_reminder": defaults.MORNING_REMINDER, "evening_reminder": defaults.EVENING_REMINDER,
    "weekly_email": defaults.WEEKLY_EMAIL, "sound_enabled": defaults.SOUND_ENABLED,
    "auto_play_recording": defaults.AUTO_PLAY_RECORDING, "theme": defaults.THEME,
}


def test_the_servers_settings_defaults_are_the_apps(db):
    assert {k: column_default(db, "user_settings", k) for k in SYNCED_SETTINGS} == SYNCED_SETTINGS


def test_a_new_member_on_the_server_starts_with_the_apps_defaults(db):
    uid = new_member(db, "defaults-")
    row = db.execute("select p.day_start, p.morning_protocol_time, p.evening_review_time"
                     " from public.profiles p where p.id = %s", (uid,)).fetchone()
    assert tuple(row) == (defaults.DAY_START_HOUR, time.fromisoformat(defaults.MORNING_TIME),
                          time.fromisoformat(defaults.EVENING_TIME))
    cols = ", ".join(SYNCED_SETTINGS)
    settings = db.execute(f"select {cols} from public.user_settings where id = %s", (uid,)).fetchone()
    assert dict(zip(SYNCED_SETTINGS, settings)) == SYNCED_SETTINGS
