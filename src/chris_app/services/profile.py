"""The member on this device: profile, settings, and the protocol day it is for them now."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime

from chris_app.domain import defaults
from chris_app.domain.days import is_valid_timezone, protocol_day
from chris_app.models import ProfileInput, SettingsInput, parse
from chris_app.services._rows import enqueue, stamp, stamp_fields
from chris_app.services.affirmations import seed_starter_affirmations
from chris_app.store import Store


@dataclass(frozen=True, slots=True)
class Profile:
    display_name: str
    timezone: str
    day_start_hour: int
    morning_time: str
    evening_time: str
    first_day: date
    leaderboard_opt_in: bool = False


def ensure_profile(store: Store, now: datetime, device_timezone: str) -> Profile:
    """Create the guest profile on first start (time zone from the device), with default
    settings and the starter affirmations. Idempotent."""
    with store.transaction() as conn:
        if conn.execute("select 1 from profile").fetchone() is None:
            create_guest(conn, now, device_timezone)
    return get_profile(store)


def create_guest(conn: sqlite3.Connection, now: datetime, device_timezone: str) -> None:
    """The rows of a new guest, inside the caller's transaction."""
    tz = device_timezone if is_valid_timezone(device_timezone) else defaults.TIMEZONE
    ts = stamp(now)
    first = protocol_day(now, tz, defaults.DAY_START_HOUR).isoformat()
    conn.execute(
        "insert into profile (id, timezone, first_day, created_at, updated_at)"
        " values (1, ?, ?, ?, ?)",
        (tz, first, ts, ts),
    )
    conn.execute("insert into settings (id, updated_at) values (1, ?)", (ts,))
    seed_starter_affirmations(conn, now)


def get_profile(store: Store) -> Profile:
    row = store.query("select * from profile where id = 1")[0]
    return Profile(
        display_name=row["display_name"],
        # pulled zones are checked since schema 4; one stored before that may be unknown here
        timezone=row["timezone"] if is_valid_timezone(row["timezone"]) else defaults.TIMEZONE,
        day_start_hour=row["day_start_hour"],
        morning_time=row["morning_time"],
        evening_time=row["evening_time"],
        first_day=date.fromisoformat(row["first_day"]),
        leaderboard_opt_in=bool(row["leaderboard_opt_in"]),
    )


def today(store: Store, now: datetime) -> date:
    profile = get_profile(store)
    return protocol_day(now, profile.timezone, profile.day_start_hour)


def update_profile(store: Store, now: datetime, **fields) -> Profile:
    """Change name, time zone, day start or protocol times. Past days are never rewritten:
    they keep the date they were recorded for."""
    current = get_profile(store)
    values = parse(ProfileInput, **{
        "display_name": current.display_name, "timezone": current.timezone,
        "day_start_hour": current.day_start_hour, "morning_time": current.morning_time,
        "evening_time": current.evening_time, "leaderboard_opt_in": current.leaderboard_opt_in, **fields,
    })
    with store.transaction() as conn:
        conn.execute(
            "update profile set display_name = ?, timezone = ?, day_start_hour = ?,"
            " morning_time = ?, evening_time = ?, leaderboard_opt_in = ?, updated_at = ? where id = 1",
            (values.display_name, values.timezone, values.day_start_hour,
             values.morning_time, values.evening_time, int(values.leaderboard_opt_in), stamp(now)),
        )
        before = {k: getattr(current, k) for k in ProfileInput.model_fields}
        stamp_fields(conn, "profile", before, values.model_dump(), now)
        enqueue(conn, "profile", "1", now)
    return get_profile(store)


def get_settings(store: Store) -> SettingsInput:
    row = dict(store.query("select * from settings where id = 1")[0])
    return SettingsInput(**{k: row[k] for k in SettingsInput.model_fields})


@dataclass(frozen=True, slots=True)
class ServerFacts:
    """What the server last said about reaching the member (from a pull; never edited or pushed
    here). push_reachable: a phone is registered for push on the account and a push sender
    runs; email_reachable: the account has an email address and an email sender runs. Both
    False until a pull says otherwise (a guest's are always False)."""

    push_reachable: bool = False
    email_reachable: bool = False


def get_server_facts(store: Store) -> ServerFacts:
    row = store.query("select push_reachable, email_reachable from settings where id = 1")[0]
    return ServerFacts(push_reachable=bool(row["push_reachable"]), email_reachable=bool(row["email_reachable"]))


def update_settings(store: Store, now: datetime, **fields) -> SettingsInput:
    before = get_settings(store).model_dump()
    values = parse(SettingsInput, **{**before, **fields})
    data = values.model_dump()
    with store.transaction() as conn:
        conn.execute(
            "update settings set " + ", ".join(f"{k} = :{k}" for k in data) + ", updated_at = :ts where id = 1",
            {**data, "ts": stamp(now)},
        )
        stamp_fields(conn, "settings", before, data, now)
        enqueue(conn, "settings", "1", now)
    return values
