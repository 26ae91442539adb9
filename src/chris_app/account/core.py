"""The member's account on this device: guest mode unless a Supabase project is configured,
then sign-in, carrying guest data into the account, and background sync.

States: no config → guest only (nothing shown) · configured, signed out · signed in but the
account's two-step verification code is still owed (`needs_code`) · signed in, waiting for the
member to confirm carrying this device's data in (`needs_carry`) · signed in and linked →
syncing in the background (kicked after each save, and every few minutes).

Sign-in: email + password, or Google (PKCE): on desktops through the system browser and a
loopback redirect (`google_desktop`), on the web build by leaving for Google and coming back
to /sign-in?code=…, on phones through the deep link chrisapp://open/sign-in?code=… — the last
two end in `finish_google`.

Session hooks (`on_session`): "started" when syncing starts (signed in and linked), "signing_out"
and "deleted" just before the session is forgotten, while its token still works — the phone's
push registration (chris_app.notifications.push) follows them."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timezone

import httpx
import keyring
import keyring.errors

from chris_app import functions_client
from chris_app.domain.subscription import Subscription
from chris_app.store import Store
from chris_app.sync.auth import AuthClient, AuthFailed, TotpEnrollment
from chris_app.sync.config import BackendConfig
from chris_app.sync.engine import SyncEngine, SyncStatus, attach_account
from chris_app.sync.errors import AccountMismatch, Offline, ServerError, SyncError
from chris_app.sync.payloads import keep_server_fields
from chris_app.sync.uploads import StorageClient, download_recording, download_tile_images, upload_pending
from chris_app.sync.transport import SupabaseTransport

SYNC_EVERY_S = 300.0

log = logging.getLogger(__name__)


class MemorySecrets:
    """Where a session is kept when the system has no keychain: in memory, for this run only
    (the member signs in again after a restart; tokens never go to a plain file)."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self._items.pop((service, username), None)


def system_secrets():
    backend = keyring.get_keyring()
    usable = getattr(backend, "priority", 0) > 0 and "fail" not in type(backend).__module__
    return keyring if usable else MemorySecrets()


class Account:
    def __init__(self, store: Store, config: BackendConfig, secrets=None, http=None) -> None:
        self.store, self.config = store, config
        self._http = http  # httpx.Client for auth and `rpc_transport` (tests: a MockTransport)
        self.auth = AuthClient(config.url, config.anon_key, secrets=secrets or system_secrets(), client=http)
        self.remembers_session = not isinstance(self.auth.secrets, MemorySecrets)
        self.engine: SyncEngine | None = None
        self.upload_problem = ""
        self.watcher = None  # chris_app.sync.realtime.ProfileWatcher while signed in and linked
        self._new_password: str | None = None  # a reset waiting for the two-step code
        self._listeners: list = []
        self._session_hooks: list[Callable[[str], None]] = []
        self._kick = threading.Event()
        self._closed = False
        self._loop: threading.Thread | None = None

    # -- who is signed in ---------------------------------------------------------------------
    @property
    def email(self) -> str | None:
        return self.auth.session.email if self.auth.session else None

    def linked_user(self) -> str | None:
        rows = self.store.query("select value from sync_state where key = 'account'")
        return rows[0]["value"] if rows else None

    def member_id(self) -> str | None:
        """The member signed in on this device whose data it holds: None when signed out, when
        the two-step code is still owed, or before this device is linked to the account."""
        session = self.auth.session
        if session is None or session.pending_factor is not None or self.linked_user() != session.user_id:
            return None
        return session.user_id

    @property
    def needs_code(self) -> bool:
        return self.auth.session is not None and self.auth.session.pending_factor is not None

    @property
    def needs_carry(self) -> bool:
        return self.auth.session is not None and self.engine is None and not self.needs_code

    def restore(self) -> None:
        """At start: keep a stored session and resume syncing if this device is linked to it.
        A locked or broken keychain only means signing in again: the app starts regardless."""
        try:
            session = self.auth.restore()
        except (SyncError, keyring.errors.KeyringError):
            return
        if session and not session.pending_factor and self.linked_user() == session.user_id:
            self._start()

    def sign_in(self, email: str, password: str) -> None:
        session = self.auth.sign_in(email, password)
        self._after_sign_in(session.user_id)

    def sign_up(self, email: str, password: str, timezone: str) -> str:
        """Create the account; returns what to tell the member (e.g. confirm by email)."""
        result = self.auth.sign_up(email, password, timezone=timezone)
        if result.session:
            self._after_sign_in(result.session.user_id)
        return result.message

    def google_url(self, redirect_to: str) -> str:
        """Web and phones: where to send the member; they come back to `finish_google`."""
        return self.auth.google_url(redirect_to)

    def finish_google(self, auth_code: str) -> None:
        session = self.auth.finish_google(auth_code)
        self._after_sign_in(session.user_id)

    def google_desktop(self) -> None:
        """Blocking: the system browser and a loopback redirect."""
        from chris_app.sync.loopback import google_sign_in_desktop

        session = google_sign_in_desktop(self.auth)
        self._after_sign_in(session.user_id)

    def verify_code(self, code: str) -> None:
        """The 6-digit code from the member's authenticator app, owed after signing in."""
        session = self.auth.verify_totp(self.auth.session.pending_factor, code)
        if self._new_password is not None:  # a password reset waited for this code
            self.auth.set_password(self._new_password)
            self._new_password = None
        self._after_sign_in(session.user_id)

    def recover(self, email: str, code: str, new_password: str) -> str:
        """Blocking: the code from the reset email signs the member in and sets the new
        password (after the two-step code, when the account has one). Returns what to say."""
        if len(new_password) < 8:
            raise AuthFailed("Choose a new password of at least 8 characters.", "weak_password")
        session = self.auth.recover(email, code)
        if session.pending_factor:
            self._new_password = new_password
            return "Now the code from your authenticator app; your new password is set right after."
        self.auth.set_password(new_password)
        self._after_sign_in(session.user_id)
        return "Your new password is set."

    # -- two-step verification (TOTP) ---------------------------------------------------------
    def two_step_on(self) -> bool:
        """Blocking: whether the account has a verified authenticator app."""
        return any(f.get("status") == "verified" for f in self.auth.factors())

    def start_two_step(self) -> TotpEnrollment:
        """Blocking: a new factor (unverified factors left from an earlier try are removed)."""
        for factor in self.auth.factors():
            if factor.get("status") != "verified":
                self.auth.unenroll(factor["id"])
        return self.auth.enroll_totp()

    def confirm_two_step(self, factor_id: str, code: str) -> None:
        self.auth.verify_totp(factor_id, code)

    def turn_off_two_step(self) -> None:
        for factor in self.auth.factors():
            self.auth.unenroll(factor["id"])

    def _after_sign_in(self, user_id: str) -> None:
        if self.needs_code:
            return  # the code comes first (verify_code calls back here)
        linked = self.linked_user()
        if linked == user_id:
            self._start()
        elif linked is not None:
            self.sign_out()
            raise AccountMismatch()

    def carry_guest_data(self, now: datetime) -> None:
        """After the member confirmed: this device's data becomes the account's (merged with
        what the account already has by the sync rules) and syncing starts."""
        attach_account(self.store, self.auth.user_id, now)
        self._start()

    def sign_out(self) -> None:
        self._end_session("signing_out")

    def _end_session(self, event: str) -> None:
        self._emit(event)  # before the session is forgotten: hooks may still call the server
        self.engine = None
        self._new_password = None
        self._stop_watching()
        self.auth.sign_out()

    def delete_account(self) -> None:
        """Blocking: delete the account on the server (files, subscription, rows, login), then
        forget it here. The caller wipes the device's copy."""
        self.call_function("delete-account", {"confirm": "DELETE"})
        self._end_session("deleted")

    # -- syncing ------------------------------------------------------------------------------
    def _start(self) -> None:
        transport = SupabaseTransport(self.config.url, self.config.anon_key, self.auth.access_token)
        self.engine = SyncEngine(self.store, transport, self.auth.user_id, refresh_auth=self.auth.try_refresh)
        if self._loop is None:
            self._loop = threading.Thread(target=self._run_loop, name="sync", daemon=True)
            self._loop.start()
        self._watch()
        self.kick()
        self._emit("started")

    # -- live profile (Supabase Realtime) -----------------------------------------------------
    def _watch(self) -> None:
        from chris_app.sync.realtime import CONNECTED, ProfileWatcher

        self._stop_watching()
        self.watcher = ProfileWatcher(
            self.config.url, self.config.anon_key, self.auth.access_token, self.auth.user_id,
            on_change=self._profile_changed,
            # (re)connected: what changed while the socket was down comes with a pull
            on_status=lambda status: self.kick() if status == CONNECTED else None)
        self.watcher.start()

    def _stop_watching(self) -> None:
        watcher, self.watcher = self.watcher, None
        if watcher is not None:
            threading.Thread(target=watcher.stop, name="realtime-stop", daemon=True).start()

    def _profile_changed(self, record: dict) -> None:
        """The server changed the member's profile (another device's day, the nightly streak
        job, the billing webhook): keep what only the server writes at once, show it, and pull
        the rest (the days behind the new streak) right away."""
        with self.store.transaction() as conn:
            keep_server_fields(conn, record)
        self._notify()
        self.kick()

    def on_change(self, listener) -> Callable[[], None]:
        """Call `listener()` (from a background thread) when synced or live data changed what
        the screens show; returns the function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _notify(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:  # a page that went away: it will not listen again
                if listener in self._listeners:
                    self._listeners.remove(listener)

    def on_session(self, hook: Callable[[str], None]) -> Callable[[], None]:
        """Call `hook(event)` on the caller's thread when the session changes: "started" (signed
        in and linked: syncing starts), "signing_out" or "deleted" (the account was deleted on
        the server), the last two before the session is forgotten, so `rpc_transport` still
        works. Returns the function that stops it. A failing hook is logged, never raised."""
        self._session_hooks.append(hook)
        return lambda: self._session_hooks.remove(hook) if hook in self._session_hooks else None

    def _emit(self, event: str) -> None:
        for hook in list(self._session_hooks):
            try:
                hook(event)
            except Exception:
                log.warning("a session hook failed on %r", event, exc_info=True)

    def rpc_transport(self, timeout: float = 30.0) -> SupabaseTransport:
        """PostgREST RPCs as the signed-in member (`POST /rest/v1/rpc/…` with the member's token,
        refreshed when due), over the account's HTTP client."""
        return SupabaseTransport(self.config.url, self.config.anon_key, self.auth.access_token,
                                 client=self._http, timeout=timeout)

    def kick(self) -> None:
        """Sync soon (after a save); never blocks the caller."""
        self._kick.set()

    def _run_loop(self) -> None:
        while not self._closed:
            self._kick.wait(SYNC_EVERY_S)
            self._kick.clear()
            if not self._closed:
                self.sync_now()

    def close(self) -> None:
        """Stop syncing and watching (the session stays for the next start)."""
        self._closed = True
        self.engine = None
        self._stop_watching()
        self.kick()
        if self._loop is not None:
            self._loop.join(10)

    def sync_now(self) -> SyncStatus | None:
        """Blocking (run it off the UI thread): push and pull, then upload queued files."""
        engine = self.engine
        if engine is None:
            return None
        status = engine.run()
        self._notify()
        storage = StorageClient(self.config.url, self.config.anon_key, self.auth.access_token)
        try:
            upload_pending(self.store, storage, self.auth.user_id, datetime.now(timezone.utc))
            self.upload_problem = ""
        except SyncError as exc:
            self.upload_problem = f"Some files are not uploaded yet: {exc.message}"  # retried next run
        try:
            if download_tile_images(self.store, storage, datetime.now(timezone.utc)):
                self._notify()  # the board can show them
        except SyncError as exc:
            self.upload_problem = f"Some vision board images are not here yet: {exc.message}"
        return status

    def status(self) -> SyncStatus | None:
        return self.engine.status() if self.engine else None

    # -- what only the server knows -----------------------------------------------------------
    def subscription(self) -> Subscription | None:
        """The member's subscription as last pulled; None until the first pull brought it."""
        if self.engine is None:
            return None
        rows = self.store.query("select value from sync_state where key = 'server_profile'")
        if not rows:
            return None
        data = json.loads(rows[0]["value"])
        if not data.get("subscription_status"):
            return None
        ends = data.get("trial_ends_at")
        return Subscription(data["subscription_status"], datetime.fromisoformat(ends) if ends else None)

    def download_recording(self, recording_id: str) -> None:
        """Blocking: bring a recording made on another device to this one."""
        storage = StorageClient(self.config.url, self.config.anon_key, self.auth.access_token)
        download_recording(self.store, storage, recording_id)

    def leaderboard(self, limit: int = 50) -> list[dict]:
        """The top members by current streak, among those who opted in: display name, member
        code and streak only (the server's narrow, opt-in table)."""
        try:
            response = httpx.get(
                f"{self.config.url}/rest/v1/leaderboard",
                params={"select": "display_name,member_code,current_streak", "order": "current_streak.desc",
                        "limit": str(limit)},
                headers={"apikey": self.config.anon_key, "Authorization": f"Bearer {self.auth.access_token()}"},
                timeout=20.0,
            )
        except httpx.HTTPError:
            raise Offline() from None
        if not response.is_success:
            raise ServerError()
        return response.json()

    def call_function(self, name: str, body: dict | None = None, timeout: float = 40.0) -> dict:
        """Blocking call of an edge function as this member (run it off the UI thread)."""
        return functions_client.call(self.config.url, self.config.anon_key, self.auth.access_token(), name, body,
                                     client=self._http, timeout=timeout)
