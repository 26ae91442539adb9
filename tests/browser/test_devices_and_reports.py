"""Settings for a signed-in member: the account's devices (platform, version, last seen, this
device), signing out the other devices after a confirmation (GoTrue's logout?scope=others, then
the audit note), the account's activity in words; and the error-report switch, off by default,
kept across a reload and a restart. Real Chromium against the app's web build and a fake
Supabase (tests/browser/member_backend.py)."""

import sqlite3
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from chris_app.domain.account_words import device_line
from tests.browser.conftest import DESKTOP, PHONE, has_text, label_of, save_settled, wait_for_text
from tests.browser.member_backend import TOKEN, MemberBackend, open_at, scroll_to, sign_in_and_carry, to_settings

pytestmark = pytest.mark.browser

PHONE_ID = "0b7c9e2a-3f41-4d1e-9c55-6a0e2b7d1f10"


@pytest.fixture
def backend():
    server = MemberBackend()
    server.start()
    yield server
    server.stop()


def switch_checked(page, name: str) -> bool | None:
    return page.evaluate("""n => { const e = [...document.querySelectorAll('flt-semantics[role="switch"]')]
        .find(e => (e.getAttribute('aria-label') || '').includes(n));
        return e ? e.getAttribute('aria-checked') === 'true' : null; }""", name)


def use_dark_theme(page) -> None:
    page.get_by_role("radio", name="Dark").click()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_members_devices_are_listed_and_the_other_devices_signed_out(backend, app_process, open_app, viewport):
    backend.add_device(PHONE_ID, "android", "0.1.0", timedelta(minutes=5, seconds=10))
    backend.audit.append({"event": "support_access", "actor": "support",
                          "detail": {"reason": "your question about billing", "staff": "ann"},
                          "at": "2026-11-30T09:15:00+00:00"})
    base = app_process.start(env=backend.env())
    page = open_app("/sign-in", viewport=viewport, base_url=base)
    sign_in_and_carry(page)
    to_settings(page)
    wait_for_text(page, "Devices and sessions")
    wait_for_text(page, "Android phone · version 0.1.0. Last seen 5 minutes ago")
    # This device, as its own pulls described it: the app is served to the browser (--web)
    [mine] = [d for d in backend.devices.values() if d["client_id"] != PHONE_ID]
    assert mine["platform"] == "web" and mine["app_version"] == "0.1.0"
    wait_for_text(page, f"{device_line(mine['platform'], '0.1.0')}. This device")
    wait_for_text(page, "Support looked at your account: your question about billing, 30 Nov 2026, 10:15")
    name = "desktop" if viewport is DESKTOP else "phone"
    page.get_by_role("button", name="Sign out other devices…").scroll_into_view_if_needed()
    save_settled(page, f"settings-devices-{name}-light", must_settle=False)

    page.get_by_role("button", name="Sign out other devices…").click()
    wait_for_text(page, "Sign out your other devices?")
    page.get_by_role("button", name="Cancel").click()
    assert backend.sessions_revoked == 0
    page.get_by_role("button", name="Sign out other devices…").click()
    wait_for_text(page, "This device stays signed in.")
    save_settled(page, f"settings-devices-confirm-{name}", must_settle=False)
    page.get_by_role("button", name="Sign out other devices", exact=True).click()
    wait_for_text(page, "Your other devices are signed out.")
    assert backend.sessions_revoked == 1
    [(_, _, headers, _)] = [c for c in backend.calls if c[1] == "/auth/v1/logout?scope=others"]
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert [b for _, p, _, b in backend.calls if p == "/rest/v1/rpc/record_own_audit"] == [{"p_event": "sessions_revoked"}]
    page.get_by_role("button", name="Refresh").click()
    wait_for_text(page, "Your other devices were signed out by you")
    scroll_to(page, page.get_by_role("button", name="Refresh"))
    save_settled(page, f"settings-activity-{name}-light", must_settle=False)
    assert backend.paths("POST").count("/auth/v1/logout") == 0  # this device stayed signed in
    use_dark_theme(page)
    page.get_by_role("button", name="Sign out other devices…").scroll_into_view_if_needed()
    save_settled(page, f"settings-devices-{name}-dark", must_settle=False)


def test_errors_from_the_server_are_shown_in_its_words(backend, app_process, open_app):
    base = app_process.start(env=backend.env())
    page = open_app("/sign-in", viewport=DESKTOP, base_url=base)
    sign_in_and_carry(page)
    backend.stop()  # the server goes away: offline
    to_settings(page)
    wait_for_text(page, "Devices and sessions")
    wait_for_text(page, "offline", timeout=60)
    assert "offline" in label_of(page, "settings-devices").lower()


@pytest.fixture
def ingestion():
    received = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            received.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            self.send_response(200)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://publickey@127.0.0.1:{server.server_address[1]}/1", received
    server.shutdown()


def stored_switch(app_process) -> int:
    conn = sqlite3.connect(app_process.data_dir / "chris.sqlite3")
    try:
        return conn.execute("select enabled from error_reports").fetchone()[0]
    finally:
        conn.close()


def wait_until_stored(app_process, value: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while stored_switch(app_process) != value:
        assert time.monotonic() < deadline, f"the switch was not stored as {value}"
        time.sleep(0.2)


def test_the_error_report_switch_is_off_by_default_and_kept_across_a_reload_and_a_restart(
        app_process, open_app, ingestion):
    dsn, received = ingestion
    env = {"SENTRY_DSN": dsn}
    base = app_process.start(env=env)
    page = open_app("/settings", viewport=DESKTOP, base_url=base)
    wait_for_text(page, "Error reports")
    wait_for_text(page, "Never your affirmations, actions, name, email or recordings.")
    assert switch_checked(page, "Send error reports") is False
    assert not has_text(page, "Devices and sessions")  # a guest has no devices to list
    page.get_by_role("switch", name="Send error reports").click()
    wait_until_stored(app_process, 1)
    scroll_to(page, page.get_by_role("switch", name="Send error reports"))
    save_settled(page, "settings-error-reports-light", must_settle=False)

    page.reload()
    page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
    page.eval_on_selector("flt-semantics-placeholder", "e => e.click()")
    wait_for_text(page, "Error reports")
    assert switch_checked(page, "Send error reports") is True

    page.goto("about:blank")
    app_process.start(env=env, port=httpx.URL(base).port)
    open_at(page, base, "/settings")
    wait_for_text(page, "Error reports")
    assert switch_checked(page, "Send error reports") is True
    use_dark_theme(page)
    page.get_by_role("switch", name="Send error reports").click()  # off again
    wait_until_stored(app_process, 0)
    scroll_to(page, page.get_by_role("switch", name="Send error reports"))
    save_settled(page, "settings-error-reports-dark", must_settle=False)
    assert received == []  # no error happened: nothing was reported


def test_without_a_configured_address_there_is_no_switch(open_app):
    page = open_app("/settings", viewport=PHONE)
    wait_for_text(page, "Your data")
    assert not has_text(page, "Send error reports")
