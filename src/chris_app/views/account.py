"""Sign-in `/sign-in`, subscription `/subscribe` and leaderboard `/leaderboard`. Accounts,
sync and billing are not part of this version: these screens say so plainly."""

from __future__ import annotations

import flet as ft

from chris_app.views.common import Frame, Note, Section, go

GUEST = ("You are using Chris Disciplined as a guest: everything is stored on this device and "
         "works without a network.")


@ft.component
def Subscribe():
    return Frame("/subscribe", "Subscription", [Section(
        "Guest mode is free",
        Note(GUEST + " Guest mode is never paywalled."),
        Note("Subscriptions for synced accounts are not available in this version."),
    )])


@ft.component
def Leaderboard():
    return Frame("/leaderboard", "Leaderboard", [Section(
        "Opt-in leaderboard",
        Note("The leaderboard shows members who opted in, by current streak. It needs an account, "
             "which is not available in this version."),
    )])
