"""What the home screen shows: today's state and the member's figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from chris_app.domain.stats import DayRecord, Stats, compute_stats
from chris_app.services.day import DaySession, get_day
from chris_app.services.profile import get_profile, today
from chris_app.store import Store


@dataclass(frozen=True, slots=True)
class Home:
    today: date
    session: DaySession | None
    stats: Stats

    @property
    def next_step(self) -> str:
        """The route of the next thing to do today."""
        s = self.session
        if s is None or not s.morning_completed or not s.violent_action:
            return "/morning"
        if not s.evening_completed:
            return "/evening"
        return "/progress"


def day_records(store: Store) -> list[DayRecord]:
    return [
        DayRecord(date.fromisoformat(r["date"]), bool(r["morning_completed"]), r["discipline_rating"])
        for r in store.query("select date, morning_completed, discipline_rating from daily_sessions")
    ]


def stats(store: Store, now: datetime) -> Stats:
    return compute_stats(day_records(store), get_profile(store).first_day, today(store, now))


def home(store: Store, now: datetime) -> Home:
    day = today(store, now)
    return Home(today=day, session=get_day(store, day), stats=stats(store, now))
