"""Where the app finds its Supabase project. Absent → guest mode: sync is off, silently, and
everything else works.

Looked up in this order (the first complete pair wins):
1. the environment: `SUPABASE_URL` and `SUPABASE_ANON_KEY`;
2. `supabase.json` in the user config dir (platformdirs, app "ChrisDisciplined"), e.g.
   `~/.config/ChrisDisciplined/supabase.json` on Linux:
   `{"url": "https://xyz.supabase.co", "anon_key": "eyJ…"}`.

The anon key is public by design (row level security protects the data); the member's tokens
never go in this file (chris_app.sync.auth keeps them in the system keyring).

Server push on phones (OneSignal, chris_app.notifications.push) needs the OneSignal app id,
public configuration too (it is compiled into every OneSignal app): `CHRIS_ONESIGNAL_APP_ID`
in the environment, else `"onesignal_app_id"` in the same `supabase.json`. Absent → no push:
the phone registers nothing and the member's reminders come on the device or by email.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

log = logging.getLogger(__name__)

APP_NAME = "ChrisDisciplined"
CONFIG_FILE = "supabase.json"
ONESIGNAL_ENV = "CHRIS_ONESIGNAL_APP_ID"
ONESIGNAL_KEY = "onesignal_app_id"
_APP_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@dataclass(frozen=True, slots=True)
class BackendConfig:
    url: str
    anon_key: str


def config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / CONFIG_FILE


def load_config(env: Mapping[str, str] | None = None, path: Path | None = None) -> BackendConfig | None:
    """The configured project, or None (guest mode). A broken file counts as absent: the app
    must start anyway."""
    env = os.environ if env is None else env
    url, key = env.get("SUPABASE_URL", "").strip(), env.get("SUPABASE_ANON_KEY", "").strip()
    if url and key:
        return BackendConfig(url.rstrip("/"), key)
    path = config_path() if path is None else path
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    url, key = str(data.get("url") or "").strip(), str(data.get("anon_key") or "").strip()
    if url.startswith(("https://", "http://")) and key:
        return BackendConfig(url.rstrip("/"), key)
    return None


def load_push_app_id(env: Mapping[str, str] | None = None, path: Path | None = None) -> str | None:
    """The OneSignal app id (a UUID, as the OneSignal dashboard shows it), or None: no push.
    The environment wins over the file; a value that is not a UUID counts as absent, with a
    warning that names where it came from (never a crash: the app must start anyway)."""
    env = os.environ if env is None else env
    value, source = env.get(ONESIGNAL_ENV, "").strip(), ONESIGNAL_ENV
    if not value:
        path = config_path() if path is None else path
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        value = str(data.get(ONESIGNAL_KEY) or "").strip() if isinstance(data, dict) else ""
        source = f"{ONESIGNAL_KEY} in {path}"
    if not value:
        return None
    if not _APP_ID.fullmatch(value):
        log.warning("%s is not a OneSignal app id (a UUID such as "
                    "1b2c3d4e-0000-4000-8000-123456789abc); server push stays off", source)
        return None
    return value
