"""Fires the member's morning and evening reminders while the app runs.

What to remind of comes from `services.reminder_plan.device_plan` (the one-channel rule: none
while the server reminds the member by push or email, none behind the paywall, none for a part
switched off) and the times from `domain.reminders`. It is re-read at least every minute, so a
change of times, time zone or any reminder switch (here or synced) takes effect without a
restart, and a reminder whose part of the day got done meanwhile is dropped. A tap opens the
route."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from chris_app.domain.reminders import Reminder, next_reminder
from chris_app.services.reminder_plan import GUEST, Member, device_plan
from chris_app.store import Store

RECHECK_S = 60.0

Notify = Callable[[Reminder, Callable[[], None]], Awaitable[None]]


class ReminderRunner:
    """`member()` says (signed in, behind the paywall) whenever the schedule is read; the
    default is a guest's (False, False). See `reminder_plan.account_member`."""

    def __init__(self, store: Store, clock: Callable[[], datetime], notify: Notify,
                 open_route: Callable[[str], None],
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 member: Callable[[], Member] = lambda: GUEST) -> None:
        self.store, self.clock, self.notify, self.open_route, self.sleep = store, clock, notify, open_route, sleep
        self.member = member
        self.fired: set[tuple[str, datetime]] = set()

    def schedule(self, now: datetime) -> list[Reminder]:
        """The next reminders as things stand at `now`, soonest first (none when this device
        does not remind)."""
        signed_in, paywalled = self.member()
        plan = device_plan(self.store, now, signed_in=signed_in, paywalled=paywalled)
        done = {"morning": plan.morning_done, "evening": plan.evening_done}
        return sorted((next_reminder(kind, clock, now, plan.timezone, plan.day_start_hour, done[kind])
                       for kind, clock in plan.times().items()), key=lambda r: r.at)

    async def tick(self) -> float:
        """Fire what is due, then return how long to sleep before the next look."""
        now = self.clock()
        # What was scheduled just before now: a reminder is due if it is still in that
        # schedule (its part of the day not done, times unchanged, reminders on).
        for reminder in self.schedule(now - timedelta(seconds=RECHECK_S + 1)):
            if reminder.at <= now and (reminder.kind, reminder.at) not in self.fired:
                self.fired.add((reminder.kind, reminder.at))
                await self.notify(reminder, lambda route=reminder.route: self.open_route(route))
        pending = self.schedule(now)
        soonest = min(((r.at - now).total_seconds() for r in pending), default=RECHECK_S)
        return max(0.5, min(RECHECK_S, soonest))

    async def run_forever(self) -> None:
        while True:
            await self.sleep(await self.tick())


def desktop_notify() -> Notify | None:
    """A sender through the desktop's notification service, or None where there is none."""
    try:
        from desktop_notifier import DesktopNotifier
    except ImportError:  # pragma: no cover - a dependency; absent only in odd installs
        return None
    notifier = DesktopNotifier(app_name="Chris Disciplined")

    async def send(reminder: Reminder, on_click: Callable[[], None]) -> None:
        try:
            await notifier.send(title=reminder.title, message=reminder.body, on_clicked=on_click)
        except Exception:  # no notification service (e.g. no D-Bus session): stay quiet
            pass

    return send
