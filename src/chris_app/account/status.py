"""Where the member stands with their account on this device: the one question views ask."""

from __future__ import annotations

import enum


class AccountStatus(enum.Enum):
    """GUEST        no backend configured, or nobody signed in: everything stays on this device.
    NEEDS_CODE   signed in, but the two-step code from the authenticator app is still owed.
    NEEDS_CARRY  signed in; the member has not yet confirmed carrying this device's data in.
    SYNCING      signed in and linked: the device syncs in the background."""

    GUEST = "guest"
    NEEDS_CODE = "needs_code"
    NEEDS_CARRY = "needs_carry"
    SYNCING = "syncing"
