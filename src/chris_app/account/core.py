"""The member's account on this device: the sign-in state machine, and the parts that follow it
(the backend door, the sync loop, the live profile, file transfers, server reads).

States (`status`, chris_app.account.status.AccountStatus): no config or nobody signed in →
GUEST · signed in but the account's two-step code is still owed → NEEDS_CODE · signed in,
waiting for the member to confirm carrying this device's data in → NEEDS_CARRY · signed in and
linked → SYNCING (in the background: after each save, and every few minutes).

Sign-in: email + password, or Google (PKCE): on desktops through the system browser and a
loopback redirect (`google_desktop`), on the web build by leaving for Google and coming back
to /sign-in?code=…, on phones through the deep link chrisapp://open/sign-in?code=… — the last
two end in `finish_google`.

Session hooks (`on_session`): "started" when syncing starts (signed in and linked), "signing_out"
and "deleted" just before the session is forgotten, while its token still works — the phone's
push registration (chris_app.notifications.push) follows them.

Each Account owns its door (one HTTP client, its session) and its threads: two Accounts share
nothing (the hosted web mode runs one per browser page)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import httpx
import keyring.errors

from chris_app import __version__
from chris_app.account import server
from chris_app.account.files import fetch_recording, recordings_not_here, transfer_after_sync
from chris_app.account.live import LiveProfile
from chris_app.account.secrets import MemorySecrets, system_secrets
from chris_app.account.status import AccountStatus
from chris_app.account.subscription import last_pulled_subscription
from chris_app.account.sync_loop import SyncLoop
from chris_app.domain.subscription import Subscription
from chris_app.store import Store
from chris_app.sync import sync_state
from chris_app.sync.auth import AuthFailed, TotpEnrollment
from chris_app.sync.config import BackendConfig
from chris_app.sync.door import Backend, platform_name
from chris_app.sync.engine import SyncEngine, SyncStatus, attach_account
from chris_app.sync.errors import AccountMismatch, SyncError
from chris_app.sync.transport import SupabaseTransport

log = logging.getLogger(__name__)


class Account:
    def __init__(self, store: Store, config: BackendConfig, secrets=None, http: httpx.Client | None = None, *,
                 platform: str | None = None, app_version: str = __version__) -> None:
        """`http`: the one client every request goes over (tests: one on httpx.MockTransport);
        `platform`: what pulls report ('web' in a browser, 'android'/'ios' on phones; default
        this desktop's OS, see chris_app.sync.door.platform_name)."""
        self.store, self.config = store, config
        self.backend = Backend(config, secrets=secrets or system_secrets(), http=http,
                               platform=platform or platform_name(), app_version=app_version)
        self.auth = self.backend.auth
        self.remembers_session = not isinstance(self.auth.secrets, MemorySecrets)
        self.engine: SyncEngine | None = None
        self.upload_problem = ""
        self._live = LiveProfile(store, config, self.auth.access_token, on_changed=self._profile_changed,
                                 on_connected=self.kick)
        self.loop = SyncLoop(self.sync_now, self.backend.retry_wait)
        self._new_password: str | None = None  # a reset waiting for the two-step code
        self._listeners: list = []
        self._session_hooks: list[Callable[[str], None]] = []
        self._closed = False

    # -- who is signed in ---------------------------------------------------------------------
    @property
    def status(self) -> AccountStatus:
        session = self.auth.session
        if session is None:
            return AccountStatus.GUEST
        if session.pending_factor is not None:
            return AccountStatus.NEEDS_CODE
        return AccountStatus.SYNCING if self.engine is not None else AccountStatus.NEEDS_CARRY

    @property
    def email(self) -> str | None:
        return self.auth.session.email if self.auth.session else None

    @property
    def watcher(self):
        """The Realtime watcher while signed in and linked (chris_app.sync.realtime)."""
        return self._live.watcher

    def linked_user(self) -> str | None:
        with self.store.reading() as conn:
            return sync_state.account(conn)

    def member_id(self) -> str | None:
        """The member signed in on this device whose data it holds: None when signed out, when
        the two-step code is still owed, or before this device is linked to the account."""
        session = self.auth.session
        if session is None or session.pending_factor is not None or self.linked_user() != session.user_id:
            return None
        return session.user_id

    @property
    def needs_code(self) -> bool:
        return self.status is AccountStatus.NEEDS_CODE

    @property
    def needs_carry(self) -> bool:
        return self.status is AccountStatus.NEEDS_CARRY

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

    def reset_password(self, email: str) -> None:
        """Blocking: email a password-reset code (then `recover`)."""
        self.auth.reset_password(email)

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

    def sign_out_other_sessions(self) -> None:
        """Blocking: end the member's sessions on every other device; this one stays."""
        server.sign_out_other_sessions(self.backend)

    def _end_session(self, event: str) -> None:
        self._emit(event)  # before the session is forgotten: hooks may still call the server
        self.engine = None
        self._new_password = None
        self._live.stop()
        self.auth.sign_out()

    def delete_account(self) -> None:
        """Blocking: delete the account on the server (files, subscription, rows, login), then
        forget it here. The caller wipes the device's copy."""
        self.call_function("delete-account", {"confirm": "DELETE"})
        self._end_session("deleted")

    # -- syncing ------------------------------------------------------------------------------
    def _start(self) -> None:
        self.engine = SyncEngine(self.store, self.backend.transport(), self.auth.user_id,
                                 refresh_auth=self.auth.try_refresh, sleep=self.loop.pause)
        self.loop.start()
        self._live.start(self.auth.user_id)
        self.kick()
        self._emit("started")

    def _profile_changed(self) -> None:
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
        refreshed when due), over the door's one client."""
        return self.backend.transport(timeout)

    def kick(self) -> None:
        """Sync soon (after a save); never blocks the caller."""
        self.loop.kick()

    def close(self) -> None:
        """Stop syncing and watching, and close the door's connections (the session stays for
        the next start)."""
        self._closed = True
        self.engine = None
        self._live.stop()
        self.loop.stop()
        self.backend.close()

    def sync_now(self) -> SyncStatus | None:
        """Blocking (run it off the UI thread): push and pull, then upload queued files."""
        engine = self.engine
        if engine is None or self._closed:
            return None
        status = engine.run()
        self._notify()
        arrived, self.upload_problem = transfer_after_sync(self.store, self.backend.storage(), self.auth.user_id)
        if arrived:
            self._notify()  # the board can show them
        return status

    def sync_status(self) -> SyncStatus | None:
        """What the sync line says (None unless syncing)."""
        return self.engine.status() if self.engine else None

    # -- what only the server knows -----------------------------------------------------------
    def subscription(self) -> Subscription | None:
        """The member's subscription as last pulled; None until the first pull brought it."""
        return last_pulled_subscription(self.store) if self.engine is not None else None

    def download_recording(self, recording_id: str) -> Path:
        """Blocking: bring a recording made on another device to this one."""
        return fetch_recording(self.store, self.backend.storage(), recording_id)

    def remote_recordings_missing(self) -> list[str]:
        """Recordings the account holds that this device has no file for (from the pulled rows:
        no server call)."""
        return recordings_not_here(self.store)

    def leaderboard(self, limit: int = 50) -> list[dict]:
        """The top members by current streak, among those who opted in."""
        return server.leaderboard(self.backend, limit)

    def devices(self) -> list[server.Device]:
        """Blocking: the member's devices, last seen first."""
        return server.devices(self.backend, self.engine.client_id if self.engine else None)

    def activity(self, limit: int = 50) -> list[server.AuditEntry]:
        """Blocking: the audit log of the member's account, newest first."""
        return server.activity(self.backend, limit)

    def export_link(self) -> server.ExportLink:
        """Blocking: a short-lived link to the whole account's archive (built server-side)."""
        return server.export_link(self.backend)

    def call_function(self, name: str, body: dict | None = None, timeout: float = 40.0) -> dict:
        """Blocking call of an edge function as this member (run it off the UI thread)."""
        return self.backend.call_function(name, body, timeout)
