"""Morning `/morning`: read the affirmations aloud and save the recording, look at the vision
board, set the day's violent action."""

from __future__ import annotations

import asyncio
from pathlib import Path

import flet as ft

from chris_app.library import CATEGORIES, by_category
from chris_app.services import affirmations, day, recordings, summary, vision_board
from chris_app.services.profile import get_settings
from chris_app.state import use_app
from chris_app.views.common import Check, ErrorText, Frame, Note, OwnNode, Section, go
from chris_app.views.ai import SuggestActions
from chris_app.views.playback import Playback
from chris_app.views.reading_recorder import ReadingRecorder
from chris_app.views.subscribe import Paywall
from chris_app.views.vision_board import TileGrid


@ft.component
def AffirmationsCard():
    app = use_app()
    current = app.read(affirmations.active)
    return Section(
        f"Read aloud (version {current.version})",
        *[ft.Text(line, size=22, weight=ft.FontWeight.W_500) for line in current.lines],
        ft.TextButton("Edit affirmations", icon=ft.Icons.EDIT, on_click=go("/affirmations")),
        identifier="affirmations",
    )


@ft.component
def RecordingCard(session):
    app = use_app()
    error, set_error = ft.use_state("")
    busy, set_busy = ft.use_state(False)
    picker = ft.use_ref(None)
    just_saved, set_just_saved = ft.use_state("")  # id of a take saved on this screen

    async def attach(_):
        if picker.current is None:
            picker.current = ft.FilePicker()
        files = await picker.current.pick_files(
            dialog_title="Choose your reading",
            allowed_extensions=["ogg", "opus", "wav", "flac", "mp3"],
            with_data=True,
        )
        if not files:
            return
        picked = files[0]
        set_busy(True)
        try:
            data = picked.bytes if picked.bytes is not None else Path(picked.path).read_bytes()
            # Decoding and encoding take a while for a long file: off the event loop.
            outcome = await asyncio.to_thread(app.act, recordings.import_audio_file, picked.name, data)
        finally:
            set_busy(False)
        set_error(outcome.error.message if outcome.error else "")
        if outcome.ok:
            set_just_saved(outcome.value.id)

    done = bool(session and session.morning_completed)
    saved = app.read(recordings.get_recording, session.recording_id) if done else None
    prefs = app.read(get_settings)
    minimum = prefs.min_recording_seconds
    return Section(
        "Record your reading",
        Check(done, f"Reading saved ({saved.duration_ms / 1000:.0f} s)" if saved else "Not recorded yet"),
        Playback(saved, autoplay=prefs.auto_play_recording and saved.id == just_saved, key=saved.id)
        if saved else ft.Container(),
        Note(f"Read your affirmations aloud for at least {minimum} seconds. "
             + ("Recording again replaces today's reading once the new one is saved." if done else "")),
        ReadingRecorder(on_saved=lambda rec: set_just_saved(rec.id)),
        Note("Or attach a reading you recorded elsewhere (OGG, Opus, WAV, FLAC or MP3)."),
        ft.Row([
            ft.OutlinedButton("Attach a file", icon=ft.Icons.AUDIO_FILE, on_click=attach, disabled=busy),
            ft.ProgressRing(visible=busy, width=20, height=20),
        ]),
        ErrorText(error),
        identifier="recording",
    )


@ft.component
def VisionCard(session):
    app = use_app()
    tiles = app.read(vision_board.tiles)
    viewed = bool(session and session.vision_board_viewed)
    return Section(
        "Look at your vision board",
        TileGrid(tiles, size=96) if tiles else Note("Your board is empty: add up to 8 images of the life you are building."),
        ft.Row([
            ft.OutlinedButton(
                "Viewed ✓" if viewed else "I looked at my vision board",
                icon=ft.Icons.VISIBILITY,
                disabled=viewed,
                on_click=lambda _: app.act(day.mark_vision_board_viewed),
            ),
            ft.TextButton("Edit board", on_click=go("/vision-board")),
        ], wrap=True),
        identifier="vision",
    )


@ft.component
def ActionCard(session):
    app = use_app()
    category, set_category = ft.use_state(CATEGORIES[0])
    own = ft.use_ref("")  # uncontrolled text field, see evening.py
    error, set_error = ft.use_state("")

    def choose(library_id: str):
        outcome = app.act(day.set_action, "", library_id=library_id)
        set_error(outcome.error.message if outcome.error else "")

    def set_own_action(_):
        outcome = app.act(day.set_action, own.current)
        set_error(outcome.error.message if outcome.error else "")

    current = session.violent_action if session else None
    return Section(
        "Today's violent action",
        Check(bool(current), current or "Choose one bold move outside your comfort zone."),
        SuggestActions(),
        ft.Row(
            [
                ft.Chip(
                    label=ft.Text(c.capitalize()),
                    selected=c == category,
                    on_select=lambda e, c=c: set_category(c),
                )
                for c in CATEGORIES
            ],
            wrap=True,
        ),
        ft.Column([
            ft.ListTile(
                title=ft.Text(a.action),
                subtitle=ft.Text(f"{a.description}  ·  difficulty {a.difficulty}/10"),
                trailing=ft.TextButton("Choose", on_click=lambda _, i=a.id: choose(i),
                                       tooltip=f"Choose: {a.action}"),
                content_padding=0,
            )
            for a in by_category(category)
        ], spacing=0),
        OwnNode(ft.TextField(label="Or write your own action", max_length=280,
                             on_change=lambda e: setattr(own, "current", e.control.value),
                             on_submit=set_own_action)),
        ft.FilledTonalButton("Set my own action", on_click=set_own_action),
        ErrorText(error),
        identifier="action",
    )


@ft.component
def Morning():
    app = use_app()
    if app.paywalled():
        return Paywall("/morning", "Morning protocol")
    current = app.read(summary.today_session, app.now())
    s = current.session
    all_done = bool(s and s.morning_completed and s.vision_board_viewed and s.violent_action)
    return Frame("/morning", "Morning protocol", [
        Note(current.today.strftime("Protocol day %A, %d %B")),
        AffirmationsCard(),
        RecordingCard(s),
        VisionCard(s),
        ActionCard(s),
        ft.FilledButton("Morning done — back to today", icon=ft.Icons.CHECK, on_click=go("/"),
                        visible=all_done),
    ])
