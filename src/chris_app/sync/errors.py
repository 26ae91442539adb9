"""The backend's errors (the branch `SyncError` of the tree drawn in chris_app.errors), each
with a sentence a member understands (`.message`).

Every HTTP outcome is mapped to one of them in one place, `chris_app.sync.http.error_for`
(the table is there). `retryable` says whether trying again later can succeed. A single *row*
the server refuses is not an exception: it comes back in the push result and is kept for the
member to see (see chris_app.sync.engine.Rejection).
"""

from __future__ import annotations

import math

from chris_app.errors import ChrisError


class SyncError(ChrisError):
    retryable = False


class Offline(SyncError):
    retryable = True
    TRY_AGAIN = "You are offline. Connect to the internet and try again."  # a call the member waits for

    def __init__(self, message: str = "You're offline. Your changes are saved on this device "
                                      "and will sync when you're back online.") -> None:
        super().__init__(message)


class ServerError(SyncError):
    retryable = True

    def __init__(self, message: str = "The sync server had a problem. We'll try again shortly.") -> None:
        super().__init__(message)


class RateLimited(ServerError):
    """The server asked this member to slow down (HTTP 429): nothing is wrong, nothing is lost;
    no request should go before `retry_after` seconds have passed."""

    def __init__(self, retry_after: float, message: str | None = None, code: str = "rate_limited") -> None:
        self.retry_after = max(0.0, float(retry_after))
        self.code = code
        super().__init__(message or f"The server is busy. Syncing again in {math.ceil(self.retry_after)} s.")


class AuthExpired(SyncError):
    def __init__(self, message: str = "Your sign-in has expired. Please sign in again to keep syncing.") -> None:
        super().__init__(message)


class AuthFailed(SyncError):
    """The auth server refused the request (`code`: GoTrue's error code, `status`: HTTP)."""

    def __init__(self, message: str, code: str = "", status: int = 400) -> None:
        super().__init__(message)
        self.code, self.status = code, status


class CallRejected(SyncError):
    def __init__(self, message: str = "The server refused this sync request.", code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class FunctionFailed(SyncError):
    """An edge function answered with an error; its message is written for the member."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class AccountMismatch(SyncError):
    def __init__(self, message: str = "This device's data belongs to another account. "
                                      "Sign in with that account to sync it.") -> None:
        super().__init__(message)
