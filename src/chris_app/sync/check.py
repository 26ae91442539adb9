"""`chris-app --check-backend`: what is configured and what answers, in plain lines."""

from __future__ import annotations

import httpx

from chris_app.sync.config import BackendConfig, config_path
from chris_app.sync.http import gate_of, new_client


def check_backend(config: BackendConfig | None, client: httpx.Client | None = None) -> tuple[bool, list[str]]:
    """(all good, report lines). No configuration is fine: the app runs in guest mode."""
    if config is None:
        return True, ["No backend configured: the app runs in guest mode (everything stays on this device).",
                      f"To sync, set SUPABASE_URL and SUPABASE_ANON_KEY, or write {config_path()}."]
    http = client or new_client(10.0)
    lines, ok = [f"Backend: {config.url} (anon key {config.anon_key[:6]}…)"], True
    probes = [("Auth", "/auth/v1/health"), ("Database API", "/rest/v1/"), ("Storage", "/storage/v1/status"),
              ("Edge functions", "/functions/v1/")]
    for name, path in probes:
        try:
            with gate_of(http).unchecked():  # this report reads the statuses itself
                response = http.get(config.url + path, headers={"apikey": config.anon_key})
        except httpx.HTTPError as exc:
            ok = False
            lines.append(f"{name}: not reachable ({type(exc).__name__})")
            continue
        # Functions answer 404 for the bare path: that still proves the gateway is there.
        reachable = response.status_code < 500 and (response.status_code != 401 or name == "Edge functions")
        ok = ok and reachable
        lines.append(f"{name}: {'reachable' if reachable else 'problem'} (HTTP {response.status_code})")
    if client is None:
        http.close()
    return ok, lines
