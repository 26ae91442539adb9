from datetime import date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from chris_app.domain.days import protocol_day, zone
from chris_app.domain.reminders import DAYS_AHEAD, TEXT, next_reminder, reminders_ahead, upcoming


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


# reminders_ahead: one-shot reminders for the days ahead (what a phone is given).

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"


def ahead(now, tz=BERLIN, morning="05:30", evening="20:00", *, day_start=3, morning_done=False, evening_done=False):
    return reminders_ahead(now, tz, day_start, morning_time=morning, evening_time=evening,
                           morning_done=morning_done, evening_done=evening_done)


def of(kind, rs):
    return [d for d in rs if d.reminder.kind == kind]


def days(kind, rs):
    return [d.day for d in of(kind, rs)]


def local(d, tz=BERLIN):
    return d.reminder.at.astimezone(zone(tz))


def test_before_both_times_each_of_the_next_thirty_days_has_a_morning_and_an_evening():
    rs = ahead(utc(2026, 6, 10, 2, 0))  # 04:00 in Berlin
    assert DAYS_AHEAD == 30 and len(rs) == 60
    assert days("morning", rs) == days("evening", rs) == list(range(30))
    assert [d.reminder.at for d in rs] == sorted(d.reminder.at for d in rs)  # soonest first
    assert rs[0].reminder.at == utc(2026, 6, 10, 3, 30) and rs[1].reminder.at == utc(2026, 6, 10, 18, 0)
    assert local(rs[-1]).strftime("%Y-%m-%d %H:%M") == "2026-07-09 20:00"  # day 29
    for d in rs:
        assert d.reminder.route == f"/{d.reminder.kind}" and (d.reminder.title, d.reminder.body) == TEXT[d.reminder.kind]
        assert local(d).date() == date(2026, 6, 10) + timedelta(days=d.day)


def test_times_already_past_today_are_left_out():
    rs = ahead(utc(2026, 6, 10, 12, 0))  # 14:00: the morning is past, the evening is not
    assert days("morning", rs) == list(range(1, 30)) and days("evening", rs) == list(range(30))
    rs = ahead(utc(2026, 6, 10, 19, 0))  # 21:00: both past
    assert days("morning", rs) == days("evening", rs) == list(range(1, 30)) and len(rs) == 58
    rs = ahead(utc(2026, 6, 10, 18, 0))  # exactly 20:00: that one is not ahead any more
    assert days("evening", rs)[0] == 1


def test_a_morning_done_today_drops_todays_morning_reminder_and_keeps_tomorrows():
    rs = ahead(utc(2026, 6, 10, 2, 0), morning_done=True)  # 04:00, the member was early
    assert days("morning", rs) == list(range(1, 30))
    assert of("morning", rs)[0].reminder.at == utc(2026, 6, 11, 3, 30)
    assert days("evening", rs) == list(range(30))  # the evening is still to do


def test_an_evening_done_today_drops_todays_evening_reminder_and_keeps_tomorrows():
    rs = ahead(utc(2026, 6, 10, 12, 0), evening_done=True)
    assert days("evening", rs) == list(range(1, 30))
    assert of("evening", rs)[0].reminder.at == utc(2026, 6, 11, 18, 0)
    assert days("morning", rs) == list(range(1, 30))


def test_an_evening_after_midnight_belongs_to_the_protocol_day_the_day_start_says():
    # 00:10 on 11 June in Berlin: with the day starting at 03:00 it is still 10 June's
    # protocol day, whose evening reminder is the one at 00:30 on the 11th.
    now = utc(2026, 6, 10, 22, 10)
    assert of("evening", ahead(now, evening="00:30"))[0].reminder.at == utc(2026, 6, 10, 22, 30)
    done = of("evening", ahead(now, evening="00:30", evening_done=True))
    assert done[0].reminder.at == utc(2026, 6, 11, 22, 30)  # 00:30 on the 12th: the 11th's evening
    # 23:00 on the 10th with the day starting at midnight: 00:30 on the 11th is the 11th's.
    now = utc(2026, 6, 10, 21, 0)
    done = of("evening", ahead(now, evening="00:30", day_start=0, evening_done=True))
    assert done[0].reminder.at == utc(2026, 6, 10, 22, 30)


def test_a_part_without_a_time_has_no_reminders():
    rs = ahead(utc(2026, 6, 10, 2, 0), morning=None)
    assert of("morning", rs) == [] and len(rs) == 30
    assert ahead(utc(2026, 6, 10, 2, 0), morning=None, evening=None) == []


def test_spring_forward_in_berlin_moves_that_nights_time_past_the_gap_once():
    # No 02:00-03:00 in Berlin on 29 March 2026: 02:30 fires at 03:30 CEST that night only.
    rs = of("morning", ahead(utc(2026, 3, 28, 12, 0), morning="02:30"))
    assert [local(d).strftime("%d %H:%M %Z") for d in rs[:3]] == ["29 03:30 CEST", "30 02:30 CEST", "31 02:30 CEST"]
    assert rs[0].reminder.at == utc(2026, 3, 29, 1, 30) and rs[0].day == 1
    evenings = of("evening", ahead(utc(2026, 3, 28, 12, 0)))
    assert [e.reminder.at for e in evenings[:2]] == [utc(2026, 3, 28, 19, 0), utc(2026, 3, 29, 18, 0)]
    assert {local(e).strftime("%H:%M") for e in evenings} == {"20:00"}


def test_fall_back_in_berlin_fires_a_time_that_happens_twice_once():
    rs = of("morning", ahead(utc(2026, 10, 24, 12, 0), morning="02:30"))
    oct25 = [d for d in rs if local(d).date() == date(2026, 10, 25)]
    assert [d.reminder.at for d in oct25] == [utc(2026, 10, 25, 0, 30)]  # 02:30 CEST, the first
    assert rs[1].reminder.at == utc(2026, 10, 26, 1, 30)  # 02:30 CET: 25 hours later
    assert days("morning", ahead(utc(2026, 10, 24, 12, 0), morning="02:30")) == list(range(1, 30))


def test_spring_forward_in_new_york():
    # No 02:00-03:00 in New York on 8 March 2026.
    rs = ahead(utc(2026, 3, 7, 12, 0), NEW_YORK, morning="02:15", evening="21:00")  # 07:00 EST
    mornings, evenings = of("morning", rs), of("evening", rs)
    assert [d.reminder.at for d in mornings[:3]] == [utc(2026, 3, 8, 7, 15), utc(2026, 3, 9, 6, 15), utc(2026, 3, 10, 6, 15)]
    assert [d.reminder.at for d in evenings[:2]] == [utc(2026, 3, 8, 2, 0), utc(2026, 3, 9, 1, 0)]  # EST, then EDT
    assert len(rs) == 59


def test_fall_back_in_new_york():
    # 01:00-02:00 happens twice in New York on 1 November 2026.
    rs = of("morning", ahead(utc(2026, 10, 31, 12, 0), NEW_YORK, morning="01:30"))
    assert [d.reminder.at for d in rs[:2]] == [utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)]
    assert [d.day for d in rs[:2]] == [1, 2]


def test_a_day_the_zone_skips_altogether_gives_no_second_reminder_on_the_next():
    # Samoa skipped 30 December 2011; that day's 05:30 normalises onto the 31st's.
    rs = of("morning", ahead(utc(2011, 12, 28, 12, 0), "Pacific/Apia"))
    local_days = [local(d, "Pacific/Apia").date() for d in rs]
    assert date(2011, 12, 30) not in local_days and local_days.count(date(2011, 12, 31)) == 1
    assert len(set(d.day for d in rs)) == len(rs)


ZONES = ["UTC", BERLIN, NEW_YORK, "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata", "Pacific/Chatham"]


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(timezone.utc)),
       st.sampled_from(ZONES), st.integers(0, 23),
       st.integers(0, 23), st.integers(0, 59), st.integers(0, 23), st.integers(0, 59), st.booleans(), st.booleans())
def test_reminders_ahead_are_future_increasing_one_a_day_and_never_on_a_part_done_today(
        now, tz, day_start, mh, mm, eh, em, morning_done, evening_done):
    times = {"morning": f"{mh:02d}:{mm:02d}", "evening": f"{eh:02d}:{em:02d}"}
    done = {"morning": morning_done, "evening": evening_done}
    rs = reminders_ahead(now, tz, day_start, morning_time=times["morning"], evening_time=times["evening"],
                         morning_done=morning_done, evening_done=evening_done)
    assert len(rs) <= 2 * DAYS_AHEAD
    assert [d.reminder.at for d in rs] == sorted(d.reminder.at for d in rs)
    today = protocol_day(now, tz, day_start)
    for kind in ("morning", "evening"):
        part = of(kind, rs)
        instants = [d.reminder.at for d in part]
        assert all(at > now for at in instants)
        assert all(a < b for a, b in zip(instants, instants[1:]))  # strictly increasing
        local_days = [at.astimezone(zone(tz)).date() for at in instants]
        assert len(set(local_days)) == len(local_days)  # at most one per local day
        assert len({d.day for d in part}) == len(part) and all(0 <= d.day < DAYS_AHEAD for d in part)
        if done[kind]:
            assert all(protocol_day(at, tz, day_start) != today for at in instants)
        # no day ahead is lost: from the day after tomorrow on, every day has one
        assert set(range(2, DAYS_AHEAD)) <= {d.day for d in part}
        # and the first is the one the desktop runner would fire next
        assert instants[0] == next_reminder(kind, times[kind], now, tz, day_start, done[kind]).at


# --- which channel reminds: one per member -----------------------------------------------

from itertools import product  # noqa: E402

from chris_app.domain.reminders import device_reminds, reminder_channel  # noqa: E402


def test_push_wins_when_on_and_reachable_then_email_then_none():
    assert reminder_channel(push_on=True, push_reachable=True, email_on=True, email_reachable=True) == "push"
    assert reminder_channel(push_on=True, push_reachable=False, email_on=True, email_reachable=True) == "email"
    assert reminder_channel(push_on=False, push_reachable=True, email_on=True, email_reachable=True) == "email"
    assert reminder_channel(push_on=False, push_reachable=True, email_on=True, email_reachable=False) is None
    assert reminder_channel(push_on=False, push_reachable=False, email_on=False, email_reachable=True) is None


def test_a_channel_is_only_ever_one_that_is_switched_on_and_can_send():
    for push_on, push_ok, email_on, email_ok in product((False, True), repeat=4):
        channel = reminder_channel(push_on=push_on, push_reachable=push_ok, email_on=email_on, email_reachable=email_ok)
        assert channel in (None, "push", "email")
        if channel == "push":
            assert push_on and push_ok
        if channel == "email":
            assert email_on and email_ok and not (push_on and push_ok)
        if channel is None:
            assert not (push_on and push_ok) and not (email_on and email_ok)


def test_the_device_reminds_only_where_the_server_does_not():
    # guests: their switch alone (no paywall, no server)
    assert device_reminds(signed_in=False, on_device_on=True, paywalled=False, channel=None)
    assert not device_reminds(signed_in=False, on_device_on=False, paywalled=False, channel=None)
    # signed in: never when the server reminds, never behind the paywall
    assert device_reminds(signed_in=True, on_device_on=True, paywalled=False, channel=None)
    assert not device_reminds(signed_in=True, on_device_on=True, paywalled=False, channel="push")
    assert not device_reminds(signed_in=True, on_device_on=True, paywalled=False, channel="email")
    assert not device_reminds(signed_in=True, on_device_on=True, paywalled=True, channel=None)
    assert not device_reminds(signed_in=True, on_device_on=False, paywalled=False, channel=None)
