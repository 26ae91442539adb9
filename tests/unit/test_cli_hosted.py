"""`chris-app --hosted` and the plain browser mode's warning (chris_app/cli.py), and the
hosted mode's door (chris_app/hosted.py): which member id may become a store on the server."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest

from chris_app import cli
from chris_app.account import MemorySecrets
from chris_app.sync.auth import KEYRING_NAME, KEYRING_SERVICE
from chris_app.sync.config import BackendConfig
from chris_app.sync.errors import Offline, ServerError
from tests.conftest import run_async as run

ANN = "0b7c0f4e-1111-4c56-9a57-2a7c3f1b9e0a"
BOB = "7e3d2a10-2222-4c56-9a57-2a7c3f1b9e0b"
CONFIG = BackendConfig("http://supabase.test", "anon")


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ("SUPABASE_URL", "SUPABASE_ANON_KEY", "FLET_SERVER_IP", "FLET_SERVER_PORT", "FLET_SESSION_TIMEOUT",
                 "CHRIS_APP_BUNDLED_CONFIG", "CHRIS_APP_NOW", "SENTRY_DSN"):
        monkeypatch.setenv(name, "")  # (so that monkeypatch puts back what was there, cli's changes undone)
        monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no stray config file
    served = []
    monkeypatch.setattr(cli, "serve_web", lambda entry, start, host, port, assets: served.append((host, port)))
    return served


@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.20", False), ("chris.example.com", False), ("", False),
])
def test_only_addresses_of_this_machine_count_as_loopback(host, loopback):
    assert cli.is_loopback(host) is loopback


def test_plain_web_on_an_address_others_reach_warns_loudly_that_everyone_sees_one_members_data(
        clean_env, capsys, tmp_path):
    cli.main(["--web", "--host", "0.0.0.0", "--port", "8551", "--data-dir", str(tmp_path / "data")])
    err = capsys.readouterr().err
    assert clean_env == [("0.0.0.0", 8551)]  # it still serves: the operator asked for it
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) >= 5
    assert "ONE member's data" in err and "http://0.0.0.0:8551/" in err
    assert "every visitor sees" in err and "chris-app --hosted" in err


def test_plain_web_on_this_machine_says_nothing_alarming(clean_env, capsys, tmp_path):
    cli.main(["--web", "--port", "8552", "--data-dir", str(tmp_path / "data")])
    assert clean_env == [("127.0.0.1", 8552)]
    assert "WARNING" not in capsys.readouterr().err


def test_flets_own_address_setting_is_the_one_judged(clean_env, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("FLET_SERVER_IP", "0.0.0.0")  # Flet listens there whatever --host says
    cli.main(["--web", "--data-dir", str(tmp_path / "data")])
    assert "ONE member's data" in capsys.readouterr().err


def test_the_hosted_mode_refuses_to_start_without_a_backend_to_sign_in_to(clean_env, capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--hosted", "--data-dir", str(tmp_path / "data")])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.strip() == cli.NO_BACKEND
    assert "SUPABASE_URL" in cli.NO_BACKEND and "SUPABASE_ANON_KEY" in cli.NO_BACKEND
    assert clean_env == []  # nothing served
    assert not list((tmp_path / "data").rglob("*.sqlite3"))


def test_the_hosted_mode_serves_without_opening_any_store_and_closes_gone_tabs_soon(
        clean_env, monkeypatch, capsys, tmp_path):
    from chris_app.sync.config import load_sentry_dsn

    monkeypatch.setenv("SUPABASE_URL", "https://project.supabase.co")
    monkeypatch.setenv("SUPABASE_ANON_KEY", "anon")
    monkeypatch.setenv("SENTRY_DSN", "https://key@sentry.example/1")
    (tmp_path / "config" / "ChrisDisciplined").mkdir(parents=True)
    (tmp_path / "config" / "ChrisDisciplined" / "supabase.json").write_text(
        json.dumps({"sentry_dsn": "https://key@sentry.example/2"}))
    assert load_sentry_dsn() == "https://key@sentry.example/1"
    cli.main(["--hosted", "--host", "0.0.0.0", "--port", "8553", "--data-dir", str(tmp_path / "data")])
    captured = capsys.readouterr()
    assert clean_env == [("0.0.0.0", 8553)]
    assert "WARNING" not in captured.err  # every member signs in: nothing to warn about
    assert "hosted" in captured.out
    assert not list((tmp_path / "data").rglob("*.sqlite3"))  # stores open per member, after sign-in
    import os

    assert os.environ["FLET_SESSION_TIMEOUT"] == str(cli.HOSTED_SESSION_TIMEOUT_S)
    # one member's error-report switch would report every member's errors: none are sent here
    assert load_sentry_dsn() is None


# -- whose store: chris_app.hosted -----------------------------------------------------------------
def jwt(claims: dict) -> str:
    part = lambda data: base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{part({'alg': 'HS256'})}.{part(claims)}.signature"


def auth_server(users: dict[str, dict]):
    """An auth client whose server answers GET /auth/v1/user: the user behind a token GoTrue
    issued, 401 otherwise."""
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/auth/v1/user" and request.headers["apikey"] == "anon"
        user = users.get(request.headers.get("authorization", "").removeprefix("Bearer "))
        return httpx.Response(200, json=user) if user else httpx.Response(401, json={"msg": "invalid JWT"})
    return auth_over(httpx.Client(transport=httpx.MockTransport(handler)))


def auth_over(http: httpx.Client):
    from chris_app.account import MemorySecrets
    from chris_app.sync.auth import AuthClient

    return AuthClient(CONFIG.url, CONFIG.anon_key, secrets=MemorySecrets(), client=http)


def test_the_member_id_is_the_one_the_auth_server_vouches_for():
    from chris_app.hosted import NotThisMember, verified_member

    ann, bob = jwt({"sub": ANN, "aal": "aal1"}), jwt({"sub": BOB, "aal": "aal1"})
    auth = auth_server({ann: {"id": ANN, "factors": []}, bob: {"id": BOB, "factors": []}})
    assert verified_member(auth, ann, ANN) == ANN
    with pytest.raises(NotThisMember):  # Ann's token with Bob's id written next to it in the browser
        verified_member(auth, ann, BOB)
    with pytest.raises(NotThisMember):  # a token the server never issued
        verified_member(auth, jwt({"sub": BOB, "aal": "aal2"}), BOB)


def test_an_id_that_is_not_a_uuid_never_becomes_a_path():
    from chris_app.hosted import NotThisMember, member_dir, verified_member

    token = jwt({"sub": "x", "aal": "aal1"})
    for odd in ("../../etc", "0B7C0F4E-1111-4C56-9A57-2A7C3F1B9E0A", "", f"{ANN}/../{BOB}"):
        auth = auth_server({token: {"id": odd}})
        with pytest.raises(NotThisMember):
            verified_member(auth, token, odd)
        with pytest.raises(ValueError):
            member_dir(Path("/srv"), odd)
    assert member_dir(Path("/srv"), ANN) == Path("/srv/members") / ANN


def test_an_account_with_two_step_verification_needs_a_token_that_passed_it():
    from chris_app.hosted import NotThisMember, verified_member

    factors = [{"id": "f1", "factor_type": "totp", "status": "verified"}]
    first, second = jwt({"sub": ANN, "aal": "aal1"}), jwt({"sub": ANN, "aal": "aal2"})
    auth = auth_server({first: {"id": ANN, "factors": factors}, second: {"id": ANN, "factors": factors}})
    with pytest.raises(NotThisMember) as refused:
        verified_member(auth, first, ANN)
    assert "authenticator" in refused.value.message
    assert verified_member(auth, second, ANN) == ANN


def test_when_the_auth_server_cannot_say_no_store_is_opened_and_the_member_is_told():
    from chris_app.hosted import verified_member

    def down(request):
        raise httpx.ConnectError("refused")

    with pytest.raises(Offline):
        verified_member(auth_over(httpx.Client(transport=httpx.MockTransport(down))), "t", ANN)
    with pytest.raises(ServerError):
        verified_member(auth_over(httpx.Client(transport=httpx.MockTransport(
            lambda request: httpx.Response(500, json={})))), "t", ANN)


class FakePage:
    def __init__(self) -> None:
        self.routes: list[str] = []

    def navigate(self, route: str) -> None:
        self.routes.append(route)


def test_a_forged_session_from_the_browser_opens_no_store(tmp_path):
    """The browser holds the session: a visitor can write any member's id next to a token of
    their own (or none). The page stays in the lobby, forgets it, and no store is opened."""
    from tests.browser.hosted_backend import ANON_KEY, Backend

    from chris_app.hosted import HostedPage, Lobby

    backend = Backend([(ANN, "ann@example.com", "pw-ann-1"), (BOB, "bob@example.com", "pw-bob-2")])
    url = backend.start()
    try:
        bob_token = backend.session_for(backend.members[1])["access_token"]
        for token in (bob_token, jwt({"sub": ANN, "aal": "aal1"})):  # Bob's real token; a made-up one
            secrets = MemorySecrets()
            secrets.set_password(KEYRING_SERVICE, KEYRING_NAME, json.dumps({
                "access_token": token, "refresh_token": "r", "expires_at": int(time.time()) + 3600,
                "user_id": ANN, "email": "ann@example.com", "pending_factor": None}))
            page = FakePage()

            async def scenario():
                hosted = HostedPage(page, tmp_path / "data", BackendConfig(url, ANON_KEY),
                                    lambda: datetime.now(timezone.utc), secrets)
                await hosted.start()
                assert isinstance(hosted.space, Lobby)
                await asyncio.to_thread(hosted.close)

            run(scenario())
            assert not (tmp_path / "data" / "members").exists()
            assert secrets.get_password(KEYRING_SERVICE, KEYRING_NAME) is None  # forgotten in the browser
            assert page.routes == []
        asked = [(uid, path) for uid, _, path in backend.calls if path == "/auth/v1/user"]
        assert asked == [(BOB, "/auth/v1/user"), (None, "/auth/v1/user")]  # each checked with the server
        assert not any(path.startswith("/rest/") for _, _, path in backend.calls)
    finally:
        backend.stop()


def threads_named(name: str) -> int:
    import threading

    return sum(1 for t in threading.enumerate() if t.name == name and t.is_alive())


def test_signing_out_closes_the_pages_store_and_stops_its_sync_and_a_closed_page_the_same(tmp_path):
    import sqlite3

    from tests.browser.hosted_backend import ANON_KEY, Backend

    from chris_app.hosted import HostedPage, Lobby, Member

    backend = Backend([(ANN, "ann@example.com", "pw-ann-1")])
    url = backend.start()
    page = FakePage()

    async def until(condition, what: str) -> None:
        for _ in range(600):
            if condition():
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{what} did not happen within 30 s")

    def closed(store) -> bool:
        try:
            store.query("select 1")
        except sqlite3.ProgrammingError:
            return True
        return False

    async def scenario():
        secrets = MemorySecrets()
        syncing_before = threads_named("sync")
        hosted = HostedPage(page, tmp_path / "data", BackendConfig(url, ANON_KEY),
                            lambda: datetime.now(timezone.utc), secrets)
        await hosted.start()
        lobby = hosted.space
        await asyncio.to_thread(lobby.account.sign_in, "ann@example.com", "pw-ann-1")
        await until(lambda: isinstance(hosted.space, Member), "entering Ann's store")
        member = hosted.space
        assert member.user_id == ANN and member.store.path == tmp_path / "data" / "members" / ANN / "chris.sqlite3"
        await until(lambda: closed(lobby.store), "closing the lobby's scratch store")
        assert threads_named("sync") == syncing_before + 1

        await asyncio.to_thread(member.account.sign_out)
        await until(lambda: isinstance(hosted.space, Lobby), "returning to the lobby")
        await until(lambda: closed(member.store), "closing Ann's store")
        await until(lambda: threads_named("sync") == syncing_before, "stopping Ann's sync")
        assert secrets.get_password(KEYRING_SERVICE, KEYRING_NAME) is None

        # signed in again, then the tab goes away: Flet closes the page
        await asyncio.to_thread(hosted.space.account.sign_in, "ann@example.com", "pw-ann-1")
        await until(lambda: isinstance(hosted.space, Member), "entering Ann's store again")
        again = hosted.space
        assert again is not member and again.store is not member.store  # nothing reused
        await asyncio.to_thread(hosted.close)
        assert closed(again.store) and threads_named("sync") == syncing_before

    try:
        run(scenario())
    finally:
        backend.stop()
    assert page.routes == ["/", "/sign-in", "/"]


def test_a_member_with_two_step_verification_gets_their_store_only_after_the_code(tmp_path):
    import pyotp

    from tests.browser.hosted_backend import ANON_KEY, Backend

    from chris_app.account import AccountStatus
    from chris_app.hosted import HostedPage, Lobby, Member

    backend = Backend([(ANN, "ann@example.com", "pw-ann-1")])
    url = backend.start()
    secret = pyotp.random_base32()
    backend.members[0].gotrue.factors["f-1"] = {"secret": secret, "status": "verified"}

    async def scenario():
        hosted = HostedPage(FakePage(), tmp_path / "data", BackendConfig(url, ANON_KEY),
                            lambda: datetime.now(timezone.utc), MemorySecrets())
        await hosted.start()
        lobby = hosted.space
        await asyncio.to_thread(lobby.account.sign_in, "ann@example.com", "pw-ann-1")
        assert lobby.account.status is AccountStatus.NEEDS_CODE
        assert isinstance(hosted.space, Lobby) and not (tmp_path / "data" / "members").exists()
        await asyncio.to_thread(lobby.account.verify_code, pyotp.TOTP(secret).now())
        for _ in range(600):
            if isinstance(hosted.space, Member):
                break
            await asyncio.sleep(0.05)
        assert isinstance(hosted.space, Member) and hosted.space.user_id == ANN
        await asyncio.to_thread(hosted.close)

    try:
        run(scenario())
    finally:
        backend.stop()
    assert (tmp_path / "data" / "members" / ANN / "chris.sqlite3").exists()
