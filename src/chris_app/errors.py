"""What a member can run into, each with a sentence they understand (`.message`).

    ChrisError
    ├── InvalidInput        bad input; nothing was saved (field → sentence in .problems)
    ├── NotFound            the thing asked for does not exist (any more)
    ├── StorageFailed       the device could not store a file (disk full, permissions)
    └── FunctionFailed      an edge function call failed (chris_app.functions_client)

Audio devices have their own tree (`chris_app.audio.errors.AudioError`), and so do sign-in and
sync (`chris_app.sync.errors.SyncError`); every one of them carries a `.message` too.
"""

from __future__ import annotations


class ChrisError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(ChrisError):
    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__(" ".join(problems.values()))


class NotFound(ChrisError):
    pass


class StorageFailed(ChrisError):
    pass
