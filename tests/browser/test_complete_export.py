"""A signed-in member's export holds everything the account holds: the readings made on another
device and never downloaded here are downloaded first, with progress on screen, and the zip holds
them. A failed download stops the export with a clear sentence; the member tries again or exports
what is here, and the archive's README counts what is missing. In the web build the server can
build the archive instead (export-data) and its link opens. Real Chromium against the web build
and a fake Supabase (tests/browser/member_backend.py)."""

import hashlib
import io
import json
import threading
import uuid
import zipfile
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
import soundfile

from tests.browser.conftest import DESKTOP, PHONE, has_text, label_of, save_settled, wait_for_text
from tests.browser.member_backend import USER, MemberBackend, scroll_to, sign_in_and_carry, to_settings

pytestmark = pytest.mark.browser

DAYS = ["2026-06-07", "2026-06-08", "2026-06-09"]


@pytest.fixture
def backend():
    server = MemberBackend()
    server.start()
    yield server
    server.stop()


def opus(seconds: int, pitch: float) -> bytes:
    t = np.arange(seconds * 16000) / 16000
    buffer = io.BytesIO()
    soundfile.write(buffer, (0.3 * np.sin(2 * np.pi * pitch * t)).astype(np.float32), 16000, format="OGG",
                    subtype="OPUS")
    return buffer.getvalue()


def readings_from_the_phone(backend) -> dict[str, bytes]:
    """Three mornings read on the member's phone: rows on the server, audio in Storage."""
    audio = {}
    for n, day in enumerate(DAYS):
        data = opus(21 + n, 200 + 40 * n)
        path = f"{USER}/{day}-recording.ogg"
        stamp = f"{day}T04:00:00+00:00"
        backend.server.push({"daily_sessions": [{
            "id": str(uuid.uuid4()), "date": day, "morning_completed": True, "morning_completed_at": stamp,
            "recording_path": path, "recording_duration_ms": (21 + n) * 1000,
            "recording_sha256": hashlib.sha256(data).hexdigest(), "morning_updated_at": stamp, "updated_at": stamp}]},
            "7d3c1c52-0000-4000-8000-00000000000" + str(n), 1)
        backend.objects[f"recordings/{path}"] = data
        audio[day] = data
    return audio


def exported(download, tmp_path) -> tuple[str, dict, dict[str, bytes]]:
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        assert archive.testzip() is None
        root = archive.namelist()[0].split("/")[0]
        files = {n.removeprefix(root + "/"): archive.read(n) for n in archive.namelist()}
    return files.pop("README.txt").decode(), json.loads(files.pop("data.json")), files


def test_the_export_downloads_the_readings_made_on_another_device_first(backend, app_process, open_app, tmp_path):
    audio = readings_from_the_phone(backend)
    second = f"recordings/{USER}/{DAYS[1]}-recording.ogg"
    backend.held[second] = threading.Event()  # its download waits until the progress was seen
    base = app_process.start(now="2026-06-10T07:00:00+02:00", env=backend.env())
    page = open_app("/sign-in", viewport=DESKTOP, base_url=base)
    sign_in_and_carry(page)
    to_settings(page)
    wait_for_text(page, "Readings you made on other devices are downloaded to this one first.")
    with page.expect_download(timeout=90_000) as download:
        page.get_by_role("button", name="Export my data").click()
        wait_for_text(page, "Downloading readings: 2 of 3", timeout=60)
        page.get_by_role("button", name="Export my data").scroll_into_view_if_needed()
        save_settled(page, "export-downloading-desktop-light", must_settle=False)
        backend.held[second].set()
    wait_for_text(page, "is downloading.")
    readme, data, files = exported(download.value, tmp_path)
    assert "NOT IN THIS ARCHIVE" not in readme
    by_day = {r["date"]: r["file"] for r in data["recordings"]}
    assert sorted(by_day) == DAYS and all(by_day.values())
    for day, sound in audio.items():
        assert files[by_day[day]] == sound  # the very bytes recorded on the phone
    downloads = [p for p in backend.paths("GET") if p.startswith("/storage/v1/object/authenticated/recordings/")]
    assert len(downloads) == 3
    assert not has_text(page, "are not in it")


def test_a_failed_download_stops_the_export_until_the_member_chooses(backend, app_process, open_app, tmp_path):
    audio = readings_from_the_phone(backend)
    broken = f"recordings/{USER}/{DAYS[2]}-recording.ogg"
    backend.failing.add(broken)
    base = app_process.start(now="2026-06-10T07:00:00+02:00", env=backend.env())
    page = open_app("/sign-in", viewport=PHONE, base_url=base)
    sign_in_and_carry(page)
    to_settings(page)
    page.get_by_role("button", name="Export my data").click()
    wait_for_text(page, "Your export is not ready: 1 of 3 readings made on another device could not be downloaded.",
                  timeout=60)
    assert "Try again" in label_of(page, "export-problem")
    page.locator('[flt-semantics-identifier="export-problem"]').scroll_into_view_if_needed()
    save_settled(page, "export-problem-phone-light", must_settle=False)

    page.get_by_role("button", name="Try again").click()  # still failing: the same choice, nothing saved
    wait_for_text(page, "1 of 1 readings made on another device could not be downloaded.", timeout=60)

    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Export what is on this device").click()
    wait_for_text(page, "1 reading made on another device is not in it: its README says so.")
    readme, data, files = exported(download.value, tmp_path)
    assert "NOT IN THIS ARCHIVE: 1 reading, kept in your account" in readme
    by_day = {r["date"]: r["file"] for r in data["recordings"]}
    assert by_day[DAYS[2]] is None and files[by_day[DAYS[0]]] == audio[DAYS[0]]

    backend.failing.clear()  # Storage is back: the next export is complete
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Export my data").click()
    readme, data, files = exported(download.value, tmp_path)
    assert "NOT IN THIS ARCHIVE" not in readme
    assert files[next(r["file"] for r in data["recordings"] if r["date"] == DAYS[2])] == audio[DAYS[2]]
    page.get_by_role("radio", name="Dark").click()
    page.locator('[flt-semantics-identifier="your-data"]').scroll_into_view_if_needed()
    save_settled(page, "export-done-phone-dark", must_settle=False)


def test_offline_the_export_says_so_and_still_offers_what_is_here(backend, app_process, open_app, tmp_path):
    readings_from_the_phone(backend)
    base = app_process.start(now="2026-06-10T07:00:00+02:00", env=backend.env())
    page = open_app("/sign-in", viewport=DESKTOP, base_url=base)
    sign_in_and_carry(page)
    backend.stop()  # offline from here
    to_settings(page)
    page.get_by_role("button", name="Export my data").click()
    wait_for_text(page, "Your export is not ready: your account could not be checked", timeout=90)
    assert "offline" in label_of(page, "export-problem").lower()
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Export what is on this device").click()
    readme, data, _ = exported(download.value, tmp_path)
    assert "NOT IN THIS ARCHIVE: 3 readings" in readme
    assert [r["file"] for r in data["recordings"]] == [None, None, None]


def test_on_the_web_the_server_builds_the_archive_and_its_link_opens(backend, app_process, open_app):
    requests = []

    def export_data(body):
        requests.append(body)
        expires = (datetime.now(timezone.utc) + timedelta(minutes=15)).replace(microsecond=0)
        return 200, {"url": f"{backend.url}/exports/{USER}/export-1.zip?token=signed", "bytes": 2_345_678,
                     "expires_at": expires.isoformat(), "path": f"{USER}/export-1.zip"}

    backend.functions["export-data"] = export_data
    backend.audit.append({"event": "export_created", "actor": "member", "detail": {},
                          "at": "2026-12-01T18:30:00+00:00"})
    base = app_process.start(env=backend.env())
    page = open_app("/sign-in", viewport=DESKTOP, base_url=base)
    sign_in_and_carry(page)
    to_settings(page)
    wait_for_text(page, "An export of your data was made by you, 1 Dec 2026, 19:30")  # the account's activity
    with page.context.expect_page(timeout=60_000) as opened:
        page.get_by_role("button", name="Download from the server").click()
    assert opened.value.url == f"{backend.url}/exports/{USER}/export-1.zip?token=signed"
    assert requests == [{}]
    wait_for_text(page, "Your export (2.3 MB) is downloading. Its link works until")
    page.locator('[flt-semantics-identifier="account-activity"]').scroll_into_view_if_needed()
    save_settled(page, "export-server-link-desktop-light", must_settle=False)


def test_a_large_server_archive_comes_in_parts_each_opened_from_its_own_button(backend, app_process, open_app):
    expires = (datetime.now(timezone.utc) + timedelta(minutes=15)).replace(microsecond=0)
    parts = [{"url": f"{backend.url}/exports/{USER}/export-part-{k}-of-3.zip?token=signed", "bytes": size,
              "path": f"{USER}/export-part-{k}-of-3.zip"} for k, size in ((1, 45_000_000), (2, 44_100_000),
                                                                          (3, 30_900_000))]
    backend.functions["export-data"] = lambda body: (200, {
        "url": parts[0]["url"], "path": parts[0]["path"], "bytes": 120_000_000, "expires_at": expires.isoformat(),
        "parts": parts, "not_exported": [{"path": "recordings/x.ogg", "bytes": 60_000_000, "reason": "too large"}]})
    base = app_process.start(env=backend.env())
    page = open_app("/sign-in", viewport=DESKTOP, base_url=base)
    sign_in_and_carry(page)
    to_settings(page)
    with page.context.expect_page(timeout=60_000) as opened:  # part 1 at once
        page.get_by_role("button", name="Download from the server").click()
    assert opened.value.url == parts[0]["url"]
    wait_for_text(page, "Your export (120.0 MB) comes in 3 parts, each a zip of its own")
    wait_for_text(page, "1 file too large to export is listed in its README.")
    with page.context.expect_page(timeout=60_000) as opened:
        page.get_by_role("button", name="Part 3 of 3 (30.9 MB)").click()
    assert opened.value.url == parts[2]["url"]
    assert page.get_by_role("button", name="Part 2 of 3 (44.1 MB)").is_visible()
    scroll_to(page, page.get_by_role("button", name="Part 3 of 3 (30.9 MB)"))
    save_settled(page, "export-server-parts-desktop-light", must_settle=False)
