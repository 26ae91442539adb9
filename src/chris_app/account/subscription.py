"""The member's subscription as the last pull (or the live profile) brought it."""

from __future__ import annotations

import json
from datetime import datetime

from chris_app.domain.subscription import Subscription
from chris_app.store import Store


def last_pulled_subscription(store: Store) -> Subscription | None:
    """None until a pull brought the server's profile (or it has no subscription state)."""
    rows = store.query("select value from sync_state where key = 'server_profile'")
    if not rows:
        return None
    data = json.loads(rows[0]["value"])
    if not data.get("subscription_status"):
        return None
    ends = data.get("trial_ends_at")
    return Subscription(data["subscription_status"], datetime.fromisoformat(ends) if ends else None)
