from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from chris_app.domain.account_words import ago, device_line, event_words, seen_words, when_words

NOW = datetime(2026, 12, 2, 4, 0, tzinfo=timezone.utc)


def test_how_long_ago_a_device_was_seen():
    assert ago(NOW - timedelta(seconds=20), NOW) == "just now"
    assert ago(NOW + timedelta(minutes=3), NOW) == "just now"  # another device's clock ahead
    assert ago(NOW - timedelta(minutes=1), NOW) == "1 minute ago"
    assert ago(NOW - timedelta(minutes=5, seconds=59), NOW) == "5 minutes ago"
    assert ago(NOW - timedelta(hours=2), NOW) == "2 hours ago"
    assert ago(NOW - timedelta(days=1), NOW) == "1 day ago"
    assert ago(NOW - timedelta(days=45), NOW, ZoneInfo("Europe/Berlin")) == "on 18 Oct 2026"
    assert seen_words(NOW - timedelta(minutes=5), NOW, this_device=False) == "Last seen 5 minutes ago"
    assert seen_words(NOW - timedelta(days=3), NOW, this_device=True) == "This device"


def test_devices_in_words():
    assert device_line("android", "0.2.0") == "Android phone · version 0.2.0"
    assert device_line("web", None) == "Web browser"
    assert device_line(None, "0.1.0") == "Device of unknown kind · version 0.1.0"


def test_activity_in_words():
    assert event_words("export_created", "member") == "An export of your data was made by you"
    assert event_words("sessions_revoked", "member") == "Your other devices were signed out by you"
    assert event_words("support_access", "support", {"reason": "billing question", "staff": "ann"}) \
        == "Support looked at your account: billing question"
    assert event_words("support_access", "support", {}) == "Support looked at your account"
    assert event_words("something_new", "system") == "Something new by the app"
    assert when_words(NOW, ZoneInfo("Europe/Berlin")) == "2 Dec 2026, 05:00"
