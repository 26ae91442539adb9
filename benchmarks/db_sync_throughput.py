"""Sync push throughput: 8 concurrent clients (8 members) pushing batches of sessions through
sync_push as authenticated members, next to pgbench's tpcb-like TPS on the same cluster in the
same run (the ratio is what travels between machines).

Each push carries 10 sessions (morning and evening groups) with newer client timestamps than
the last, over a rolling year of dates: inserts at first, then per-group merges, the statistics
trigger on every row — what a client catching up after a week offline sends.

Run: .venv/bin/python benchmarks/db_sync_throughput.py [--seconds 20] [--clients 8]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import threading
import time
import uuid
from datetime import date, datetime, timedelta, timezone

from db_common import PG_BIN, act_as, cluster, create_member

BATCH = 10


def push_loop(pg, uid, stop_at: float, out: list) -> None:
    client = str(uuid.uuid4())
    today = date.today()
    sessions = pushes = rejected = 0
    with pg.connect() as conn:
        act_as(conn, uid)
        op = 0
        while time.perf_counter() < stop_at:
            op += 1
            stamp = (datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=op)).isoformat()
            rows = []
            for k in range(BATCH):
                d = today - timedelta(days=1 + (op * BATCH + k) % 365)
                rows.append({"id": str(uuid.uuid4()), "date": d.isoformat(),
                             "morning_completed": (op + k) % 4 != 0, "morning_updated_at": stamp,
                             "recording_path": f"{uid}/{d}-recording.ogg", "recording_duration_ms": 60000,
                             "evening_completed": True, "discipline_rating": 1 + (op + k) % 10,
                             "evening_updated_at": stamp})
            result = conn.execute("select public.sync_push(%s, %s, %s)",
                                  (json.dumps({"daily_sessions": rows}), client, op)).fetchone()[0]
            conn.commit()
            pushes += 1
            sessions += result["applied"] + result["unchanged"]
            rejected += len(result["rejected"])
    out.append((pushes, sessions, rejected))


def pgbench(pg, seconds: int, clients: int) -> float:
    common = ["-h", pg.host, "-p", str(pg.port), "-U", "postgres"]
    subprocess.run([str(PG_BIN / "createdb"), *common, "bench"], check=True, capture_output=True)
    subprocess.run([str(PG_BIN / "pgbench"), *common, "-i", "-q", "-s", "8", "bench"], check=True, capture_output=True)
    proc = subprocess.run([str(PG_BIN / "pgbench"), *common, "-c", str(clients), "-j", "2", "-T", str(seconds), "bench"],
                          check=True, capture_output=True, text=True)
    return float(re.search(r"tps = ([\d.]+)", proc.stdout).group(1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--clients", type=int, default=8)
    args = ap.parse_args()
    with cluster() as pg:
        with pg.connect() as admin:
            members = [create_member(admin, f"device-{i}") for i in range(args.clients)]
            # 100 pushes a minute per member would make this measure the rate limit: lifted here
            # (the bucket is still taken on every push; tests/db/test_db_rate_limits.py tests the limit)
            admin.execute("update private.rate_limit_config set per_minute = 1000000000 where bucket = 'sync'")
        results: list = []
        stop_at = time.perf_counter() + args.seconds
        threads = [threading.Thread(target=push_loop, args=(pg, uid, stop_at, results)) for uid in members]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        pushes = sum(r[0] for r in results)
        sessions = sum(r[1] for r in results)
        rejected = sum(r[2] for r in results)
        tps = pgbench(pg, args.seconds, args.clients)
        print(f"sync_push, {args.clients} clients, {BATCH} sessions per push, {elapsed:.1f} s:")
        print(f"  {pushes / elapsed:,.0f} pushes/s, {sessions / elapsed:,.0f} sessions/s ({rejected} rejected)")
        print(f"pgbench tpcb-like, {args.clients} clients, {args.seconds} s: {tps:,.0f} TPS")
        print(f"ratio: one push of {BATCH} sessions costs {tps / (pushes / elapsed):.2f} tpcb-like transactions;"
              f" sessions/s = {sessions / elapsed / tps:.2f} x pgbench TPS")


if __name__ == "__main__":
    main()
