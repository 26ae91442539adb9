"""PostgREST as the signed-in member, through supabase-py's `postgrest` library: RPCs
(`POST {SUPABASE_URL}/rest/v1/rpc/<function>`) and reads of the member's own tables
(`GET /rest/v1/<table>?…`), with the project's anon key (`apikey`) and the member's access token
(`Authorization: Bearer …`).

`SupabaseTransport` is also the sync engine's `Transport` (`push`, `pull`). A pull sends the
device's `platform` and `app_version` when it was given them (sync_pull records them on the
member's `last_seen` row; PostgREST passes JSON keys as named arguments).

HTTP outcomes become chris_app.sync.errors in one place (chris_app.sync.http, table there);
a 2xx whose body is not a JSON object where one is expected → ServerError.

The httpx client is injected (the backend door's one client; tests pass one built on
`httpx.MockTransport`); the access token is asked for on every call (`token()`), so a
refreshed session is used at once and the token is never stored here. postgrest's own retry
(GET/HEAD on 503, with `time.sleep`) is off: the sync loop owns retrying and backoff. Nothing
in this module logs a header.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
from postgrest import SyncPostgrestClient

from chris_app.sync.errors import ServerError
from chris_app.sync.http import error_for, gate_of, new_client, reaching


class SupabaseTransport:
    def __init__(self, url: str, anon_key: str, token: Callable[[], str], *,
                 client: httpx.Client | None = None, timeout: float = 30.0,
                 platform: str | None = None, app_version: str | None = None) -> None:
        self.base = url.rstrip("/")
        self.anon_key = anon_key
        self.token = token
        self.client = client or new_client(timeout)
        self.gate = gate_of(self.client)
        self.platform, self.app_version = platform, app_version

    # -- the engine's Transport ------------------------------------------------------------
    def push(self, changes: dict[str, Any], client_id: str, op_id: int) -> dict[str, Any]:
        return _object(self.rpc("sync_push", {"changes": changes, "client_id": client_id, "op_id": op_id},
                                member_waits=False))

    def pull(self, since: int, client_id: str) -> dict[str, Any]:
        device = {k: v for k, v in (("platform", self.platform), ("app_version", self.app_version)) if v}
        return _object(self.rpc("sync_pull", {"since": since, "client_id": client_id, **device}, member_waits=False))

    # -- PostgREST ---------------------------------------------------------------------------
    def rest(self) -> SyncPostgrestClient:
        """A postgrest client for this one call (cheap: it shares the door's connection pool and
        carries the token of now)."""
        return SyncPostgrestClient(
            f"{self.base}/rest/v1", http_client=self.client, retry_enabled=False,
            headers={"apikey": self.anon_key, "Authorization": f"Bearer {self.token()}",
                     "Accept": "application/json", "Content-Type": "application/json"})

    def rpc(self, function: str, params: dict[str, Any], *, member_waits: bool = True) -> Any:
        """The function's JSON result (`[]` for a void function answered with 204).
        `member_waits`: a screen waits for it (False: the background sync, which goes on by itself)."""
        with reaching(member_waits):
            return self.rest().rpc(function, params).execute().data

    def select(self, table: str, columns: str, *, order: str | None = None, desc: bool = False,
               limit: int | None = None) -> list[dict[str, Any]]:
        query = self.rest().table(table).select(columns)
        if order:
            query = query.order(order, desc=desc)
        if limit is not None:
            query = query.limit(limit)
        with reaching(member_waits=True):  # reads for a screen, never the background sync
            data = query.execute().data
        if not isinstance(data, list):
            raise ServerError()
        return data


def _object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ServerError()  # e.g. a captive portal's page with status 200
    return data


def parse_response(response: httpx.Response) -> dict[str, Any]:
    """An RPC's JSON result from a response sent by hand (chris_app.notifications.push), or the
    matching SyncError — the same mapping as every other call."""
    if not response.is_success:
        raise error_for(response, time.time())
    try:
        return _object(response.json())
    except ValueError:
        raise ServerError() from None
