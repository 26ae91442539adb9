"""What can go wrong while syncing, each with a sentence a member understands (`.message`).

    ChrisError (chris_app.errors)
    └── SyncError
        ├── Offline           no connection, timeout, DNS: retried with backoff
        ├── ServerError       the server failed (5xx, 429, a reply that is not JSON): retried
        ├── AuthExpired       the session is no longer accepted (401/403): refresh, or sign in
        ├── CallRejected      the server refused the whole call (400, 404, 413): not retried
        └── AccountMismatch   this device's data belongs to another account: not synced

`retryable` says whether trying again later can succeed. A single *row* the server refuses
is not an exception: it comes back in the push result and is kept for the member to see
(see chris_app.sync.engine.Rejection).
"""

from __future__ import annotations

from chris_app.errors import ChrisError


class SyncError(ChrisError):
    retryable = False


class Offline(SyncError):
    retryable = True

    def __init__(self, message: str = "You're offline. Your changes are saved on this device "
                                      "and will sync when you're back online.") -> None:
        super().__init__(message)


class ServerError(SyncError):
    retryable = True

    def __init__(self, message: str = "The sync server had a problem. We'll try again shortly.") -> None:
        super().__init__(message)


class AuthExpired(SyncError):
    def __init__(self, message: str = "Your sign-in has expired. Please sign in again to keep syncing.") -> None:
        super().__init__(message)


class CallRejected(SyncError):
    def __init__(self, message: str = "The server refused this sync request.", code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class AccountMismatch(SyncError):
    def __init__(self, message: str = "This device's data belongs to another account. "
                                      "Sign in with that account to sync it.") -> None:
        super().__init__(message)
