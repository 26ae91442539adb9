"""ProfileWatcher (chris_app.sync.realtime) against a fake Supabase Realtime server.

The fake speaks the Phoenix protocol as Supabase documents it (guides/realtime/protocol) and as
the `realtime` library parses it: `phx_join` → `phx_reply` {status, response: {postgres_changes:
[{id, event, schema, table, filter}]}} plus a `system` "Subscribed to PostgreSQL";
`postgres_changes` pushes {data: {type, schema, table, commit_timestamp, columns, record,
old_record, errors}, ids}; `heartbeat` on topic `phoenix`; `access_token`; `phx_leave`;
`phx_close`. It runs on 127.0.0.1 in a thread with its own event loop (never the test thread's:
Playwright holds that loop in a full run), and can be killed and restarted on the same port.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import random
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import websockets
from websockets.asyncio.server import serve

from chris_app.sync.errors import AuthExpired
from chris_app.sync.realtime import CONNECTED, RETRYING, STOPPED, ProfileWatcher, backoff_delay

# the realtime library reads ConnectionClosed.code/.reason, deprecated in websockets 13.1
pytestmark = pytest.mark.filterwarnings("ignore:ConnectionClosed.*is deprecated:DeprecationWarning")

USER = "5f0c6a58-3a9e-4c2b-9d7e-0f6c1d2e3a4b"
OTHER = "0b7d7c1e-8d53-4f0e-a1a6-3f1f1f1f1f1f"
ANON = "anon-key-public"
TOPIC = f"realtime:profile:{USER}"
OWN_BINDING = {"event": "UPDATE", "schema": "public", "table": "profiles", "filter": f"id=eq.{USER}"}


def wait_until(predicate, timeout: float = 3.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def profile(streak: int, user: str = USER) -> dict:
    return {"id": user, "current_streak": streak, "longest_streak": max(streak, 9), "completion_rate": 0.75,
            "discipline_score": 61.5, "display_name": "Chris", "updated_at": "2026-11-27T08:00:00.123456+00:00"}


class FakeRealtime:
    """A Supabase Realtime server, enough of it for one member's postgres_changes."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fake-realtime", daemon=True)
        self.thread.start()
        self.port = 0
        self.server = None
        self.paths: list[str] = []  # request path + query of each websocket connection
        self.received: list[dict] = []  # every client message, in order
        self.subs: list[dict] = []  # joined postgres_changes subscriptions: ws, topic, bindings
        self.conns: set = set()
        self.join_status = "ok"
        self.close_after_join = False
        self._ids = itertools.count(31_415_926)

    # -- control from the test thread ------------------------------------------------------------
    def _call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(5)

    def start(self) -> None:
        self._call(self._start())

    def kill(self) -> None:
        """The server goes away: connections cut without a close frame, port closed."""
        self._call(self._kill())

    def close(self) -> None:
        self.kill()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    def push(self, record: dict, event: str = "UPDATE") -> int:
        """A change of `profiles` as Realtime forwards it: to every subscription whose binding
        matches (event, table, `id=eq.<id>` filter). Returns how many channels got it."""
        return self._call(self._push(record, event))

    def push_raw(self, record: dict, event: str = "UPDATE") -> None:
        """Send to every joined channel under its ids, whatever the record (a misbehaving server)."""
        self._call(self._push(record, event, check=False))

    def send_to_channels(self, event: str, payload: dict) -> None:
        self._call(self._send_all(event, payload))

    def of(self, event: str) -> list[dict]:
        return [m for m in list(self.received) if m["event"] == event]

    @property
    def joined(self) -> int:
        return len(self.subs)

    # -- the server ---------------------------------------------------------------------------------
    async def _start(self) -> None:
        self.server = await serve(self._handler, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _kill(self) -> None:
        if self.server is None:
            return
        for ws in list(self.conns):
            ws.transport.abort()
        self.server.close(close_connections=False)
        await self.server.wait_closed()
        self.server = None
        self.subs.clear()

    async def _handler(self, ws) -> None:
        self.paths.append(ws.request.path)
        self.conns.add(ws)
        try:
            async for raw in ws:
                message = json.loads(raw)
                self.received.append(message)
                await self._answer(ws, message)
        except websockets.ConnectionClosed:
            pass
        finally:
            self.conns.discard(ws)
            self.subs[:] = [s for s in self.subs if s["ws"] is not ws]

    async def _reply(self, ws, message: dict, status: str, response: dict) -> None:
        await ws.send(json.dumps({"event": "phx_reply", "topic": message["topic"], "ref": message.get("ref"),
                                  "join_ref": message.get("join_ref"),
                                  "payload": {"status": status, "response": response}}))

    async def _answer(self, ws, message: dict) -> None:
        event, topic = message["event"], message["topic"]
        if event == "heartbeat" and topic == "phoenix":
            await self._reply(ws, message, "ok", {})
        elif event == "phx_join":
            if self.join_status != "ok":
                await self._reply(ws, message, "error", {"reason": "Invalid JWT"})
                return
            bindings = [{**b, "id": next(self._ids)} for b in message["payload"]["config"].get("postgres_changes", [])]
            self.subs.append({"ws": ws, "topic": topic, "bindings": bindings})
            await self._reply(ws, message, "ok", {"postgres_changes": bindings})
            await ws.send(json.dumps({"event": "system", "topic": topic, "ref": None, "payload": {
                "channel": topic.removeprefix("realtime:"), "extension": "postgres_changes",
                "message": "Subscribed to PostgreSQL", "status": "ok"}}))
            if self.close_after_join:
                await ws.close()
        elif event == "phx_leave":
            self.subs[:] = [s for s in self.subs if not (s["ws"] is ws and s["topic"] == topic)]
            await self._reply(ws, message, "ok", {})
        # `access_token`: Realtime takes the new token without a reply

    async def _push(self, record: dict, event: str, check: bool = True) -> int:
        sent = 0
        for sub in list(self.subs):
            ids = [b["id"] for b in sub["bindings"]
                   if not check or (b["event"] in (event, "*") and b["schema"] == "public"
                                    and b.get("table") in ("profiles", None)
                                    and b.get("filter") in (None, f"id=eq.{record['id']}"))]
            if not ids:
                continue
            await sub["ws"].send(json.dumps({"event": "postgres_changes", "topic": sub["topic"], "ref": None,
                                             "payload": {"ids": ids, "data": {
                "type": event, "schema": "public", "table": "profiles",
                "commit_timestamp": "2026-11-27T08:00:00.123Z",
                "columns": [{"name": k, "type": "int4" if isinstance(v, int) else "text"} for k, v in record.items()],
                "record": record, "old_record": {"id": record["id"]}, "errors": None}}}))
            sent += 1
        return sent

    async def _send_all(self, event: str, payload: dict) -> None:
        for sub in list(self.subs):
            await sub["ws"].send(json.dumps({"event": event, "topic": sub["topic"], "ref": None, "payload": payload}))


class RecordedSleep:
    """The watcher's backoff sleep: records the delay, waits only a moment."""

    def __init__(self, real: float = 0.01) -> None:
        self.delays: list[float] = []
        self.real = real

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(self.real)


class Tokens:
    """token(): "tok-1", "tok-2", … — a new one on each call, or the same until `rotate()`."""

    def __init__(self, fresh_each_call: bool = False, prefix: str = "tok-") -> None:
        self.prefix = prefix
        self.calls = 0
        self.n = 1
        self.fresh = fresh_each_call
        self.fail = 0  # raise AuthExpired this many more times

    def __call__(self) -> str:
        self.calls += 1
        if self.fail:
            self.fail -= 1
            raise AuthExpired()
        if self.fresh and self.calls > 1:
            self.n += 1
        return f"{self.prefix}{self.n}"

    def rotate(self) -> None:
        self.n += 1


@pytest.fixture
def server():
    fake = FakeRealtime()
    fake.start()
    yield fake
    fake.close()


@pytest.fixture
def make_watcher(server):
    made: list[ProfileWatcher] = []

    def make(on_change=None, token=None, **kw) -> ProfileWatcher:
        kw.setdefault("sleep", RecordedSleep())
        watcher = ProfileWatcher(f"http://127.0.0.1:{server.port}", ANON, token or Tokens(), USER,
                                 on_change or (lambda record: None), **kw)
        made.append(watcher)
        return watcher

    yield make
    for watcher in made:
        watcher.stop(2)


# -- backoff ------------------------------------------------------------------------------------------
def test_backoff_grows_exponentially_with_jitter_and_stays_within_bounds():
    assert [backoff_delay(n, 1.0, 60.0, lambda: 0.0) for n in range(8)] == [1, 2, 4, 8, 16, 30, 30, 30]
    assert [backoff_delay(n, 1.0, 60.0, lambda: 1.0) for n in range(8)] == [2, 4, 8, 16, 32, 60, 60, 60]
    rng = random.Random(7)
    samples = [backoff_delay(n, 1.0, 60.0, rng.random) for n in range(2000) for _ in range(3)]
    assert min(samples) >= 1.0 and max(samples) <= 60.0
    assert len({round(s, 3) for s in samples[:30]}) > 10  # jittered, not a fixed ladder
    assert backoff_delay(10_000, 0.5, 0.5, rng.random) == 0.5


# -- 1. what the watcher asks for ---------------------------------------------------------------------
def test_join_asks_for_updates_of_the_members_own_profile_with_the_members_token(server, make_watcher):
    statuses: list[str] = []
    watcher = make_watcher(on_status=statuses.append)
    assert watcher.status == STOPPED and not watcher.connected
    watcher.start()
    wait_until(lambda: watcher.connected, what="subscribed")

    (path,) = server.paths
    url = urlsplit(path)
    assert url.path == "/realtime/v1/websocket"
    assert parse_qs(url.query) == {"apikey": [ANON], "vsn": ["1.0.0"]}
    assert "tok-" not in path  # the member's token never goes in the URL

    (join,) = server.of("phx_join")
    assert join["topic"] == TOPIC
    assert join["payload"]["access_token"] == "tok-1"
    config = join["payload"]["config"]
    assert config["postgres_changes"] == [OWN_BINDING]
    assert config["presence"]["enabled"] is False and config["private"] is False
    wait_until(lambda: server.of("heartbeat"), what="a heartbeat")
    assert server.of("heartbeat")[0]["topic"] == "phoenix"
    assert statuses == ["connecting", "connected"]


# -- 2. updates reach on_change -----------------------------------------------------------------------
def test_an_update_of_the_profile_reaches_on_change_with_the_new_record(server, make_watcher):
    got: list[dict] = []
    watcher = make_watcher(on_change=got.append)
    watcher.start()
    wait_until(lambda: watcher.connected, what="subscribed")

    assert server.push(profile(12)) == 1
    wait_until(lambda: got, what="the update")
    assert got == [profile(12)]

    assert server.push(profile(13)) == 1
    wait_until(lambda: len(got) == 2, what="the second update")
    assert got[1]["current_streak"] == 13


def test_changes_of_other_rows_or_other_kinds_never_reach_on_change(server, make_watcher):
    got: list[dict] = []
    watcher = make_watcher(on_change=got.append)
    watcher.start()
    wait_until(lambda: watcher.connected, what="subscribed")

    assert server.push(profile(99, user=OTHER)) == 0  # the server's filter: not sent at all
    server.push_raw(profile(98, user=OTHER))  # sent anyway under our id: the watcher drops it
    server.push_raw(profile(97), event="DELETE")  # not an UPDATE: the library's routing drops it
    server.push(profile(5))
    wait_until(lambda: got, what="the own update")
    time.sleep(0.1)
    assert got == [profile(5)]


# -- 3. reconnecting ------------------------------------------------------------------------------------
def test_after_the_server_dies_it_reconnects_with_bounded_backoff_and_delivers_again(server, make_watcher):
    got: list[dict] = []
    sleep = RecordedSleep()
    tokens = Tokens(fresh_each_call=True)
    watcher = make_watcher(on_change=got.append, token=tokens, sleep=sleep, rand=lambda: 1.0, healthy_after=0.0)
    watcher.start()
    wait_until(lambda: watcher.connected, what="subscribed")

    server.kill()
    wait_until(lambda: len(sleep.delays) >= 8, what="several failed attempts")
    assert not watcher.connected
    assert watcher.status in ("connecting", RETRYING)
    # healthy connection dropped → starts again from the bottom, doubles, capped at 60 s
    assert sleep.delays[:8] == [2, 4, 8, 16, 32, 60, 60, 60]
    assert all(1.0 <= d <= 60.0 for d in sleep.delays)

    server.start()  # same port
    wait_until(lambda: watcher.connected and server.joined == 1, what="resubscribed")
    joins = server.of("phx_join")
    assert len(joins) == 2
    assert joins[1]["payload"]["config"]["postgres_changes"] == [OWN_BINDING]
    # token() is asked again for the new connection, and that token is the one sent
    assert joins[0]["payload"]["access_token"] != joins[1]["payload"]["access_token"]
    assert joins[1]["payload"]["access_token"] == f"tok-{tokens.n}"

    server.push(profile(21))
    wait_until(lambda: got, what="an update after the reconnection")
    assert got == [profile(21)]

    before = len(sleep.delays)
    server.kill()  # the reconnection was healthy again: the backoff starts over
    wait_until(lambda: len(sleep.delays) > before, what="a new attempt")
    assert sleep.delays[before] == 2


def test_a_server_that_closes_right_after_the_join_does_not_reset_the_backoff(server, make_watcher):
    sleep = RecordedSleep()
    server.close_after_join = True
    watcher = make_watcher(sleep=sleep, rand=lambda: 0.0)  # healthy_after: 30 s by default
    watcher.start()
    wait_until(lambda: len(sleep.delays) >= 4, what="several short-lived connections")
    assert len(server.of("phx_join")) >= 4
    assert sleep.delays[:4] == [1, 2, 4, 8]


def test_a_clean_close_by_the_server_and_a_closed_channel_both_lead_to_a_new_join(server, make_watcher):
    got: list[dict] = []
    tokens = Tokens()
    watcher = make_watcher(on_change=got.append, token=tokens)
    watcher.start()
    wait_until(lambda: watcher.connected, what="subscribed")

    # Realtime closes the channel when the token expired: rejoin with what token() gives now
    tokens.rotate()
    server.send_to_channels("phx_close", {})
    wait_until(lambda: len(server.of("phx_join")) == 2 and watcher.connected and server.joined, what="rejoin")
    assert server.of("phx_join")[1]["payload"]["access_token"] == "tok-2"

    # a `system` error (e.g. "Subscribing to PostgreSQL failed") ends the channel too
    server.send_to_channels("system", {"channel": f"profile:{USER}", "extension": "postgres_changes",
                                       "message": "Subscribing to PostgreSQL failed", "status": "error"})
    wait_until(lambda: len(server.of("phx_join")) == 3 and watcher.connected and server.joined, what="rejoin")

    for ws in list(server.conns):  # a clean close of the socket (1000)
        server._call(ws.close())
    wait_until(lambda: len(server.of("phx_join")) == 4 and watcher.connected and server.joined, what="reconnect")

    server.push(profile(3))
    wait_until(lambda: got, what="the update")
    assert got == [profile(3)]


def test_a_refused_join_or_a_failing_token_is_retried_and_never_raises(server, make_watcher):
    sleep = RecordedSleep()
    tokens = Tokens()
    tokens.fail = 2  # signed out / offline auth server: token() raises
    server.join_status = "error"
    watcher = make_watcher(token=tokens, sleep=sleep)
    watcher.start()

    wait_until(lambda: len(server.of("phx_join")) >= 2, what="refused joins")
    assert not watcher.connected and watcher.running
    connections = len(server.paths)
    assert tokens.calls - 2 >= connections >= 2  # two failures without connecting, then a token per attempt

    server.join_status = "ok"
    wait_until(lambda: watcher.connected, what="subscribed once the server accepts")
    assert all(1.0 <= d <= 60.0 for d in sleep.delays) and len(sleep.delays) >= 4


# -- 4. a failing on_change -----------------------------------------------------------------------------
def test_an_exception_in_on_change_does_not_stop_the_next_update(server, make_watcher, caplog):
    got: list[dict] = []

    def on_change(record: dict) -> None:
        got.append(record)
        if len(got) == 1:
            raise RuntimeError("the UI was busy")

    watcher = make_watcher(on_change=on_change)
    watcher.start()
    wait_until(lambda: watcher.connected, what="subscribed")
    with caplog.at_level(logging.ERROR, logger="chris_app.sync.realtime"):
        server.push(profile(1))
        wait_until(lambda: got, what="the first update")
        server.push(profile(2))
        wait_until(lambda: len(got) == 2, what="the second update")
    assert [r["current_streak"] for r in got] == [1, 2]
    assert watcher.connected and len(server.of("phx_join")) == 1  # same connection, not a reconnect
    assert "profile update handler failed" in caplog.text


# -- 5. stopping ------------------------------------------------------------------------------------------
def test_stop_leaves_the_channel_closes_the_socket_and_ends_the_thread_promptly(server, make_watcher):
    statuses: list[str] = []
    watcher = make_watcher(on_status=statuses.append)
    watcher.start()
    wait_until(lambda: watcher.connected, what="subscribed")

    watcher.stop()  # joins the thread (for at most its 5 s timeout): ended means it left in time
    assert not watcher.running and watcher.status == STOPPED and not watcher.connected
    assert statuses[-1] == STOPPED
    wait_until(lambda: not server.conns, what="the socket closed")
    assert server.of("phx_leave")[-1]["topic"] == TOPIC


def test_stop_while_waiting_to_reconnect_does_not_wait_out_the_backoff(server, make_watcher):
    server.kill()  # nothing listens: every attempt fails
    watcher = make_watcher(sleep=asyncio.sleep, reconnect_min=30.0, reconnect_max=60.0)
    watcher.start()
    wait_until(lambda: watcher.status == RETRYING, what="waiting 30 s or more")
    watcher.stop()  # waiting out the 30 s backoff would leave the thread running past stop's 5 s join
    assert not watcher.running


def test_stop_before_the_loop_started_and_start_again(server, make_watcher):
    watcher = make_watcher()
    watcher.start()
    watcher.stop()  # possibly before the thread got going
    assert not watcher.running
    watcher.start()
    wait_until(lambda: watcher.connected, what="subscribed after a restart")
    connections = len(server.paths)
    watcher.start()  # already running: nothing new
    time.sleep(0.1)
    assert len(server.paths) == connections and len(server.of("phx_join")) == connections


# -- 6. token refresh -------------------------------------------------------------------------------------
def test_a_refreshed_token_is_sent_on_the_channel_and_an_unchanged_one_is_not(server, make_watcher):
    tokens = Tokens()
    watcher = make_watcher(token=tokens, token_refresh_s=0.1)
    watcher.start()
    wait_until(lambda: watcher.connected, what="subscribed")

    wait_until(lambda: tokens.calls >= 3, what="token() asked again")
    assert server.of("access_token") == []  # same token: nothing to tell the server

    tokens.rotate()
    wait_until(lambda: server.of("access_token"), what="the new token sent")
    (sent,) = server.of("access_token")
    assert sent["topic"] == TOPIC and sent["payload"] == {"access_token": "tok-2"}
    calls = tokens.calls
    wait_until(lambda: tokens.calls >= calls + 2, what="more refreshes")
    assert len(server.of("access_token")) == 1
    assert watcher.connected and len(server.of("phx_join")) == 1  # refreshed in place, no rejoin


def test_no_token_reaches_the_log_even_at_debug_level(server, make_watcher, caplog):
    # JWT-shaped and long like real ones (websockets elides the middle of long frames it dumps)
    jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI1ZjBjNmE1OCIsInJvbGUiOiJhdXRoZW50aWNhdGVkIn0.SIGNATURE"
    tokens = Tokens(prefix=jwt)
    caplog.set_level(logging.DEBUG)  # every logger: ours, realtime's, websockets' frame dumps
    watcher = make_watcher(token=tokens, token_refresh_s=0.1)
    watcher.start()
    wait_until(lambda: watcher.connected, what="subscribed")
    tokens.rotate()
    wait_until(lambda: server.of("access_token"), what="the new token sent")
    watcher.stop()

    assert server.of("phx_join")[0]["payload"]["access_token"] == jwt + "1"
    messages = [r.getMessage() for r in caplog.records]
    assert any("phx_join" in m for m in messages) and any("access_token" in m for m in messages)  # traffic logged …
    for secret_part in ("SIGNATURE", "eyJzdWIiOiI1ZjBjNmE1OCIsInJvbGUiOiJhdXRoZW50aWNhdGVkIn0"):
        assert not [m for m in messages if secret_part in m]  # … but no token
