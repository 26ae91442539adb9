"""The member's files after a sync: queued uploads go up, the board's images made on another
device come down; recordings come down on demand.

Which recordings the account holds that this device has no file for needs no server call: a
pulled recording row from another device is stored with the path `remote:<object name>` until
its file is downloaded (chris_app.sync.paths.REMOTE_PREFIX), so those rows are the list.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from chris_app.store import Store
from chris_app.sync.errors import SyncError
from chris_app.sync.paths import REMOTE_PREFIX
from chris_app.sync.uploads import StorageClient, download_recording, download_tile_images, upload_pending


def transfer_after_sync(store: Store, storage: StorageClient, user_id: str) -> tuple[bool, str]:
    """(the board got images, what to tell the member: "" when all went). A failure waits for
    the next run; it never loses the local files."""
    problem, arrived = "", False
    try:
        upload_pending(store, storage, user_id, datetime.now(timezone.utc))
    except SyncError as exc:
        problem = f"Some files are not uploaded yet: {exc.message}"
    try:
        arrived = download_tile_images(store, storage, datetime.now(timezone.utc)) > 0
    except SyncError as exc:
        problem = f"Some vision board images are not here yet: {exc.message}"
    return arrived, problem


def fetch_recording(store: Store, storage: StorageClient, recording_id: str) -> Path:
    return download_recording(store, storage, recording_id)


def recordings_not_here(store: Store) -> list[str]:
    """Ids of the account's recordings (pulled rows) whose file is not on this device, oldest
    day first."""
    rows = store.query("select id from recordings where path like ? order by date, id", (REMOTE_PREFIX + "%",))
    return [row["id"] for row in rows]
