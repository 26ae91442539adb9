"""The reminder switches through sync (issue 15): `push_notifications`, `email_reminders`,
`morning_reminder`, `evening_reminder` and `weekly_email` go up and come down like every synced
setting (per field, edit times); `on_device_reminders` is each device's own and never leaves it;
the server's facts `push_reachable` / `email_reachable` only ever come down, in every pull's
`reach` (a sender going quiet changes no row, and still reaches the device at its next pull)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chris_app.services import profile
from chris_app.services.profile import ServerFacts, get_profile, get_server_facts, get_settings
from chris_app.services.reminder_plan import device_plan
from chris_app.sync import sync_state
from chris_app.sync.errors import CallRejected
from fake_server import FakeTransport
from sync_helpers import MORNING, engine_for, kept

SWITCHES = ("push_notifications", "email_reminders", "morning_reminder", "evening_reminder", "weekly_email")
DEFAULTS = {"push_notifications": True, "email_reminders": False, "morning_reminder": True,
            "evening_reminder": True, "weekly_email": True}
NEVER_SENT = ("on_device_reminders", "push_reachable", "email_reachable")


def recording(server):
    """Every `changes` object the server gets, as sent."""
    pushed = []
    real_push = server.push
    server.push = lambda changes, client_id, op_id: pushed.append(changes) or real_push(changes, client_id, op_id)
    return pushed


def switches(store) -> dict[str, bool]:
    prefs = get_settings(store)
    return {name: getattr(prefs, name) for name in SWITCHES}


@pytest.mark.parametrize("name", SWITCHES)
def test_a_switch_flipped_on_one_device_reaches_the_account_and_the_other_device(
        name, device, other_device, transport, server):
    engine_for(other_device, FakeTransport(server)).run()  # B is on the account first, with its defaults
    assert switches(other_device) == DEFAULTS
    flipped = not DEFAULTS[name]
    edited = MORNING + timedelta(minutes=5)
    profile.update_settings(device, edited, **{name: flipped})
    pushed = recording(server)

    engine_for(device, transport, clock=lambda: edited).run()

    sent = next(c["user_settings"] for c in pushed if "user_settings" in c)
    assert sent[name] is flipped and sent["field_stamps"] == {name: "2026-06-10T03:35:00.000000+00:00"}
    assert server.settings[name] is flipped and server.settings["field_stamps"] == {name: "2026-06-10T03:35:00+00:00"}
    engine_for(other_device, FakeTransport(server), clock=lambda: edited + timedelta(minutes=1)).run()
    assert switches(other_device) == {**DEFAULTS, name: flipped}
    # the other device took the account's edit time too: its own default does not win later
    [row] = other_device.query("select field_stamps from settings")
    assert json.loads(row[0]) == {name: "2026-06-10T03:35:00.000000+00:00"}


@pytest.mark.parametrize("name", SWITCHES)
def test_a_switch_changed_on_the_account_comes_down_unless_this_device_edited_it_later(
        name, device, transport, server):
    flipped = not DEFAULTS[name]
    engine_for(device, transport).run()
    server.push({"user_settings": {name: flipped, "field_stamps": {name: "2026-06-10T03:40:00Z"}}}, "web", 1)

    engine_for(device, transport, clock=lambda: MORNING + timedelta(minutes=11)).run()
    assert switches(device) == {**DEFAULTS, name: flipped}

    # this device sets it back later than the account's edit: its edit wins on the server
    later = MORNING + timedelta(minutes=20)
    profile.update_settings(device, later, **{name: DEFAULTS[name]})
    engine_for(device, transport, clock=lambda: later).run()
    assert server.settings[name] is DEFAULTS[name]
    assert switches(device) == DEFAULTS


def test_this_devices_own_switch_and_the_servers_facts_are_never_pushed(device, other_device, transport, server):
    server.register_push_device("onesignal-sub-1", "android")
    server.sender_heartbeat("push")
    # every field this device has, edited, so that everything it could send is sent
    profile.update_settings(device, MORNING, on_device_reminders=False, push_notifications=False,
                            email_reminders=True, morning_reminder=False, evening_reminder=False,
                            weekly_email=False, sound_enabled=False, auto_play_recording=True, theme="dark")
    device.query("update settings set push_reachable = 1, email_reachable = 1")  # as if pulled before
    pushed = recording(server)

    engine_for(device, transport).run()

    sent = [c["user_settings"] for c in pushed if "user_settings" in c]
    assert sent, "the settings were not pushed"
    for payload in sent:
        for name in NEVER_SENT:
            assert name not in payload and name not in payload["field_stamps"], name
    assert sorted(sent[0]) == sorted([*SWITCHES, "sound_enabled", "auto_play_recording", "theme",
                                      "field_stamps", "client_updated_at"])
    # the other device keeps its own on-device switch and takes the account's switches
    engine_for(other_device, FakeTransport(server)).run()
    assert get_settings(other_device).on_device_reminders is True
    assert switches(other_device) == {"push_notifications": False, "email_reminders": True,
                                      "morning_reminder": False, "evening_reminder": False, "weekly_email": False}


def test_turning_this_devices_notifications_off_changes_nothing_on_the_account(device, transport, server):
    engine_for(device, transport).run()
    before = dict(server.settings)
    profile.update_settings(device, MORNING + timedelta(minutes=1), on_device_reminders=False)

    engine_for(device, transport, clock=lambda: MORNING + timedelta(minutes=1)).run()

    assert server.settings == before
    assert get_settings(device).on_device_reminders is False  # and the pull did not undo it


def cursor_of(store) -> int:
    return kept(store, sync_state.cursor)


def test_the_servers_facts_come_down_with_every_pull(device, transport, server):
    engine_for(device, transport).run()
    assert get_server_facts(device) == ServerFacts(push_reachable=False, email_reachable=False)

    server.sender_heartbeat("push")
    server.sender_heartbeat("email")
    server.register_push_device("onesignal-sub-1", "ios")  # the first phone: the settings row is touched
    assert server.pull(cursor_of(device))["changes"]["user_settings"] != []
    engine_for(device, transport).run()
    assert get_server_facts(device) == ServerFacts(push_reachable=True, email_reachable=True)

    server.register_push_device("onesignal-sub-2", "android")  # a second phone changes nothing
    server.unregister_push_device("onesignal-sub-1")
    pulled = server.pull(cursor_of(device))["changes"]
    assert pulled["user_settings"] == []  # no settings row...
    assert pulled["reach"] == [{"push_reachable": True, "email_reachable": True}]  # ...the facts all the same
    engine_for(device, transport).run()
    assert get_server_facts(device) == ServerFacts(push_reachable=True, email_reachable=True)

    server.unregister_push_device("onesignal-sub-2")  # the last phone gone: the row is touched
    assert server.pull(cursor_of(device))["changes"]["user_settings"] != []
    engine_for(device, transport).run()
    assert get_server_facts(device) == ServerFacts(push_reachable=False, email_reachable=True)


def test_the_settings_row_pulled_is_the_plain_row(device, transport, server):
    server.sender_heartbeat("push")
    server.register_push_device("onesignal-sub-1", "ios")
    [row] = server.pull(0)["changes"]["user_settings"]
    assert not {"push_reachable", "email_reachable"} & set(row)
    assert {"push_notifications", "email_reminders", "theme"} <= set(row)


def test_a_sender_going_quiet_reaches_the_device_at_the_next_pull_and_the_device_reminds(device, transport, server):
    server.sender_heartbeat("push")
    server.register_push_device("onesignal-sub-1", "android")
    engine_for(device, transport).run()
    plan = device_plan(device, MORNING, signed_in=True, paywalled=False)
    assert (plan.channel, plan.reminds) == ("push", False)  # the server reminds: this device does not

    server.sender_heartbeat("push", alive=False)
    pulled = server.pull(cursor_of(device))["changes"]
    assert all(rows == [] for table, rows in pulled.items() if table != "reach")  # no row changed
    later = MORNING + timedelta(minutes=5)
    engine_for(device, transport, clock=lambda: later).run()
    assert get_server_facts(device) == ServerFacts(push_reachable=False, email_reachable=False)
    plan = device_plan(device, later, signed_in=True, paywalled=False)
    assert (plan.channel, plan.reminds) == (None, True)  # nobody else reminds: this device does
    assert plan.times() == {"morning": get_profile(device).morning_time, "evening": get_profile(device).evening_time}

    server.sender_heartbeat("push")  # back again: the device leaves it to the server
    engine_for(device, transport, clock=lambda: later).run()
    plan = device_plan(device, later, signed_in=True, paywalled=False)
    assert (plan.channel, plan.reminds) == ("push", False)


def test_an_account_without_an_email_address_is_never_email_reachable(device, server, transport):
    server.email = None
    server.sender_heartbeat("email")
    engine_for(device, transport).run()
    assert get_server_facts(device).email_reachable is False


def test_a_member_cannot_set_the_servers_facts_on_the_device(store):
    from chris_app.errors import InvalidInput

    with pytest.raises(InvalidInput):
        profile.update_settings(store, MORNING, push_reachable=True)
    assert get_server_facts(store) == ServerFacts()


@pytest.mark.parametrize("subscription_id, platform", [("", "ios"), ("a" * 129, "ios"), ("bad id!", "android"),
                                                       (None, "ios"), ("ok-1", "web")])
def test_the_fake_refuses_bad_push_registrations_like_the_server(server, subscription_id, platform):
    with pytest.raises(CallRejected) as refused:
        server.register_push_device(subscription_id, platform)
    assert refused.value.code == "22023"
    assert server.push_devices == {}
