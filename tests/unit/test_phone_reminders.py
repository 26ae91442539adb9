"""The phone's daily notifications, from the member's settings (pure: no phone, no store)."""

from datetime import date, datetime, timezone

from hypothesis import given
from hypothesis import strategies as st

from chris_app.domain.days import zone
from chris_app.domain.reminders import TEXT
from chris_app.notifications.phone import IDS, ROUTES, wanted_reminders


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def local(r):
    return r.first.astimezone(zone(r.time_zone))


# 10 June 2026, 14:00 in Berlin (CEST).
NOW = utc(2026, 6, 10, 12, 0)


def test_both_parts_of_the_day_become_one_daily_notification_each_with_the_domain_wording():
    morning, evening = wanted_reminders(True, "Europe/Berlin", NOW, morning_time="05:30", evening_time="20:00")
    assert (morning.id, morning.kind, morning.route, morning.time_of_day) == (IDS["morning"], "morning", "/morning", "05:30")
    assert (evening.id, evening.kind, evening.route, evening.time_of_day) == (IDS["evening"], "evening", "/evening", "20:00")
    assert (morning.title, morning.body) == TEXT["morning"]
    assert (evening.title, evening.body) == TEXT["evening"]
    assert {morning.route, evening.route} == ROUTES and morning.id != evening.id


def test_the_first_delivery_is_the_next_time_of_day_on_the_members_clock():
    morning, evening = wanted_reminders(True, "Europe/Berlin", NOW, morning_time="05:30", evening_time="20:00")
    assert morning.first == utc(2026, 6, 11, 3, 30)  # tomorrow 05:30 CEST: today's has passed
    assert evening.first == utc(2026, 6, 10, 18, 0)  # today 20:00 CEST
    assert local(morning).strftime("%Y-%m-%d %H:%M") == "2026-06-11 05:30"
    assert morning.first.utcoffset().total_seconds() == 2 * 3600  # handed over in the member's zone


def test_the_members_time_zone_not_the_phones_decides():
    (ny,) = wanted_reminders(True, "America/New_York", NOW, morning_time="06:00", evening_time=None)
    (tokyo,) = wanted_reminders(True, "Asia/Tokyo", NOW, morning_time="06:00", evening_time=None)
    assert ny.time_zone == "America/New_York" and tokyo.time_zone == "Asia/Tokyo"
    assert ny.first == utc(2026, 6, 11, 10, 0)  # 06:00 EDT
    assert tokyo.first == utc(2026, 6, 10, 21, 0)  # 06:00 JST on the 11th (it is 21:00 there now)
    assert local(ny).strftime("%H:%M") == local(tokyo).strftime("%H:%M") == "06:00"


def test_a_time_inside_the_spring_forward_gap_is_anchored_on_a_day_it_exists():
    # Berlin has no 02:30 on 29 March 2026. The phone keeps the anchor's hour and minute:
    # anchoring on 03:30 that night would make every later reminder 03:30.
    (morning,) = wanted_reminders(True, "Europe/Berlin", utc(2026, 3, 28, 12, 0),
                                  morning_time="02:30", evening_time=None)
    assert local(morning).date() == date(2026, 3, 30) and local(morning).strftime("%H:%M") == "02:30"


def test_winter_and_summer_give_the_same_local_time_and_different_utc_instants():
    (winter,) = wanted_reminders(True, "Europe/Berlin", utc(2026, 1, 10, 12, 0), morning_time="05:30", evening_time=None)
    (summer,) = wanted_reminders(True, "Europe/Berlin", utc(2026, 7, 10, 12, 0), morning_time="05:30", evening_time=None)
    assert winter.first == utc(2026, 1, 11, 4, 30) and summer.first == utc(2026, 7, 11, 3, 30)
    assert local(winter).strftime("%H:%M") == local(summer).strftime("%H:%M") == "05:30"


def test_reminders_off_means_no_notifications_at_all():
    assert wanted_reminders(False, "Europe/Berlin", NOW, morning_time="05:30", evening_time="20:00") == []


def test_evening_only_and_morning_only():
    (evening,) = wanted_reminders(True, "Europe/Berlin", NOW, morning_time=None, evening_time="20:00")
    assert evening.kind == "evening" and evening.id == IDS["evening"] and evening.route == "/evening"
    (morning,) = wanted_reminders(True, "Europe/Berlin", NOW, morning_time="05:30", evening_time=None)
    assert morning.kind == "morning" and morning.id == IDS["morning"]
    assert wanted_reminders(True, "Europe/Berlin", NOW, morning_time=None, evening_time=None) == []


def test_an_evening_after_midnight_stays_on_the_clock_time_whatever_the_day_start():
    # Day start does not move a notification: it fires at the wall-clock time every day.
    (evening,) = wanted_reminders(True, "Europe/Berlin", NOW, morning_time=None, evening_time="00:30")
    assert evening.first == utc(2026, 6, 10, 22, 30)  # 00:30 CEST on the 11th


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(timezone.utc)),
       st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago",
                        "Asia/Kolkata", "Pacific/Chatham"]),
       st.integers(0, 23), st.integers(0, 59), st.integers(0, 23), st.integers(0, 59))
def test_every_notification_is_ahead_and_reads_its_time_on_the_members_clock(now, tz, mh, mm, eh, em):
    morning, evening = f"{mh:02d}:{mm:02d}", f"{eh:02d}:{em:02d}"
    wanted = wanted_reminders(True, tz, now, morning_time=morning, evening_time=evening)
    assert [r.time_of_day for r in wanted] == [morning, evening]
    for r in wanted:
        assert r.first > now and r.time_zone == tz
        assert local(r).strftime("%H:%M") == r.time_of_day
        assert r.first.tzinfo is not None and r.first.utcoffset() == local(r).utcoffset()
