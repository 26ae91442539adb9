"""The morning's last step: the moment of success. The streak grows in as the hero number over
the week strip, with the evening's time; a chime when Sound is on and a tap of the phone's
motor, once, when the member has just finished (not when they come back to look)."""

from __future__ import annotations

import flet as ft

from chris_app.services import summary
from chris_app.services.profile import get_profile
from chris_app.services.week import week_strip
from chris_app.state import use_app
from chris_app.views.common import Note, go
from chris_app.views.morning_step_body import StepBody
from chris_app.views.feedback import cue
from chris_app.views.streak import StreakHero, WeekStrip


@ft.component
def DoneStep(just_finished: bool, action: str | None):
    app = use_app()
    page = ft.context.page
    stats = app.read(summary.stats, app.now())
    week = app.read(week_strip, app.now())
    evening = app.read(get_profile).evening_time

    def celebrate():
        if just_finished:
            cue(app, page, "morning-done")

    ft.on_mounted(celebrate)
    return StepBody("morning-done", [ft.Column([
        ft.Text("Morning done", theme_style=ft.TextThemeStyle.HEADLINE_MEDIUM, weight=ft.FontWeight.BOLD,
                text_align=ft.TextAlign.CENTER),
        StreakHero(stats.current_streak, animate=True),
        WeekStrip(week),
        ft.Container(
            padding=14,
            border_radius=16,
            bgcolor=ft.Colors.SURFACE_CONTAINER_HIGH,
            content=ft.Column([
                ft.Row([ft.Icon(ft.Icons.BOLT, color=ft.Colors.PRIMARY),
                        ft.Text(action or "", weight=ft.FontWeight.W_600, expand=True)]),
                ft.Row([ft.Icon(ft.Icons.NIGHTLIGHT_OUTLINED, color=ft.Colors.PRIMARY),
                        ft.Text(f"See you tonight at {evening} for your evening review.", expand=True)]),
            ], spacing=10),
        ),
        ft.FilledButton("Back to Today", icon=ft.Icons.HOME_OUTLINED, on_click=go("/"), height=52),
        Note("Your reading counts for today's streak; the board and the action make the morning whole."),
    ], spacing=16, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)])
