"""Protocol days: which calendar day an instant counts for.

The protocol day of an instant is the local calendar date of (instant − day_start) in the
member's IANA time zone. An evening review at 00:40 with day_start 03:00 counts for the
previous day; a morning protocol at 05:30 counts for today.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from chris_app.domain.defaults import DAY_START_HOUR


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name; ValueError for an unknown one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, IsADirectoryError) as exc:
        raise ValueError(f"Unknown time zone: {name!r}") from exc


def is_valid_timezone(name: str) -> bool:
    try:
        zone(name)
    except ValueError:
        return False
    return True


def all_timezones() -> list[str]:
    return sorted(available_timezones())


def protocol_day(instant: datetime, timezone: str, day_start_hour: int = DAY_START_HOUR) -> date:
    """The protocol day that `instant` (timezone-aware) counts for."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("instant must be timezone-aware")
    if not 0 <= day_start_hour <= 23:
        raise ValueError("day_start_hour must be between 0 and 23")
    # Subtract in local wall-clock time, so a DST change never moves the boundary:
    # the day always starts at day_start o'clock on the member's clock.
    local = instant.astimezone(zone(timezone)).replace(tzinfo=None)
    return (local - timedelta(hours=day_start_hour)).date()


def day_completed(morning_recorded: bool) -> bool:
    """A completed day (docs/rules.md#completed-day): its morning reading was saved that
    protocol day — nothing else counts (not the board, the action or the evening). Streaks,
    rates, the score and the morning reminder look at this alone; the server's twin is
    `daily_sessions.morning_completed` as the statistics triggers and the reminder job read it
    (tests/db/test_db_rule_twins.py)."""
    return bool(morning_recorded)


# The morning's steps in the order the member takes them; "done" once all three are.
MORNING_STEPS = ("record", "board", "action")


def morning_steps_done(recorded: bool, board_viewed: bool, board_empty: bool, action_set: bool) -> dict[str, bool]:
    """Each morning step and whether it is done (docs/rules.md#morning-finished): "record"
    once the reading is saved, "board" once the board was viewed or has nothing on it (an
    empty board never holds the morning up), "action" once the day's action is chosen."""
    return {"record": bool(recorded), "board": bool(board_viewed or board_empty), "action": bool(action_set)}


def first_unfinished_step(recorded: bool, board_viewed: bool, board_empty: bool, action_set: bool) -> str:
    """The morning step to open at: "record" | "board" | "action" | "done".

    This drives the morning screen and Home's next step only; the statistics count the
    recorded reading alone (`day_completed`)."""
    done = morning_steps_done(recorded, board_viewed, board_empty, action_set)
    return next((step for step in MORNING_STEPS if not done[step]), "done")


def morning_finished(recorded: bool, board_viewed: bool, board_empty: bool, action_set: bool) -> bool:
    """Morning finished = the reading is recorded, the board was viewed (or is empty) and the
    day's action is set."""
    return first_unfinished_step(recorded, board_viewed, board_empty, action_set) == "done"
