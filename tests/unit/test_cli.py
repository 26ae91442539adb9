"""The start-up plumbing of `chris-app` (chris_app/cli.py): the app loaded in the background
while Flet's server starts, and the window-only bundle's refusal of the browser mode."""

from __future__ import annotations

import asyncio
import threading

import pytest

from chris_app import cli
from tests.conftest import run_async as run


def test_a_page_waits_for_the_background_load_and_then_runs_the_app():
    release = threading.Event()
    pages: list[str] = []

    def load():
        release.wait(5)

        async def main(page):
            pages.append(page)

        return main

    entry, start = cli.deferred_entry(load)

    async def scenario():
        start()
        waiting = asyncio.create_task(entry("page-1"))
        await asyncio.sleep(0.05)
        assert not waiting.done() and pages == []  # the load is not finished: the page waits
        release.set()
        await asyncio.wait_for(waiting, 5)

    run(scenario())
    assert pages == ["page-1"]


def test_a_page_closed_while_it_waits_does_not_cancel_the_load_for_the_next_one():
    release = threading.Event()
    loads: list[int] = []

    def load():
        loads.append(1)
        release.wait(5)

        async def main(page):
            return None

        return main

    entry, _start = cli.deferred_entry(load)

    async def scenario():
        first = asyncio.create_task(entry("closed"))  # the first page starts the load itself
        await asyncio.sleep(0.05)
        first.cancel()  # its client went away (a replaced connection, a closed tab)
        with pytest.raises(asyncio.CancelledError):
            await first
        release.set()
        await asyncio.wait_for(entry("next"), 5)

    run(scenario())
    assert loads == [1]  # loaded once, and not cancelled


def test_a_load_that_fails_is_printed_once_and_raised_in_every_page(capsys):
    def load():
        raise ImportError("no module named 'missing'")

    entry, start = cli.deferred_entry(load)
    start()

    async def scenario():
        for _ in range(2):
            with pytest.raises(ImportError, match="missing"):
                await asyncio.wait_for(entry("page"), 5)

    run(scenario())
    err = capsys.readouterr().err
    assert err.count("Chris Disciplined could not load") == 1 and "ImportError" in err


def test_the_warm_up_finds_the_flet_controls_the_shell_and_home_name():
    names = cli.flet_names_in(cli.FIRST_SCREEN_MODULES)
    assert {"Theme", "Text", "View", "Router"} <= names
    assert all(not name.startswith("_") or name == "__version__" for name in names)


def test_start_when_answering_starts_once_the_port_accepts(tmp_path):
    import socket

    started = threading.Event()
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        port = server.getsockname()[1]
        cli.start_when_answering("127.0.0.1", port, started.set, timeout=10)
        assert not started.wait(0.2)  # nothing listens yet
        server.listen()
        assert started.wait(5)


@pytest.mark.parametrize("argv, display, sentence", [
    (["--web"], True, cli.NO_BROWSER_MODE),
    ([], False, cli.NO_DISPLAY),
])
def test_without_the_browser_build_the_browser_mode_is_refused_with_a_sentence(monkeypatch, capsys, tmp_path, argv,
                                                                               display, sentence):
    monkeypatch.setattr(cli, "has_browser_mode", lambda: False)
    monkeypatch.setattr(cli, "window_possible", lambda: display)
    with pytest.raises(SystemExit) as exit_:
        cli.main([*argv, "--data-dir", str(tmp_path)])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.strip() == sentence
    assert not (tmp_path / "chris.sqlite3").exists()  # refused before anything started


def test_the_source_install_has_the_browser_mode():
    assert cli.has_browser_mode()
