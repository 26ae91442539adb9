"""Desktop links chrisapp://open/<screen> (chris_app/links.py, chris_app/cli.py, build.spec,
packaging/linux/, packaging/windows/): which screens a link opens, the hand-over to the app
already running on the same data directory (between real processes, over the standard
library's multiprocessing.connection), the app started by a link (the source tree's
`chris-app` in its window mode, with tests/build/fake_flet_client.py as the window), and the
files that register the scheme with the system.

What cannot run here (Linux, no display, no macOS or Windows): the macOS Info.plist is read
from build.spec, not from a built .app; the Windows registry script is read, not run. The
Linux .desktop file is installed with packaging/linux/install-links.sh into a temporary
XDG home and opened through xdg-open's own fallback (no desktop environment here)."""

from __future__ import annotations

import ast
import configparser
import json
import os
import queue
import shutil
import signal
import stat
import subprocess
import sys
import threading
import tomllib
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chris_app import cli, links

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "packaging" / "linux"
WINDOWS = ROOT / "packaging" / "windows"
PYTHON = sys.executable
# Generous: reached only when something is broken (every wait below ends on a state).
WAIT_S = 60

pytestmark = pytest.mark.timeout(240)


# --- Which screen a link opens ---------------------------------------------------------------

@pytest.mark.parametrize("url, route", [
    ("chrisapp://open/morning", "/morning"),
    ("chrisapp://open/evening", "/evening"),
    ("chrisapp://open/morning/", "/morning"),
    ("chrisapp:open/evening", "/evening"),
    ("chrisapp:open/evening/", "/evening"),
    ("CHRISAPP://OPEN/morning", "/morning"),
    ("ChrisApp://Open/Evening", "/evening"),
    ("chrisapp://open/morning?utm_source=kit&x=1", "/morning"),
    ("chrisapp://open/evening#top", "/evening"),
    ("chrisapp://open", "/"),
    ("chrisapp://open/", "/"),
    ("chrisapp:open", "/"),
    ("chrisapp://open/home", "/"),
    ("chrisapp://open/progress", "/progress"),
    ("chrisapp://open/settings", "/settings"),
    ("chrisapp://open/vision-board", "/vision-board"),
    ("  chrisapp://open/morning ", "/morning"),
])
def test_a_link_to_a_screen_opens_that_route(url, route):
    assert links.route_of(url) == route


@pytest.mark.parametrize("url", [
    "https://open/morning", "http://chrisapp.example/open/morning", "file:///etc/passwd",
    "javascript:alert(1)", "chrisapp", "", "morning", "/morning",
    "chrisapp://open/sign-in?code=abc",  # the phone's sign-in redirect: not a desktop link
    "chrisapp://open/sign-in",
    "chrisapp://open/welcome",  # the introduction is the app's decision
    "chrisapp://open/../morning", "chrisapp://open/./morning", "chrisapp://open/%2e%2e/etc",
    "chrisapp://open/morning/../../etc/passwd", "chrisapp://open/morning/extra", "chrisapp://open//morning",
    "chrisapp://open/morning//", "chrisapp://open/mor%6Eing", "chrisapp://open/morning\\..\\x",
    "chrisapp://close/morning", "chrisapp://evil.example/morning", "chrisapp://open:8080/morning",
    "chrisapp://user@open/morning", "chrisapp:///morning", "chrisapp:/open/morning",
    "chrisapp://[::1/morning", "chrisapp://open/MORN\u0130NG", "chrisapp://open/morning\x00",
    "chrisapp://open/mor\nning", "chrisapp://open/evening\r\n", "chrisapp://open/\u212aey",
    "chrisapp://open/" + "a" * 5000, "chrisapp://open/morning?" + "x" * 5000,
    None, b"chrisapp://open/morning", 42,
])
def test_anything_else_opens_nothing_and_says_why(url, caplog):
    with caplog.at_level("WARNING", logger="chris_app.links"):
        assert links.route_of(url) is None
    assert [r for r in caplog.records if r.getMessage().startswith("Ignoring the link")], caplog.text
    assert len(caplog.text) < 1000  # an absurd link is not copied whole into the log


@settings(max_examples=500, deadline=None)
@given(st.one_of(
    st.text(),
    st.text().map(lambda s: "chrisapp://open/" + s),
    st.text().map(lambda s: "chrisapp:" + s),
    st.builds(lambda a, b: f"chrisapp://open/{a}/{b}", st.text(), st.text()),
    st.binary().map(lambda b: "chrisapp://open/" + b.decode("latin-1")),
))
def test_no_input_crashes_the_parser_and_only_linkable_routes_come_out(url):
    assert links.route_of(url) in links.ROUTES | {None}


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(sorted(n for n in links.LINKABLE if n)),
       upper=st.lists(st.booleans(), min_size=20, max_size=20),
       form=st.sampled_from(["chrisapp://open/{}", "chrisapp:open/{}", "chrisapp://open/{}/"]),
       query=st.text(alphabet="abc=&%/?#.", max_size=30))
def test_every_linkable_screen_opens_in_any_case_with_any_query(name, upper, form, query):
    url = form.format("".join(c.upper() if u else c for c, u in zip(name, upper + [False] * len(name))))
    assert links.route_of(url + "?" + query) == links.LINKABLE[name]


def test_every_route_a_link_opens_is_a_screen_of_the_app():
    from chris_app.app import ROUTES

    paths = {"/" if route.index else "/" + route.path for route in ROUTES}
    assert links.ROUTES <= paths, links.ROUTES - paths
    assert {"/morning", "/evening", "/", "/progress", "/settings"} <= links.ROUTES
    assert "/sign-in" not in links.ROUTES and "/welcome" not in links.ROUTES


# --- The hand-over between processes ----------------------------------------------------------

LISTENER = """
import sys
from pathlib import Path
from chris_app import links
serving = links.serve(Path(sys.argv[1]), lambda route: print("route", route, flush=True))
print("serving" if serving else "not serving", flush=True)
sys.stdin.read()  # until the test closes stdin
if serving:
    serving.stop()
print("stopped", flush=True)
"""


class Listener:
    """A process that serves `data_dir` with links.serve and prints each route it gets."""

    def __init__(self, data_dir: Path) -> None:
        self.proc = subprocess.Popen([PYTHON, "-c", LISTENER, str(data_dir)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
        self.lines: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put("<exited>")

    def expect(self, wanted: str) -> None:
        """Waits for the line `wanted` (the other lines are kept in `seen`)."""
        while True:
            try:
                line = self.lines.get(timeout=WAIT_S)
            except queue.Empty:
                raise AssertionError(f"the listener never printed {wanted!r}; it printed {self.seen}") from None
            self.seen.append(line)
            if line == wanted:
                return
            if line == "<exited>":
                raise AssertionError(f"the listener exited before {wanted!r}: {self.seen}")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(WAIT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def listeners():
    started: list[Listener] = []

    def start(data_dir: Path) -> Listener:
        listener = Listener(data_dir)
        started.append(listener)
        return listener

    yield start
    for listener in started:
        if listener.proc.poll() is None:
            listener.proc.kill()
            listener.proc.wait()


def run_chris_app(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-m", "chris_app", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, timeout=WAIT_S)


def test_a_route_is_handed_over_to_the_app_running_on_the_data_dir(tmp_path, listeners):
    listener = listeners(tmp_path)
    listener.expect("serving")
    assert links.hand_over(tmp_path, "/morning") is True
    listener.expect("route /morning")

    # `chris-app <link>` from another process: handed over, exits 0 at once, opens no store.
    done = run_chris_app("chrisapp://open/evening", "--data-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "already open" in done.stdout and "/evening" in done.stdout, done.stdout
    listener.expect("route /evening")
    assert not (tmp_path / "chris.sqlite3").exists()  # the start ended before opening the data

    listener.close()
    listener.expect("stopped")
    assert not Path(links.address_of(tmp_path)[0]).exists()  # a clean exit leaves no socket
    assert links.hand_over(tmp_path, "/morning") is False


def test_the_key_and_the_socket_are_the_members_only(tmp_path, listeners):
    listener = listeners(tmp_path)
    listener.expect("serving")
    for path in (tmp_path / links.KEY_FILE, Path(links.address_of(tmp_path)[0])):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, (path, oct(path.stat().st_mode))
    assert len((tmp_path / links.KEY_FILE).read_bytes()) == links.KEY_BYTES


def test_with_no_app_running_the_hand_over_fails_without_trying_to_connect(tmp_path, monkeypatch):
    def no_call(*args, **kwargs):
        raise AssertionError("tried to reach an app that cannot be there")

    monkeypatch.setattr(links, "_request", no_call)
    assert links.hand_over(tmp_path / "never-used", "/morning") is False  # no key, no folder
    (tmp_path / links.KEY_FILE).write_bytes(os.urandom(links.KEY_BYTES))
    assert links.hand_over(tmp_path, "/morning") is False  # a key, no socket


def test_a_stale_socket_of_a_killed_app_neither_waits_nor_blocks_the_next_start(tmp_path, listeners):
    crashed = listeners(tmp_path)
    crashed.expect("serving")
    crashed.proc.send_signal(signal.SIGKILL)
    crashed.proc.wait(WAIT_S)
    address = Path(links.address_of(tmp_path)[0])
    assert stat.S_ISSOCK(address.lstat().st_mode)  # left behind

    # Refused at once: a timeout as long as this test's own limit would fail it if waited on.
    assert links.hand_over(tmp_path, "/evening", timeout=600) is False

    listener = listeners(tmp_path)
    listener.expect("serving")
    assert links.hand_over(tmp_path, "/evening") is True
    listener.expect("route /evening")


def test_a_second_listener_on_the_same_data_dir_leaves_the_first_one_serving(tmp_path, listeners, caplog):
    first = listeners(tmp_path)
    first.expect("serving")
    with caplog.at_level("WARNING", logger="chris_app.links"):
        assert links.serve(tmp_path, lambda route: None) is None
    assert "another app (live)" in caplog.text
    second = listeners(tmp_path)
    second.expect("not serving")
    assert links.hand_over(tmp_path, "/progress") is True
    first.expect("route /progress")


def test_a_caller_without_the_key_is_refused(tmp_path, listeners):
    listener = listeners(tmp_path)
    listener.expect("serving")
    key_file = tmp_path / links.KEY_FILE
    key = key_file.read_bytes()
    key_file.write_bytes(bytes(b ^ 0xFF for b in key))
    assert links.hand_over(tmp_path, "/morning") is False
    key_file.write_bytes(key)
    assert links.hand_over(tmp_path, "/settings") is True
    listener.expect("route /settings")
    assert "route /morning" not in listener.seen


@pytest.mark.parametrize("message", [
    b"open /etc/passwd", b"open /sign-in?code=abc", b"open /welcome", b"open ../morning", b"open",
    b"OPEN /morning", b"open /morning\x00", b"open /m\xc3\xb6rning", b"route /morning", b"",
    b"open /" + b"a" * 10_000,
])
def test_the_listener_opens_only_linkable_routes_whatever_it_is_sent(tmp_path, message):
    from multiprocessing.connection import Client

    got: list[str] = []
    serving = links.serve(tmp_path, got.append)
    assert serving is not None
    try:
        key = (tmp_path / links.KEY_FILE).read_bytes()
        with Client(serving.address, family=serving.family, authkey=key) as conn:
            conn.send_bytes(message)
            try:
                answer = conn.recv_bytes(64) if conn.poll(WAIT_S) else None
            except (EOFError, OSError):
                answer = None  # (too long: the listener drops the caller)
        assert answer in (b"no", None)
        assert links.hand_over(tmp_path, "/evening") is True  # and it keeps serving
        assert got == ["/evening"]
    finally:
        serving.stop()
    assert links.hand_over(tmp_path, "/morning") is False


def test_a_data_dir_too_deep_for_a_socket_path_gets_one_in_a_private_temp_folder(tmp_path):
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    got: list[str] = []
    serving = links.serve(deep, got.append)
    assert serving is not None
    try:
        address = Path(serving.address)
        assert not address.is_relative_to(deep) and len(os.fsencode(address)) <= links.MAX_SOCKET_PATH
        assert stat.S_IMODE(address.parent.stat().st_mode) == 0o700
        assert links.hand_over(deep, "/recordings") is True
        assert got == ["/recordings"]
    finally:
        serving.stop()
    assert not address.exists()


def test_a_damaged_key_is_replaced_when_the_app_starts_listening(tmp_path):
    (tmp_path / links.KEY_FILE).write_bytes(b"short")
    os.chmod(tmp_path / links.KEY_FILE, 0o644)
    serving = links.serve(tmp_path, lambda route: None)
    try:
        assert len((tmp_path / links.KEY_FILE).read_bytes()) == links.KEY_BYTES
        assert stat.S_IMODE((tmp_path / links.KEY_FILE).stat().st_mode) == 0o600
        assert links.hand_over(tmp_path, "/") is True
    finally:
        serving.stop()


def test_a_route_that_links_may_not_open_is_not_handed_over(tmp_path):
    got: list[str] = []
    serving = links.serve(tmp_path, got.append)
    try:
        assert links.hand_over(tmp_path, "/sign-in?code=abc") is False
        assert links.hand_over(tmp_path, "/welcome") is False
    finally:
        serving.stop()
    assert got == []


# --- Opening the routes in the window -------------------------------------------------------

class FakeWindow:
    def __init__(self, calls: list, raised: threading.Event) -> None:
        self.calls, self.raised = calls, raised

    async def to_front(self) -> None:
        self.calls.append("to_front")
        self.raised.set()


class FakePage:
    """What Opener uses of a Flet page: navigate, push_route, run_task (thread-safe), window."""

    def __init__(self, loop) -> None:
        self.loop, self.calls, self.raised = loop, [], threading.Event()
        self.window = FakeWindow(self.calls, self.raised)

    def navigate(self, route: str) -> None:
        self.calls.append(("navigate", route))

    async def push_route(self, route: str) -> None:
        self.calls.append(("push_route", route))

    def run_task(self, handler, *args):
        import asyncio

        self.calls.append("run_task")
        return asyncio.run_coroutine_threadsafe(handler(*args), self.loop)


def test_the_opener_opens_the_first_link_then_each_handed_over_route_and_raises_the_window():
    import asyncio

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        page = FakePage(loop)
        opener = links.Opener("/evening")
        assert opener.first_route == "/evening"
        opener.deliver("/progress")  # before the page: kept, the latest wins
        rendered: list[str] = []

        async def main(p):
            rendered.append("rendered")

        asyncio.run_coroutine_threadsafe(opener.wrap(main)(page), loop).result(WAIT_S)
        assert rendered == ["rendered"] and page.calls == [("navigate", "/progress")]

        delivered = threading.Thread(target=opener.deliver, args=("/morning",))  # the listener's thread
        delivered.start()
        delivered.join()
        assert page.raised.wait(WAIT_S)
        assert page.calls == [("navigate", "/progress"), "run_task", ("push_route", "/morning"), "to_front"]
        opener.deliver("/sign-in")  # not linkable: ignored
        assert len(page.calls) == 4
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()


def test_an_opener_without_a_link_opens_nothing_when_the_page_comes():
    page = FakePage(None)
    links.Opener(None).attach(page)
    links.Opener("/sign-in").attach(page)
    assert page.calls == []


# --- chris-app LINK ---------------------------------------------------------------------------

def test_the_command_line_takes_a_link_as_its_only_argument_or_after_its_options(tmp_path):
    assert cli.parse_args(["chrisapp://open/morning"]).link == "chrisapp://open/morning"
    args = cli.parse_args(["--data-dir", str(tmp_path), "chrisapp://open/evening"])
    assert args.link == "chrisapp://open/evening" and args.data_dir == tmp_path
    assert cli.parse_args(["chrisapp://open/evening", "--web"]).web
    assert cli.parse_args([]).link is None
    with pytest.raises(SystemExit):
        cli.parse_args(["chrisapp://open/morning", "chrisapp://open/evening"])


def test_with_no_app_running_a_link_start_goes_on_with_the_route(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("CHRIS_APP_DATA_DIR", str(tmp_path))
    assert cli.route_to_open("chrisapp://open/morning") == "/morning"
    assert cli.route_to_open(None) is None
    with caplog.at_level("WARNING", logger="chris_app.links"):
        assert cli.route_to_open("chrisapp://open/nowhere") is None  # starts as without a link
    assert "Ignoring the link 'chrisapp://open/nowhere'" in caplog.text


def test_with_the_app_running_a_link_start_exits_zero(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CHRIS_APP_DATA_DIR", str(tmp_path))
    got: list[str] = []
    serving = links.serve(tmp_path, got.append)
    try:
        with pytest.raises(SystemExit) as exited:
            cli.route_to_open("chrisapp:open/evening")
        assert exited.value.code == 0
        assert got == ["/evening"] and "/evening" in capsys.readouterr().out
    finally:
        serving.stop()


def mark_introduced(data_dir: Path) -> None:
    """A device the member has used: no introduction takes the first screen."""
    from chris_app.services.introduction import mark_introduced as mark
    from chris_app.store import open_store

    data_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(data_dir / "chris.sqlite3")
    try:
        mark(store, datetime.now(timezone.utc))
    finally:
        store.close()


def test_the_app_started_by_a_link_opens_its_screen_and_takes_the_next_link(tmp_path):
    """The source tree's `chris-app <link>` in its window mode, the fake Flet client as the
    window: the first screen asked for is the link's; a second start with another link hands
    it over (exit 0), and the window is asked to show it and come to the front. (The fake
    client does not report route changes back, so the screens themselves are not drawn here:
    what is checked is what the app asks of the window.)"""
    from tests.build.fake_flet_client import install, read_strings

    data, out = tmp_path / "data", tmp_path / "window.jsonl"
    mark_introduced(data)
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "CHRIS_APP_DATA_DIR", "FLET_SERVER_PORT",
                        "FLET_SERVER_IP", "FLET_FORCE_WEB_SERVER", "SUPABASE_URL", "SUPABASE_ANON_KEY")}
    # quiet: the window stays until the test ends it (the test waits on what it sends).
    env.update(DISPLAY=":99", XDG_CONFIG_HOME=str(tmp_path / "config"), TZ="Europe/Berlin",
               **install(tmp_path / "client", out, routes="/", quiet=WAIT_S * 2))
    log = open(tmp_path / "app.log", "w")
    app = subprocess.Popen([PYTHON, "-m", "chris_app", "chrisapp://open/evening", "--data-dir", str(data)],
                           env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_for(predicate, what: str) -> None:
        import time

        deadline = time.monotonic() + WAIT_S
        while not predicate():
            if app.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{what} never happened; the app's output:\n"
                                     f"{(tmp_path / 'app.log').read_text()[-3000:]}")
            threading.Event().wait(0.05)

    def routes_pushed() -> list[str]:
        frames = []
        if out.exists():
            for line in out.read_text(encoding="utf-8").splitlines():
                strings = json.loads(line)["strings"]
                if "push_route" in strings:
                    frames.append(strings[strings.index("route") + 1])
                if "to_front" in strings:
                    frames.append("to_front")
        return frames

    try:
        wait_for(lambda: routes_pushed(), "a first screen asked of the window")
        assert routes_pushed() == ["/evening"]  # the link's screen, and nothing after it

        second = run_chris_app("chrisapp://open/morning", "--data-dir", str(data), env=env)
        assert second.returncode == 0, second.stdout + second.stderr
        assert "already open" in second.stdout
        wait_for(lambda: "to_front" in routes_pushed(), "the window raised")
        assert routes_pushed() == ["/evening", "/morning", "to_front"]
        assert any("Start the morning protocol" in t for t in read_strings(out)["/"])  # the app rendered
    finally:
        if app.poll() is None:
            os.killpg(app.pid, signal.SIGTERM)  # the app and the fake window it started
        try:
            app.wait(WAIT_S)
        except subprocess.TimeoutExpired:
            os.killpg(app.pid, signal.SIGKILL)
            app.wait()
        log.close()
    output = (tmp_path / "app.log").read_text()
    assert "Traceback" not in output, output[-3000:]


# --- Registering the scheme with the system ---------------------------------------------------

def desktop_entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_the_linux_desktop_file_handles_the_scheme_and_is_valid():
    path = LINUX / "chris-disciplined.desktop"
    validator = shutil.which("desktop-file-validate")
    if validator:
        checked = subprocess.run([validator, str(path)], capture_output=True, text=True)
        assert checked.returncode == 0 and not checked.stdout.strip(), checked.stdout + checked.stderr
    entry = desktop_entry(path)
    assert entry["Type"] == "Application" and entry["Name"] == "Chris Disciplined"
    assert f"x-scheme-handler/{links.SCHEME}" in entry["MimeType"].split(";")
    assert entry["MimeType"].endswith(";")
    exec_line = entry["Exec"].split()
    assert exec_line == ["ChrisDisciplined", "%u"], exec_line  # (install-links.sh writes the real path)
    assert entry["Terminal"] == "false"


@pytest.fixture
def xdg_home(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path / "home"), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_DIRS": str(tmp_path / "none"),
           "XDG_CURRENT_DESKTOP": "", "DISPLAY": ":99"}
    env.pop("BROWSER", None)
    return env


def fake_app(folder: Path, record: Path) -> Path:
    """An executable that writes its arguments to `record` (the app, as the system starts it)."""
    folder.mkdir(parents=True, exist_ok=True)
    exe = folder / "ChrisDisciplined"
    exe.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{record}"\n')
    exe.chmod(0o755)
    return exe


def test_install_links_registers_the_app_and_a_link_starts_it_with_the_link(tmp_path, xdg_home):
    record = tmp_path / "args"
    exe = fake_app(tmp_path / "bundle", record)
    done = subprocess.run(["sh", str(LINUX / "install-links.sh"), str(exe)], env=xdg_home,
                          capture_output=True, text=True, timeout=WAIT_S)
    assert done.returncode == 0, done.stdout + done.stderr
    installed = tmp_path / "data" / "applications" / "chris-disciplined.desktop"
    entry = desktop_entry(installed)
    assert entry["Exec"] == f"{exe} %u"
    assert Path(entry["Icon"]).is_file()  # the repository's icon, for an install from the sources
    if shutil.which("desktop-file-validate"):
        checked = subprocess.run(["desktop-file-validate", str(installed)], capture_output=True, text=True)
        assert checked.returncode == 0 and not checked.stdout.strip(), checked.stdout
    if not shutil.which("xdg-mime") or not shutil.which("xdg-open"):
        assert "xdg-mime (xdg-utils) is not installed" in done.stderr
        pytest.skip("xdg-utils is not installed: the handler was written, not registered or opened")
    query = subprocess.run(["xdg-mime", "query", "default", f"x-scheme-handler/{links.SCHEME}"],
                           env=xdg_home, capture_output=True, text=True, timeout=WAIT_S)
    assert query.stdout.strip() == "chris-disciplined.desktop", query
    opened = subprocess.run(["xdg-open", "chrisapp://open/morning"], env=xdg_home, capture_output=True,
                            text=True, timeout=WAIT_S)
    assert opened.returncode == 0, opened.stdout + opened.stderr
    assert record.read_text().splitlines() == ["chrisapp://open/morning"]

    removed = subprocess.run(["sh", str(LINUX / "install-links.sh"), "--remove"], env=xdg_home,
                             capture_output=True, text=True, timeout=WAIT_S)
    assert removed.returncode == 0 and not installed.exists(), removed.stderr


def test_install_links_quotes_a_path_with_spaces_and_refuses_one_it_cannot_write(tmp_path, xdg_home):
    spaced = fake_app(tmp_path / "My Apps (new)", tmp_path / "args")
    done = subprocess.run(["sh", str(LINUX / "install-links.sh"), str(spaced)], env=xdg_home,
                          capture_output=True, text=True, timeout=WAIT_S)
    assert done.returncode == 0, done.stderr
    installed = tmp_path / "data" / "applications" / "chris-disciplined.desktop"
    assert desktop_entry(installed)["Exec"] == f'"{spaced}" %u'

    odd = fake_app(tmp_path / "100% $HOME", tmp_path / "args")
    refused = subprocess.run(["sh", str(LINUX / "install-links.sh"), str(odd)], env=xdg_home,
                             capture_output=True, text=True, timeout=WAIT_S)
    assert refused.returncode == 1 and "plainer path" in refused.stderr, refused.stderr
    assert desktop_entry(installed)["Exec"] == f'"{spaced}" %u'  # the earlier install is kept
    missing = subprocess.run(["sh", str(LINUX / "install-links.sh"), str(tmp_path / "nothing")],
                             env=xdg_home, capture_output=True, text=True, timeout=WAIT_S)
    assert missing.returncode == 1 and "is not an executable file" in missing.stderr


def spec_tree() -> ast.Module:
    return ast.parse((ROOT / "build.spec").read_text(encoding="utf-8"))


def spec_constant(name: str):
    for node in spec_tree().body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"build.spec assigns no {name}")


def spec_call(name: str) -> ast.Call:
    for node in ast.walk(spec_tree()):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name:
            return node
    raise AssertionError(f"build.spec calls no {name}")


def test_the_macos_bundle_declares_the_scheme_and_passes_the_launching_link_on():
    url_types = spec_constant("URL_TYPES")
    assert [t["CFBundleURLSchemes"] for t in url_types] == [[links.SCHEME]]
    assert all(isinstance(t["CFBundleURLName"], str) and t["CFBundleURLName"] for t in url_types)
    bundle = spec_call("BUNDLE")
    plist = next(k.value for k in bundle.keywords if k.arg == "info_plist")
    entries = {ast.literal_eval(k): v for k, v in zip(plist.keys, plist.values)}
    assert isinstance(entries["CFBundleURLTypes"], ast.Name) and entries["CFBundleURLTypes"].id == "URL_TYPES"
    exe = spec_call("EXE")
    emulation = next(k.value for k in exe.keywords if k.arg == "argv_emulation")
    assert ast.unparse(emulation) == "sys.platform == 'darwin'"


def test_the_bundle_ships_the_registration_files_that_exist():
    files = spec_constant("LINK_FILES")
    assert set(files) == {"linux", "win32"}
    for relative in files["linux"] + files["win32"]:
        assert (ROOT / relative).is_file(), relative
    assert os.access(LINUX / "install-links.sh", os.X_OK)


def test_the_windows_script_registers_the_scheme_for_the_user_with_the_link_as_argument():
    raw = (WINDOWS / "register-links.cmd").read_bytes()
    text = raw.decode("ascii")
    key = rf"HKCU\Software\Classes\{links.SCHEME}"
    assert f'set "KEY={key}"' in text
    assert 'reg add "%KEY%" /v "URL Protocol" /d "" /f' in text
    # In a .cmd file %%1 is the literal %1: the registry gets "<exe>" "%1", the link.
    assert r'reg add "%KEY%\shell\open\command" /ve /d "\"%EXE%\" \"%%1\"" /f' in text
    assert raw.count(b"\r\n") == raw.count(b"\n")  # a batch file with Windows line ends
    undo = (WINDOWS / "unregister-links.cmd").read_text(encoding="ascii")
    assert f'reg delete "{key}" /f' in undo


def test_every_place_names_the_same_scheme():
    flet = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["flet"]
    for table in (flet["deep_linking"], flet["android"]["deep_linking"], flet["ios"]["deep_linking"]):
        assert (table["scheme"], table["host"]) == (links.SCHEME, links.HOST)
    from chris_app.views.sign_in import PHONE_REDIRECT

    assert PHONE_REDIRECT.startswith(f"{links.SCHEME}://{links.HOST}/")
