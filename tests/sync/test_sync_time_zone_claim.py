"""An account whose zone was never given takes the zone of the device that syncs it first.

A Google sign-up names no zone, so the sign-up trigger (handle_new_user) gives the account
UTC, with no edit time. Adopted as it was, a member in New York would have had their days end
at 23:00 (03:00 UTC is the day start): an evening review at 23:30 would count for tomorrow.
The device keeps its own zone and claims it for the account instead; a zone given at sign-up
or chosen on any device (it has an edit time) is never replaced this way."""

from __future__ import annotations

import json

import pytest

from chris_app.services.profile import ensure_profile, get_profile, update_profile
from chris_app.store import open_store
from chris_app.sync.engine import SyncState
from fake_server import FakeServer, FakeTransport
from sync_helpers import MORNING, USER, engine_for

NEW_YORK = "America/New_York"


@pytest.fixture
def new_york_device(tmp_path):
    store = open_store(tmp_path / "ny" / "chris.sqlite3")
    ensure_profile(store, MORNING, NEW_YORK)  # the zone the device found itself
    yield store
    store.close()


def zone_stamps(store) -> dict:
    return json.loads(store.query("select field_stamps from profile")[0][0])


def test_a_google_account_takes_the_zone_of_the_device_that_syncs_it_first(new_york_device, tmp_path):
    server = FakeServer(USER, timezone="UTC")  # what the trigger gives a sign-up without a zone
    assert server.profile["prefs_stamps"] == {}

    status = engine_for(new_york_device, FakeTransport(server)).run()

    assert status.state is SyncState.SYNCED and status.pending == 0  # the claim went up in the same run
    assert get_profile(new_york_device).timezone == NEW_YORK
    assert server.profile["timezone"] == NEW_YORK and "timezone" in server.profile["prefs_stamps"]
    assert "timezone" in zone_stamps(new_york_device)

    # The member's next device (another zone, say a laptop set to Berlin) takes the account's.
    laptop = open_store(tmp_path / "laptop" / "chris.sqlite3")
    ensure_profile(laptop, MORNING, "Europe/Berlin")
    engine_for(laptop, FakeTransport(server)).run()
    assert get_profile(laptop).timezone == NEW_YORK
    assert server.profile["timezone"] == NEW_YORK
    laptop.close()


def test_a_zone_given_at_sign_up_is_kept_and_not_claimed(new_york_device):
    server = FakeServer(USER, timezone="Europe/Berlin")  # an email sign-up on a device in Berlin

    engine_for(new_york_device, FakeTransport(server)).run()

    assert get_profile(new_york_device).timezone == "Europe/Berlin"
    assert server.profile["timezone"] == "Europe/Berlin" and "timezone" not in server.profile["prefs_stamps"]


def test_utc_chosen_by_the_member_is_kept(new_york_device):
    chooser = FakeServer(USER, timezone="UTC")
    chooser.profile["prefs_stamps"] = {"timezone": "2026-06-01T08:00:00+00:00"}  # chosen in Settings

    engine_for(new_york_device, FakeTransport(chooser)).run()

    assert get_profile(new_york_device).timezone == "UTC"
    assert chooser.profile["timezone"] == "UTC"


def test_a_zone_the_member_chose_on_this_device_goes_up_by_its_own_edit_time(new_york_device):
    update_profile(new_york_device, MORNING, timezone="Asia/Tokyo")
    server = FakeServer(USER, timezone="UTC")

    engine_for(new_york_device, FakeTransport(server)).run()

    assert get_profile(new_york_device).timezone == "Asia/Tokyo"
    assert server.profile["timezone"] == "Asia/Tokyo"


@pytest.mark.parametrize("found", ["UTC", "Etc/UTC"])  # a device that cannot tell; a server or container
def test_a_device_set_to_utc_itself_claims_nothing(tmp_path, found):
    store = open_store(tmp_path / "utc" / "chris.sqlite3")
    ensure_profile(store, MORNING, found)
    server = FakeServer(USER, timezone="UTC")

    status = engine_for(store, FakeTransport(server)).run()

    assert status.state is SyncState.SYNCED
    assert server.profile["timezone"] == "UTC"  # left for the member's next device to claim
    assert "timezone" not in server.profile["prefs_stamps"] and "timezone" not in zone_stamps(store)
    store.close()
