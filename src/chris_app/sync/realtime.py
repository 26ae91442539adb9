"""Live updates of the member's own profile row (streak and statistics) through Supabase
Realtime, while the device is online. The pull of `SyncEngine.run` stays the source of truth:
whatever happens while the socket is down comes with the next pull, so call a sync after each
(re)connection (`on_status("connected")`) to catch up.

    watcher = ProfileWatcher(url, anon_key, auth.access_token, user_id, on_change)
    watcher.start()     # returns at once; a daemon thread runs its own asyncio loop
    ...
    watcher.stop()      # leaves the channel, closes the socket, joins the thread

What goes over the wire (Supabase's Phoenix protocol, through the `realtime` library that
supabase-py uses, `realtime.AsyncRealtimeClient`, pinned 2.34.1):

- the socket `{url with http→ws}/realtime/v1/websocket?apikey=<anon key>&vsn=1.0.0` (the anon
  key is public; the member's token never goes in the URL);
- `phx_join` on topic `realtime:profile:<user id>` with `config.postgres_changes =
  [{"event": "UPDATE", "schema": "public", "table": "profiles", "filter": "id=eq.<user id>"}]`
  and the member's access token as `access_token` (Realtime checks it and applies the
  `profiles` RLS policy "read own" to every change it forwards);
- `postgres_changes` pushes, whose `data.record` (the new row) goes to `on_change`;
- `access_token` on the channel whenever `token()` hands out a new token (asked every
  `token_refresh_s`, default 60 s: shorter than AuthClient's 120 s refresh margin, so a
  refreshed token reaches Realtime before the old one expires and the server closes the
  channel), and `token()` is asked again for every (re)connection.

Only UPDATE is asked for: the profile row is inserted by the sign-up trigger in the same
transaction that creates the account, before any device can be subscribed, and it is deleted
only with the account. A record whose `id` is not the member's is dropped (defence in depth;
the server filter already excludes it).

Reconnecting. The library's own reconnect (`auto_reconnect=True`) retries at most
`max_retries` times without jitter and then raises inside a background task where nobody sees
it, and a channel's rejoin timer retries on its own fixed schedule (1, 2, 5, 10 s). Neither
fits "reconnect forever, with jitter, never raise", so the library is used with
`auto_reconnect=False` for one connection at a time, and this module owns the loop: each
attempt builds a fresh client, asks `token()`, connects and joins; any end (connect refused,
join refused or timed out, `phx_error`/`phx_close` or a `system` error from the server, the
socket closed cleanly or not) tears that client down and waits
`backoff_delay(n, reconnect_min, reconnect_max)` — exponential with jitter, always within
[reconnect_min, reconnect_max] — before the next attempt. The count n starts again from 0 once
a connection stayed subscribed for `healthy_after` seconds (so a server that accepts and then
kicks at once does not get hammered at the minimum delay). A silently dead connection is noticed
by websockets' keepalive ping (about 40 s) and then handled the same way.

What the library cannot do, and how it is covered here: it gives no event when the socket
dies with auto-reconnect off other than marking its channels errored (the subscribe callback
sees CHANNEL_ERROR; this module also polls `is_connected` and the channel state every
`_WATCHDOG_S` in case a failure slipped past the callback); and an exception in a
postgres_changes callback would end its listening task, so `on_change` runs inside a guard.

Threads: `on_change` and `on_status` are called on the watcher thread; keep them short (hand the
record to the UI loop or a queue). Their exceptions are logged and swallowed. Tokens and
records are never logged here; the library redacts `access_token` in its own debug log, and
websockets' DEBUG frame dumps keep only the first 48 and last 24 characters of a long frame,
which for the join and `access_token` messages the library sends are event names and refs, not
the token (a test checks this at DEBUG level). The library logs each failed connection attempt
at ERROR ("Connection failed permanently after 1 attempts"): while offline that is one line per
attempt, at most one a minute once the backoff is at its cap; raise the `realtime` logger's
level in the app's logging setup if that is too noisy.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

CONNECTING, CONNECTED, RETRYING, STOPPED = "connecting", "connected", "retrying", "stopped"

_WATCHDOG_S = 5.0  # how often a live connection is checked besides the library's callbacks
_TEARDOWN_S = 2.0  # at most this long for leaving the channel and closing the socket


def backoff_delay(attempt: int, low: float, high: float, rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait before reconnect attempt `attempt` (0, 1, 2, …): "equal jitter" on an
    exponential cap — with d = min(high, low·2^(attempt+1)), a value in [d/2, d] — then clamped
    to [low, high]. attempt 0 → [low, 2·low], 1 → [2·low, 4·low], …, until high/2 … high."""
    cap = min(high, low * 2.0 ** min(attempt + 1, 64))
    wait = cap / 2 + cap / 2 * rand()
    return min(high, max(low, wait))


class ProfileWatcher:
    def __init__(self, url: str, anon_key: str, token: Callable[[], str], user_id: str,
                 on_change: Callable[[dict], None], *, reconnect_min: float = 1.0, reconnect_max: float = 60.0,
                 token_refresh_s: float = 60.0, healthy_after: float = 30.0, connect_timeout: int = 10,
                 on_status: Callable[[str], None] | None = None,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 rand: Callable[[], float] = random.random) -> None:
        """`token()` returns the member's current access token (e.g. `AuthClient.access_token`,
        which refreshes it); it is called off the event loop and may block or raise (then the
        attempt counts as failed, or, for a refresh, the old token stays until the next try).
        `sleep` and `rand` are for tests (backoff waits only)."""
        if not 0 < reconnect_min <= reconnect_max:
            raise ValueError("need 0 < reconnect_min <= reconnect_max")
        self.socket_url = url.rstrip("/") + "/realtime/v1"  # the library makes it ws(s)://…/websocket
        self.anon_key = anon_key
        self.user_id = user_id
        self.topic = f"profile:{user_id}"
        self._token = token
        self._on_change = on_change
        self._on_status = on_status
        self.reconnect_min, self.reconnect_max = reconnect_min, reconnect_max
        self.token_refresh_s = token_refresh_s
        self.healthy_after = healthy_after
        self.connect_timeout = connect_timeout
        self._sleep, self._rand = sleep, rand
        self._status = STOPPED
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._stopping = False

    # -- public ---------------------------------------------------------------------------------
    @property
    def status(self) -> str:
        """"connecting" · "connected" (subscribed: changes arrive live) · "retrying" (waiting
        before the next attempt: offline, server unreachable, join refused) · "stopped"."""
        return self._status

    @property
    def connected(self) -> bool:
        return self._status == CONNECTED

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def start(self) -> None:
        """Start watching in the background; returns at once. Does nothing if already running."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping = False
            self._loop = self._task = None
            self._thread = threading.Thread(target=self._thread_main, name="realtime-profile", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Leave the channel, close the socket and end the thread (waits up to `timeout` s;
        from the watcher thread itself — e.g. inside on_change — it only asks it to end)."""
        with self._lock:
            self._stopping = True
            thread, loop, task = self._thread, self._loop, self._task
        if loop is not None and task is not None:
            try:
                loop.call_soon_threadsafe(task.cancel)
            except RuntimeError:  # the loop has already finished
                pass
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    # -- the thread -------------------------------------------------------------------------------
    def _thread_main(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException:  # never let the thread die with a traceback on stderr
            log.exception("realtime watcher ended unexpectedly")
        finally:
            self._set_status(STOPPED)

    async def _main(self) -> None:
        with self._lock:
            if self._stopping:
                return
            self._loop, self._task = asyncio.get_running_loop(), asyncio.current_task()
        failures = 0
        try:
            while True:
                self._set_status(CONNECTING)
                try:
                    healthy = await self._session()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # connect refused, DNS, token() failed, library errors …
                    log.info("realtime connection failed: %s", type(exc).__name__)
                    healthy = False
                if healthy:
                    failures = 0
                delay = backoff_delay(failures, self.reconnect_min, self.reconnect_max, self._rand)
                failures += 1
                self._set_status(RETRYING)
                await self._sleep(delay)
        except asyncio.CancelledError:
            pass

    async def _session(self) -> bool:
        """One connection: connect, join, deliver changes until it ends. True when it stayed
        subscribed for at least `healthy_after` seconds."""
        from realtime import AsyncRealtimeClient, RealtimeSubscribeStates  # ~0.25 s import: off the start-up path

        loop = asyncio.get_running_loop()
        token = await asyncio.to_thread(self._token)
        client = AsyncRealtimeClient(self.socket_url, self.anon_key, auto_reconnect=False, max_retries=1,
                                     timeout=self.connect_timeout)
        ended = asyncio.Event()
        subscribed_at: list[float] = []

        def on_subscribe(state: Any, error: Exception | None) -> None:
            if ended.is_set():
                return
            if state == RealtimeSubscribeStates.SUBSCRIBED:
                if not subscribed_at:
                    subscribed_at.append(loop.time())
                    self._set_status(CONNECTED)
            else:  # CHANNEL_ERROR, TIMED_OUT, CLOSED: this connection is over
                log.info("realtime channel ended: %s", getattr(state, "value", state))
                ended.set()

        try:
            await client.set_auth(token)  # before the channel exists: goes into the join payload
            channel = client.channel(self.topic)
            channel.on_postgres_changes("UPDATE", self._deliver, table="profiles", schema="public",
                                        filter=f"id=eq.{self.user_id}")
            await channel.subscribe(on_subscribe)
            if not subscribed_at or ended.is_set():
                return False
            next_refresh = loop.time() + self.token_refresh_s
            while not ended.is_set():
                wait = max(0.0, min(_WATCHDOG_S, next_refresh - loop.time()))
                try:
                    await asyncio.wait_for(ended.wait(), wait)
                    break
                except asyncio.TimeoutError:
                    pass
                if not client.is_connected or not channel.is_joined:
                    break
                if loop.time() >= next_refresh:
                    next_refresh = loop.time() + self.token_refresh_s
                    token = await self._refresh(client, token)
            return loop.time() - subscribed_at[0] >= self.healthy_after
        finally:
            ended.set()  # later library callbacks of this client are ignored
            if self._status == CONNECTED:
                self._set_status(CONNECTING)
            await self._teardown(client)

    async def _refresh(self, client: Any, current: str) -> str:
        try:
            token = await asyncio.to_thread(self._token)
        except Exception as exc:  # offline, signed out: keep the old one; the server decides
            log.info("realtime token refresh failed: %s", type(exc).__name__)
            return current
        if token and token != current:
            await client.set_auth(token)  # sends `access_token` on the joined channel
            return token
        return current

    async def _teardown(self, client: Any) -> None:
        try:
            await asyncio.wait_for(client.remove_all_channels(), _TEARDOWN_S)
        except (Exception, asyncio.TimeoutError):
            pass
        try:
            await asyncio.wait_for(client.close(), _TEARDOWN_S)
        except (Exception, asyncio.TimeoutError):
            pass

    # -- callbacks --------------------------------------------------------------------------------
    def _deliver(self, payload: dict) -> None:
        try:
            data = payload.get("data") or {}
            record = data.get("record")
            if not isinstance(record, dict) or record.get("id", self.user_id) != self.user_id:
                return
            self._on_change(dict(record))
        except Exception:
            log.exception("profile update handler failed")  # the record itself is not logged

    def _set_status(self, status: str) -> None:
        if status == self._status:
            return
        self._status = status
        if self._on_status is not None:
            try:
                self._on_status(status)
            except Exception:
                log.exception("realtime status handler failed")
