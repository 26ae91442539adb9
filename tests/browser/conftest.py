"""The real app, served as the web build on localhost, driven in headless Chromium.

Each test gets its own app process and data directory (a new guest). Screenshots go to
test-artifacts/ in the project root."""

from __future__ import annotations

import base64
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_served(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            output = proc.stdout.read() if proc.stdout else ""
            raise RuntimeError(f"the app exited with {proc.returncode}: {output}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"the app did not serve {url} within {timeout} s")


def stop_process(proc: subprocess.Popen, timeout: float = 10) -> None:
    """Ask a started app to end; kill it if it does not within `timeout` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def mark_device_introduced(data_dir: Path) -> None:
    from datetime import datetime, timezone

    from chris_app.services.introduction import mark_introduced
    from chris_app.store import open_store

    data_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(data_dir / "chris.sqlite3")
    try:
        mark_introduced(store, datetime.now(timezone.utc))
    finally:
        store.close()


class AppProcess:
    """The app served as the web build from a data directory; restartable with another clock."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.log = data_dir.parent / f"{data_dir.name}-app-output.log"

    def start(self, now: str | None = None, env: dict | None = None, port: int | None = None,
              introduced: bool = True) -> str:
        """Start (again); `port` keeps the address, and so the browser's storage for it.
        Unless `introduced` is False the device has had its first-run introduction, as every
        test but those of the introduction wants the screens themselves."""
        self.stop()
        if introduced:
            mark_device_introduced(self.data_dir)
        port = port or free_port()
        extra_env = env or {}
        env = {**os.environ, "CHRIS_APP_DATA_DIR": str(self.data_dir), "TZ": "Europe/Berlin",
               "XDG_CONFIG_HOME": str(self.data_dir / "config")}  # no stray backend config file
        env.pop("SUPABASE_URL", None)
        env.pop("SUPABASE_ANON_KEY", None)
        env.pop("DISPLAY", None)
        env.pop("CHRIS_APP_NOW", None)
        if now:
            env["CHRIS_APP_NOW"] = now
        env.update(extra_env)
        # The app's output goes to a file (a pipe nobody reads would block a chatty app) and
        # is printed when the test fails (app_process fixture).
        with open(self.log, "a") as output:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "chris_app", "--web", "--port", str(port)],
                env=env, stdout=output, stderr=subprocess.STDOUT, text=True,
            )
        self.url = f"http://127.0.0.1:{port}"
        try:
            wait_until_served(self.url + "/", self.proc)
        except (RuntimeError, TimeoutError) as e:
            raise RuntimeError(f"{e}\n{self.output()}") from None
        return self.url

    def output(self) -> str:
        """What the app printed (all its starts), for a failed test's report."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.proc is None:
            return
        stop_process(self.proc)
        self.proc = None


@pytest.fixture
def app_process(request, tmp_path):
    app = AppProcess(tmp_path / "data")
    yield app
    app.stop()
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        print(f"--- the app's output ---\n{app.output()[-20000:]}")  # shown with the failure


@pytest.fixture
def app_url(app_process):
    return app_process.start()


@pytest.fixture(scope="session")
def browser(playwright):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (scripts/test.sh installs it)")
    for old in ARTIFACTS.glob("FAILED-*.png"):
        old.unlink()
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def open_app(request, browser):
    """open_app(path, viewport=PHONE, base_url=None) → a Page with Flutter's accessibility
    tree switched on; without base_url the app is started (fixture app_url) on first use.
    When the test fails, every open page is saved to test-artifacts/ for a look."""
    contexts = []

    def _open(path: str = "/", viewport: dict = PHONE, base_url: str | None = None) -> Page:
        context = browser.new_context(viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        page.goto((base_url or request.getfixturevalue("app_url")) + path)
        page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
        page.eval_on_selector("flt-semantics-placeholder", "e => e.click()")
        page.wait_for_selector("flt-semantics-host flt-semantics", timeout=30_000)
        return page

    yield _open
    failed = getattr(request.node, "report_call", None)
    for i, context in enumerate(contexts):
        if failed is not None and failed.failed:
            for j, page in enumerate(context.pages):
                screenshot(page, f"FAILED-{request.node.name}-{i}-{j}")
        context.close()


_HAS_TEXT = """t => [...document.querySelectorAll('flt-semantics-host *')].some(e =>
    (e.getAttribute('aria-label') || '').includes(t) ||
    (e.childElementCount === 0 && (e.textContent || '').includes(t)) ||
    (e.value || '').includes(t))"""


def wait_for_text(page: Page, text: str, timeout: float = 20.0) -> None:
    """Wait until `text` is on screen (Flutter puts text in aria-labels of semantics nodes).
    Polled from Python: page.wait_for_function never saw these nodes change here."""
    deadline = time.monotonic() + timeout
    while not has_text(page, text):
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} did not appear on screen within {timeout} s")
        time.sleep(0.2)


def has_text(page: Page, text: str) -> bool:
    return page.evaluate(_HAS_TEXT, text)


def label_of(page: Page, identifier: str) -> str:
    node = page.locator(f'[flt-semantics-identifier="{identifier}"]')
    node.wait_for(state="attached", timeout=20_000)
    return node.evaluate(
        "e => [e, ...e.querySelectorAll('*')].map(n => n.getAttribute('aria-label') || '').join(' ')"
        " + ' ' + e.textContent")


def nav(page: Page, name: str):
    """The navigation destination `name` ("Today", "Morning", ...): a tab of the bottom bar on
    narrow windows, a button of the navigation rail ("Evening, Tab 3 of 5") on wide ones."""
    return page.get_by_role("tab", name=name, exact=True).or_(
        page.get_by_role("button", name=re.compile(rf"^{re.escape(name)}\s+Tab \d+ of \d+$")))


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


# How many colours a PNG has (up to 3): a frame of one colour is the page before Flutter drew.
COLOURS = """async png => {
  const bytes = Uint8Array.from(atob(png), c => c.charCodeAt(0));
  const bitmap = await createImageBitmap(new Blob([bytes], {type: 'image/png'}));
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const g = canvas.getContext('2d', {willReadFrequently: true});
  g.drawImage(bitmap, 0, 0);
  const d = g.getImageData(0, 0, bitmap.width, bitmap.height).data, seen = new Set();
  for (let i = 0; i < d.length && seen.size < 3; i += 4) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
  return seen.size;
}"""


def settled_screenshot(page, timeout: float = 30.0, must_settle: bool = True) -> bytes:
    """A screenshot once Flutter has drawn the screen and two frames in a row are the same:
    animations (a page transition, a ripple) have ended, however loaded the machine is. No
    fixed waits: a slow machine only takes longer. A screen that never settles fails the test,
    unless `must_settle` is False (a screen with a turning progress ring): then the last frame
    is taken once the timeout is up."""
    deadline = time.monotonic() + timeout
    last = b""
    while True:
        now = page.screenshot(timeout=90_000)  # (it waits for fonts, slow on a loaded machine)
        if now == last and page.evaluate(COLOURS, base64.b64encode(now).decode()) > 2:
            return now
        if time.monotonic() > deadline:
            assert not must_settle, "the screen kept changing (or was never drawn)"
            return now
        last = now
        time.sleep(0.25)


def save_settled(page, name: str, must_settle: bool = True) -> Path:
    """The settled screen saved as test-artifacts/<name>.png, for a look at the screen."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    path.write_bytes(settled_screenshot(page, must_settle=must_settle))
    return path


def poll(page: Page, script: str, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not page.evaluate(script):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.1)


def type_into(page: Page, name: str, text: str) -> None:
    """Click the text field labelled `name`, wait until Flutter has focused its editing
    element, then replace its text by typing like a person would.

    Flutter can swallow the first key, or drop focus, while it switches the field into
    editing mode; so each attempt focuses the field again and checks what arrived."""
    field = page.get_by_role("textbox", name=name)
    focused = (f"() => ['INPUT', 'TEXTAREA'].includes(document.activeElement?.tagName)"
               f" && (document.activeElement.getAttribute('aria-label') || '').includes({name!r})")
    typed = f"() => (document.activeElement?.value || '') === {text!r}"
    for attempt in range(4):
        field.click()
        try:
            poll(page, focused, f"focus on the {name!r} field", timeout=2)
        except AssertionError:
            continue
        time.sleep(0.3)
        page.keyboard.press("Control+A")
        page.keyboard.press("Delete")
        page.keyboard.type(text)
        try:
            poll(page, typed, f"typing into {name!r}", timeout=3)
            return
        except AssertionError:
            pass
    value = page.evaluate("() => document.activeElement?.value")
    raise AssertionError(f"the {name!r} field holds {value!r}, not {text!r}")
