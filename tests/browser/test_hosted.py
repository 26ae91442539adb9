"""The hosted web mode (`chris-app --hosted`) in real Chromium: two members signed in at the
same time in two browser contexts against a two-member Supabase stand-in on localhost
(tests/browser/hosted_backend.py), a visitor who is not signed in, signing out, and a closed
tab whose sync stops."""

from __future__ import annotations

import hashlib
import io
import os
import re
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
import soundfile

from tests.browser.conftest import (DESKTOP, PHONE, free_port, has_text, nav, poll, screenshot, stop_process, type_into,
                                    wait_for_text, wait_until_served)
from tests.browser.hosted_backend import ANON_KEY, Backend
from tests.browser.test_editors import PNG

pytestmark = pytest.mark.browser

ANN = ("0b7c0f4e-1111-4c56-9a57-2a7c3f1b9e0a", "ann@example.com", "ann-password-1")
BOB = ("7e3d2a10-2222-4c56-9a57-2a7c3f1b9e0b", "bob@example.com", "bob-password-2")
NOW = "2026-06-10T21:30:00+02:00"  # an evening in Berlin
LOBBY = "Sign in to use Chris Disciplined here"


class Hosted:
    """`chris-app --hosted` served from a data directory, its output in a file."""

    def __init__(self, data_dir: Path, backend_url: str) -> None:
        self.data_dir, self.log = data_dir, data_dir.parent / "hosted-output.log"
        port = free_port()
        env = {**os.environ, "CHRIS_APP_DATA_DIR": str(data_dir), "TZ": "Europe/Berlin",
               "XDG_CONFIG_HOME": str(data_dir / "config"), "CHRIS_APP_NOW": NOW,
               "SUPABASE_URL": backend_url, "SUPABASE_ANON_KEY": ANON_KEY,
               "FLET_SESSION_TIMEOUT": "4"}  # a closed tab's page closes after 4 s
        env.pop("DISPLAY", None)
        with open(self.log, "a") as output:
            self.proc = subprocess.Popen([sys.executable, "-m", "chris_app", "--hosted", "--port", str(port)],
                                         env=env, stdout=output, stderr=subprocess.STDOUT, text=True)
        self.url = f"http://127.0.0.1:{port}"
        wait_until_served(self.url + "/", self.proc)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        stop_process(self.proc)


def opus(seconds: float) -> bytes:
    t = np.arange(int(seconds * 16000)) / 16000
    buf = io.BytesIO()
    soundfile.write(buf, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16000, format="OGG", subtype="OPUS")
    return buf.getvalue()


def seed_from_another_device(member, tile_position: int, caption: str, recording: bool, theme: str) -> None:
    """What the member's phone already put in their account: a board image, maybe a reading,
    their theme."""
    uid = member.user_id
    stamp = "2026-06-09T04:00:00+00:00"
    changes = {"vision_boards": [{"id": str(uuid.uuid4()), "position": tile_position,
                                  "image_path": f"{uid}/{tile_position}-0a1b2c3d.png", "caption": caption,
                                  "client_updated_at": stamp}],
               "user_settings": {"theme": theme, "client_updated_at": stamp}}
    member.objects[f"vision-boards/{uid}/{tile_position}-0a1b2c3d.png"] = PNG
    if recording:
        audio = opus(22)
        path = f"{uid}/2026-06-09-recording.ogg"
        changes["daily_sessions"] = [{
            "id": str(uuid.uuid4()), "date": "2026-06-09", "morning_completed": True, "morning_completed_at": stamp,
            "recording_path": path, "recording_duration_ms": 22000,
            "recording_sha256": hashlib.sha256(audio).hexdigest(), "morning_updated_at": stamp, "updated_at": stamp}]
        member.objects[f"recordings/{path}"] = audio
    result = member.server.push(changes, str(uuid.uuid4()), 1)
    assert not result["rejected"], result


def go(page, base, route):
    page.goto(base + route)
    page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
    page.eval_on_selector("flt-semantics-placeholder", "e => e.click()")


def sign_in(page, email, password):
    wait_for_text(page, LOBBY, timeout=60)
    type_into(page, "Email", email)
    type_into(page, "Password", password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def synced(page, base):
    """The page loaded afresh at /sign-in (the session read back from the browser), then synced."""
    go(page, base, "/sign-in")
    wait_for_text(page, "Signed in as", timeout=60)
    page.get_by_role("button", name="Sync now").click()
    wait_for_text(page, "Sync: Everything is synced.", timeout=60)


def stored(folder: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(folder / "chris.sqlite3") as db:
        return db.execute(sql).fetchall()


@pytest.fixture
def backend():
    server = Backend([ANN, BOB])
    server.start()
    yield server
    server.stop()


@pytest.fixture
def hosted(request, backend, tmp_path):
    app = Hosted(tmp_path / "data", backend.url)
    yield app
    app.stop()
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        print(f"--- the app's output ---\n{app.output()[-20000:]}")


def test_two_members_at_once_never_see_each_others_data_and_a_visitor_sees_only_the_sign_in(
        backend, hosted, browser, tmp_path):
    ann, bob = backend.members
    seed_from_another_device(ann, 3, "Cabin by the lake", recording=True, theme="dark")
    seed_from_another_device(bob, 5, "Mountain at dawn", recording=False, theme="light")
    base = hosted.url
    contexts = {name: browser.new_context(viewport=DESKTOP) for name in ("ann", "bob", "visitor")}
    pages = {name: context.new_page() for name, context in contexts.items()}
    try:
        a, b, visitor = pages["ann"], pages["bob"], pages["visitor"]
        # A visitor who is not signed in: every address, deep links too, is the sign-in screen.
        for route in ("/", "/morning", "/settings", "/vision-board"):
            go(visitor, base, route)
            wait_for_text(visitor, LOBBY, timeout=60)
            visitor.wait_for_url(re.compile(r"/sign-in$"), timeout=20_000)
            assert not has_text(visitor, "Current streak") and not has_text(visitor, "Cabin by the lake")
        visitor.wait_for_timeout(1000)  # (for the picture: the theme and font arrive after the text)
        screenshot(visitor, "hosted-visitor-sign-in")
        assert not (hosted.data_dir / "members").exists() or not any((hosted.data_dir / "members").iterdir())

        # Ann follows a deep link, signs in and lands where it pointed; Bob signs in at the same time.
        go(a, base, "/vision-board")
        go(b, base, "/")
        sign_in(a, ann.email, "wrong password")
        wait_for_text(a, "That email and password don't match.")
        sign_in(a, ann.email, ann.password)
        sign_in(b, bob.email, bob.password)
        a.get_by_role("button", name="Tile 3: Cabin by the lake").wait_for(timeout=60_000)
        assert a.url.endswith("/vision-board")
        nav(a, "Today").click()  # the app's own navigation, after the page switched to Ann's store
        wait_for_text(a, "Current streak", timeout=30)
        wait_for_text(b, "Current streak", timeout=60)
        go(b, base, "/vision-board")
        b.get_by_role("button", name="Tile 5: Mountain at dawn").wait_for(timeout=60_000)
        assert not has_text(b, "Cabin by the lake") and not has_text(a, "Mountain at dawn")

        # Both save their evening at the same time, each with their own words.
        for page in (a, b):
            go(page, base, "/evening")
            wait_for_text(page, "Biggest win", timeout=60)
        type_into(a, "Biggest win", "Ann shipped the release")
        type_into(b, "Biggest win", "Bob ran ten kilometres")
        a.get_by_role("button", name="Rating 8").click()
        b.get_by_role("button", name="Rating 6").click()
        a.get_by_role("button", name="Save evening review").click()
        b.get_by_role("button", name="Save evening review").click()
        wait_for_text(a, "Evening review saved", timeout=30)
        wait_for_text(b, "Evening review saved", timeout=30)
        for page, words in ((a, "Ann keeps her word"), (b, "Bob does the hard thing first")):
            go(page, base, "/affirmations")
            wait_for_text(page, "Active: version", timeout=60)
            type_into(page, "Your affirmations", words)
        a.get_by_role("button", name="Save as new version").click()
        b.get_by_role("button", name="Save as new version").click()
        wait_for_text(a, "Ann keeps her word")
        wait_for_text(b, "Bob does the hard thing first")

        # After a reload and a sync, each sees their own, the server holds each one's own.
        for page in (a, b):
            synced(page, base)
        wins = {m.email: [s.get("biggest_win") for s in m.server.sessions.values() if s.get("biggest_win")]
                for m in (ann, bob)}
        assert wins == {ann.email: ["Ann shipped the release"], bob.email: ["Bob ran ten kilometres"]}
        texts = {m.email: " ".join(x["content"] for x in m.server.affirmations.values()) for m in (ann, bob)}
        assert "Ann keeps her word" in texts[ann.email] and "Bob" not in texts[ann.email]
        assert "Bob does the hard thing first" in texts[bob.email] and "Ann" not in texts[bob.email]

        # A second tab of Ann's: a new page, its session read back from the browser and checked.
        a2 = pages["ann, second tab"] = contexts["ann"].new_page()
        go(a2, base, "/evening")
        wait_for_text(a2, "Ann shipped the release", timeout=60)
        assert not has_text(a2, "Bob ran ten kilometres") and not has_text(a2, LOBBY)
        a2.close()  # (with it still open, signing in again on the first tab fails: docs/deployment.md, Limits)

        go(a, base, "/recordings")
        wait_for_text(a, "09 June", timeout=30)
        go(b, base, "/recordings")
        wait_for_text(b, "Recordings", timeout=30)
        assert not has_text(b, "09 June")
        for page, own, other in ((a, "Ann shipped the release", "Bob ran ten kilometres"),
                                 (b, "Bob ran ten kilometres", "Ann shipped the release")):
            go(page, base, "/evening")
            wait_for_text(page, own, timeout=30)
            assert not has_text(page, other)

        # Each member's store is a directory of its own on the server.
        folders = {m.email: hosted.data_dir / "members" / m.user_id for m in (ann, bob)}
        assert sorted(p.name for p in (hosted.data_dir / "members").iterdir()) == sorted([ann.user_id, bob.user_id])
        for member, other in ((ann, bob), (bob, ann)):
            folder = folders[member.email]
            assert stored(folder, "select value from sync_state where key = 'account'") == [(member.user_id,)]
            wins_here = [w for (w,) in stored(folder, "select biggest_win from daily_sessions") if w]
            assert wins_here == wins[member.email]
            assert stored(folder, "select theme from settings") == [("dark" if member is ann else "light",)]
            assert not any(other.user_id.encode() in p.read_bytes() for p in folder.rglob("*") if p.is_file())
        assert [p.name for p in (folders[ann.email] / "files" / "vision").iterdir()] == ["3-0a1b2c3d.png"]
        assert [p.name for p in (folders[bob.email] / "files" / "vision").iterdir()] == ["5-0a1b2c3d.png"]
        assert not (hosted.data_dir / "chris.sqlite3").exists()  # no store shared by the process

        # Every request reached the server with the member's own token.
        routed = {uid for uid, _, path in backend.calls if path.startswith("/rest/v1/rpc/")}
        assert routed == {ann.user_id, bob.user_id}

        # Ann signs out: the sign-in screen, nothing of hers on the page, anywhere it goes.
        go(a, base, "/sign-in")
        wait_for_text(a, "Signed in as ann@example.com", timeout=60)
        a.get_by_role("button", name="Sign out").click()
        wait_for_text(a, LOBBY, timeout=30)
        assert not has_text(a, "Ann") and not has_text(a, "Cabin by the lake")
        for route in ("/evening", "/vision-board"):
            go(a, base, route)
            wait_for_text(a, LOBBY, timeout=60)
            assert not has_text(a, "Ann shipped the release") and not has_text(a, "Cabin by the lake")
        a.wait_for_timeout(1000)
        screenshot(a, "hosted-signed-out")
        wait_for_text(b, "Bob ran ten kilometres")  # Bob is still signed in

        # A shared computer: Bob signs in on the tab Ann left, and finds only his own things.
        sign_in(a, bob.email, bob.password)
        wait_for_text(a, "Current streak", timeout=60)
        nav(a, "Evening").click()
        wait_for_text(a, "Bob ran ten kilometres", timeout=30)
        assert not has_text(a, "Ann shipped the release")
        nav(a, "Board").click()
        a.get_by_role("button", name="Tile 5: Mountain at dawn").wait_for(timeout=30_000)
        assert not has_text(a, "Cabin by the lake")

        # Bob closes his tab: once Flet lets his page go, its sync stops.
        closed_before = hosted.output().count("A page closed")
        contexts.pop("bob").close()
        deadline = time.monotonic() + 60
        while hosted.output().count("A page closed") <= closed_before:
            assert time.monotonic() < deadline, "the closed tab's page was never closed"
            time.sleep(0.5)
    except BaseException:
        for name, page in pages.items():
            if not page.is_closed():
                screenshot(page, f"FAILED-hosted-{name}")
        raise
    finally:
        for context in contexts.values():
            context.close()


def test_a_member_who_deletes_their_account_leaves_no_store_on_the_server(backend, hosted, browser):
    ann = backend.members[0]
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        go(page, hosted.url, "/settings")
        sign_in(page, ann.email, ann.password)
        page.wait_for_url(re.compile(r"/settings$"), timeout=60_000)
        folder = hosted.data_dir / "members" / ann.user_id
        assert (folder / "chris.sqlite3").exists()
        page.get_by_role("button", name="Delete my account…").click()
        page.get_by_role("button", name="Delete my account for good").click()
        wait_for_text(page, LOBBY, timeout=60)
        assert backend.deleted == [ann.user_id]
        deadline = time.monotonic() + 30
        while folder.exists():
            assert time.monotonic() < deadline, f"{folder} is still there"
            time.sleep(0.2)
        assert "Traceback" not in hosted.output()
        go(page, hosted.url, "/")  # the session is gone from this browser too
        wait_for_text(page, LOBBY, timeout=60)
    except BaseException:
        screenshot(page, "FAILED-hosted-delete")
        raise
    finally:
        context.close()


def choose_time_zone(page, zone: str) -> None:
    """Open the time zone picker and take `zone` from its list."""
    page.get_by_role("textbox", name="Time zone").click()
    option = page.get_by_role("button", name=zone, exact=True)
    option.wait_for(state="attached", timeout=30_000)
    option.click()
    poll(page, f"() => document.querySelector('input[aria-label=\"Time zone\"]')?.value === {zone!r}",
         f"{zone} chosen", timeout=20)


def test_a_new_member_creates_their_account_in_their_own_time_zone_not_the_servers(backend, hosted, browser):
    """The hosted app runs in the server's zone (here Europe/Berlin); a member in New York who
    creates an account there picks their zone, and their days are counted in it."""
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        go(page, hosted.url, "/sign-in")
        wait_for_text(page, LOBBY, timeout=60)
        wait_for_text(page, "For a new account: your days start and end in this time zone")
        type_into(page, "Email", "cleo@example.com")
        type_into(page, "Password", "cleo-password-3")
        page.get_by_role("button", name="Create account").click()  # no zone yet: the server's is not hers
        wait_for_text(page, "Choose your time zone from the list (type a city to find it).")
        assert backend.sign_ups == []
        choose_time_zone(page, "America/New_York")
        screenshot(page, "hosted-sign-up-time-zone")
        page.get_by_role("button", name="Create account").click()
        page.wait_for_url(re.compile(r"/$"), timeout=60_000)
        assert backend.sign_ups == [("cleo@example.com", {"timezone": "America/New_York"})]
        cleo = backend.members[-1]
        assert cleo.server.profile["timezone"] == "America/New_York"
        folder = hosted.data_dir / "members" / cleo.user_id
        deadline = time.monotonic() + 60
        while stored(folder, "select timezone from profile") != [("America/New_York",)]:
            assert time.monotonic() < deadline, stored(folder, "select timezone from profile")
            time.sleep(0.2)
        assert "Traceback" not in hosted.output()
    except BaseException:
        screenshot(page, "FAILED-hosted-sign-up")
        raise
    finally:
        context.close()
