"""`chris-app` / `python -m chris_app`: start the app (desktop window, or the web build)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from chris_app import __version__


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="chris-app", description="Chris Disciplined: your daily discipline.")
    parser.add_argument("--web", action="store_true", help="serve the app to a browser instead of a window")
    parser.add_argument("--port", type=int, default=8550, help="port for --web (default 8550)")
    parser.add_argument("--host", default="127.0.0.1", help="address for --web (default 127.0.0.1)")
    parser.add_argument("--data-dir", type=Path, help="where to keep the app's data (default: the user data dir)")
    parser.add_argument("--check-backend", action="store_true",
                        help="report which sync backend is configured and whether it answers, then exit")
    parser.add_argument("--version", action="version", version=f"chris-app {__version__}")
    return parser.parse_args(argv)


def clock_from_environment():
    """CHRIS_APP_NOW=2026-06-10T05:30:00+02:00 starts the app's clock at that instant (for
    demos and tests that move through days); otherwise the system clock."""
    from datetime import datetime

    from chris_app.state import shifted_clock, system_clock

    value = os.environ.get("CHRIS_APP_NOW")
    if not value:
        return system_clock
    start = datetime.fromisoformat(value)
    if start.tzinfo is None:
        raise SystemExit("CHRIS_APP_NOW needs a time zone offset, e.g. 2026-06-10T05:30:00+02:00")
    return shifted_clock(start)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.data_dir:
        os.environ["CHRIS_APP_DATA_DIR"] = str(args.data_dir)
    if args.check_backend:
        from chris_app.sync.check import check_backend
        from chris_app.sync.config import load_config

        ok, lines = check_backend(load_config())
        print("\n".join(lines))
        raise SystemExit(0 if ok else 1)

    import flet as ft

    from chris_app.app import make_main
    from chris_app.device import has_display
    from chris_app.paths import database_path
    from chris_app.store import open_store

    store = open_store(database_path())
    entry = make_main(store, clock_from_environment())
    if args.web or not has_display():
        # No window possible (or asked for the browser): serve the web build, fully offline.
        print(f"Chris Disciplined is serving at http://{args.host}:{args.port}/", flush=True)
        if not args.web:
            print("(no display found, so the app runs in your browser)", flush=True)
        os.environ.setdefault("FLET_SERVER_PORT", str(args.port))
        ft.run(entry, view=ft.AppView.WEB_BROWSER, host=args.host, port=args.port, no_cdn=True)
    else:
        ft.run(entry)


if __name__ == "__main__":
    main(sys.argv[1:])
