"""Start-up time: process start → first screen served (HTTP 200) → first screen built in the
browser (its text in Flutter's accessibility tree), for the app and for a bare Flet
hello-world measured the same way in the same run. Prints medians and the ratio.

    .venv/bin/python benchmarks/startup.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, free_port, has_text, stop_process  # noqa: E402

HELLO = textwrap.dedent("""
    import sys
    import flet as ft

    def main(page: ft.Page):
        page.add(ft.Text("Hello, world"))

    ft.run(main, view=ft.AppView.WEB_BROWSER, port=int(sys.argv[1]), no_cdn=True)
""")


def measure(browser, command: list[str], port: int, text: str, env: dict) -> tuple[float, float]:
    import urllib.request

    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(f"{command} exited with {proc.returncode}")
                time.sleep(0.02)
        served = time.perf_counter() - start
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
        page.eval_on_selector("flt-semantics-placeholder", "e => e.click()")
        while not has_text(page, text):
            time.sleep(0.02)
        built = time.perf_counter() - start
        page.close()
        return served, built
    finally:
        stop_process(proc)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        hello = Path(tmp) / "hello.py"
        hello.write_text(HELLO)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        results: dict[str, list[tuple[float, float]]] = {"hello-world": [], "chris-app": []}
        for run in range(args.runs):
            env = {**os.environ, "CHRIS_APP_DATA_DIR": f"{tmp}/data{run}"}
            port = free_port()
            results["hello-world"].append(measure(browser, [sys.executable, str(hello), str(port)], port, "Hello, world", env))
            port = free_port()
            results["chris-app"].append(
                measure(browser, [sys.executable, "-m", "chris_app", "--web", "--port", str(port)], port,
                        "Start the morning protocol", env))
        browser.close()
    med = {k: (statistics.median(s for s, _ in v), statistics.median(b for _, b in v)) for k, v in results.items()}
    print(f"{'':12} {'served (s)':>11} {'built (s)':>10}   ({args.runs} runs, medians)")
    for name, (served, built) in med.items():
        print(f"{name:12} {served:11.2f} {built:10.2f}")
    print(f"ratio app / hello-world: served {med['chris-app'][0] / med['hello-world'][0]:.2f}x, "
          f"built {med['chris-app'][1] / med['hello-world'][1]:.2f}x")


if __name__ == "__main__":
    main()
