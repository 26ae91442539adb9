"""What Home, the evening review and /progress read on the device: a member with 3,650 days of
history vs one with 7, in the same run (the 7-day member is the baseline).

Goal: each screen's data ≤ ×3 the baseline's (figures in O(window), not O(history); see
chris_app.services.summary). For context, the same screens read the way they did before the
kept state (the whole history through the domain functions) are measured too, and the cost of
a write that the statistics triggers (local migration 0005) follow.

    .venv/bin/python benchmarks/figures.py [--rounds 30] [--per-round 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from chris_app.domain.stats import compute_stats, score_series, weekly_summary  # noqa: E402
from chris_app.services import day, summary  # noqa: E402
from chris_app.services.profile import ensure_profile, get_profile, today  # noqa: E402
from chris_app.store import Store, open_store  # noqa: E402

NOW = datetime(2026, 6, 15, 18, 0, tzinfo=timezone.utc)  # an evening; today not yet completed
GOAL = 3.0


def member(folder: Path, days: int) -> Store:
    """A member who joined `days` days ago: every 9th day missed, ratings on most days."""
    store = open_store(folder / f"{days}.sqlite3")
    ensure_profile(store, NOW, "UTC")
    first = today(store, NOW) - timedelta(days=days)
    with store.transaction() as conn:
        conn.execute("update profile set first_day = ?", (first.isoformat(),))
        conn.execute("insert into recordings (id, date, path, mime, duration_ms, size_bytes, sha256, created_at)"
                     " values ('r', ?, 'p', 'audio/ogg', 30000, 1, ?, 't')", (first.isoformat(), "0" * 64))
        for i in range(1, days + 1):
            d, done = (first + timedelta(days=days - i)).isoformat(), i % 9 != 0
            conn.execute(
                "insert into daily_sessions (id, date, morning_completed, morning_completed_at, recording_id,"
                " action_completed, evening_completed, discipline_rating, created_at, updated_at)"
                " values (?, ?, ?, ?, ?, ?, 1, ?, 't', 't')",
                (f"s{i}", d, int(done), "t" if done else None, "r" if done else None, i % 2, 1 + i % 10))
    return store


# -- the screens' data now ---------------------------------------------------------------------
def home(store):
    return summary.home(store, NOW)


def evening(store):  # what views/evening.py reads
    return summary.today_session(store, NOW), get_profile(store)


def progress(store):
    return summary.progress(store, NOW)


# -- the same screens as they read before (the whole history, every render) --------------------
def home_before(store):
    day_ = today(store, NOW)
    return day_, day.get_day(store, day_), summary.stats_from_history(store, NOW)


def evening_before(store):
    return home_before(store), get_profile(store)


def progress_before(store):
    _, _, st = home_before(store)
    first_day, day_ = get_profile(store).first_day, today(store, NOW)
    sessions, records = day.all_days(store), summary.day_records(store)
    completed = {d.date for d in records if d.completed}
    trend_start = max(first_day, day_ - timedelta(days=29))
    ratings = [((d.date - trend_start).days, float(d.rating)) for d in sorted(records, key=lambda r: r.date)
               if d.rating is not None and trend_start <= d.date <= day_]
    series = score_series(completed, max(first_day, day_ - timedelta(days=365)), day_)[-90:]
    weeks = weekly_summary(records, first_day, day_, actions_done={s.date for s in sessions if s.action_completed})
    return st, ratings, series, weeks


def save_and_undo_morning(store):
    """Today's morning completed, then taken back: two writes the triggers follow."""
    d = today(store, NOW).isoformat()
    with store.transaction() as conn:
        conn.execute("insert into daily_sessions (id, date, morning_completed, morning_completed_at, recording_id,"
                     " created_at, updated_at) values ('bench', ?, 1, 't', 'r', 't', 't')", (d,))
    with store.transaction() as conn:
        conn.execute("delete from daily_sessions where id = 'bench'")


def timed(fn, store, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn(store)
    return (time.perf_counter() - t0) / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--per-round", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        short, long_ = member(Path(tmp), 7), member(Path(tmp), 3650)
        t0 = time.perf_counter()
        summary.home(long_, NOW)
        print(f"first read of the 3,650-day member (no score checkpoint yet, computed once from the first day):"
              f" {(time.perf_counter() - t0) * 1000:.2f} ms")
        for store in (short, long_):  # the figures are the domain functions' (the benchmark checks it too)
            reference = summary.stats_from_history(store, NOW)
            assert summary.home(store, NOW).stats == summary.progress(store, NOW).stats == reference
        cases = [("Home", home, home_before), ("evening", evening, evening_before),
                 ("/progress", progress, progress_before), ("write: save + undo today's morning",
                                                            save_and_undo_morning, None)]
        results: dict[str, dict[str, list[float]]] = {}
        for _ in range(args.rounds):  # the two members alternate, round after round
            for name, now_fn, before_fn in cases:
                r = results.setdefault(name, {"7": [], "3650": [], "before7": [], "before3650": []})
                r["7"].append(timed(now_fn, short, args.per_round))
                r["3650"].append(timed(now_fn, long_, args.per_round))
                if before_fn is not None:
                    r["before7"].append(timed(before_fn, short, max(1, args.per_round // 4)))
                    r["before3650"].append(timed(before_fn, long_, max(1, args.per_round // 4)))
        print(f"\nmedian per read, {args.rounds} rounds × {args.per_round}; goal: 3,650 / 7 days ≤ ×{GOAL:g}\n")
        print(f"  {'screen data':<36} {'7 days':>9} {'3,650 days':>11} {'ratio':>7}  goal   "
              f"{'before: 7 days':>14} {'3,650 days':>11} {'ratio':>7}")
        for name, _, before_fn in cases:
            r = results[name]
            s, lg = statistics.median(r["7"]) * 1000, statistics.median(r["3650"]) * 1000
            line = f"  {name:<36} {s:>7.3f}ms {lg:>9.3f}ms {lg / s:>6.2f}×  {'met' if lg / s <= GOAL else 'MISSED':<6}"
            if before_fn is not None:
                bs, bl = statistics.median(r["before7"]) * 1000, statistics.median(r["before3650"]) * 1000
                line += f" {bs:>12.3f}ms {bl:>9.3f}ms {bl / bs:>6.0f}×"
            print(line)


if __name__ == "__main__":
    main()
