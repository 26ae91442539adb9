"""The lengths and ranges of what a member enters, in one place.

The device validates input against these (chris_app.models), the device's store can hold at
least this much (store/migrations), and the server's constraints say the same numbers
(supabase/migrations); tests/db/test_db_limits.py probes all three at each boundary, so a
value one side accepts is never refused by the other — neither on push nor on pull.
"""

from __future__ import annotations

DISPLAY_NAME_MAX = 40        # characters after trimming; empty means "no name"
AFFIRMATIONS_MIN = 1         # an affirmations version is never blank
AFFIRMATIONS_MAX = 5000      # characters of one affirmations version (at least 1 non-blank)
CAPTION_MAX = 140            # characters of a vision board caption
ACTION_MIN, ACTION_MAX = 3, 280   # the day's violent action, trimmed
BIGGEST_WIN_MAX = 1000       # the evening's biggest win
RATING_MIN, RATING_MAX = 1, 10    # discipline rating
DAY_START_MIN, DAY_START_MAX = 0, 23  # hour the protocol day starts
POSITION_MIN, POSITION_MAX = 1, 8     # vision board positions
THEMES = ("light", "dark", "system")
# device-only settings (never synced): the shortest reading the quality gate accepts and the
# longest recording, each settable within these ranges
MIN_RECORDING_SECONDS_MIN, MIN_RECORDING_SECONDS_MAX = 1, 600
MAX_RECORDING_MINUTES_MIN, MAX_RECORDING_MINUTES_MAX = 1, 60
