"""`chris-app` / `python -m chris_app`: start the app (desktop window, or the web build).

Start-up order (benchmarks/startup.py measures it against a bare Flet app): the store is
opened first (a database that cannot open stops the start with its error), then Flet's
server starts at once, while the app itself — every screen, the audio stack (numpy,
soundfile), the input models (pydantic) — is imported in a background thread. In the web
mode that thread starts when the server answers, so the browser downloads and boots the
Flutter client in the meantime; in a window it starts with the client's launch. The first
page waits for it only if it is not done yet.

`chris-app chrisapp://open/<screen>` (what the system runs for a link, e.g. a reminder
email's): when the app already runs on the same data directory, it is asked to open that
screen and this start exits at once; otherwise the app starts and opens it first
(chris_app/links.py). Every window start listens for such hand-overs."""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import ipaddress
import os
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from chris_app import __version__

# What the desktop-only bundle (build.spec with CHRIS_BUNDLE=desktop) says instead of serving.
NO_BROWSER_MODE = (
    "This build of Chris Disciplined opens a desktop window only: it has no browser mode (--web). "
    "Use the full build, or the app installed with pip, to serve it to a browser."
)
NO_BACKEND = (
    "chris-app --hosted serves many members, each signed in to their own account, so it needs the "
    "Supabase project they sign in to: set SUPABASE_URL and SUPABASE_ANON_KEY (or the config file; "
    "`chris-app --check-backend` says what is configured). Nothing was started."
)
SENTRY_OFF = ("SENTRY_DSN", "off: the hosted mode sends no client error reports")
# Flet keeps a page whose tab went away for this long (its default is an hour): then the page
# closes and its sync stops. A reload within it comes back to the same page.
HOSTED_SESSION_TIMEOUT_S = 120
NO_DISPLAY = (
    "No display found. This build of Chris Disciplined opens a desktop window only, and has no "
    "browser mode to fall back to: start it in a graphical session, or use the full build, which "
    "serves the app to a browser here."
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="chris-app", description="Chris Disciplined: your daily discipline.")
    parser.add_argument("--web", action="store_true", help="serve the app to a browser instead of a window")
    parser.add_argument("--hosted", action="store_true",
                        help="serve the web build to many members: signing in is required and each member's "
                             "data is kept apart (needs SUPABASE_URL and SUPABASE_ANON_KEY; docs/deployment.md)")
    parser.add_argument("--port", type=int, default=8550, help="port for --web (default 8550)")
    parser.add_argument("--host", default="127.0.0.1", help="address for --web (default 127.0.0.1)")
    parser.add_argument("--data-dir", type=Path, help="where to keep the app's data (default: the user data dir)")
    parser.add_argument("--check-backend", action="store_true",
                        help="report which sync backend is configured and whether it answers, then exit")
    parser.add_argument("--version", action="version", version=f"chris-app {__version__}")
    parser.add_argument("link", nargs="?", metavar="LINK",
                        help="a chrisapp://open/<screen> link (e.g. chrisapp://open/morning): opens that "
                             "screen, in the app already running if there is one")
    return parser.parse_args(argv)


def route_to_open(link: str | None) -> str | None:
    """The route the start's link asks for; None without a link or for one that opens no
    screen (logged: the app then starts as without it). When an app already runs on this
    data directory and takes the route, this start has nothing more to do: it exits (0)."""
    if not link:
        return None
    from chris_app import links
    from chris_app.paths import data_dir

    route = links.route_of(link)
    if route is not None and links.hand_over(data_dir(), route):
        print(f"Chris Disciplined was already open: it now shows {route}.", flush=True)
        raise SystemExit(0)
    return route


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


def has_browser_mode() -> bool:
    """False in the desktop-only bundle, which is built without Flet's web build."""
    from importlib.util import find_spec

    return find_spec("flet_web") is not None


def window_possible() -> bool:
    """Whether `ft.run` would open a window here: a display (chris_app.device) and none of the
    cases where Flet serves the web build instead (no X11 DISPLAY on Linux, even under
    Wayland; FLET_FORCE_WEB_SERVER)."""
    from flet.utils import get_bool_env_var, is_linux_server

    from chris_app.device import has_display

    return has_display() and not is_linux_server() and not get_bool_env_var("FLET_FORCE_WEB_SERVER")


# The shell and the default first screen: the Flet controls their code names are imported by
# the loader too (below).
FIRST_SCREEN_MODULES = ("chris_app.app", "chris_app.views.common", "chris_app.views.home")


def flet_names_in(module_names: tuple[str, ...]) -> set[str]:
    """The names of Flet's public API (`ft.Text`, `ft.Theme`, ...) that these modules' code
    refers to, read from their compiled code (the bundle has no sources)."""
    import importlib
    import types

    import flet as ft

    names: set[str] = set()

    def collect(code: types.CodeType) -> None:
        names.update(code.co_names)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                collect(const)

    for name in module_names:
        module = importlib.import_module(name)
        code = module.__spec__.loader.get_code(name) if module.__spec__ and module.__spec__.loader else None
        if code is not None:
            collect(code)
    return names & set(ft.__all__)


def warm_up(window: bool) -> None:
    """Imports what the first page needs beyond the app's own imports, so that the page's
    loop, which sends nothing while it imports, does not: Flet imports a control's module
    the first time the control is named (ft.Theme alone is ~0.3 s), and a desktop's first
    page starts the reminders' notifier (desktop_notifier, D-Bus). Best effort: a failure
    here leaves the import to the page, as without it."""
    try:
        import flet as ft
        import flet.components.component  # noqa: F401  (the renderer's; imported at the first render)

        for name in sorted(flet_names_in(FIRST_SCREEN_MODULES)):
            getattr(ft, name)
        if window:
            from desktop_notifier.main import get_backend_class

            get_backend_class()  # imports this platform's backend (Linux: D-Bus), as the page would
    except Exception:  # noqa: BLE001
        pass


def deferred_entry(load: Callable[[], Callable]) -> tuple[Callable, Callable[[], None]]:
    """The page handler for `ft.run`, and a function that starts `load()` (which returns the
    real handler) in a background thread. A page that opens before the load has finished
    waits for it; a page that opens before it was started starts it. A load that fails is
    printed once and shown on every page (as Flet shows an error in main)."""
    future: concurrent.futures.Future = concurrent.futures.Future()
    started = threading.Lock()

    def run() -> None:
        # While this thread imports (pure Python, holding the interpreter lock), the server's
        # thread waits for the lock at every file chunk it sends the browser: make it wait
        # 0.5 ms instead of the default 5 ms.
        previous = sys.getswitchinterval()
        sys.setswitchinterval(min(previous, 0.0005))
        try:
            future.set_result(load())
        except BaseException as exc:  # noqa: BLE001 (reported, then re-raised in every page)
            print("Chris Disciplined could not load:", file=sys.stderr)
            traceback.print_exc()
            sys.stderr.flush()
            future.set_exception(exc)
        finally:
            sys.setswitchinterval(previous)

    def start() -> None:
        if started.acquire(blocking=False):
            threading.Thread(target=run, name="chris-app-load", daemon=True).start()

    async def entry(page) -> None:
        start()
        # shield: a page closed while it waits must not cancel the load for the next one
        main = await asyncio.shield(asyncio.wrap_future(future))
        await main(page)

    return entry, start


def start_when_answering(host: str, port: int, start: Callable[[], None], timeout: float = 30) -> None:
    """Calls `start` once the server at host:port accepts a connection (or after `timeout`),
    from a watcher thread, so the app's imports do not compete with the server's start."""
    probe = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "*": "127.0.0.1", "::": "::1"}.get(host, host)

    def watch() -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((probe, port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.02)
        start()

    threading.Thread(target=watch, name="chris-app-watch", daemon=True).start()


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach an address (a name other than localhost may be
    anything, so it counts as reachable)."""
    if host.strip().lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def shared_store_warning(host: str, port: int) -> str:
    """What plain --web says when other machines can reach it: it has one member's store."""
    bar = "!" * 78
    return "\n".join([
        bar,
        f"WARNING: chris-app --web is serving ONE member's data at http://{host}:{port}/ to anyone",
        "who can reach this address. Plain --web has no sign-in wall: every visitor sees and",
        "changes this member's days, recordings, affirmations, vision board, settings and account.",
        "For yourself, serve it on 127.0.0.1 (the default). To serve many members, use the hosted",
        "mode instead: chris-app --hosted (each member signs in and has a store of their own;",
        "see docs/deployment.md).",
        bar,
    ])


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
    if args.hosted:
        serve_hosted(args)
        return
    route = route_to_open(args.link)  # (exits here when the running app took it)

    web = args.web or not window_possible()
    if web and not has_browser_mode():
        print(NO_BROWSER_MODE if args.web else NO_DISPLAY, file=sys.stderr)
        raise SystemExit(2)

    import flet as ft
    import flet.app  # noqa: F401  (ft.run's module, imported here before the loader thread runs)

    from chris_app.assets import assets_dir
    from chris_app.paths import database_path
    from chris_app.store import open_store

    store = open_store(database_path())
    clock = clock_from_environment()
    opener = serving = None
    if not web:  # a window: links started later are handed over to it (chris_app/links.py)
        from chris_app import links
        from chris_app.paths import data_dir

        opener = links.Opener(route)
        serving = links.serve(data_dir(), opener.deliver)

    def load():
        from chris_app.app import make_main

        main = make_main(store, clock, first_route=opener.first_route if opener is not None else None, web=web)
        warm_up(window=not web)
        return opener.wrap(main) if opener is not None else main

    entry, start = deferred_entry(load)
    assets = str(assets_dir())  # the icon, fonts and sounds the client loads by path
    if web:
        # No window possible (or asked for the browser): serve the web build, fully offline.
        host = os.environ.get("FLET_SERVER_IP") or args.host  # (Flet's environment wins)
        if not is_loopback(host):
            print(shared_store_warning(host, int(os.environ.get("FLET_SERVER_PORT") or args.port)),
                  file=sys.stderr, flush=True)
        print(f"Chris Disciplined is serving at http://{args.host}:{args.port}/", flush=True)
        if not args.web:
            print("(no display found, so the app runs in your browser)", flush=True)
        if route is not None:
            print(f"The link's screen: http://{args.host}:{args.port}{route}", flush=True)
        serve_web(entry, start, args.host, args.port, assets)
    else:
        start()  # the client window takes longer to start than the app's imports
        try:
            ft.run(entry, assets_dir=assets)
        finally:
            if serving is not None:
                serving.stop()


def serve_web(entry: Callable, start: Callable[[], None], host: str, port: int, assets: str) -> None:
    """Serve the web build, fully offline; `start` (the app's load) once the server answers."""
    import flet as ft

    os.environ.setdefault("FLET_SERVER_PORT", str(port))
    # (Flet's environment overrides the arguments: watch where it really listens.)
    start_when_answering(os.environ.get("FLET_SERVER_IP") or host, int(os.environ["FLET_SERVER_PORT"]), start)
    ft.run(entry, view=ft.AppView.WEB_BROWSER, host=host, port=port, no_cdn=True, assets_dir=assets)


def serve_hosted(args: argparse.Namespace) -> None:
    """`--hosted`: the web build for many members (chris_app/hosted.py). No store is opened
    here: each signed-in page opens its member's own."""
    from chris_app.sync.config import load_config

    config = load_config()
    if config is None:
        print(NO_BACKEND, file=sys.stderr, flush=True)
        raise SystemExit(2)
    if not has_browser_mode():
        print(NO_BROWSER_MODE, file=sys.stderr, flush=True)
        raise SystemExit(2)
    import flet as ft  # noqa: F401
    import flet.app  # noqa: F401  (ft.run's module, imported here before the loader thread runs)

    from chris_app.assets import assets_dir
    from chris_app.paths import data_dir

    root = data_dir()
    clock = clock_from_environment()
    os.environ.setdefault("FLET_SESSION_TIMEOUT", str(HOSTED_SESSION_TIMEOUT_S))
    # Error reports are a switch each member turns on for their own device (chris_app.reporting),
    # but Sentry is one per process: here one member's choice would report every member's
    # errors, scrubbed of that one member's words only. So the hosted mode sends none (a value
    # that is not an address wins over any configured DSN).
    os.environ[SENTRY_OFF[0]] = SENTRY_OFF[1]

    def load():
        from chris_app.hosted import make_hosted_main

        main = make_hosted_main(root, config, clock)
        warm_up(window=False)
        return main

    entry, start = deferred_entry(load)
    print(f"Chris Disciplined (hosted, members sign in) is serving at http://{args.host}:{args.port}/", flush=True)
    print(f"Member data: {root / 'members'}; sign-in: {config.url}", flush=True)
    serve_web(entry, start, args.host, args.port, str(assets_dir()))


if __name__ == "__main__":
    main(sys.argv[1:])
