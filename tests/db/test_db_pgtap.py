"""Runs every pgTAP file of supabase/tests/database against the throwaway cluster.

Each file is one transaction ending in ROLLBACK, so the files are independent of each other
and of the order they run in. A file fails when pg_prove reports any `not ok`, a wrong plan
count, or an SQL error.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from pgcluster import PG_BIN, PGTAP_DIR

PGTAP_FILES = sorted(PGTAP_DIR.glob("*.sql"))


def test_there_are_pgtap_suites():
    assert len(PGTAP_FILES) >= 5, PGTAP_FILES


@pytest.mark.parametrize("path", PGTAP_FILES, ids=[p.name for p in PGTAP_FILES])
def test_each_pgtap_file_is_one_transaction_that_rolls_back(path):
    statements = [line for line in path.read_text().splitlines() if line.strip() and not line.startswith("--")]
    assert statements[0].strip().lower() == "begin;"
    assert statements[1].strip().lower().startswith("select plan(")
    assert [s.strip().lower() for s in statements[-2:]] == ["select * from finish();", "rollback;"]


def run_with_psql(pg, path) -> None:
    """Without pg_prove (a Recommends of postgresql-15-pgtap): psql and a minimal TAP check."""
    proc = subprocess.run([str(PG_BIN / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                           "-h", pg.host, "-p", str(pg.port), "-U", pg.user, "-d", pg.dbname,
                           "-f", str(path)], capture_output=True, text=True, timeout=240)
    out = proc.stdout
    assert proc.returncode == 0, f"{path.name} failed:\n{out[-6000:]}\n{proc.stderr[-3000:]}"
    planned = int(re.search(r"^1\.\.(\d+)$", out, re.M).group(1))
    results = re.findall(r"^(ok|not ok) \d+", out, re.M)
    assert "not ok" not in results, out[-6000:]
    assert len(results) == planned, f"planned {planned}, ran {len(results)}"


@pytest.mark.db
@pytest.mark.parametrize("path", PGTAP_FILES, ids=[p.name for p in PGTAP_FILES])
def test_pgtap_suite_passes(pg, path):
    if shutil.which("pg_prove") is None:
        run_with_psql(pg, path)
        return
    proc = subprocess.run(
        ["pg_prove", "--verbose", "--failures", "--host", pg.host, "--port", str(pg.port),
         "--username", pg.user, "--dbname", pg.dbname, str(path)],
        capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, f"{path.name} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"
    assert "not ok" not in proc.stdout
    assert "All tests successful" in proc.stdout, proc.stdout[-3000:]
