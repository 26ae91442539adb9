from datetime import datetime, timedelta, timezone

import pytest

from chris_app.domain.subscription import Subscription

NOW = datetime(2026, 6, 10, 12, tzinfo=timezone.utc)


@pytest.mark.parametrize("status, trial_left_days, paywalled", [
    ("trial", 3, False),
    ("trial", -1, True),
    ("active", -100, False),
    ("past_due", -1, True),
    ("past_due", 5, False),  # still inside the trial: the protocol stays open
    ("cancelled", -30, True),
])
def test_the_paywall_shows_only_after_the_trial_for_members_who_are_not_active(status, trial_left_days, paywalled):
    assert Subscription(status, NOW + timedelta(days=trial_left_days)).paywalled(NOW) is paywalled


def test_an_unknown_trial_end_never_locks_a_member_out():
    assert not Subscription("trial", None).paywalled(NOW)
    assert not Subscription("cancelled", None).paywalled(NOW)


def test_the_trial_ends_exactly_at_its_end_instant():
    ends = NOW + timedelta(seconds=1)
    assert not Subscription("trial", ends).paywalled(NOW)
    assert Subscription("trial", ends).paywalled(ends)


def test_the_member_reads_how_long_the_trial_has_left():
    assert Subscription("trial", NOW + timedelta(days=3, hours=1)).describe(NOW) == \
        "Your free trial ends in 3 days (13 June)."
    assert "payment failed" in Subscription("past_due", None).describe(NOW)
