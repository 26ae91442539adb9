"""Facts about the device the app runs on."""

from __future__ import annotations

import os
from pathlib import Path

from chris_app.domain.days import is_valid_timezone


def device_timezone() -> str:
    """The device's IANA time zone name, or "UTC" when it can't be told."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        target = str(localtime.resolve())
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    timezone_file = Path("/etc/timezone")
    if timezone_file.exists():
        candidates.append(timezone_file.read_text(encoding="utf-8").strip())
    return next((c for c in candidates if c and is_valid_timezone(c)), "UTC")


def has_display() -> bool:
    """False on a Linux machine without a graphical session (a server, CI)."""
    if os.name == "nt" or os.uname().sysname == "Darwin":
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
