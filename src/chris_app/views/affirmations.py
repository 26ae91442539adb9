"""Affirmations `/affirmations`: edit (a save creates a new version), history, restore."""

from __future__ import annotations

import flet as ft

from chris_app.domain import limits
from chris_app.services import affirmations
from chris_app.state import use_app
from chris_app.views.ai import DraftAffirmations
from chris_app.views.common import ErrorText, Frame, Note, Section


@ft.component
def Affirmations():
    app = use_app()
    current = app.read(affirmations.active)
    versions = app.read(affirmations.history)
    text = ft.use_ref(current.content)  # uncontrolled text field, see evening.py
    error, set_error = ft.use_state("")

    def save(_):
        outcome = app.act(affirmations.save_new_version, text.current)
        set_error(outcome.error.message if outcome.error else "")

    def restore(version: int):
        outcome = app.act(affirmations.restore, version)
        if outcome.ok:
            text.current = outcome.value.content
        set_error(outcome.error.message if outcome.error else "")

    return Frame("/affirmations", "Affirmations", [
        Section(
            f"Active: version {current.version}",
            Note("One affirmation per line. Saving creates a new version; old versions stay below."),
            ft.TextField(label="Your affirmations", value=current.content, multiline=True, min_lines=6,
                         max_lines=20, max_length=limits.AFFIRMATIONS_MAX, key=f"editor-{current.version}",
                         on_change=lambda e: setattr(text, "current", e.control.value)),
            ErrorText(error),
            ft.FilledButton("Save as new version", icon=ft.Icons.SAVE, on_click=save),
        ),
        Section("Draft with AI", DraftAffirmations()),
        Section(
            "History",
            *[
                ft.ListTile(
                    title=ft.Text(f"Version {v.version}" + (" (active)" if v.is_active else "")),
                    subtitle=ft.Text(v.content, max_lines=2),
                    trailing=None if v.is_active else ft.TextButton(
                        f"Restore version {v.version}", on_click=lambda _, n=v.version: restore(n)),
                    content_padding=0,
                )
                for v in versions
            ],
        ),
    ])
