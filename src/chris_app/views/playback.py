"""Play back a saved reading with position and duration.

Web build and phones: flet-audio in the Flutter client (the file's bytes are handed over, so no
file URL is needed). Desktop: chris_app.audio.Player through PortAudio."""

from __future__ import annotations

import asyncio

import flet as ft
import flet_audio as fta

from chris_app.audio import AudioError, Player, PlayerState
from chris_app.errors import ChrisError
from chris_app.services.recordings import Recording
from chris_app.state import use_app
from chris_app.views.common import ErrorText, IconAction, Note
from chris_app.views.reading_recorder import clock, uses_stream

TICK_S = 0.25


@ft.component
def RemoteRecording(recording: Recording):
    """A reading saved in the account from another device: download it on demand."""
    app = use_app()
    busy, set_busy = ft.use_state(False)
    error, set_error = ft.use_state("")

    async def download(_):
        set_busy(True)
        set_error("")
        try:
            await asyncio.to_thread(app.account.download_recording, recording.id)
            app.revision += 1
        except ChrisError as exc:
            set_error(exc.message)
        finally:
            set_busy(False)

    if not app.signed_in:
        return Note("Saved in your account. Sign in on this device to download it.")
    return ft.Column([
        ft.Row([ft.OutlinedButton(f"Download reading of {recording.date:%d %B}", icon=ft.Icons.DOWNLOAD,
                                  on_click=download, disabled=busy),
                ft.ProgressRing(width=20, height=20, visible=busy)]),
        ErrorText(error),
    ])


@ft.component
def Playback(recording: Recording, autoplay: bool = False):
    page = ft.context.page
    state, set_state = ft.use_state("stopped")
    position, set_position = ft.use_state(0.0)
    error, set_error = ft.use_state("")
    player = ft.use_ref(None)
    loaded = ft.use_ref(None)  # asyncio.Event, set when the web client has the source
    duration = recording.duration_ms / 1000

    def on_state(e: fta.AudioStateChangeEvent):
        set_state("stopped" if e.state in (fta.AudioState.COMPLETED, fta.AudioState.STOPPED) else e.state.value)

    async def on_loaded(_):
        loaded.current.set()

    def web_player() -> fta.Audio:
        if player.current is None:  # created on first play: a long history sends no audio up front
            loaded.current = asyncio.Event()
            player.current = fta.Audio(
                src=recording.path.read_bytes(),
                on_loaded=on_loaded,
                on_state_change=on_state,
                on_position_change=lambda e: set_position(e.position / 1000),
            )
        return player.current

    async def follow_desktop():
        while isinstance(player.current, Player) and player.current.state is PlayerState.PLAYING:
            set_position(player.current.position_s)
            await asyncio.sleep(TICK_S)
        set_position(player.current.position_s if player.current else 0.0)
        set_state("stopped" if player.current is None or player.current.state is PlayerState.STOPPED else "paused")

    async def toggle(_=None):
        set_error("")
        try:
            if uses_stream(page):
                audio = web_player()
                if state == "playing":
                    await audio.pause()
                elif state == "paused":
                    await audio.resume()
                else:
                    # A play() sent before the client has loaded the source never returns.
                    await asyncio.wait_for(loaded.current.wait(), timeout=15)
                    await audio.play()
            else:
                if player.current is None:
                    player.current = Player(recording.path)
                if player.current.state is PlayerState.PLAYING:
                    player.current.pause()
                    set_state("paused")
                else:
                    player.current.play()
                    set_state("playing")
                    asyncio.create_task(follow_desktop())
        except AudioError as exc:
            set_error(exc.message)
        except TimeoutError:
            set_error("This recording could not be loaded for playback. Try again.")

    def start_if_asked():
        if autoplay:
            asyncio.create_task(toggle())

    ft.on_mounted(start_if_asked)

    def release():
        if isinstance(player.current, Player):
            player.current.stop()

    ft.on_unmounted(release)

    if not recording.path.exists():  # recorded on another device, not downloaded here yet
        return RemoteRecording(recording)
    playing = state == "playing"
    return ft.Column([
        ft.Row([
            IconAction(ft.Icons.PAUSE if playing else ft.Icons.PLAY_ARROW,
                       f"{'Pause' if playing else 'Play'} reading of {recording.date:%d %B}", toggle),
            ft.Semantics(
                identifier=f"playback-{recording.date.isoformat()}",
                label=f"{state} {clock(position)} of {clock(duration)}",
                container=True,
                content=ft.Text(f"{clock(position)} / {clock(duration)}"),
            ),
            # The position is announced by the label next to it; a bare progress bar would
            # merge the whole card (play button included) into one "progressbar" node.
            ft.Semantics(container=True, expand=True, label="Playback position",
                         content=ft.ProgressBar(value=min(1.0, position / duration) if duration else 0)),
        ]),
        ErrorText(error),
    ], spacing=2)
