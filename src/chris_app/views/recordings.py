"""Recordings `/recordings`: past readings by date."""

from __future__ import annotations

import flet as ft

from chris_app.services import recordings
from chris_app.state import use_app
from chris_app.views.common import Frame, Note
from chris_app.views.playback import Playback


@ft.component
def Recordings():
    app = use_app()
    items = app.read(recordings.list_recordings)
    return Frame("/recordings", "Recordings", [
        Note("Your morning readings, newest first. They are kept on this device."),
        *[
            ft.Card(content=ft.Container(padding=12, content=ft.Column([
                ft.Text(f"{r.date:%A, %d %B %Y}", weight=ft.FontWeight.W_600),
                ft.Text(f"{r.duration_ms / 1000:.0f} s · {r.size_bytes / 1024:.0f} KB", size=12),
                Playback(r, key=r.id),
            ], spacing=4)))
            for r in items
        ],
        Note("No recordings yet.") if not items else ft.Container(),
    ])
