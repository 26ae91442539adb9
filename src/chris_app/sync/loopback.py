"""Google sign-in on desktops: the system browser and a loopback redirect (RFC 8252 §7.3).

`google_sign_in_desktop` listens on 127.0.0.1 at a port the system picks, opens the GoTrue
authorize address in the member's browser with `redirect_to=http://127.0.0.1:<port>/callback`,
waits for the browser to come back with `?code=…` (or `?error=…`), answers it with a page that
says to return to the app, and exchanges the code with the PKCE verifier for a session.

The Supabase project must allow the redirect: Authentication → URL Configuration → Redirect URLs
`http://127.0.0.1:*/callback` (docs/backend.md).
"""

from __future__ import annotations

import threading
import webbrowser
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

from chris_app.sync.auth import AuthClient, AuthFailed, Session

WAIT_S = 300.0
_PAGE = ("<!doctype html><meta charset=utf-8><title>Chris Disciplined</title>"
         "<body style='font-family:sans-serif;text-align:center;padding-top:20vh'><h1>{title}</h1>"
         "<p>{text}</p></body>")


class _Callback(HTTPServer):
    result: dict[str, str] | None = None
    done: threading.Event


class _Handler(BaseHTTPRequestHandler):
    server: _Callback

    def log_message(self, *args) -> None:  # the code is in the query: never log it
        pass

    def do_GET(self) -> None:
        url = urlparse(self.path)
        if url.path != "/callback":
            self.send_error(404)
            return
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        ok = "code" in params
        page = _PAGE.format(title="You are signed in" if ok else "Sign-in did not finish",
                            text="Return to Chris Disciplined." if ok else
                            "Return to Chris Disciplined and try again.").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)
        if self.server.result is None and ("code" in params or "error" in params):
            self.server.result = params
            self.server.done.set()


def google_sign_in_desktop(auth: AuthClient, *, open_browser: Callable[[str], object] = webbrowser.open,
                           wait_s: float = WAIT_S) -> Session:
    """Blocking (run it off the UI thread). Raises AuthFailed when the member cancels, Google or
    GoTrue refuses, or nothing comes back within `wait_s`."""
    server = _Callback(("127.0.0.1", 0), _Handler)
    server.done = threading.Event()
    thread = threading.Thread(target=server.serve_forever, name="google-sign-in", daemon=True)
    thread.start()
    try:
        redirect = f"http://127.0.0.1:{server.server_address[1]}/callback"
        open_browser(auth.google_url(redirect))
        if not server.done.wait(wait_s):
            raise AuthFailed("The Google sign-in did not come back. Try again.", "timeout")
        params = server.result or {}
    finally:
        server.shutdown()
        server.server_close()
    if "code" not in params:
        raise AuthFailed(google_error(params), params.get("error", ""))
    return auth.finish_google(params["code"])


def google_error(params: dict[str, str]) -> str:
    """What to tell the member when the browser came back without a code."""
    if params.get("error") == "access_denied":
        return "Google sign-in was cancelled."
    detail = params.get("error_description") or params.get("error") or "no answer"
    return f"Google sign-in failed: {detail}."
