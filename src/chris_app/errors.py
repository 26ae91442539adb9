"""What a member can run into, each with a sentence they understand (`.message`).

    ChrisError
    ├── InvalidInput        bad input; nothing was saved (field → sentence in .problems)
    ├── NotAllowed          the action is not possible now (e.g. editing a finished day)
    ├── NotFound            the thing asked for does not exist (any more)
    └── StorageFailed       the device could not store a file (disk full, permissions)

Audio devices have their own tree in `chris_app.audio.errors`; sync adds its own later.
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


class NotAllowed(ChrisError):
    pass


class NotFound(ChrisError):
    pass


class StorageFailed(ChrisError):
    pass
