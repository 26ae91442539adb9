"""Moments of success the member hears and feels: `cue(app, page, "morning-done")`.

Sound: a chime from the app's assets (assets/sounds/<name>.ogg, served by Flet from the
assets directory) played by flet-audio in the Flutter client, only when the member's Sound
setting is on. Haptics: a medium impact on phones (the built phone app); the web build and
desktops have no vibration motor worth using, so nothing happens there.

Flet drops a service (flet_audio.Audio, ft.HapticFeedback) from the page once nothing in
Python references it, which would cut a chime off mid-play. Each page's players are therefore
kept for as long as the page lives, one per sound, created at the first cue."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from typing import Any

import flet as ft

from chris_app.services.profile import get_settings

SOUNDS = ("morning-done", "day-complete")
LOAD_TIMEOUT_S = 10  # a play() sent before the client has loaded the source never returns

# page -> {"audio:<name>": (player, loaded event), "haptics": service}; gone with the page.
_kept: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


def sound_src(name: str) -> str:
    """Where the client finds a sound: a path under the app's assets directory."""
    if name not in SOUNDS:
        raise ValueError(f"unknown sound {name!r}: one of {', '.join(SOUNDS)}")
    return f"/sounds/{name}.ogg"


def on_phone(page) -> bool:
    return page.platform.is_mobile() and not page.web


def cue(app, page, name: str) -> None:
    """Play sound `name` (when Sound is on) and tap the phone's motor. Returns at once; the
    playing happens on the page's loop. Never raises for a device that cannot play."""
    src = sound_src(name)
    wants_sound = app.read(get_settings).sound_enabled
    if on_phone(page):
        page.run_task(_haptic, page)
    if wants_sound:
        page.run_task(_play, page, name, src)


def _player(page, name: str, src: str) -> tuple[Any, asyncio.Event]:
    kept = _kept.setdefault(page, {})
    key = f"audio:{name}"
    if key not in kept:
        import flet_audio as fta  # (the audio extension loads with the first chime)

        loaded = asyncio.Event()

        async def on_loaded(_):
            loaded.set()

        kept[key] = (fta.Audio(src=src, volume=0.8, on_loaded=on_loaded), loaded)
    return kept[key]


async def _play(page, name: str, src: str) -> None:
    player, loaded = _player(page, name, src)
    # A sound that cannot load or play (no audio device, a codec the platform lacks) is a
    # missed chime, not an error the member has to read.
    with contextlib.suppress(Exception):
        await asyncio.wait_for(loaded.wait(), timeout=LOAD_TIMEOUT_S)
        await player.play()


async def _haptic(page) -> None:
    kept = _kept.setdefault(page, {})
    if "haptics" not in kept:
        kept["haptics"] = ft.HapticFeedback()
    with contextlib.suppress(Exception):
        await kept["haptics"].medium_impact()
