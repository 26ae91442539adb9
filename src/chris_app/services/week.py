"""The week strip: the last 7 protocol days ending today, what Home, the morning's celebration
and the evening's "day complete" moment show under the streak.

One indexed range read of at most 7 rows (daily_sessions.date is unique), so the cost does not
grow with the member's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from chris_app.services.profile import today
from chris_app.store import Store

DAYS = 7


@dataclass(frozen=True, slots=True)
class WeekDay:
    date: date
    completed: bool  # the morning reading was recorded: what streaks count
    evening_done: bool
    is_today: bool


def week_strip(store: Store, now: datetime) -> list[WeekDay]:
    """The DAYS protocol days ending with the one `now` falls in, oldest first. A day with no
    row (missed, or before the member joined) is simply not done."""
    with store.reading():
        last = today(store, now)
        first = last - timedelta(days=DAYS - 1)
        rows = store.query(
            "select date, morning_completed, evening_completed from daily_sessions"
            " where date between ? and ?", (first.isoformat(), last.isoformat()))
    done = {r["date"]: (bool(r["morning_completed"]), bool(r["evening_completed"])) for r in rows}
    days = [first + timedelta(days=i) for i in range(DAYS)]
    return [WeekDay(d, *done.get(d.isoformat(), (False, False)), is_today=d == last) for d in days]
