"""The edge functions' database calls against the real PostgreSQL: Deno runs
supabase/functions/_shared/postgres_db.integration.ts, which drives PostgresDb (the functions'
production database port, `set local role service_role` per call) and the stripe-webhook,
reminder-dispatch and kit-sync handlers on top of it, against this suite's throwaway cluster
(migrations + seed loaded). Stripe signatures are real; Kit and OneSignal are faked at the
fetch boundary.

The Deno test deletes what it created; the check below makes sure nothing is left for the
other tests of the session.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "functions"))
from deno_tool import deno_test, summary  # noqa: E402

pytestmark = pytest.mark.db


def test_edge_function_database_port_against_postgres(pg):
    with pg.connect() as conn:
        before = conn.execute("select count(*) from auth.users").fetchone()[0]
    env = {"CHRIS_PG_HOST": pg.host, "CHRIS_PG_PORT": str(pg.port), "CHRIS_PG_DB": pg.dbname,
           "CHRIS_PG_USER": pg.user}
    proc, out = deno_test([
        "--allow-env",  # postgres.js reads the PG* variables
        "--allow-net", f"--allow-read={pg.host}", f"--allow-write={pg.host}",
        "_shared/postgres_db.integration.ts",
    ], env=env)
    passed, steps, failed = summary(out)
    assert proc.returncode == 0 and failed == 0, out[-8000:]
    assert passed == 1 and steps >= 8, out[-3000:]
    with pg.connect() as conn:
        after = conn.execute("select count(*) from auth.users").fetchone()[0]
    assert after == before, "the Deno test left members behind"


def test_push_reminders_say_what_the_app_says():
    """reminder-dispatch's push words (PUSH_TEXT) are the app's reminder words (TEXT)."""
    from chris_app.domain.reminders import TEXT

    source = (Path(__file__).resolve().parents[2] / "supabase" / "functions" / "reminder-dispatch"
              / "handler.ts").read_text()
    found = {}
    for kind in ("morning", "evening"):
        m = re.search(rf'{kind}_reminder: \{{\s*title: "([^"]*)",\s*body: "([^"]*)",\s*\}}', source)
        assert m, f"no {kind}_reminder entry in PUSH_TEXT"
        found[kind] = (m.group(1), m.group(2))
    assert found == TEXT
