"""Object paths: the one rule for a member's object path in Storage and in the path columns
(`daily_sessions.recording_path`, `vision_boards.image_path`): `<member uuid>/<segment>[/...]`,
the uuid in lower case, each segment letters, digits, `_` and `-` with single dots only between
them. So no `..` or `.` segment, no backslash, no empty segment, no leading or trailing `/`,
at most 1024 characters. The SQL twin is `private.object_path_ok` in
supabase/migrations/20261202000500_hardening.sql; tests/db/test_db_path_rule.py feeds both the
same cases.

Also how a local row names its file in Storage (`recording_object`, `image_object`), and how a
file known only from the server is kept until it is downloaded (`REMOTE_PREFIX`,
`remote_recording_id`)."""

from __future__ import annotations

import re
import uuid
from pathlib import PurePath

MAX_LENGTH = 1024
_PATH = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
                   r"(/[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*)+", re.ASCII)


def object_path_ok(path: object, owner: str | None = None) -> bool:
    """Whether `path` is an object path of the member `owner` (of some member when None)."""
    if not isinstance(path, str) or len(path) > MAX_LENGTH or _PATH.fullmatch(path) is None:
        return False
    return owner is None or path.split("/", 1)[0] == owner


def checked_object_path(path: str) -> str:
    """`path` if it follows the rule, else ValueError (for validators of pulled rows)."""
    if not object_path_ok(path):
        raise ValueError("not an object path of a member's folder")
    return path


# -- how a row names its file -------------------------------------------------------------------
# A file known only from the server is kept locally as `remote:{object name}` until it is
# downloaded; a local file's object name is `{user_id}/{file name}`.
REMOTE_PREFIX = "remote:"


def recording_object(user_id: str, day: str) -> str:
    """The object name of a day's recording in the recordings bucket."""
    return f"{user_id}/{day}-recording.ogg"


def image_object(user_id: str, local_path: str) -> str:
    """The object name of a tile image in the vision-boards bucket."""
    if local_path.startswith(REMOTE_PREFIX):
        return local_path[len(REMOTE_PREFIX):]
    return f"{user_id}/{PurePath(local_path).name}"


def remote_recording_id(recording_path: str, sha256: str | None) -> str:
    """A stable id for a recording known only from the server, the same on every device."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"chris-recording:{recording_path}:{sha256}"))
