"""Generate src/chris_app/data/violent_actions.json from supabase/seed.sql.

supabase/seed.sql is the single source of the built-in violent actions library. The app ships
this generated copy (phones cannot read the repository). tests/unit/test_library.py fails when
the copy is stale: run `python scripts/gen_library.py` after editing seed.sql."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "supabase" / "seed.sql"
OUT = ROOT / "src" / "chris_app" / "data" / "violent_actions.json"


def library_from_seed(seed_sql: str) -> list[dict]:
    # The seed is a plain INSERT … ON CONFLICT that SQLite understands too; "public" is
    # attached as a schema so the qualified table name resolves.
    conn = sqlite3.connect(":memory:")
    conn.execute("attach database ':memory:' as public")
    conn.execute(
        "create table public.violent_actions_library (id text primary key, category text,"
        " action text, description text, difficulty_level integer)"
    )
    conn.executescript(seed_sql)
    rows = conn.execute(
        "select id, category, action, description, difficulty_level"
        " from public.violent_actions_library order by category, difficulty_level, action"
    ).fetchall()
    keys = ("id", "category", "action", "description", "difficulty")
    return [dict(zip(keys, row)) for row in rows]


def render(seed_sql: str) -> str:
    return json.dumps(library_from_seed(seed_sql), indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(render(SEED.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}", file=sys.stderr)
