"""PushRegistration against a recording double of flet_onesignal.OneSignal, and the double
against the real class: every call the code makes binds to the real method's signature, and
the real Python half only invokes methods its Dart half dispatches. The server is faked at the
HTTP boundary: the real Account (session in memory, device linked) with an httpx MockTransport
that answers PostgREST and GoTrue as they document it.

No phone here (the Dart half runs only in a built app): this is the Python side. Async code
runs in a thread of its own, as Playwright may hold the main thread's event loop."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import flet as ft
import flet_onesignal
import httpx
import pytest
from flet.controls.base_control import get_event_field_type
from flet.utils import from_dict
from flet_onesignal import OneSignal, OneSignalNotifications, OneSignalUser

from chris_app.account import Account, MemorySecrets
from chris_app.notifications import push
from chris_app.notifications.push import PushRegistration, current, install, route_of
from chris_app.services.profile import update_settings
from chris_app.sync import sync_state
from chris_app.sync.auth import KEYRING_NAME, KEYRING_SERVICE
from chris_app.sync.config import BackendConfig, load_push_app_id
from chris_app.sync.engine import attach_account

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=timezone.utc)
URL = "https://abc.supabase.co"
ANON = "anon-key-123"
USER = "6f1d3a52-8c1e-4f4a-9d7b-2a5c0e9b1f11"
SUB = "8e4b2c1a-7d3f-4e5a-b6c9-0a1b2c3d4e5f"  # a OneSignal push subscription id (a UUID)
NEW_SUB = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
APP_ID = "1b2c3d4e-0000-4000-8000-123456789abc"
DART_SERVICE = (Path(flet_onesignal.__file__).parent.parent / "flutter" / "flet_onesignal" / "lib" / "src"
                / "onesignal_service.dart")


def run(coro):
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


# --- the OneSignal double -----------------------------------------------------------------

class _Part:
    def __init__(self, owner, prefix):
        self._owner, self._prefix = owner, prefix

    def _record(self, name, *args, **kwargs):
        return self._owner._record(f"{self._prefix}.{name}", *args, **kwargs)


class FakeUser(_Part):
    async def opt_in_push(self):
        self._record("opt_in_push")

    async def opt_out_push(self):
        self._record("opt_out_push")

    async def get_push_subscription_id(self, timeout=25):
        self._record("get_push_subscription_id")
        return self._owner.subscription_id


class FakeNotifications(_Part):
    async def request_permission(self, fallback_to_settings=True, timeout=25):
        self._record("request_permission", fallback_to_settings=fallback_to_settings, timeout=timeout)
        return self._owner.granted

    async def get_permission(self, timeout=25):
        self._record("get_permission")
        return self._owner.granted


class FakeOneSignal:
    """Records every call as (name, args, kwargs), names as "login", "user.opt_in_push"…;
    answers like the real service."""

    def __init__(self, subscription_id=SUB, granted=True, fail=None):
        self.subscription_id, self.granted, self.fail = subscription_id, granted, fail or {}
        self.calls: list[tuple[str, tuple, dict]] = []
        self.user = FakeUser(self, "user")
        self.notifications = FakeNotifications(self, "notifications")
        self.on_notification_click = self.on_push_subscription_change = None
        self.on_permission_change = self.on_error = None

    def _record(self, name, *args, **kwargs):
        self.calls.append((name, args, kwargs))
        if name in self.fail:
            raise self.fail[name]

    def names(self):
        return [name for name, _, _ in self.calls]

    async def login(self, external_id):
        self._record("login", external_id)

    async def logout(self):
        self._record("logout")


# --- the page and the server ---------------------------------------------------------------

class FakePage:
    def __init__(self, platform=ft.PagePlatform.ANDROID, web=False):
        self.platform, self.web = platform, web
        self.routes: list[str] = []
        self.tasks: list = []
        self.session = type("Session", (), {})()
        self.session.store = _SessionStore()

    def navigate(self, route):
        self.routes.append(route)

    def run_task(self, handler, *args):
        self.tasks.append(handler)

    def run_tasks(self):
        tasks, self.tasks = self.tasks, []
        for task in tasks:
            run(task())


class _SessionStore:
    def __init__(self):
        self.values = {}

    def set(self, key, value):
        self.values[key] = value

    def get(self, key):
        return self.values.get(key)


class Supabase:
    """PostgREST's two RPCs and GoTrue's logout and refresh, at the HTTP boundary. `answer`
    maps an RPC name to a list of responses (or exceptions) served in turn; default 200 null."""

    def __init__(self):
        self.requests: list[httpx.Request] = []
        self.answer: dict[str, list] = {}
        self.offline = False

    def rpcs(self):
        return [(r.url.path.rsplit("/", 1)[1], json.loads(r.content)) for r in self.requests
                if r.url.path.startswith("/rest/v1/rpc/")]

    def paths(self):
        return [r.url.path for r in self.requests]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.offline:
            raise httpx.ConnectError("no route to host", request=request)
        path = request.url.path
        if path == "/auth/v1/logout":
            return httpx.Response(204)
        if path == "/auth/v1/token":
            return httpx.Response(200, json={"access_token": "member-token-2", "refresh_token": "r2",
                                             "expires_in": 3600, "user": {"id": USER}})
        if path == "/functions/v1/delete-account":
            return httpx.Response(200, json={"deleted": True})
        if path.startswith("/rest/v1/rpc/"):
            queued = self.answer.get(path.rsplit("/", 1)[1])
            if queued:
                answer = queued.pop(0)
                if isinstance(answer, Exception):
                    raise answer
                return answer
            return httpx.Response(200, json=None)
        return httpx.Response(404, json={"message": f"unexpected {path}"})


def signed_in(store, server, linked=True):
    secrets = MemorySecrets()
    secrets.set_password(KEYRING_SERVICE, KEYRING_NAME, json.dumps({
        "access_token": "member-token", "refresh_token": "r", "expires_at": int(time.time()) + 3600,
        "user_id": USER, "email": "chris@example.com"}))
    if linked:
        attach_account(store, USER, NOW)
    account = Account(store, BackendConfig(URL, ANON), secrets=secrets,
                      http=httpx.Client(transport=httpx.MockTransport(server)))
    account.auth.restore()  # the session only: no sync loop, no Realtime
    return account


class Ticks:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class Clock:
    def __init__(self, now=NOW):
        self.now = now

    def __call__(self):
        return self.now


def registration(store, account, os_double, page=None, platform="android", ticks=None, clock=None):
    return PushRegistration(page or FakePage(), store, account, platform, onesignal=os_double,
                            monotonic=ticks or Ticks(), clock=clock or Clock())


def remembered(store):
    with store.reading() as conn:
        return sync_state.push_device(conn)


@pytest.fixture
def server():
    return Supabase()


# --- registering ---------------------------------------------------------------------------

def test_a_signed_in_member_is_logged_in_opted_in_and_the_phone_registered(store, server):
    account, os_ = signed_in(store, server), FakeOneSignal()
    r = registration(store, account, os_)
    run(r.sync())
    assert os_.names() == ["notifications.request_permission", "login", "user.opt_in_push",
                           "user.get_push_subscription_id"]
    assert os_.calls[1] == ("login", (USER,), {})
    assert os_.calls[0][2]["fallback_to_settings"] is False  # never sends the member to Settings
    [request] = server.requests
    assert request.method == "POST"
    assert str(request.url) == f"{URL}/rest/v1/rpc/register_push_device"
    assert request.headers["apikey"] == ANON
    assert request.headers["authorization"] == "Bearer member-token"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"p_subscription_id": SUB, "p_platform": "android"}
    assert remembered(store) == {"user_id": USER, "subscription_id": SUB, "platform": "android",
                                 "at": NOW.isoformat()}


def test_what_was_registered_is_not_sent_again_at_the_next_start_but_after_a_week(store, server):
    account = signed_in(store, server)
    run(registration(store, account, FakeOneSignal()).sync())
    clock = Clock(NOW + timedelta(days=6))
    os_ = FakeOneSignal()  # the next start: a new run
    run(registration(store, account, os_, clock=clock).sync())
    assert len(server.rpcs()) == 1
    assert os_.names() == ["notifications.request_permission", "login", "user.opt_in_push",
                           "user.get_push_subscription_id"]  # the phone side is set every run
    clock.now = NOW + timedelta(days=7)
    r = registration(store, account, FakeOneSignal(), clock=clock)
    run(r.sync())
    assert [name for name, _ in server.rpcs()] == ["register_push_device"] * 2
    assert remembered(store)["at"] == clock.now.isoformat()


def test_a_second_sync_in_the_same_run_asks_nothing_and_sends_nothing(store, server):
    account, os_ = signed_in(store, server), FakeOneSignal()
    r = registration(store, account, os_)
    run(r.sync())
    os_.calls.clear()
    run(r.sync())
    assert os_.names() == ["notifications.get_permission"]  # the member may have changed it
    assert len(server.requests) == 1


def test_an_iphone_registers_as_ios(store, server):
    run(registration(store, signed_in(store, server), FakeOneSignal(), platform="ios").sync())
    assert server.rpcs() == [("register_push_device", {"p_subscription_id": SUB, "p_platform": "ios"})]


def test_only_phones_register():
    with pytest.raises(ValueError, match="phones"):
        PushRegistration(FakePage(), None, None, "macos", onesignal=FakeOneSignal())


def test_the_subscription_id_that_comes_later_is_registered_and_a_new_one_replaces_the_old(store, server):
    account, os_ = signed_in(store, server), FakeOneSignal(subscription_id=None)
    page = FakePage()
    r = registration(store, account, os_, page=page)
    run(r.sync())
    assert server.requests == [] and remembered(store) is None  # no id yet (no token yet)
    # OneSignal's push subscription observer, as Flet builds its event
    os_.on_push_subscription_change(flet_event(OneSignal(), "on_push_subscription_change", "push_subscription_change",
                                               {"id": SUB, "token": "fcm-token", "opted_in": True}))
    page.run_tasks()
    assert server.rpcs() == [("register_push_device", {"p_subscription_id": SUB, "p_platform": "android"})]
    os_.on_push_subscription_change(flet_event(OneSignal(), "on_push_subscription_change", "push_subscription_change",
                                               {"id": NEW_SUB, "token": "fcm-token-2", "opted_in": True}))
    page.run_tasks()
    assert server.rpcs()[1:] == [("register_push_device", {"p_subscription_id": NEW_SUB, "p_platform": "android"}),
                                 ("unregister_push_device", {"p_subscription_id": SUB})]
    assert remembered(store)["subscription_id"] == NEW_SUB


def test_a_subscription_change_without_an_id_changes_nothing(store, server):
    page = FakePage()
    r = registration(store, signed_in(store, server), FakeOneSignal(), page=page)
    r.onesignal.on_push_subscription_change(flet_event(OneSignal(), "on_push_subscription_change",
                                                       "push_subscription_change", {"id": None, "opted_in": False}))
    assert page.tasks == []


def test_guests_and_unlinked_devices_touch_neither_the_phone_nor_the_server(store, server):
    for account in (None, signed_in(store, server, linked=False)):
        os_ = FakeOneSignal()
        run(registration(store, account, os_).sync())
        assert os_.calls == [] and server.requests == []


def test_a_code_still_owed_is_not_signed_in(store, server):
    account = signed_in(store, server)
    session = account.auth.session
    account.auth._session = type(session)(**{**{f: getattr(session, f) for f in session.__dataclass_fields__},
                                             "pending_factor": "factor-1"})
    os_ = FakeOneSignal()
    run(registration(store, account, os_).sync())
    assert os_.calls == [] and server.requests == []


# --- switch, permission --------------------------------------------------------------------

def test_push_switched_off_opts_out_and_unregisters_and_on_again_registers(store, server):
    account, os_ = signed_in(store, server), FakeOneSignal()
    r = registration(store, account, os_)
    run(r.sync())
    os_.calls.clear()
    update_settings(store, NOW, push_notifications=False)
    run(r.sync())
    assert os_.names() == ["user.opt_out_push"]  # no permission question when push is off
    assert server.rpcs()[1:] == [("unregister_push_device", {"p_subscription_id": SUB})]
    assert server.requests[-1].headers["authorization"] == "Bearer member-token"
    assert remembered(store) is None
    run(r.sync())
    assert len(server.requests) == 2 and os_.names() == ["user.opt_out_push"]  # nothing more to do
    os_.calls.clear()
    update_settings(store, NOW, push_notifications=True)
    run(r.sync())
    assert os_.names() == ["notifications.get_permission", "user.opt_in_push"]  # logged in, id known
    assert server.rpcs()[2:] == [("register_push_device", {"p_subscription_id": SUB, "p_platform": "android"})]
    assert remembered(store)["subscription_id"] == SUB


def test_notifications_denied_register_nothing_and_allowed_later_register(store, server):
    account, os_ = signed_in(store, server), FakeOneSignal(granted=False)
    page = FakePage()
    r = registration(store, account, os_, page=page)
    run(r.sync())
    assert os_.names() == ["notifications.request_permission", "user.opt_out_push"]
    assert server.requests == [] and remembered(store) is None
    os_.granted = True  # turned on in the phone's settings: OneSignal's permission observer
    os_.on_permission_change(flet_event(OneSignal(), "on_permission_change", "permission_change", {"permission": True}))
    page.run_tasks()
    assert server.rpcs() == [("register_push_device", {"p_subscription_id": SUB, "p_platform": "android"})]
    os_.granted = False  # and off again
    run(r.sync())
    assert server.rpcs()[1:] == [("unregister_push_device", {"p_subscription_id": SUB})]
    assert remembered(store) is None


# --- sign-out, deletion, a lost session --------------------------------------------------

def test_sign_out_unregisters_with_the_sessions_token_then_opts_out_and_logs_out(store, server):
    account, os_ = signed_in(store, server), FakeOneSignal()
    page = FakePage()
    r = registration(store, account, os_, page=page)
    account.on_session(r.session_changed)
    run(r.sync())
    os_.calls.clear()
    account.sign_out()
    # the server is told while the session still works, then the session ends
    assert server.paths()[1:] == ["/rest/v1/rpc/unregister_push_device", "/auth/v1/logout"]
    assert server.requests[1].headers["authorization"] == "Bearer member-token"
    assert json.loads(server.requests[1].content) == {"p_subscription_id": SUB}
    assert remembered(store) is None
    page.run_tasks()
    assert os_.names() == ["user.opt_out_push", "logout"]
    run(r.sync())  # signed out: nothing left to do
    assert os_.names() == ["user.opt_out_push", "logout"]


def test_sign_out_offline_still_opts_the_phone_out_and_logs_out(store, server, caplog):
    account, os_ = signed_in(store, server), FakeOneSignal()
    page = FakePage()
    r = registration(store, account, os_, page=page)
    account.on_session(r.session_changed)
    run(r.sync())
    server.offline = True
    with caplog.at_level(logging.INFO, logger="chris_app.notifications.push"):
        account.sign_out()  # raises nothing
    assert "could not unregister this phone now" in caplog.text
    assert account.auth.session is None and remembered(store) is None
    page.run_tasks()
    assert os_.names()[-2:] == ["user.opt_out_push", "logout"]


def test_account_deletion_opts_out_and_logs_out_without_an_unregistration(store, server):
    account, os_ = signed_in(store, server), FakeOneSignal()
    page = FakePage()
    r = registration(store, account, os_, page=page)
    account.on_session(r.session_changed)
    run(r.sync())
    account.delete_account()
    # the rows went with the account on the server: no unregister call
    assert server.paths()[1:] == ["/functions/v1/delete-account", "/auth/v1/logout"]
    page.run_tasks()
    assert os_.names()[-2:] == ["user.opt_out_push", "logout"]
    assert remembered(store) is None


def test_a_session_lost_without_signing_out_still_opts_the_phone_out(store, server):
    account = signed_in(store, server)
    run(registration(store, account, FakeOneSignal()).sync())
    stranger = signed_in(store, server, linked=False)  # e.g. the keychain lost the session
    stranger.auth._session = None
    os_ = FakeOneSignal()
    run(registration(store, stranger, os_).sync())
    assert os_.names() == ["user.opt_out_push", "logout"]
    assert len(server.requests) == 1 and remembered(store) is None  # no token: the server is not told


def test_sign_in_starts_a_registration(store, server):
    account = signed_in(store, server)
    page = FakePage()
    r = registration(store, account, FakeOneSignal(), page=page)
    r.session_changed("started")
    assert page.tasks == [r.sync]


# --- failures ------------------------------------------------------------------------------

def test_offline_registration_is_retried_on_the_next_sync(store, server, caplog):
    account, os_ = signed_in(store, server), FakeOneSignal()
    r = registration(store, account, os_)
    server.offline = True
    with caplog.at_level(logging.INFO, logger="chris_app.notifications.push"):
        run(r.sync())
    assert "could not register this phone now" in caplog.text and remembered(store) is None
    server.offline = False
    run(r.sync())
    assert [name for name, _ in server.rpcs()] == ["register_push_device"] * 2
    assert remembered(store)["subscription_id"] == SUB


def test_a_server_error_is_retried_too(store, server):
    server.answer["register_push_device"] = [httpx.Response(503, text="upstream connect error")]
    r = registration(store, signed_in(store, server), FakeOneSignal())
    run(r.sync())
    assert remembered(store) is None
    run(r.sync())
    assert remembered(store)["subscription_id"] == SUB


def test_a_refusal_is_logged_clearly_and_not_sent_again(store, server, caplog):
    server.answer["register_push_device"] = [httpx.Response(400, json={
        "code": "22023", "message": "register_push_device: p_platform must be android or ios"})]
    r = registration(store, signed_in(store, server), FakeOneSignal())
    with caplog.at_level(logging.ERROR, logger="chris_app.notifications.push"):
        run(r.sync())
    [record] = [rec for rec in caplog.records if rec.levelno == logging.ERROR]
    assert "the server refused to register this phone" in record.getMessage()
    assert "p_platform must be android or ios" in record.getMessage() and "22023" in record.getMessage()
    run(r.sync())
    assert len(server.rpcs()) == 1 and remembered(store) is None


def test_an_expired_token_is_refreshed_once_and_the_call_made_again(store, server):
    server.answer["register_push_device"] = [httpx.Response(401, json={"code": "PGRST301", "message": "JWT expired"})]
    run(registration(store, signed_in(store, server), FakeOneSignal()).sync())
    assert server.paths() == ["/rest/v1/rpc/register_push_device", "/auth/v1/token",
                              "/rest/v1/rpc/register_push_device"]
    assert server.requests[2].headers["authorization"] == "Bearer member-token-2"
    assert remembered(store)["subscription_id"] == SUB


@pytest.mark.parametrize("absurd", ["", "has space", "x" * 129, "id;drop table", "ünïcode", 12345, ["a"]])
def test_an_absurd_subscription_id_from_the_sdk_is_not_sent(store, server, caplog, absurd):
    with caplog.at_level(logging.WARNING, logger="chris_app.notifications.push"):
        run(registration(store, signed_in(store, server), FakeOneSignal(subscription_id=absurd)).sync())
    assert server.requests == [] and remembered(store) is None
    if absurd:  # "" is no id at all (OneSignal has none yet): nothing to say
        assert "unusable push subscription id" in caplog.text


def test_the_longest_valid_subscription_id_is_sent(store, server):
    run(registration(store, signed_in(store, server), FakeOneSignal(subscription_id="a-" * 64)).sync())
    assert server.rpcs()[0][1]["p_subscription_id"] == "a-" * 64


def test_a_failing_sdk_is_logged_not_raised(store, server, caplog):
    os_ = FakeOneSignal(fail={"login": RuntimeError("platform channel gone")})
    with caplog.at_level(logging.WARNING, logger="chris_app.notifications.push"):
        run(registration(store, signed_in(store, server), os_).sync())
    assert "could not be brought up to date" in caplog.text and server.requests == []


@pytest.mark.parametrize("silent", ["notifications.request_permission", "login", "user.get_push_subscription_id"])
def test_an_sdk_that_never_answers_times_out(store, server, monkeypatch, caplog, silent):
    monkeypatch.setattr(push, "CALL_TIMEOUT_S", 0.05)
    monkeypatch.setattr(push, "PERMISSION_TIMEOUT_S", 0.05)
    os_ = FakeOneSignal()

    async def never(*args, **kwargs):
        await asyncio.Event().wait()

    owner, _, method = silent.rpartition(".")
    setattr(getattr(os_, owner) if owner else os_, method, never)
    with caplog.at_level(logging.WARNING, logger="chris_app.notifications.push"):
        run(registration(store, signed_in(store, server), os_).sync())
    assert "could not be brought up to date" in caplog.text and server.requests == []


def test_an_sdk_error_event_is_logged(caplog):
    r = PushRegistration(FakePage(), None, None, "android", onesignal=FakeOneSignal())
    with caplog.at_level(logging.WARNING, logger="chris_app.notifications.push"):
        r.onesignal.on_error(flet_event(OneSignal(), "on_error", "error",
                                        {"method": "login", "message": "no network", "stack_trace": ""}))
    assert "OneSignal reported an error in login: no network" in caplog.text


# --- taps ----------------------------------------------------------------------------------

def android_payload(route):
    # Android: the raw FCM data; `custom` is itself a JSON string
    return json.dumps({"alert": "Read your affirmations aloud…", "title": "Morning protocol",
                       "custom": json.dumps({"i": "5e1b7f9a-0000-4000-8000-000000000001", "a": {"route": route}})})


def ios_payload(route):
    # iOS: the APNs userInfo; `custom` is an object
    return json.dumps({"aps": {"alert": {"title": "Evening review", "body": "Did you do it?"}},
                       "custom": {"i": "5e1b7f9a-0000-4000-8000-000000000002", "a": {"route": route}}})


def click(payload):
    return flet_event(OneSignal(), "on_notification_click", "notification_click",
                      {"notification": payload, "action_id": None})


@pytest.mark.parametrize(("payload", "route"), [
    (android_payload("/morning"), "/morning"),
    (ios_payload("/evening"), "/evening"),
    ({"custom": {"a": {"route": "/morning"}}}, "/morning"),  # a dict, as the type hint says
    ({"additionalData": {"route": "/evening"}}, "/evening"),  # OSNotification's own field
    (json.dumps({"additionalData": {"route": "/morning"}}), "/morning"),
])
def test_a_tap_opens_the_route_in_its_payload(payload, route):
    page = FakePage()
    r = PushRegistration(page, None, None, "android", onesignal=FakeOneSignal(), monotonic=Ticks())
    r.onesignal.on_notification_click(click(payload))
    assert page.routes == [route]


@pytest.mark.parametrize("payload", [
    android_payload("/settings"), ios_payload("https://evil.example/"), android_payload(None),
    json.dumps({"custom": "{not json"}), "not json at all", json.dumps(["/morning"]), None, 42,
    json.dumps({"custom": {"a": {"route": ["/morning"]}}}), json.dumps({"title": "no data"}),
])
def test_a_tap_without_one_of_our_routes_opens_nothing_and_says_so(payload, caplog):
    page = FakePage()
    r = PushRegistration(page, None, None, "android", onesignal=FakeOneSignal(), monotonic=Ticks())
    with caplog.at_level(logging.INFO, logger="chris_app.notifications.push"):
        r._on_click(type("Click", (), {"notification": payload})())
    assert page.routes == [] and "push tap ignored" in caplog.text


def test_the_same_tap_reported_twice_opens_once_and_a_later_one_opens_again():
    page, ticks = FakePage(), Ticks()
    r = PushRegistration(page, None, None, "android", onesignal=FakeOneSignal(), monotonic=ticks)
    r.onesignal.on_notification_click(click(android_payload("/morning")))
    ticks.now += 1.0
    r.onesignal.on_notification_click(click(android_payload("/morning")))
    assert page.routes == ["/morning"]
    r.onesignal.on_notification_click(click(ios_payload("/evening")))  # another part of the day
    ticks.now += push.SAME_TAP_S
    r.onesignal.on_notification_click(click(android_payload("/morning")))
    assert page.routes == ["/morning", "/evening", "/morning"]


def test_a_cold_start_tap_opens_its_screen_before_anything_else_ran(store, server):
    """The tap that started the app: OneSignal holds it until the Dart side adds its click
    listener (right after initialising, when the service registers), then it arrives as a click
    event, before the registration has synced or the member is known."""
    page = FakePage()
    account = signed_in(store, server)
    r = install(page, store, account, APP_ID)  # the real OneSignal, its handlers set
    assert page.tasks == [r.sync]  # not run yet
    event = flet_event(r.onesignal, "on_notification_click", "notification_click",
                       {"notification": android_payload("/evening"), "action_id": None})
    r.onesignal.on_notification_click(event)
    assert page.routes == ["/evening"] and server.requests == []


# --- wiring --------------------------------------------------------------------------------

def test_install_on_a_phone_keeps_the_registration_follows_the_account_and_starts(store, server):
    page = FakePage(platform=ft.PagePlatform.IOS)
    account = signed_in(store, server)
    r = install(page, store, account, APP_ID)
    assert current(page) is r and r.platform == "ios" and page.tasks == [r.sync]
    # the real service, with its app id and every handler set at construction
    assert isinstance(r.onesignal, OneSignal) and r.onesignal.app_id == APP_ID
    assert r.onesignal.on_notification_click == r._on_click
    assert r.onesignal.on_push_subscription_change == r._on_subscription_change
    assert r.onesignal.on_permission_change == r._on_permission_change
    assert r.onesignal.on_error == r._on_error
    page.tasks.clear()
    account._emit("started")  # signed in (again)
    account._notify()  # synced: a switch may have changed on another device
    assert page.tasks == [r.sync, r.sync]
    r.kick()
    assert page.tasks[-1] == r.sync


@pytest.mark.parametrize(("page", "app_id", "has_account"), [
    (FakePage(web=True), APP_ID, True),  # a phone's browser reports the platform too
    (FakePage(platform=ft.PagePlatform.MACOS), APP_ID, True),
    (FakePage(platform=ft.PagePlatform.LINUX), APP_ID, True),
    (FakePage(), None, True),  # no OneSignal app id configured
    (FakePage(), "", True),
    (FakePage(), APP_ID, False),  # guest mode: no backend
])
def test_install_does_nothing_off_phones_without_an_app_id_or_without_an_account(store, server, page, app_id,
                                                                               has_account):
    account = signed_in(store, server) if has_account else None
    assert install(page, store, account, app_id) is None
    assert current(page) is None and page.tasks == []
    if account is not None:
        assert account._session_hooks == []


# --- the double against the real OneSignal ---------------------------------------------

def flet_event(service, handler, name, data):
    """What Flet builds from an event the Dart side sends (BaseControl._trigger_event)."""
    return from_dict(get_event_field_type(service, handler), {"control": service, "name": name, **data})


REAL = {"": OneSignal, "user": OneSignalUser, "notifications": OneSignalNotifications}


def real_method(name):
    owner, _, method = name.rpartition(".")
    return getattr(REAL[owner], method)


def all_calls(store, server):
    """Every call the code makes, across the scenarios above."""
    calls = []
    account = signed_in(store, server)
    for os_ in (FakeOneSignal(), FakeOneSignal(granted=False)):
        page = FakePage()
        r = registration(store, account, os_, page=page)
        account.on_session(r.session_changed)
        run(r.sync())
        run(r.sync())
        update_settings(store, NOW, push_notifications=False)
        run(r.sync())
        update_settings(store, NOW, push_notifications=True)
        calls += os_.calls
    account.sign_out()
    page.run_tasks()
    return calls + os_.calls


def test_every_call_binds_to_the_real_method_with_those_arguments(store, server):
    calls = all_calls(store, server)
    assert {name for name, _, _ in calls} == {
        "login", "logout", "user.opt_in_push", "user.opt_out_push", "user.get_push_subscription_id",
        "notifications.request_permission", "notifications.get_permission"}
    for name, args, kwargs in calls:
        real = real_method(name)
        assert inspect.iscoroutinefunction(real), name
        inspect.signature(real).bind(None, *args, **kwargs)  # raises TypeError on any drift
    for part, cls in ((FakeOneSignal, OneSignal), (FakeUser, OneSignalUser), (FakeNotifications, OneSignalNotifications)):
        for name, member in vars(part).items():
            if name.startswith("_") or name == "names" or not inspect.iscoroutinefunction(member):
                continue
            assert inspect.signature(member).parameters.keys() <= inspect.signature(getattr(cls, name)).parameters.keys()


def test_the_real_python_half_invokes_only_what_its_dart_half_dispatches(store, server):
    """The real OneSignal, with only its transport to the Dart side replaced: every invoke must
    be a case of the Dart service's dispatch, with the arguments its handlers read, and the
    answers (strings, as the Dart side returns them) read back right."""
    dart = DART_SERVICE.read_text(encoding="utf-8")
    handled = set(re.findall(r'^\s*"([a-z_]+)" =>', dart, re.M))
    assert {"login", "logout", "user_push_opt_in", "user_push_opt_out", "user_get_push_subscription_id",
            "notifications_request_permission", "notifications_get_permission"} <= handled
    assert 'args["external_id"]' in dart and 'args["fallback_to_settings"]' in dart
    page = FakePage()
    account = signed_in(store, server)
    r = install(page, store, account, APP_ID)
    invokes = []
    answers = {"notifications_request_permission": "true", "notifications_get_permission": "true",
               "user_get_push_subscription_id": SUB}

    async def transport(method_name, arguments=None, timeout=None):
        invokes.append((method_name, arguments or {}))  # OneSignal._invoke_method sends {} for None
        return answers.get(method_name)

    r.onesignal._invoke_method = transport
    run(r.sync())
    update_settings(store, NOW, push_notifications=False)
    run(r.sync())
    account.sign_out()
    page.tasks = [t for t in page.tasks if t != r.sync]
    page.run_tasks()
    assert {name for name, _ in invokes} <= handled, "an invoke the Dart side does not handle"
    assert invokes[:4] == [("notifications_request_permission", {"fallback_to_settings": False}),
                           ("login", {"external_id": USER}), ("user_push_opt_in", {}),
                           ("user_get_push_subscription_id", {})]
    assert server.rpcs() == [("register_push_device", {"p_subscription_id": SUB, "p_platform": "android"}),
                             ("unregister_push_device", {"p_subscription_id": SUB})]
    assert [name for name, _ in invokes[4:]] == ["user_push_opt_out", "logout"]


def test_the_dart_side_sends_the_tap_as_the_raw_payload_json_string():
    """What the route reading relies on: the click event carries
    OSNotification.jsonRepresentation() (the raw payload as a JSON string)."""
    dart = DART_SERVICE.read_text(encoding="utf-8")
    assert re.search(r'"notification_click", \{\s*"notification": event\.notification\.jsonRepresentation\(\)', dart)
    assert "OneSignal.initialize(appId);" in dart and dart.index("OneSignal.initialize(appId);") < dart.index(
        "OneSignal.Notifications.addClickListener")


# --- helpers and configuration -----------------------------------------------------------

def test_route_of_reads_both_shapes_and_nothing_else():
    assert route_of(android_payload("/morning")) == "/morning"
    assert route_of(json.loads(ios_payload("/evening"))) == "/evening"
    assert route_of({"custom": json.dumps({"a": json.dumps({"route": "/morning"})})}) == "/morning"
    assert route_of({"custom": {"a": {}}, "additionalData": {"route": "/evening"}}) == "/evening"
    assert route_of({"custom": {"a": {"route": 5}}}) is None
    assert route_of(b'{"additionalData": {"route": "/morning"}}') == "/morning"


def test_the_onesignal_app_id_comes_from_the_environment_or_the_config_file(tmp_path, caplog):
    file = tmp_path / "supabase.json"
    assert load_push_app_id({}, file) is None  # no file
    file.write_text(json.dumps({"url": URL, "anon_key": ANON, "onesignal_app_id": APP_ID}))
    assert load_push_app_id({}, file) == APP_ID
    other = "9f8e7d6c-5b4a-4321-8fed-cba987654321"
    assert load_push_app_id({"CHRIS_ONESIGNAL_APP_ID": f" {other} "}, file) == other  # env first
    with caplog.at_level(logging.WARNING, logger="chris_app.sync.config"):
        assert load_push_app_id({"CHRIS_ONESIGNAL_APP_ID": "my-app"}, file) is None
    assert "CHRIS_ONESIGNAL_APP_ID is not a OneSignal app id" in caplog.text
    file.write_text(json.dumps({"onesignal_app_id": "x"}))
    assert load_push_app_id({}, file) is None and "onesignal_app_id in" in caplog.text
    file.write_text("{broken")
    assert load_push_app_id({}, file) is None
