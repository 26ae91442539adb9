"""The container recipe (Dockerfile, .dockerignore): Docker is not available here, so the
recipe is read and checked, and the command it runs is started on this machine (same
arguments and environment, another port and data directory) and must serve the web build."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.browser.conftest import free_port, stop_process, wait_until_served

ROOT = Path(__file__).resolve().parents[2]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    lines, current = [], ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        current += (" " if current else "") + line.removesuffix("\\").strip()
        if not line.endswith("\\"):
            lines.append(current)
            current = ""
    assert not current, "the Dockerfile ends inside a continued line"
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def one(name: str) -> str:
    found = [args for instruction, args in instructions() if instruction == name]
    assert len(found) == 1, f"expected one {name}, found {found}"
    return found[0]


def environment() -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction, args in instructions():
        if instruction == "ENV":
            env.update(dict(part.split("=", 1) for part in shlex.split(args)))
    return env


def command() -> list[str]:
    cmd = json.loads(one("CMD"))  # exec form: no shell between the signal and the app
    assert isinstance(cmd, list) and all(isinstance(a, str) for a in cmd)
    return cmd


def test_the_recipe_is_a_debian_python_slim_image_that_installs_the_app_with_the_pinned_versions():
    base = one("FROM")
    assert re.fullmatch(r"python:3\.1[1-9]-slim-(bookworm|trixie)", base), base
    runs = " ".join(args for instruction, args in instructions() if instruction == "RUN")
    assert "pip install -c constraints.txt ." in runs
    copied = " ".join(args for instruction, args in instructions() if instruction == "COPY")
    for needed in ("pyproject.toml", "constraints.txt", "README.md", "src", "assets"):
        assert needed in copied, f"{needed} is not copied into the image"
    assert one("USER") not in ("root", "0")


def test_the_recipe_runs_the_hosted_mode_on_all_addresses_with_a_data_volume():
    cmd = command()
    assert cmd[0] == "chris-app" and "--hosted" in cmd and "--web" not in cmd
    assert cmd[cmd.index("--host") + 1] == "0.0.0.0" and cmd[cmd.index("--port") + 1] == "8550"
    assert one("EXPOSE") == "8550"
    assert json.loads(one("VOLUME")) == ["/data"]
    env = environment()
    assert env["CHRIS_APP_DATA_DIR"] == "/data"
    assert "SUPABASE_URL" not in env and "SUPABASE_ANON_KEY" not in env  # configured at run time, never baked in


def test_the_build_context_leaves_out_the_repository_s_own_data_and_keeps_what_the_build_copies():
    ignored = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    for excluded in (".git", ".venv", "tests", "test-artifacts", "**/*.sqlite3", "**/supabase.json"):
        assert excluded in ignored
    for kept in ("src", "assets", "constraints.txt", "pyproject.toml", "README.md"):
        assert kept not in ignored


def test_the_command_the_image_runs_starts_here_and_serves_the_web_build(tmp_path):
    cmd = command()
    script = Path(sys.executable).with_name(cmd[0])  # the console script pip installed
    if not script.exists():
        pytest.fail(f"{script} is missing: install the app (pip install -e .)")
    port = free_port()
    args = [str(script), *cmd[1:]]
    args[args.index("--port") + 1] = str(port)
    env = {**os.environ, **environment(), "CHRIS_APP_DATA_DIR": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "SUPABASE_URL": "http://127.0.0.1:9", "SUPABASE_ANON_KEY": "anon-key"}  # (nobody asks it here)
    env.pop("DISPLAY", None)
    log = tmp_path / "output.log"
    with open(log, "w") as output:
        proc = subprocess.Popen(args, env=env, stdout=output, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until_served(f"http://127.0.0.1:{port}/", proc)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            html = response.read().decode()
        assert "flutter" in html.lower()
        # the web build is served by the app itself: no page resource comes from elsewhere
        assert not re.search(r"""(src|href)=["']https?://""", html), html
    finally:
        stop_process(proc)
    text = log.read_text()
    assert "hosted" in text and "WARNING" not in text
    assert not (tmp_path / "data" / "chris.sqlite3").exists()  # no store opened before a member signs in
