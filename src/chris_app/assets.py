"""Where the app's assets are (the icon, splash, fonts and sounds of the top-level `assets/`).

There is one copy, the repository's `assets/`; each way of running the app finds it:
- a source checkout or an editable install: `assets/` next to `src/`;
- an installed wheel: `chris_app/assets/` (pyproject.toml copies the folder into the wheel);
- the PyInstaller bundle: `assets/` in the bundle (build.spec);
- the phone build: `flet build` reads `packaging/app/assets`, a link to the same folder, and
  puts it into the phone app, where Flet serves it without this module."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def candidates() -> list[Path]:
    bundle = getattr(sys, "_MEIPASS", None)
    return [
        *([Path(bundle) / "assets"] if bundle else []),
        HERE / "assets",
        HERE.parent.parent / "assets",
    ]


def assets_dir() -> Path:
    """The assets folder; one that holds the sounds, so a stray `assets/` does not count."""
    for path in candidates():
        if (path / "sounds").is_dir():
            return path
    raise FileNotFoundError("The app's assets folder is missing: looked in "
                            + ", ".join(str(p) for p in candidates()))
