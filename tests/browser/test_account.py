"""Signing in from guest mode, carrying the guest's data into the account, and syncing — with
Supabase's HTTP endpoints (GoTrue and PostgREST RPC) faked on localhost by a server that
follows the documented shapes and the sync rules of docs/backend.md (tests/sync/fake_server.py)."""

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pyotp
import pytest

from tests.browser.conftest import DESKTOP, has_text, label_of, nav, screenshot, type_into, wait_for_text
from tests.browser.test_editors import PNG
from tests.conftest import wav_bytes
from tests.sync.fake_gotrue import GoTrue
from tests.sync.fake_server import FakeServer

pytestmark = pytest.mark.browser

USER = "5f0e6c1e-8d3b-4c56-9a57-2a7c3f1b9e01"
ANON_KEY = "anon-key-for-tests"
TOKEN = "access-token-for-tests"


@pytest.fixture
def supabase():
    server = FakeServer(USER)
    gotrue = server.gotrue = GoTrue(USER, "member@gmail.com", ANON_KEY, now=int(time.time()))
    calls = []
    functions = {}  # name → handler(body) → (status, body), set by each test
    objects = {}  # Storage: "bucket/object" → bytes
    server.objects = objects

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

        def authorized(self):
            return self.headers.get("Authorization", "").removeprefix("Bearer ") in {TOKEN, *gotrue.access_tokens}

        def gotrue(self, body: bytes):
            """Google, PKCE and two-step verification: tests/sync/fake_gotrue.py answers."""
            request = httpx.Request(self.command, "http://supabase.test" + self.path,
                                    headers={k: v for k, v in self.headers.items()}, content=body)
            response = gotrue(request)
            return self.reply(response.status_code, response.json() if response.content else None)

        def do_DELETE(self):
            calls.append((self.path, dict(self.headers), None))
            return self.gotrue(b"")

        def do_PUT(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            calls.append((self.path, dict(self.headers), json.loads(raw or b"null")))
            return self.gotrue(raw)

        def do_GET(self):
            calls.append((self.path, dict(self.headers), None))
            if self.path.startswith("/auth/v1/authorize?"):  # the member agrees at Google
                self.send_response(302)
                self.send_header("Location", gotrue.authorize("http://supabase.test" + self.path))
                self.end_headers()
                return None
            if self.path == "/auth/v1/user":
                return self.gotrue(b"")
            if not self.authorized() or self.headers.get("apikey") != ANON_KEY:
                return self.reply(401, {"message": "JWT expired"})
            if self.path.startswith("/storage/v1/object/authenticated/"):
                data = objects.get(self.path.removeprefix("/storage/v1/object/authenticated/"))
                if data is None:
                    return self.reply(404, {"message": "Object not found"})
                self.send_response(200)
                self.send_header("Content-Type", "audio/ogg")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return None
            if self.path.startswith("/rest/v1/leaderboard?"):
                others = [{"display_name": "Iron Ann", "member_code": "012", "current_streak": 40},
                          {"display_name": None, "member_code": "007", "current_streak": 3}]
                me = ([{"display_name": server.profile.get("display_name"), "member_code": "047",
                        "current_streak": 1}] if server.profile.get("leaderboard_opt_in") else [])
                return self.reply(200, sorted(others + me, key=lambda r: -r["current_streak"]))
            return self.reply(404, {"message": f"no route {self.path}"})

        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.loads(raw or b"null") if self.headers.get("Content-Type", "").startswith("application/json") else None
            calls.append((self.path, dict(self.headers), body))
            if self.headers.get("apikey") != ANON_KEY:
                return self.reply(401, {"message": "Invalid API key"})
            if self.path == "/auth/v1/token?grant_type=password":
                if body["password"] not in ("correct horse battery", gotrue.password):
                    return self.reply(400, {"code": 400, "error_code": "invalid_credentials",
                                            "msg": "Invalid login credentials"})
                return self.reply(200, {"access_token": TOKEN, "token_type": "bearer", "expires_in": 3600,
                                        "refresh_token": "refresh-for-tests",
                                        "user": {"id": USER, "email": body["email"]}})
            if self.path == "/auth/v1/logout":
                return self.reply(204)
            if self.path.startswith(("/auth/v1/factors", "/auth/v1/token?grant_type=pkce", "/auth/v1/recover",
                                     "/auth/v1/verify")):
                return self.gotrue(raw)
            if not self.authorized():
                return self.reply(401, {"code": "PGRST301", "message": "JWT expired"})
            if self.path == "/rest/v1/rpc/sync_push":
                return self.reply(200, server.push(body["changes"], body["client_id"], body["op_id"]))
            if self.path == "/rest/v1/rpc/sync_pull":
                return self.reply(200, server.pull(body["since"], body.get("client_id")))
            if self.path.startswith("/storage/v1/object/"):
                assert self.headers.get("x-upsert") == "true"
                objects[self.path.removeprefix("/storage/v1/object/")] = raw
                return self.reply(200, {"Key": self.path.removeprefix("/storage/v1/object/")})
            if self.path.startswith("/functions/v1/"):
                name = self.path.removeprefix("/functions/v1/")
                handler = functions.get(name)
                if handler is None:
                    return self.reply(404, {"error": {"code": "not_found", "message": "No such function."}})
                status, reply = handler(body)
                return self.reply(status, reply)
            return self.reply(404, {"message": f"no route {self.path}"})

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield server, calls, f"http://127.0.0.1:{http.server_address[1]}", functions
    http.shutdown()


def test_a_guest_signs_in_brings_their_day_into_the_account_and_it_syncs(supabase, app_process, open_app, tmp_path):
    server, calls, url, _ = supabase
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
    recording = next((tmp_path / "data" / "files" / "recordings").glob("*.ogg"))
    assert server.objects[f"recordings/{days[0]['recording_path']}"] == recording.read_bytes()  # uploaded
    pushes = [(h, b) for p, h, b in calls if p == "/rest/v1/rpc/sync_push"]
    assert pushes and all(h["Authorization"] == f"Bearer {TOKEN}" and h["apikey"] == ANON_KEY for h, _ in pushes)
    # The session stays in the keychain (or memory): never in the app's files.
    for path in (tmp_path / "data").rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), f"the access token leaked into {path}"


def server_change(server):
    """A transaction id for a change made on the server (webhook, edge function)."""
    xid, server.next_xid = server.next_xid, server.next_xid + 1
    return xid


def sign_in_and_carry(page, base):
    if page.url != base + "/sign-in":  # (a page just opened there is not loaded twice: fewer reloads, fewer races)
        go(page, base, "/sign-in")
    type_into(page, "Email", "member@example.com")
    type_into(page, "Password", "correct horse battery")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("button", name="Bring it in").click()
    page.get_by_role("button", name="Sync now").click()
    wait_for_text(page, "Sync: Everything is synced.", timeout=30)


def back_in_the_app(page):
    """After Google sent the tab back: the app loads again; switch its accessibility tree on."""
    page.wait_for_url("**/sign-in?code=*", timeout=30_000)
    page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
    page.eval_on_selector("flt-semantics-placeholder", "e => e.click()")


def go(page, base, route):
    page.goto(base + route)
    page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
    page.eval_on_selector("flt-semantics-placeholder", "e => e.click()")


def test_after_the_trial_the_protocol_is_paywalled_until_checkout_and_the_webhook_make_it_active(
        supabase, app_process, open_app):
    server, calls, url, functions = supabase
    server.profile.update(subscription_status="trial", trial_ends_at="2026-06-20T10:00:00+00:00",
                          change_xid=server_change(server))
    functions["create-checkout-session"] = lambda body: (200, {"id": "cs_test_1", "url": "https://checkout.stripe.com/c/pay/cs_test_1"})
    base = app_process.start(now="2026-06-10T07:00:00+02:00", env={"SUPABASE_URL": url, "SUPABASE_ANON_KEY": ANON_KEY})
    page = open_app("/sign-in", viewport=DESKTOP, base_url=base)
    sign_in_and_carry(page, base)
    go(page, base, "/subscribe")
    wait_for_text(page, "Your free trial ends in 10 days (20 June).")

    # The trial runs out (as the server says); the next sync brings it down.
    server.profile.update(trial_ends_at="2026-06-09T10:00:00+00:00", change_xid=server_change(server))
    page.get_by_role("button", name="Check my status").click()
    wait_for_text(page, "Your free trial has ended.")
    nav(page, "Morning").click()
    wait_for_text(page, "Subscribe to keep doing your morning protocol")
    nav(page, "Progress").click()
    wait_for_text(page, "Weekly summary")  # history stays open

    go(page, base, "/subscribe")
    # Stripe's hosted checkout page, faked at its address.
    page.route("https://checkout.stripe.com/**",
               lambda route: route.fulfill(content_type="text/html", body="<h1>Stripe Checkout (test)</h1>"))
    page.get_by_role("button", name="Subscribe", exact=True).click()  # off to Stripe's page
    page.wait_for_url("https://checkout.stripe.com/c/pay/cs_test_1", timeout=20_000)
    assert any(p == "/functions/v1/create-checkout-session" and h["Authorization"] == f"Bearer {TOKEN}"
               for p, h, _ in calls)

    # Stripe's webhook lands on the server: the member is active now; Stripe returns to the app.
    server.profile.update(subscription_status="active", change_xid=server_change(server))
    go(page, base, "/subscribe")
    page.get_by_role("button", name="Check my status").click()
    wait_for_text(page, "Your subscription is active.")
    nav(page, "Morning").click()
    wait_for_text(page, "Read aloud (version")


def test_ai_drafts_affirmations_and_suggests_actions_for_a_signed_in_member(supabase, app_process, open_app):
    server, calls, url, functions = supabase
    drafted = "I keep my word to myself.\nI do the hard thing first."

    def generate(body):
        assert body["goals"] == "Run a marathon and start my company"
        record = {"id": "9d1c7a52-1111-4a57-9a57-2a7c3f1b9e02", "content": drafted, "is_active": True,
                  "client_updated_at": "2030-01-01T00:00:00+00:00"}
        saved = server._apply_affirmations(record, server_change(server))  # saved by the function
        return 200, {"id": saved["id"], "version": saved["version"], "affirmations": drafted.split("\n"),
                     "content": drafted}

    functions["generate-affirmations"] = generate
    functions["suggest-actions"] = lambda body: (200, {"target_difficulty": 6, "recent": {"completed": 0, "missed": 0},
        "actions": [{"action": "Pitch one investor today", "category": "business", "difficulty": 7, "why": "bold"},
                    {"action": "Run 5 km before work", "category": "health", "difficulty": 5, "why": "start"},
                    {"action": "Call your father", "category": "relationship", "difficulty": 4, "why": "connect"}]})
    base = app_process.start(env={"SUPABASE_URL": url, "SUPABASE_ANON_KEY": ANON_KEY})
    page = open_app("/sign-in", viewport=DESKTOP, base_url=base)
    sign_in_and_carry(page, base)

    go(page, base, "/affirmations")
    type_into(page, "Your goals", "Run a marathon and start my company")
    page.get_by_role("button", name="Draft with AI").click()
    wait_for_text(page, "was drafted from your goals and is now active", timeout=30)
    nav(page, "Morning").click()
    wait_for_text(page, "I do the hard thing first.")  # the reading step's teleprompter text

    go(page, base, "/morning?step=action")  # AI suggestions are on the action step
    page.get_by_role("button", name="Suggest with AI").click()
    page.get_by_role("button", name="Choose suggestion 1").click()
    nav(page, "Today").click()
    wait_for_text(page, "Violent action set: done. Pitch one investor today")

    functions["suggest-actions"] = lambda body: (429, {"error": {"code": "quota_exceeded",
                                                                 "message": "You have used today's AI suggestions. Try again tomorrow."}})
    go(page, base, "/morning?step=action")
    page.get_by_role("button", name="Suggest with AI").click()
    wait_for_text(page, "You have used today's AI suggestions. Try again tomorrow.")


def test_a_member_opts_in_to_the_leaderboard_and_sees_the_top_streaks(supabase, app_process, open_app):
    server, calls, url, _ = supabase
    base = app_process.start(env={"SUPABASE_URL": url, "SUPABASE_ANON_KEY": ANON_KEY})
    page = open_app("/sign-in", viewport=DESKTOP, base_url=base)
    sign_in_and_carry(page, base)
    go(page, base, "/leaderboard")
    wait_for_text(page, "Iron Ann #012")
    assert "Member #007" in label_of(page, "rank-2")
    type_into(page, "Display name", "Chris R")
    page.get_by_role("switch", name="Show me on the leaderboard").click()
    wait_for_text(page, "Chris R #047")
    assert server.profile["leaderboard_opt_in"] is True and server.profile["display_name"] == "Chris R"
    query = next(p for p, _, _ in calls if p.startswith("/rest/v1/leaderboard?"))
    assert "select=display_name%2Cmember_code%2Ccurrent_streak" in query or \
        "select=display_name,member_code,current_streak" in query
    assert "order=current_streak.desc" in query and "limit=50" in query


def test_a_reading_and_a_board_image_made_on_another_device_come_to_this_one(supabase, app_process, open_app,
                                                                             tmp_path):
    import hashlib
    import io
    import uuid

    import numpy as np
    import soundfile

    server, calls, url, _ = supabase
    t = np.arange(22 * 16000) / 16000
    buf = io.BytesIO()
    soundfile.write(buf, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16000, format="OGG", subtype="OPUS")
    audio = buf.getvalue()
    path = f"{USER}/2026-06-09-recording.ogg"
    stamp = "2026-06-09T04:00:00+00:00"
    server.push({"daily_sessions": [{
        "id": str(uuid.uuid4()), "date": "2026-06-09", "morning_completed": True, "morning_completed_at": stamp,
        "recording_path": path, "recording_duration_ms": 22000, "recording_sha256": hashlib.sha256(audio).hexdigest(),
        "morning_updated_at": stamp, "updated_at": stamp}],
        "vision_boards": [{"id": str(uuid.uuid4()), "position": 3, "image_path": f"{USER}/3-0a1b2c3d.png",
                           "caption": "Cabin by the lake", "client_updated_at": stamp}]},
        str(uuid.uuid4()), 1)  # the member's phone
    server.objects[f"recordings/{path}"] = audio
    server.objects[f"vision-boards/{USER}/3-0a1b2c3d.png"] = PNG

    base = app_process.start(now="2026-06-10T07:00:00+02:00", env={"SUPABASE_URL": url, "SUPABASE_ANON_KEY": ANON_KEY})
    page = open_app("/sign-in", viewport=DESKTOP, base_url=base)
    sign_in_and_carry(page, base)
    go(page, base, "/recordings")
    page.get_by_role("button", name="Download reading of 09 June").click()
    page.get_by_role("button", name=re.compile("^Play reading of 09 June")).click()
    wait_for_text(page, "playing 0:0", timeout=20)
    saved = list((tmp_path / "data" / "files" / "recordings").glob("2026-06-09-*.ogg"))
    assert len(saved) == 1 and saved[0].read_bytes() == audio

    go(page, base, "/vision-board")  # the board image came with the sync: shown, not a placeholder
    page.get_by_role("button", name="Tile 3: Cabin by the lake").wait_for(timeout=20_000)
    assert (tmp_path / "data" / "files" / "vision" / "3-0a1b2c3d.png").read_bytes() == PNG


def test_deleting_the_account_asks_first_calls_the_server_and_leaves_a_fresh_guest(supabase, app_process, open_app,
                                                                                    tmp_path):
    server, calls, url, functions = supabase
    requests = []

    def delete(body):
        requests.append(body)
        return 200, {"deleted": True}

    functions["delete-account"] = delete
    base = app_process.start(env={"SUPABASE_URL": url, "SUPABASE_ANON_KEY": ANON_KEY})
    page = open_app("/morning", viewport=DESKTOP, base_url=base)
    reading = tmp_path / "reading.wav"
    reading.write_bytes(wav_bytes(21))
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Attach a file").click()
    chooser.value.set_files(reading)
    wait_for_text(page, "Reading saved (21 s)")
    sign_in_and_carry(page, base)
    go(page, base, "/settings")
    page.get_by_role("button", name="Delete my account…").click()
    wait_for_text(page, "ends your subscription. It cannot be undone.")
    page.get_by_role("button", name="Keep my data").click()
    assert requests == []
    page.get_by_role("button", name="Delete my account…").click()
    page.get_by_role("button", name="Delete my account for good").click()
    wait_for_text(page, "Your account and all its data were deleted")
    assert requests == [{"confirm": "DELETE"}]
    assert any(p == "/auth/v1/logout" for p, _, _ in calls)
    nav(page, "Today").click()
    assert "Current streak: 0" in label_of(page, "stat-current-streak")
    assert not list((tmp_path / "data" / "files").rglob("*.ogg"))


def test_google_on_the_web_then_two_step_verification_and_the_session_kept_in_the_browsers_secure_storage(
        supabase, app_process, browser, tmp_path):
    """Web build: Google (PKCE) leaves the app and comes back to /sign-in?code=…; the account
    gets an authenticator app; the next Google sign-in owes a code; the session lives in Flet
    SecureStorage (CHRIS_APP_SECRETS=device: the phones' path, run here in the browser), so it
    survives an app restart in this browser and is unknown to another browser."""
    server, calls, url, _ = supabase
    gotrue = server.gotrue
    env = {"SUPABASE_URL": url, "SUPABASE_ANON_KEY": ANON_KEY, "CHRIS_APP_SECRETS": "device"}
    base = app_process.start(env=env)
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        go(page, base, "/sign-in")
        page.get_by_role("button", name="Continue with Google").click()
        back_in_the_app(page)
        wait_for_text(page, "Bring your data into your account?", timeout=60)
        authorize = next(p for p, _, _ in calls if p.startswith("/auth/v1/authorize?"))
        params = httpx.URL(authorize).params
        assert params["redirect_to"] == f"{base}/sign-in" and params["code_challenge_method"] == "s256"
        assert "code=" not in page.url  # the used code is dropped from the address
        page.get_by_role("button", name="Bring it in").click()
        wait_for_text(page, "Signed in as member@gmail.com")

        page.get_by_role("button", name="Set up two-step verification").click()
        wait_for_text(page, "Add Chris Disciplined to your authenticator app")
        assert has_text(page, "QR code for your authenticator app")
        secret = re.search(r"Key: ([A-Z2-7]{16,})", label_of(page, "totp-secret")).group(1)
        [factor] = gotrue.factors.values()
        assert factor["secret"] == secret and factor["status"] == "unverified"
        type_into(page, "6-digit code", "123456" if pyotp.TOTP(secret).now() != "123456" else "654321")
        page.get_by_role("button", name="Turn on").click()
        wait_for_text(page, "That code is not right.")
        type_into(page, "6-digit code", pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Turn on").click()
        wait_for_text(page, "On: signing in on a new device asks for a code")
        assert factor["status"] == "verified"

        page.get_by_role("button", name="Sign out").click()
        page.get_by_role("button", name="Continue with Google").click()
        back_in_the_app(page)
        wait_for_text(page, "Enter your code", timeout=60)
        assert not has_text(page, "Bring your data into your account?")  # not before the code
        go(page, base, "/")  # elsewhere in the app meanwhile: home says what is left to do
        wait_for_text(page, "Enter the code from your authenticator app to finish signing in.", timeout=60)
        page.get_by_role("button", name="Finish signing in").click()
        wait_for_text(page, "Enter your code")
        type_into(page, "6-digit code", pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Verify").click()
        wait_for_text(page, "Signed in as member@gmail.com")  # the same account: linked, no question
        page.get_by_role("button", name="Sync now").click()
        wait_for_text(page, "Sync: Everything is synced.", timeout=30)
        stored = page.evaluate("() => Object.keys(localStorage)")
        assert any("supabase-session" in key for key in stored), stored
        assert all(token not in json.dumps(page.evaluate("() => ({...localStorage})"))
                   for token in gotrue.access_tokens)  # encrypted at rest

        # a restart of the app at the same address: this browser still holds the session
        page.goto("about:blank")  # (an open tab would reconnect to the new process at once)
        app_process.start(env=env, port=httpx.URL(base).port)
        go(page, base, "/sign-in")
        wait_for_text(page, "Signed in as member@gmail.com", timeout=60)
        other = browser.new_context(viewport=DESKTOP).new_page()  # another browser: not signed in
        go(other, base, "/sign-in")
        wait_for_text(other, "Sign in to sync", timeout=60)
        other.context.close()
    except BaseException:
        screenshot(page, "FAILED-google-two-step")
        raise
    finally:
        context.close()
    for path in (tmp_path / "data").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(token.encode() in data for token in gotrue.access_tokens), f"a token leaked into {path}"


def test_a_forgotten_password_is_reset_with_the_code_from_the_email_then_signs_in(supabase, app_process, open_app):
    server, calls, url, _ = supabase
    gotrue = server.gotrue
    base = app_process.start(env={"SUPABASE_URL": url, "SUPABASE_ANON_KEY": ANON_KEY})
    page = open_app("/sign-in", viewport=DESKTOP, base_url=base)
    type_into(page, "Email", "member@gmail.com")
    page.get_by_role("button", name="Forgot password").click()
    wait_for_text(page, "an email with a reset code is on its way")
    code = gotrue.reset_codes["member@gmail.com"]  # what the email says
    type_into(page, "Code from the email", "000000" if code != "000000" else "111111")
    type_into(page, "New password", "a much better password")
    page.get_by_role("button", name="Set new password").click()
    wait_for_text(page, "That code has expired or was already used.")
    type_into(page, "Code from the email", code)
    page.get_by_role("button", name="Set new password").click()
    wait_for_text(page, "Bring your data into your account?")
    assert gotrue.password == "a much better password"
    page.get_by_role("button", name="Bring it in").click()
    wait_for_text(page, "Signed in as member@gmail.com")
    wait_for_text(page, "Sync: Everything is synced.", timeout=30)  # (the first sync re-renders the screen)

    page.get_by_role("button", name="Sign out").click()
    wait_for_text(page, "Sign in to sync")
    type_into(page, "Email", "member@gmail.com")
    type_into(page, "Password", "a much better password")  # the new password signs in
    page.get_by_role("button", name="Sign in", exact=True).click()
    wait_for_text(page, "Signed in as member@gmail.com")
