"""Hosted web mode (`chris-app --hosted`): one server serves the web build to many members.

What keeps members apart:
- Every browser tab is a Flet page with its own objects: its own `DeviceSecrets` over the
  browser's SecureStorage (the session lives in the browser, not on the server), its own
  `Account`, its own `Store` connection, its own sync thread. Nothing of a member is kept at
  module level or shared between pages.
- A page starts in the lobby: only the sign-in screen, whatever the address (deep links lead
  there and are opened after signing in). The lobby's account works on a scratch store of its
  own, in memory, that holds nothing and is thrown away.
- Once signed in (or a session comes back from the browser), the member id is the one the
  auth server vouches for (`GET /auth/v1/user` with the session's token: a session read from
  the browser is the visitor's word only), it must be a UUID before it becomes a path, and an
  account with two-step verification needs an `aal2` token. Then the member's own store,
  `<data dir>/members/<user id>/chris.sqlite3` (with its `files/`), is opened for this page.
  A fresh one is linked to the account and synced before it is shown.
- Signing out (or deleting the account) returns the page to the lobby and closes the page's
  store and account; a closed tab (Flet's session timeout after the tab went away) stops its
  sync the same way. Two tabs of one member share the member's database file (SQLite, WAL),
  never objects.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import shutil
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import flet as ft

from chris_app.account import Account, AccountStatus
from chris_app.app import App, dress
from chris_app.domain import defaults
from chris_app.services import recordings
from chris_app.services.profile import ensure_profile
from chris_app.state import AppContext, AppState
from chris_app.store import Store, open_store
from chris_app.store.db import connect
from chris_app.store.migrate import migrate
from chris_app.sync import sync_state
from chris_app.sync.auth import AuthClient
from chris_app.sync.config import BackendConfig
from chris_app.sync.errors import AuthExpired, ServerError, SyncError
from chris_app.views import render_guard
from chris_app.views.common import LayoutContext, use_window_layout
from chris_app.views.sign_in import SignIn

log = logging.getLogger(__name__)

MEMBERS = "members"
DATABASE = "chris.sqlite3"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.ASCII)


class NotThisMember(AuthExpired):
    """The session from the browser is not one the auth server vouches for."""


def member_dir(root: Path, user_id: str) -> Path:
    """Where the member's store lives on the server. Only a lower-case UUID becomes a path."""
    if not isinstance(user_id, str) or not _UUID.fullmatch(user_id):
        raise ValueError("a member id is a UUID")
    return root / MEMBERS / user_id


def token_assurance(token: str) -> str | None:
    """The `aal` claim of a JWT (its signature is the auth server's business: it was just
    accepted by the auth server with this very token)."""
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))).get("aal")
    except (IndexError, ValueError, AttributeError):
        return None


def verified_member(auth: AuthClient, token: str, claimed: str | None) -> str:
    """The member id the auth server vouches for with this token (`GET /auth/v1/user`, through
    the account's backend door), which must be the id the session claims. Refused
    (NotThisMember) for a token the server does not know, another member's id, an id that is
    not a UUID, or an aal1 token of an account with a verified second factor. Offline /
    ServerError when the server cannot say."""
    try:
        user = auth.user(token)
    except AuthExpired:
        raise NotThisMember() from None
    if not isinstance(user, dict):
        raise ServerError()
    user_id, factors = str(user.get("id") or ""), user.get("factors") or []
    if not _UUID.fullmatch(user_id) or user_id != claimed:
        raise NotThisMember()
    if any(isinstance(f, dict) and f.get("status") == "verified" for f in factors) \
            and token_assurance(token) != "aal2":
        raise NotThisMember("Enter the code from your authenticator app to finish signing in.")
    return user_id


def _signed_in_not_linked(account: Account) -> bool:
    """Signed in, no two-step code owed: the lobby's account is ready to open a member store
    (its own store is never linked, so this is the state its sign-ins end in)."""
    return account.status is AccountStatus.NEEDS_CARRY


class LobbyAccount(Account):
    """The sign-in screen's account, on a scratch store that is never linked: every way of
    signing in ends in `arrived`, which opens the member's own store (HostedPage.enter). It
    never offers to carry data in: the lobby has none."""

    def __init__(self, store: Store, config: BackendConfig, secrets, arrived: Callable[[], None]) -> None:
        super().__init__(store, config, secrets=secrets, platform="web")
        self._arrived = arrived

    @property
    def needs_carry(self) -> bool:
        return False

    def _then_enter(self) -> None:
        if _signed_in_not_linked(self):
            self._arrived()

    def sign_in(self, email: str, password: str) -> None:
        super().sign_in(email, password)
        self._then_enter()

    def sign_up(self, email: str, password: str, timezone: str) -> str:
        message = super().sign_up(email, password, timezone)
        self._then_enter()
        return message

    def finish_google(self, auth_code: str) -> None:
        super().finish_google(auth_code)
        self._then_enter()

    def verify_code(self, code: str) -> None:
        super().verify_code(code)
        self._then_enter()

    def recover(self, email: str, code: str, new_password: str) -> str:
        message = super().recover(email, code, new_password)
        self._then_enter()
        return message


@dataclass(eq=False)
class Lobby:
    """A page before sign-in: a scratch store (in memory, empty, never linked) for the lobby
    account, which asks it only whether it is linked."""
    store: Store
    account: LobbyAccount
    app: AppState

    def close(self) -> None:
        self.account.close()  # nothing runs (never linked); forgets nothing: the session stays
        self.store.close()


@dataclass(eq=False)
class Member:
    """A signed-in page: the member's store and account, this page's own objects."""
    user_id: str
    store: Store
    account: Account
    app: AppState
    unhook: Callable[[], None] = lambda: None

    def close(self) -> None:
        self.unhook()
        self.account.close()  # stops this page's sync thread and live socket
        self.store.close()


class HostedPage:
    """One browser page's way in and its current space (Lobby or Member)."""

    def __init__(self, page: ft.Page, root: Path, config: BackendConfig, clock: Callable[[], datetime],
                 secrets) -> None:
        self.page, self.root, self.config, self.clock, self.secrets = page, root, config, clock, secrets
        self.loop = asyncio.get_running_loop()
        self.space: Lobby | Member | None = None  # a Lobby once started
        self.wanted: str | None = None  # the address asked for before signing in
        self._listeners: list[Callable[[Lobby | Member], None]] = []
        self._entering = threading.Lock()
        self._closed = False

    # -- the lobby -----------------------------------------------------------------------------
    def _new_lobby(self) -> Lobby:
        conn = connect(":memory:")  # (nothing on disk for visitors: ~90 ms of migrations, no files)
        migrate(conn)
        store = Store(conn, None)
        account = LobbyAccount(store, self.config, self.secrets, arrived=self.enter)
        return Lobby(store, account, AppState(store=store, clock=self.clock, account=account, hosted=True))

    async def start(self) -> None:
        """The lobby; a session the browser kept comes back (verified): straight to the
        member's store. (Off the event loop: every page of the server shares it.)"""
        lobby = self.space = await asyncio.to_thread(self._new_lobby)
        await asyncio.to_thread(lobby.account.restore)
        if isinstance(self.space, Lobby) and _signed_in_not_linked(lobby.account):
            try:
                await asyncio.to_thread(self.enter)
            except NotThisMember:
                await asyncio.to_thread(lobby.account.sign_out)  # forget what the browser held
            except SyncError as exc:  # offline: the lobby stays, the member signs in again later
                log.info("a kept session could not be checked (%s)", type(exc).__name__)

    # -- in and out ----------------------------------------------------------------------------
    def enter(self) -> None:
        """Blocking (a worker thread): open the signed-in member's own store for this page.
        Raises SyncError (shown on the sign-in screen) when the session is not vouched for."""
        with self._entering:
            lobby = self.space
            if not isinstance(lobby, Lobby) or self._closed:
                return
            auth = lobby.account.auth
            user_id = verified_member(auth, auth.access_token(), auth.user_id)
            folder = member_dir(self.root, user_id)
            store = open_store(folder / DATABASE)
            try:
                account = self._member_account(store, user_id)
            except BaseException:
                store.close()
                raise
            member = Member(user_id, store, account, AppState(store=store, clock=self.clock, account=account,
                                                                hosted=True))
            member.unhook = account.on_session(lambda event: self._session_event(member, event))
        asyncio.run_coroutine_threadsafe(self._switch(member, close=lobby), self.loop)

    def _member_account(self, store: Store, user_id: str) -> Account:
        now = self.clock()
        with store.reading() as conn:
            fresh = sync_state.account(conn) is None
        # the server's zone says nothing of the member's: none until the account's arrives
        ensure_profile(store, now, defaults.TIMEZONE)
        recordings.clean_up(store)
        account = Account(store, self.config, secrets=self.secrets, platform="web")
        account.restore()
        if fresh:
            # a new server-side copy of the account: nothing of its own to carry (install
            # defaults never win in sync); the first sync brings the member's data before the
            # screens show
            account.carry_guest_data(now)
        if account.member_id() != user_id:
            account.close()
            raise NotThisMember()
        if fresh:
            try:
                account.sync_now()
            except SyncError:
                pass  # shown by the sync status; the background sync tries again
        return account

    def _session_event(self, member: Member, event: str) -> None:
        if event in ("signing_out", "deleted"):
            asyncio.run_coroutine_threadsafe(self._leave(member, deleted=event == "deleted"), self.loop)

    async def _leave(self, member: Member, deleted: bool) -> None:
        if self.space is not member:
            return
        lobby = await asyncio.to_thread(self._new_lobby)
        await self._switch(lobby, close=member)
        if deleted:  # the account is gone: so is its copy here
            shutil.rmtree(member_dir(self.root, member.user_id), ignore_errors=True)

    async def _switch(self, space: Lobby | Member, close: Lobby | Member) -> None:
        if self._closed:
            await asyncio.to_thread(space.close)
            return
        self.space = space
        for listener in list(self._listeners):
            listener(space)
        if isinstance(space, Member):
            self.page.navigate(self.wanted or "/")
            self.wanted = None
        else:
            self.page.navigate("/sign-in")
        # after the screens moved on to the new space (the switch re-renders on this loop)
        await asyncio.sleep(0.5)
        await asyncio.to_thread(close.close)

    def listen(self, listener: Callable[[Lobby | Member], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def close(self) -> None:
        """The page is gone (the tab closed and Flet's session timed out): stop everything."""
        self._closed = True
        with self._entering:
            space = self.space
        if space is not None:
            space.close()
        print("A page closed: its sync stopped and its store is closed.", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------
# UI
# ------------------------------------------------------------------------------------------------
@ft.component
def ToSignIn():
    """Any address but /sign-in, before signing in."""
    page = ft.context.page
    ft.use_effect(lambda: page.navigate("/sign-in"), [])
    return ft.Text("Sign in to continue.")


@ft.component
def LobbySignIn():
    """The sign-in screen of the lobby: SignIn under a component of its own. Flet hands a
    component the state (hooks, refs) of the component it replaces at the same place in the
    page's views when both are the same function, so a bare SignIn here would inherit the
    member screen's SignIn (/sign-in before signing out), and with it the refs holding the
    previous member's email and password: the next visitor's "Sign in" would send those."""
    return SignIn()


LOBBY_ROUTES = [ft.Route(path="sign-in", component=LobbySignIn)]


@ft.component
def LobbyScreens(lobby: Lobby):
    page = ft.context.page
    layout = use_window_layout()
    page.theme_mode = ft.ThemeMode.SYSTEM
    return AppContext(lobby.app, lambda: LayoutContext(
        layout, lambda: ft.Router(LOBBY_ROUTES, not_found=ToSignIn, manage_views=True)))


@ft.component
def Hosted(hosted: HostedPage):
    space, set_space = ft.use_state(hosted.space)
    ft.use_effect(lambda: hosted.listen(set_space), [])
    if isinstance(space, Member):
        return App(space.store, hosted.clock, space.account, app_state=space.app)
    return LobbyScreens(space)


def make_hosted_main(root: Path, config: BackendConfig, clock: Callable[[], datetime]):
    """The page handler of the hosted mode: each page gets its own HostedPage."""
    render_guard.install()  # one part failing to draw must not freeze a member's screens

    async def main(page: ft.Page) -> None:
        from flet_secure_storage import SecureStorage

        from chris_app.sync.device_secrets import DeviceSecrets

        dress(page, ft.ThemeMode.SYSTEM)
        secrets = DeviceSecrets(SecureStorage(), asyncio.get_running_loop())
        await secrets.load()
        hosted = HostedPage(page, root, config, clock, secrets)
        asked = (page.route or "/").split("?", 1)[0]
        if asked not in ("/", "/sign-in"):
            hosted.wanted = page.route  # a deep link: opened once signed in
        page.on_close = lambda _: threading.Thread(target=hosted.close, daemon=True).start()
        await hosted.start()
        if isinstance(hosted.space, Lobby) and asked != "/sign-in":
            page.navigate("/sign-in")
        page.render_views(lambda: Hosted(hosted))

    return main

