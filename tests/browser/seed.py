"""A member's history written straight into an app's data directory before the app starts,
through the app's own services with a frozen clock: a screen that needs ten lived days gets
them in a second instead of ten app restarts."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from chris_app.services import day, recordings
from chris_app.services.profile import ensure_profile, update_settings
from chris_app.store import open_store
from tests.conftest import wav_bytes

ACTION = "Call the client I have been avoiding"


def seed(data_dir: Path, first_morning: datetime, days: dict[int, int | None], *,
         theme: str | None = None, action_on: int | None = None) -> None:
    """Day n (1 = first_morning's day) in `days` had its reading recorded and, with a rating,
    its evening saved (action done, a win written); days left out were missed; day `action_on`
    has its violent action set. The profile is created on day 1 in Berlin's time zone."""
    data_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(data_dir / "chris.sqlite3")
    try:
        ensure_profile(store, first_morning, "Europe/Berlin")
        if theme:
            update_settings(store, first_morning, theme=theme)
        for n, rating in sorted(days.items()):
            morning = first_morning + timedelta(days=n - 1)
            recordings.import_audio_file(store, morning, "reading.wav", wav_bytes(21))
            if rating is not None:
                day.set_action(store, morning, f"Day {n}: make the call I keep putting off")
                day.save_evening(store, morning + timedelta(hours=14), action_completed=True,
                                 discipline_rating=rating, biggest_win=f"Kept my word on day {n}")
        if action_on is not None:
            day.set_action(store, first_morning + timedelta(days=action_on - 1), ACTION)
    finally:
        store.close()
