from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chris_app.domain.days import is_valid_timezone, protocol_day


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def test_a_morning_protocol_at_0530_counts_for_today():
    # 05:30 in Berlin (CET, UTC+1) on 10 Jan
    assert protocol_day(utc(2026, 1, 10, 4, 30), "Europe/Berlin", 3) == date(2026, 1, 10)


def test_an_evening_review_at_0040_counts_for_the_previous_day():
    # 00:40 in Berlin on 11 Jan
    assert protocol_day(utc(2026, 1, 10, 23, 40), "Europe/Berlin", 3) == date(2026, 1, 10)


def test_the_day_starts_exactly_at_day_start():
    assert protocol_day(utc(2026, 1, 11, 1, 59, 59), "Europe/Berlin", 3) == date(2026, 1, 10)
    assert protocol_day(utc(2026, 1, 11, 2, 0, 0), "Europe/Berlin", 3) == date(2026, 1, 11)


def test_day_start_zero_means_the_calendar_day():
    assert protocol_day(utc(2026, 1, 10, 23, 30), "UTC", 0) == date(2026, 1, 10)
    assert protocol_day(utc(2026, 1, 11, 0, 0), "UTC", 0) == date(2026, 1, 11)


def test_the_same_instant_is_a_different_day_on_either_side_of_the_date_line():
    instant = utc(2026, 3, 1, 16, 0)
    assert protocol_day(instant, "Pacific/Kiritimati", 3) == date(2026, 3, 2)  # 06:00 on 2 Mar
    assert protocol_day(instant, "America/Los_Angeles", 3) == date(2026, 3, 1)  # 08:00 on 1 Mar


def test_travel_east_shortens_the_day_but_never_rewrites_it():
    # Morning in New York at 06:00, then the flight lands in London at 07:00 local next day.
    assert protocol_day(utc(2026, 5, 4, 10, 0), "America/New_York", 3) == date(2026, 5, 4)
    assert protocol_day(utc(2026, 5, 5, 6, 0), "Europe/London", 3) == date(2026, 5, 5)
    # A review at 01:30 London time (after landing) still belongs to the London day before.
    assert protocol_day(utc(2026, 5, 5, 0, 30), "Europe/London", 3) == date(2026, 5, 4)


def test_on_the_spring_forward_night_the_day_still_starts_at_0300_on_the_clock():
    # Europe/Berlin jumps from 02:00 CET to 03:00 CEST on 29 Mar 2026 (01:00 UTC).
    assert protocol_day(utc(2026, 3, 29, 0, 59), "Europe/Berlin", 3) == date(2026, 3, 28)  # 01:59 CET
    assert protocol_day(utc(2026, 3, 29, 1, 0), "Europe/Berlin", 3) == date(2026, 3, 29)  # 03:00 CEST
    assert protocol_day(utc(2026, 3, 29, 1, 30), "Europe/Berlin", 3) == date(2026, 3, 29)  # 03:30 CEST


def test_on_the_fall_back_night_the_repeated_hour_belongs_to_the_previous_day():
    # Berlin goes from 03:00 CEST back to 02:00 CET on 25 Oct 2026 (01:00 UTC).
    assert protocol_day(utc(2026, 10, 25, 0, 30), "Europe/Berlin", 3) == date(2026, 10, 24)  # 02:30 CEST
    assert protocol_day(utc(2026, 10, 25, 1, 30), "Europe/Berlin", 3) == date(2026, 10, 24)  # 02:30 CET
    assert protocol_day(utc(2026, 10, 25, 2, 0), "Europe/Berlin", 3) == date(2026, 10, 25)  # 03:00 CET


def test_a_naive_instant_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        protocol_day(datetime(2026, 1, 1, 12), "UTC", 3)


def test_an_unknown_time_zone_is_refused_with_its_name():
    with pytest.raises(ValueError, match="Mars/Olympus"):
        protocol_day(utc(2026, 1, 1), "Mars/Olympus", 3)
    assert not is_valid_timezone("Mars/Olympus")
    assert is_valid_timezone("Asia/Kolkata")


ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe",
         "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/St_Johns"]
instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1),
                        timezones=st.just(timezone.utc))


@given(instants, st.sampled_from(ZONES), st.integers(0, 23))
def test_time_moving_forward_never_moves_the_protocol_day_back(instant, tz, hour):
    assert protocol_day(instant + timedelta(minutes=30), tz, hour) >= protocol_day(instant, tz, hour)


@given(instants, st.sampled_from(ZONES), st.integers(0, 23))
def test_the_protocol_day_is_within_a_day_of_the_local_date(instant, tz, hour):
    from zoneinfo import ZoneInfo

    local = instant.astimezone(ZoneInfo(tz)).date()
    assert local - timedelta(days=1) <= protocol_day(instant, tz, hour) <= local
