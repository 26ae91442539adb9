"""Smoke test of the desktop bundle: `pyinstaller build.spec` builds it, and the built binary
(not the source tree) runs the app.

The build happens once per run into a temporary directory (about a minute on two cores).
Then the binary prints its version from the bundled dist metadata, serves the offline web
build, and the real first screens are driven in headless Chromium: the home screen
(flet's lazily imported controls, the SQLite migrations), the morning screen (the violent
actions library JSON, the audio stack with the bundled libsndfile, flet_audio_recorder) and
Settings (the version again, inside the app). A module or asset the bundle misses shows up
as a failed build, a crash, a Python traceback in the app's output, or a screen that never
appears: every one of them fails the test; nothing here skips."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tomllib
import urllib.request
from pathlib import Path

import pytest

from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    free_port,
    screenshot,
    stop_process,
    wait_for_text,
    wait_until_served,
)

ROOT = Path(__file__).resolve().parents[2]
# CHRIS_BUILD_SPEC: another spec, e.g. a deliberately broken copy, to see this test catch it.
SPEC = Path(os.environ.get("CHRIS_BUILD_SPEC") or ROOT / "build.spec").resolve()
NAME = "ChrisDisciplined"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
BUILD_TIMEOUT = 480  # seconds; a build here takes about 30-70 s

# Whichever test comes first builds the bundle in its setup: each gets time for that.
pytestmark = pytest.mark.timeout(BUILD_TIMEOUT + 120)


def binary_in(dist: Path) -> Path:
    exe = dist / NAME / (f"{NAME}.exe" if os.name == "nt" else NAME)
    if sys.platform == "darwin" and not exe.exists():
        exe = dist / f"{NAME}.app" / "Contents" / "MacOS" / NAME
    return exe


def build_bundle(dist: Path, work: Path) -> Path:
    """Runs PyInstaller on build.spec; returns the built executable. Raises on any failure."""
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm",
           "--distpath", str(dist), "--workpath", str(work), str(SPEC)]
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=BUILD_TIMEOUT)
    work.mkdir(parents=True, exist_ok=True)
    (work / "pyinstaller.log").write_text(proc.stdout)
    if proc.returncode != 0:
        raise RuntimeError(f"pyinstaller build.spec failed ({proc.returncode}):\n{proc.stdout[-6000:]}")
    exe = binary_in(dist)
    if not exe.is_file():
        raise RuntimeError(f"pyinstaller finished but {exe} is missing:\n{proc.stdout[-3000:]}")
    return exe


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("bundle")
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        pytest.fail("PyInstaller is not installed: pip install -c constraints.txt -e '.[test]'")
    try:
        return build_bundle(base / "dist", base / "work")
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        pytest.fail(str(e), pytrace=False)


def test_the_built_binary_prints_the_version_from_pyproject(bundle):
    out = subprocess.run([str(bundle), "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"chris-app {VERSION}"


def test_the_bundle_holds_the_package_data_and_the_web_build(bundle):
    internal = bundle.parent / "_internal" if (bundle.parent / "_internal").is_dir() else bundle.parent
    for relative in ("chris_app/store/migrations/0001_initial.sql", "chris_app/data/violent_actions.json",
                     "flet_web/web/index.html", "flet_web/web/main.dart.js", "assets/icon.png",
                     f"chris_app-{VERSION}.dist-info/METADATA", "flet_desktop_flavor"):
        assert (internal / relative).is_file(), f"{relative} is not in the bundle"
    assert list((internal / "_soundfile_data").glob("libsndfile*")), "libsndfile is not in the bundle"


@pytest.fixture(scope="module")
def served(bundle, tmp_path_factory):
    """The built binary serving the web build on a free port, with a fresh data dir."""
    data = tmp_path_factory.mktemp("bundle-data")
    log = data.parent / "bundle-app.log"
    port = free_port()
    env = {**os.environ, "TZ": "Europe/Berlin"}
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "CHRIS_APP_DATA_DIR", "FLET_SERVER_PORT", "FLET_SERVER_IP"):
        env.pop(name, None)
    with open(log, "w+") as out:
        proc = subprocess.Popen([str(bundle), "--web", "--port", str(port), "--data-dir", str(data)],
                                env=env, stdout=out, stderr=subprocess.STDOUT, text=True, cwd=data)
        proc.stdout = open(log)  # wait_until_served reads it when the app exits early
        try:
            wait_until_served(f"http://127.0.0.1:{port}/", proc, timeout=90)
            yield f"http://127.0.0.1:{port}", data, log
        finally:
            stop_process(proc)
            proc.stdout.close()


def test_the_built_binary_serves_the_flet_web_build_offline(served):
    url, _, _ = served
    with urllib.request.urlopen(url + "/", timeout=10) as r:
        index = r.read().decode()
    assert r.status == 200 and "flutter_bootstrap.js" in index, index[:500]
    # no_cdn: the renderer comes from the bundle, not from a CDN.
    for asset in ("/flutter_bootstrap.js", "/main.dart.js", "/canvaskit/canvaskit.wasm"):
        with urllib.request.urlopen(url + asset, timeout=10) as r:
            assert r.status == 200 and len(r.read()) > 1000, asset


def test_the_built_app_shows_home_morning_and_settings_in_chromium(served, playwright):
    url, data, log = served
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (scripts/test.sh installs it)")
    first_action = json.loads((ROOT / "src/chris_app/data/violent_actions.json").read_text("utf-8"))[0]["action"]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    page = None
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 2400})

        def open_screen(path: str) -> None:
            page.goto(url + path)
            page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
            page.eval_on_selector("flt-semantics-placeholder", "e => e.click()")
            page.wait_for_selector("flt-semantics-host flt-semantics", timeout=30_000)

        open_screen("/")
        wait_for_text(page, "Start the morning protocol", timeout=60)
        open_screen("/morning")
        wait_for_text(page, "Read aloud (version 1)", timeout=30)
        wait_for_text(page, first_action, timeout=30)  # from the bundled library JSON
        open_screen("/settings")
        wait_for_text(page, f"Chris Disciplined {VERSION}", timeout=30)
    except Exception as e:
        if page is not None:
            screenshot(page, "FAILED-bundle")
        raise AssertionError(f"the built app did not show its screens ({e}); its output:\n"
                             f"{log.read_text()[-4000:]}") from e
    finally:
        browser.close()

    with sqlite3.connect(data / "chris.sqlite3") as db:  # the bundled migrations ran
        tables = {row[0] for row in db.execute("select name from sqlite_master where type = 'table'")}
    assert {"profile", "settings", "daily_sessions", "outbox"} <= tables, tables
    output = log.read_text()
    assert "Traceback" not in output and "ModuleNotFoundError" not in output, output[-4000:]
