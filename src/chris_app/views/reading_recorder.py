"""Recording the morning reading inside the app, with a level meter and elapsed time.

Two capture paths end in the same services (quality gate → Ogg/Opus → the day's recording):
- web build and phones: Flet's AudioRecorder streams PCM16 chunks; a `WebTake` spools them
  to disk and encodes them while the member reads, so stopping only finishes the last blocks;
- desktop: PortAudio through `chris_app.audio.Recorder` (pause/resume too).

A stream that stops delivering chunks for STREAM_STALL_S (the tab went away, the phone's
recorder died) is stopped and saved like a desktop take whose microphone was lost.

Recorder states shown to the member: idle → recording (→ paused, desktop) → saving → idle.
"""

from __future__ import annotations

import asyncio
import time

import flet as ft
import flet_audio_recorder as far

from chris_app.audio import AudioError, DeviceLost, MicrophonePermissionDenied, Recorder, RecorderState
from chris_app.audio import list_input_devices, resolve_device
from chris_app.audio.web_take import WebTake
from chris_app.services import recordings
from chris_app.services.profile import get_settings
from chris_app.state import use_app
from chris_app.views.common import ErrorText

TICK_S = 0.25
STREAM_STALL_S = 10.0  # no chunk for this long while recording: the stream is gone
STOP_RECORDER_TIMEOUT_S = 10.0  # a recorder whose page went away never answers stop
STOPPING_STATES = (RecorderState.LIMIT_REACHED, RecorderState.DEVICE_LOST)


def uses_stream(page: ft.Page) -> bool:
    return bool(page.web) or page.platform in (ft.PagePlatform.ANDROID, ft.PagePlatform.IOS)


def clock(seconds: float) -> str:
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"


@ft.component
def ReadingRecorder(on_saved=None, on_phase=None, prompter: ft.Control | None = None, again: bool = False):
    """The recorder. While recording it shows `prompter` (the teleprompter) above a bar that
    holds the stop control, the elapsed time against the minimum and the level meter, so they
    stay in view; `on_phase(phase)` tells the screen when to make room for it. `again`: the day
    has a reading already, so starting is a secondary "Record again"."""
    app = use_app()
    page = ft.context.page
    phase, set_phase = ft.use_state("idle")
    elapsed, set_elapsed = ft.use_state(0.0)
    level, set_level = ft.use_state(-120.0)
    message, set_message = ft.use_state("")
    warnings, set_warnings = ft.use_state("")
    web_recorder = ft.use_ref(None)  # services stay registered only while referenced
    take = ft.use_ref(None)  # WebTake (stream) or Recorder (desktop)
    started = ft.use_ref(0.0)
    settings = app.read(get_settings)
    limit_s = settings.max_recording_minutes * 60
    minimum_s = settings.min_recording_seconds

    def on_stream(e: far.AudioRecorderStreamEvent):
        if isinstance(take.current, WebTake):
            take.current.feed(e.chunk, at=time.monotonic())

    async def tick():
        while phase_now() in ("recording", "paused"):
            await asyncio.sleep(TICK_S)
            current = take.current
            if isinstance(current, Recorder):
                state = current.poll()
                set_elapsed(current.elapsed_s)
                set_level(current.level_dbfs)
                if state in STOPPING_STATES or current.encoding_error:
                    await stop(None)
            elif isinstance(current, WebTake):
                now = time.monotonic()
                seconds = now - started.current
                # Shown from the first chunk's arrival: the audio really received, so
                # "minimum reached" never comes before the take is long enough to be kept.
                first = current.clock.first_at
                set_elapsed(now - first if first is not None else 0.0)
                set_level(current.level_dbfs)
                if now - (current.last_chunk_at or started.current) > STREAM_STALL_S:
                    await stop(None, fault=DeviceLost(detail="the recorder stream stalled"))
                elif seconds >= limit_s or current.error:
                    await stop(None)

    phase_ref = ft.use_ref("idle")

    def phase_now() -> str:
        return phase_ref.current

    def go_to(value: str) -> None:
        phase_ref.current = value
        set_phase(value)
        if on_phase:
            on_phase(value)

    async def start(_):
        set_message("")
        set_warnings("")
        try:
            if uses_stream(page):
                if web_recorder.current is None:
                    web_recorder.current = far.AudioRecorder(
                        configuration=far.AudioRecorderConfiguration(
                            encoder=far.AudioEncoder.PCM16BITS, sample_rate=48000, channels=1),
                        on_stream=on_stream,
                    )
                if not await web_recorder.current.has_permission():
                    raise MicrophonePermissionDenied()
                take.current = recordings.new_stream_take(app.store, app.now())
                started.current = time.monotonic()
                try:
                    await web_recorder.current.start_recording()
                except BaseException:
                    take.current.discard()
                    take.current = None
                    raise
            else:
                settings = app.read(get_settings)
                recorder = Recorder(recordings.staging_path(app.store),
                                    device=resolve_device(settings.input_device, list_input_devices()),
                                    max_seconds=limit_s)
                recorder.start()
                take.current = recorder
        except AudioError as exc:
            set_message(exc.message)
            return
        go_to("recording")
        set_elapsed(0.0)
        asyncio.create_task(tick())

    async def stop(_, fault: AudioError | None = None):
        current = take.current
        if phase_now() not in ("recording", "paused") or current is None:
            return
        go_to("saving")
        try:
            if isinstance(current, WebTake):
                try:
                    await asyncio.wait_for(web_recorder.current.stop_recording(), STOP_RECORDER_TIMEOUT_S)
                except Exception:
                    pass  # the recorder (or its page) is gone: save what arrived
                if fault:
                    set_warnings(fault.message)
                outcome = await asyncio.to_thread(app.act, recordings.save_stream_take, current)
            else:
                finished = current.stop()
                if finished.fault:
                    set_warnings(finished.fault.message)
                outcome = await asyncio.to_thread(app.act, recordings.save_take, finished)
        except AudioError as exc:
            set_message(exc.message)
        else:
            set_message(outcome.error.message if outcome.error else "")
            if outcome.ok and outcome.value.warnings:
                set_warnings(" ".join(outcome.value.warnings))
            if outcome.ok and on_saved:
                on_saved(outcome.value)
        finally:
            take.current = None
            go_to("idle")

    async def cancel(_):
        current = take.current
        take.current = None
        if isinstance(current, WebTake):
            await web_recorder.current.cancel_recording()
            current.discard()
        elif isinstance(current, Recorder):
            current.cancel()
        go_to("idle")

    def pause_resume(_):
        if isinstance(take.current, Recorder):
            if phase_now() == "recording":
                take.current.pause()
                go_to("paused")
            else:
                take.current.resume()
                go_to("recording")

    recording = phase in ("recording", "paused")
    start_button = (ft.OutlinedButton("Record again", icon=ft.Icons.REPLAY, on_click=start) if again else
                    ft.FilledButton("Start recording", icon=ft.Icons.MIC, on_click=start, height=56,
                                    style=ft.ButtonStyle(text_style=ft.TextStyle(size=18))))
    return ft.Column([
        ft.Container(start_button, visible=phase == "idle"),
        ft.Container(prompter, visible=recording and prompter is not None),
        RecordingBar(phase, elapsed, level, minimum_s, limit_s, stop, cancel, pause_resume,
                     can_pause=not uses_stream(page), visible=recording),
        ft.Row([ft.ProgressRing(width=20, height=20), ft.Text("Checking and saving your reading…")],
               visible=phase == "saving"),
        ErrorText(message),
        ft.Text(warnings, color=ft.Colors.AMBER_900, visible=bool(warnings)),
    ], spacing=12, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)


def RecordingBar(phase: str, elapsed: float, level: float, minimum_s: int, limit_s: float,
                 stop, cancel, pause_resume, can_pause: bool, visible: bool) -> ft.Control:
    """Stop, the elapsed time against the minimum, and the level meter, in one card."""
    reached = elapsed >= minimum_s
    meter = min(1.0, max(0.0, (level + 60) / 60))
    status = ft.Semantics(
        identifier="recorder-status",
        label=(f"{phase.capitalize()} {clock(elapsed)} of at least {clock(minimum_s)}"
               f" (at most {clock(limit_s)}), level {level:.0f} dBFS"),
        container=True,
        content=ft.Column([
            ft.Row([
                ft.Icon(ft.Icons.PAUSE_CIRCLE if phase == "paused" else ft.Icons.FIBER_MANUAL_RECORD,
                        color=ft.Colors.ERROR, size=20),
                ft.Text(f"{'Paused' if phase == 'paused' else 'Recording'} {clock(elapsed)}",
                        size=20, weight=ft.FontWeight.BOLD, expand=True),
            ], vertical_alignment=ft.CrossAxisAlignment.CENTER),
            # The elapsed time against the minimum, then the level meter.
            ft.Row([
                ft.ProgressBar(value=min(1.0, elapsed / minimum_s) if minimum_s else 1.0, height=6,
                               border_radius=3, expand=True),
                ft.Icon(ft.Icons.CHECK_CIRCLE if reached else ft.Icons.TIMER_OUTLINED, size=18,
                        color=ft.Colors.PRIMARY if reached else ft.Colors.ON_SURFACE_VARIANT),
                ft.Text("Minimum reached" if reached else f"at least {clock(minimum_s)}",
                        color=ft.Colors.ON_SURFACE_VARIANT),
            ], vertical_alignment=ft.CrossAxisAlignment.CENTER),
            ft.Row([ft.Icon(ft.Icons.GRAPHIC_EQ, size=18, color=ft.Colors.ON_SURFACE_VARIANT),
                    ft.ProgressBar(value=meter, height=10, border_radius=5, expand=True,
                                   color=ft.Colors.RED if level > -3 else ft.Colors.GREEN)]),
        ], spacing=8),
    )
    return ft.Container(
        visible=visible,
        padding=14,
        border_radius=16,
        bgcolor=ft.Colors.SURFACE_CONTAINER_HIGH,
        content=ft.Column([
            status,
            ft.Row([
                ft.FilledButton("Stop and save", icon=ft.Icons.STOP, on_click=stop, height=52, expand=True),
                ft.OutlinedButton("Resume" if phase == "paused" else "Pause", on_click=pause_resume,
                                  visible=can_pause),
                ft.TextButton("Cancel", on_click=cancel),
            ]),
        ], spacing=12),
    )
