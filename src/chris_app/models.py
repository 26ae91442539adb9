"""Validated inputs: everything a member types passes through one of these models before it
reaches the store. `parse()` turns pydantic's errors into sentences for the member."""

from __future__ import annotations

import re
from typing import Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from chris_app.domain import defaults, limits
from chris_app.domain.days import is_valid_timezone
from chris_app.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

# Every number below comes from chris_app.domain.limits, which the server's constraints and the
# store's schema repeat (tests/db/test_db_limits.py checks all three). The theme stays a
# Literal for type checkers; it must name exactly limits.THEMES.
Theme = Literal["light", "dark", "system"]
assert get_args(Theme) == limits.THEMES, "models.Theme and limits.THEMES differ"


class _Input(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid", frozen=True)


class EveningInput(_Input):
    """The evening review. The "did you do it?" answer exists only on a day with an action
    (save_evening checks which); the biggest win is optional (blank = none)."""

    action_completed: bool | None = Field(default=None,
                                          json_schema_extra={"ask": "Say whether you did today's action."})
    discipline_rating: int = Field(
        ge=limits.RATING_MIN, le=limits.RATING_MAX,
        json_schema_extra={"ask": f"Choose a discipline rating from {limits.RATING_MIN} to {limits.RATING_MAX}."},
    )
    biggest_win: str | None = Field(
        default=None, max_length=limits.BIGGEST_WIN_MAX,
        json_schema_extra={"ask": f"Keep your biggest win to {limits.BIGGEST_WIN_MAX} characters."},
    )

    @field_validator("biggest_win")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None


class ActionInput(_Input):
    text: str = Field(
        min_length=limits.ACTION_MIN, max_length=limits.ACTION_MAX,
        json_schema_extra={"ask": f"Write your violent action in {limits.ACTION_MIN} to {limits.ACTION_MAX}"
                                  " characters."},
    )
    library_id: str | None = None


class AffirmationsInput(_Input):
    content: str = Field(
        min_length=limits.AFFIRMATIONS_MIN, max_length=limits.AFFIRMATIONS_MAX,
        json_schema_extra={"ask": f"Write at least one affirmation (up to {limits.AFFIRMATIONS_MAX} characters)."},
    )


class TileInput(_Input):
    position: int = Field(
        ge=limits.POSITION_MIN, le=limits.POSITION_MAX,
        json_schema_extra={"ask": f"A vision board has positions {limits.POSITION_MIN} to {limits.POSITION_MAX}."},
    )
    caption: str | None = Field(
        default=None, max_length=limits.CAPTION_MAX,
        json_schema_extra={"ask": f"Keep the caption to {limits.CAPTION_MAX} characters or fewer."},
    )


class ProfileInput(_Input):
    display_name: str = Field(  # empty = no name (sent to the server as null)
        default="", max_length=limits.DISPLAY_NAME_MAX,
        json_schema_extra={"ask": f"Keep your display name to {limits.DISPLAY_NAME_MAX} characters or fewer."},
    )
    timezone: str = Field(json_schema_extra={"ask": "Choose a time zone from the list."})
    day_start_hour: int = Field(
        ge=limits.DAY_START_MIN, le=limits.DAY_START_MAX,
        json_schema_extra={"ask": f"The day starts at an hour from {limits.DAY_START_MIN} to {limits.DAY_START_MAX}."},
    )
    morning_time: str = Field(json_schema_extra={"ask": f"Write the morning time as HH:MM, for example {defaults.MORNING_TIME}."})
    evening_time: str = Field(json_schema_extra={"ask": f"Write the evening time as HH:MM, for example {defaults.EVENING_TIME}."})
    leaderboard_opt_in: bool = False

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if not is_valid_timezone(value):
            raise ValueError("unknown time zone")
        return value

    @field_validator("morning_time", "evening_time")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        if not _TIME.match(value):
            raise ValueError("not HH:MM")
        return value


class SettingsInput(_Input):
    """The member's settings as they edit them. `on_device_reminders` and the recording limits and
    input device are this device's own; the others sync with the account (sync/pulled.py
    SETTINGS_FIELDS). The reminder switches: `push_notifications` (push to a registered phone),
    `email_reminders`, `morning_reminder` / `evening_reminder` (each part of the day, whatever
    the channel), `weekly_email` (the weekly progress email)."""

    on_device_reminders: bool = defaults.ON_DEVICE_REMINDERS
    push_notifications: bool = defaults.PUSH_NOTIFICATIONS
    email_reminders: bool = defaults.EMAIL_REMINDERS
    morning_reminder: bool = defaults.MORNING_REMINDER
    evening_reminder: bool = defaults.EVENING_REMINDER
    weekly_email: bool = defaults.WEEKLY_EMAIL
    sound_enabled: bool = defaults.SOUND_ENABLED
    auto_play_recording: bool = defaults.AUTO_PLAY_RECORDING
    theme: Theme = Field(
        default=defaults.THEME,
        json_schema_extra={"ask": f"Choose {', '.join(limits.THEMES[:-1])} or {limits.THEMES[-1]} theme."},
    )
    min_recording_seconds: int = Field(
        default=defaults.MIN_RECORDING_SECONDS, ge=limits.MIN_RECORDING_SECONDS_MIN, le=limits.MIN_RECORDING_SECONDS_MAX,
        json_schema_extra={"ask": f"Minimum recording length is {limits.MIN_RECORDING_SECONDS_MIN} to"
                                  f" {limits.MIN_RECORDING_SECONDS_MAX} seconds."},
    )
    max_recording_minutes: int = Field(
        default=defaults.MAX_RECORDING_MINUTES, ge=limits.MAX_RECORDING_MINUTES_MIN, le=limits.MAX_RECORDING_MINUTES_MAX,
        json_schema_extra={"ask": f"Maximum recording length is {limits.MAX_RECORDING_MINUTES_MIN} to"
                                  f" {limits.MAX_RECORDING_MINUTES_MAX} minutes."},
    )
    input_device: str | None = None


def parse(model: type[M], **data) -> M:
    """Build `model` from `data` or raise InvalidInput with one sentence per bad field."""
    try:
        return model(**data)
    except ValidationError as exc:
        problems: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "input"
            info = model.model_fields.get(field)
            extra = (info.json_schema_extra or {}) if info else {}
            problems.setdefault(field, extra.get("ask") or f"{field.replace('_', ' ').capitalize()}: {error['msg']}.")
        raise InvalidInput(problems) from None
