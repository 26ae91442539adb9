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
def ReadingRecorder(on_saved=None):
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
    limit_s = app.read(get_settings).max_recording_minutes * 60

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
                set_elapsed(seconds)
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
    meter = min(1.0, max(0.0, (level + 60) / 60))
    return ft.Column([
        ft.Row([
            ft.FilledButton("Start recording", icon=ft.Icons.MIC, on_click=start, visible=phase == "idle"),
            ft.FilledButton("Stop and save", icon=ft.Icons.STOP, on_click=stop, visible=recording),
            ft.OutlinedButton("Resume" if phase == "paused" else "Pause", on_click=pause_resume,
                              visible=recording and not uses_stream(page)),
            ft.TextButton("Cancel", on_click=cancel, visible=recording),
        ], wrap=True),
        ft.Semantics(
            identifier="recorder-status",
            label=f"{phase.capitalize()} {clock(elapsed)} of {clock(limit_s)}, level {level:.0f} dBFS",
            container=True,
            content=ft.Column([
                ft.Text(f"{'Paused' if phase == 'paused' else 'Recording'} {clock(elapsed)} / {clock(limit_s)}",
                        size=18, weight=ft.FontWeight.BOLD),
                ft.ProgressBar(value=meter, height=10, border_radius=5,
                               color=ft.Colors.RED if level > -3 else ft.Colors.GREEN),
            ], spacing=6),
            visible=recording,
        ),
        ft.Row([ft.ProgressRing(width=20, height=20), ft.Text("Checking and saving your reading…")],
               visible=phase == "saving"),
        ErrorText(message),
        ft.Text(warnings, color=ft.Colors.AMBER_900, visible=bool(warnings)),
    ], spacing=8)
