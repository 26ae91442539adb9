"""A change the server refused, or a row from the account this device could not store, in words
a member understands (`Rejection.message`). The engine keeps them (sync_state, newest 50) until
the member dismisses them; the server's own words stay in `reason` for support."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

# Server reasons are database messages; the member reads these instead (by SQLSTATE class).
_REASONS = {
    "23514": "a value is outside what your account allows",
    "23502": "a required value is missing",
    "23505": "it clashes with something already saved",
    "23503": "it refers to something that does not exist",
    "42501": "your account is not allowed to change it",
    "22008": "its date is out of range",
    "22001": "a text is too long",
    "local": "it is outside what this app version can hold",
}
_WHAT = {"daily_sessions": "A day", "affirmations": "Your affirmations", "vision_board_tiles": "A vision board image",
         "settings": "Your settings", "profile": "Your profile"}
_FIELDS = {"display_name": "display name", "timezone": "time zone", "day_start_hour": "day start",
           "day_start": "day start", "morning_time": "morning time", "morning_protocol_time": "morning time",
           "evening_time": "evening time", "evening_review_time": "evening time", "theme": "theme",
           "leaderboard_opt_in": "leaderboard choice", "first_day": "first day"}


@dataclass(frozen=True, slots=True)
class Rejection:
    """A change the server refused (code: SQLSTATE), or a row/field from the account that this
    device could not store (code "local"). A refused change is replaced on this device by the
    account's version where the account has one (incoming.take_back)."""
    entity: str
    row_id: str | None
    code: str
    reason: str  # the server's own words (for support)
    at: str
    field: str | None = None
    kept_here: bool = False  # the account holds nothing of it: the device keeps its own

    @property
    def message(self) -> str:
        why = _REASONS.get(self.code, self.reason)
        what = _WHAT.get(self.entity, "A change")
        if self.field:
            what = f"{what} ({_FIELDS.get(self.field, self.field.replace('_', ' '))})"
        if self.code == "local":
            return f"{what} from your account could not be used on this device: {why}; this device keeps its own."
        if self.kept_here:
            return f"{what} could not be synced: {why}. It stays on this device only."
        return f"{what} could not be synced: {why}. This device now shows what your account holds."

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
