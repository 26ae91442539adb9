"""The member's account on this device: guest mode unless a Supabase project is configured,
then sign-in, carrying guest data into the account, and background sync.

States: no config → guest only (nothing shown) · configured, signed out · signed in, waiting
for the member to confirm carrying this device's data in (`needs_carry`) · signed in and
linked → syncing in the background (kicked after each save, and every few minutes)."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone

import httpx
import keyring
import keyring.errors

from chris_app import functions_client
from chris_app.domain.subscription import Subscription
from chris_app.store import Store
from chris_app.sync.auth import AuthClient
from chris_app.sync.config import BackendConfig
from chris_app.sync.engine import SyncEngine, SyncStatus, attach_account
from chris_app.sync.errors import AccountMismatch, Offline, ServerError, SyncError
from chris_app.sync.uploads import StorageClient, download_recording, upload_pending
from chris_app.sync.transport import SupabaseTransport

SYNC_EVERY_S = 300.0


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
        self.auth = AuthClient(config.url, config.anon_key, secrets=secrets or system_secrets(), client=http)
        self.remembers_session = not isinstance(self.auth.secrets, MemorySecrets)
        self.engine: SyncEngine | None = None
        self.upload_problem = ""
        self._kick = threading.Event()
        self._loop: threading.Thread | None = None

    # -- who is signed in ---------------------------------------------------------------------
    @property
    def email(self) -> str | None:
        return self.auth.session.email if self.auth.session else None

    def linked_user(self) -> str | None:
        rows = self.store.query("select value from sync_state where key = 'account'")
        return rows[0]["value"] if rows else None

    @property
    def needs_carry(self) -> bool:
        return self.auth.session is not None and self.engine is None

    def restore(self) -> None:
        """At start: keep a stored session and resume syncing if this device is linked to it.
        A locked or broken keychain only means signing in again: the app starts regardless."""
        try:
            session = self.auth.restore()
        except (SyncError, keyring.errors.KeyringError):
            return
        if session and self.linked_user() == session.user_id:
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

    def _after_sign_in(self, user_id: str) -> None:
        linked = self.linked_user()
        if linked == user_id:
            self._start()
        elif linked is not None:
            self.auth.sign_out()
            raise AccountMismatch()

    def carry_guest_data(self, now: datetime) -> None:
        """After the member confirmed: this device's data becomes the account's (merged with
        what the account already has by the sync rules) and syncing starts."""
        attach_account(self.store, self.auth.user_id, now)
        self._start()

    def sign_out(self) -> None:
        self.engine = None
        self.auth.sign_out()

    def delete_account(self) -> None:
        """Blocking: delete the account on the server (files, subscription, rows, login), then
        forget it here. The caller wipes the device's copy."""
        self.call_function("delete-account", {"confirm": "DELETE"})
        self.sign_out()

    # -- syncing ------------------------------------------------------------------------------
    def _start(self) -> None:
        transport = SupabaseTransport(self.config.url, self.config.anon_key, self.auth.access_token)
        self.engine = SyncEngine(self.store, transport, self.auth.user_id, refresh_auth=self.auth.try_refresh)
        if self._loop is None:
            self._loop = threading.Thread(target=self._run_loop, name="sync", daemon=True)
            self._loop.start()
        self.kick()

    def kick(self) -> None:
        """Sync soon (after a save); never blocks the caller."""
        self._kick.set()

    def _run_loop(self) -> None:
        while True:
            self._kick.wait(SYNC_EVERY_S)
            self._kick.clear()
            self.sync_now()

    def sync_now(self) -> SyncStatus | None:
        """Blocking (run it off the UI thread): push and pull, then upload queued files."""
        engine = self.engine
        if engine is None:
            return None
        status = engine.run()
        try:
            upload_pending(self.store, StorageClient(self.config.url, self.config.anon_key, self.auth.access_token),
                           self.auth.user_id, datetime.now(timezone.utc))
            self.upload_problem = ""
        except SyncError as exc:
            self.upload_problem = f"Some files are not uploaded yet: {exc.message}"  # retried next run
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

    def call_function(self, name: str, body: dict | None = None) -> dict:
        """Blocking call of an edge function as this member (run it off the UI thread)."""
        return functions_client.call(self.config.url, self.config.anon_key, self.auth.access_token(), name, body)
