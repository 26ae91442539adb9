"""Subscription states (docs/rules.md#subscription) and who sees the paywall.

    trial      the first 14 days after sign-up (trial_ends_at)
    active     paying through Stripe
    past_due   a payment failed; Stripe is retrying
    cancelled  the subscription ended

Only Stripe's webhook changes these on the server; the app only reads them. Guest mode is
never paywalled. A signed-in member whose trial has ended and who is not active sees the
paywall instead of the protocol, and keeps their history and its export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

@dataclass(frozen=True, slots=True)
class Subscription:
    status: str
    trial_ends_at: datetime | None

    def paywalled(self, now: datetime) -> bool:
        if self.status == "active" or self.trial_ends_at is None:
            return False  # an unknown trial end never locks a member out
        return now >= self.trial_ends_at

    def describe(self, now: datetime) -> str:
        if self.status == "active":
            return "Your subscription is active."
        if self.status == "past_due":
            return "Your last payment failed. Update your payment method to keep your protocol open."
        if self.status == "cancelled":
            return "Your subscription has ended."
        if self.trial_ends_at and now < self.trial_ends_at:
            days = (self.trial_ends_at - now).days
            return f"Your free trial ends in {days} day{'s' if days != 1 else ''} ({self.trial_ends_at:%d %B})."
        return "Your free trial has ended."
