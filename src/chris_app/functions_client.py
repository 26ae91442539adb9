"""Calls to the project's edge functions (Stripe checkout/portal, AI, export, account deletion)
as the signed-in member, through supabase-py's `supabase_functions` library:
`POST {SUPABASE_URL}/functions/v1/<name>` with the anon key and the member's access token.

The functions answer errors as {"error": {"code", "message"}} with a message meant for the
member; that becomes FunctionFailed, and a lost connection Offline, a 429 RateLimited — the
one mapping of chris_app.sync.http. `timeout` is per call (a transcription takes longer than
a checkout link), also over the door's shared client."""

from __future__ import annotations

from typing import Any

import httpx
from supabase_functions import SyncFunctionsClient

from chris_app.sync.errors import FunctionFailed
from chris_app.sync.http import gate_of, new_client, reaching

__all__ = ["FunctionFailed", "call"]


def call(base_url: str, anon_key: str, access_token: str, name: str, body: dict[str, Any] | None = None,
         client: httpx.Client | None = None, timeout: float = 40.0) -> dict[str, Any]:
    http = client or new_client(timeout)
    gate = gate_of(http)
    functions = SyncFunctionsClient(f"{base_url.rstrip('/')}/functions/v1", http_client=http,
                                    headers={"apikey": anon_key, "Authorization": f"Bearer {access_token}"})
    try:
        with reaching(member_waits=True), gate.timeout(timeout):
            data = functions.invoke(name, {"body": body or {}, "responseType": "json"})
    except ValueError:  # a 2xx that is not JSON
        raise FunctionFailed("The server could not do that right now. Try again later.", "bad_reply") from None
    finally:
        if client is None:
            http.close()
    if not isinstance(data, dict):
        raise FunctionFailed("The server could not do that right now. Try again later.", "bad_reply")
    return data
