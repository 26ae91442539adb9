"""Fixtures for the database tests: `pg`, one throwaway cluster for the whole session with
the Supabase migrations and seed loaded (see pgcluster.py), and `db`, a connection to it whose
work is rolled back after each test."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from pgcluster import load_project, start_cluster, stop_cluster


@pytest.fixture(scope="session")
def pg():
    workdir = Path(tempfile.mkdtemp(prefix="chris-pg-"))
    started = False
    try:
        cluster = start_cluster(workdir)
        started = True
        load_project(cluster)
        yield cluster
    finally:
        if started:
            stop_cluster(workdir)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def db(pg):
    """A connection whose work is rolled back at the end of the test."""
    with pg.connect() as conn:  # psycopg opens the transaction on the first statement
        try:
            yield conn
        finally:
            conn.rollback()
