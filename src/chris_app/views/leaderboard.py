"""Leaderboard `/leaderboard`: not in this version (the server side exists: an opt-in table
with display name, member number and current streak). The screen says so plainly."""

from __future__ import annotations

import flet as ft

from chris_app.views.common import Frame, Note, Section

@ft.component
def Leaderboard():
    return Frame("/leaderboard", "Leaderboard", [Section(
        "Opt-in leaderboard",
        Note("The leaderboard will show the members who opted in, by current streak: only their "
             "display name, member number and streak. It is not available in this version yet."),
    )])
