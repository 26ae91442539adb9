"""Runs every pgTAP file of supabase/tests/database against the throwaway cluster.

Each file is one transaction ending in ROLLBACK, so the files are independent of each other
and of the order they run in. A file fails when pg_prove reports any `not ok`, a wrong plan
count, or an SQL error.
"""

from __future__ import annotations

import subprocess

import pytest

from pgcluster import PGTAP_DIR

PGTAP_FILES = sorted(PGTAP_DIR.glob("*.sql"))


def test_there_are_pgtap_suites():
    assert len(PGTAP_FILES) >= 5, PGTAP_FILES


@pytest.mark.db
@pytest.mark.parametrize("path", PGTAP_FILES, ids=[p.name for p in PGTAP_FILES])
def test_pgtap_suite_passes(pg, path):
    proc = subprocess.run(
        ["pg_prove", "--verbose", "--failures", "--host", pg.host, "--port", str(pg.port),
         "--username", pg.user, "--dbname", pg.dbname, str(path)],
        capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, f"{path.name} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"
    assert "not ok" not in proc.stdout
    assert "All tests successful" in proc.stdout, proc.stdout[-3000:]
