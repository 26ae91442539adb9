from datetime import date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from chris_app.domain.days import zone
from chris_app.domain.reminders import daily_reminder, next_reminder, upcoming


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def test_before_the_morning_time_the_morning_reminder_is_today():
    # 04:00 in Berlin (CEST) on 10 June; morning at 05:30 local = 03:30 UTC.
    r = next_reminder("morning", "05:30", utc(2026, 6, 10, 2, 0), "Europe/Berlin", 3, done_today=False)
    assert r.at == utc(2026, 6, 10, 3, 30) and r.route == "/morning"


def test_a_morning_already_done_moves_the_reminder_to_tomorrow():
    r = next_reminder("morning", "05:30", utc(2026, 6, 10, 2, 0), "Europe/Berlin", 3, done_today=True)
    assert r.at == utc(2026, 6, 11, 3, 30)


def test_after_the_evening_time_the_evening_reminder_is_tomorrow():
    r = next_reminder("evening", "20:00", utc(2026, 6, 10, 19, 0), "Europe/Berlin", 3, done_today=False)
    assert r.at == utc(2026, 6, 11, 18, 0) and r.route == "/evening"


def test_reminders_follow_the_members_time_zone():
    r = next_reminder("morning", "06:00", utc(2026, 6, 10, 0, 0), "America/New_York", 3, done_today=False)
    assert r.at == utc(2026, 6, 10, 10, 0)  # 06:00 EDT


def test_a_morning_time_inside_the_spring_forward_gap_fires_just_after_it():
    # Berlin skips 02:00–03:00 on 29 March 2026; a 02:30 reminder fires at 03:30 CEST = 01:30 UTC.
    r = next_reminder("morning", "02:30", utc(2026, 3, 28, 12, 0), "Europe/Berlin", 0, done_today=False)
    assert r.at == utc(2026, 3, 29, 1, 30)


def test_a_time_that_happens_twice_in_autumn_fires_once_at_its_first_occurrence():
    # 02:30 happens twice in Berlin on 25 Oct 2026: first at 00:30 UTC (CEST).
    r = next_reminder("morning", "02:30", utc(2026, 10, 24, 12, 0), "Europe/Berlin", 0, done_today=False)
    assert r.at == utc(2026, 10, 25, 0, 30)


def test_both_reminders_come_soonest_first():
    rs = upcoming(utc(2026, 6, 10, 12, 0), "Europe/Berlin", 3, "05:30", "20:00", True, False)
    assert [r.kind for r in rs] == ["evening", "morning"]


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(timezone.utc)),
       st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]),
       st.integers(0, 23), st.integers(0, 59), st.booleans())
def test_the_next_reminder_is_always_in_the_future_and_within_two_days(now, tz, hour, minute, done):
    r = next_reminder("morning", f"{hour:02d}:{minute:02d}", now, tz, 3, done_today=done)
    assert now < r.at
    assert (r.at - now).total_seconds() <= 2 * 86400 + 3600


# daily_reminder: the anchor of a daily repeat, whose local hour and minute the phone keeps.

def test_a_daily_reminder_is_the_next_time_the_local_clock_reads_the_protocol_time():
    r = daily_reminder("evening", "20:00", utc(2026, 6, 10, 12, 0), "Europe/Berlin")
    assert r.at == utc(2026, 6, 10, 18, 0) and r.route == "/evening" and r.title == "Evening review"
    r = daily_reminder("evening", "20:00", utc(2026, 6, 10, 18, 0), "Europe/Berlin")  # exactly then: next day
    assert r.at == utc(2026, 6, 11, 18, 0)


def test_a_daily_reminder_passes_over_the_day_its_time_does_not_exist():
    # Berlin skips 02:00–03:00 on 29 March 2026: anchoring there would be 03:30 every day after.
    r = daily_reminder("morning", "02:30", utc(2026, 3, 28, 12, 0), "Europe/Berlin")
    assert r.at == utc(2026, 3, 30, 0, 30)  # 02:30 CEST on the 30th
    # Lord Howe moves its clocks by half an hour (02:00 → 02:30 on 4 October 2026).
    r = daily_reminder("morning", "02:15", utc(2026, 10, 3, 12, 0), "Australia/Lord_Howe")
    assert r.at.astimezone(zone("Australia/Lord_Howe")).date() == date(2026, 10, 5)


def test_a_daily_reminder_on_the_night_a_time_happens_twice_takes_the_first():
    r = daily_reminder("morning", "02:30", utc(2026, 10, 24, 12, 0), "Europe/Berlin")
    assert r.at == utc(2026, 10, 25, 0, 30)  # 02:30 CEST, before the clocks go back


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(timezone.utc)),
       st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago"]),
       st.integers(0, 23), st.integers(0, 59))
def test_a_daily_reminder_always_reads_the_protocol_time_on_the_local_clock(now, tz, hour, minute):
    clock = f"{hour:02d}:{minute:02d}"
    r = daily_reminder("morning", clock, now, tz)
    assert now < r.at <= now + timedelta(days=3)
    assert r.at.astimezone(zone(tz)).strftime("%H:%M") == clock
