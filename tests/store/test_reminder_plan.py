"""services/reminder_plan: what this device reminds of, from the store (the switches, the
server's facts, the profile, today's done parts) and who the member is (signed in, paywalled),
through the shared rule functions of domain/reminders; and the sentence Settings shows."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chris_app.account.status import AccountStatus
from chris_app.domain.subscription import Subscription
from chris_app.services import recordings
from chris_app.services.day import save_evening
from chris_app.services.profile import get_server_facts, get_settings, update_profile, update_settings
from chris_app.services.reminder_plan import (
    GUEST,
    DevicePlan,
    account_member,
    describe_reach,
    device_plan,
    plan_key,
)
from tests.conftest import wav_bytes

EARLY = datetime(2026, 6, 10, 2, 0, tzinfo=timezone.utc)  # 04:00 in Berlin, before both times


def facts(store, push: bool = False, email: bool = False) -> None:
    """What a pull would have written (the server's facts)."""
    store.query("update settings set push_reachable = ?, email_reachable = ?", (int(push), int(email)))


def plan(store, signed_in=False, paywalled=False, now=EARLY) -> DevicePlan:
    return device_plan(store, now, signed_in=signed_in, paywalled=paywalled)


def test_a_guest_device_reminds_at_the_members_times_in_their_zone(store):
    assert plan(store) == DevicePlan(reminds=True, channel=None, timezone="Europe/Berlin", day_start_hour=3,
                                     morning_time="05:30", evening_time="20:00", morning_done=False,
                                     evening_done=False)


def test_a_guest_is_reminded_by_the_device_whatever_the_servers_facts_say(store):
    facts(store, push=True, email=True)  # left from an account signed out of since
    update_settings(store, EARLY, email_reminders=True)
    p = plan(store)
    assert p.reminds is True and p.channel is None


@pytest.mark.parametrize("push_on, push_reachable, email_on, email_reachable, channel, reminds", [
    (True, True, False, False, "push", False),     # push reaches a phone: the server reminds
    (True, True, True, True, "push", False),       # push first, never both
    (False, True, True, True, "email", False),     # push off: email
    (True, False, True, True, "email", False),     # no phone for push: email
    (True, False, False, True, None, True),        # email off: nobody on the server, the device does
    (True, False, True, False, None, True),        # email cannot be sent: the device does
    (False, False, False, False, None, True),
])
def test_a_signed_in_device_reminds_only_where_the_server_does_not(
        store, push_on, push_reachable, email_on, email_reachable, channel, reminds):
    update_settings(store, EARLY, push_notifications=push_on, email_reminders=email_on)
    facts(store, push=push_reachable, email=email_reachable)
    p = plan(store, signed_in=True)
    assert (p.channel, p.reminds) == (channel, reminds)
    assert bool(p.times()) == reminds


def test_a_member_behind_the_paywall_gets_no_reminders_from_this_device(store):
    p = plan(store, signed_in=True, paywalled=True)
    assert p.channel is None and p.reminds is False and p.times() == {}


def test_this_devices_switch_off_means_no_reminders_here_for_guests_and_members(store):
    update_settings(store, EARLY, on_device_reminders=False)
    assert plan(store).reminds is False
    assert plan(store, signed_in=True).reminds is False


@pytest.mark.parametrize("switch, times", [
    ("morning_reminder", {"evening": "20:00"}),
    ("evening_reminder", {"morning": "05:30"}),
])
def test_a_part_switched_off_has_no_time(store, switch, times):
    update_settings(store, EARLY, **{switch: False})
    p = plan(store)
    assert p.reminds is True and p.times() == times
    assert (p.morning_time, p.evening_time) == (times.get("morning"), times.get("evening"))


def test_the_profile_and_todays_done_parts_feed_the_plan(store):
    update_profile(store, EARLY, timezone="America/New_York", day_start_hour=4, morning_time="06:15",
                   evening_time="21:45")
    p = plan(store)
    assert (p.timezone, p.day_start_hour, p.morning_time, p.evening_time) == (
        "America/New_York", 4, "06:15", "21:45")
    update_profile(store, EARLY, timezone="Europe/Berlin", day_start_hour=3)
    recordings.import_audio_file(store, EARLY, "morning.wav", wav_bytes(21))
    assert (plan(store).morning_done, plan(store).evening_done) == (True, False)
    save_evening(store, EARLY, action_completed=None, discipline_rating=7, biggest_win="")
    assert (plan(store).morning_done, plan(store).evening_done) == (True, True)
    # the next protocol day (from 03:00 tomorrow) has nothing done yet
    tomorrow = plan(store, now=EARLY + timedelta(days=1, hours=2))
    assert (tomorrow.morning_done, tomorrow.evening_done) == (False, False)


def test_the_plan_key_changes_with_what_the_phone_schedules_and_only_with_that(store):
    member = (True, False)
    key = plan_key(store, EARLY, member)
    assert plan_key(store, EARLY, (True, True)) != key  # behind the paywall: nothing on the phone
    update_settings(store, EARLY, sound_enabled=False, theme="dark", weekly_email=False)
    assert plan_key(store, EARLY, member) == key  # nothing the reminders depend on
    facts(store, push=True)
    assert plan_key(store, EARLY, member) != key  # the server took over: the phone must cancel
    assert plan_key(store, EARLY, member)[0] is False
    assert plan_key(store, EARLY) != plan_key(store, EARLY, member)  # a guest reminds here


class FakeAccount:
    """The account's public face that `account_member` reads: its status and subscription."""

    def __init__(self, status=AccountStatus.SYNCING, subscription=None):
        self.status, self._subscription = status, subscription

    def subscription(self):
        return self._subscription


def test_account_member_says_signed_in_and_paywalled_as_the_app_does():
    now = datetime(2026, 7, 1, tzinfo=timezone.utc)
    ended = Subscription("trial", now - timedelta(days=1))
    assert account_member(None, lambda: now)() == GUEST
    for not_syncing in (AccountStatus.GUEST, AccountStatus.NEEDS_CODE, AccountStatus.NEEDS_CARRY):
        assert account_member(FakeAccount(not_syncing, subscription=ended), lambda: now)() == GUEST
    assert account_member(FakeAccount(), lambda: now)() == (True, False)  # nothing pulled yet
    assert account_member(FakeAccount(subscription=ended), lambda: now)() == (True, True)
    running = Subscription("trial", now + timedelta(days=3))
    assert account_member(FakeAccount(subscription=running), lambda: now)() == (True, False)
    assert account_member(FakeAccount(subscription=Subscription("active", now - timedelta(days=9))),
                          lambda: now)() == (True, False)


# -- the sentence in Settings ---------------------------------------------------------------------
def reach(store, signed_in=False, paywalled=False, device="phone", email="chris@example.com", by=None):
    """The sentence; `by`: the channel it must name (None: no reminders reach the member)."""
    r = describe_reach(plan(store, signed_in, paywalled), get_settings(store), get_server_facts(store),
                       signed_in=signed_in, paywalled=paywalled, email=email, device=device)
    assert r.by == by, r
    return r.text


def test_reach_names_the_one_channel_in_use(store):
    assert reach(store, by="device") == ("Your morning (05:30) and evening (20:00) reminders come as"
                                         " notifications on this phone.")
    assert reach(store, device="desktop", by="device") == (
        "Your morning (05:30) and evening (20:00) reminders come as notifications on this computer while the app"
        " is open.")
    facts(store, push=True, email=True)
    assert reach(store, signed_in=True, by="push") == ("Your morning (05:30) and evening (20:00) reminders come"
                                                       " as push notifications on your phone.")
    update_settings(store, EARLY, push_notifications=False, email_reminders=True, evening_reminder=False)
    assert reach(store, signed_in=True, by="email") == (
        "Your morning reminder (05:30) comes by email to chris@example.com.")


def test_reach_says_why_none_come(store):
    update_settings(store, EARLY, on_device_reminders=False)
    assert reach(store) == "No reminders reach you: notifications on this device are off."
    assert reach(store, signed_in=True) == (
        "No reminders reach you: no phone is set up for push (open the app on your phone and allow"
        " notifications), email reminders are off and notifications on this device are off.")
    update_settings(store, EARLY, on_device_reminders=True)
    assert reach(store, device="web") == "No reminders reach you: a browser tab cannot show notifications."
    update_settings(store, EARLY, push_notifications=False, email_reminders=True)
    assert reach(store, signed_in=True, device="web") == (
        "No reminders reach you: push notifications are off, email reminders cannot be sent right now"
        " and a browser tab cannot show notifications.")
    assert reach(store, signed_in=True, paywalled=True) == (
        "No reminders now: your free trial has ended. Subscribe to get them again.")
    update_settings(store, EARLY, morning_reminder=False, evening_reminder=False)
    assert reach(store) == "No reminders: the morning and evening reminders are both off."
