"""When to remind the member: the next morning and evening reminders, and those of the days
ahead, from their protocol times in their own time zone. Pure: "now" and today's state are
passed in.

A reminder is skipped when its part of the day is already done (today's protocol day, with the
member's day start: an evening review done at 00:40 still counts for the day before); a
protocol time that does not exist on the night the clocks spring forward fires at the first
valid local time after it (zoneinfo's normalisation), and one that exists twice fires once
(the first).

Which channel reminds (`reminder_channel`, `device_reminds`): exactly one per member, so no
reminder comes twice. The server reminds by push when push is on and a phone is registered for
it (and a push sender runs), else by email when email reminders are on and the account has an
address (and an email sender runs); a device schedules its own notifications only when the
server has no channel for the member (guests always), its own switch is on and the member is
not behind the paywall. The SQL reminder job applies the same rule
(`private.reminder_channel`, tested against this one on the same cases).

`next_reminder` is for the desktop runner, which looks again every minute; `reminders_ahead`
is for the phone's scheduler, which is given one-shot notifications for the next
`DAYS_AHEAD` local days at a time (at most two a day: under iOS's 64 pending notifications).
Both come from the same instants (`_instants`). Only today's state is known, so a day ahead
is never taken as done: a part done on a later day is skipped once the app reschedules."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Literal

from chris_app.domain.days import protocol_day, zone


@dataclass(frozen=True, slots=True)
class Reminder:
    kind: str  # "morning" | "evening"
    at: datetime  # aware, UTC
    route: str  # what a tap opens
    title: str
    body: str


DAYS_AHEAD = 30  # local days of one-shot reminders a phone is given at a time


@dataclass(frozen=True, slots=True)
class DayReminder:
    """A reminder on one of the days ahead."""

    day: int  # the local day it is for, counted from today's local date in the member's zone (0: today)
    reminder: Reminder


TEXT = {
    "morning": ("Morning protocol", "Read your affirmations aloud, look at your board, pick today's bold move."),
    "evening": ("Evening review", "Did you do it? Rate your discipline and write down your biggest win."),
}


Channel = Literal["push", "email"]


def reminder_channel(*, push_on: bool, push_reachable: bool, email_on: bool,
                     email_reachable: bool) -> Channel | None:
    """The server's one channel for a member's reminders, or None when the server sends none.

    push_on / email_on: the member's synced switches. push_reachable: a phone is registered
    for push on the account and a push sender runs; email_reachable: the account has an email
    address and an email sender runs (both known to the server, synced down to devices)."""
    if push_on and push_reachable:
        return "push"
    if email_on and email_reachable:
        return "email"
    return None


def device_reminds(*, signed_in: bool, on_device_on: bool, paywalled: bool,
                   channel: Channel | None) -> bool:
    """Whether this device schedules its own reminders: its switch is on, and for a signed-in
    member, they are not behind the paywall and the server reminds them by no channel."""
    if not on_device_on:
        return False
    return not signed_in or (not paywalled and channel is None)


def _local_instant(day: date, clock: str, tz: str) -> datetime:
    hours, minutes = (int(part) for part in clock.split(":"))
    naive = datetime.combine(day, time(hours, minutes))
    local = naive.replace(tzinfo=zone(tz), fold=0)
    # A wall time skipped by DST does not round-trip; move it past the gap.
    roundtrip = local.astimezone(timezone.utc).astimezone(zone(tz))
    if roundtrip.replace(tzinfo=None) != naive:
        local = roundtrip
    return local.astimezone(timezone.utc)


def _instants(clock: str, now: datetime, tz: str, day_start_hour: int, done_today: bool,
              days: int) -> Iterator[tuple[int, datetime]]:
    """(day offset, instant) of local `clock` on each of `days` local days from today's, soonest
    first, leaving out instants not after `now` and, when that part of the day is done, those
    in today's protocol day. At most one per local day: a day the zone skips altogether (Apia
    on 30 December 2011) normalises onto the next day's instant and is left out."""
    today = protocol_day(now, tz, day_start_hour)
    local_today = now.astimezone(zone(tz)).date()
    last_day: date | None = None
    for offset in range(days):
        at = _local_instant(local_today + timedelta(days=offset), clock, tz)
        if at <= now:
            continue
        local_day = at.astimezone(zone(tz)).date()
        if last_day is not None and local_day <= last_day:
            continue
        last_day = local_day
        if done_today and protocol_day(at, tz, day_start_hour) == today:
            continue
        yield offset, at


def next_reminder(kind: str, clock: str, now: datetime, tz: str, day_start_hour: int, done_today: bool) -> Reminder:
    """The next `kind` reminder at local `clock`, skipping today's when that part is done."""
    for _, at in _instants(clock, now, tz, day_start_hour, done_today, days=3):
        return _reminder(kind, at)
    raise AssertionError("a reminder always exists within three days")  # pragma: no cover


def reminders_ahead(now: datetime, tz: str, day_start_hour: int, *, morning_time: str | None,
                    evening_time: str | None, morning_done: bool, evening_done: bool,
                    days: int = DAYS_AHEAD) -> list[DayReminder]:
    """Every reminder of the next `days` local days (today's included), soonest first: one per
    part of the day that has a time (None: no reminder for that part) and per local day, by the
    rules of `next_reminder`. At most `2 * days`."""
    ahead = [
        DayReminder(offset, _reminder(kind, at))
        for kind, clock, done in (("morning", morning_time, morning_done), ("evening", evening_time, evening_done))
        if clock is not None
        for offset, at in _instants(clock, now, tz, day_start_hour, done, days)
    ]
    return sorted(ahead, key=lambda d: d.reminder.at)


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
