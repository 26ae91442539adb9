"""Rows from the server, checked before they touch the store (the edge of the device).

A pulled row is the account's data, but it crossed a network and was written by other app
versions: every value is checked against the same limits the device's own input obeys
(chris_app.domain.limits) before it is stored, so nothing pulled can make a screen crash later.

- Days, tiles and affirmation versions are checked whole (`PulledSession`, `PulledTile`,
  `PulledAffirmation`): a bad row raises ValueError and is skipped alone (incoming.apply_pull).
  A day's reading metrics are the exception: a bad one is left out (None), the day applies.
- The profile and the settings are checked field by field (`clean_profile`, `clean_settings`):
  a bad value (a time zone this device does not know) is left out — the device keeps its own
  value for that field — and reported, while the other fields apply. The server's read-only
  facts (`reach`, one object in every pull, not part of the settings row) are checked the same
  way by `clean_settings_facts`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, timezone
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool

from chris_app.domain import defaults, limits
from chris_app.domain.days import is_valid_timezone
from chris_app.sync.paths import checked_object_path

EARLIEST_DAY = date(2000, 1, 1)  # the server refuses days before this too
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(:[0-5]\d(\.\d+)?)?$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

# server column → local column of the profile and the settings (only these sync)
PROFILE_FIELDS = {"display_name": "display_name", "timezone": "timezone", "day_start": "day_start_hour",
                  "morning_protocol_time": "morning_time", "evening_review_time": "evening_time",
                  "leaderboard_opt_in": "leaderboard_opt_in"}
SETTINGS_FIELDS = {"push_notifications": "push_notifications", "email_reminders": "email_reminders",
                   "morning_reminder": "morning_reminder", "evening_reminder": "evening_reminder",
                   "weekly_email": "weekly_email", "sound_enabled": "sound_enabled",
                   "auto_play_recording": "auto_play_recording", "theme": "theme"}
# What the server knows and the device only reads (sync_pull's `reach`, in every pull): stored
# in the local settings row, never pushed, never stamped. `on_device_reminders` is in neither:
# this device's own.
SETTINGS_FACTS = {"push_reachable": "push_reachable", "email_reachable": "email_reachable"}


def stamp(value: Any) -> str:
    """Any ISO-8601 instant as the store's own format (UTC, microseconds), so stamps compare
    as text and two devices store the same string. ValueError for anything else."""
    if not isinstance(value, str):
        raise ValueError(f"not a time: {value!r}")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _day(value: date) -> date:
    if value < EARLIEST_DAY:
        raise ValueError(f"day {value} is before {EARLIEST_DAY}")
    return value


def _sha(value: str | None) -> str | None:
    if value is not None and not _SHA256.match(value):
        raise ValueError("not a sha256")
    return value


def _metric(low: float, high: float) -> Callable[[Any], float | None]:
    """A reading metric: a number in [low, high], or None. Anything else is left out (None)
    rather than losing the day: the metrics are measurements, the day is the member's record."""
    def check(value: Any) -> float | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        number = float(value)
        return number if low <= number <= high else None  # NaN fails both comparisons
    return check


Stamp = Annotated[str, AfterValidator(stamp)]
Day = Annotated[date, AfterValidator(_day)]


def _object_path(value: str | None) -> str | None:
    """A member's object path (sync/paths.py), or None."""
    return None if value is None else checked_object_path(value)


class _Pulled(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class PulledSession(_Pulled):
    id: str = Field(min_length=1, max_length=64)
    date: Day
    morning_completed: StrictBool | None = None
    morning_completed_at: Stamp | None = None
    recording_path: Annotated[str | None, AfterValidator(_object_path)] = Field(default=None, max_length=1024)
    recording_duration_ms: int | None = Field(default=None, ge=0, le=3_600_000)
    recording_sha256: Annotated[str | None, AfterValidator(_sha)] = None
    affirmations_version: int | None = Field(default=None, ge=1)
    vision_board_viewed: StrictBool | None = None
    violent_action: str | None = Field(default=None, min_length=1, max_length=limits.ACTION_MAX)
    violent_action_id: str | None = Field(default=None, max_length=64)
    violent_action_set_at: Stamp | None = None
    # the vision tile the action builds toward and its caption when linked (20261202000600)
    action_tile_id: str | None = Field(default=None, min_length=1, max_length=64)
    action_tile_caption: str | None = Field(default=None, min_length=1, max_length=200)
    morning_updated_at: Stamp | None = None
    # the reading's metrics (20261202000300_reading_metrics.sql), for the recording above
    recording_speaking_ms: Annotated[float | None, BeforeValidator(_metric(0, 3_600_000))] = None
    recording_loudness_dbfs: Annotated[float | None, BeforeValidator(_metric(-120, 0))] = None
    read_coverage: Annotated[float | None, BeforeValidator(_metric(0, 1))] = None
    words_per_minute: Annotated[float | None, BeforeValidator(_metric(0, 1000))] = None
    action_completed: StrictBool | None = None
    evening_completed: StrictBool | None = None
    evening_completed_at: Stamp | None = None
    discipline_rating: int | None = Field(default=None, ge=limits.RATING_MIN, le=limits.RATING_MAX)
    biggest_win: str | None = Field(default=None, max_length=limits.BIGGEST_WIN_MAX)
    evening_updated_at: Stamp | None = None
    created_at: Stamp | None = None
    updated_at: Stamp | None = None


class PulledTile(_Pulled):
    id: str = Field(min_length=1, max_length=64)
    position: int = Field(ge=limits.POSITION_MIN, le=limits.POSITION_MAX)
    image_path: Annotated[str, AfterValidator(checked_object_path)] = Field(min_length=1, max_length=1024)
    caption: str | None = Field(default=None, max_length=limits.CAPTION_MAX)
    deleted_at: Stamp | None = None
    client_updated_at: Stamp | None = None
    created_at: Stamp | None = None
    updated_at: Stamp | None = None


class PulledAffirmation(_Pulled):
    id: str = Field(min_length=1, max_length=64)
    version: int = Field(ge=1)
    content: str = Field(min_length=1, max_length=limits.AFFIRMATIONS_MAX)
    is_active: StrictBool
    client_updated_at: Stamp | None = None
    created_at: Stamp | None = None
    updated_at: Stamp | None = None


# -- field by field ---------------------------------------------------------------------------
def _display_name(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value.strip()) > limits.DISPLAY_NAME_MAX:
        raise ValueError(f"a display name of up to {limits.DISPLAY_NAME_MAX} characters")
    return value.strip()


def _timezone(value: Any) -> str:
    if not isinstance(value, str) or not is_valid_timezone(value):
        raise ValueError(f"unknown time zone {value!r}")
    return value


def _hour(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not limits.DAY_START_MIN <= value <= limits.DAY_START_MAX:
        raise ValueError(f"an hour from {limits.DAY_START_MIN} to {limits.DAY_START_MAX}, not {value!r}")
    return value


def _clock(value: Any) -> str:
    match = _TIME.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"a time of day, not {value!r}")
    return value[:5]


def _flag(value: Any) -> int:
    if not isinstance(value, bool):
        raise ValueError(f"true or false, not {value!r}")
    return int(value)


def _theme(value: Any) -> str:
    if value not in limits.THEMES:
        raise ValueError(f"one of {', '.join(limits.THEMES)}, not {value!r}")
    return value


_PROFILE_RULES: dict[str, Callable[[Any], Any]] = {
    "display_name": _display_name, "timezone": _timezone, "day_start_hour": _hour,
    "morning_time": _clock, "evening_time": _clock, "leaderboard_opt_in": _flag,
}
_SETTINGS_RULES: dict[str, Callable[[Any], Any]] = {
    "push_notifications": _flag, "email_reminders": _flag, "morning_reminder": _flag,
    "evening_reminder": _flag, "weekly_email": _flag, "sound_enabled": _flag,
    "auto_play_recording": _flag, "theme": _theme,
}


def _clean(row: Mapping[str, Any], names: Mapping[str, str], rules: Mapping[str, Callable[[Any], Any]],
           stamps_key: str) -> tuple[dict[str, Any], dict[str, str], list[tuple[str, str]]]:
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for server, local in names.items():
        if server in row:
            try:
                values[local] = rules[local](row[server])
            except ValueError as exc:
                problems.append((local, str(exc)))
    stamps: dict[str, str] = {}
    raw = row.get(stamps_key)
    for server, value in (raw.items() if isinstance(raw, Mapping) else ()):
        if server in names and names[server] in values:
            try:
                stamps[names[server]] = stamp(value)
            except ValueError as exc:
                problems.append((names[server], f"its edit time: {exc}"))
    return values, stamps, problems


def clean_profile(row: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str], date | None, list[tuple[str, str]]]:
    """(local values, local stamps, first day, problems) of a pulled profile row; a field with
    a bad value is left out of values and stamps and named in problems."""
    values, stamps, problems = _clean(row, PROFILE_FIELDS, _PROFILE_RULES, "prefs_stamps")
    first_day = None
    if row.get("first_day") is not None:
        try:
            first_day = _day(date.fromisoformat(str(row["first_day"])))
        except ValueError as exc:
            problems.append(("first_day", str(exc)))
    return values, stamps, first_day, problems


def unset_time_zone(row: Mapping[str, Any]) -> bool:
    """The account's zone was never given: the sign-up named none (Google sends no zone) and
    the trigger put UTC, and no device has chosen one since (no edit time). A device's own zone
    is then the better guess, and it is claimed for the account (SyncEngine._claim_time_zone)."""
    stamps = row.get("prefs_stamps")
    return row.get("timezone") == defaults.TIMEZONE and not (isinstance(stamps, Mapping) and "timezone" in stamps)


def clean_settings(row: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str], list[tuple[str, str]]]:
    """(local values, local stamps, problems) of a pulled settings row, as `clean_profile`."""
    return _clean(row, SETTINGS_FIELDS, _SETTINGS_RULES, "field_stamps")


def clean_settings_facts(row: Mapping[str, Any]) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """(local values, problems) of the server's facts (a pull's `reach` object); a fact it does
    not carry is left out, and the device keeps what it had."""
    values: dict[str, int] = {}
    problems: list[tuple[str, str]] = []
    for server, local in SETTINGS_FACTS.items():
        if server in row:
            try:
                values[local] = _flag(row[server])
            except ValueError as exc:
                problems.append((local, str(exc)))
    return values, problems
