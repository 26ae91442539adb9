"""What this device's reminders depend on, read from the store in one place (docs/rules.md,
"Reminders"): the desktop runner (`notifications/runner`), the phone's scheduler
(`notifications/phone`), the phone's reschedule key (`plan_key`) and the Settings screen
(`describe_reach`) all ask here, so they cannot disagree.

One channel per member: the server's channel comes from the synced switches and the server's
facts (`domain.reminders.reminder_channel`), and this device reminds only where the server does
not (`domain.reminders.device_reminds`). The `morning_reminder` / `evening_reminder` switches
apply to every channel: a part switched off has no time here. A part of today's protocol day
already done is not reminded (`services.day.parts_done`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from chris_app.domain.reminders import Channel, device_reminds, reminder_channel
from chris_app.models import SettingsInput
from chris_app.services.day import parts_done
from chris_app.services.profile import ServerFacts, get_profile, get_server_facts, get_settings
from chris_app.store import Store

Member = tuple[bool, bool]  # (signed in, behind the paywall)
GUEST: Member = (False, False)
Device = Literal["phone", "desktop", "web"]  # where the app runs: what it can show by itself


@dataclass(frozen=True, slots=True)
class DevicePlan:
    """What this device reminds of, as things stand at one instant.

    reminds: whether it schedules its own reminders at all; channel: the server's channel for
    the member (None: the server sends none, and always None for a guest); the member's time
    zone and day start; the protocol times of the parts switched on (None: that part is off);
    whether today's morning and evening are done."""

    reminds: bool
    channel: Channel | None
    timezone: str
    day_start_hour: int
    morning_time: str | None
    evening_time: str | None
    morning_done: bool
    evening_done: bool

    def times(self) -> dict[str, str]:
        """{"morning": "05:30", "evening": "20:00"} for the parts this device reminds of."""
        if not self.reminds:
            return {}
        return {kind: clock for kind, clock in (("morning", self.morning_time), ("evening", self.evening_time))
                if clock is not None}


def server_channel(prefs: SettingsInput, facts: ServerFacts, *, signed_in: bool) -> Channel | None:
    """The server's one channel for the member (None for a guest: the server knows no guest)."""
    if not signed_in:
        return None
    return reminder_channel(push_on=prefs.push_notifications, push_reachable=facts.push_reachable,
                            email_on=prefs.email_reminders, email_reachable=facts.email_reachable)


def device_plan(store: Store, now: datetime, *, signed_in: bool, paywalled: bool) -> DevicePlan:
    """Everything this device's reminders depend on, read in one go."""
    with store.reading():  # one state: no write of this process comes in between
        profile, prefs, facts = get_profile(store), get_settings(store), get_server_facts(store)
        morning_done, evening_done = parts_done(store, now)
    channel = server_channel(prefs, facts, signed_in=signed_in)
    return DevicePlan(
        reminds=device_reminds(signed_in=signed_in, on_device_on=prefs.on_device_reminders,
                               paywalled=paywalled, channel=channel),
        channel=channel,
        timezone=profile.timezone,
        day_start_hour=profile.day_start_hour,
        morning_time=profile.morning_time if prefs.morning_reminder else None,
        evening_time=profile.evening_time if prefs.evening_reminder else None,
        morning_done=morning_done,
        evening_done=evening_done,
    )


def plan_key(store: Store, now: datetime, member: Member = GUEST) -> tuple:
    """A value that changes exactly when the phone's scheduled reminders must change (the key of
    app.py's reschedule effect): `app.read(plan_key, app.now(), member())`."""
    signed_in, paywalled = member
    return dataclasses.astuple(device_plan(store, now, signed_in=signed_in, paywalled=paywalled))


def account_member(account: Any, clock: Callable[[], datetime]) -> Callable[[], Member]:
    """The `member` callable of ReminderRunner / PhoneReminders for an `account.Account` (or
    None in guest mode): signed in = signed in and syncing on this device (as Settings says);
    paywalled = `Subscription.paywalled` of the subscription last pulled."""

    def member() -> Member:
        if account is None:
            return GUEST
        from chris_app.account.status import AccountStatus  # loaded with the account

        if account.status is not AccountStatus.SYNCING:
            return GUEST
        subscription = account.subscription()
        return True, bool(subscription and subscription.paywalled(clock()))

    return member


# -- what the Settings screen says ---------------------------------------------------------------
def _parts(plan: DevicePlan) -> str:
    if plan.morning_time and plan.evening_time:
        return f"Your morning ({plan.morning_time}) and evening ({plan.evening_time}) reminders"
    if plan.morning_time:
        return f"Your morning reminder ({plan.morning_time})"
    return f"Your evening reminder ({plan.evening_time})"


def _join(reasons: list[str]) -> str:
    return reasons[0] if len(reasons) == 1 else ", ".join(reasons[:-1]) + " and " + reasons[-1]


@dataclass(frozen=True, slots=True)
class Reach:
    """How reminders reach the member now: by the server's channel, this device, or not at all
    (None), and that in one sentence."""

    by: Literal["push", "email", "device"] | None
    text: str


def describe_reach(plan: DevicePlan, prefs: SettingsInput, facts: ServerFacts, *, signed_in: bool,
                   paywalled: bool, email: str | None, device: Device) -> Reach:
    """How reminders reach the member right now, or why none do. From the same plan the device
    schedules by, so it never says what does not happen."""
    if signed_in and paywalled:
        return Reach(None, "No reminders now: your free trial has ended. Subscribe to get them again.")
    if plan.morning_time is None and plan.evening_time is None:
        return Reach(None, "No reminders: the morning and evening reminders are both off.")
    parts = _parts(plan)
    come = "come" if plan.morning_time and plan.evening_time else "comes"
    if plan.channel == "push":
        return Reach("push", f"{parts} {come} as push notifications on your phone.")
    if plan.channel == "email":
        return Reach("email", f"{parts} {come} by email to {email}." if email else f"{parts} {come} by email.")
    if plan.reminds and device == "phone":
        return Reach("device", f"{parts} {come} as notifications on this phone.")
    if plan.reminds and device == "desktop":
        return Reach("device", f"{parts} {come} as notifications on this computer while the app is open.")
    reasons = []
    if signed_in:
        if not prefs.push_notifications:
            reasons.append("push notifications are off")
        elif not facts.push_reachable:
            reasons.append("no phone is set up for push (open the app on your phone and allow notifications)")
        if not prefs.email_reminders:
            reasons.append("email reminders are off")
        elif not facts.email_reachable:
            reasons.append("email reminders cannot be sent right now")
    if not prefs.on_device_reminders:
        reasons.append("notifications on this device are off")
    elif device == "web":
        reasons.append("a browser tab cannot show notifications")
    return Reach(None, f"No reminders reach you: {_join(reasons)}.")
