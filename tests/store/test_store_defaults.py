"""The device store's column defaults are the constants of chris_app.domain.defaults, and a new
guest starts with exactly them (the server's side: tests/db/test_db_rule_twins.py)."""

from __future__ import annotations

from datetime import datetime, timezone

from chris_app.domain import defaults
from chris_app.models import SettingsInput
from chris_app.services.profile import ensure_profile, get_settings
from chris_app.store.db import open_store

# store column -> the constant it must default to
PROFILE = {"day_start_hour": defaults.DAY_START_HOUR, "morning_time": defaults.MORNING_TIME,
           "evening_time": defaults.EVENING_TIME, "timezone": defaults.TIMEZONE}
SETTINGS = {
    "on_device_reminders": defaults.ON_DEVICE_REMINDERS, "push_notifications": defaults.PUSH_NOTIFICATIONS,
    "email_reminders": defaults.EMAIL_REMINDERS, "morning_reminder": defaults.MORNING_REMINDER,
    "evening_reminder": defaults.EVENING_REMINDER, "weekly_email": defaults.WEEKLY_EMAIL,
    "sound_enabled": defaults.SOUND_ENABLED, "auto_play_recording": defaults.AUTO_PLAY_RECORDING,
    "theme": defaults.THEME, "min_recording_seconds": defaults.MIN_RECORDING_SECONDS,
    "max_recording_minutes": defaults.MAX_RECORDING_MINUTES,
}


def column_defaults(store, table: str) -> dict[str, object]:
    """Each column's default as SQLite evaluates it (the literal in the schema, quotes removed)."""
    out = {}
    for row in store.conn.execute(f"pragma table_info({table})"):
        if row["dflt_value"] is not None:
            out[row["name"]] = store.conn.execute(f"select {row['dflt_value']}").fetchone()[0]
    return out


def as_stored(value):
    return int(value) if isinstance(value, bool) else value


def test_the_stores_column_defaults_are_the_constants(tmp_path):
    store = open_store(tmp_path / "db.sqlite3")
    profile, settings = column_defaults(store, "profile"), column_defaults(store, "settings")
    assert {k: profile.get(k) for k in PROFILE} == {k: as_stored(v) for k, v in PROFILE.items()}
    assert {k: settings.get(k) for k in SETTINGS} == {k: as_stored(v) for k, v in SETTINGS.items()}


def test_the_settings_model_defaults_are_the_constants():
    fields = SettingsInput.model_fields
    assert {k: fields[k].default for k in SETTINGS} == SETTINGS


def test_a_new_guest_starts_with_the_defaults(tmp_path):
    store = open_store(tmp_path / "db.sqlite3")
    # a zone the device cannot name falls back to the default zone
    profile = ensure_profile(store, datetime(2026, 6, 10, 2, 30, tzinfo=timezone.utc), "Not/AZone")
    assert (profile.day_start_hour, profile.morning_time, profile.evening_time, profile.timezone) == (
        defaults.DAY_START_HOUR, defaults.MORNING_TIME, defaults.EVENING_TIME, defaults.TIMEZONE)
    # 02:30 UTC is before the 03:00 day start: the first day is the day before
    assert profile.first_day.isoformat() == "2026-06-09"
    assert get_settings(store) == SettingsInput(**SETTINGS)
