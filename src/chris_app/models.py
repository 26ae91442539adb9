"""Validated inputs: everything a member types passes through one of these models before it
reaches the store. `parse()` turns pydantic's errors into sentences for the member."""

from __future__ import annotations

import re
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from chris_app.domain.days import is_valid_timezone
from chris_app.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class _Input(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid", frozen=True)


class EveningInput(_Input):
    action_completed: bool = Field(json_schema_extra={"ask": "Say whether you did today's action."})
    discipline_rating: int = Field(ge=1, le=10, json_schema_extra={"ask": "Choose a discipline rating from 1 to 10."})
    biggest_win: str = Field(
        min_length=1, max_length=1000,
        json_schema_extra={"ask": "Write your biggest win of the day (up to 1000 characters)."},
    )


class ActionInput(_Input):
    text: str = Field(
        min_length=3, max_length=280,
        json_schema_extra={"ask": "Write your violent action in 3 to 280 characters."},
    )
    library_id: str | None = None


class AffirmationsInput(_Input):
    content: str = Field(
        min_length=1, max_length=5000,
        json_schema_extra={"ask": "Write at least one affirmation (up to 5000 characters)."},
    )


class TileInput(_Input):
    position: int = Field(ge=1, le=8, json_schema_extra={"ask": "A vision board has positions 1 to 8."})
    caption: str | None = Field(
        default=None, max_length=140, json_schema_extra={"ask": "Keep the caption under 140 characters."}
    )


class ProfileInput(_Input):
    display_name: str = Field(default="", max_length=40,
                              json_schema_extra={"ask": "Keep your display name under 40 characters."})
    timezone: str = Field(json_schema_extra={"ask": "Choose a time zone from the list."})
    day_start_hour: int = Field(ge=0, le=23, json_schema_extra={"ask": "The day starts at an hour from 0 to 23."})
    morning_time: str = Field(json_schema_extra={"ask": "Write the morning time as HH:MM, for example 05:30."})
    evening_time: str = Field(json_schema_extra={"ask": "Write the evening time as HH:MM, for example 20:00."})
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
    on_device_reminders: bool = True
    email_reminders: bool = False
    sound_enabled: bool = True
    auto_play_recording: bool = False
    theme: Literal["light", "dark", "system"] = Field(
        default="system", json_schema_extra={"ask": "Choose light, dark or system theme."}
    )
    min_recording_seconds: int = Field(
        default=20, ge=1, le=600, json_schema_extra={"ask": "Minimum recording length is 1 to 600 seconds."}
    )
    max_recording_minutes: int = Field(
        default=15, ge=1, le=60, json_schema_extra={"ask": "Maximum recording length is 1 to 60 minutes."}
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
