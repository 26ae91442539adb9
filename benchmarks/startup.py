"""Start-up of the app against a bare Flet hello-world, both started the same way in the same
run, alternating (bare, app, bare, app, ...) so both see the same machine load.

- web (`--web`, what `benchmarks/size.py` and the browser tests use): process start → the
  first screen served (HTTP 200 on /) → the first screen built in headless Chromium (its
  text in Flutter's accessibility tree).
- window: process start → the first screen's text received by the window. Flet's desktop
  client cannot be downloaded here, so tests/build/fake_flet_client.py takes its place on
  Flet's socket (flet_desktop launches it as it would the client): this is the Python side
  of a window's start-up, without Flutter's own start: the fake client connects at once
  unless `--client-start S` makes it wait S seconds first, a stand-in (not a measurement)
  for the real client's start, which the app's background load overlaps.

Prints, for each figure, the medians with their spread [min–max] for both, the ratio
app / bare (median and spread of the per-round ratios, each round's app start divided by the
bare start next to it) and the goal. The goal is set for the web build served: < 1.2×.

Bytecode: installed packages carry compiled bytecode, and Python writes it for the app on the
first start, except where PYTHONDONTWRITEBYTECODE is set (as on the test machines), where the
app's ~90 modules would be compiled from source on every start and the bare app's (site-
packages, compiled at install) would not. So the app's bytecode is compiled first
(`compileall`, into the gitignored __pycache__ folders), unless `--no-compile`.

`--compare SRC` adds a third contestant in the same rounds: the app from another source tree
(e.g. `git worktree add /tmp/before HEAD~1`, then `--compare /tmp/before/src`), for a
before/after measured under the same load.

    .venv/bin/python benchmarks/startup.py [--runs 7] [--mode web|window|both] [--no-compile]
                                           [--compare SRC] [--client-start S]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.browser.conftest import (  # noqa: E402
    CHROMIUM, CHROMIUM_ARGS, free_port, has_text, mark_device_introduced, stop_process)
from tests.build.fake_flet_client import install as install_fake_client  # noqa: E402

GOAL_SERVED = 1.2  # the app, served, at most this many times the bare Flet app

HELLO = textwrap.dedent("""
    import sys
    import flet as ft

    def main(page: ft.Page):
        page.add(ft.Text("Hello, world"))

    if sys.argv[1] == "web":
        ft.run(main, view=ft.AppView.WEB_BROWSER, port=int(sys.argv[2]), no_cdn=True)
    else:
        ft.run(main)
""")
LABELS = {"bare": "bare Flet app", "app": "chris-app", "compare": "chris-app (--compare)"}
APP_TEXT = "Start the morning protocol"
HELLO_TEXT = "Hello, world"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "FLET_SERVER_PORT", "FLET_SERVER_IP", "FLET_FORCE_WEB_SERVER",
                        "FLET_VIEW_PATH", "SUPABASE_URL", "SUPABASE_ANON_KEY", "CHRIS_APP_NOW")}
    return {**env, **extra}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (Linux; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_web(browser, command: list[str], port: int, text: str, env: dict) -> tuple[float, float, float, float]:
    """Seconds to served and to built, and the process's CPU seconds at each."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(f"{command} exited with {proc.returncode}") from None
                time.sleep(0.01)
        served = time.perf_counter() - start
        cpu_served = cpu_seconds(proc.pid)
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
        page.eval_on_selector("flt-semantics-placeholder", "e => e.click()")
        while not has_text(page, text):
            time.sleep(0.02)
        built = time.perf_counter() - start
        cpu_built = cpu_seconds(proc.pid)
        page.close()
        return served, built, cpu_served, cpu_built
    finally:
        stop_process(proc)


def measure_window(command: list[str], text: str, env: dict, tmp: Path, delay: float) -> tuple[float, float]:
    """Seconds to the first screen's text in the window, and the process's CPU seconds then."""
    out = tmp / f"window-{time.monotonic_ns()}.jsonl"
    env = {**env, "DISPLAY": ":99", **install_fake_client(tmp / "client", out, quiet=0.5, delay=delay)}
    start_wall = time.time()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if out.exists():
                for line in out.read_text(encoding="utf-8").splitlines():
                    frame = json.loads(line)
                    if any(text in s for s in frame["strings"]):
                        return frame["t"] - start_wall, cpu_seconds(proc.pid)
            if proc.poll() is not None:
                raise RuntimeError(f"{command} exited with {proc.returncode} before {text!r} reached the window")
            time.sleep(0.02)
        raise TimeoutError(f"{text!r} did not reach the window within 120 s")
    finally:
        stop_process(proc)


def spread(values: list[float], unit: str = "s") -> str:
    fmt = "{:.2f}"
    med = fmt.format(statistics.median(values))
    return f"{med}{unit} [{fmt.format(min(values))}–{fmt.format(max(values))}]"


def report(title: str, figures: dict[str, tuple[dict[str, list[float]], str]]) -> None:
    """figures: name → ({contestant: values; "bare" first}, goal text)."""
    print(f"\n{title}")
    for name, (values, goal) in figures.items():
        print(f"  {name}: goal {goal}")
        bare = values["bare"]
        for who, vals in values.items():
            ratio = "" if who == "bare" else f"   ratio to bare {spread([a / b for a, b in zip(vals, bare)], '×')}"
            print(f"    {LABELS[who]:24} {spread(vals):>22}{ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--mode", choices=["web", "window", "both"], default="both")
    parser.add_argument("--no-compile", action="store_true",
                        help="do not compile the app's bytecode first (see the module's docstring)")
    parser.add_argument("--compare", type=Path, metavar="SRC",
                        help="also measure the app from this source tree (the folder holding chris_app)")
    parser.add_argument("--client-start", type=float, default=0.0, metavar="S",
                        help="window mode: the fake client waits S seconds before it connects (default 0)")
    args = parser.parse_args()

    if not args.no_compile:
        for src in [ROOT / "src", *([args.compare] if args.compare else [])]:
            compileall.compile_dir(str(src / "chris_app"), quiet=1)
    bytecode = "as installed (compiled)" if not args.no_compile else "app compiled from source at every start" \
        if os.environ.get("PYTHONDONTWRITEBYTECODE") else "as left by earlier starts"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"start-up, chris-app against a bare Flet app: {args.runs} rounds, alternating; "
          f"median [min–max]; bytecode {bytecode}; load average at start {load:.1f} on {os.cpu_count()} CPUs")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        hello = tmp / "hello.py"
        hello.write_text(HELLO)
        app = [sys.executable, "-m", "chris_app"]
        contestants = {"bare": {}, "app": {}}
        if args.compare:
            other = os.environ.get("PYTHONPATH")
            contestants["compare"] = {"PYTHONPATH": os.pathsep.join([str(args.compare.resolve()),
                                                                    *([other] if other else [])])}

        if args.mode in ("web", "both"):
            from playwright.sync_api import sync_playwright

            served: dict[str, list[float]] = {who: [] for who in contestants}
            built: dict[str, list[float]] = {who: [] for who in contestants}
            cpu_served: dict[str, list[float]] = {who: [] for who in contestants}
            cpu_built: dict[str, list[float]] = {who: [] for who in contestants}
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for run in range(args.runs):
                    for who, extra in contestants.items():
                        mark_device_introduced(tmp / f"web-{who}-{run}")  # a returning member's start
                        env = clean_env(CHRIS_APP_DATA_DIR=str(tmp / f"web-{who}-{run}"), **extra)
                        port = free_port()
                        if who == "bare":
                            s, b, cs, cb = measure_web(browser, [sys.executable, str(hello), "web", str(port)], port,
                                                       HELLO_TEXT, env)
                        else:
                            s, b, cs, cb = measure_web(browser, [*app, "--web", "--port", str(port)], port,
                                                       APP_TEXT, env)
                        served[who].append(s)
                        built[who].append(b)
                        cpu_served[who].append(cs)
                        cpu_built[who].append(cb)
                browser.close()
            ratio = statistics.median(a / b for a, b in zip(served["app"], served["bare"]))
            report("web build (--web)", {
                "served (HTTP 200 on /)": (served, f"< {GOAL_SERVED}× the bare app "
                                                  f"({'met' if ratio < GOAL_SERVED else 'NOT met'}: {ratio:.2f}×)"),
                "first screen built (its text in Chromium)": (built, "none set (reported)"),
                "CPU time of the process when served": (cpu_served, "none set (steadier than the wall "
                                                                    "clock on a loaded machine)"),
                "CPU time of the process when built": (cpu_built, "none set"),
            })

        if args.mode in ("window", "both"):
            shown: dict[str, list[float]] = {who: [] for who in contestants}
            cpu_shown: dict[str, list[float]] = {who: [] for who in contestants}
            for run in range(args.runs):
                for who, extra in contestants.items():
                    mark_device_introduced(tmp / f"window-{who}-{run}")  # a returning member's start
                    env = clean_env(CHRIS_APP_DATA_DIR=str(tmp / f"window-{who}-{run}"), **extra)
                    if who == "bare":
                        t, c = measure_window([sys.executable, str(hello), "window"], HELLO_TEXT, env, tmp,
                                              args.client_start)
                    else:
                        t, c = measure_window(app, APP_TEXT, env, tmp, args.client_start)
                    shown[who].append(t)
                    cpu_shown[who].append(c)
            report(f"window (Flet's socket, the fake client in Flutter's place, connecting after "
                   f"{args.client_start:g} s)", {
                "first screen received": (shown, "none set (reported)"),
                "CPU time of the process then": (cpu_shown, "none set"),
            })


if __name__ == "__main__":
    main()
