"""The seed (supabase/seed.sql, the violent actions library) as `supabase db reset` loads it."""

from __future__ import annotations

import pytest

from pgcluster import SUPABASE

pytestmark = pytest.mark.db


def library_summary(pg):
    with pg.connect() as conn:
        return conn.execute(
            "select count(*), array_agg(distinct category order by category),"
            " min(difficulty_level), max(difficulty_level) from public.violent_actions_library").fetchone()


def test_the_seed_loads_at_least_40_actions_in_every_category(pg):
    count, categories, lowest, highest = library_summary(pg)
    assert count >= 40
    assert categories == ["business", "health", "personal", "relationship"]
    assert 1 <= lowest <= highest <= 10


def test_seeding_again_changes_nothing(pg):
    before = library_summary(pg)
    proc = pg.psql("--single-transaction", "-f", str(SUPABASE / "seed.sql"), check=False)
    assert proc.returncode == 0, proc.stderr
    assert library_summary(pg) == before
