"""Files the member adds (recordings, vision board images), stored under the store's files
directory. Writes go to a temporary file next to the target and are moved into place with
os.replace, so a crash or a full disk never leaves a half-written file where a good one was."""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from pathlib import Path

from chris_app.errors import StorageFailed


def write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise storage_error(exc) from exc


def storage_error(exc: OSError) -> StorageFailed:
    if exc.errno == errno.ENOSPC:
        return StorageFailed("Your device is out of storage space. Free some space and try again; nothing was lost.")
    return StorageFailed(f"The file could not be saved on this device ({exc.strerror or exc}).")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()
