"""public.operator_metrics on made-up data with every expected figure worked out by hand
(definitions: docs/operators.md, "Metrics").

The data lives in the rolled-back transaction of the `db` fixture, which first removes every
member and price other tests left behind: the metrics count the whole project.

As of 2026-11-30: the 30-day window is 2026-11-01 .. 2026-11-30 (instants 2026-11-01 00:00 UTC
to 2026-12-01 00:00 UTC), the 7-day one 2026-11-24 .. 2026-11-30.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

pytestmark = pytest.mark.db

AS_OF = date(2026, 11, 30)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def nov(day: int) -> date:
    return date(2026, 11, day)


@pytest.fixture
def world(db):
    """Members a..u with their days, trials, subscription histories and prices."""
    db.execute("delete from auth.users")
    db.execute("delete from public.stripe_prices")
    ids: dict[str, str] = {}

    def member(name: str, first_day: date, trial_ends: str = "2027-06-01 00:00+00", price: str | None = None,
               history: tuple[tuple[str, str], ...] = ()) -> str:
        uid = str(db.execute("select tests.create_supabase_user(%s)", (f"metrics-{name}",)).fetchone()[0])
        db.execute("update public.profiles set first_day = %s, trial_ends_at = %s, stripe_price_id = %s where id = %s",
                   (first_day, trial_ends, price, uid))
        # the history as written here, instead of the sign-up's row (made now)
        db.execute("delete from private.subscription_history where user_id = %s", (uid,))
        for status, at in (("trial", "2026-01-01 00:00+00"), *history):
            db.execute("insert into private.subscription_history (user_id, status, at) values (%s, %s, %s)",
                       (uid, status, at))
        ids[name] = uid
        return uid

    def day(name: str, d: date, morning: bool, evening: bool = False) -> None:
        db.execute("insert into public.daily_sessions (user_id, date, morning_completed, evening_completed)"
                   " values (%s, %s, %s, %s)", (ids[name], d, morning, evening))

    # --- activity -----------------------------------------------------------------------
    # a: every morning of November, the evening on the 1st..15th
    member("a", date(2026, 10, 1), trial_ends="2026-11-10 00:00+00", price="price_month_eur",
           history=(("active", "2026-11-08 09:00+00"),))
    for d in days(nov(1), nov(30)):
        day("a", d, True, d <= nov(15))
    # b: started on the 21st; mornings 21..25 (evenings 21, 22), then rows left undone
    member("b", nov(21), trial_ends="2026-11-20 12:00+00")
    for d in days(nov(21), nov(30)):
        day("b", d, d <= nov(25), d <= nov(22))
    # c: last completed day in October; in November only an evening (not a completed day)
    member("c", date(2026, 9, 1))
    day("c", date(2026, 10, 20), True)
    day("c", nov(10), False, True)
    # d: started and completed on the 30th, evening too
    member("d", nov(30))
    day("d", nov(30), True, True)
    # e: one completed day, on the 5th, since January
    member("e", date(2026, 1, 1))
    day("e", nov(5), True)
    # f: a completed day after the as-of day only
    member("f", nov(1))
    day("f", date(2026, 12, 1), True, True)

    # --- trials that ended in the window ----------------------------------------------
    member("g", nov(1), trial_ends="2026-11-15 00:00+00",
           history=(("active", "2026-11-15 12:00+00"), ("cancelled", "2026-11-25 00:00+00")))
    member("h", nov(1), trial_ends="2026-11-30 23:00+00", price="price_month_eur",
           history=(("active", "2026-12-01 00:00:01+00"),))  # paid, but after the window
    member("i", nov(1), trial_ends="2026-10-31 23:59:59+00",
           history=(("active", "2026-11-02 00:00+00"), ("cancelled", "2026-11-03 00:00+00")))  # ended before
    member("j", nov(1), trial_ends="2026-12-01 00:00+00")  # ends as the window ends: not in it
    member("k", nov(1), trial_ends="2026-11-05 00:00+00", price="price_year_eur",
           history=(("active", "2026-10-30 00:00+00"),))  # paid before the trial ended

    # --- paying members --------------------------------------------------------------------
    member("l", nov(1), price="price_month_eur",
           history=(("active", "2026-06-01 00:00+00"), ("past_due", "2026-11-20 00:00+00")))
    member("m", nov(1), price="price_week_usd", history=(("active", "2026-05-01 00:00+00"),))
    member("n", nov(1), price="price_quarter_usd", history=(("active", "2026-08-01 00:00+00"),))
    member("o", nov(1), price="price_not_recorded", history=(("active", "2026-09-01 00:00+00"),))
    member("p", nov(1), price="price_once_eur", history=(("active", "2026-10-01 00:00+00"),))
    member("q", nov(1), price="price_month_eur",
           history=(("active", "2026-07-01 00:00+00"), ("cancelled", "2026-11-15 00:00+00")))
    member("r", nov(1), price="price_month_eur",
           history=(("active", "2026-07-01 00:00+00"), ("cancelled", "2026-10-15 00:00+00")))
    member("s", nov(1), price="price_year_eur", history=(("active", "2026-11-30 23:59:59+00"),))
    member("t", nov(1), price="price_month_eur",
           history=(("active", "2026-06-01 00:00+00"), ("cancelled", "2026-11-20 00:00+00"),
                    ("active", "2026-11-28 00:00+00")))
    member("u", nov(1), price="price_month_eur",
           history=(("active", "2026-06-01 00:00+00"), ("cancelled", "2026-11-30 12:00+00")))

    # --- prices, as the webhook records them ----------------------------------------------
    db.execute("select set_config('role', 'service_role', true),"
               " set_config('request.jwt.claims', '{\"role\":\"service_role\"}', true)")
    for price in (("price_month_eur", 999, "eur", "month", 1),
                  ("price_year_eur", 9999, "eur", "year", 1),
                  ("price_week_usd", 500, "usd", "week", 1),
                  ("price_quarter_usd", 2700, "usd", "month", 3),
                  ("price_once_eur", 5000, "eur", None, 1)):
        db.execute("select public.record_stripe_price(%s, %s, %s, %s, %s)", price)
    return ids


def metrics(db, as_of: date) -> dict:
    return db.execute("select public.operator_metrics(%s)", (as_of,)).fetchone()[0]


def test_every_figure_on_made_up_data(world, db):
    assert metrics(db, AS_OF) == {
        "as_of": "2026-11-30",
        # completed day on the 30th: a, d
        "dau": 2,
        # completed day on the 24th..30th: a, b (24th, 25th), d
        "wau": 3,
        # completed day on the 1st..30th: a, b, d, e (c: October only; f: December only)
        "mau": 4,
        # member-days from each one's first day: a 30, b 10 (21st..30th), d 1, e 30 = 71;
        # mornings completed a 30 + b 5 + d 1 + e 1 = 37 -> 37/71 = 0.52112...
        "morning_completion_30d": 0.5211,
        # evenings completed a 15 + b 2 + d 1 + e 0 = 18 -> 18/71 = 0.25352...
        "evening_completion_30d": 0.2535,
        # trials ending in [11-01, 12-01): a, b, g, h, k (i ended before, j as the window ends);
        # active by the end: a, g (cancelled since, still converted), k (paid before the trial
        # ended); h paid a second too late -> 3/5
        "trial_to_paid_30d": 0.6,
        # active at the end: a (999 eur), k and s (9999 eur a year = 833.25 each), t (back on the
        # 28th, 999 eur) -> 3664.5 -> 3665; m (500 usd a week = 500 * 52 / 12 = 2166.67),
        # n (2700 usd every 3 months = 900) -> 3066.67 -> 3067; o (price never recorded) and
        # p (one-off price) pay but add nothing
        "mrr_cents": {"eur": 3665, "usd": 3067},
        "paying": 8,
        "paying_without_price": 2,
        # active at 11-01 00:00: k, l, m, n, o, p, q, t, u (a, s only later; r cancelled in
        # October); cancelled at the end: q, u (l is past_due, t came back) -> 2/9
        "churn_30d": 0.2222,
    }


def test_the_windows_move_with_the_day(world, db):
    early = metrics(db, nov(5))
    # 5th: a and e; 10-30..11-05 adds nobody else; since 10-07: a (October had no rows) and c
    # (10-20) and e -> mau 3
    assert (early["dau"], early["wau"], early["mau"]) == (2, 2, 3)
    # member-days: a 30 (10-07..11-05), c 30 (first day 09-01), e 30 = 90; mornings a 5 + c 1 + e 1
    assert early["morning_completion_30d"] == round(7 / 90, 4)
    # active at 10-07 00:00: l, m, n, o, p, q, r, t, u (k only from 10-30); cancelled at the
    # end of the 5th: r (10-15) -> 1/9
    assert early["churn_30d"] == 0.1111


def test_nothing_to_divide_by_gives_null_not_zero(db):
    db.execute("delete from auth.users")
    db.execute("delete from public.stripe_prices")
    db.execute("select set_config('role', 'service_role', true)")
    assert metrics(db, AS_OF) == {
        "as_of": "2026-11-30", "dau": 0, "wau": 0, "mau": 0,
        "morning_completion_30d": None, "evening_completion_30d": None,
        "trial_to_paid_30d": None, "mrr_cents": {}, "paying": 0, "paying_without_price": 0,
        "churn_30d": None,
    }


def test_the_figures_follow_the_webhook(world, db):
    """A subscription applied through the webhook's function shows in MRR and churn at once."""
    db.execute("select public.apply_stripe_subscription('evt_v', 'customer.subscription.created',"
               " '2026-11-29 10:00+00', %s, 'cus_j', 'sub_j', 'active', 'price_week_usd')", (world["j"],))
    after = metrics(db, AS_OF)
    # j pays 500 usd a week from the 29th: 3066.67 + 2166.67 = 5233.33
    assert after["mrr_cents"] == {"eur": 3665, "usd": 5233}
    assert after["paying"] == 9
    db.execute("select public.apply_stripe_subscription('evt_w', 'customer.subscription.deleted',"
               " '2026-11-30 10:00+00', null, 'cus_j', null, 'cancelled')")
    assert metrics(db, AS_OF)["mrr_cents"] == {"eur": 3665, "usd": 3067}
