"""Shared by the db_* benchmarks: a throwaway cluster with the project loaded (the same one
the tests use, tests/db/pgcluster.py), members created as the sign-up trigger would, and a
connection acting as a member the way PostgREST does."""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "db"))

from pgcluster import PG_BIN, Cluster, project_cluster  # noqa: E402


def cluster():
    return project_cluster("chris-bench-")


def create_member(conn, name: str):
    uid = conn.execute("select tests.create_supabase_user(%s)", (name,)).fetchone()[0]
    conn.commit()
    return uid


def act_as(conn, uid) -> None:
    """Session-level role and claims, as PostgREST sets them per request."""
    conn.execute("select set_config('role', 'authenticated', false),"
                 " set_config('request.jwt.claims', %s, false)",
                 (json.dumps({"sub": str(uid), "role": "authenticated"}),))
    conn.commit()


def median(xs):
    return statistics.median(xs)


__all__ = ["PG_BIN", "Cluster", "act_as", "cluster", "create_member", "median"]
