"""The streak as the hero of a screen, and the week strip under it (Home, the morning's
celebration, the evening's "day complete" moment)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import flet as ft

from chris_app.services.week import WeekDay


@ft.component
def StreakHero(current_streak: int, animate: bool = False, identifier: str = "streak-hero") -> ft.Control:
    """The current streak as one big number with a flame. With `animate` it grows in when shown
    (a celebration); on Home it simply stands there."""
    grown, set_grown = ft.use_state(not animate)

    async def grow():
        # A separate update after the first frame: sent together with the first render, the
        # small starting size would never be drawn and there would be nothing to animate.
        await asyncio.sleep(0.05)
        set_grown(True)

    ft.on_mounted(grow if animate else (lambda: None))
    days = "day" if current_streak == 1 else "days"
    return ft.Semantics(
        identifier=identifier,
        label=f"Current streak: {current_streak} {days}",
        container=True,
        exclude_semantics=True,
        content=ft.Container(
            scale=1 if grown else 0.5,
            opacity=1 if grown else 0,
            animate_scale=ft.Animation(700, ft.AnimationCurve.ELASTIC_OUT),
            animate_opacity=ft.Animation(300, ft.AnimationCurve.EASE_OUT),
            alignment=ft.Alignment.CENTER,
            content=ft.Column(
                [
                    ft.Row(
                        [
                            ft.Icon(ft.Icons.LOCAL_FIRE_DEPARTMENT_ROUNDED, size=48,
                                    color=ft.Colors.PRIMARY if current_streak else ft.Colors.OUTLINE),
                            ft.Text(str(current_streak), size=72, weight=ft.FontWeight.BOLD,
                                    color=ft.Colors.PRIMARY if current_streak else ft.Colors.ON_SURFACE),
                        ],
                        alignment=ft.MainAxisAlignment.CENTER,
                        vertical_alignment=ft.CrossAxisAlignment.CENTER,
                        spacing=4,
                    ),
                    ft.Text("day streak",
                            theme_style=ft.TextThemeStyle.TITLE_MEDIUM, color=ft.Colors.ON_SURFACE_VARIANT),
                ],
                spacing=0,
                horizontal_alignment=ft.CrossAxisAlignment.CENTER,
            ),
        ),
    )


def freeze_text(freezes_held: int) -> str:
    """The one line that explains streak freezes (docs/rules.md#streak-freezes)."""
    if freezes_held <= 0:
        return "7 days in a row earn a streak freeze"
    noun = "streak freeze" if freezes_held == 1 else "streak freezes"
    return f"{freezes_held} {noun}: a missed day won't break your streak"


def FreezeLine(freezes_held: int, identifier: str = "streak-freezes") -> ft.Control:
    """The freezes held, as a snowflake and one line (Home, under the streak)."""
    held = freezes_held > 0
    return ft.Semantics(
        identifier=identifier,
        label=freeze_text(freezes_held),
        container=True,
        exclude_semantics=True,
        content=ft.Row(
            [
                ft.Icon(ft.Icons.AC_UNIT_ROUNDED, size=18, color=FROZEN_COLOR if held else ft.Colors.OUTLINE),
                # loose: as wide as the text, wrapping beside the icon on a narrow phone
                ft.Text(freeze_text(freezes_held), size=14, expand=True, expand_loose=True,
                        color=ft.Colors.ON_SURFACE if held else ft.Colors.ON_SURFACE_VARIANT),
            ],
            alignment=ft.MainAxisAlignment.CENTER,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
            spacing=6,
        ),
    )


# Frozen days and freezes, in both themes: an icy blue, apart from the primary (completed) colour.
FROZEN_COLOR = ft.Colors.LIGHT_BLUE_400


def day_label(day: WeekDay) -> str:
    """What a screen reader says for one day of the strip."""
    when = f"{day.date:%A} {day.date.day} {day.date:%B}" + (", today" if day.is_today else "")
    morning = "morning done" if day.completed else "morning not done"
    evening = "evening done" if day.evening_done else "evening not done"
    return f"{when}: {morning}, {evening}"


def WeekStrip(days: Sequence[WeekDay], identifier: str = "week-strip") -> ft.Control:
    """Seven days as circles under their weekday initials: filled with a check when the morning
    reading was recorded, today ringed, a small moon under a day whose evening was reviewed."""
    return ft.Semantics(
        identifier=identifier,
        container=True,
        content=ft.Row(
            [_Day(d) for d in days],
            alignment=ft.MainAxisAlignment.SPACE_AROUND,
        ),
    )


def _Day(day: WeekDay) -> ft.Control:
    done = day.completed
    circle = ft.Container(
        width=36,
        height=36,
        border_radius=18,
        alignment=ft.Alignment.CENTER,
        bgcolor=ft.Colors.PRIMARY if done else ft.Colors.SURFACE_CONTAINER_HIGHEST,
        border=ft.Border.all(2, ft.Colors.PRIMARY if day.is_today else ft.Colors.TRANSPARENT),
        content=ft.Icon(ft.Icons.CHECK_ROUNDED, size=20, color=ft.Colors.ON_PRIMARY) if done else None,
    )
    return ft.Semantics(
        identifier=f"week-day-{day.date.isoformat()}",
        label=day_label(day),
        container=True,
        exclude_semantics=True,
        content=ft.Column(
            [
                ft.Text(f"{day.date:%a}"[0], size=13,
                        weight=ft.FontWeight.BOLD if day.is_today else ft.FontWeight.NORMAL,
                        color=ft.Colors.ON_SURFACE if day.is_today else ft.Colors.ON_SURFACE_VARIANT),
                circle,
                ft.Icon(ft.Icons.NIGHTLIGHT_ROUND, size=12,
                        color=ft.Colors.TERTIARY if day.evening_done else ft.Colors.TRANSPARENT),
            ],
            spacing=4,
            horizontal_alignment=ft.CrossAxisAlignment.CENTER,
        ),
    )
