"""A throwaway PostgreSQL 15 cluster (pg_cron + pgTAP) with the Supabase project loaded.

`start_cluster` initialises a cluster in a given directory and starts it on a free port with
its unix socket inside that directory (no TCP); `load_project` loads tests/db/bootstrap.sql
(the test-only stand-in for Supabase's roles, auth and storage schemas), then every file of
supabase/migrations in name order, then supabase/seed.sql — the order `supabase db reset`
uses; `stop_cluster` stops it. Used by tests/db/conftest.py and benchmarks/db_*.py.

As root (the server refuses to run as root) the server runs as the `postgres` OS user.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
SUPABASE = ROOT / "supabase"
MIGRATIONS = SUPABASE / "migrations"
PGTAP_DIR = SUPABASE / "tests" / "database"
BOOTSTRAP = Path(__file__).with_name("bootstrap.sql")
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
DBNAME = "postgres"


@dataclass(frozen=True)
class Cluster:
    host: str  # the unix socket directory
    port: int
    dbname: str = DBNAME
    user: str = "postgres"

    @property
    def conninfo(self) -> str:
        return f"host={self.host} port={self.port} dbname={self.dbname} user={self.user}"

    def connect(self, **kwargs) -> psycopg.Connection:
        return psycopg.connect(self.conninfo, **kwargs)

    def psql(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(PG_BIN / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
               "-h", self.host, "-p", str(self.port), "-U", self.user, "-d", self.dbname, *args]
        return subprocess.run(cmd, capture_output=True, text=True, check=check)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(_as_server_user(cmd), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")


def start_cluster(workdir: Path) -> Cluster:
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"PostgreSQL 15 binaries not found in {PG_BIN} (apt-get install postgresql-15)")
    data, sock = workdir / "data", workdir / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
        shutil.chown(sock, "postgres", "postgres")
    _run([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
          "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
    port = _free_port()
    opts = " ".join([
        f"-p {port}", f"-k {sock}", "-c listen_addresses=''",
        "-c shared_preload_libraries=pg_cron", f"-c cron.database_name={DBNAME}",
        "-c cron.use_background_workers=on", "-c max_worker_processes=16",
        "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
        "-c max_connections=60", "-c timezone=UTC",
    ])
    _run([str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(workdir / "server.log"),
          "-w", "-t", "60", "start"])
    return Cluster(host=str(sock), port=port)


def stop_cluster(workdir: Path) -> None:
    subprocess.run(_as_server_user([str(PG_BIN / "pg_ctl"), "-D", str(workdir / "data"),
                                    "-m", "immediate", "-w", "stop"]), capture_output=True)


@contextlib.contextmanager
def project_cluster(prefix: str) -> Iterator[Cluster]:
    """A throwaway cluster with the project loaded, stopped and removed afterwards (tests and
    benchmarks)."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
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


def load_project(cluster: Cluster) -> None:
    """Bootstrap, migrations, seed: the order `supabase db reset` uses."""
    cluster.psql("-c", 'alter database postgres set search_path = "$user", public, extensions')
    files = [BOOTSTRAP, *sorted(MIGRATIONS.glob("*.sql")), SUPABASE / "seed.sql"]
    for f in files:
        proc = cluster.psql("--single-transaction", "-f", str(f), check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"loading {f.relative_to(ROOT)} failed:\n{proc.stderr}")
