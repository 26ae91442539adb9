"""Fixtures for the database tests: `pg`, one throwaway cluster for the whole session with
the Supabase migrations and seed loaded (see pgcluster.py), and `db`, a connection to it whose
work is rolled back after each test."""

from __future__ import annotations

import pytest

from pgcluster import project_cluster


@pytest.fixture(scope="session")
def pg():
    with project_cluster("chris-pg-") as cluster:
        yield cluster


@pytest.fixture
def db(pg):
    """A connection whose work is rolled back at the end of the test."""
    with pg.connect() as conn:  # psycopg opens the transaction on the first statement
        try:
            yield conn
        finally:
            conn.rollback()
