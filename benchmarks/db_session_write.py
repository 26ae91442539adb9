"""Cost of saving a session: a member with 7 days of history vs one with 3,650 days.

The statistics trigger must not cost more as history grows (target: ratio under 1.5). Each
measured operation is what the client does when a member finishes a morning: insert today's
session, completed, through RLS as the member, statistics trigger included; then it is rolled
back so every repetition sees the same history. The two members alternate, many rounds, and the
median per-operation time of each is compared.

Run: .venv/bin/python benchmarks/db_session_write.py [--rounds N]
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

from db_common import act_as, cluster, create_member, median


def load_history(conn, uid, days: int) -> None:
    # history ending yesterday, every 9th day missed, ratings on most days
    conn.execute(
        "update public.profiles set day_start = 0,"
        " first_day = public.protocol_day(now(), 'UTC', 0) - %s where id = %s", (days, uid))
    conn.commit()
    # in transactions of 100 days: many versions of the same statistics rows inside one
    # transaction make each further write slower (see docs/backend.md, batch size); oldest day
    # first, as a device pushes a history: a day inserted before later ones is a late past day
    # and rewrites the streak walk from there on (O(days since), so newest-first is quadratic)
    for hi in range(days, 0, -100):
        conn.execute(
            "insert into public.daily_sessions (user_id, date, morning_completed, discipline_rating)"
            " select %s, public.protocol_day(now(), 'UTC', 0) - i, i %% 9 <> 0, 1 + i %% 10"
            " from generate_series(%s::int, %s::int, -1) i", (uid, hi, max(hi - 99, 1)))
        conn.commit()


def time_saves(conn, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        conn.execute(
            "insert into public.daily_sessions (date, morning_completed, morning_completed_at, discipline_rating)"
            " values (public.protocol_day(now(), 'UTC', 0), true, now(), 7)")
        out.append(time.perf_counter() - t0)
        conn.rollback()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--per-round", type=int, default=50)
    args = ap.parse_args()
    with cluster() as pg:
        with pg.connect() as admin:
            short, long_ = create_member(admin, "short"), create_member(admin, "long")
            t0 = time.perf_counter()
            load_history(admin, short, 7)
            load_history(admin, long_, 3650)
            print(f"loaded 3,657 history rows through the trigger in {time.perf_counter() - t0:.2f} s")
            stats = admin.execute("select current_streak, longest_streak, total_days_completed, completion_rate,"
                                  " discipline_score from public.profiles where id = %s", (long_,)).fetchone()
            print(f"long member's stats: {stats}")
        with pg.connect() as a, pg.connect() as b:
            act_as(a, short)
            act_as(b, long_)
            time_saves(a, 50), time_saves(b, 50)  # warm caches and plans
            short_t, long_t = [], []
            for _ in range(args.rounds):
                short_t.append(median(time_saves(a, args.per_round)))
                long_t.append(median(time_saves(b, args.per_round)))
        s, l = median(short_t) * 1e3, median(long_t) * 1e3
        print(f"save today's session, 7 days of history:     {s:.3f} ms (median)")
        print(f"save today's session, 3,650 days of history: {l:.3f} ms (median)")
        print(f"ratio 3,650 / 7 days: {l / s:.2f} (target < 1.5)")


if __name__ == "__main__":
    main()
