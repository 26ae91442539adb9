"""Email + password sessions against a GoTrue stand-in (httpx.MockTransport), kept in an
in-memory keyring: endpoints and bodies, refresh before expiry, and a restart hours later with
an expired access token keeps the member signed in (the supabase-py #1646 guard)."""

from __future__ import annotations

import json

import httpx
import pytest

from chris_app.sync.auth import KEYRING_NAME, KEYRING_SERVICE, AuthClient, AuthFailed
from chris_app.sync.errors import AuthExpired, Offline
from chris_app.sync.transport import SupabaseTransport

URL = "https://abc.supabase.co"
ANON = "anon-key-123"
UID = "8d3c1f5e-2b7a-4e9d-a6c0-1f2e3d4c5b6a"
T0 = 1_780_000_000  # unix seconds


class MemoryKeyring:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        self.items.pop((service, username))


class GoTrue:
    """Just enough of Supabase Auth: one member, rotating refresh tokens."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self.requests: list[httpx.Request] = []
        self.refresh_tokens = {"r-0"}
        self.issued = 0
        self.offline = False

    def session(self) -> dict:
        self.issued += 1
        token = f"r-{self.issued}"
        self.refresh_tokens.add(token)
        return {"access_token": f"a-{self.issued}", "token_type": "bearer", "expires_in": 3600,
                "expires_at": int(self.clock()) + 3600, "refresh_token": token,
                "user": {"id": UID, "email": "chris@example.com"}}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.offline:
            raise httpx.ConnectError("network unreachable", request=request)
        self.requests.append(request)
        body = json.loads(request.content) if request.content else {}
        path, grant = request.url.path, request.url.params.get("grant_type")
        if path == "/auth/v1/token" and grant == "password":
            if body["password"] != "correct horse":
                return httpx.Response(400, json={"code": 400, "error_code": "invalid_credentials",
                                                 "msg": "Invalid login credentials"})
            return httpx.Response(200, json=self.session())
        if path == "/auth/v1/token" and grant == "refresh_token":
            if body["refresh_token"] not in self.refresh_tokens:
                return httpx.Response(400, json={"code": 400, "error_code": "refresh_token_not_found",
                                                 "msg": "Invalid Refresh Token: Refresh Token Not Found"})
            self.refresh_tokens.discard(body["refresh_token"])  # rotation: each is used once
            return httpx.Response(200, json=self.session())
        if path == "/auth/v1/signup":
            if body["email"] == "taken@example.com":
                return httpx.Response(422, json={"code": 422, "error_code": "user_already_exists",
                                                 "msg": "User already registered"})
            return httpx.Response(200, json={"id": UID, "email": body["email"], "confirmation_sent_at": "2026-06-10T03:30:00Z"})
        if path == "/auth/v1/logout":
            return httpx.Response(204)
        if path == "/auth/v1/recover":
            return httpx.Response(200, json={})
        return httpx.Response(404)


@pytest.fixture
def clock():
    now = [float(T0)]

    class Clock:
        def __call__(self):
            return now[0]

        def advance(self, seconds):
            now[0] += seconds

    return Clock()


@pytest.fixture
def gotrue(clock):
    return GoTrue(clock)


@pytest.fixture
def keyring():
    return MemoryKeyring()


def app(gotrue, keyring, clock) -> AuthClient:
    """One start of the app: a fresh client over the same keyring."""
    return AuthClient(URL, ANON, secrets=keyring, client=httpx.Client(transport=httpx.MockTransport(gotrue)),
                      clock=clock)


def stored(keyring) -> dict | None:
    raw = keyring.get_password(KEYRING_SERVICE, KEYRING_NAME)
    return json.loads(raw) if raw else None


def test_sign_in_posts_email_and_password_to_the_token_endpoint_and_keeps_the_session_in_the_keyring(
        gotrue, keyring, clock):
    session = app(gotrue, keyring, clock).sign_in(" chris@example.com ", "correct horse")

    [request] = gotrue.requests
    assert str(request.url) == "https://abc.supabase.co/auth/v1/token?grant_type=password"
    assert request.headers["apikey"] == ANON and request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"email": "chris@example.com", "password": "correct horse"}
    assert session.user_id == UID
    assert stored(keyring) == {"access_token": "a-1", "refresh_token": "r-1", "expires_at": T0 + 3600,
                               "user_id": UID, "email": "chris@example.com", "pending_factor": None}
    assert "a-1" not in repr(session) and "r-1" not in repr(session)  # safe to log


def test_a_wrong_password_is_told_in_words_and_nothing_is_stored(gotrue, keyring, clock):
    with pytest.raises(AuthFailed) as caught:
        app(gotrue, keyring, clock).sign_in("chris@example.com", "wrong")
    assert caught.value.message == "That email and password don't match. Check them and try again."
    assert stored(keyring) is None


def test_sign_up_sends_the_time_zone_and_asks_to_confirm_the_email(gotrue, keyring, clock):
    result = app(gotrue, keyring, clock).sign_up("new@example.com", "correct horse", timezone="Europe/Berlin")

    request = gotrue.requests[0]
    assert str(request.url) == "https://abc.supabase.co/auth/v1/signup"
    assert json.loads(request.content) == {"email": "new@example.com", "password": "correct horse",
                                           "data": {"timezone": "Europe/Berlin"}}
    assert result.session is None and result.user_id == UID
    assert result.message.startswith("Check your email")


def test_signing_up_with_a_taken_email_says_to_sign_in_instead(gotrue, keyring, clock):
    with pytest.raises(AuthFailed) as caught:
        app(gotrue, keyring, clock).sign_up("taken@example.com", "correct horse")
    assert caught.value.message == "An account with this email already exists. Sign in instead."


def test_the_access_token_is_refreshed_shortly_before_it_expires(gotrue, keyring, clock):
    auth = app(gotrue, keyring, clock)
    auth.sign_in("chris@example.com", "correct horse")
    clock.advance(3000)
    assert auth.access_token() == "a-1"  # 10 minutes left: still good
    clock.advance(540)
    assert auth.access_token() == "a-2"  # 1 minute left: refreshed
    refresh = gotrue.requests[-1]
    assert str(refresh.url) == "https://abc.supabase.co/auth/v1/token?grant_type=refresh_token"
    assert json.loads(refresh.content) == {"refresh_token": "r-1"}
    assert stored(keyring)["refresh_token"] == "r-2"


def test_a_restart_hours_later_with_an_expired_token_keeps_the_member_signed_in(gotrue, keyring, clock):
    app(gotrue, keyring, clock).sign_in("chris@example.com", "correct horse")
    clock.advance(5 * 3600)  # the app was closed for five hours

    restarted = app(gotrue, keyring, clock)
    session = restarted.restore()

    assert session is not None and session.access_token == "a-2"
    assert stored(keyring)["refresh_token"] == "r-2"  # the refreshed session is the one kept (#1646)
    # and the start after that finds it, without signing in again or refreshing again
    again = app(gotrue, keyring, clock).restore()
    assert again is not None and again.access_token == "a-2"
    assert sum("grant_type=refresh_token" in str(r.url) for r in gotrue.requests) == 1


def test_a_restart_while_offline_keeps_the_expired_session_and_refreshes_when_back_online(gotrue, keyring, clock):
    app(gotrue, keyring, clock).sign_in("chris@example.com", "correct horse")
    clock.advance(5 * 3600)
    gotrue.offline = True

    restarted = app(gotrue, keyring, clock)
    assert restarted.restore() is not None and restarted.user_id == UID
    assert stored(keyring)["refresh_token"] == "r-1"  # not thrown away for being offline
    with pytest.raises(Offline):
        restarted.access_token()

    gotrue.offline = False
    assert restarted.access_token() == "a-2"


def test_a_session_ended_elsewhere_signs_the_device_out_at_restart(gotrue, keyring, clock):
    app(gotrue, keyring, clock).sign_in("chris@example.com", "correct horse")
    gotrue.refresh_tokens.clear()  # e.g. the member signed out everywhere
    clock.advance(5 * 3600)

    assert app(gotrue, keyring, clock).restore() is None
    assert stored(keyring) is None


def test_sign_out_ends_the_session_on_the_server_and_forgets_it_here(gotrue, keyring, clock):
    auth = app(gotrue, keyring, clock)
    auth.sign_in("chris@example.com", "correct horse")
    auth.sign_out()

    logout = gotrue.requests[-1]
    assert str(logout.url) == "https://abc.supabase.co/auth/v1/logout"
    assert logout.headers["authorization"] == "Bearer a-1"
    assert stored(keyring) is None and auth.session is None
    with pytest.raises(AuthExpired):
        auth.access_token()


def test_sign_out_while_offline_still_forgets_the_session_on_this_device(gotrue, keyring, clock):
    auth = app(gotrue, keyring, clock)
    auth.sign_in("chris@example.com", "correct horse")
    gotrue.offline = True
    auth.sign_out()
    assert stored(keyring) is None


def test_the_sync_transport_uses_the_refreshed_token(gotrue, keyring, clock):
    auth = app(gotrue, keyring, clock)
    auth.sign_in("chris@example.com", "correct horse")
    clock.advance(3590)
    seen = []
    rest = httpx.Client(transport=httpx.MockTransport(
        lambda r: seen.append(r.headers["authorization"]) or httpx.Response(200, json={"cursor": 1, "changes": {}})))
    SupabaseTransport(URL, ANON, auth.access_token, client=rest).pull(0, "c")
    assert seen == ["Bearer a-2"]


def test_a_keychain_that_refuses_the_session_is_told_in_words(gotrue, clock):
    class Locked(MemoryKeyring):
        def set_password(self, service, username, password):
            raise RuntimeError("the collection is locked")  # what a keyring backend may raise

    with pytest.raises(AuthFailed) as caught:
        app(gotrue, Locked(), clock).sign_in("chris@example.com", "correct horse")
    assert caught.value.message.startswith("This device's keychain did not let the app keep your sign-in.")
