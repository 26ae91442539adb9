"""Server push on phones (OneSignal, through flet-onesignal): the phone registers itself with
the server so the member's reminders can come as push, and a tap on one opens /morning or
/evening, whether the app was running or the tap started it.

Where this runs: only in a built phone app (`flet build apk` / `flet build ipa`, with a
OneSignal app id configured, see docs/phone-build.md and `sync.config.load_push_app_id`). The
extension's Dart half is compiled into the app by `flet build`; the web and desktop clients do
not contain it, and `install` does nothing there. Building a phone app needs the Flutter SDK,
which was not available where this was written: what is tested here is the Python side,
against a recording double checked call by call against the real `flet_onesignal.OneSignal`,
and the server calls at the HTTP boundary. It has not run on a phone.

Registered means: the member is signed in on this phone with its data linked
(`Account.member_id`), their synced `push_notifications` switch is on, and the phone allows
notifications. Then the phone is logged in to OneSignal as the member (external id = member
id), opted in to push, and its push subscription id is sent with `register_push_device`; what
was sent is kept in the store (`sync_state` key `push_device`), so it is sent again only when
it changes (a new subscription id, another member) or after `REFRESH_AFTER` (7 days: the
server's `last_seen_at` stays fresh, and a row the server dropped comes back). The server then counts the member as
reachable by push (`docs/rules.md`, Reminders), and its sender targets that subscription id.

Not registered (switch off, permission withdrawn in the phone's settings): opt out, then
`unregister_push_device`. Sign-out: opt out, log out of OneSignal, and `unregister_push_device`
with the session's last token (`Account.on_session` calls us before it forgets the session);
account deletion: opt out and log out (the server deleted the rows with the account). The
server call is best effort: offline it cannot be made, and after sign-out it cannot be retried;
the opt-out is what makes OneSignal stop delivering to this phone even so, and the sender then
hears from OneSignal that the subscription no longer takes push and drops it
(`forget_push_devices`). While signed in, a registration or an unregistration that failed
offline is tried again on the next `kick` (every sync, every return to the foreground).

A subscription id the SDK hands over that is not 1-128 characters of [A-Za-z0-9-] is not sent
(the server would refuse it too); a refusal by the server is logged with its reason and not
sent again this run. Nothing here raises into the app.

A tap: OneSignal's Dart side sends the notification's raw payload as a JSON string (the
Python type hint says dict; both are read). The sender puts the route in the notification's
additional data, which the raw payload carries as `custom.a.route` (`custom` is itself a JSON
string on Android, an object on iOS); `additionalData.route` is read too. Only /morning and
/evening are opened; anything else is ignored with a log line. The Dart side adds its click
listener right after initialising OneSignal, and OneSignal holds a tap that launched the app
until a listener exists, so a cold-start tap arrives as an ordinary click event: the handler
is given at construction, as Flet sends a service's handlers when it registers. The same tap
reported twice within `SAME_TAP_S` opens its screen once."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from flet_onesignal import OneSignal

from chris_app.services.profile import get_settings
from chris_app.state import system_clock
from chris_app.store import Store
from chris_app.sync import sync_state
from chris_app.sync.errors import AuthExpired, CallRejected, Offline, SyncError
from chris_app.sync.transport import SupabaseTransport, parse_response

log = logging.getLogger(__name__)

ROUTES = frozenset({"/morning", "/evening"})  # what a tap may open
SUBSCRIPTION_ID = re.compile(r"[A-Za-z0-9-]{1,128}")  # as public.push_devices checks it
PLATFORMS = {"android": "android", "ios": "ios"}  # ft.PagePlatform value → p_platform
SESSION_KEY = "chris_app.push"
SAME_TAP_S = 5.0  # one tap reported twice
CALL_TIMEOUT_S = 30.0  # an SDK call that never answers (no Dart half) must not hang us
PERMISSION_TIMEOUT_S = 300.0  # the member may take a while with the system dialog
RPC_TIMEOUT_S = 10.0  # sign-out waits for the unregistration at most this long
REFRESH_AFTER = timedelta(days=7)  # register again (last_seen_at; a row the server dropped)


# --- pure helpers ------------------------------------------------------------------------

def valid_subscription_id(value: Any) -> bool:
    return isinstance(value, str) and SUBSCRIPTION_ID.fullmatch(value) is not None


def _as_object(value: Any) -> dict | None:
    if isinstance(value, (str, bytes)):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


def route_of(notification: Any) -> str | None:
    """The route in a tapped notification: `custom.a.route` of the raw payload (a JSON
    string or a dict; `custom` a JSON string on Android, an object on iOS), else
    `additionalData.route`. None when there is none."""
    payload = _as_object(notification)
    if payload is None:
        return None
    custom = _as_object(payload.get("custom"))
    for data in ((_as_object(custom.get("a")) if custom else None), _as_object(payload.get("additionalData"))):
        if data is not None and isinstance(data.get("route"), str):
            return data["route"]
    return None


# --- the server ------------------------------------------------------------------------

class PushDevicesApi:
    """`register_push_device` / `unregister_push_device` over the member's RPC transport
    (`Account.rpc_transport`). Both return void: PostgREST answers 200 with `null` (or 204);
    other outcomes become the sync errors of `sync.transport.parse_response`."""

    def __init__(self, transport: SupabaseTransport) -> None:
        self.transport = transport

    def register(self, subscription_id: str, platform: str) -> None:
        self._call("register_push_device", {"p_subscription_id": subscription_id, "p_platform": platform})

    def unregister(self, subscription_id: str) -> None:
        self._call("unregister_push_device", {"p_subscription_id": subscription_id})

    def _call(self, function: str, body: dict[str, Any]) -> None:
        t = self.transport
        headers = {"apikey": t.anon_key, "Authorization": f"Bearer {t.token()}",
                   "Content-Type": "application/json", "Accept": "application/json"}
        try:
            response = t.client.post(f"{t.base}/rest/v1/rpc/{function}", json=body, headers=headers)
        except (httpx.TransportError, OSError) as exc:  # connect/read errors, timeouts, DNS
            raise Offline() from exc
        if not 200 <= response.status_code < 300:
            parse_response(response)  # raises the matching SyncError


@dataclass(frozen=True, slots=True)
class Registered:
    """What the server was last told about this phone (kept in the store)."""

    user_id: str
    subscription_id: str
    platform: str
    at: str  # when (ISO 8601, UTC)

    def same(self, other: Registered) -> bool:
        return (self.user_id, self.subscription_id, self.platform) == (
            other.user_id, other.subscription_id, other.platform)


# --- the registration ------------------------------------------------------------------

def _real_onesignal(app_id: str, on_click, on_subscription, on_permission, on_error) -> OneSignal:
    # Handlers go in at construction: Flet sends a service's handlers to the client when it
    # registers (at construction, on the current page), and the client drops events for which
    # none was sent — the held cold-start tap too.
    return OneSignal(app_id=app_id, on_notification_click=on_click, on_push_subscription_change=on_subscription,
                     on_permission_change=on_permission, on_error=on_error)


class PushRegistration:
    """Keeps this phone's push registration in line with the member and their switch.

    Keep a reference for as long as the page lives (`install` does): Flet drops a service
    nothing references, and with it the tap handler."""

    def __init__(self, page: Any, store: Store, account: Any, platform: str, *, app_id: str = "",
                 onesignal: Any = None, api: Callable[[float], PushDevicesApi] | None = None,
                 clock: Callable[[], datetime] = system_clock,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        if platform not in PLATFORMS.values():
            raise ValueError(f"push registration is for phones (android, ios), not {platform!r}")
        self.page, self.store, self.account, self.platform = page, store, account, platform
        self.clock, self.monotonic = clock, monotonic
        self.api = api or (lambda timeout: PushDevicesApi(account.rpc_transport(timeout)))
        if onesignal is None:
            onesignal = _real_onesignal(app_id, self._on_click, self._on_subscription_change,
                                        self._on_permission_change, self._on_error)
        else:  # a double, or a service not yet registered (else the client never hears of it)
            onesignal.on_notification_click = self._on_click
            onesignal.on_push_subscription_change = self._on_subscription_change
            onesignal.on_permission_change = self._on_permission_change
            onesignal.on_error = self._on_error
        self.onesignal = onesignal
        self._lock = asyncio.Lock()
        self._asked = False  # permission asked this run
        self._logged_in: str | None = None  # the external id OneSignal has this run
        self._opted: bool | None = None  # opted in (True) / out (False) this run; None: not told
        self._subscription_id: str | None = None
        self._refused: set[tuple[str, str]] = set()  # (member, subscription id) the server refused
        self._opened: dict[str, float] = {}

    # -- what the app calls ----------------------------------------------------------------
    def kick(self) -> None:
        """`sync` in the background; safe from any thread (session hooks, sync listeners)."""
        self.page.run_task(self.sync)

    async def sync(self) -> None:
        """Bring the phone and the server in line with who is signed in and their switch."""
        async with self._lock:
            try:
                await self._sync()
            except Exception:  # the SDK failed or never answered: say so, try again next kick
                log.warning("push registration could not be brought up to date; tried again later",
                            exc_info=True)

    def session_changed(self, event: str) -> None:
        """`Account.on_session` hook, on the caller's thread, before a session is forgotten."""
        if event == "started":
            self.kick()
            return
        if event not in ("signing_out", "deleted"):
            return
        registered = self._remembered()
        if event == "signing_out" and registered is not None and registered.user_id == self.account.member_id():
            self._server_call("unregister", registered.subscription_id, timeout=RPC_TIMEOUT_S)
        self._remember(None)  # signed out: nothing can be retried without the session
        self.page.run_task(self._phone_off)

    # -- the work ----------------------------------------------------------------------------
    async def _sync(self) -> None:
        member = self.account.member_id() if self.account is not None else None
        registered = self._remembered()
        if member is None:
            if registered is not None or self._opted or self._logged_in is not None:
                await self._opt_out()
                await self._logout()
                self._remember(None)  # no session: the server cannot be told (see the docstring)
            return
        if registered is not None and registered.user_id != member:
            self._remember(None)  # another member's, from before: the server moved it on sign-in
            registered = None
        if not self._switch_on() or not await self._permission():
            await self._opt_out()
            if registered is not None and await self._server("unregister", registered.subscription_id):
                self._remember(None)
            return
        if self._logged_in != member:
            await self._call(self.onesignal.login(member))
            self._logged_in = member
        if self._opted is not True:
            await self._call(self.onesignal.user.opt_in_push())
            self._opted = True
        if self._subscription_id is None:
            self._subscription_id = await self._call(self.onesignal.user.get_push_subscription_id())
        sub = self._subscription_id
        if sub is None:
            return  # not there yet: on_push_subscription_change brings it
        if not valid_subscription_id(sub):
            log.warning("OneSignal gave this phone an unusable push subscription id %r "
                        "(not 1-128 of A-Z, a-z, 0-9, '-'); not registered",
                        sub[:200] if isinstance(sub, str) else sub)
            return
        now = self.clock()
        wanted = Registered(member, sub, self.platform, now.isoformat())
        if registered is not None and registered.same(wanted) and not self._due(registered, now):
            return
        if (member, sub) in self._refused:
            return
        if await self._server("register", sub):
            self._remember(wanted)
            if registered is not None and registered.subscription_id != sub:
                await self._server("unregister", registered.subscription_id)  # the phone's old id

    @staticmethod
    def _due(registered: Registered, now: datetime) -> bool:
        try:
            return now - datetime.fromisoformat(registered.at) >= REFRESH_AFTER
        except (TypeError, ValueError):
            return True

    def _switch_on(self) -> bool:
        # `push_notifications` is the member's synced switch (Settings); True until it exists.
        return bool(getattr(get_settings(self.store), "push_notifications", True))

    async def _permission(self) -> bool:
        if not self._asked:  # once per run; never sends the member to the settings
            self._asked = True
            return bool(await self._call(self.onesignal.notifications.request_permission(
                fallback_to_settings=False, timeout=PERMISSION_TIMEOUT_S), PERMISSION_TIMEOUT_S))
        return bool(await self._call(self.onesignal.notifications.get_permission()))

    async def _opt_out(self) -> None:
        if self._opted is not False:
            await self._call(self.onesignal.user.opt_out_push())
            self._opted = False

    async def _logout(self) -> None:
        await self._call(self.onesignal.logout())
        self._logged_in = None

    async def _phone_off(self) -> None:
        async with self._lock:
            try:
                await self._opt_out()
                await self._logout()
            except Exception:
                log.warning("push: opting this phone out after sign-out failed", exc_info=True)

    async def _server(self, what: str, subscription_id: str) -> bool:
        return await asyncio.to_thread(self._server_call, what, subscription_id)

    def _server_call(self, what: str, subscription_id: str, timeout: float = 30.0) -> bool:
        """register / unregister this phone; True when the server did it. Never raises."""
        for attempt in (1, 2):
            try:
                api = self.api(timeout)
                if what == "register":
                    api.register(subscription_id, self.platform)
                else:
                    api.unregister(subscription_id)
                return True
            except AuthExpired:
                if attempt == 1 and self.account.auth.try_refresh():
                    continue
                log.warning("push: could not %s this phone: the sign-in has expired", what)
            except CallRejected as exc:
                if what == "register":
                    self._refused.add((self.account.member_id(), subscription_id))
                log.error("push: the server refused to %s this phone (%s, code %s)",
                          what, exc.message, exc.code)
            except SyncError as exc:  # offline, server trouble: the next kick tries again
                log.info("push: could not %s this phone now (%s); tried again later", what, exc.message)
            return False
        return False

    async def _call(self, awaitable: Any, timeout: float | None = None) -> Any:
        return await asyncio.wait_for(awaitable, CALL_TIMEOUT_S if timeout is None else timeout)

    # -- what is kept --------------------------------------------------------------------
    def _remembered(self) -> Registered | None:
        with self.store.reading() as conn:
            data = sync_state.push_device(conn)
        try:
            return Registered(**data) if data is not None else None
        except TypeError:
            return None  # unreadable: as if nothing was sent (registering again is harmless)

    def _remember(self, registered: Registered | None) -> None:
        with self.store.transaction() as conn:
            sync_state.set_push_device(conn, asdict(registered) if registered is not None else None)

    # -- events from the SDK -------------------------------------------------------------
    def _on_click(self, e: Any) -> None:
        route = route_of(getattr(e, "notification", None))
        if route not in ROUTES:
            log.info("push tap ignored: %s", f"route {route[:100]!r} is not one the app opens"
                     if route else "no route in its additional data")
            return
        now = self.monotonic()
        if now - self._opened.get(route, float("-inf")) < SAME_TAP_S:
            return  # the same tap, reported twice
        self._opened[route] = now
        self.page.navigate(route)

    def _on_subscription_change(self, e: Any) -> None:
        if getattr(e, "id", None):
            self._subscription_id = e.id
            self.kick()

    def _on_permission_change(self, e: Any) -> None:
        self.kick()

    def _on_error(self, e: Any) -> None:
        log.warning("OneSignal reported an error in %s: %s", getattr(e, "method", None), getattr(e, "message", None))


def install(page: Any, store: Store, account: Any, app_id: str | None) -> PushRegistration | None:
    """Create the page's push registration (a built phone app with a OneSignal app id and an
    account configured; else None), keep it for the page's session, follow the account and
    start it. `kick()` it when the member's push switch changes and when the app returns to
    the foreground; `current(page)` finds it."""
    if page.web or not page.platform.is_mobile() or not app_id or account is None:
        return None
    platform = PLATFORMS.get(page.platform.value)
    if platform is None:
        return None
    registration = PushRegistration(page, store, account, platform, app_id=app_id)
    page.session.store.set(SESSION_KEY, registration)
    account.on_session(registration.session_changed)
    account.on_change(registration.kick)  # after every sync: a switch changed elsewhere, retries
    registration.kick()
    return registration


def current(page: Any) -> PushRegistration | None:
    """The page's push registration, or None (desktop, web, no app id, or not installed)."""
    return page.session.store.get(SESSION_KEY)
