"""Every HTTP outcome from the Supabase project, mapped once.

The backend door (chris_app.sync.door.Backend) owns one `httpx.Client`; `gate_of(client)`
installs this module's two event hooks on it (httpx's documented way to raise for a status),
so every request through that client — the hand-written auth and storage calls, and the
requests supabase-py's `postgrest` and `supabase_functions` send — is checked here and
nowhere else:

| outcome                                           | error (chris_app.sync.errors)         |
|---------------------------------------------------|----------------------------------------|
| no connection, DNS, TLS, timeout (`reaching()`)   | Offline (retried)                      |
| 429 from any service                              | RateLimited(retry_after) (retried)     |
| auth 5xx / 401 on a call with the member's token  | ServerError / AuthExpired              |
| auth other 4xx                                    | AuthFailed (GoTrue's error code)       |
| functions, any other non-2xx                      | FunctionFailed (the function's words)  |
| REST or storage 401, 403                          | AuthExpired (refresh, or sign in)      |
| REST or storage 5xx; storage 4xx                  | ServerError (retried)                  |
| REST 413 or SQLSTATE 54000                        | CallRejected "too many changes"        |
| REST other 4xx                                    | CallRejected with the server's reason  |

`Retry-After` is read as seconds or as an HTTP date; missing or unreadable → 60 s. The gate
remembers until when the database API asked to wait (`retry_wait()`): the sync loop asks it
before its next try. A function's 429 (its own bucket, or the AI daily quota) and a sign-in
429 do not hold the sync back. A per-call timeout (`with gate.timeout(s):`) goes into the request's httpx
`timeout` extension, for calls that may legitimately take long (a transcription).

The gate is per client (hence per Account): nothing here is shared between members.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.utils import parsedate_to_datetime

import httpx

from chris_app.sync.errors import (
    AuthExpired, AuthFailed, CallRejected, FunctionFailed, Offline, RateLimited, ServerError, SyncError,
)

DEFAULT_RETRY_AFTER = 60.0
SYNC_SERVICES = ("rest", "storage")  # whose 429 holds back the background sync (not an AI quota)

# GoTrue error codes → what the member reads
AUTH_MESSAGES = {
    "invalid_credentials": "That email and password don't match. Check them and try again.",
    "invalid_grant": "That email and password don't match. Check them and try again.",
    "email_not_confirmed": "Confirm your email first: open the link we sent you, then sign in.",
    "user_already_exists": "An account with this email already exists. Sign in instead.",
    "email_exists": "An account with this email already exists. Sign in instead.",
    "weak_password": "Choose a stronger password (at least 8 characters, not a common one).",
    "validation_failed": "Check the email address and try again.",
    "over_email_send_rate_limit": "Too many emails sent. Wait a few minutes and try again.",
    "otp_expired": "That code has expired or was already used. Ask for a new email.",
    "mfa_verification_failed": "That code is not right. Type the 6 digits your authenticator app shows now.",
    "mfa_challenge_expired": "That code took too long. Type the 6 digits your authenticator app shows now.",
    "mfa_factor_not_found": "Two-step verification was turned off for this account. Sign in again.",
    "flow_state_not_found": "That Google sign-in expired. Start it again.",
    "flow_state_expired": "That Google sign-in expired. Start it again.",
    "bad_code_verifier": "That Google sign-in expired. Start it again.",
    "provider_disabled": "Google sign-in is not enabled for this app yet. Use your email and password.",
}


def retry_after_of(response: httpx.Response, now: float) -> float:
    """Seconds the server asked to wait: `Retry-After` as seconds or an HTTP date (RFC 9110
    §10.2.3); missing or unreadable → DEFAULT_RETRY_AFTER."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return DEFAULT_RETRY_AFTER
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - now
        except (TypeError, ValueError, IndexError, OverflowError):
            return DEFAULT_RETRY_AFTER
    return max(0.0, seconds) if math.isfinite(seconds) else DEFAULT_RETRY_AFTER


def _json(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None


def service_of(request: httpx.Request) -> str:
    """"auth", "functions", "storage" or "rest", from the request's path."""
    path = request.url.path + "/"
    return next((s for s in ("auth", "functions", "storage") if f"/{s}/v1/" in path), "rest")


def error_for(response: httpx.Response, now: float) -> SyncError:
    """The error a failed (non-2xx) response means; see the table above."""
    status, service = response.status_code, service_of(response.request)
    body = _json(response)
    body = body if isinstance(body, dict) else {}
    if status == 429:
        return _rate_limited(service, body, retry_after_of(response, now))
    if service == "auth":
        if status >= 500:
            return ServerError("The sign-in service had a problem. Try again in a moment.")
        if status == 401 and "authorization" in response.request.headers:
            return AuthExpired()  # the member's token itself was refused
        code = str(body.get("error_code") or body.get("error") or "")
        text = body.get("msg") or body.get("error_description") or body.get("message") or ""
        return AuthFailed(AUTH_MESSAGES.get(code) or f"Sign-in failed: {text or 'try again'}.", code, status)
    if service == "functions":
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return FunctionFailed(str(error["message"]), str(error.get("code") or ""))
        return FunctionFailed(f"The server could not do that right now (error {status}). Try again later.",
                              str(status))
    if status in (401, 403):
        return AuthExpired()
    if status >= 500 or service == "storage":
        return ServerError()
    code, detail = body.get("code"), body.get("message")
    if status == 413 or code == "54000":
        return CallRejected("Too many changes for one sync request. Please update the app.", code)
    return CallRejected(f"The server refused this sync request ({detail or status}).", code)


def _rate_limited(service: str, body: dict, retry_after: float) -> RateLimited:
    """A function's own refusal (e.g. the AI daily quota) keeps its words and code; the sync
    line says when syncing goes on; elsewhere the member is told when to try again."""
    error = body.get("error")
    if service == "functions" and isinstance(error, dict) and error.get("message"):
        return RateLimited(retry_after, str(error["message"]), str(error.get("code") or "rate_limited"))
    if service in ("rest", "storage"):
        return RateLimited(retry_after)
    return RateLimited(retry_after, f"The server is busy. Try again in {math.ceil(retry_after)} s.")


@contextmanager
def reaching(member_waits: bool = False) -> Iterator[None]:
    """Around any request: a request that never got an answer means Offline. Its sentence says
    what happens next: background sync goes on by itself; a call the member is waiting for
    (`member_waits`: an AI draft, a checkout link) needs them to try again."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise Offline("The server took too long to answer. Try again in a moment.") from exc
    except (httpx.TransportError, OSError) as exc:  # connect/read errors, DNS, TLS
        raise (Offline(Offline.TRY_AGAIN) if member_waits else Offline()) from exc


class Gate:
    """The hooks one client carries (see the module docstring)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._local = threading.local()  # per-call timeout and "unchecked", per thread
        self._lock = threading.Lock()
        self._busy_until = 0.0

    def on_request(self, request: httpx.Request) -> None:
        seconds = getattr(self._local, "timeout", None)
        if seconds is not None:
            request.extensions["timeout"] = httpx.Timeout(seconds).as_dict()

    def on_response(self, response: httpx.Response) -> None:
        if response.is_success or getattr(self._local, "unchecked", False):
            return
        response.read()
        error = error_for(response, self.clock())
        if isinstance(error, RateLimited) and service_of(response.request) in SYNC_SERVICES:
            with self._lock:
                self._busy_until = max(self._busy_until, self.clock() + error.retry_after)
        raise error

    def retry_wait(self) -> float:
        """Seconds left of the last Retry-After (0 when the server asked for nothing)."""
        with self._lock:
            return max(0.0, self._busy_until - self.clock())

    @contextmanager
    def timeout(self, seconds: float) -> Iterator[None]:
        previous = getattr(self._local, "timeout", None)
        self._local.timeout = seconds
        try:
            yield
        finally:
            self._local.timeout = previous

    @contextmanager
    def unchecked(self) -> Iterator[None]:
        """Responses come back as they are (`--check-backend` reports statuses itself)."""
        self._local.unchecked = True
        try:
            yield
        finally:
            self._local.unchecked = False


def gate_of(client: httpx.Client, clock: Callable[[], float] | None = None) -> Gate:
    """The gate installed on `client` (installed now if it has none)."""
    for hook in client.event_hooks["response"]:
        if isinstance(getattr(hook, "__self__", None), Gate):
            return hook.__self__
    gate = Gate(clock or time.time)
    hooks = client.event_hooks
    hooks["request"] = [*hooks["request"], gate.on_request]
    hooks["response"] = [*hooks["response"], gate.on_response]
    client.event_hooks = hooks
    return gate


def new_client(timeout: float = 30.0) -> httpx.Client:
    """The door's one client: one connection pool for auth, REST, storage and functions."""
    return httpx.Client(timeout=httpx.Timeout(timeout, connect=10.0))
