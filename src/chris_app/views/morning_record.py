"""The morning's first step, Read & record: start the recorder, read with the teleprompter,
and after stopping hear the take, see its metrics, record again or move on."""

from __future__ import annotations

import asyncio
from pathlib import Path

import flet as ft

from chris_app.audio.metrics import ReadingMetrics
from chris_app.services import affirmations, recordings, summary
from chris_app.services.day import completed
from chris_app.services.profile import get_settings
from chris_app.services.reading_metrics import measure_and_store, metrics_of
from chris_app.state import use_app
from chris_app.views.common import Check, ErrorText, Note, go
from chris_app.views.morning_step_body import StepBody
from chris_app.views.morning_teleprompter import Teleprompter
from chris_app.views.playback import Playback
from chris_app.views.read_aloud_check import ReadAloudResult
from chris_app.views.reading_recorder import ReadingRecorder, clock

IMPORT_TYPES = ["ogg", "opus", "wav", "flac", "mp3"]


def metrics_label(m: ReadingMetrics) -> str:
    return (f"Duration {clock(m.duration_s)}, speaking time {clock(m.speaking_s)},"
            f" loudness {m.loudness_dbfs:.0f} dBFS")


def _metric(icon: ft.IconData, value: str, label: str) -> ft.Control:
    return ft.Container(
        expand=True,
        padding=10,
        border_radius=12,
        bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST,
        content=ft.Column([
            ft.Icon(icon, size=18, color=ft.Colors.PRIMARY),
            ft.Text(value, size=20, weight=ft.FontWeight.BOLD),
            ft.Text(label, size=12, color=ft.Colors.ON_SURFACE_VARIANT),
        ], spacing=2),
    )


@ft.component
def ReadingMetricsRow(recording_id: str):
    """The metrics stored with the reading when it was saved. A reading saved before the store
    kept them is measured once, off the event loop, and stored; one known only from the
    account and never measured shows nothing."""
    app = use_app()
    stored = app.read(metrics_of, recording_id)
    measuring, set_measuring = ft.use_state(stored is None)
    missing, set_missing = ft.use_state(False)

    async def measure():
        if app.read(metrics_of, recording_id) is not None:
            return set_measuring(False)
        done = await asyncio.to_thread(measure_and_store, app.store, app.now(), recording_id)
        set_missing(done is None)
        set_measuring(False)
        app.revision += 1
        if done is not None and app.account is not None:
            app.account.kick()  # the day carries its metrics to the member's other devices

    ft.on_mounted(lambda: asyncio.create_task(measure()) if stored is None else None)
    if stored is None:
        return ft.Container() if missing or not measuring else Note("Measuring your reading…")
    m: ReadingMetrics = stored
    return ft.Semantics(
        identifier="reading-metrics",
        label=metrics_label(m),
        container=True,
        exclude_semantics=True,
        content=ft.Row([
            _metric(ft.Icons.TIMER_OUTLINED, clock(m.duration_s), "Duration"),
            _metric(ft.Icons.RECORD_VOICE_OVER_OUTLINED, clock(m.speaking_s), "Speaking"),
            _metric(ft.Icons.VOLUME_UP_OUTLINED, f"{m.loudness_dbfs:.0f} dB", "Loudness (dBFS)"),
        ], spacing=8),
    )


@ft.component
def AttachFile(on_saved, on_error, beside: list[ft.Control] | None = None):
    """A reading recorded elsewhere: secondary, a text button (with `beside` in its row). The
    screen shows the error: a change inside this small component alone left the screen reader's
    view of the whole step stale in Flutter web (its buttons gone)."""
    app = use_app()
    picker = ft.use_ref(None)
    busy, set_busy = ft.use_state(False)
    set_error = on_error

    async def attach(_):
        if picker.current is None:
            picker.current = ft.FilePicker()
        files = await picker.current.pick_files(dialog_title="Choose your reading",
                                                allowed_extensions=IMPORT_TYPES, with_data=True)
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
            on_saved(outcome.value)

    return ft.Row([
        ft.TextButton("Attach a file", icon=ft.Icons.AUDIO_FILE_OUTLINED, on_click=attach, disabled=busy),
        ft.ProgressRing(visible=busy, width=20, height=20),
        *(beside or []),
    ], wrap=True)


@ft.component
def RecordStep(on_next):
    """The step reads the day itself rather than taking it from the morning: after a new take
    this component can render before its parent does, and the day it was handed would still
    name the reading the take replaced (deleted by then)."""
    app = use_app()
    session = app.read(summary.today_session, app.now()).session
    phase, set_phase = ft.use_state("idle")
    just_saved, set_just_saved = ft.use_state("")  # id of a take saved on this screen
    attach_error, set_attach_error = ft.use_state("")
    current = app.read(affirmations.active)
    prefs = app.read(get_settings)
    done = completed(session)  # the reading is saved: the day counts
    saved = app.read(recordings.find_recording, session.recording_id) if done else None
    recording = phase in ("recording", "paused")

    recorder = ReadingRecorder(on_saved=lambda rec: set_just_saved(rec.id), on_phase=set_phase,
                               prompter=Teleprompter(current.lines) if recording else None, again=done)
    # Every part keeps its place in the tree whatever the phase (hidden, not removed): a
    # component that moved would be a new one, and the recorder would lose its take.
    calm = not recording
    return StepBody("recording", [
        ft.Text(f"Read aloud (version {current.version})", theme_style=ft.TextThemeStyle.TITLE_LARGE,
                weight=ft.FontWeight.BOLD, visible=calm),
        ft.Container(Check(done, f"Reading saved ({saved.duration_ms / 1000:.0f} s)" if saved else "Not recorded yet"),
                     visible=calm),
        ft.Column([
            Playback(saved, autoplay=prefs.auto_play_recording and saved.id == just_saved, key=saved.id),
            ReadingMetricsRow(saved.id, key=f"metrics-{saved.id}"),
            ReadAloudResult(saved.id, just_saved=saved.id == just_saved, key=f"read-aloud-{saved.id}"),
            ft.FilledButton("Next: your board", icon=ft.Icons.ARROW_FORWARD, on_click=on_next, height=52),
        ], spacing=14, horizontal_alignment=ft.CrossAxisAlignment.STRETCH, visible=calm) if saved else ft.Container(),
        Note(f"Read your affirmations aloud for at least {prefs.min_recording_seconds} seconds. "
             + ("Recording again replaces today's reading once the new one is saved." if done else
                "While you record they appear one at a time: tap to move on.")) if calm else ft.Container(),
        recorder,
        ft.Container(AttachFile(lambda rec: set_just_saved(rec.id), set_attach_error, beside=[
            ft.TextButton("Edit affirmations", icon=ft.Icons.EDIT_OUTLINED, on_click=go("/affirmations"))]),
            visible=calm),
        ErrorText(attach_error if calm else ""),
        ft.Container(
            visible=calm and not done,
            padding=14,
            border_radius=16,
            bgcolor=ft.Colors.SURFACE_CONTAINER_LOW,
            content=ft.Column([ft.Text(line, size=17) for line in current.lines], spacing=8),
        ),
    ])
