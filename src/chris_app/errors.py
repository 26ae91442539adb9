"""What a member can run into, each with a sentence they understand (`.message`). The whole
tree, drawn once:

    ChrisError
    ├── InvalidInput          bad input; nothing was saved (field → sentence in .problems)
    ├── NotFound              the thing asked for does not exist (any more)
    ├── StorageFailed         the device could not store a file (disk full, permissions)
    └── SyncError             the backend (chris_app.sync.errors; mapped from HTTP in sync/http.py)
        ├── Offline           no connection, timeout, DNS: retried with backoff
        ├── ServerError       the server failed (5xx, a reply that is not JSON): retried
        │   └── RateLimited   429: `retry_after` seconds to wait (Retry-After; missing → 60)
        ├── AuthExpired       the session is no longer accepted (401/403): refresh, or sign in
        ├── AuthFailed        sign-in refused: wrong password, unconfirmed email … (`code`)
        ├── CallRejected      the server refused the whole call (400, 404, 413): not retried
        ├── FunctionFailed    an edge function refused or failed; its own words (`code`)
        └── AccountMismatch   this device's data belongs to another account: not synced

Audio devices have their own tree (`chris_app.audio.errors.AudioError`, not a ChrisError);
every one of its errors carries a `.message` too.
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
