"""The desktop bundles: their size on disk against the goal, and the built binaries' start-up
next to the source install's (`python -m chris_app`), measured the same way in the same run.

    .venv/bin/python benchmarks/size.py [--full DIR] [--desktop DIR] [--runs 5] [--only full|desktop]

Both variants of build.spec are measured: the full bundle (window and --web) and the
window-only one (CHRIS_BUNDLE=desktop). A dist directory given with --full/--desktop is
reused; otherwise that variant is built into a temporary directory first (one to three
minutes each) and the build time printed.

Size: MB (10^6 bytes) of every file in the bundle's folder, and its largest pieces. Goal:
the window-only bundle ≤ 150 MB; its baseline is the full bundle of the same run (ratio
window-only / full).

Start-up, rounds alternating between the binaries and the source install so all see the same
machine load; median [min–max] and the ratio to the source (median and spread of the
per-round ratios):
- --version: process start → version printed and exited;
- serving: process start → HTTP 200 on / (web mode, full bundle only: the window-only one
  has no web mode);
- window: process start → the first screen's text received by the window, with
  tests/build/fake_flet_client.py in the place of Flet's desktop client (which cannot be
  downloaded here; Flutter's own start is not in the figure).
A fresh data directory each run; the first run after a build reads the bundle from a cold
page cache. The source install's bytecode is compiled first (as benchmarks/startup.py does;
the bundles carry theirs). No goal is set for these (reported).
"""

from __future__ import annotations

import argparse
import compileall
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.browser.conftest import free_port, stop_process  # noqa: E402
from tests.build.test_bundle import binary_in, build_bundle  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from startup import clean_env, measure_window, spread  # noqa: E402  (one copy of each)

GOAL_DESKTOP_MB = 150
MEASURED_BEFORE_MB = 232  # the one bundle before the window-only variant (issue 14)
APP_TEXT = "Start the morning protocol"


def bundle_size(folder: Path) -> tuple[float, int]:
    files = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    return sum(p.stat().st_size for p in files) / 1e6, len(files)


def largest(folder: Path, count: int = 6) -> str:
    internal = folder / "_internal" if (folder / "_internal").is_dir() else folder
    pieces = sorted(((bundle_size(p)[0] if p.is_dir() else p.stat().st_size / 1e6), p.name)
                    for p in internal.iterdir() if not p.is_symlink())[-count:]
    return ", ".join(f"{name} {size:.1f}" for size, name in reversed(pieces))


def time_version(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([*cmd, "--version"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def time_served(cmd: list[str], data: Path) -> float:
    port = free_port()
    start = time.perf_counter()
    proc = subprocess.Popen([*cmd, "--web", "--port", str(port), "--data-dir", str(data)], env=clean_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = start + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
                    if r.status == 200:
                        return time.perf_counter() - start
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(f"{cmd} exited with {proc.returncode}") from None
                if time.perf_counter() > deadline:
                    raise TimeoutError(f"{cmd} did not serve within 120 s") from None
                time.sleep(0.01)
    finally:
        stop_process(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", type=Path, metavar="DIST", help="a dist directory of the full bundle to reuse")
    parser.add_argument("--desktop", type=Path, metavar="DIST",
                        help="a dist directory of the window-only bundle (CHRIS_BUNDLE=desktop) to reuse")
    parser.add_argument("--only", choices=["full", "desktop"], help="measure one variant")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    variants = [args.only] if args.only else ["full", "desktop"]
    compileall.compile_dir(str(ROOT / "src" / "chris_app"), quiet=1)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        exes: dict[str, Path] = {}
        for variant in variants:
            given = getattr(args, variant)
            if given:
                exes[variant] = binary_in(given.resolve())
                if not exes[variant].is_file():
                    sys.exit(f"no bundle in {given} (expected {exes[variant]})")
            else:
                start = time.perf_counter()
                exes[variant] = build_bundle(tmp / variant / "dist", tmp / variant / "work", variant)
                print(f"build ({variant}): {time.perf_counter() - start:.0f} s")

        sizes = {variant: bundle_size(exe.parent) for variant, exe in exes.items()}
        print("\nsize (MB = 10^6 bytes)")
        for variant, (mb, count) in sizes.items():
            if variant == "desktop":
                goal = f"goal ≤ {GOAL_DESKTOP_MB} MB ({'met' if mb <= GOAL_DESKTOP_MB else 'NOT met'})"
                if "full" in sizes:
                    goal += f"; {mb / sizes['full'][0]:.2f}× the full bundle"
            else:
                goal = f"no goal (window and --web); one bundle measured {MEASURED_BEFORE_MB} MB before issue 14"
            print(f"  {variant:8} {mb:7.1f} MB in {count} files   {goal}")
            print(f"  {'':8} largest (MB): {largest(exes[variant].parent)}")

        commands = {"source": [sys.executable, "-m", "chris_app"], **{v: [str(e)] for v, e in exes.items()}}
        version: dict[str, list[float]] = {k: [] for k in commands}
        served: dict[str, list[float]] = {k: [] for k in commands if k != "desktop"}
        window: dict[str, list[float]] = {k: [] for k in commands}
        for run in range(args.runs):  # interleaved, so all see the same machine state
            for name, cmd in commands.items():
                version[name].append(time_version(cmd))
                if name in served:
                    served[name].append(time_served(cmd, tmp / f"web-{name}-{run}"))
                window[name].append(measure_window([*cmd, "--data-dir", str(tmp / f"window-{name}-{run}")],
                                                    APP_TEXT, clean_env(), tmp, 0)[0])

    print(f"\nstart-up ({args.runs} rounds, alternating; median [min–max]; ratio to the source install per round)")
    for title, figures in (("--version", version), ("serving (HTTP 200 on /, web mode)", served),
                           ("window: first screen received (fake client)", window)):
        print(f"  {title}: no goal set (reported)")
        for name, values in figures.items():
            ratio = "" if name == "source" else \
                f"   ratio {spread([b / s for b, s in zip(values, figures['source'])], '×')}"
            label = {"source": "source install", "full": "full bundle", "desktop": "window-only bundle"}[name]
            print(f"    {label:20} {spread(values):>22}{ratio}")


if __name__ == "__main__":
    main()
