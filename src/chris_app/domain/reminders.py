"""When to remind the member: the next morning and evening reminders, from their protocol
times in their own time zone. Pure: "now" and today's state are passed in.

A reminder is skipped when its part of the day is already done; a protocol time that does
not exist on the night the clocks spring forward fires at the first valid local time after
it (zoneinfo's normalisation), and one that exists twice fires once (the first).

`daily_reminder` is for schedulers that repeat a reminder every day at a time of day (the
phone's notification service): they keep the local hour and minute of the instant they are
given and drop its date, so it is the next instant whose local clock reads exactly the
protocol time. A day on which that time does not exist (the spring-forward gap) is passed
over, or the moved time (03:30 for 02:30) would become the time of every later day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from chris_app.domain.days import protocol_day, zone


@dataclass(frozen=True, slots=True)
class Reminder:
    kind: str  # "morning" | "evening"
    at: datetime  # aware, UTC
    route: str  # what a tap opens
    title: str
    body: str


TEXT = {
    "morning": ("Morning protocol", "Read your affirmations aloud, look at your board, pick today's bold move."),
    "evening": ("Evening review", "Did you do it? Rate your discipline and write down your biggest win."),
}


def _local_instant(day: date, clock: str, tz: str) -> datetime:
    hours, minutes = (int(part) for part in clock.split(":"))
    naive = datetime.combine(day, time(hours, minutes))
    local = naive.replace(tzinfo=zone(tz), fold=0)
    # A wall time skipped by DST does not round-trip; move it past the gap.
    roundtrip = local.astimezone(timezone.utc).astimezone(zone(tz))
    if roundtrip.replace(tzinfo=None) != naive:
        local = roundtrip
    return local.astimezone(timezone.utc)


def next_reminder(kind: str, clock: str, now: datetime, tz: str, day_start_hour: int, done_today: bool) -> Reminder:
    """The next `kind` reminder at local `clock`, skipping today's when that part is done."""
    today = protocol_day(now, tz, day_start_hour)
    local_today = now.astimezone(zone(tz)).date()
    for offset in range(0, 3):
        day = local_today + timedelta(days=offset)
        at = _local_instant(day, clock, tz)
        if at <= now:
            continue
        if done_today and protocol_day(at, tz, day_start_hour) == today:
            continue
        return _reminder(kind, at)
    raise AssertionError("a reminder always exists within three days")  # pragma: no cover


def daily_reminder(kind: str, clock: str, now: datetime, tz: str) -> Reminder:
    """The next `kind` reminder after `now` whose local time in `tz` is exactly `clock`:
    what a daily repeat at that time of day is anchored on (see the module docstring)."""
    local_today = now.astimezone(zone(tz)).date()
    for offset in range(0, 4):
        at = _local_instant(local_today + timedelta(days=offset), clock, tz)
        if at > now and at.astimezone(zone(tz)).strftime("%H:%M") == clock:
            return _reminder(kind, at)
    raise AssertionError("a time of day exists on one of four days in a row")  # pragma: no cover


def _reminder(kind: str, at: datetime) -> Reminder:
    title, body = TEXT[kind]
    return Reminder(kind, at, f"/{kind}", title, body)


def upcoming(now: datetime, tz: str, day_start_hour: int, morning_time: str, evening_time: str,
             morning_done: bool, evening_done: bool) -> list[Reminder]:
    """Both next reminders, soonest first."""
    return sorted(
        [next_reminder("morning", morning_time, now, tz, day_start_hour, morning_done),
         next_reminder("evening", evening_time, now, tz, day_start_hour, evening_done)],
        key=lambda r: r.at,
    )
