"""Signing in from guest mode, carrying the guest's data into the account, and syncing — with
Supabase's HTTP endpoints (GoTrue and PostgREST RPC) faked on localhost by a server that
follows the documented shapes and the sync rules of docs/backend.md (tests/sync/fake_server.py)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.browser.conftest import DESKTOP, label_of, screenshot, type_into, wait_for_text
from tests.conftest import wav_bytes
from tests.sync.fake_server import FakeServer

pytestmark = pytest.mark.browser

USER = "5f0e6c1e-8d3b-4c56-9a57-2a7c3f1b9e01"
ANON_KEY = "anon-key-for-tests"
TOKEN = "access-token-for-tests"


@pytest.fixture
def supabase():
    server = FakeServer(USER)
    calls = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def reply(self, status, body=None):
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")
            calls.append((self.path, dict(self.headers), body))
            if self.headers.get("apikey") != ANON_KEY:
                return self.reply(401, {"message": "Invalid API key"})
            if self.path == "/auth/v1/token?grant_type=password":
                if body["password"] != "correct horse battery":
                    return self.reply(400, {"code": 400, "error_code": "invalid_credentials",
                                            "msg": "Invalid login credentials"})
                return self.reply(200, {"access_token": TOKEN, "token_type": "bearer", "expires_in": 3600,
                                        "refresh_token": "refresh-for-tests",
                                        "user": {"id": USER, "email": body["email"]}})
            if self.path == "/auth/v1/logout":
                return self.reply(204)
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self.reply(401, {"code": "PGRST301", "message": "JWT expired"})
            if self.path == "/rest/v1/rpc/sync_push":
                return self.reply(200, server.push(body["changes"], body["client_id"], body["op_id"]))
            if self.path == "/rest/v1/rpc/sync_pull":
                return self.reply(200, server.pull(body["since"], body.get("client_id")))
            return self.reply(404, {"message": f"no route {self.path}"})

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield server, calls, f"http://127.0.0.1:{http.server_address[1]}"
    http.shutdown()


def test_a_guest_signs_in_brings_their_day_into_the_account_and_it_syncs(supabase, app_process, open_app, tmp_path):
    server, calls, url = supabase
    base = app_process.start(env={"SUPABASE_URL": url, "SUPABASE_ANON_KEY": ANON_KEY})
    reading = tmp_path / "reading.wav"
    reading.write_bytes(wav_bytes(21))
    page = open_app("/morning", viewport=DESKTOP, base_url=base)
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Attach a file").click()
    chooser.value.set_files(reading)
    wait_for_text(page, "Reading saved (21 s)")

    page.goto(base + "/sign-in")
    page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
    page.eval_on_selector("flt-semantics-placeholder", "e => e.click()")
    wait_for_text(page, "Sign in to sync")
    type_into(page, "Email", "member@example.com")
    type_into(page, "Password", "wrong")
    page.get_by_role("button", name="Sign in", exact=True).click()
    wait_for_text(page, "That email and password don't match.")
    assert not any(path.startswith("/rest/") for path, _, _ in calls)

    type_into(page, "Password", "correct horse battery")
    page.get_by_role("button", name="Sign in", exact=True).click()
    wait_for_text(page, "Bring your data into your account?")
    page.get_by_role("button", name="Bring it in").click()
    wait_for_text(page, "Signed in as member@example.com")
    page.get_by_role("button", name="Sync now").click()
    wait_for_text(page, "Sync: Everything is synced.", timeout=30)
    screenshot(page, "account-synced")

    days = list(server.sessions.values())
    assert len(days) == 1 and days[0]["morning_completed"] in (True, 1)
    assert days[0]["recording_path"].startswith(f"{USER}/") and days[0]["recording_path"].endswith("-recording.ogg")
    assert server.affirmations, "the guest's affirmations were not carried into the account"
    pushes = [(h, b) for p, h, b in calls if p == "/rest/v1/rpc/sync_push"]
    assert pushes and all(h["Authorization"] == f"Bearer {TOKEN}" and h["apikey"] == ANON_KEY for h, _ in pushes)
    # The session stays in the keychain (or memory): never in the app's files.
    for path in (tmp_path / "data").rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), f"the access token leaked into {path}"
