"""The first-run introduction (/welcome): shown once, on a fresh install only.

A device needs it when it was never introduced AND holds nothing of the member yet. An
upgraded app that has days, readings, tiles or the member's own affirmations, or a device a
sign-in has filled with the account's data, has been used already: no introduction there."""

from __future__ import annotations

from datetime import datetime

from chris_app.services._rows import stamp
from chris_app.store import Store

INTRODUCED = "introduced"

# Anything here means the device has been used (the starter affirmations are not the member's:
# they have no activated_at, see services/affirmations.py).
HISTORY = """select exists (select 1 from daily_sessions) or exists (select 1 from recordings)
    or exists (select 1 from vision_board_tiles)
    or exists (select 1 from affirmations where activated_at is not null or version > 1)"""


def has_history(store: Store) -> bool:
    return bool(store.query(HISTORY)[0][0])


def was_introduced(store: Store) -> bool:
    return bool(store.query("select 1 from device_flags where name = ?", (INTRODUCED,)))


def needs_introduction(store: Store) -> bool:
    return not was_introduced(store) and not has_history(store)


def mark_introduced(store: Store, now: datetime) -> None:
    """Finished or skipped: never shown again on its own (Settings can replay it)."""
    with store.transaction() as conn:
        conn.execute("insert into device_flags (name, value, updated_at) values (?, '1', ?)"
                     " on conflict (name) do update set value = '1', updated_at = excluded.updated_at",
                     (INTRODUCED, stamp(now)))
