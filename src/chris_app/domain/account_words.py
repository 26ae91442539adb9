"""What the account's server facts say in words: a device's platform, how long ago it was seen,
and each event of the account's activity log (the audit log). Pure: the screens pass the clock."""

from __future__ import annotations

from datetime import datetime, tzinfo

PLATFORMS = {
    "android": "Android phone",
    "ios": "iPhone or iPad",
    "windows": "Windows computer",
    "macos": "Mac",
    "linux": "Linux computer",
    "web": "Web browser",
}

EVENTS = {
    "export_created": "An export of your data was made",
    "export_downloaded": "Your export was downloaded",
    "account_deleted": "Your account was deleted",
    "support_access": "Support looked at your account",
    "sessions_revoked": "Your other devices were signed out",
}
ACTORS = {"member": "by you", "support": "by support", "system": "by the app"}


def platform_words(platform: str | None) -> str:
    return PLATFORMS.get(platform or "", "Device of unknown kind")


def device_line(platform: str | None, app_version: str | None) -> str:
    """"Android phone · version 0.2.0"."""
    words = platform_words(platform)
    return f"{words} · version {app_version}" if app_version else words


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}{'' if n == 1 else 's'} ago"


def ago(then: datetime, now: datetime, zone: tzinfo | None = None) -> str:
    """"just now", "5 minutes ago", "3 hours ago", "2 days ago", else the date ("on 2 Nov 2026",
    in `zone` when given). A time ahead of `now` (another device's clock) counts as just now."""
    seconds = (now - then).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return _plural(int(seconds // 60), "minute")
    if seconds < 86400:
        return _plural(int(seconds // 3600), "hour")
    if seconds < 30 * 86400:
        return _plural(int(seconds // 86400), "day")
    local = then.astimezone(zone) if zone else then
    return f"on {local.day} {local:%b %Y}"


def seen_words(then: datetime, now: datetime, this_device: bool, zone: tzinfo | None = None) -> str:
    return "This device" if this_device else f"Last seen {ago(then, now, zone)}"


def event_words(event: str, actor: str, detail: dict | None = None) -> str:
    """One line of the activity list: what happened and who did it ("Support looked at your
    account: your question about billing")."""
    text = EVENTS.get(event, event.replace("_", " ").capitalize())
    reason = (detail or {}).get("reason") if event == "support_access" else None
    if isinstance(reason, str) and reason.strip():
        return f"{text}: {reason.strip()}"
    who = ACTORS.get(actor)
    return f"{text} {who}" if who and event != "support_access" else text


def when_words(at: datetime, zone: tzinfo | None = None) -> str:
    """"2 Dec 2026, 04:12" in the member's zone."""
    local = at.astimezone(zone) if zone else at
    return f"{local.day} {local:%b %Y}, {local:%H:%M}"
