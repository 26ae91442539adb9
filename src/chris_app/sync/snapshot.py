"""What a device holds, in the server's shape: two devices that converged have equal snapshots
(the sync tests compare them; also for diagnostics). Read only."""

from __future__ import annotations

import sqlite3
from typing import Any

from chris_app.sync.outgoing import affirmation_payload, day_payload, profile_payload, settings_payload, tile_payload


def snapshot(conn: sqlite3.Connection, user_id: str) -> dict[str, Any]:
    """Everything that syncs, as server rows (affirmation versions with their numbers)."""
    return {
        "daily_sessions": [day_payload(conn, r, user_id) for r in
                           conn.execute("select * from daily_sessions order by date").fetchall()],
        "affirmations": [dict(affirmation_payload(r), version=r["version"]) for r in
                         conn.execute("select * from affirmations order by version").fetchall()],
        "vision_boards": [tile_payload(r, user_id) for r in
                          conn.execute("select * from vision_board_tiles order by position").fetchall()],
        "user_settings": settings_payload(conn.execute("select * from settings").fetchone()),
        "profile": profile_payload(conn.execute("select * from profile").fetchone()),
    }
