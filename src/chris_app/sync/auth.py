"""Email + password accounts against Supabase Auth (GoTrue) over plain httpx, with the session
kept in the system keyring.

Endpoints (all with the project's `apikey` header):
    sign in         POST /auth/v1/token?grant_type=password        {"email", "password"}
    sign up         POST /auth/v1/signup                           {"email", "password", "data"}
    refresh         POST /auth/v1/token?grant_type=refresh_token   {"refresh_token"}
    password reset  POST /auth/v1/recover                          {"email"}
    sign out        POST /auth/v1/logout  (Authorization: Bearer <access token>)

The session (access token, refresh token, expiry, user id, email) is one JSON secret in the
keyring (service "ChrisDisciplined", name "supabase-session"); it is never written to a file
or a log. `access_token()` refreshes it shortly before it expires, so the sync transport can
call it before every request.

Why not supabase-py's client here: its `initialize_from_storage` can remove a session it has
just refreshed at start-up (supabase-py #1646), signing members out an hour after they last
used the app. `restore()` below refreshes an expired session, stores the new one *before*
anything else, and removes the stored session only when the server says the refresh token is
no longer valid — never because the device is offline.

Errors (chris_app.sync.errors and AuthFailed below), each with `.message` for the member:
    Offline       no connection (the stored session is kept)
    AuthExpired   the stored session can no longer be refreshed: sign in again
    AuthFailed    wrong password, unconfirmed email, account exists, weak password …
    ServerError   the auth server failed
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import httpx

from chris_app.sync.errors import AuthExpired, Offline, ServerError, SyncError

KEYRING_SERVICE = "ChrisDisciplined"
KEYRING_NAME = "supabase-session"
REFRESH_MARGIN = 120  # seconds before expiry when a token is refreshed


class AuthFailed(SyncError):
    """The auth server refused the request (`code`: GoTrue's error code, `status`: HTTP)."""

    def __init__(self, message: str, code: str = "", status: int = 400) -> None:
        super().__init__(message)
        self.code, self.status = code, status


# GoTrue error codes → what the member reads
_MESSAGES = {
    "invalid_credentials": "That email and password don't match. Check them and try again.",
    "invalid_grant": "That email and password don't match. Check them and try again.",
    "email_not_confirmed": "Confirm your email first: open the link we sent you, then sign in.",
    "user_already_exists": "An account with this email already exists. Sign in instead.",
    "email_exists": "An account with this email already exists. Sign in instead.",
    "weak_password": "Choose a stronger password (at least 8 characters, not a common one).",
    "validation_failed": "Check the email address and try again.",
    "over_request_rate_limit": "Too many attempts. Wait a minute and try again.",
    "over_email_send_rate_limit": "Too many emails sent. Wait a few minutes and try again.",
}
_DEAD_REFRESH = {"refresh_token_not_found", "refresh_token_already_used", "session_not_found",
                 "session_expired", "invalid_grant", "bad_jwt", "user_not_found"}


class SecretStore(Protocol):
    """What the code uses of `keyring` (the module, or a backend instance in tests)."""

    def get_password(self, service: str, username: str) -> str | None: ...

    def set_password(self, service: str, username: str, password: str) -> None: ...

    def delete_password(self, service: str, username: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Session:
    access_token: str
    refresh_token: str
    expires_at: int  # unix seconds
    user_id: str
    email: str | None

    def __repr__(self) -> str:  # tokens never end up in a log by accident
        return f"Session(user_id={self.user_id!r}, email={self.email!r}, expires_at={self.expires_at})"

    @classmethod
    def from_response(cls, data: dict[str, Any], now: float) -> Session:
        expires_at = data.get("expires_at") or int(now) + int(data.get("expires_in") or 3600)
        user = data.get("user") or {}
        return cls(data["access_token"], data["refresh_token"], int(expires_at), user.get("id", ""), user.get("email"))


@dataclass(frozen=True, slots=True)
class SignUpResult:
    session: Session | None  # None: the project wants the email confirmed first
    user_id: str | None

    @property
    def message(self) -> str:
        if self.session:
            return "Your account is ready."
        return "Check your email: open the link we sent you to confirm your account, then sign in."


class AuthClient:
    def __init__(self, url: str, anon_key: str, *, secrets: SecretStore | None = None,
                 client: httpx.Client | None = None, clock: Callable[[], float] = time.time) -> None:
        if secrets is None:
            import keyring as secrets  # the system keyring (Keychain, Credential Locker, Secret Service)
        self.base = url.rstrip("/") + "/auth/v1"
        self.anon_key = anon_key
        self.secrets = secrets
        self.client = client or httpx.Client(timeout=20.0)
        self.clock = clock
        self._lock = threading.RLock()
        self._session: Session | None = None

    # -- public ---------------------------------------------------------------------------------
    @property
    def session(self) -> Session | None:
        return self._session

    @property
    def user_id(self) -> str | None:
        return self._session.user_id if self._session else None

    def sign_in(self, email: str, password: str) -> Session:
        data = self._post("/token?grant_type=password", {"email": email.strip(), "password": password})
        return self._keep(Session.from_response(data, self.clock()))

    def sign_up(self, email: str, password: str, *, timezone: str | None = None,
                full_name: str | None = None) -> SignUpResult:
        meta = {k: v for k, v in (("timezone", timezone), ("full_name", full_name)) if v}
        data = self._post("/signup", {"email": email.strip(), "password": password, "data": meta})
        if data.get("access_token"):
            session = self._keep(Session.from_response(data, self.clock()))
            return SignUpResult(session, session.user_id)
        user = data.get("user") or data
        return SignUpResult(None, user.get("id"))

    def reset_password(self, email: str) -> None:
        self._post("/recover", {"email": email.strip()})

    def sign_out(self) -> None:
        """Forget the session on this device (always), and end it on the server when reachable."""
        with self._lock:
            session, self._session = self._session, None
            self._forget()
        if session:
            try:
                self._post("/logout", None, token=session.access_token)
            except SyncError:
                pass  # offline or already ended: this device has forgotten it either way

    def restore(self) -> Session | None:
        """At start: the stored session, refreshed if it expired (the #1646 guard, see above).
        Offline with an expired token → the session is kept and refreshed on the next call."""
        with self._lock:
            raw = self.secrets.get_password(KEYRING_SERVICE, KEYRING_NAME)
            if not raw:
                return None
            try:
                self._session = Session(**json.loads(raw))
            except (ValueError, TypeError):
                self._forget()
                return None
            if self._expiring():
                try:
                    self.refresh()
                except (Offline, ServerError, AuthFailed):
                    pass  # keep it: the refresh token is still good when the network is back
                except AuthExpired:
                    return None
            return self._session

    def refresh(self) -> Session:
        with self._lock:
            if self._session is None:
                raise AuthExpired()
            try:
                data = self._post("/token?grant_type=refresh_token", {"refresh_token": self._session.refresh_token})
            except AuthFailed as exc:
                if exc.code in _DEAD_REFRESH or exc.status in (400, 401, 403):
                    self._session = None
                    self._forget()
                    raise AuthExpired() from exc
                raise
            return self._keep(Session.from_response(data, self.clock()))

    def access_token(self) -> str:
        """A valid access token (refreshed shortly before expiry); for the sync transport."""
        with self._lock:
            if self._session is None:
                raise AuthExpired()
            if self._expiring():
                self.refresh()
            return self._session.access_token

    def try_refresh(self) -> bool:
        """For SyncEngine(refresh_auth=…): True when a fresh token is available."""
        try:
            self.refresh()
            return True
        except SyncError:
            return False

    # -- inside ---------------------------------------------------------------------------------
    def _expiring(self) -> bool:
        return self._session is not None and self._session.expires_at - self.clock() < REFRESH_MARGIN

    def _keep(self, session: Session) -> Session:
        with self._lock:
            self.secrets.set_password(KEYRING_SERVICE, KEYRING_NAME, json.dumps(asdict(session)))
            self._session = session
        return session

    def _forget(self) -> None:
        try:
            self.secrets.delete_password(KEYRING_SERVICE, KEYRING_NAME)
        except Exception:  # keyring.errors.PasswordDeleteError: nothing stored
            pass

    def _post(self, path: str, body: dict | None, token: str | None = None) -> dict[str, Any]:
        headers = {"apikey": self.anon_key, "Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = self.client.post(self.base + path, json=body, headers=headers)
        except (httpx.TransportError, OSError) as exc:
            raise Offline() from exc
        if response.status_code >= 500:
            raise ServerError("The sign-in service had a problem. Try again in a moment.")
        if response.status_code >= 400:
            raise _auth_error(response)
        if response.status_code == 204 or not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            raise ServerError("The sign-in service had a problem. Try again in a moment.") from None


def _auth_error(response: httpx.Response) -> AuthFailed:
    try:
        body = response.json()
    except ValueError:
        body = {}
    code = body.get("error_code") or body.get("error") or ""
    text = body.get("msg") or body.get("error_description") or body.get("message") or ""
    message = _MESSAGES.get(code) or ("Too many attempts. Wait a minute and try again."
                                      if response.status_code == 429 else f"Sign-in failed: {text or 'try again'}.")
    return AuthFailed(message, code, response.status_code)
