"""The success cue: a chime only when Sound is on, haptics only on phones."""

import asyncio
from types import SimpleNamespace

import flet_audio
import pytest

from chris_app.services.profile import update_settings
from chris_app.state import AppState
from chris_app.views import feedback
from tests.conftest import MORNING, run_async


class FakePage:
    """What cue() touches on a page: the platform, web or not, and run_task."""

    def __init__(self, mobile: bool = False, web: bool = True):
        self.platform = SimpleNamespace(is_mobile=lambda: mobile)
        self.web = web
        self.tasks = []

    def run_task(self, handler, *args):
        self.tasks.append((handler, args))


class FakeAudio:
    """Stands in for flet_audio.Audio: 'loads' at once and records the plays."""

    made = []

    def __init__(self, src, volume, on_loaded):
        self.src, self.plays = src, 0
        FakeAudio.made.append(self)
        asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(on_loaded(None)))

    async def play(self):
        self.plays += 1


def app_with_sound(store, on: bool) -> AppState:
    app = AppState(store=store, clock=lambda: MORNING)
    app.act(update_settings, sound_enabled=on)
    return app


def test_cue_plays_nothing_when_sound_is_off(store):
    page = FakePage()
    feedback.cue(app_with_sound(store, False), page, "morning-done")
    assert page.tasks == []


def test_cue_plays_the_named_chime_when_sound_is_on(store, monkeypatch):
    monkeypatch.setattr(flet_audio, "Audio", FakeAudio)
    FakeAudio.made.clear()
    page = FakePage()
    feedback.cue(app_with_sound(store, True), page, "day-complete")
    assert [handler for handler, _ in page.tasks] == [feedback._play]

    async def run_tasks():
        for handler, args in page.tasks:
            await handler(*args)
        await feedback._play(page, "day-complete", feedback.sound_src("day-complete"))  # again

    run_async(run_tasks())  # (not asyncio.run: see run_async)
    # one player per sound and page, kept and played twice
    assert [(a.src, a.plays) for a in FakeAudio.made] == [("/sounds/day-complete.ogg", 2)]


def test_haptics_only_on_a_phone_app_even_with_sound_off(store):
    phone, phone_browser, desktop = FakePage(mobile=True, web=False), FakePage(mobile=True), FakePage(web=False)
    for page in (phone, phone_browser, desktop):
        feedback.cue(app_with_sound(store, False), page, "morning-done")
    assert [handler for handler, _ in phone.tasks] == [feedback._haptic]
    assert phone_browser.tasks == desktop.tasks == []


def test_an_unknown_sound_is_a_programming_error(store):
    with pytest.raises(ValueError):
        feedback.cue(app_with_sound(store, True), FakePage(), "fanfare")


def test_every_sound_exists_as_ogg_in_the_assets():
    from chris_app.assets import assets_dir

    for name in feedback.SOUNDS:
        data = (assets_dir() / "sounds" / f"{name}.ogg").read_bytes()
        assert data[:4] == b"OggS" and len(data) > 2000, name
