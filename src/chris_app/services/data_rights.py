"""The member's own data: export everything as a zip they can open, or wipe this device.

The export holds `data.json` (every row the member entered, plus the figures derived from
them) and the files: recordings as Ogg/Opus, vision board images as they were added. A signed-in
member's readings made on another device are downloaded first (views/data_rights.py); when the
member chooses to export without them, the README says how many are missing and data.json marks
each with `"file": null`, so nothing is left out silently."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from chris_app import __version__, reporting
from chris_app.services import summary
from chris_app.services._rows import stamp
from chris_app.services.files import storage_error
from chris_app.services.profile import create_guest, get_profile
from chris_app.store import Store
from chris_app.sync.paths import REMOTE_PREFIX

TABLES = ("profile", "settings", "affirmations", "daily_sessions", "recordings", "vision_board_tiles")
README = """Chris Disciplined — your data
=============================
data.json        everything you entered: profile, settings, affirmation versions, every day
                 (morning, violent action, evening review), recordings and vision board, and
                 your figures (streaks, completion rate, average rating, discipline score)
recordings/      your morning readings (Ogg/Opus audio; most players open them)
vision-board/    the images on your vision board
"""


def export_name(store: Store, now: datetime) -> str:
    return f"chris-disciplined-export-{summary.home(store, now).today.isoformat()}.zip"


def missing_note(readings: int, images: int) -> str:
    """The README's paragraph on what this archive lacks ("" when it lacks nothing)."""
    parts = [f"{n} {what}{'s' if n != 1 else ''}" for n, what in ((readings, "reading"), (images, "vision board image")) if n]
    if not parts:
        return ""
    return (f"\nNOT IN THIS ARCHIVE: {' and '.join(parts)}, kept in your account but not on the device that "
            "made this export (made on another device and not downloaded, or the file was gone). "
            'data.json lists each with "file": null. Export again when online to include them.\n')


def unique(stem: str, suffix: str, taken: set[str]) -> str:
    """`stem + suffix`, or `stem-2 + suffix`, …: a day's second take must not hide its first."""
    name, n = stem + suffix, 1
    while name in taken:
        n += 1
        name = f"{stem}-{n}{suffix}"
    return name


def write_export(store: Store, now: datetime, target: Path) -> Path:
    """Write the export zip to `target` (atomically: a temp file, then a rename)."""
    folder = Path(export_name(store, now)).stem
    rows = {table: [dict(r) for r in store.query(f"select * from {table}")] for table in TABLES}
    files: list[tuple[Path, str]] = []
    missing = {"recordings": 0, "vision_board_tiles": 0}
    for table, column, name in (("recordings", "path", lambda r: f"recordings/{r['date']}"),
                                ("vision_board_tiles", "image_path", lambda r: f"vision-board/{r['position']}")):
        for row in rows[table]:
            path = row.pop(column)
            if path.startswith(REMOTE_PREFIX) or not Path(path).is_file():
                row["file"] = None
                missing[table] += 1
                continue
            row["file"] = unique(name(row), Path(path).suffix, {arc for _, arc in files})
            files.append((Path(path), row["file"]))
    stats = summary.stats(store, now)
    document = {
        "exported_at": stamp(now),
        "app_version": __version__,
        "first_day": get_profile(store).first_day.isoformat(),
        "figures": {k: str(v) if not isinstance(v, int) else v for k, v in asdict(stats).items()},
        **rows,
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{folder}/README.txt",
                             README + missing_note(missing["recordings"], missing["vision_board_tiles"]))
            archive.writestr(f"{folder}/data.json", json.dumps(document, indent=2, ensure_ascii=False))
            for path, arcname in files:
                # Opus and images are compressed already: store them as they are.
                archive.write(path, f"{folder}/{arcname}", compress_type=zipfile.ZIP_STORED)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise storage_error(exc) from exc
    return target


def wipe_device(store: Store, now: datetime, device_timezone: str) -> None:
    """Delete everything made on this device (and its link to an account, with the sync
    cursor) and start again as a new guest. One transaction: a screen rendering meanwhile
    sees the old member or the new guest, never a store without a profile."""
    with store.transaction() as conn:
        for table in ("daily_sessions", "recordings", "vision_board_tiles", "affirmations",
                      "settings", "profile", "outbox", "sync_state"):
            conn.execute(f"delete from {table}")
        create_guest(conn, now, device_timezone)
        reporting.forget_install(conn)
    shutil.rmtree(store.files_dir, ignore_errors=True)
    store.files_dir.mkdir(parents=True, exist_ok=True)
