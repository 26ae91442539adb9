"""The sync RPCs over HTTP: PostgREST's `POST {SUPABASE_URL}/rest/v1/rpc/<function>` with the
project's anon key (`apikey`) and the member's access token (`Authorization: Bearer …`).

HTTP outcomes become chris_app.sync.errors (drawn there):
- no connection, timeout, DNS, TLS              → Offline      (retried)
- 5xx, 429, a 2xx whose body is not JSON         → ServerError  (retried)
- 401, 403 (expired or refused token, PGRST301…) → AuthExpired  (refresh the session or sign in)
- other 4xx (malformed call 22023, too many rows 54000 → 413, unknown function 404)
                                                  → CallRejected (not retried; a bug or an old app)

The httpx client is injected (tests pass one built on `httpx.MockTransport`); the access
token is asked for on every call (`token()`), so a refreshed session is used at once and the
token is never stored here. Nothing in this module logs a header.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from chris_app.sync.errors import AuthExpired, CallRejected, Offline, ServerError


class SupabaseTransport:
    def __init__(self, url: str, anon_key: str, token: Callable[[], str], *,
                 client: httpx.Client | None = None, timeout: float = 30.0) -> None:
        self.base = url.rstrip("/")
        self.anon_key = anon_key
        self.token = token
        self.client = client or httpx.Client(timeout=timeout)

    def push(self, changes: dict[str, Any], client_id: str, op_id: int) -> dict[str, Any]:
        return self._rpc("sync_push", {"changes": changes, "client_id": client_id, "op_id": op_id})

    def pull(self, since: int, client_id: str) -> dict[str, Any]:
        return self._rpc("sync_pull", {"since": since, "client_id": client_id})

    def _rpc(self, function: str, body: dict[str, Any]) -> dict[str, Any]:
        headers = {"apikey": self.anon_key, "Authorization": f"Bearer {self.token()}",
                   "Content-Type": "application/json", "Accept": "application/json"}
        try:
            response = self.client.post(f"{self.base}/rest/v1/rpc/{function}", json=body, headers=headers)
        except (httpx.TransportError, OSError) as exc:  # connect/read errors, timeouts, DNS
            raise Offline() from exc
        return parse_response(response)


def parse_response(response: httpx.Response) -> dict[str, Any]:
    """The RPC's JSON result, or the matching SyncError."""
    status = response.status_code
    if 200 <= status < 300:
        try:
            data = response.json()
        except ValueError:
            raise ServerError() from None
        if not isinstance(data, dict):
            raise ServerError()
        return data
    code, detail = _error_fields(response)
    if status in (401, 403):
        raise AuthExpired()
    if status == 429 or status >= 500:
        raise ServerError()
    if status == 413 or code == "54000":
        raise CallRejected("Too many changes for one sync request. Please update the app.", code)
    raise CallRejected(f"The server refused this sync request ({detail or status}).", code)


def _error_fields(response: httpx.Response) -> tuple[str | None, str | None]:
    try:
        body = response.json()
    except ValueError:
        return None, None
    if isinstance(body, dict):
        return body.get("code"), body.get("message")
    return None, None
