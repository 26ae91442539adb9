"""Where the app finds its Supabase project. Absent → guest mode: sync is off, silently, and
everything else works.

Looked up in this order (the first complete pair wins):
1. the environment: `SUPABASE_URL` and `SUPABASE_ANON_KEY`;
2. `supabase.json` in the user config dir (platformdirs, app "ChrisDisciplined"), e.g.
   `~/.config/ChrisDisciplined/supabase.json` on Linux:
   `{"url": "https://xyz.supabase.co", "anon_key": "eyJ…"}`;
3. the same file shipped inside the app (`CHRIS_APP_BUNDLED_CONFIG` names it): a phone app has
   no shell environment and nobody to write its config folder, so the phone build carries the
   project's public configuration, written at build time by `scripts/phone_config.py` into
   `packaging/app/supabase.json` (docs/phone-build.md); the phone entry points here.

The anon key is public by design (row level security protects the data); the member's tokens
never go in this file (chris_app.sync.auth keeps them in the system keyring).

Server push on phones (OneSignal, chris_app.notifications.push) needs the OneSignal app id,
public configuration too (it is compiled into every OneSignal app): `CHRIS_ONESIGNAL_APP_ID`
in the environment, else `"onesignal_app_id"` in the same `supabase.json` (the user's, then
the shipped one). Absent → no push:
the phone registers nothing and the member's reminders come on the device or by email.

Error reports (chris_app.reporting, opt-in) go to the Sentry DSN in `SENTRY_DSN`, else
`"sentry_dsn"` in the same file; absent → none are sent whatever the member's switch says.
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
BUNDLED_ENV = "CHRIS_APP_BUNDLED_CONFIG"  # the config file shipped inside the app (phones)
ONESIGNAL_ENV = "CHRIS_ONESIGNAL_APP_ID"
ONESIGNAL_KEY = "onesignal_app_id"
SENTRY_ENV = "SENTRY_DSN"
SENTRY_KEY = "sentry_dsn"
_APP_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@dataclass(frozen=True, slots=True)
class BackendConfig:
    url: str
    anon_key: str


def config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / CONFIG_FILE


def bundled_config_path(env: Mapping[str, str] | None = None) -> Path | None:
    """The config file shipped inside the app, when the entry point names one."""
    value = (os.environ if env is None else env).get(BUNDLED_ENV, "").strip()
    return Path(value) if value else None


def _read(path: Path | None) -> dict:
    """A config file's object; {} when absent or broken (the app must start anyway)."""
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def backend_of(data: Mapping) -> BackendConfig | None:
    """The project in a config object, or None when it is incomplete or not a web address."""
    url, key = str(data.get("url") or "").strip(), str(data.get("anon_key") or "").strip()
    if url.startswith(("https://", "http://")) and key:
        return BackendConfig(url.rstrip("/"), key)
    return None


def load_config(env: Mapping[str, str] | None = None, path: Path | None = None,
                bundled: Path | None = None) -> BackendConfig | None:
    """The configured project, or None (guest mode). A broken file counts as absent: the app
    must start anyway. `path`: the user's file (default: the config dir's); `bundled`: the
    file shipped with the app (default: `CHRIS_APP_BUNDLED_CONFIG`)."""
    env = os.environ if env is None else env
    url, key = env.get("SUPABASE_URL", "").strip(), env.get("SUPABASE_ANON_KEY", "").strip()
    if url and key:
        return BackendConfig(url.rstrip("/"), key)
    for file in (config_path() if path is None else path,
                 bundled_config_path(env) if bundled is None else bundled):
        if (config := backend_of(_read(file))) is not None:
            return config
    return None


def load_push_app_id(env: Mapping[str, str] | None = None, path: Path | None = None,
                     bundled: Path | None = None) -> str | None:
    """The OneSignal app id (a UUID, as the OneSignal dashboard shows it), or None: no push.
    The environment wins over the user's file, which wins over the shipped one; a value that
    is not a UUID counts as absent, with a warning that names where it came from (never a
    crash: the app must start anyway)."""
    env = os.environ if env is None else env
    value, source = env.get(ONESIGNAL_ENV, "").strip(), ONESIGNAL_ENV
    if not value:
        for file in (config_path() if path is None else path,
                     bundled_config_path(env) if bundled is None else bundled):
            value = str(_read(file).get(ONESIGNAL_KEY) or "").strip()
            if value:
                source = f"{ONESIGNAL_KEY} in {file}"
                break
    if not value:
        return None
    return push_app_id_of(value, source)


def load_sentry_dsn(env: Mapping[str, str] | None = None, path: Path | None = None,
                    bundled: Path | None = None) -> str | None:
    """The Sentry DSN error reports go to, or None (none are sent). Looked up like the push app
    id; only an http(s) address counts."""
    env = os.environ if env is None else env
    value = env.get(SENTRY_ENV, "").strip()
    for file in ([] if value else [config_path() if path is None else path,
                                   bundled_config_path(env) if bundled is None else bundled]):
        if value := str(_read(file).get(SENTRY_KEY) or "").strip():
            break
    return value if value.startswith(("https://", "http://")) else None


def push_app_id_of(value: str, source: str) -> str | None:
    """`value` when it is a OneSignal app id, else None with a warning naming `source`."""
    if not _APP_ID.fullmatch(value):
        log.warning("%s is not a OneSignal app id (a UUID such as "
                    "1b2c3d4e-0000-4000-8000-123456789abc); server push stays off", source)
        return None
    return value
