"""What a new member starts with, in one place.

The device's models (chris_app.models) and new guest rows (services/profile) take these; the
device's store (store/migrations) and the server (public.profiles, public.user_settings) write
the same values as column defaults, and tests/store/test_store_defaults.py and
tests/db/test_db_rule_twins.py hold those equal to these constants.
"""

from __future__ import annotations

DAY_START_HOUR = 3        # the protocol day starts at 03:00 on the member's clock
MORNING_TIME = "05:30"    # the morning protocol's reminder time, HH:MM on the member's clock
EVENING_TIME = "20:00"    # the evening review's reminder time
TIMEZONE = "UTC"          # when the device's own zone is unknown
# Names of UTC itself: what a machine set to no particular place reports (servers, containers).
UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu"})

# The reminder switches and the other synced settings (user_settings on the server)
PUSH_NOTIFICATIONS = True
EMAIL_REMINDERS = False
MORNING_REMINDER = True
EVENING_REMINDER = True
WEEKLY_EMAIL = True
SOUND_ENABLED = True
AUTO_PLAY_RECORDING = False
THEME = "system"

# This device's own settings (never synced)
ON_DEVICE_REMINDERS = True
MIN_RECORDING_SECONDS = 20   # the shortest reading the quality gate accepts
MAX_RECORDING_MINUTES = 15   # the longest recording
