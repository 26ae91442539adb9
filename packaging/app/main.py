"""Entry point of the phone builds (`flet build apk` / `flet build ipa`, see [tool.flet]).

On a phone there is no command line and no web mode: Flet's embedded runtime runs this
module, and the app keeps its data in Flet's app storage directory (FLET_APP_STORAGE_DATA,
read by chris_app.paths). The chris_app package itself is installed into the build as a
dependency ([tool.flet.android]/[tool.flet.ios] dependencies + [tool.flet] dev_packages), so
its version metadata is there for Settings.

The project's public configuration ships next to this file (`supabase.json`, written at build
time by scripts/phone_config.py; absent: a guest-only build)."""

import os
from pathlib import Path

import flet as ft

from chris_app.app import make_main
from chris_app.paths import database_path
from chris_app.store import open_store

os.environ.setdefault("CHRIS_APP_BUNDLED_CONFIG", str(Path(__file__).with_name("supabase.json")))
ft.run(make_main(open_store(database_path())))
