"""The member's account on this device, split by job:

    core.py          Account: the sign-in state machine, and the wiring of the parts below
    status.py        AccountStatus: the one question views ask (via AppState.signed_in)
    secrets.py       where the session is kept on desktops (keychain, else memory)
    sync_loop.py     the background sync thread (kicks, every 5 minutes, Retry-After)
    live.py          the live profile (Supabase Realtime)
    files.py         uploads and downloads after a sync; recordings not on this device
    subscription.py  the subscription as last pulled
    server.py        server reads: leaderboard, devices, audit log, export link, other sessions

Every request goes through the account's one backend door (chris_app.sync.door.Backend)."""

from chris_app.account.secrets import MemorySecrets, system_secrets
from chris_app.account.server import AuditEntry, Device, ExportLink, ExportPart
from chris_app.account.status import AccountStatus
from chris_app.account.sync_loop import SYNC_EVERY_S
from chris_app.account.core import Account  # noqa: E402  (core imports the modules above)
from chris_app.sync.loopback import google_error  # the words for a Google sign-in that came back without a code

__all__ = ["Account", "AccountStatus", "AuditEntry", "Device", "ExportLink", "ExportPart", "MemorySecrets", "SYNC_EVERY_S",
           "google_error", "system_secrets"]
