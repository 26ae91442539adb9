"""Links `chrisapp://open/<screen>` on desktops: which screen a link may open, and one app per
data directory (a link started while the app runs is handed over to it).

A reminder email links to `chrisapp://open/morning` (or `/evening`). The desktop registers
the scheme (docs/desktop-bundle.md, "Links"), so the system starts `chris-app <link>`. That
start asks the app already running on the same data directory to open the screen
(`hand_over`) and exits at once; when none runs it starts the app and opens the screen
first. The running app listens with `serve`; `Opener` opens what arrives in its window.

The hand-over uses the standard library's `multiprocessing.connection` (a Unix socket in
the data directory on Linux and macOS, a named pipe on Windows), authenticated with a
random key kept in the data directory, readable by the member only. Messages are plain
bytes (`send_bytes`/`recv_bytes`, never pickles), and the listener checks the route again:
only the screens in `LINKABLE` are ever opened.

Phones get the same links through Flet's deep links (page.route); the sign-in redirect
`chrisapp://open/sign-in?code=...` is theirs only (desktops sign in through a loopback
redirect) and is not a desktop link."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import queue
import secrets
import stat
import tempfile
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

SCHEME = "chrisapp"  # also [tool.flet.deep_linking], the .desktop file, Info.plist, the registry
HOST = "open"
MAX_LINK = 2048  # longer is not a link this app wrote

# The screens a link may open: the link's name -> the app's route (views wired in app.py).
# Left out: sign-in (carries a one-time code; phones only), welcome (the introduction is the
# app's own decision), and anything not named here.
LINKABLE: dict[str, str] = {
    "": "/", "home": "/", "morning": "/morning", "evening": "/evening", "progress": "/progress",
    "settings": "/settings", "affirmations": "/affirmations", "vision-board": "/vision-board",
    "recordings": "/recordings", "leaderboard": "/leaderboard", "subscribe": "/subscribe",
}
ROUTES = frozenset(LINKABLE.values())

KEY_FILE = "links.key"
SOCKET_FILE = "links.sock"
LOCK_FILE = "links.lock"
KEY_BYTES = 32
MAX_MESSAGE = 256
# How long a start waits for the running app to answer (it answers in milliseconds; this is
# only reached when that app hangs, and then the start goes on without it).
ANSWER_TIMEOUT_S = 5.0
# Unix socket paths are limited (108 bytes on Linux, 104 on macOS).
MAX_SOCKET_PATH = 100


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _refuse(url: object, reason: str) -> None:
    log.warning("Ignoring the link %s: %s", _shown(url), reason)
    return None


def route_of(url: object) -> str | None:
    """The app route a link opens ("/morning" for `chrisapp://open/morning`), or None (with a
    log line saying why) for anything that is not a link to one of the `LINKABLE` screens.

    Accepted: `chrisapp://open/<name>` and `chrisapp:open/<name>`, the scheme and host in any
    case, one trailing slash, a query or fragment (ignored); `chrisapp://open` is Home."""
    if not isinstance(url, str):
        return _refuse(url, "not text")
    if len(url) > MAX_LINK:
        return _refuse(url, f"longer than {MAX_LINK} characters")
    url = url.strip(" ")
    if not url.isprintable():
        return _refuse(url, "it holds control characters")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return _refuse(url, f"not a URL ({exc})")
    if parts.scheme != SCHEME:  # (urlsplit lowers the scheme)
        return _refuse(url, f"not a {SCHEME}: link")
    if parts.netloc:  # chrisapp://open/<name>
        host, tail = parts.netloc, parts.path.removeprefix("/")
    elif parts.path.startswith("/"):
        return _refuse(url, f"no {HOST!r} after {SCHEME}:")
    else:  # chrisapp:open/<name>
        host, _, tail = parts.path.partition("/")
    if not host.isascii() or host.lower() != HOST:
        return _refuse(url, f"it does not open the app ({SCHEME}://{HOST}/<screen>)")
    name = tail.removesuffix("/")
    if not name.isascii() or name.lower() not in LINKABLE:
        if name.lower() == "sign-in":
            return _refuse(url, "sign-in links belong to the phone app's sign-in redirect")
        return _refuse(url, "no screen of that name may be opened by a link")
    return LINKABLE[name.lower()]


# --- One app per data directory -------------------------------------------------------------

def address_of(data_dir: Path) -> tuple[str, str]:
    """(address, family) where the app serving `data_dir` listens."""
    data_dir = Path(data_dir).resolve()
    digest = hashlib.sha256(os.fsencode(data_dir)).hexdigest()[:24]
    if os.name == "nt":
        user = hashlib.sha256(os.environ.get("USERNAME", "").lower().encode()).hexdigest()[:8]
        return rf"\\.\pipe\ChrisDisciplined-links-{user}-{digest}", "AF_PIPE"
    path = data_dir / SOCKET_FILE
    if len(os.fsencode(path)) <= MAX_SOCKET_PATH:
        return str(path), "AF_UNIX"
    # A data directory too deep for a socket path: a private folder of this user in the
    # temporary directory, one socket per data directory.
    return str(_private_temp_dir() / f"{digest}.sock"), "AF_UNIX"


def _private_temp_dir() -> Path:
    folder = Path(tempfile.gettempdir()) / f"chris-app-{os.getuid()}"
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise OSError(f"{folder} is not a private folder of this user")
    return folder


def _read_key(data_dir: Path) -> bytes | None:
    try:
        key = (Path(data_dir) / KEY_FILE).read_bytes()
    except OSError:
        return None
    return key if len(key) == KEY_BYTES else None


def _own_key(data_dir: Path) -> bytes:
    """The data directory's key, made (readable by this user only) when missing or damaged."""
    path = Path(data_dir) / KEY_FILE
    key = _read_key(data_dir)
    if key is None:
        key = secrets.token_bytes(KEY_BYTES)
        temp = path.with_name(f"{KEY_FILE}.{os.getpid()}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
        try:
            os.write(fd, key)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    if os.name != "nt" and path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    return key


@contextlib.contextmanager
def _setup_lock(data_dir: Path) -> Iterator[None]:
    """Serialises the check-for-a-running-app-then-listen of two starts at the same moment
    (POSIX; on Windows the pipe itself admits one listener)."""
    if os.name == "nt":
        yield
        return
    import fcntl

    fd = os.open(Path(data_dir) / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # (releases the lock)


def _request(address: str, family: str, key: bytes, message: bytes, timeout: float) -> bytes | None:
    """Sends `message` to the listener at `address` and returns its answer; None when nothing
    listens there, the key does not match, or no answer comes within `timeout` seconds.
    The exchange runs on a thread of its own, so that a listener which accepts and then
    hangs cannot hang the caller."""
    from multiprocessing.connection import Client

    answers: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()

    def exchange() -> None:
        answer = None
        try:
            with Client(address, family=family, authkey=key) as conn:
                conn.send_bytes(message)
                if conn.poll(timeout):
                    answer = conn.recv_bytes(MAX_MESSAGE)
        except (OSError, EOFError, ValueError) as exc:  # none listens, refused, wrong key
            log.debug("links: no answer at %s: %s", address, exc)
        except Exception as exc:  # noqa: BLE001  (AuthenticationError and the like)
            log.debug("links: no answer at %s: %r", address, exc)
        answers.put(answer)

    threading.Thread(target=exchange, name="chris-app-link-client", daemon=True).start()
    try:
        return answers.get(timeout=timeout)
    except queue.Empty:
        log.warning("links: the app at %s did not answer within %.0f s", address, timeout)
        return None


def hand_over(data_dir: Path, route: str, timeout: float = ANSWER_TIMEOUT_S) -> bool:
    """Asks the app running on `data_dir` to open `route`; True when it took it. False at
    once when no app listens there (no key, no socket, refused)."""
    if route not in ROUTES:
        log.warning("links: not handing over %s: not a route a link may open", _shown(route))
        return False
    key = _read_key(data_dir)
    if key is None:
        return False
    address, family = address_of(data_dir)
    if family == "AF_UNIX" and not os.path.exists(address):
        return False
    return _request(address, family, key, b"open " + route.encode(), timeout) == b"ok"


@dataclass
class Serving:
    """A running listener (from `serve`); `stop()` ends it and removes its socket."""

    address: str
    family: str
    _key: bytes = field(repr=False)
    _listener: Any = field(repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _stopped: threading.Event = field(default_factory=threading.Event, repr=False)

    def stop(self, timeout: float = ANSWER_TIMEOUT_S) -> None:
        if self._stopped.is_set():
            return
        self._stopped.set()
        # accept() does not return when the listener is closed under it: wake it with a call
        # (accepted, then closed unanswered: the call ends at once).
        _request(self.address, self.family, self._key, b"ping", timeout)
        if self._thread is not None:
            self._thread.join(timeout)
        with contextlib.suppress(OSError):
            self._listener.close()  # (a Unix socket's file goes with it)


def _answers(address: str, key: bytes) -> str:
    """For a Unix socket file: 'live' (an app answers on it), 'stale' (nobody listens: left by
    an app that crashed) or 'busy' (it accepts but does not answer)."""
    import socket

    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(address)
    except (ConnectionRefusedError, FileNotFoundError):
        return "stale"
    except OSError:
        pass
    finally:
        probe.close()
    return "live" if _request(address, "AF_UNIX", key, b"ping", ANSWER_TIMEOUT_S) == b"ok" else "busy"


def serve(data_dir: Path, on_route: Callable[[str], None]) -> Serving | None:
    """Listens for routes handed over by later starts on `data_dir` and calls
    `on_route(route)` for each (on the listener's thread; only routes in `ROUTES`).
    Returns None, with a log line, when another app already serves this data directory or
    the listener cannot start; the app then runs without receiving links."""
    from multiprocessing.connection import Listener

    data_dir = Path(data_dir)
    try:
        address, family = address_of(data_dir)
        with _setup_lock(data_dir):
            key = _own_key(data_dir)
            if family == "AF_UNIX" and os.path.lexists(address):
                if not stat.S_ISSOCK(os.lstat(address).st_mode):
                    log.warning("links: %s is not a socket; links will not reach this app", address)
                    return None
                state = _answers(address, key)
                if state != "stale":
                    log.warning("links: another app (%s) serves %s; links go to it", state, data_dir)
                    return None
                os.unlink(address)  # left by an app that did not exit cleanly
            listener = Listener(address, family=family, authkey=key)
            if family == "AF_UNIX":
                os.chmod(address, 0o600)
    except OSError as exc:  # (Windows: the pipe exists, another app listens)
        log.warning("links: cannot listen for links on %s: %s", data_dir, exc)
        return None
    serving = Serving(address, family, key, listener)
    serving._thread = threading.Thread(target=_accept_loop, args=(serving, on_route),
                                       name="chris-app-links", daemon=True)
    serving._thread.start()
    return serving


def _accept_loop(serving: Serving, on_route: Callable[[str], None]) -> None:
    failures = 0
    while True:
        try:
            conn = serving._listener.accept()  # (authenticates the caller with the key)
        except Exception as exc:  # noqa: BLE001  (a wrong key, a caller gone, a closed listener)
            if serving._stopped.is_set():
                return
            failures += 1
            log.debug("links: refused a caller: %r", exc)
            serving._stopped.wait(min(1.0, 0.01 * failures))  # no busy loop if accept keeps failing
            continue
        failures = 0
        if serving._stopped.is_set():  # (the wake-up call of stop(): left unanswered)
            conn.close()
            return
        with conn:
            try:
                if not conn.poll(ANSWER_TIMEOUT_S):
                    continue
                answer = _answer(conn.recv_bytes(MAX_MESSAGE), on_route)
                conn.send_bytes(answer)
            except (OSError, EOFError) as exc:
                log.debug("links: a caller left early: %r", exc)


def _answer(message: bytes, on_route: Callable[[str], None]) -> bytes:
    if message == b"ping":
        return b"ok"
    verb, _, rest = message.partition(b" ")
    try:
        route = rest.decode("ascii")
    except UnicodeDecodeError:
        route = None
    if verb != b"open" or route not in ROUTES:
        log.warning("links: refused a hand-over %s", _shown(message))
        return b"no"
    try:
        on_route(route)
    except Exception:  # noqa: BLE001  (the app's trouble; the listener keeps serving)
        log.exception("links: opening %s failed", route)
        return b"failed"
    return b"ok"


# --- Opening routes in the app's window ----------------------------------------------------

class Opener:
    """Opens the routes of links in the app's window: the link the app was started with
    (`first_route`) when its page is attached, then every route `deliver`ed from the
    listener's thread, raising the window (Flet's `page.window.to_front()`). Routes that
    arrive before the page are kept; the latest wins."""

    def __init__(self, first_route: str | None = None) -> None:
        self.first_route = first_route if first_route in ROUTES else None
        self._pending = self.first_route
        self._page: Any = None
        self._lock = threading.Lock()

    def attach(self, page: Any) -> None:
        """The page now showing the app (call on its own loop, after it rendered the app)."""
        with self._lock:
            self._page, route, self._pending = page, self._pending, None
        if route is not None:
            page.navigate(route)

    def deliver(self, route: str) -> None:
        """A route handed over by a later start (from any thread)."""
        if route not in ROUTES:
            return
        with self._lock:
            page = self._page
            if page is None:
                self._pending = route
                return
        try:
            page.run_task(self._bring, page, route)
        except Exception as exc:  # noqa: BLE001  (the page's session is gone)
            log.warning("links: could not open %s: %r", route, exc)
            with self._lock:
                if self._page is page:
                    self._page, self._pending = None, route

    @staticmethod
    async def _bring(page: Any, route: str) -> None:
        await page.push_route(route)
        try:
            await page.window.to_front()
        except Exception as exc:  # noqa: BLE001  (a client that cannot raise its window)
            log.debug("links: could not raise the window: %r", exc)

    def wrap(self, main: Callable[[Any], Awaitable[None]]) -> Callable[[Any], Awaitable[None]]:
        """The page handler `main`, then `attach(page)` (before the app's first effects run,
        so the screen of the link is asked for before any screen the app's effects open)."""
        async def main_with_links(page: Any) -> None:
            await main(page)
            self.attach(page)

        return main_with_links
