"""Leaderboard `/leaderboard`: opt-in, top 50 by current streak. Only what members chose to
show is read: a display name, the member number and the streak."""

from __future__ import annotations

import asyncio

import flet as ft

from chris_app.domain import limits
from chris_app.errors import ChrisError
from chris_app.services.profile import get_profile, update_profile
from chris_app.state import use_app
from chris_app.views.common import ErrorText, Frame, Note, OwnNode, Section, Toggle, go


@ft.component
def Leaderboard():
    app = use_app()
    account = app.account
    rows, set_rows = ft.use_state(None)
    error, set_error = ft.use_state("")
    name = ft.use_ref(None)

    async def load():
        try:
            set_rows(await asyncio.to_thread(account.leaderboard))
        except ChrisError as exc:
            set_error(exc.message)

    async def join(e):
        value = bool(e.control.value)
        fields = {"leaderboard_opt_in": value}
        if name.current is not None:
            fields["display_name"] = name.current
        outcome = app.act(update_profile, **fields)
        if outcome.error:
            set_error(outcome.error.message)
            return
        set_error("")
        await asyncio.to_thread(account.sync_now)
        await load()

    signed_in = app.signed_in
    ft.on_mounted(load if signed_in else (lambda: None))
    if not signed_in:
        return Frame("/leaderboard", "Leaderboard", [Section(
            "Opt-in leaderboard",
            Note("Members who choose to can show their current streak here, under a display name of "
                 "their choice. It needs an account: sign in first."),
            ft.TextButton("Sign in", on_click=go("/sign-in")),
        )])
    profile = app.read(get_profile)
    return Frame("/leaderboard", "Leaderboard", [
        Section(
            "Take part",
            Note("Only your display name, member number and current streak are shown, and only while "
                 "this is on."),
            OwnNode(ft.TextField(label="Display name", value=profile.display_name, max_length=limits.DISPLAY_NAME_MAX,
                                 on_change=lambda e: setattr(name, "current", e.control.value))),
            Toggle("Show me on the leaderboard", profile.leaderboard_opt_in, join),
            ErrorText(error),
        ),
        Section("Top 50 by current streak", *(
            [Note("Loading…")] if rows is None else
            [Note("Nobody has opted in yet.")] if not rows else
            [ft.Semantics(identifier=f"rank-{i}", container=True, content=ft.Row([
                ft.Text(f"{i}.", width=32, weight=ft.FontWeight.BOLD),
                ft.Text(f"{r.get('display_name') or 'Member'} #{r.get('member_code') or ''}", expand=True),
                ft.Text(f"{r.get('current_streak', 0)} days", weight=ft.FontWeight.W_600),
            ])) for i, r in enumerate(rows, start=1)]
        )),
    ])
