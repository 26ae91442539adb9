"""The "day complete" moment after the evening review: the streak, the week strip with today's
evening in it, what the member just saved, and when the next morning is."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import flet as ft

from chris_app.services.day import DaySession, completed
from chris_app.services.week import WeekDay
from chris_app.views.common import Note
from chris_app.views.streak import StreakHero, WeekStrip


def DayComplete(s: DaySession, streak: int, days: Sequence[WeekDay], morning_time: str, *, animate: bool,
                on_edit: Callable) -> ft.Control:
    complete = completed(s)  # without the morning's reading the day does not count
    lines = []
    if s.violent_action:
        lines.append(_Line(ft.Icons.BOLT_ROUNDED, ("Action done: " if s.action_completed else "Action not done: ")
                           + s.violent_action))
    lines.append(_Line(ft.Icons.STAR_ROUNDED, f"Discipline {s.discipline_rating}/10"))
    if s.biggest_win:
        lines.append(_Line(ft.Icons.EMOJI_EVENTS_OUTLINED, f"Biggest win: {s.biggest_win}"))
    return ft.Semantics(
        identifier="day-complete",
        container=True,
        content=ft.Container(
            padding=ft.Padding.symmetric(horizontal=16, vertical=20),
            border_radius=24,
            bgcolor=ft.Colors.SURFACE_CONTAINER_LOW,
            content=ft.Column(
                [
                    ft.Text("Day complete" if complete else "Evening review saved",
                            theme_style=ft.TextThemeStyle.HEADLINE_SMALL, weight=ft.FontWeight.BOLD,
                            text_align=ft.TextAlign.CENTER),
                    StreakHero(streak, animate=animate, identifier="day-complete-streak"),
                    WeekStrip(days, identifier="day-complete-week"),
                    ft.Column(lines, spacing=8),
                    Note(f"See you tomorrow morning at {morning_time}." if complete else
                         "Record your morning reading to count today."),
                    ft.OutlinedButton("Edit my review", icon=ft.Icons.EDIT_OUTLINED, on_click=on_edit),
                ],
                spacing=16,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            ),
        ),
    )


def _Line(icon: ft.IconData, text: str) -> ft.Control:
    return ft.Row([ft.Icon(icon, size=20, color=ft.Colors.PRIMARY), ft.Text(text, expand=True)],
                  vertical_alignment=ft.CrossAxisAlignment.START)
