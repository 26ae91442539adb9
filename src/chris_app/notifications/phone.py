"""Reminders on phones: the member's morning and evening reminders as notifications that the
phone's own scheduler delivers, whether the app runs or not (flet-notifications, which wraps
flutter_local_notifications). A tap opens /morning or /evening, also when the tap is what
started the app.

Where this runs: only in a built phone app (`flet build apk` / `flet build ipa`, then the
`flet-notifications-patch` step on Android, see docs/phone-build.md). The extension's Dart half
is compiled into the app by `flet build`; the prebuilt web and desktop clients do not contain
it, so there the service never answers. Building a phone app needs the Flutter SDK, which was
not available where this was written: what is tested here is the Python side, against a
recording double checked call by call against the real `LocalNotifications` and the wire
payloads that its Dart side reads. It has not run on a phone.

What the phone holds: one-shot notifications, each at an instant in the member's time zone
(from their profile, not the phone's), for the next `DAYS_AHEAD` (30) local days, at most one
per part of the day and day: `domain.reminders.reminders_ahead`, the rules the desktop runner
applies. A daily repeat cannot skip a day (the phone keeps only the hour and minute), so it
could not leave out a part of today already done; one-shots can. They run out after 30 days:
every app start reschedules, and `app.py` kicks a reschedule when `reminder_plan.plan_key`
changes (times, day start, time zone, a reminder switch, the server's channel for the member,
the paywall or today's done parts, here or synced from another device; today's part then drops
out) and when the app comes back to the foreground. At most 60 pending, under iOS's limit of 64.

Whether the phone reminds at all is `services.reminder_plan.device_plan`: not while the server
reminds the member by push or email (one channel), not behind the paywall, and not for a part
of the day whose switch is off. `PhoneReminders(member=...)` says who the member is.

Ids: by part of the day and local day counted from today (`MORNING_IDS` 100 + day,
`EVENING_IDS` 200 + day). A reschedule cancels all of them and the ids 1 and 2 of the daily
repeats an earlier version scheduled, then schedules anew: nothing of ours is left over, and
nothing else is touched. Cancelling also takes away one of ours that is showing
(flutter_local_notifications' cancel removes delivered notifications too).

Permission: asked once per run, the first time reminders are on (on iPhones the system prompt
comes when the service starts, as the plugin asks for alert and sound at initialisation). If
the member refuses, nothing is scheduled and `status` says so for the Settings screen."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flet_notifications import (
    AndroidScheduleMode,
    Importance,
    LocalNotifications,
    NotificationChannel,
    NotificationError,
)

from chris_app.domain.days import zone
from chris_app.domain.reminders import DAYS_AHEAD, reminders_ahead
from chris_app.services.reminder_plan import GUEST, DevicePlan, Member, device_plan
from chris_app.state import system_clock
from chris_app.store import Store

log = logging.getLogger(__name__)

KINDS = ("morning", "evening")
MORNING_IDS = range(100, 100 + DAYS_AHEAD)  # by local day from today: 100 today, 101 tomorrow…
EVENING_IDS = range(200, 200 + DAYS_AHEAD)
IDS = {"morning": MORNING_IDS, "evening": EVENING_IDS}
OLD_IDS = (1, 2)  # the daily repeats (morning, evening) of the first phone version
OUR_IDS = (*OLD_IDS, *MORNING_IDS, *EVENING_IDS)  # what a reschedule cancels
ROUTES = frozenset(f"/{kind}" for kind in KINDS)  # the payloads a tap may open
CHANNEL_ID = "reminders"  # Android notification channel ("Reminders" in the phone's settings)
CALL_TIMEOUT_S = 30.0  # a service that never answers (no Dart half) must not hang us
PERMISSION_TIMEOUT_S = 300.0  # the member may take a while with the system dialog
SAME_TAP_S = 5.0  # one tap reported twice (cold start: replayed and in the launch details)

STATUS_PENDING = "pending"
STATUS_OFF = "off"
STATUS_DENIED = "denied"
STATUS_SCHEDULED = "scheduled"
STATUS_UNAVAILABLE = "unavailable"

MESSAGES = {
    STATUS_PENDING: "",
    STATUS_OFF: "Reminders are off.",
    STATUS_DENIED: "Notifications are off for this app in the phone's settings.",
    STATUS_UNAVAILABLE: "Reminders could not be set on this phone.",
}

SESSION_KEY = "chris_app.phone_reminders"


@dataclass(frozen=True, slots=True)
class PhoneReminder:
    """One one-shot notification as the phone's scheduler gets it."""

    id: int
    kind: str  # "morning" | "evening"
    title: str
    body: str
    route: str  # the payload: what a tap opens
    time_of_day: str  # "HH:MM", the member's protocol time for that part of the day
    time_zone: str  # the member's IANA time zone
    at: datetime  # aware, in time_zone: when it fires


def wanted_reminders(reminders_on: bool, time_zone: str, now: datetime, *, day_start_hour: int,
                     morning_time: str | None, evening_time: str | None,
                     morning_done: bool = False, evening_done: bool = False) -> list[PhoneReminder]:
    """The notifications the phone should hold, soonest first: none when reminders are off,
    else `domain.reminders.reminders_ahead` (a time of None: no reminder for that part; done:
    that part of today's protocol day is done, so today's is left out)."""
    if not reminders_on:
        return []
    times = {"morning": morning_time, "evening": evening_time}
    wanted = []
    for ahead in reminders_ahead(now, time_zone, day_start_hour, morning_time=morning_time,
                                 evening_time=evening_time, morning_done=morning_done,
                                 evening_done=evening_done):
        r = ahead.reminder
        wanted.append(PhoneReminder(
            id=IDS[r.kind][ahead.day], kind=r.kind, title=r.title, body=r.body, route=r.route,
            time_of_day=times[r.kind], time_zone=time_zone, at=r.at.astimezone(zone(time_zone)),
        ))
    return wanted


def reminders_for(store: Store, now: datetime, member: Member = GUEST) -> list[PhoneReminder]:
    """`wanted_reminders` of `reminder_plan.device_plan` for `member` (signed in, paywalled):
    the member's profile, reminder switches, the server's channel and today's protocol day on
    this device (whether the morning and the evening are done), as the desktop runner reads them."""
    signed_in, paywalled = member
    return _wanted(device_plan(store, now, signed_in=signed_in, paywalled=paywalled), now)


def _wanted(plan: DevicePlan, now: datetime) -> list[PhoneReminder]:
    return wanted_reminders(plan.reminds, plan.timezone, now, day_start_hour=plan.day_start_hour,
                            morning_time=plan.morning_time, evening_time=plan.evening_time,
                            morning_done=plan.morning_done, evening_done=plan.evening_done)


def _real_notifications(on_tap: Callable[[Any], None]) -> LocalNotifications:
    # The handler goes in at construction: Flet sends a service's handlers to the client when
    # it registers, and the client drops events (the replayed cold-start tap too) for which
    # none was sent. No badge: the app never sets one.
    return LocalNotifications(on_tap=on_tap, request_badge_permission=False)


class PhoneReminders:
    """Keeps the phone's scheduled reminders in line with the member's settings.

    Keep a reference for as long as the page lives (`install` does): Flet drops a service
    nothing references, and with it the tap handler. `member()` says (signed in, behind the
    paywall) at each reschedule; the default is a guest's (see `reminder_plan.account_member`)."""

    def __init__(self, page: Any, store: Store, notifications: Any = None, *,
                 clock: Callable[[], datetime] = system_clock,
                 monotonic: Callable[[], float] = time.monotonic,
                 member: Callable[[], Member] = lambda: GUEST) -> None:
        self.page, self.store, self.clock, self.monotonic = page, store, clock, monotonic
        self.member = member
        if notifications is None:
            notifications = _real_notifications(self._on_tap)
        else:  # a double, or a service not yet registered (else the client never hears of it)
            notifications.on_tap = self._on_tap
        self.notifications = notifications
        self.status = STATUS_PENDING
        self.scheduled: list[PhoneReminder] = []
        self.on_status_change: Callable[[], None] | None = None  # e.g. re-render Settings
        self._asked = False
        self._channel_made = False
        self._lock = asyncio.Lock()
        self._opened: dict[str, float] = {}

    @property
    def message(self) -> str:
        """What the Settings screen can show about reminders on this phone."""
        if self.status == STATUS_SCHEDULED:
            times = " and ".join(dict.fromkeys(
                r.time_of_day for kind in KINDS for r in self.scheduled if r.kind == kind))
            return (f"Reminders at {times} ({self.scheduled[0].time_zone} time) for the next "
                    f"{DAYS_AHEAD} days; open the app now and then to keep them coming.")
        return MESSAGES[self.status]

    async def start(self) -> None:
        """At app start: open the route of a notification tap that started the app, then
        bring the phone's schedule in line with the settings (asking for permission)."""
        await self._open_launch_tap()
        await self.reschedule()

    async def reschedule(self) -> None:
        """After any change of what `reminder_plan.plan_key` covers (times, day start, time
        zone, a reminder switch, the server's channel, the paywall, the morning or the evening
        saved)."""
        async with self._lock:
            try:
                await self._reschedule()
            except Exception:  # the service failed or never answered: say so, don't crash
                log.warning("phone reminders could not be scheduled", exc_info=True)
                self._set(STATUS_UNAVAILABLE, [])

    def kick(self) -> None:
        """`reschedule` in the background, from synchronous code (a Settings handler, or right
        after the morning or the evening is saved: today's reminder for it then drops out)."""
        self.page.run_task(self.reschedule)

    async def open_phone_settings(self) -> None:
        """The phone's notification settings for this app (to turn notifications back on)."""
        await self._call(self.notifications.open_app_notification_settings())

    async def _reschedule(self) -> None:
        n = self.notifications
        now = self.clock()
        signed_in, paywalled = self.member()
        plan = device_plan(self.store, now, signed_in=signed_in, paywalled=paywalled)
        wanted = _wanted(plan, now)
        if not wanted:
            await self._cancel_ours()
            self._set(STATUS_OFF, [])
            return
        if not self._asked:
            self._asked = True
            granted = await self._call(n.request_permissions(), PERMISSION_TIMEOUT_S)
        else:  # asked already this run: the member may have changed it in the phone's settings
            granted = await self._call(n.are_notifications_enabled())
        if not granted:
            await self._cancel_ours()
            self._set(STATUS_DENIED, [])
            return
        await self._make_channel()
        mode = await self._schedule_mode()
        await self._cancel_ours(keep=self._shown_today(plan, wanted))
        for r in wanted:
            await self._call(n.schedule(  # one-shot: no match_components
                id=r.id, when=r.at, title=r.title, body=r.body, payload=r.route,
                time_zone=r.time_zone, schedule_mode=mode, channel_id=CHANNEL_ID,
            ))
        self._set(STATUS_SCHEDULED, wanted)

    async def _cancel_ours(self, keep: frozenset[int] = frozenset()) -> None:
        for notification_id in OUR_IDS:
            if notification_id not in keep:
                await self._call(self.notifications.cancel(id=notification_id))

    @staticmethod
    def _shown_today(plan: DevicePlan, wanted: list[PhoneReminder]) -> frozenset[int]:
        """Today's reminders that already went off for a part still reminded and not done yet:
        cancelling would take them off the phone's notification list, so they stay (a done
        part's goes, and so does a part whose switch is now off)."""
        done = {"morning": plan.morning_done, "evening": plan.evening_done}
        open_parts = [kind for kind in plan.times() if not done[kind]]
        return frozenset(IDS[kind][0] for kind in open_parts) - {r.id for r in wanted}

    async def _make_channel(self) -> None:
        if self._channel_made:
            return
        channel = NotificationChannel(id=CHANNEL_ID, name="Reminders", importance=Importance.HIGH,
                                      description="Your morning protocol and evening review, at your times.")
        try:
            await self._call(self.notifications.create_notification_channel(channel))
        except NotificationError as exc:  # channels are Android's; iPhones have none
            if exc.code != "unsupported_platform":
                raise
        self._channel_made = True

    async def _schedule_mode(self) -> Any:
        """Exact when the phone allows it (Android 14 denies exact alarms unless the member
        grants them), otherwise within the phone's batching window rather than not at all."""
        if await self._call(self.notifications.can_schedule_exact_notifications()):
            return AndroidScheduleMode.EXACT_ALLOW_WHILE_IDLE
        return AndroidScheduleMode.INEXACT_ALLOW_WHILE_IDLE

    async def _open_launch_tap(self) -> None:
        # The plugin also replays a cold-start tap to on_tap, but only once per distinct
        # (id, payload): the same pairs come back (100 is today's morning after every
        # reschedule), so the replay may stay silent. The launch details have no such memory.
        try:
            details = await self._call(self.notifications.get_notification_app_launch_details())
        except Exception:
            log.warning("notification launch details unavailable", exc_info=True)
            return
        tap = details.notification if details.did_notification_launch_app else None
        if tap is not None and tap.response_type == "tap":
            self._open(tap.payload)

    def _on_tap(self, e: Any) -> None:
        self._open(e.payload)

    def _open(self, route: str) -> None:
        if route not in ROUTES:
            return  # not one of ours (or from an older version): ignore
        now = self.monotonic()
        if now - self._opened.get(route, float("-inf")) < SAME_TAP_S:
            return  # the same tap, reported both ways at a cold start
        self._opened[route] = now
        self.page.navigate(route)

    async def _call(self, awaitable: Any, timeout: float | None = None) -> Any:
        return await asyncio.wait_for(awaitable, CALL_TIMEOUT_S if timeout is None else timeout)

    def _set(self, status: str, scheduled: list[PhoneReminder]) -> None:
        self.status, self.scheduled = status, scheduled
        if self.on_status_change is not None:
            self.on_status_change()


def install(page: Any, store: Store, clock: Callable[[], datetime] = system_clock,
            member: Callable[[], Member] = lambda: GUEST) -> PhoneReminders:
    """Create the page's phone reminders, keep them for the page's session and start them."""
    reminders = PhoneReminders(page, store, clock=clock, member=member)
    page.session.store.set(SESSION_KEY, reminders)
    page.run_task(reminders.start)
    return reminders


def current(page: Any) -> PhoneReminders | None:
    """The page's phone reminders, or None (desktop, web, or not installed)."""
    return page.session.store.get(SESSION_KEY)
