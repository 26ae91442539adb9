"""The read-aloud check in the app (issue 16; docs/read-aloud.md): the opt-in switch in Settings
(signed-in members, off by default, consent kept on this device), and under a saved reading the
check itself — run in the background right after saving, with progress, then "You read 94 % of
your affirmations, 132 words a minute". A failure (quota, provider down, audio too long,
offline) is one sentence with a way to try again; the morning goes on either way."""

from __future__ import annotations

import asyncio

import flet as ft

from chris_app.domain.read_aloud import ReadAloudCheck, describe
from chris_app.services import read_aloud
from chris_app.state import use_app
from chris_app.views.common import Note

CONSENT_LINE = ("Sends your reading to our AI provider (OpenAI) to be transcribed, then shows how much of your"
                " affirmations you read and how fast. Your choice is kept on this device only.")


def member_id(app) -> str | None:
    """The signed-in member whose data this device holds, else None (guests)."""
    if not app.signed_in:
        return None
    return app.account.member_id()


@ft.component
def ReadAloudSetting():
    """Settings: the switch, with its consent line; guests are told it needs an account."""
    app = use_app()
    member = member_id(app)
    on = app.read(read_aloud.consented, member)

    def changed(e: ft.Event):
        value = e.data if isinstance(e.data, bool) else str(e.data).strip().lower() == "true"
        app.act(read_aloud.set_consent, member, value)

    if member is None:
        return ft.Semantics(identifier="settings-read-aloud", container=True, content=ft.Card(content=ft.Container(
            padding=16, content=ft.Column([
                ft.Text("Read-aloud check", theme_style=ft.TextThemeStyle.TITLE_MEDIUM, weight=ft.FontWeight.W_600),
                Note("Sign in to have your readings checked: how much of your affirmations you read, and how fast."),
            ], spacing=10))))
    return ft.Semantics(identifier="settings-read-aloud", container=True, content=ft.Card(content=ft.Container(
        padding=16, content=ft.Column([
            ft.Text("Read-aloud check", theme_style=ft.TextThemeStyle.TITLE_MEDIUM, weight=ft.FontWeight.W_600),
            ft.MergeSemantics(content=ft.ListTile(
                leading=ft.Switch(value=on, on_change=changed),
                title=ft.Text("Check my reading with AI"),
                subtitle=ft.Text(CONSENT_LINE, size=13, color=ft.Colors.ON_SURFACE_VARIANT),
                toggle_inputs=True,
                content_padding=0,
            )),
        ], spacing=10))))


def failure_sentence(message: str) -> str:
    return f"Your reading could not be checked: {message.rstrip('.')}. Your morning is saved."


@ft.component
def ReadAloudResult(recording_id: str, just_saved: bool):
    """Under a saved reading, for a member who turned the check on: the stored result, or the
    check running (started by itself for a reading just saved), or why it failed."""
    app = use_app()
    member = member_id(app)
    on = app.read(read_aloud.consented, member)
    stored: ReadAloudCheck | None = app.read(read_aloud.stored_check, recording_id)
    busy, set_busy = ft.use_state(False)
    error, set_error = ft.use_state("")
    started = ft.use_ref(False)

    async def run():
        started.current = True
        set_error("")
        set_busy(True)
        try:
            outcome = await asyncio.to_thread(app.act, read_aloud.run_check, recording_id,
                                              app.account.call_function)
        finally:
            set_busy(False)
        if outcome.error:
            set_error(failure_sentence(outcome.error.message))

    async def clicked(_):
        await run()

    def start_by_itself():
        if on and just_saved and stored is None and not started.current:
            asyncio.create_task(run())

    # just_saved turns true a render after the reading appears (the step learns its id after saving)
    ft.use_effect(start_by_itself, dependencies=[just_saved, on])
    if not on:
        return ft.Container()
    if busy:
        body: list[ft.Control] = [ft.Row([ft.ProgressRing(width=20, height=20),
                                          Note("Checking your reading with AI…")], spacing=10)]
    elif stored is not None:
        body = [ft.Row([ft.Icon(ft.Icons.FACT_CHECK_OUTLINED, color=ft.Colors.PRIMARY),
                        ft.Text(describe(stored), expand=True)], spacing=10)]
    elif error:
        body = [ft.Text(error, color=ft.Colors.ERROR),
                ft.TextButton("Try the check again", icon=ft.Icons.REFRESH, on_click=clicked)]
    else:
        body = [ft.TextButton("Check my reading", icon=ft.Icons.FACT_CHECK_OUTLINED, on_click=clicked)]
    return ft.Semantics(identifier="read-aloud-check", container=True, content=ft.Column(body, spacing=6))
