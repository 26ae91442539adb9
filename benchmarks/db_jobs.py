"""The reminder and day-boundary statistics jobs over many profiles (default 1,000,000).

Members are bulk-loaded (triggers off, as a restore would) over the real IANA zones, with
morning times 05:00-08:00 and evening times 19:00-22:30 in quarter hours; a tenth of them did
yesterday's and the day before's morning. Then, with EXPLAIN ANALYZE of the statements inside
(auto_explain, nested statements):
  * queue_reminders at 05:00 UTC (morning slot for Europe/Africa) and a re-run (no duplicates);
  * refresh_stale_stats when every member's day has just turned (worst case: all stale at once).

Run: .venv/bin/python benchmarks/db_jobs.py [--members N]
"""

from __future__ import annotations

import argparse
import time

from db_common import cluster

POPULATE = [
    # auth users (sign-up trigger off: it is exercised by the tests; here we want volume)
    """insert into auth.users (id, aud, role, email, raw_user_meta_data, created_at)
       select gen_random_uuid(), 'authenticated', 'authenticated', 'm' || i || '@bench.invalid', '{}', now()
         from generate_series(1, %(n)s) i""",
    """create temp table zones as
       select row_number() over (order by name) - 1 as k, name from pg_timezone_names
        where name !~ '^(posix|Etc|SystemV|right)/' and name ~ '/'""",
    """insert into public.profiles (id, email, member_number, timezone, day_start, morning_protocol_time,
                                   evening_review_time, first_day, stats_day, created_at)
       select u.id, u.email, u.rn, z.name, 3,
              time '05:00' + (u.rn %% 13) * interval '15 minutes',
              time '19:00' + (u.rn %% 15) * interval '15 minutes',
              current_date - 30 - (u.rn %% 365)::int, current_date - 1, now()
         from (select id, email, row_number() over () as rn from auth.users) u
         join zones z on z.k = u.rn %% (select count(*) from zones)""",
    "insert into public.user_settings (id) select id from public.profiles",
    """insert into public.daily_sessions (user_id, date, morning_completed, discipline_rating)
       select p.id, d, true, 8 from public.profiles p, (values (current_date - 1), (current_date - 2)) v (d)
        where p.member_number %% 10 = 0""",
    # the statistics state those sessions imply (the trigger was off)
    """insert into private.completion_runs (user_id, first_date, last_date)
       select id, current_date - 2, current_date - 1 from public.profiles where member_number %% 10 = 0""",
    """insert into private.member_stats_state (user_id, completed_count, score_anchor, score_at_anchor)
       select id, 2, current_date - 1, (1 - private.score_decay()) * (1 + private.score_decay())
         from public.profiles where member_number %% 10 = 0""",
    "select setval('public.member_number_seq', (select max(member_number) from public.profiles))",
]


def timed(conn, sql, params=None):
    t0 = time.perf_counter()
    row = conn.execute(sql, params).fetchone()
    conn.commit()
    return time.perf_counter() - t0, row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=1_000_000)
    args = ap.parse_args()
    with cluster() as pg, pg.connect() as conn:
        t0 = time.perf_counter()
        conn.execute("set session_replication_role = replica")
        for sql in POPULATE:
            conn.execute(sql, {"n": args.members})
        conn.execute("set session_replication_role = origin")
        conn.commit()
        conn.autocommit = True
        conn.execute("vacuum analyze")
        conn.autocommit = False
        print(f"loaded {args.members:,} members in {time.perf_counter() - t0:.1f} s")

        plans: list[str] = []
        conn.add_notice_handler(lambda d: plans.append(d.message_primary))
        conn.execute("load 'auto_explain'")
        for setting, value in [("auto_explain.log_min_duration", "-1"), ("auto_explain.log_analyze", "on"),
                               ("auto_explain.log_nested_statements", "on"), ("client_min_messages", "log")]:
            conn.execute("select set_config(%s, %s, false)", (setting, value))
        conn.commit()

        def explained(sql, params, marker, min_ms="200"):
            """Runs once more with EXPLAIN ANALYZE of the statements inside (instrumented, slower)."""
            plans.clear()
            conn.execute("select set_config('auto_explain.log_min_duration', %s, false)", (min_ms,))
            secs, row = timed(conn, sql, params)
            conn.execute("select set_config('auto_explain.log_min_duration', '-1', false)")
            conn.commit()
            text = "\n".join(marker + p.split(marker, 1)[-1] for p in plans if marker in p)
            return secs, row, text

        slot = "select (current_date + time '05:00') at time zone 'UTC'"
        p_now = conn.execute(slot).fetchone()[0]
        secs, (queued,) = timed(conn, "select public.queue_reminders(%s)", (p_now,))
        print(f"queue_reminders at {p_now:%H:%M} UTC: {queued:,} reminders queued in {secs:.2f} s")
        secs, (again,) = timed(conn, "select public.queue_reminders(%s)", (p_now,))
        print(f"re-run of the same slot: {again} queued in {secs:.2f} s")
        secs, (queued,), plan = explained("select public.queue_reminders(%s + interval '15 minutes')", (p_now,),
                                          "Insert on notification_queue", "20")
        print(f"\nEXPLAIN ANALYZE, queue_reminders of the next slot ({queued:,} queued, {secs:.2f} s instrumented):")
        print(plan[:6000])

        secs, (refreshed,) = timed(conn, "select public.refresh_stale_stats(now())")
        print(f"\nrefresh_stale_stats with every member's day turned: {refreshed:,} members in {secs:.1f} s"
              f" ({secs / max(refreshed, 1) * 1e6:.0f} us per member)")
        secs, (none,) = timed(conn, "select public.refresh_stale_stats(now())")
        print(f"re-run right after (only zones whose day turned meanwhile): {none} members in {secs:.2f} s")
        conn.autocommit = True
        conn.execute("vacuum analyze public.profiles")
        conn.autocommit = False
        secs, (refreshed,), plan = explained("select public.refresh_stale_stats(now() + interval '1 day')", None,
                                             "Update on profiles")
        print(f"\nEXPLAIN ANALYZE, refresh_stale_stats a day later ({refreshed:,} members, {secs:.1f} s instrumented):")
        print(plan[:4000])


if __name__ == "__main__":
    main()
