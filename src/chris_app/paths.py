"""Where the app keeps its files on this device.

CHRIS_APP_DATA_DIR overrides everything (tests, portable installs). On phones Flet sets
FLET_APP_STORAGE_DATA to the app's private storage directory; on desktops platformdirs'
user data dir is used."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "ChrisDisciplined"


def data_dir() -> Path:
    override = os.environ.get("CHRIS_APP_DATA_DIR") or os.environ.get("FLET_APP_STORAGE_DATA")
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_path() -> Path:
    return data_dir() / "chris.sqlite3"
