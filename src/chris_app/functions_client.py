"""Calls to the project's edge functions (Stripe checkout/portal, AI), as the signed-in member:
`POST {SUPABASE_URL}/functions/v1/<name>` with the anon key and the member's access token.
Errors come back from the functions as {"error": {"code", "message"}} with a message meant
for the member; transport failures become the same exception with a sentence of ours."""

from __future__ import annotations

from typing import Any

import httpx

from chris_app.errors import ChrisError


class FunctionFailed(ChrisError):
    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


def call(base_url: str, anon_key: str, access_token: str, name: str, body: dict[str, Any] | None = None,
         client: httpx.Client | None = None, timeout: float = 40.0) -> dict[str, Any]:
    http = client or httpx.Client(timeout=timeout)
    try:
        response = http.post(
            f"{base_url.rstrip('/')}/functions/v1/{name}",
            json=body or {},
            headers={"apikey": anon_key, "Authorization": f"Bearer {access_token}"},
            timeout=timeout,  # per call, also over a shared client (a transcription takes longer)
        )
    except httpx.TimeoutException:
        raise FunctionFailed("The server took too long to answer. Try again in a moment.", "timeout") from None
    except httpx.HTTPError:
        raise FunctionFailed("You are offline. Connect to the internet and try again.", "offline") from None
    finally:
        if client is None:
            http.close()
    try:
        data = response.json()
    except ValueError:
        data = {}
    if response.is_success and isinstance(data, dict):
        return data
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict) and error.get("message"):
        raise FunctionFailed(str(error["message"]), str(error.get("code") or ""))
    raise FunctionFailed(f"The server could not do that right now (error {response.status_code}). Try again later.",
                         str(response.status_code))
