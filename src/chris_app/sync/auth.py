"""Email + password accounts against Supabase Auth (GoTrue) over plain httpx, with the session
kept in the system keyring.

Endpoints (all with the project's `apikey` header):
    sign in         POST /auth/v1/token?grant_type=password        {"email", "password"}
    sign up         POST /auth/v1/signup                           {"email", "password", "data"}
    refresh         POST /auth/v1/token?grant_type=refresh_token   {"refresh_token"}
    password reset  POST /auth/v1/recover                          {"email"}  (the email holds a code)
                    POST /auth/v1/verify {"type": "recovery", "email", "token"} → a session
                    PUT  /auth/v1/user {"password"}                 (the new password)
    sign out        POST /auth/v1/logout  (Authorization: Bearer <access token>)
    others out      POST /auth/v1/logout?scope=others  (every session of the member but this one)
    Google (PKCE)   GET  /auth/v1/authorize?provider=google&redirect_to=…&code_challenge=…
                         &code_challenge_method=s256   (opened in the browser; GoTrue sends the
                         browser back to redirect_to?code=…), then
                    POST /auth/v1/token?grant_type=pkce             {"auth_code", "code_verifier"}
    TOTP factors    POST /auth/v1/factors {"factor_type": "totp", "friendly_name", "issuer"}
                    POST /auth/v1/factors/{id}/challenge {}        → {"id": challenge id}
                    POST /auth/v1/factors/{id}/verify {"challenge_id", "code"} → an aal2 session
                    DELETE /auth/v1/factors/{id}
                    GET  /auth/v1/user                              (the member's factors)

A member with a verified TOTP factor who signs in gets an aal1 session first; it carries the
factor's id in `pending_factor` until a code from their authenticator app is verified, and the
app treats it as not signed in until then (also after a restart in between).

The PKCE verifier of a Google sign-in in progress is kept in the same secret store (name
"oauth-verifier") so that it survives the page reload of the web redirect and the phone's
deep link back into the app.

The session (access token, refresh token, expiry, user id, email) is one JSON secret in the
keyring (service "ChrisDisciplined", name "supabase-session"); it is never written to a file
or a log. `access_token()` refreshes it shortly before it expires, so the sync transport can
call it before every request.

Why not supabase-py's client here: its `initialize_from_storage` can remove a session it has
just refreshed at start-up (supabase-py #1646), signing members out an hour after they last
used the app. `restore()` below refreshes an expired session, stores the new one *before*
anything else, and removes the stored session only when the server says the refresh token is
no longer valid — never because the device is offline.

Errors (chris_app.sync.errors, mapped from HTTP in chris_app.sync.http), each with `.message`:
    Offline       no connection (the stored session is kept)
    AuthExpired   the stored session can no longer be refreshed: sign in again
    AuthFailed    wrong password, unconfirmed email, account exists, weak password …
    RateLimited   too many attempts: wait `retry_after` seconds
    ServerError   the auth server failed

The requests go over the client the backend door hands in (chris_app.sync.door: one pool for
every service); built alone (tests, `--check-backend`) it makes its own.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import httpx

from supabase_auth.errors import AuthInvalidJwtError
from supabase_auth.helpers import decode_jwt, generate_pkce_challenge, generate_pkce_verifier

from chris_app.sync.errors import AuthExpired, AuthFailed, Offline, ServerError, SyncError
from chris_app.sync.http import gate_of, new_client, reaching

KEYRING_SERVICE = "ChrisDisciplined"
KEYRING_NAME = "supabase-session"
VERIFIER_NAME = "oauth-verifier"
REFRESH_MARGIN = 120  # seconds before expiry when a token is refreshed


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
    pending_factor: str | None = None  # a verified TOTP factor this aal1 session still has to pass

    def __repr__(self) -> str:  # tokens never end up in a log by accident
        return f"Session(user_id={self.user_id!r}, email={self.email!r}, expires_at={self.expires_at})"

    @classmethod
    def from_response(cls, data: dict[str, Any], now: float) -> Session:
        expires_at = data.get("expires_at") or int(now) + int(data.get("expires_in") or 3600)
        user = data.get("user") or {}
        factors = [f for f in user.get("factors") or []
                   if f.get("factor_type") == "totp" and f.get("status") == "verified"]
        pending = factors[0]["id"] if factors and _assurance(data["access_token"]) != "aal2" else None
        return cls(data["access_token"], data["refresh_token"], int(expires_at), user.get("id", ""),
                   user.get("email"), pending)


@dataclass(frozen=True, slots=True)
class TotpEnrollment:
    """A new, not yet verified TOTP factor: the member adds it to an authenticator app."""
    factor_id: str
    secret: str
    uri: str  # otpauth://totp/…
    qr_svg: str

    def __repr__(self) -> str:  # the secret never ends up in a log by accident
        return f"TotpEnrollment(factor_id={self.factor_id!r})"


def _assurance(access_token: str) -> str | None:
    """The token's `aal` claim (read, not verified: the server verifies every token it gets)."""
    try:
        return decode_jwt(access_token)["payload"].get("aal")
    except (AuthInvalidJwtError, ValueError, KeyError):
        return None


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
        self.client = client or new_client(20.0)  # the door passes its one client
        gate_of(self.client)  # HTTP outcomes → errors (chris_app.sync.http)
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

    # -- Google (PKCE) -------------------------------------------------------------------------
    def google_url(self, redirect_to: str) -> str:
        """The address to open in a browser; a new verifier is kept for `finish_google`."""
        verifier = generate_pkce_verifier()
        self._store_secret(VERIFIER_NAME, verifier)
        query = httpx.QueryParams({"provider": "google", "redirect_to": redirect_to,
                                   "code_challenge": generate_pkce_challenge(verifier),
                                   "code_challenge_method": "s256"})
        return f"{self.base}/authorize?{query}"

    def finish_google(self, auth_code: str) -> Session:
        """Exchange the code GoTrue sent the browser back with for a session."""
        try:
            verifier = self.secrets.get_password(KEYRING_SERVICE, VERIFIER_NAME)
        except Exception:  # a locked or broken keychain
            verifier = None
        if not verifier:
            raise AuthFailed("That Google sign-in expired. Start it again.", "flow_state_not_found")
        data = self._post("/token?grant_type=pkce", {"auth_code": auth_code, "code_verifier": verifier})
        try:
            self.secrets.delete_password(KEYRING_SERVICE, VERIFIER_NAME)
        except Exception:  # already gone
            pass
        return self._keep(Session.from_response(data, self.clock()))

    # -- two-step verification (TOTP) ----------------------------------------------------------
    def user(self, access_token: str | None = None) -> dict[str, Any]:
        """The user GoTrue vouches for with this token (default: the session's): `GET /user`.
        A token it does not accept → AuthExpired."""
        return self._request("GET", "/user", None, token=access_token or self.access_token())

    def factors(self) -> list[dict[str, Any]]:
        """The member's TOTP factors (verified and not), from the auth server."""
        user = self._request("GET", "/user", None, token=self.access_token())
        return [f for f in user.get("factors") or [] if f.get("factor_type") == "totp"]

    def enroll_totp(self, friendly_name: str = "Authenticator app") -> TotpEnrollment:
        data = self._post("/factors", {"factor_type": "totp", "friendly_name": friendly_name,
                                       "issuer": "Chris Disciplined"}, token=self.access_token())
        totp = data.get("totp") or {}
        return TotpEnrollment(data["id"], totp.get("secret", ""), totp.get("uri", ""), totp.get("qr_code", ""))

    def verify_totp(self, factor_id: str, code: str) -> Session:
        """Challenge the factor and verify the member's code: the session becomes aal2 (and a
        new factor becomes verified)."""
        code = "".join(code.split())
        if not (code.isdigit() and len(code) == 6):
            raise AuthFailed("Type the 6 digits your authenticator app shows.", "mfa_verification_failed")
        token = self._session.access_token if self._session else self.access_token()
        challenge = self._post(f"/factors/{factor_id}/challenge", {}, token=token)
        data = self._post(f"/factors/{factor_id}/verify", {"challenge_id": challenge["id"], "code": code},
                          token=token)
        return self._keep(Session.from_response(data, self.clock()))

    def unenroll(self, factor_id: str) -> None:
        self._request("DELETE", f"/factors/{factor_id}", None, token=self.access_token())

    def reset_password(self, email: str) -> None:
        """Email a password-reset code (works the same on every platform: no link to follow)."""
        self._post("/recover", {"email": email.strip()})

    def recover(self, email: str, code: str) -> Session:
        """Sign in with the code from the reset email (then `set_password`)."""
        code = "".join(code.split())
        if not (code.isdigit() and 6 <= len(code) <= 10):
            raise AuthFailed("Type the code from the email (digits only).", "otp_expired")
        data = self._post("/verify", {"type": "recovery", "email": email.strip(), "token": code})
        return self._keep(Session.from_response(data, self.clock()))

    def set_password(self, password: str) -> None:
        self._request("PUT", "/user", {"password": password}, token=self.access_token())

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

    def sign_out_others(self) -> None:
        """End the member's sessions on every other device (GoTrue `POST /logout?scope=others`);
        this device stays signed in."""
        self._post("/logout?scope=others", None, token=self.access_token())

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
            self._store_secret(KEYRING_NAME, json.dumps(asdict(session)))
            self._session = session
        return session

    def _store_secret(self, name: str, value: str) -> None:
        try:
            self.secrets.set_password(KEYRING_SERVICE, name, value)
        except Exception as exc:  # keyring.errors.KeyringError: locked, refused, no backend
            raise AuthFailed("This device's keychain did not let the app keep your sign-in. "
                             "Unlock it (or allow the app) and try again.", "keychain") from exc

    def _forget(self) -> None:
        try:
            self.secrets.delete_password(KEYRING_SERVICE, KEYRING_NAME)
        except Exception:  # keyring.errors.PasswordDeleteError: nothing stored
            pass

    def _post(self, path: str, body: dict | None, token: str | None = None) -> dict[str, Any]:
        return self._request("POST", path, body, token)

    def _request(self, method: str, path: str, body: dict | None, token: str | None = None) -> dict[str, Any]:
        headers = {"apikey": self.anon_key}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        with reaching():  # a refusal is raised by the client's gate: AuthFailed, ServerError, RateLimited
            response = self.client.request(method, self.base + path, json=body, headers=headers)
        if response.status_code == 204 or not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            raise ServerError("The sign-in service had a problem. Try again in a moment.") from None
