"""Deno for the edge functions' tests: the binary of the npm package `@deno/linux-x64-glibc`,
pinned by supabase/functions/package.json + package-lock.json and installed with `npm ci` when
missing. Used by tests/functions/test_edge_functions.py and tests/db/test_db_edge_functions.py.

Never skips: a machine that cannot install or run Deno fails the tests that need it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "supabase" / "functions"
DENO = FUNCTIONS / "node_modules" / "@deno" / "linux-x64-glibc" / "deno"

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# "ok | 53 passed | 0 failed (1s)", "FAILED | 14 passed | 1 failed (41ms)",
# "ok | 1 passed (6 steps) | 0 failed (477ms)"
_SUMMARY = re.compile(r"^(ok|FAILED) \| (\d+) passed(?: \((\d+) steps?\))? \| (\d+) failed", re.M)


def _runs(deno: Path) -> bool:
    try:
        return subprocess.run([str(deno), "--version"], capture_output=True, timeout=60).returncode == 0
    except OSError:
        return False


def ensure_deno() -> Path:
    """The pinned Deno binary, installed through npm if it is not there yet."""
    if DENO.exists() and _runs(DENO):
        return DENO
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is needed to install Deno (npm ci --prefix supabase/functions); install Node.js")
    cmd = [npm, "ci" if (FUNCTIONS / "package-lock.json").exists() else "install", "--no-audit", "--no-fund",
           "--prefix", str(FUNCTIONS)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 or not _runs(DENO):
        pytest.fail(f"could not install Deno with {' '.join(cmd)}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return DENO


def deno_test(args: list[str], env: dict[str, str] | None = None, timeout: int = 600) -> tuple[subprocess.CompletedProcess, str]:
    """Runs `deno test --frozen <args>` in supabase/functions; returns the process and its output."""
    deno = ensure_deno()
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    proc = subprocess.run([str(deno), "test", "--frozen", "--no-prompt", *args], cwd=FUNCTIONS,
                          capture_output=True, text=True, env=full_env, timeout=timeout)
    return proc, _ANSI.sub("", proc.stdout + proc.stderr)


def summary(output: str) -> tuple[int, int, int]:
    """(passed, steps, failed) from deno's summary line; fails the test when there is none."""
    m = _SUMMARY.search(output)
    if not m:
        pytest.fail(f"no deno test summary line in the output:\n{output[-5000:]}")
    return int(m.group(2)), int(m.group(3) or 0), int(m.group(4))
