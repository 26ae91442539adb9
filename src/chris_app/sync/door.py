"""The one door to the Supabase backend, per Account (per browser page in the hosted web mode):
one `httpx.Client` (one connection pool, closed by `close()`), the member's session
(`auth`: chris_app.sync.auth.AuthClient, which keeps and refreshes the token) and the four
services over that one client:

    auth        hand-written GoTrue calls (sync/auth.py: the supabase-py #1646 guard)
    rest()      PostgREST through supabase-py's `postgrest` (sync/transport.py), also the
                sync engine's transport (`transport()`, sending platform and app version)
    functions   edge functions through `supabase_functions` (chris_app.functions_client)
    storage()   Storage, hand-written raw-body upload and download (sync/uploads.py)

Every response passes the client's gate (chris_app.sync.http): one mapping of HTTP outcomes to
the error tree of chris_app.errors, and the memory of the last Retry-After (`retry_wait()`).
Realtime is the exception: a websocket of its own (sync/realtime.py), not an HTTP request.

Nothing here is module-global: two Backends share no client, session or cache.
"""

from __future__ import annotations

import platform as _platform
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx

from chris_app import functions_client
from chris_app.sync.auth import AuthClient, SecretStore
from chris_app.sync.config import BackendConfig
from chris_app.sync.http import Gate, gate_of, new_client
from chris_app.sync.transport import SupabaseTransport
from chris_app.sync.uploads import StorageClient

PLATFORMS = ("android", "ios", "windows", "macos", "linux", "web")


def platform_name(page_platform: str | None = None, web: bool = False) -> str | None:
    """What `sync_pull` records as this device's platform: 'web' in a browser, 'android'/'ios'
    on phones (Flet's `page.platform` value), else the desktop's OS; None when unknown."""
    if web:
        return "web"
    name = (page_platform or "").lower()
    if name in ("android", "ios"):
        return name
    system = _platform.system().lower() if not name else name
    return {"darwin": "macos", "macos": "macos", "windows": "windows", "linux": "linux"}.get(
        system, "linux" if sys.platform.startswith("linux") else None)


class Backend:
    def __init__(self, config: BackendConfig, *, secrets: SecretStore, http: httpx.Client | None = None,
                 platform: str | None = None, app_version: str | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.http = http or new_client()  # tests: a client on httpx.MockTransport
        self.gate: Gate = gate_of(self.http, clock)
        self.auth = AuthClient(config.url, config.anon_key, secrets=secrets, client=self.http)
        self.platform = platform if platform in PLATFORMS else None
        self.app_version = app_version

    def token(self) -> str:
        return self.auth.access_token()

    def transport(self, timeout: float = 30.0) -> SupabaseTransport:
        """PostgREST as the member (the engine's push/pull, RPCs, table reads)."""
        return SupabaseTransport(self.config.url, self.config.anon_key, self.token, client=self.http,
                                 timeout=timeout, platform=self.platform, app_version=self.app_version)

    def storage(self) -> StorageClient:
        return StorageClient(self.config.url, self.config.anon_key, self.token, client=self.http)

    def call_function(self, name: str, body: dict[str, Any] | None = None, timeout: float = 40.0) -> dict[str, Any]:
        return functions_client.call(self.config.url, self.config.anon_key, self.token(), name, body,
                                     client=self.http, timeout=timeout)

    def retry_wait(self) -> float:
        """Seconds the server still wants this member to wait (its last Retry-After)."""
        return self.gate.retry_wait()

    def close(self) -> None:
        self.http.close()
