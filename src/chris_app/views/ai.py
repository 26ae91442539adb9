"""AI helpers for signed-in members: draft affirmations from goals, suggest violent actions.
Both call edge functions (the OpenAI key lives on the server) and show progress and errors."""

from __future__ import annotations

import asyncio

import flet as ft

from chris_app.errors import ChrisError
from chris_app.services import day
from chris_app.state import use_app
from chris_app.views.common import ErrorText, Note, OwnNode


def signed_in(app) -> bool:
    return app.signed_in


@ft.component
def DraftAffirmations():
    """Affirmations from the member's goals; the server saves them as the new active version,
    and a sync brings that version down."""
    app = use_app()
    goals = ft.use_ref("")
    busy, set_busy = ft.use_state(False)
    error, set_error = ft.use_state("")
    message, set_message = ft.use_state("")

    async def draft(_):
        set_error("")
        set_message("")
        set_busy(True)
        try:
            result = await asyncio.to_thread(app.account.call_function, "generate-affirmations",
                                             {"goals": goals.current})
            await asyncio.to_thread(app.account.sync_now)
            app.revision += 1
            set_message(f"Version {result.get('version')} was drafted from your goals and is now active.")
        except ChrisError as exc:
            set_error(exc.message)
        finally:
            set_busy(False)

    if not signed_in(app):
        return Note("Sign in to draft affirmations from your goals with AI.")
    return ft.Column([
        OwnNode(ft.TextField(label="Your goals", multiline=True, min_lines=2, max_length=2000,
                             on_change=lambda e: setattr(goals, "current", e.control.value))),
        ft.Row([ft.FilledTonalButton("Draft with AI", icon=ft.Icons.AUTO_AWESOME, on_click=draft, disabled=busy),
                ft.ProgressRing(width=20, height=20, visible=busy)]),
        ft.Text(message, color=ft.Colors.GREEN_800, visible=bool(message)),
        ErrorText(error),
    ])


@ft.component
def SuggestActions(on_chosen=None):
    """Three bold actions suggested from recent actions and evening outcomes; `on_chosen()`
    after one was set (the morning moves on)."""
    app = use_app()
    suggestions, set_suggestions = ft.use_state([])
    busy, set_busy = ft.use_state(False)
    error, set_error = ft.use_state("")

    async def suggest(_):
        set_error("")
        set_busy(True)
        try:
            result = await asyncio.to_thread(app.account.call_function, "suggest-actions", {})
            set_suggestions(result.get("actions") or [])
        except ChrisError as exc:
            set_error(exc.message)
        finally:
            set_busy(False)

    def choose(text: str):
        outcome = app.act(day.set_action, text)
        set_error(outcome.error.message if outcome.error else "")
        if outcome.ok and on_chosen:
            on_chosen()

    if not signed_in(app):
        return ft.Container()
    return ft.Column([
        ft.Row([ft.OutlinedButton("Suggest with AI", icon=ft.Icons.AUTO_AWESOME, on_click=suggest, disabled=busy),
                ft.ProgressRing(width=20, height=20, visible=busy)]),
        *[
            ft.ListTile(
                title=ft.Text(s.get("action", "")),
                subtitle=ft.Text(f"{s.get('category', '')} · difficulty {s.get('difficulty', '?')}/10"
                                 + (f" · {s['why']}" if s.get("why") else "")),
                trailing=ft.TextButton(f"Choose suggestion {i}", on_click=lambda _, t=s.get("action", ""): choose(t)),
                content_padding=0,
            )
            for i, s in enumerate(suggestions, start=1)
        ],
        ErrorText(error),
    ])
