"""One member's Supabase on localhost for the account screens of Settings: GoTrue (password
sign-in, `POST /auth/v1/logout?scope=others`), PostgREST (sync_push/sync_pull by the sync rules
of tests/sync/fake_server.py, `my_devices` from what the pulls said about their device,
`record_own_audit`, `GET /rest/v1/audit_log`), Storage (upload, authenticated download, a signed
export link) and Functions (handlers set by each test). The documented shapes, as in
tests/browser/test_account.py."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.sync.fake_gotrue import GoTrue
from tests.sync.fake_server import FakeServer

USER = "5f0e6c1e-8d3b-4c56-9a57-2a7c3f1b9e01"
ANON_KEY = "anon-key-for-tests"
TOKEN = "access-token-for-tests"
PASSWORD = "correct horse battery"


class MemberBackend:
    def __init__(self) -> None:
        self.server = FakeServer(USER)
        self.gotrue = GoTrue(USER, "member@example.com", ANON_KEY, now=int(time.time()))
        self.calls: list[tuple[str, str, dict, object]] = []  # (method, path, headers, body)
        self.functions: dict = {}  # name → handler(body) → (status, body)
        self.objects: dict[str, bytes] = {}  # "bucket/object" → bytes
        self.failing: set[str] = set()  # objects whose download fails (500)
        self.held: dict[str, threading.Event] = {}  # objects whose download waits for the test
        self.devices: dict[str, dict] = {}  # client id → my_devices row
        self.audit: list[dict] = []  # audit_log rows
        self.sessions_revoked = 0
        self._http: ThreadingHTTPServer | None = None
        self.url = ""

    def add_device(self, client_id: str, platform: str, app_version: str, seen: timedelta) -> None:
        self.devices[client_id] = {"client_id": client_id, "platform": platform, "app_version": app_version,
                                   "seen_at": (datetime.now(timezone.utc) - seen).isoformat()}

    def paths(self, method: str | None = None) -> list[str]:
        return [p for m, p, _, _ in self.calls if method is None or m == method]

    def start(self) -> str:
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, status, body=None, raw: bytes | None = None, content_type="application/json"):
                data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def gotrue_reply(self, body: bytes = b""):
                request = httpx.Request(self.command, "http://supabase.test" + self.path,
                                        headers=dict(self.headers.items()), content=body)
                response = backend.gotrue(request)
                return self.reply(response.status_code, response.json() if response.content else None)

            def authorized(self) -> bool:
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                return token in {TOKEN, *backend.gotrue.access_tokens} and self.headers.get("apikey") == ANON_KEY

            def do_GET(self):
                backend.calls.append(("GET", self.path, dict(self.headers), None))
                if self.path == "/auth/v1/user":  # the account's two-step factors (GoTrue's shape)
                    return self.gotrue_reply()
                if self.path.startswith("/exports/"):  # the signed link of an export (a page here, so
                    # the browser shows it instead of saving it)
                    return self.reply(200, raw=b"<h1>Your export</h1>", content_type="text/html")
                if not self.authorized():
                    return self.reply(401, {"message": "JWT expired"})
                if self.path.startswith("/storage/v1/object/authenticated/"):
                    name = self.path.removeprefix("/storage/v1/object/authenticated/")
                    if name in backend.held:
                        backend.held[name].wait(60)
                    if name in backend.failing:
                        return self.reply(500, {"statusCode": "500", "error": "internal", "message": "Storage failed"})
                    data = backend.objects.get(name)
                    if data is None:
                        return self.reply(404, {"statusCode": "404", "error": "not_found", "message": "Object not found"})
                    return self.reply(200, raw=data, content_type="audio/ogg")
                url = urlsplit(self.path)
                if url.path == "/rest/v1/audit_log":
                    query = parse_qs(url.query)
                    rows = sorted(backend.audit, key=lambda r: r["at"], reverse=True)[:int(query["limit"][0])]
                    return self.reply(200, [{k: r[k] for k in query["select"][0].split(",")} for r in rows])
                return self.reply(404, {"message": f"no route {self.path}"})

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                is_json = self.headers.get("Content-Type", "").startswith("application/json")
                body = json.loads(raw or b"null") if is_json else None
                backend.calls.append(("POST", self.path, dict(self.headers), body))
                if self.headers.get("apikey") != ANON_KEY:
                    return self.reply(401, {"message": "Invalid API key"})
                if self.path == "/auth/v1/token?grant_type=password":
                    if body["password"] != PASSWORD:
                        return self.reply(400, {"code": 400, "error_code": "invalid_credentials",
                                                "msg": "Invalid login credentials"})
                    return self.reply(200, {"access_token": TOKEN, "token_type": "bearer", "expires_in": 3600,
                                            "refresh_token": "refresh-for-tests",
                                            "user": {"id": USER, "email": body["email"]}})
                if self.path == "/auth/v1/logout?scope=others":
                    if not self.authorized():
                        return self.reply(401, {"code": 401, "msg": "JWT expired"})
                    backend.sessions_revoked += 1
                    return self.reply(204)
                if self.path.startswith("/auth/v1/logout"):
                    return self.reply(204)
                if not self.authorized():
                    return self.reply(401, {"code": "PGRST301", "message": "JWT expired"})
                if self.path == "/rest/v1/rpc/sync_push":
                    return self.reply(200, backend.server.push(body["changes"], body["client_id"], body["op_id"]))
                if self.path == "/rest/v1/rpc/sync_pull":
                    if body.get("client_id"):
                        backend.add_device(body["client_id"], body.get("platform"), body.get("app_version"),
                                           timedelta(0))
                    return self.reply(200, backend.server.pull(body["since"], body.get("client_id")))
                if self.path == "/rest/v1/rpc/my_devices":
                    rows = sorted(backend.devices.values(), key=lambda r: r["seen_at"], reverse=True)
                    return self.reply(200, rows)
                if self.path == "/rest/v1/rpc/record_own_audit":
                    if body.get("p_event") != "sessions_revoked":
                        return self.reply(400, {"code": "22023", "message": "only sessions_revoked"})
                    backend.audit.append({"event": "sessions_revoked", "actor": "member", "detail": {},
                                          "at": datetime.now(timezone.utc).isoformat()})
                    return self.reply(204)
                if self.path.startswith("/storage/v1/object/"):
                    backend.objects[self.path.removeprefix("/storage/v1/object/")] = raw
                    return self.reply(200, {"Key": self.path.removeprefix("/storage/v1/object/")})
                if self.path.startswith("/functions/v1/"):
                    handler = backend.functions.get(self.path.removeprefix("/functions/v1/"))
                    if handler is None:
                        return self.reply(404, {"error": {"code": "not_found", "message": "No such function."}})
                    status, reply = handler(body)
                    return self.reply(status, reply)
                return self.reply(404, {"message": f"no route {self.path}"})

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"
        return self.url

    def stop(self) -> None:
        for event in self.held.values():
            event.set()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()  # connections are refused from now on, as offline
            self._http = None

    def env(self) -> dict:
        return {"SUPABASE_URL": self.url, "SUPABASE_ANON_KEY": ANON_KEY}


def open_at(page, base: str, route: str) -> None:
    page.goto(base + route)
    page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
    page.eval_on_selector("flt-semantics-placeholder", "e => e.click()")


def sign_in_and_carry(page) -> None:
    """On /sign-in: sign in, bring the guest's data in, and wait for the first sync."""
    from tests.browser.conftest import type_into, wait_for_text

    wait_for_text(page, "Sign in to sync", timeout=60)
    type_into(page, "Email", "member@example.com")
    type_into(page, "Password", PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("button", name="Bring it in").click()
    page.get_by_role("button", name="Sync now").click()
    wait_for_text(page, "Sync: Everything is synced.", timeout=30)


def to_settings(page) -> None:
    """Open Settings from the app bar (in the app: no reload of the page)."""
    from tests.browser.conftest import wait_for_text

    page.get_by_role("button", name="Settings").click()
    wait_for_text(page, "Your data", timeout=30)


def scroll_to(page, locator, tries: int = 30) -> None:
    """Scroll the screen with the mouse wheel until `locator` is inside the window (for a
    screenshot): Flutter's canvas does not always follow scroll_into_view_if_needed."""
    size = page.viewport_size
    for _ in range(tries):
        box = locator.bounding_box()
        if box and box["y"] >= 60 and box["y"] + box["height"] <= size["height"] - 90:
            return
        page.mouse.move(size["width"] / 2, size["height"] / 2)
        page.mouse.wheel(0, 250 if not box or box["y"] > size["height"] / 2 else -250)
        time.sleep(0.3)
    raise AssertionError(f"could not scroll {locator} into view")
