"""The phone's one-shot notifications, from the member's settings and today's state (pure: no
phone, no store)."""

from datetime import date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from chris_app.domain.days import zone
from chris_app.domain.reminders import DAYS_AHEAD, TEXT
from chris_app.notifications.phone import (
    EVENING_IDS,
    IDS,
    MORNING_IDS,
    OLD_IDS,
    OUR_IDS,
    ROUTES,
    wanted_reminders,
)


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def local(r):
    return r.at.astimezone(zone(r.time_zone))


def wanted(now, tz="Europe/Berlin", morning="05:30", evening="20:00", *, on=True, day_start=3, **done):
    return wanted_reminders(on, tz, now, day_start_hour=day_start, morning_time=morning, evening_time=evening, **done)


# 10 June 2026, 14:00 in Berlin (CEST).
NOW = utc(2026, 6, 10, 12, 0)
EARLY = utc(2026, 6, 10, 2, 0)  # 04:00 in Berlin, before both times


def test_the_ids_are_ours_alone_and_fit_under_the_iphones_limit():
    assert list(MORNING_IDS) == list(range(100, 130)) and list(EVENING_IDS) == list(range(200, 230))
    assert OLD_IDS == (1, 2)  # the daily repeats of the first phone version
    assert sorted(OUR_IDS) == [1, 2, *range(100, 130), *range(200, 230)] and len(set(OUR_IDS)) == 62
    assert len(MORNING_IDS) + len(EVENING_IDS) == 2 * DAYS_AHEAD == 60 < 64


def test_each_day_ahead_gets_a_morning_and_an_evening_with_the_domain_wording_and_its_own_id():
    rs = wanted(EARLY)
    assert len(rs) == 60 and len({r.id for r in rs}) == 60
    for r in rs:
        day = (local(r).date() - date(2026, 6, 10)).days
        assert r.id == IDS[r.kind][day] and r.route == f"/{r.kind}" and (r.title, r.body) == TEXT[r.kind]
        assert local(r).strftime("%H:%M") == r.time_of_day == {"morning": "05:30", "evening": "20:00"}[r.kind]
    assert {r.route for r in rs} == ROUTES
    assert [r.id for r in rs[:4]] == [100, 200, 101, 201]  # soonest first


def test_the_first_ones_are_the_next_times_on_the_members_clock_handed_over_in_their_zone():
    rs = wanted(NOW)
    assert [(r.id, r.at) for r in rs[:3]] == [
        (200, utc(2026, 6, 10, 18, 0)),  # today 20:00 CEST
        (101, utc(2026, 6, 11, 3, 30)),  # tomorrow 05:30 CEST: today's has passed
        (201, utc(2026, 6, 11, 18, 0))]
    assert 100 not in {r.id for r in rs} and len(rs) == 59
    assert all(r.at.utcoffset() == timedelta(hours=2) for r in rs[:3])


def test_a_morning_done_today_leaves_out_todays_morning_only():
    rs = wanted(EARLY, morning_done=True)
    ids = {r.id for r in rs}
    assert 100 not in ids and 101 in ids and 200 in ids and len(rs) == 59


def test_an_evening_done_today_leaves_out_todays_evening_only():
    rs = wanted(NOW, evening_done=True)
    ids = {r.id for r in rs}
    assert 200 not in ids and 201 in ids and len(rs) == 58  # today's morning had passed too
    assert rs[0].id == 101


def test_the_members_time_zone_not_the_phones_decides():
    ny = wanted(NOW, "America/New_York", "06:00", None)
    tokyo = wanted(NOW, "Asia/Tokyo", "06:00", None)
    assert {r.time_zone for r in ny} == {"America/New_York"} and {r.time_zone for r in tokyo} == {"Asia/Tokyo"}
    assert (ny[0].id, ny[0].at) == (101, utc(2026, 6, 11, 10, 0))  # 06:00 EDT tomorrow
    assert (tokyo[0].id, tokyo[0].at) == (101, utc(2026, 6, 10, 21, 0))  # 06:00 JST on the 11th (21:00 there now)
    assert {local(r).strftime("%H:%M") for r in ny + tokyo} == {"06:00"}


def test_the_spring_forward_night_fires_after_the_gap_and_the_other_days_at_the_time():
    rs = wanted(utc(2026, 3, 28, 12, 0), morning="02:30", evening=None)
    assert [(r.id, local(r).strftime("%m-%d %H:%M")) for r in rs[:3]] == [
        (101, "03-29 03:30"), (102, "03-30 02:30"), (103, "03-31 02:30")]
    assert {r.time_of_day for r in rs} == {"02:30"}


def test_reminders_off_means_no_notifications_at_all():
    assert wanted(NOW, on=False) == []


def test_evening_only_and_morning_only():
    rs = wanted(NOW, morning=None)
    assert {r.kind for r in rs} == {"evening"} and [r.id for r in rs] == list(EVENING_IDS)
    rs = wanted(NOW, evening=None)
    assert {r.kind for r in rs} == {"morning"} and [r.id for r in rs] == list(MORNING_IDS)[1:]
    assert wanted(NOW, morning=None, evening=None) == []


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(timezone.utc)),
       st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago",
                        "Asia/Kolkata", "Pacific/Chatham"]),
       st.integers(0, 23), st.integers(0, 59), st.integers(0, 23), st.integers(0, 59), st.integers(0, 23),
       st.booleans(), st.booleans())
def test_every_notification_is_ahead_in_the_members_zone_with_an_id_of_its_part_and_day(
        now, tz, mh, mm, eh, em, day_start, morning_done, evening_done):
    morning, evening = f"{mh:02d}:{mm:02d}", f"{eh:02d}:{em:02d}"
    rs = wanted(now, tz, morning, evening, day_start=day_start, morning_done=morning_done, evening_done=evening_done)
    assert 56 <= len(rs) <= 60 and len({r.id for r in rs}) == len(rs)
    local_today = now.astimezone(zone(tz)).date()
    for r in rs:
        assert r.at > now and r.time_zone == tz and r.at.utcoffset() == local(r).utcoffset()
        assert r.id == IDS[r.kind][(local(r).date() - local_today).days]
        assert r.time_of_day == (morning if r.kind == "morning" else evening)
