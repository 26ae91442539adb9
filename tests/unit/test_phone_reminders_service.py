"""PhoneReminders against a recording double of flet_notifications.LocalNotifications, and the
double against the real class: every call the code makes binds to the real method signature,
and the real Python half turns those calls into invokes its Dart half handles.

No phone here (the Dart half runs only in a built app): this is the Python side. Async code
runs in a thread of its own, as Playwright may hold the main thread's event loop."""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import flet_notifications
from flet.controls.base_control import get_event_field_type
from flet.utils import from_dict
from flet_notifications import (
    AndroidScheduleMode,
    LaunchDetails,
    LocalNotifications,
    NotificationChannel,
    NotificationError,
    NotificationEvent,
)

from chris_app.domain.days import zone
from chris_app.notifications import phone
from chris_app.notifications.phone import OUR_IDS, PhoneReminders, current, install, reminders_for
from chris_app.services import recordings
from chris_app.services.day import save_evening
from chris_app.services.profile import update_profile, update_settings
from tests.conftest import wav_bytes

# 10 June 2026, 14:00 in Berlin (CEST); the store fixture's member lives in Europe/Berlin
# with the default times 05:30 and 20:00.
NOW = datetime(2026, 6, 10, 12, 0, tzinfo=timezone.utc)
EARLY = datetime(2026, 6, 10, 2, 0, tzinfo=timezone.utc)  # 04:00 in Berlin: before both times
DART_SERVICE = (Path(flet_notifications.__file__).parent.parent / "flutter" / "flet_notifications"
                / "lib" / "src" / "notifications_service.dart")


def run(coro):
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


class FakeNotifications:
    """Records every call, as (method, args, kwargs); answers like the real service."""

    def __init__(self, granted=True, exact=True, launch=None, channels=True, fail=None):
        self.granted, self.exact, self.launch, self.channels, self.fail = granted, exact, launch, channels, fail
        self.calls: list[tuple[str, tuple, dict]] = []
        self.on_tap = None

    def _record(self, name, *args, **kwargs):
        self.calls.append((name, args, kwargs))
        if self.fail is not None and name in self.fail:
            raise self.fail[name]

    def names(self):
        return [name for name, _, _ in self.calls]

    def scheduled(self):
        return [kwargs for name, _, kwargs in self.calls if name == "schedule"]

    async def request_permissions(self):
        self._record("request_permissions")
        return self.granted

    async def are_notifications_enabled(self):
        self._record("are_notifications_enabled")
        return self.granted

    async def can_schedule_exact_notifications(self):
        self._record("can_schedule_exact_notifications")
        return self.exact

    async def create_notification_channel(self, channel):
        self._record("create_notification_channel", channel)
        if not self.channels:
            raise NotificationError("unsupported_platform", "channels are Android-only")

    async def cancel(self, id, tag=None):
        self._record("cancel", id=id)

    async def schedule(self, **kwargs):
        self._record("schedule", **kwargs)

    async def get_notification_app_launch_details(self):
        self._record("get_notification_app_launch_details")
        return self.launch or LaunchDetails(did_notification_launch_app=False)

    async def open_app_notification_settings(self):
        self._record("open_app_notification_settings")


class FakePage:
    def __init__(self):
        self.routes: list[str] = []
        self.tasks: list = []
        self.session = type("Session", (), {})()
        self.session.store = _Store()

    def navigate(self, route):
        self.routes.append(route)

    def run_task(self, handler, *args):
        self.tasks.append(handler)


class _Store:
    def __init__(self):
        self.values = {}

    def set(self, key, value):
        self.values[key] = value

    def get(self, key):
        return self.values.get(key)


class Ticks:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def reminders(store, notifications, page=None, ticks=None, now=NOW):
    return PhoneReminders(page or FakePage(), store, notifications, clock=lambda: now,
                          monotonic=ticks or Ticks())


def cancelled(n):
    return [kw["id"] for name, _, kw in n.calls if name == "cancel"]


def scheduled_ids(n):
    return {s["id"] for s in n.scheduled()}


def local(when):
    return when.astimezone(zone("Europe/Berlin"))


def do_the_morning(store, now):
    recordings.import_audio_file(store, now, "morning.wav", wav_bytes(21))


def do_the_evening(store, now):
    save_evening(store, now, action_completed=True, discipline_rating=8, biggest_win="Cold shower")


def tap(payload, id=1):
    return NotificationEvent(control=None, name="tap", id=id, payload=payload)


# --- scheduling -------------------------------------------------------------------------

def test_start_asks_once_then_schedules_one_shot_reminders_for_thirty_days(store):
    n = FakeNotifications()
    r = reminders(store, n)
    run(r.start())
    assert n.names()[:2] == ["get_notification_app_launch_details", "request_permissions"]
    # all our ids (and the daily repeats of the first version) cancelled before any is scheduled,
    # but today's morning: it went off at 05:30 and the morning is not done, so it stays shown
    assert cancelled(n) == [1, 2, *range(101, 130), *range(200, 230)]
    assert n.names().index("schedule") > max(i for i, name in enumerate(n.names()) if name == "cancel")
    s = n.scheduled()
    # 14:00 in Berlin: today's morning has passed, so 29 mornings and 30 evenings
    assert len(s) == 59 and scheduled_ids(n) == {*range(101, 130), *range(200, 230)}
    for one in s:
        kind = "morning" if one["id"] < 200 else "evening"
        day = one["id"] % 100
        assert "match_components" not in one  # one-shot: fires once, at that instant
        assert one["payload"] == f"/{kind}" and one["time_zone"] == "Europe/Berlin"
        assert one["when"].tzinfo is not None and one["when"].utcoffset().total_seconds() == 2 * 3600
        assert one["when"].date() == date(2026, 6, 10) + timedelta(days=day)
        assert one["when"].strftime("%H:%M") == {"morning": "05:30", "evening": "20:00"}[kind]
        assert one["title"] == {"morning": "Morning protocol", "evening": "Evening review"}[kind]
        assert one["schedule_mode"] is AndroidScheduleMode.EXACT_ALLOW_WHILE_IDLE
        assert one["channel_id"] == phone.CHANNEL_ID
    assert [one["id"] for one in s[:3]] == [200, 101, 201]  # soonest first
    assert r.status == phone.STATUS_SCHEDULED and len(r.scheduled) == 59
    assert r.message == ("Reminders at 05:30 and 20:00 (Europe/Berlin time) for the next 30 days; "
                         "open the app now and then to keep them coming.")


def test_a_settings_change_reschedules_without_asking_again(store):
    n = FakeNotifications()
    r = reminders(store, n)

    async def scenario():
        await r.start()
        n.calls.clear()
        update_profile(store, NOW, morning_time="06:15", timezone="America/New_York")
        await r.reschedule()

    run(scenario())
    assert "request_permissions" not in n.names() and "are_notifications_enabled" in n.names()
    assert cancelled(n) == [i for i in OUR_IDS if i != 100]  # today's morning went off: it stays
    s = n.scheduled()
    assert {one["time_zone"] for one in s} == {"America/New_York"}
    # 08:00 in New York: today's 06:15 has passed, today's 20:00 has not
    assert len(s) == 59 and [one["id"] for one in s[:2]] == [200, 101]
    assert s[0]["when"] == datetime(2026, 6, 11, 0, 0, tzinfo=timezone.utc)  # 20:00 EDT
    assert {one["when"].strftime("%H:%M") for one in s if one["id"] < 200} == {"06:15"}
    assert {one["when"].strftime("%H:%M") for one in s if one["id"] >= 200} == {"20:00"}
    assert {one["when"].utcoffset().total_seconds() for one in s} == {-4 * 3600}  # EDT
    assert r.message.startswith("Reminders at 06:15 and 20:00 (America/New_York time)")


def test_saving_the_morning_then_kicking_drops_only_todays_morning(store):
    n, page = FakeNotifications(), FakePage()
    r = reminders(store, n, page, now=EARLY)
    run(r.start())
    assert 100 in scheduled_ids(n) and len(n.scheduled()) == 60
    do_the_morning(store, EARLY)  # 04:00: the member did the morning before its reminder
    n.calls.clear()
    r.kick()  # what the app calls after the save
    assert page.tasks == [r.reschedule]
    run(page.tasks[0]())
    assert 100 in cancelled(n) and 100 not in scheduled_ids(n)
    assert {101, 200, 201} <= scheduled_ids(n) and len(n.scheduled()) == 59
    assert r.status == phone.STATUS_SCHEDULED


def test_a_reminder_that_went_off_stays_on_the_phone_until_its_part_is_done(store):
    n = FakeNotifications()
    r = reminders(store, n)  # 14:00: the morning reminder went off at 05:30, the morning not done
    run(r.start())
    assert 100 not in cancelled(n) and 100 not in scheduled_ids(n)
    do_the_morning(store, NOW)
    n.calls.clear()
    run(r.reschedule())
    assert 100 in cancelled(n)  # done: the stale reminder leaves the notification list
    assert 200 in scheduled_ids(n)


def test_saving_the_evening_then_rescheduling_drops_only_todays_evening(store):
    n = FakeNotifications()
    r = reminders(store, n)

    async def scenario():
        await r.start()
        assert 200 in scheduled_ids(n)
        do_the_evening(store, NOW)  # 14:00: the review done early
        n.calls.clear()
        await r.reschedule()

    run(scenario())
    assert 200 in cancelled(n) and 200 not in scheduled_ids(n) and 201 in scheduled_ids(n)
    assert len(n.scheduled()) == 58


def test_reminders_for_reads_todays_state_from_the_store(store):
    assert {r.id for r in reminders_for(store, EARLY)} >= {100, 200}
    do_the_morning(store, EARLY)
    do_the_evening(store, EARLY)
    ids = {r.id for r in reminders_for(store, EARLY)}
    assert ids == {*range(101, 130), *range(201, 230)}
    # the next protocol day (from 03:00 tomorrow) is not done: its reminders stand
    tomorrow = reminders_for(store, datetime(2026, 6, 11, 2, 0, tzinfo=timezone.utc))
    assert {100, 200} <= {r.id for r in tomorrow} and len(tomorrow) == 60
    assert local(tomorrow[0].at).strftime("%m-%d %H:%M") == "06-11 05:30"


def test_reminders_for_is_empty_when_reminders_are_off(store):
    update_settings(store, NOW, on_device_reminders=False)
    assert reminders_for(store, NOW) == []


def test_reminders_off_cancels_all_of_ours_and_asks_nothing(store):
    n = FakeNotifications()
    r = reminders(store, n)

    async def scenario():
        await r.start()
        n.calls.clear()
        update_settings(store, NOW, on_device_reminders=False)
        await r.reschedule()

    run(scenario())
    assert n.names() == ["cancel"] * 62 and cancelled(n) == list(OUR_IDS)
    assert r.status == phone.STATUS_OFF and r.message == "Reminders are off."


def test_permission_is_asked_only_once_reminders_are_on(store):
    update_settings(store, NOW, on_device_reminders=False)
    n = FakeNotifications()
    r = reminders(store, n)

    async def scenario():
        await r.start()
        assert "request_permissions" not in n.names() and r.status == phone.STATUS_OFF
        update_settings(store, NOW, on_device_reminders=True)  # the member turns them on
        await r.reschedule()

    run(scenario())
    assert n.names().count("request_permissions") == 1 and len(n.scheduled()) == 59


def test_permission_denied_schedules_nothing_and_says_where_to_fix_it(store):
    n = FakeNotifications(granted=False)
    r = reminders(store, n)
    run(r.start())
    assert n.scheduled() == [] and cancelled(n) == list(OUR_IDS)
    assert r.status == phone.STATUS_DENIED
    assert r.message == "Notifications are off for this app in the phone's settings."
    run(r.open_phone_settings())
    assert n.names()[-1] == "open_app_notification_settings"


def test_notifications_turned_back_on_in_the_phones_settings_are_picked_up(store):
    n = FakeNotifications(granted=False)
    r = reminders(store, n)

    async def scenario():
        await r.start()
        n.granted = True  # the member went to the phone's settings
        await r.reschedule()

    run(scenario())
    assert n.names().count("request_permissions") == 1 and len(n.scheduled()) == 59
    assert r.status == phone.STATUS_SCHEDULED


def test_without_exact_alarms_the_reminders_are_scheduled_inexact_rather_than_dropped(store):
    n = FakeNotifications(exact=False)
    run(reminders(store, n).start())
    assert {s["schedule_mode"] for s in n.scheduled()} == {AndroidScheduleMode.INEXACT_ALLOW_WHILE_IDLE}


def test_the_android_channel_is_made_once_and_its_absence_on_iphones_is_fine(store):
    android = FakeNotifications()
    r = reminders(store, android)

    async def twice():
        await r.start()
        await r.reschedule()

    run(twice())
    (channel,) = [args[0] for name, args, _ in android.calls if name == "create_notification_channel"]
    assert isinstance(channel, NotificationChannel) and channel.id == phone.CHANNEL_ID and channel.name == "Reminders"
    iphone = FakeNotifications(channels=False)
    r = reminders(store, iphone)
    run(r.start())
    assert len(iphone.scheduled()) == 59 and r.status == phone.STATUS_SCHEDULED


def test_a_failing_service_leaves_a_status_not_a_crash(store):
    n = FakeNotifications(fail={"schedule": NotificationError("schedule_failed", "boom"),
                                "get_notification_app_launch_details": NotificationError("init_failed")})
    changes = []
    r = reminders(store, n)
    r.on_status_change = lambda: changes.append(r.status)
    run(r.start())
    assert r.status == phone.STATUS_UNAVAILABLE and changes == [phone.STATUS_UNAVAILABLE]
    assert r.message == "Reminders could not be set on this phone."


def test_a_service_that_never_answers_times_out(store, monkeypatch):
    # Where the client has no Dart half (web, desktop) an invoke may never come back.
    monkeypatch.setattr(phone, "CALL_TIMEOUT_S", 0.05)
    monkeypatch.setattr(phone, "PERMISSION_TIMEOUT_S", 0.05)

    class Silent(FakeNotifications):
        async def get_notification_app_launch_details(self):
            await asyncio.sleep(3600)

        async def request_permissions(self):
            await asyncio.sleep(3600)

    n = Silent()
    r = reminders(store, n)
    run(r.start())
    assert r.status == phone.STATUS_UNAVAILABLE and n.scheduled() == []


# --- taps ------------------------------------------------------------------------------

def test_a_tap_opens_the_route_in_its_payload_and_other_payloads_are_ignored(store):
    page, n, ticks = FakePage(), FakeNotifications(), Ticks()
    r = reminders(store, n, page, ticks)
    assert n.on_tap is not None
    n.on_tap(tap("/morning", id=100))
    ticks.now += 60
    n.on_tap(tap("/evening", id=200))
    for payload in ("", "/settings", "https://example.com", "/morning/../settings", "morning"):
        n.on_tap(tap(payload))
    assert page.routes == ["/morning", "/evening"]
    ticks.now += 3600 * 24  # the next day's morning reminder, app still running
    n.on_tap(tap("/morning", id=101))
    assert page.routes == ["/morning", "/evening", "/morning"]
    assert r.status == phone.STATUS_PENDING  # taps do not touch the schedule


def test_a_tap_that_started_the_app_opens_its_route_at_start(store):
    page = FakePage()
    launch = LaunchDetails(did_notification_launch_app=True, notification=tap("/morning"))
    run(reminders(store, FakeNotifications(launch=launch), page).start())
    assert page.routes == ["/morning"]


def test_a_cold_start_tap_reported_twice_opens_once(store):
    # The plugin replays the launching tap to on_tap (first time only) and it is also in the
    # launch details: whichever comes first opens the route, the other is the same tap.
    page, ticks = FakePage(), Ticks()
    launch = LaunchDetails(did_notification_launch_app=True, notification=tap("/evening", id=200))
    n = FakeNotifications(launch=launch)
    r = reminders(store, n, page, ticks)
    n.on_tap(tap("/evening", id=200))  # the replay, before start's look at the launch details
    run(r.start())
    ticks.now += 1
    n.on_tap(tap("/evening", id=200))  # or after it
    assert page.routes == ["/evening"]


def test_launches_that_are_not_our_taps_open_nothing(store):
    page = FakePage()
    for launch in (LaunchDetails(did_notification_launch_app=False, notification=tap("/morning")),
                   LaunchDetails(did_notification_launch_app=True, notification=None),
                   LaunchDetails(did_notification_launch_app=True, notification=NotificationEvent(
                       control=None, name="tap", payload="/morning", action_id="snooze", response_type="action")),
                   LaunchDetails(did_notification_launch_app=True, notification=tap("/elsewhere"))):
        run(reminders(store, FakeNotifications(launch=launch), page).start())
    assert page.routes == []


# --- wiring ----------------------------------------------------------------------------

def test_install_keeps_the_reminders_for_the_session_and_starts_them(store):
    page = FakePage()
    r = install(page, store, clock=lambda: NOW)
    assert current(page) is r and page.tasks == [r.start]
    # The real service, with the tap handler set at construction (so the client learns of it
    # when the service registers) and no badge permission asked.
    assert isinstance(r.notifications, LocalNotifications)
    assert r.notifications.on_tap == r._on_tap and r.notifications.request_badge_permission is False
    r.kick()
    assert page.tasks[-1] == r.reschedule
    assert current(FakePage()) is None


# --- the double against the real LocalNotifications -------------------------------------

def all_calls(store):
    """Every call the code makes, across the scenarios above."""
    calls = []
    for n in (FakeNotifications(launch=LaunchDetails(True, tap("/morning"))), FakeNotifications(granted=False),
              FakeNotifications(exact=False, channels=False)):
        r = reminders(store, n)

        async def scenario():
            await r.start()
            await r.reschedule()
            await r.open_phone_settings()

        run(scenario())
        calls += n.calls
    update_settings(store, NOW, on_device_reminders=False)
    n = FakeNotifications()
    run(reminders(store, n).start())
    return calls + n.calls


def test_every_call_binds_to_the_real_method_with_those_keywords(store):
    calls = all_calls(store)
    assert {name for name, _, _ in calls} == {
        "get_notification_app_launch_details", "request_permissions", "are_notifications_enabled",
        "create_notification_channel", "can_schedule_exact_notifications", "cancel", "schedule",
        "open_app_notification_settings"}
    for name, args, kwargs in calls:
        real = getattr(LocalNotifications, name)
        assert inspect.iscoroutinefunction(real), name
        inspect.signature(real).bind(None, *args, **kwargs)  # raises TypeError on any drift
    for name in vars(FakeNotifications):
        if not name.startswith("_") and callable(getattr(FakeNotifications, name)) and name not in ("names", "scheduled"):
            assert inspect.signature(getattr(FakeNotifications, name)).parameters.keys() - {"kwargs"} <= \
                inspect.signature(getattr(LocalNotifications, name)).parameters.keys(), name


def test_the_tap_event_the_real_service_builds_reaches_the_handler(store):
    page = FakePage()
    r = PhoneReminders(page, store, clock=lambda: NOW)  # the real LocalNotifications
    svc = r.notifications
    # What Flet does with a "tap" event from the Dart side (BaseControl._trigger_event).
    event_type = get_event_field_type(svc, "on_tap")
    e = from_dict(event_type, {"control": svc, "name": "tap", "id": 1, "action_id": "", "payload": "/morning",
                               "input": "", "response_type": "tap", "data": {}})
    svc.on_tap(e)
    assert page.routes == ["/morning"]


def test_the_real_python_half_sends_invokes_its_dart_half_handles(store):
    """The real LocalNotifications, with only its transport replaced: method names must be
    cases of the Dart service's dispatch, and the schedule payload what its parser reads."""
    dart = DART_SERVICE.read_text(encoding="utf-8")
    handled = set(re.findall(r'case "([a-z_]+)":', dart))
    assert {"schedule", "cancel", "request_permissions", "get_launch_details"} <= handled
    page = FakePage()
    r = PhoneReminders(page, store, clock=lambda: NOW)
    invokes = []
    answers = {
        "get_launch_details": json.dumps({"did_notification_launch_app": True, "notification": {
            "id": 2, "action_id": "", "payload": "/evening", "input": "", "response_type": "tap", "data": {}}}),
        "request_permissions": "true", "are_notifications_enabled": "true",
        "can_schedule_exact_notifications": "true",
    }

    async def transport(name, arguments=None, timeout=None):
        invokes.append((name, arguments))
        return answers.get(name, "ok")

    r.notifications._invoke_method = transport
    run(r.start())
    assert page.routes == ["/evening"]
    assert {name for name, _ in invokes} <= handled, "an invoke the Dart side does not handle"
    assert [args for name, args in invokes if name == "cancel"] == [{"id": i} for i in OUR_IDS if i != 100]
    schedules = [args for name, args in invokes if name == "schedule"]
    assert len(schedules) == 59 and [(s["id"], s["payload"]) for s in schedules[:3]] == [
        (200, "/evening"), (101, "/morning"), (201, "/evening")]
    for s in schedules:
        assert s["match_components"] is None  # parseMatchComponents(null): no repeat, one-shot
        when = s["when"]  # read by scheduling.dart parseWhen: an aware instant in the zone
        assert when["time_zone"] == "Europe/Berlin" and when["utc_offset_seconds"] == 7200
        assert s["schedule_mode"] == "exactAllowWhileIdle" and s["channel_id"] == "reminders"
        at = datetime.fromisoformat(when["iso"])
        assert at > NOW and at.strftime("%H:%M") == ("05:30" if s["payload"] == "/morning" else "20:00")
        assert (at.date() - date(2026, 6, 10)).days == s["id"] % 100
    assert r.status == phone.STATUS_SCHEDULED


# --- the one-channel rule (services/reminder_plan.device_plan) ------------------------------

def reachable(store, push=False, email=False):
    """The server's facts as a pull writes them."""
    store.query("update settings set push_reachable = ?, email_reachable = ?", (int(push), int(email)))


def test_reminders_for_follows_the_device_plan_for_the_member(store):
    assert len(reminders_for(store, EARLY)) == 60  # a guest (the default)
    reachable(store, push=True)
    assert reminders_for(store, EARLY, (True, False)) == []  # the server pushes to a phone
    assert len(reminders_for(store, EARLY)) == 60  # signed out again: the phone reminds itself
    reachable(store, push=False)
    assert len(reminders_for(store, EARLY, (True, False))) == 60  # no phone for push: this one reminds
    assert reminders_for(store, EARLY, (True, True)) == []  # behind the paywall
    update_settings(store, EARLY, morning_reminder=False)
    assert {r.kind for r in reminders_for(store, EARLY, (True, False))} == {"evening"}
    update_settings(store, EARLY, morning_reminder=True, evening_reminder=False)
    assert {r.id for r in reminders_for(store, EARLY)} == set(range(100, 130))


def test_when_the_server_takes_over_the_phone_cancels_all_of_ours_and_asks_nothing(store):
    n = FakeNotifications()
    member = [(True, False)]
    r = PhoneReminders(FakePage(), store, n, clock=lambda: NOW, monotonic=Ticks(), member=lambda: member[0])

    async def scenario():
        await r.start()
        assert len(n.scheduled()) == 59  # nobody else reminds yet
        reachable(store, email=True)
        update_settings(store, NOW, email_reminders=True)  # email reminders on: the server sends them
        n.calls.clear()
        await r.reschedule()

    run(scenario())
    assert n.names() == ["cancel"] * 62 and cancelled(n) == list(OUR_IDS)
    assert r.status == phone.STATUS_OFF


def test_a_member_behind_the_paywall_has_nothing_scheduled(store):
    n = FakeNotifications()
    r = PhoneReminders(FakePage(), store, n, clock=lambda: NOW, monotonic=Ticks(), member=lambda: (True, True))
    run(r.start())
    assert n.scheduled() == [] and "request_permissions" not in n.names() and r.status == phone.STATUS_OFF


def test_a_part_switched_off_is_cancelled_even_when_its_reminder_is_showing(store):
    n = FakeNotifications()
    r = reminders(store, n)  # 14:00: today's morning reminder went off and stays shown
    run(r.start())
    assert 100 not in cancelled(n)
    update_settings(store, NOW, morning_reminder=False)
    n.calls.clear()
    run(r.reschedule())
    assert 100 in cancelled(n)  # the member turned the morning off: it leaves the list too
    assert scheduled_ids(n) == set(range(200, 230))


def test_install_passes_the_member_on(store, monkeypatch):
    monkeypatch.setattr(phone, "_real_notifications", lambda on_tap: FakeNotifications())
    r = install(FakePage(), store, clock=lambda: NOW, member=lambda: (True, True))
    assert r.member() == (True, True)
