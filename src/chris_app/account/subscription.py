"""The member's subscription as the last pull (or the live profile) brought it."""

from __future__ import annotations

from datetime import datetime

from chris_app.domain.subscription import Subscription
from chris_app.store import Store
from chris_app.sync import sync_state


def last_pulled_subscription(store: Store) -> Subscription | None:
    """None until a pull brought the server's profile (or it has no subscription state)."""
    with store.reading() as conn:
        known = sync_state.server_profile(conn)
    if not known.subscription_status:
        return None
    ends = known.trial_ends_at
    return Subscription(known.subscription_status, datetime.fromisoformat(ends) if ends else None)
