"""The backend door (chris_app.sync.door) through httpx.MockTransport: one client serves auth,
RPC, storage and functions and is closed with the account; a 429 is RateLimited with its
Retry-After (seconds, HTTP date, missing) and the background sync waits it out — on a fake
clock, nothing waits for real; the new account calls send the documented requests."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest

from chris_app.account import Account, AccountStatus, AuditEntry, Device, ExportLink, ExportPart
from chris_app.account.sync_loop import SyncLoop
from chris_app.sync.auth import KEYRING_NAME, KEYRING_SERVICE
from chris_app.sync.config import BackendConfig
from chris_app.sync.door import Backend
from chris_app.sync.engine import SyncEngine, SyncState, attach_account
from chris_app.sync.errors import AuthExpired, FunctionFailed, Offline, RateLimited
from chris_app.sync.http import gate_of
from chris_app.sync.transport import SupabaseTransport
from fake_server import FakeServer
from sync_helpers import USER
from tests.sync.test_sync_auth import MemoryKeyring

URL = "https://abc.supabase.co"
ANON = "anon-key-123"
T0 = 1_780_000_000.0
CLIENT = "0b1e2f70-6d0a-4c55-9a3e-5d7f4a1b2c3d"


class FakeClock:
    """Wall time that moves only when something sleeps."""

    def __init__(self, t: float = T0) -> None:
        self.t, self.slept = t, []

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


def keyring_with_session(token: str = "member-token") -> MemoryKeyring:
    keyring = MemoryKeyring()
    keyring.set_password(KEYRING_SERVICE, KEYRING_NAME, json.dumps({
        "access_token": token, "refresh_token": "r", "expires_at": int(time.time()) + 3600,
        "user_id": USER, "email": "chris@example.com"}))
    return keyring


def account_on(store, handler, **kwargs) -> Account:
    """A signed-in account over one MockTransport client; nothing started in the background."""
    account = Account(store, BackendConfig(URL, ANON), secrets=keyring_with_session(),
                      http=httpx.Client(transport=httpx.MockTransport(handler)), **kwargs)
    account.auth.restore()
    return account


# -- one client, one pool ----------------------------------------------------------------------
def test_one_client_serves_auth_rpc_storage_and_functions_and_close_closes_it(store):
    seen = []
    audio = b"OggS recording"

    def handler(request):
        seen.append((request.method, request.url.path))
        path = request.url.path
        if path == "/auth/v1/user":
            return httpx.Response(200, json={"id": USER, "factors": []})
        if path == "/rest/v1/rpc/my_devices":
            return httpx.Response(200, json=[])
        if path.startswith("/storage/v1/object/authenticated/"):
            return httpx.Response(200, content=audio)
        if path == "/functions/v1/export-data":
            return httpx.Response(200, json={"url": "https://x/e.zip", "expires_at": "2026-12-02T04:15:00+00:00",
                                             "path": f"{USER}/export-1.zip", "bytes": 10})
        return httpx.Response(404)

    http = httpx.Client(transport=httpx.MockTransport(handler))
    account = Account(store, BackendConfig(URL, ANON), secrets=keyring_with_session(), http=http)
    account.auth.restore()
    assert account.two_step_on() is False                                   # auth
    assert account.devices() == []                                          # PostgREST RPC
    assert account.backend.storage().download("recordings", f"{USER}/2026-06-10-recording.ogg") == audio
    assert account.export_link().bytes == 10                                # functions
    assert [p for _, p in seen] == ["/auth/v1/user", "/rest/v1/rpc/my_devices",
                                    f"/storage/v1/object/authenticated/recordings/{USER}/2026-06-10-recording.ogg",
                                    "/functions/v1/export-data"]
    assert not http.is_closed
    account.close()
    assert http.is_closed


def test_without_an_injected_client_the_door_makes_one_and_every_service_uses_it(store):
    account = Account(store, BackendConfig(URL, ANON), secrets=keyring_with_session())
    client = account.backend.http
    assert account.auth.client is client
    assert account.backend.storage().client is client
    assert account.backend.transport().client is client
    assert account.rpc_transport().client is client
    account.close()
    assert client.is_closed


def test_two_accounts_share_no_client_and_no_session(tmp_path):
    from chris_app.store import open_store

    a = Account(open_store(tmp_path / "a.sqlite3"), BackendConfig(URL, ANON), secrets=keyring_with_session("ta"))
    b = Account(open_store(tmp_path / "b.sqlite3"), BackendConfig(URL, ANON), secrets=MemoryKeyring())
    a.auth.restore(), b.auth.restore()
    assert a.backend.http is not b.backend.http and a.backend.gate is not b.backend.gate
    assert a.status is AccountStatus.NEEDS_CARRY and b.status is AccountStatus.GUEST
    a.close(), b.close()


# -- 429 and Retry-After ---------------------------------------------------------------------
def transport_answering(response, clock=None) -> SupabaseTransport:
    client = httpx.Client(transport=httpx.MockTransport(lambda request: response))
    gate_of(client, clock)
    return SupabaseTransport(URL, ANON, lambda: "tok", client=client)


def test_a_429_with_retry_after_in_seconds_is_rate_limited_for_that_long():
    with pytest.raises(RateLimited) as caught:
        transport_answering(httpx.Response(429, headers={"Retry-After": "7"},
                                           json={"code": "rate_limited", "message": "Too many requests"})).pull(0, CLIENT)
    assert caught.value.retry_after == 7
    assert caught.value.message == "The server is busy. Syncing again in 7 s."
    assert caught.value.retryable


def test_a_429_with_retry_after_as_an_http_date_counts_from_now():
    clock = FakeClock()
    when = datetime.fromtimestamp(T0, timezone.utc) + timedelta(seconds=90)
    with pytest.raises(RateLimited) as caught:
        transport_answering(httpx.Response(429, headers={"Retry-After": format_datetime(when, usegmt=True)}),
                            clock).push({}, CLIENT, 1)
    assert caught.value.retry_after == 90
    assert caught.value.message == "The server is busy. Syncing again in 90 s."


@pytest.mark.parametrize("header", [None, "soon", ""])
def test_a_429_without_a_readable_retry_after_waits_a_minute(header):
    headers = {"Retry-After": header} if header is not None else {}
    with pytest.raises(RateLimited) as caught:
        transport_answering(httpx.Response(429, headers=headers, text="slow down")).pull(0, CLIENT)
    assert caught.value.retry_after == 60


def test_fractional_seconds_are_rounded_up_in_the_sentence():
    with pytest.raises(RateLimited) as caught:
        transport_answering(httpx.Response(429, headers={"Retry-After": "2.2"})).pull(0, CLIENT)
    assert caught.value.message == "The server is busy. Syncing again in 3 s."


def test_a_function_refusing_with_429_keeps_its_own_words_and_others_say_when_to_try_again(store):
    quota = account_on(store, lambda r: httpx.Response(429, json={"error": {
        "code": "quota_exceeded", "message": "You have used today's 10 AI requests for this feature."}}))
    with pytest.raises(RateLimited) as caught:
        quota.call_function("generate-affirmations", {})
    assert caught.value.message == "You have used today's 10 AI requests for this feature."
    assert caught.value.code == "quota_exceeded" and caught.value.retry_after == 60
    busy = account_on(store, lambda r: httpx.Response(429, headers={"Retry-After": "12"}))
    with pytest.raises(RateLimited) as caught:
        busy.leaderboard()
    assert caught.value.retry_after == 12
    quota.close(), busy.close()


def test_the_gate_remembers_how_long_the_server_asked_to_wait():
    clock = FakeClock()
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(429, headers={"Retry-After": "30"})))
    gate = gate_of(client, clock)
    assert gate.retry_wait() == 0
    with pytest.raises(RateLimited):
        SupabaseTransport(URL, ANON, lambda: "tok", client=client).pull(0, CLIENT)
    assert gate.retry_wait() == 30
    clock.sleep(25)
    assert gate.retry_wait() == 5
    clock.sleep(10)
    assert gate.retry_wait() == 0


# -- the background sync honours Retry-After -------------------------------------------------
class BusyThenFine:
    """sync_push/sync_pull of an in-memory server that answers the first `busy` requests 429."""

    def __init__(self, clock: FakeClock, busy: int, retry_after: str) -> None:
        self.server = FakeServer(USER)
        self.clock, self.busy, self.retry_after = clock, busy, retry_after
        self.times: list[float] = []
        self.bodies: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.startswith("/rest/v1/rpc/sync_"):
            return httpx.Response(204)  # e.g. signing out
        self.times.append(self.clock())
        body = json.loads(request.content)
        self.bodies.append(body)
        if len(self.times) <= self.busy:
            return httpx.Response(429, headers={"Retry-After": self.retry_after},
                                  json={"code": "rate_limited", "message": "Too many requests: try again in 1 s."})
        if request.url.path.endswith("/sync_push"):
            return httpx.Response(200, json=self.server.push(body["changes"], body["client_id"], body["op_id"]))
        return httpx.Response(200, json=self.server.pull(body["since"], body["client_id"]))


def started_without_threads(store, handler, clock: FakeClock) -> Account:
    """The account's own wiring (`_start`), with the loop's thread and Realtime left out and
    the fake clock for the door and the loop's sleeper."""
    attach_account(store, USER, datetime.now(timezone.utc))
    account = account_on(store, handler, platform="linux", app_version="1.2.3")
    account.loop.start = lambda: None
    account._live.start = lambda user_id: None
    account.backend.gate.clock = clock
    account.loop.sleep = clock.sleep
    account._start()
    return account


def test_the_engine_retries_a_rate_limited_push_no_earlier_than_retry_after(device):
    clock = FakeClock()
    handler = BusyThenFine(clock, busy=1, retry_after="120")
    account = started_without_threads(device, handler, clock)
    account.loop.step()  # kicked by _start: one run
    assert handler.times[1] - handler.times[0] >= 120  # the engine's own backoff would be ~1 s
    assert account.sync_status().state is SyncState.SYNCED
    account.close()


def test_after_a_rate_limited_run_a_kick_waits_for_retry_after_and_the_line_says_so(device):
    clock = FakeClock()
    handler = BusyThenFine(clock, busy=10**6, retry_after="300")
    account = started_without_threads(device, handler, clock)
    account.engine.max_attempts = 1  # one try per run: the loop's own wait is what is tested
    account.loop.step()
    status = account.sync_status()
    assert status.state is not SyncState.ERROR  # calm: nothing is wrong, retried by itself
    assert status.message == "The server is busy. Syncing again in 300 s."
    first = handler.times[-1]
    handler.busy = 0  # the server has room again
    account.kick()  # a save right after the 429
    account.loop.step()
    assert handler.times[len(handler.times) - 2] - first >= 300  # the next request waited it out
    assert account.sync_status().state is SyncState.SYNCED
    account.close()


def test_a_pull_tells_the_server_this_devices_platform_and_app_version(device):
    clock = FakeClock()
    handler = BusyThenFine(clock, busy=0, retry_after="1")
    account = started_without_threads(device, handler, clock)
    account.loop.step()
    pulls = [b for b in handler.bodies if "since" in b]
    assert pulls and all(b["platform"] == "linux" and b["app_version"] == "1.2.3" for b in pulls)
    account.close()


def test_the_loop_itself_waits_out_retry_after_before_running():
    clock, runs = FakeClock(), []
    gate_wait = {"left": 45.0}
    loop = SyncLoop(lambda: runs.append(clock()), lambda: gate_wait["left"] - (clock() - T0), sleep=clock.sleep)
    loop.kick()
    loop.step()
    assert runs == [T0 + 45]
    gate_wait["left"] = 0
    loop.kick()
    loop.step()
    assert runs[1] == runs[0]  # nothing asked: no wait
    assert loop.pause(2) is None and clock.slept[-1] == 2


# -- devices, sessions, export, activity -----------------------------------------------------
def test_devices_come_from_my_devices_and_this_device_is_marked(device):
    seen = []
    clock = FakeClock()

    def handler(request):
        seen.append(request)
        if request.url.path == "/rest/v1/rpc/my_devices":
            return httpx.Response(200, json=[
                {"client_id": account.engine.client_id, "platform": "linux", "app_version": "1.2.3",
                 "seen_at": "2026-12-02T03:00:00+00:00"},
                {"client_id": CLIENT, "platform": "android", "app_version": None, "seen_at": "2026-11-30T08:00:00+00:00"}])
        return BusyThenFine(clock, 0, "1")(request)

    account = started_without_threads(device, handler, clock)
    here, phone = account.devices()
    [request] = [r for r in seen if r.url.path == "/rest/v1/rpc/my_devices"]
    assert request.method == "POST" and str(request.url) == f"{URL}/rest/v1/rpc/my_devices"
    assert request.headers["authorization"] == "Bearer member-token" and request.headers["apikey"] == ANON
    assert json.loads(request.content) == {}
    assert here == Device(account.engine.client_id, "linux", "1.2.3",
                          datetime(2026, 12, 2, 3, 0, tzinfo=timezone.utc), True)
    assert phone.this_device is False and phone.platform == "android" and phone.app_version is None
    account.close()


def test_signing_out_other_sessions_asks_gotrue_then_notes_it_in_the_audit_log(store):
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(204)

    account = account_on(store, handler)
    account.sign_out_other_sessions()
    logout, audit = seen
    assert (logout.method, str(logout.url)) == ("POST", f"{URL}/auth/v1/logout?scope=others")
    assert logout.headers["authorization"] == "Bearer member-token"
    assert (audit.method, str(audit.url)) == ("POST", f"{URL}/rest/v1/rpc/record_own_audit")
    assert json.loads(audit.content) == {"p_event": "sessions_revoked"}
    assert account.email == "chris@example.com"  # this device stays signed in
    account.close()


def test_signing_out_other_sessions_with_an_expired_session_says_sign_in_again(store):
    seen = []
    account = account_on(store, lambda r: seen.append(r) or httpx.Response(
        401, json={"code": 401, "error_code": "bad_jwt", "msg": "invalid JWT"}))
    with pytest.raises(AuthExpired) as caught:
        account.sign_out_other_sessions()
    assert "sign in again" in caught.value.message
    assert [r.url.path for r in seen] == ["/auth/v1/logout"]  # nothing noted: nothing happened
    account.close()


def test_the_export_link_comes_from_the_export_data_function(store):
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json={"url": "https://abc.supabase.co/storage/v1/object/sign/exports/x.zip?token=t",
                                         "expires_at": "2026-12-02T04:15:00+00:00",
                                         "path": f"{USER}/export-20261202T040000Z.zip", "bytes": 123456})

    account = account_on(store, handler)
    link = account.export_link()
    [request] = seen
    assert (request.method, str(request.url)) == ("POST", f"{URL}/functions/v1/export-data")
    assert request.headers["authorization"] == "Bearer member-token" and json.loads(request.content) == {}
    url = "https://abc.supabase.co/storage/v1/object/sign/exports/x.zip?token=t"
    assert link == ExportLink(url, datetime(2026, 12, 2, 4, 15, tzinfo=timezone.utc), 123456,
                              (ExportPart(url, 123456),))  # an answer without parts is one part
    account.close()


def test_a_large_account_comes_as_several_parts_each_with_its_link(store):
    parts = [{"url": f"https://abc.supabase.co/sign/exports/p{k}.zip?token=t{k}", "path": f"{USER}/p{k}.zip",
              "bytes": size} for k, size in ((1, 45_000_000), (2, 44_000_000), (3, 31_000_000))]
    answer = {"url": parts[0]["url"], "expires_at": "2026-12-02T04:15:00Z", "path": parts[0]["path"],
              "bytes": 120_000_000, "parts": parts,
              "not_exported": [{"path": "recordings/huge.ogg", "bytes": 60_000_000, "reason": "too large"}]}
    account = account_on(store, lambda r: httpx.Response(200, json=answer))
    link = account.export_link()
    assert [p.url for p in link.parts] == [p["url"] for p in parts]
    assert [p.bytes for p in link.parts] == [45_000_000, 44_000_000, 31_000_000]
    assert (link.url, link.bytes, link.not_exported) == (parts[0]["url"], 120_000_000, 1)
    account.close()


@pytest.mark.parametrize("answer", [{"url": "https://x"}, {"url": "https://x", "expires_at": "later", "bytes": 1}, []])
def test_an_export_answer_that_is_not_a_link_is_told_in_words(store, answer):
    account = account_on(store, lambda r: httpx.Response(200, json=answer))
    with pytest.raises(FunctionFailed) as caught:
        account.export_link()
    assert caught.value.message.endswith("Try again later.")
    account.close()


def test_the_activity_is_read_from_the_audit_log_newest_first(store):
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json=[
            {"event": "export_created", "actor": "member", "detail": {"bytes": 5}, "at": "2026-12-02T04:00:00+00:00"},
            {"event": "support_access", "actor": "support", "detail": None, "at": "2026-12-01T10:00:00+00:00"}])

    account = account_on(store, handler)
    entries = account.activity(limit=20)
    [request] = seen
    assert request.method == "GET" and request.url.path == "/rest/v1/audit_log"
    assert dict(request.url.params) == {"select": "event,actor,detail,at", "order": "at.desc", "limit": "20"}
    assert entries[0] == AuditEntry("export_created", "member", {"bytes": 5},
                                    datetime(2026, 12, 2, 4, 0, tzinfo=timezone.utc))
    assert entries[1].detail == {}
    account.close()


@pytest.mark.parametrize("call", ["devices", "activity", "export_link", "leaderboard"])
def test_every_new_call_offline_says_so(store, call):
    def handler(request):
        raise httpx.ConnectError("no route to host", request=request)

    account = account_on(store, handler)
    with pytest.raises(Offline) as caught:
        getattr(account, call)()
    assert caught.value.message == Offline.TRY_AGAIN
    account.close()


def test_the_leaderboard_over_the_door_takes_an_expired_token_as_expired_not_as_a_server_error(store):
    account = account_on(store, lambda r: httpx.Response(401, json={"code": "PGRST301", "message": "JWT expired"}))
    with pytest.raises(AuthExpired):
        account.leaderboard()
    account.close()


# -- recordings the server has and this device does not -------------------------------------
def test_recordings_not_on_this_device_are_the_pulled_rows_without_a_file(store, tmp_path):
    from chris_app.services import recordings
    from tests.conftest import MORNING, wav_bytes

    REMOTE_PREFIX = "remote:"  # a pulled row's path until its file is downloaded (docs/sync.md)

    mine = recordings.import_audio_file(store, MORNING, "a.wav", wav_bytes(21))
    data = b"OggS from the phone"
    with store.transaction() as conn:
        conn.execute("insert into recordings (id, date, path, duration_ms, size_bytes, mime, sha256, created_at)"
                     " values (?, ?, ?, ?, ?, ?, ?, ?)",
                     ("rec-2", "2026-06-09", f"{REMOTE_PREFIX}{USER}/2026-06-09-recording.ogg", 30000, len(data),
                      "audio/ogg", hashlib.sha256(data).hexdigest(), "2026-06-09T05:00:00Z"))
    account = account_on(store, lambda r: httpx.Response(200, content=data))
    assert account.remote_recordings_missing() == ["rec-2"]  # not `mine`: its file is here
    assert mine.id not in account.remote_recordings_missing()
    account.download_recording("rec-2")
    assert account.remote_recordings_missing() == []
    account.close()


def test_the_account_status_follows_the_session(store):
    account = Account(store, BackendConfig(URL, ANON), secrets=MemoryKeyring(),
                      http=httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(500))))
    assert account.status is AccountStatus.GUEST
    account.close()
    signed = account_on(store, lambda r: httpx.Response(500))
    assert signed.status is AccountStatus.NEEDS_CARRY  # signed in, this device not linked yet
    signed.close()


def test_a_backend_rejects_an_unknown_platform_name():
    b = Backend(BackendConfig(URL, ANON), secrets=MemoryKeyring(), platform="amiga", app_version="1")
    assert b.platform is None and b.transport().platform is None
    b.close()


def test_views_ask_the_app_whether_the_member_is_signed_in_and_syncing(device):
    from chris_app.state import AppState

    assert AppState(store=device).signed_in is False  # guest mode: no account at all
    clock = FakeClock()
    account = account_on(device, BusyThenFine(clock, 0, "1"))
    app = AppState(store=device, account=account)
    assert account.status is AccountStatus.NEEDS_CARRY and app.signed_in is False
    account.close()
    account = started_without_threads(device, BusyThenFine(clock, 0, "1"), clock)
    app = AppState(store=device, account=account)
    assert account.status is AccountStatus.SYNCING and app.signed_in is True
    account.sign_out()
    assert account.status is AccountStatus.GUEST and app.signed_in is False
    account.close()


def test_a_functions_429_does_not_hold_back_the_sync():
    """The AI daily quota (or the functions' own bucket) is not the sync's budget."""
    clock = FakeClock()
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(
        429, headers={"Retry-After": "600"}, json={"error": {"code": "quota_exceeded", "message": "More tomorrow."}})))
    gate = gate_of(client, clock)
    from chris_app import functions_client

    with pytest.raises(RateLimited):
        functions_client.call(URL, ANON, "tok", "generate-affirmations", {}, client=client)
    assert gate.retry_wait() == 0


def test_the_user_a_token_belongs_to_is_asked_through_the_door(store):
    """For the hosted mode's check of a browser's session (instead of a client of its own)."""
    seen = []

    def handler(request):
        seen.append(request)
        if request.headers["authorization"] == "Bearer other-token":
            return httpx.Response(200, json={"id": USER, "factors": []})
        return httpx.Response(401, json={"code": 401, "error_code": "bad_jwt", "msg": "invalid JWT"})

    account = account_on(store, handler)
    assert account.auth.user("other-token")["id"] == USER
    with pytest.raises(AuthExpired):
        account.auth.user("forged")
    assert [str(r.url) for r in seen] == [f"{URL}/auth/v1/user"] * 2
    account.close()
