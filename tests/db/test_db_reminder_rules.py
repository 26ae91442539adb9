"""The reminder job's SQL twins of the app's rules give the app's answers, on the same cases.

- `private.reminder_channel(push_on, push_reachable, email_on, email_reachable)` against
  `chris_app.domain.reminders.reminder_channel`: all 16 combinations.
- `public.paywalled(status, trial_ends_at, at)` against
  `chris_app.domain.subscription.Subscription.paywalled`: every status with no trial end, one
  past, one exactly now and one ahead; then Hypothesis-drawn instants (microseconds, any UTC
  offset, the trial end sometimes the very instant asked about, written in another offset).

Both are immutable SQL functions meant to be inlined into the reminder job's query; the last
tests check that the planner does inline them (no function call left in the plan).
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chris_app.domain.reminders import reminder_channel
from chris_app.domain.subscription import Subscription

pytestmark = pytest.mark.db

STATUSES = ("trial", "active", "past_due", "cancelled")
NOW = datetime(2026, 6, 10, 5, 30, 0, 123456, tzinfo=timezone.utc)


def sql_channel(db, push_on: bool, push_reachable: bool, email_on: bool, email_reachable: bool) -> str | None:
    return db.execute("select private.reminder_channel(%s, %s, %s, %s)",
                      (push_on, push_reachable, email_on, email_reachable)).fetchone()[0]


def sql_paywalled(db, status: str, trial_ends_at: datetime | None, at: datetime) -> bool:
    return db.execute("select public.paywalled(%s, %s::timestamptz, %s::timestamptz)",
                      (status, trial_ends_at, at)).fetchone()[0]


@pytest.mark.parametrize("push_on, push_reachable, email_on, email_reachable",
                         list(itertools.product([False, True], repeat=4)))
def test_the_channel_is_the_apps_for_every_combination(db, push_on, push_reachable, email_on, email_reachable):
    expected = reminder_channel(push_on=push_on, push_reachable=push_reachable, email_on=email_on,
                                email_reachable=email_reachable)
    assert sql_channel(db, push_on, push_reachable, email_on, email_reachable) == expected


def test_the_channel_cases_cover_all_three_answers(db):
    answers = {sql_channel(db, *case) for case in itertools.product([False, True], repeat=4)}
    assert answers == {"push", "email", None}


TRIAL_ENDS = {
    "none": None,
    "past": NOW - timedelta(days=3),
    "exactly now": NOW,
    "a microsecond ahead": NOW + timedelta(microseconds=1),
    "future": NOW + timedelta(days=3),
}


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("trial_end", list(TRIAL_ENDS), ids=list(TRIAL_ENDS))
def test_the_paywall_is_the_apps_for_every_status_and_trial_end(db, status, trial_end):
    ends = TRIAL_ENDS[trial_end]
    assert sql_paywalled(db, status, ends, NOW) == Subscription(status, ends).paywalled(NOW)


def test_the_paywall_cases_lock_out_past_due_after_the_trial_and_no_active_member(db):
    # the rule the reminder job used to break: past_due members after their trial are paywalled
    assert sql_paywalled(db, "past_due", TRIAL_ENDS["past"], NOW) is True
    assert sql_paywalled(db, "active", TRIAL_ENDS["past"], NOW) is False
    assert sql_paywalled(db, "trial", TRIAL_ENDS["exactly now"], NOW) is True


offsets = st.integers(-14 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
instants = st.builds(
    lambda naive, tz: naive.replace(tzinfo=timezone.utc).astimezone(tz),
    st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 12, 31)),
    offsets,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(status=st.sampled_from(STATUSES), at=instants,
       trial_end=st.one_of(st.none(), instants, st.just("same instant")), offset=offsets)
def test_the_paywall_is_the_apps_at_drawn_instants(db, status, at, trial_end, offset):
    ends = at.astimezone(offset) if trial_end == "same instant" else trial_end
    assert sql_paywalled(db, status, ends, at) == Subscription(status, ends).paywalled(at)


def plan_of(db, sql: str) -> str:
    return "\n".join(row[0] for row in db.execute(f"explain (verbose, costs off) {sql}").fetchall())


def test_the_planner_inlines_both_rules(db):
    plan = plan_of(db, "select public.paywalled(p.subscription_status, p.trial_ends_at, now()),"
                       " private.reminder_channel(s.push_notifications, p.email is not null, s.email_reminders, true)"
                       " from public.profiles p join public.user_settings s on s.id = p.id")
    assert "paywalled" not in plan and "reminder_channel" not in plan, plan
    assert "CASE WHEN" in plan, plan  # their bodies are there instead
