"""The reminder and day-boundary statistics jobs over many profiles (default 1,000,000).

Members are bulk-loaded (triggers off, as a restore would) over the real IANA zones, with
morning times 05:00-08:00 and evening times 19:00-22:30 in quarter hours, day_start 3; a tenth
of them did yesterday's and the day before's morning. Half of them have a phone registered for
push, a third have email reminders on (push is on for all, the default), and both reminder
senders are alive (a heartbeat before each call, untimed): the reminder job takes its real
path, one channel per member (push with a phone, else email when on, else nothing).

Each job is timed next to its goal and next to its baseline, in the same cluster and the same
run: the body it had before, read from the older migration file and created by this script under
the schema `bench_baseline` -- refresh_stale_stats as before 20261201000300_jobs_speed.sql,
queue_reminders as 20261201000400_queue_insert_speed.sql left it (before
20261202000100_push_reminders.sql it queued a row on every channel switched on, reachable or
not, so it writes more rows than the new job here: both counts are printed). The two are run
alternately (ABBA...), each figure is the median of the repetitions with their range, and the
ratio is baseline / new. Runs that write are rolled back (and the table vacuumed) so both
versions see the same data. pg_cron's own runs of the jobs are paused in this cluster.

  * queue_reminders at 05:00 UTC (morning slot for Europe/Africa) and a re-run (no duplicates);
  * refresh_stale_stats when every member's day has turned (worst case: all stale at once), when
    nobody's day turned, and in a 15-minute run in which a few zones' day turns;
  * the first call in a new connection, as pg_cron runs each job in a new backend.

Then EXPLAIN (ANALYZE, BUFFERS) of the statements inside each job (auto_explain, nested
statements), new and baseline.

Run: .venv/bin/python benchmarks/db_jobs.py [--members N] [--repeat N] [--only JOB]
"""

from __future__ import annotations

import argparse
import copy
import re
import time
from pathlib import Path

from db_common import ROOT, cluster, median

MIGRATIONS = ROOT / "supabase" / "migrations"
# where each job's previous body lives (migrations are never edited, so this is the old code)
BASELINE_SOURCES = {
    "queue_reminders": MIGRATIONS / "20261201000400_queue_insert_speed.sql",
    "refresh_stale_stats": MIGRATIONS / "20261126000700_statistics.sql",
}
# untimed, in the transaction of each call of the job (new and baseline alike): the senders say
# they can send, as the dispatchers do on every run (alive for an hour)
JOB_SETUP = {
    "queue_reminders": ["update private.reminder_senders set seen_at = now()"],
}
GOALS = {"queue_reminders": 1.0, "refresh_nothing_turned": 0.3}

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
    """insert into public.user_settings (id, email_reminders)
       select id, member_number %% 3 = 0 from public.profiles""",
    # a phone for every other member; the senders (their heartbeat is renewed before each call)
    """insert into public.push_devices (user_id, subscription_id, platform)
       select id, 'bench-' || member_number, case when member_number %% 4 = 0 then 'ios' else 'android' end
         from public.profiles where member_number %% 2 = 0""",
    "insert into private.reminder_senders (channel, seen_at) values ('push', now()), ('email', now())",
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


def baseline_sql(name: str) -> str:
    """The job's CREATE FUNCTION from its original migration, renamed into bench_baseline."""
    text = BASELINE_SOURCES[name].read_text()
    m = re.search(rf"create or replace function public\.{name}\(.*?\n\$\$;\n", text, re.S)
    if m is None:
        raise SystemExit(f"{name} not found in {BASELINE_SOURCES[name].name}")
    return m.group(0).replace(f"function public.{name}(", f"function bench_baseline.{name}(", 1)


class Clock:
    """Wall time of a call, and the server backend's own CPU time and time spent waiting for a
    CPU (/proc/<pid>/schedstat, ns): on a shared machine the wait says how much of the wall
    time other processes took."""

    def __init__(self, conn):
        self.pid = conn.execute("select pg_backend_pid()").fetchone()[0]

    def _sched(self) -> tuple[int, int]:
        try:
            cpu, wait, _ = Path(f"/proc/{self.pid}/schedstat").read_text().split()
            return int(cpu), int(wait)
        except OSError:  # another machine than the server's: wall time only
            return 0, 0

    def __enter__(self):
        self.t, self.s = time.perf_counter(), self._sched()
        return self

    def __exit__(self, *exc):
        cpu, wait = self._sched()
        self.wall = time.perf_counter() - self.t
        self.cpu, self.wait = (cpu - self.s[0]) / 1e9, (wait - self.s[1]) / 1e9


def fmt(xs: list[Clock]) -> str:
    walls = [x.wall for x in xs]
    return (f"{median(walls):.3f} s ({min(walls):.3f}-{max(walls):.3f}, n={len(xs)}); backend CPU "
            f"{median(x.cpu for x in xs):.3f} s, waiting for a CPU {median(x.wait for x in xs):.3f} s")


def report(label: str, new: list[Clock], base: list[Clock], goal: float | None, rows: str) -> None:
    m = median(x.wall for x in new)
    verdict = "" if goal is None else f"\n           goal < {goal:g} s: {'met' if m < goal else 'NOT met'}"
    print(f"{label}: {rows}\n  new      {fmt(new)}{verdict}\n  baseline {fmt(base)}"
          f"\n  ratio baseline/new {median(x.wall for x in base) / m:.1f}x (CPU "
          f"{median(x.cpu for x in base) / max(median(x.cpu for x in new), 1e-9):.1f}x)", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each version per figure")
    ap.add_argument("--only", choices=["queue_reminders", "refresh_stale_stats"],
                    help="one job's figures and plans (the worst-case refresh alone takes minutes at 1M)")
    args = ap.parse_args()
    with cluster() as pg, pg.connect() as conn:
        t0 = time.perf_counter()
        conn.execute("update cron.job set active = false")  # no pg_cron run of the jobs meanwhile
        conn.execute("set session_replication_role = replica")
        for sql in POPULATE:
            conn.execute(sql, {"n": args.members})
        conn.execute("set session_replication_role = origin")
        conn.execute("create schema bench_baseline")
        for name in BASELINE_SOURCES:
            conn.execute(baseline_sql(name))
        conn.commit()
        conn.autocommit = True
        conn.execute("vacuum analyze")
        print(f"loaded {args.members:,} members in {time.perf_counter() - t0:.1f} s", flush=True)

        clock = Clock(conn)

        def run(sql, params=None, rollback=False, vacuum=None, setup=()):
            """One timed call in its own transaction (after `setup`, untimed); returns (Clock,
            first column)."""
            conn.execute("begin")
            for s in setup:
                conn.execute(s)
            with clock as c:
                value = conn.execute(sql, params).fetchone()[0]
            conn.execute("rollback" if rollback else "commit")
            if vacuum:
                conn.execute(f"vacuum {vacuum}")
            return copy.copy(c), value

        def setup_of(call):
            return JOB_SETUP.get(call.split(".")[1].split("(")[0], [])

        def compare(call, params, n, same=True, **kw):
            """Alternates new and baseline (ABBA...): {'new': [...], 'baseline': [...]}, value (with
            same=False, where the contract changed: both values)."""
            times, values = {"new": [], "baseline": []}, {}
            order = ["new", "baseline"]
            for i in range(n):
                for which in order if i % 2 == 0 else order[::-1]:
                    schema = "public" if which == "new" else "bench_baseline"
                    c, values[which] = run(call.format(schema=schema), params, **{**kw, "setup": setup_of(call)})
                    times[which].append(c)
            if not same:
                return times, values
            if values["new"] != values["baseline"]:
                raise SystemExit(f"new and baseline disagree: {values}")
            return times, values["new"]

        def fresh_backend(call, params, n):
            """The first call in a new connection (pg_cron starts a backend per run)."""
            times = {"new": [], "baseline": []}
            for i in range(n):
                for which in ["new", "baseline"] if i % 2 == 0 else ["baseline", "new"]:
                    schema = "public" if which == "new" else "bench_baseline"
                    with pg.connect() as other:
                        for s in setup_of(call):
                            other.execute(s)
                        with Clock(other) as c:
                            other.execute(call.format(schema=schema), params).fetchone()
                        other.rollback()
                    times[which].append(c)
            return times

        queue, refresh = args.only in (None, "queue_reminders"), args.only in (None, "refresh_stale_stats")
        # ---------- queue_reminders ----------
        if queue:
            p_now = conn.execute("select (current_date + time '05:00') at time zone 'UTC'").fetchone()[0]
            q = "select {schema}.queue_reminders(%s)"
            times, queued = compare(q, (p_now,), args.repeat, same=False, rollback=True, vacuum="notification_queue")
            print()
            report(f"queue_reminders, slot {p_now:%H:%M} UTC", times["new"], times["baseline"],
                   GOALS["queue_reminders"],
                   f"{queued['new']:,} reminders queued, one channel per member (baseline: {queued['baseline']:,},"
                   " every channel switched on)")
            # keep them: the re-run finds them
            run("select public.queue_reminders(%s)", (p_now,), setup=setup_of(q))
            times, again = compare(q, (p_now,), args.repeat, same=False, rollback=True, vacuum="notification_queue")
            report("queue_reminders, re-run of the same slot", times["new"], times["baseline"],
                   GOALS["queue_reminders"],
                   f"{again['new']} queued (baseline: {again['baseline']:,}, its rows on the channels the new job"
                   " does not use)")

        # ---------- refresh_stale_stats ----------
        # A fixed instant, so "nobody turned" stays true however long the run takes; at 12:50 UTC
        # the next quarter's turns (03:00 at 13:00 UTC) are the UTC-10 and UTC+14 zones.
        if refresh:
            p_turn = conn.execute("select (current_date + time '12:50') at time zone 'UTC'").fetchone()[0]
            r = "select {schema}.refresh_stale_stats(%s)"
            # (nearly) every member's day turned: stats_day is yesterday for all. Baseline rolled back first.
            base_c, base_n = run(r.format(schema="bench_baseline"), (p_turn,), rollback=True)
            conn.execute("vacuum analyze public.profiles")
            new_c, refreshed = run(r.format(schema="public"), (p_turn,))
            conn.execute("vacuum analyze public.profiles")
            if base_n != refreshed:
                raise SystemExit(f"new and baseline disagree: {refreshed} vs {base_n}")
            print()
            report(f"refresh_stale_stats at {p_turn:%H:%M} UTC with every stats_day yesterday (all but the zones"
                   " before 03:00 turned)", [new_c], [base_c],
                   None, f"{refreshed:,} members, {new_c.wall / max(refreshed, 1) * 1e6:.0f} us per member")

            times, none = compare(r, (p_turn,), max(args.repeat, 5))
            report("refresh_stale_stats, nobody's day turned (same instant again)", times["new"], times["baseline"],
                   GOALS["refresh_nothing_turned"], f"{none} members")

            p_next = conn.execute("select %s::timestamptz + interval '15 minutes'", (p_turn,)).fetchone()[0]
            times, few = compare(r, (p_next,), args.repeat, rollback=True, vacuum="public.profiles")
            report(f"refresh_stale_stats, the next 15-minute run ({p_next:%H:%M} UTC: the zones where it is 03:00)",
                   times["new"], times["baseline"], None, f"{few:,} members")

        # ---------- pg_cron's view: a new backend per run ----------
        print()
        if refresh:
            times = fresh_backend(r, (p_turn,), args.repeat)
            report("refresh_stale_stats, nobody's day turned, first call in a new connection",
                   times["new"], times["baseline"], GOALS["refresh_nothing_turned"], "0 members")
        if queue:
            times = fresh_backend(q, (p_now,), args.repeat)
            report("queue_reminders re-run, first call in a new connection", times["new"], times["baseline"],
                   GOALS["queue_reminders"], "0 queued")

        # ---------- EXPLAIN (ANALYZE, BUFFERS) ----------
        conn.autocommit = False
        plans: list[str] = []
        conn.add_notice_handler(lambda d: plans.append(d.message_primary))
        conn.execute("load 'auto_explain'")
        for setting, value in [("auto_explain.log_min_duration", "1"), ("auto_explain.log_analyze", "on"),
                               ("auto_explain.log_buffers", "on"), ("auto_explain.log_nested_statements", "on"),
                               ("client_min_messages", "log")]:
            conn.execute("select set_config(%s, %s, false)", (setting, value))
        conn.commit()

        def explained(title, sql, params, limit=8000, setup=()):
            """Runs once more (rolled back) with the plans of the statements inside, instrumented."""
            for s in setup:
                conn.execute(s)
            plans.clear()
            t = time.perf_counter()
            value = conn.execute(sql, params).fetchone()[0]
            secs = time.perf_counter() - t
            conn.rollback()
            print(f"\nEXPLAIN (ANALYZE, BUFFERS), {title}: {value:,} rows, {secs:.2f} s instrumented")
            shown = []
            for p in plans:
                head, _, rest = p.partition("\nQuery Text:")
                query, plan = rest, ""
                m = re.search(r"^\S.*\(cost=", rest, re.M)  # the plan's top node
                if m:
                    query, plan = rest[:m.start()], rest[m.start():]
                # the job's own statements: not the call itself, nor one-row helpers
                if "profiles" not in plan or re.match(r"\s*select (public|bench_baseline)\.", query):
                    continue
                shown.append(f"-- {head.strip()} {' '.join(query.split())[:100]}...\n{plan.rstrip()}")
            print("\n\n".join(shown)[:limit])

        for schema in ["public", "bench_baseline"]:
            label = "new" if schema == "public" else "baseline"
            if queue:
                explained(f"queue_reminders ({label}), slot {p_now:%H:%M} UTC + 15 minutes",
                          f"select {schema}.queue_reminders(%s::timestamptz + interval '15 minutes')", (p_now,),
                          limit=12000, setup=JOB_SETUP["queue_reminders"])
            if refresh:
                explained(f"refresh_stale_stats ({label}), nobody's day turned",
                          f"select {schema}.refresh_stale_stats(%s)", (p_turn,), limit=5000)
        if refresh:
            explained("refresh_stale_stats (new), the next 15-minute run",
                      "select public.refresh_stale_stats(%s)", (p_next,), limit=5000)


if __name__ == "__main__":
    main()
