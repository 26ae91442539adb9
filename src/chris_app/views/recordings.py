"""Recordings `/recordings`: past readings by date."""

from __future__ import annotations

import flet as ft

from chris_app.services import recordings
from chris_app.state import use_app
from chris_app.views.common import Frame, Note


@ft.component
def Recordings():
    app = use_app()
    items = app.read(recordings.list_recordings)
    return Frame("/recordings", "Recordings", [
        Note("Playback inside the app is not available in this version yet; files are kept on this device."),
        *[
            ft.ListTile(
                leading=ft.Icon(ft.Icons.MIC),
                title=ft.Text(f"{r.date:%A, %d %B %Y}"),
                subtitle=ft.Text(f"{r.duration_ms / 1000:.0f} s · {r.size_bytes / 1024:.0f} KB · {r.path.name}"),
            )
            for r in items
        ],
        Note("No recordings yet.") if not items else ft.Container(),
    ])
