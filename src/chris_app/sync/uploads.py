"""Uploads (and downloads on demand) of the member's files in Supabase Storage: recordings to
`recordings/{user_id}/{date}-recording.ogg` and vision board images to
`vision-boards/{user_id}/{file}`, with upsert (re-recording a day overwrites its object).

The queue is the outbox's `recordings` entries and the tiles not yet marked `uploaded_at`. An
entry leaves the queue only after Storage confirmed the upload; the local file is never
deleted (the device keeps playing it offline). A failed upload stays queued for the next run.
Recordings from another device download when played; board images right after a sync."""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath

import httpx

from chris_app.errors import InvalidInput
from chris_app.services._rows import stamp
from chris_app.services.files import write_atomically
from chris_app.services.vision_board import image_suffix
from chris_app.store import Store
from chris_app.sync.errors import ServerError
from chris_app.sync.http import gate_of, new_client, reaching
from chris_app.sync.paths import REMOTE_PREFIX, image_object, object_path_ok, recording_object


@dataclass(frozen=True, slots=True)
class Upload:
    kind: str  # "recording" | "image"
    row_id: str
    path: Path
    bucket: str
    object_name: str
    mime: str


def pending_uploads(store: Store, user_id: str) -> list[Upload]:
    uploads = []
    for row in store.query(
        "select r.id, r.date, r.path, r.mime from outbox o join recordings r on r.id = o.row_id"
        " where o.entity = 'recordings' and o.op = 'upsert' order by o.seq"
    ):
        if not row["path"].startswith(REMOTE_PREFIX) and Path(row["path"]).exists():
            uploads.append(Upload("recording", row["id"], Path(row["path"]), "recordings",
                                  recording_object(user_id, row["date"]), row["mime"]))
    for row in store.query("select id, image_path from vision_board_tiles where uploaded_at is null order by position"):
        path = row["image_path"]
        if not path.startswith(REMOTE_PREFIX) and Path(path).exists():
            mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
            uploads.append(Upload("image", row["id"], Path(path), "vision-boards", image_object(user_id, path), mime))
    return uploads


def _check_object_name(object_name: str) -> None:
    """Refuse, before any request, an object name outside the member-folder rule (sync/paths.py):
    the server would refuse it too, and `..` or `\\` must never reach a URL."""
    if not object_path_ok(object_name):
        raise ServerError("A file of your account has a name that cannot be stored. It stays on this device.")


class StorageClient:
    """Supabase Storage as the member, over the door's client. Hand-written on purpose
    (docs/sync.md): the file goes up as the raw request body (`POST /object/<bucket>/<name>`,
    `x-upsert: true`) and comes down from `/object/authenticated/<bucket>/<name>` — two requests
    whose bytes are exactly the file, where storage3 would send multipart form data."""

    def __init__(self, url: str, anon_key: str, token: Callable[[], str], client: httpx.Client | None = None) -> None:
        self.base = url.rstrip("/") + "/storage/v1/object"
        self.anon_key, self.token = anon_key, token
        self.client = client or new_client(120.0)
        gate_of(self.client)  # HTTP outcomes → errors (chris_app.sync.http)

    def upload(self, upload: Upload) -> None:
        _check_object_name(upload.object_name)
        self._request("POST", f"{upload.bucket}/{upload.object_name}", content=upload.path.read_bytes(),
                      headers={"Content-Type": upload.mime, "x-upsert": "true"})

    def download(self, bucket: str, object_name: str) -> bytes:
        _check_object_name(object_name)
        return self._request("GET", f"authenticated/{bucket}/{object_name}").content

    def _request(self, method: str, path: str, content: bytes | None = None,
                 headers: dict[str, str] | None = None) -> httpx.Response:
        headers = {"apikey": self.anon_key, "Authorization": f"Bearer {self.token()}", **(headers or {})}
        with reaching():
            return self.client.request(method, f"{self.base}/{path}", content=content, headers=headers)


def download_recording(store: Store, storage: StorageClient, recording_id: str) -> Path:
    """Fetch a recording made on another device into this device's recordings folder (once);
    its bytes must match the sha256 the account recorded for it."""
    row = store.query("select * from recordings where id = ?", (recording_id,))[0]
    if not row["path"].startswith(REMOTE_PREFIX):
        return Path(row["path"])
    data = storage.download("recordings", row["path"][len(REMOTE_PREFIX):])
    if hashlib.sha256(data).hexdigest() != row["sha256"]:
        raise ServerError("The downloaded recording does not match the one saved in your account. Try again later.")
    target = store.files_dir / "recordings" / f"{row['date']}-{recording_id[:8]}.ogg"
    write_atomically(target, data)
    with store.transaction() as conn:
        conn.execute("update recordings set path = ?, size_bytes = ? where id = ?", (str(target), len(data), recording_id))
    return target


def download_tile_images(store: Store, storage: StorageClient, now: datetime) -> int:
    """Bring the board's images made on another device to this one (after a pull: at most 8
    small, downscaled images, so the board is complete whenever it is opened, also offline
    later). Each keeps its object's file name, so the next pull knows it is the same image; it
    counts as uploaded (it came from Storage). Returns how many arrived; a file that is not an
    image is refused and its tile keeps its placeholder."""
    done = 0
    for row in store.query("select id, image_path from vision_board_tiles where image_path like ? order by position",
                           (REMOTE_PREFIX + "%",)):
        object_name = row["image_path"][len(REMOTE_PREFIX):]
        name = PurePath(object_name).name
        if name in ("", ".", ".."):
            continue  # not a file name this app gives: leave the placeholder
        data = storage.download("vision-boards", object_name)
        try:
            image_suffix(data)
        except InvalidInput:
            raise ServerError("An image of your vision board could not be read. It stays on your other device.") from None
        target = store.files_dir / "vision" / name
        write_atomically(target, data)
        with store.transaction() as conn:  # only if the tile still waits for this very image
            changed = conn.execute("update vision_board_tiles set image_path = ?, uploaded_at = ?"
                                   " where id = ? and image_path = ?",
                                   (str(target), stamp(now), row["id"], row["image_path"])).rowcount
        if not changed:
            target.unlink(missing_ok=True)
        done += changed
    return done


def upload_pending(store: Store, storage: StorageClient, user_id: str, now: datetime) -> int:
    """Upload what is queued; returns how many files Storage confirmed. Stops at the first
    failure (the rest waits for the next run, in order)."""
    done = 0
    for upload in pending_uploads(store, user_id):
        storage.upload(upload)
        with store.transaction() as conn:
            if upload.kind == "recording":
                conn.execute("update recordings set uploaded_at = ? where id = ?", (stamp(now), upload.row_id))
                conn.execute("delete from outbox where entity = 'recordings' and row_id = ?", (upload.row_id,))
            else:
                conn.execute("update vision_board_tiles set uploaded_at = ? where id = ?", (stamp(now), upload.row_id))
        done += 1
    return done
