"""The desktop bundle: its size on disk and the built binary's start-up, next to the source
install (`python -m chris_app`) measured the same way in the same run.

    .venv/bin/python benchmarks/size.py [--dist DIR] [--runs 5]

Without --dist it builds build.spec into a temporary directory first (about a minute) and
prints how long that took. Start-up is measured from process start to `--version` printed
and exited, and to the first screen served (HTTP 200 on /, web mode, a fresh data directory
each run). The first run after a build reads the bundle from a cold page cache; the median
is over all runs. Prints medians and the ratio bundle / source.
"""

from __future__ import annotations

import argparse
import os
import statistics
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


def bundle_size(folder: Path) -> tuple[float, int]:
    files = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    return sum(p.stat().st_size for p in files) / 1e6, len(files)


def time_version(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([*cmd, "--version"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def time_served(cmd: list[str], data: Path) -> float:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "FLET_SERVER_PORT")}
    start = time.perf_counter()
    proc = subprocess.Popen([*cmd, "--web", "--port", str(port), "--data-dir", str(data)], env=env,
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
                time.sleep(0.02)
    finally:
        stop_process(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, help="a dist directory from `pyinstaller build.spec` to reuse")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.dist:
            exe = binary_in(args.dist.resolve())
            if not exe.is_file():
                sys.exit(f"no bundle in {args.dist} (expected {exe})")
        else:
            start = time.perf_counter()
            exe = build_bundle(tmp / "dist", tmp / "work")
            print(f"build: {time.perf_counter() - start:.1f} s (pyinstaller build.spec)")
        folder = exe.parent
        mb, count = bundle_size(folder)
        print(f"bundle: {folder}\n  {mb:.1f} MB in {count} files")
        internal = folder / "_internal"
        if internal.is_dir():
            biggest = sorted(((bundle_size(p)[0] if p.is_dir() else p.stat().st_size / 1e6), p.name)
                             for p in internal.iterdir() if not p.is_symlink())[-5:]
            print("  largest: " + ", ".join(f"{name} {size:.1f} MB" for size, name in reversed(biggest)))

        commands = {"bundle": [str(exe)], "source": [sys.executable, "-m", "chris_app"]}
        version: dict[str, list[float]] = {k: [] for k in commands}
        served: dict[str, list[float]] = {k: [] for k in commands}
        for run in range(args.runs):  # interleaved, so both see the same machine state
            for name, cmd in commands.items():
                version[name].append(time_version(cmd))
                served[name].append(time_served(cmd, tmp / f"data-{name}-{run}"))

    print(f"\nstart-up ({args.runs} runs; first run / median, seconds)")
    print(f"{'':8} {'--version':>18} {'serving (HTTP 200)':>20}")
    for name in commands:
        print(f"{name:8} {version[name][0]:8.2f} / {statistics.median(version[name]):6.2f} "
              f"{served[name][0]:10.2f} / {statistics.median(served[name]):6.2f}")
    ratio_v = statistics.median(version["bundle"]) / statistics.median(version["source"])
    ratio_s = statistics.median(served["bundle"]) / statistics.median(served["source"])
    print(f"ratio bundle / source (medians): --version {ratio_v:.2f}x, serving {ratio_s:.2f}x")


if __name__ == "__main__":
    main()
