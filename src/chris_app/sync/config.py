"""Where the app finds its Supabase project. Absent → guest mode: sync is off, silently, and
everything else works.

Looked up in this order (the first complete pair wins):
1. the environment: `SUPABASE_URL` and `SUPABASE_ANON_KEY`;
2. `supabase.json` in the user config dir (platformdirs, app "ChrisDisciplined"), e.g.
   `~/.config/ChrisDisciplined/supabase.json` on Linux:
   `{"url": "https://xyz.supabase.co", "anon_key": "eyJ…"}`.

The anon key is public by design (row level security protects the data); the member's tokens
never go in this file (chris_app.sync.auth keeps them in the system keyring).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "ChrisDisciplined"
CONFIG_FILE = "supabase.json"


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
