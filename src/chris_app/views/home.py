"""Home `/`: the streak as the hero, the week, one button to the next step, then the figures."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import flet as ft

from chris_app.domain.stats import Stats, window
from chris_app.services import summary
from chris_app.services.day import completed, morning_step
from chris_app.services.profile import get_profile
from chris_app.services.week import week_strip
from chris_app.state import use_app
from chris_app.views.common import Check, Frame, Heading, Note, Section, go
from chris_app.views.streak import FreezeLine, StreakHero, WeekStrip

NOT_YET = "—"  # a figure that does not exist yet (never "0.0" before the first rating)

# The one button: named after the step it leads to.
MORNING_STEP_LABELS = {
    "record": "Start the morning protocol: read aloud",
    "board": "Next: look at your vision board",
    "action": "Next: choose today's violent action",
}
NEXT_STEP_LABELS = {
    "/evening": "Do the evening review",
    "/progress": "Day complete — see your progress",
}


def percent(value: Decimal) -> str:
    """At most one decimal on screen, none when it is whole: 66.67 → "66.7%", 100.00 → "100%"."""
    shown = value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{shown.normalize():f}%" if shown == shown.to_integral() else f"{shown}%"


def figure_rows(st: Stats, has_window: bool) -> list[tuple[str, str, str, str]]:
    """(identifier, label, value, one-line explanation) for each figure under the hero.
    Before any finished or completed day there is no rate and no score yet; before the first
    evening rating there is no average."""
    rated = st.average_rating > 0  # ratings are 1–10: an average of 0 means none
    return [
        ("stat-longest-streak", "Longest streak", f"{st.longest_streak}",
         "Your best run of days in a row so far."),
        ("stat-completion-rate", "Completion rate", percent(st.completion_rate) if has_window else NOT_YET,
         "Days with a recorded reading, last 90 days." if has_window else
         "Shows once your first morning is recorded."),
        ("stat-average-rating", "Average rating", f"{st.average_rating}" if rated else NOT_YET,
         "Your evening discipline rating, last 90 days." if rated else
         "Shows after your first evening review."),
        ("stat-score", "Discipline score", percent(st.score) if has_window else NOT_YET,
         "Forgiving: grows with every done day, eases off on a miss." if has_window else
         "Starts with your first recorded morning."),
        ("stat-total-days", "Days completed", f"{st.total_days_completed}",
         "Every day with a recorded morning reading."),
    ]


def next_step_label(home: summary.Home) -> str:
    if home.next_step == "/morning":
        return MORNING_STEP_LABELS.get(morning_step(home.session, home.board_empty), MORNING_STEP_LABELS["record"])
    return NEXT_STEP_LABELS[home.next_step]


@ft.component
def Home():
    app = use_app()
    now = app.now()
    home = app.read(summary.home, now)
    days = app.read(week_strip, now)
    first_day = app.read(get_profile).first_day
    s, st = home.session, home.stats
    has_window = window(first_day, home.today, completed(s)) is not None
    account = app.account
    unfinished = account is not None and (account.needs_code or account.needs_carry)
    return Frame("/", "Chris Disciplined", [
        *([Section(
            "Finish signing in",
            Note("Enter the code from your authenticator app to finish signing in." if account.needs_code else
                 "Decide whether the data on this device goes into your account; until then nothing syncs."),
            ft.TextButton("Finish signing in", icon=ft.Icons.LOGIN, on_click=go("/sign-in")),
            identifier="finish-sign-in",
        )] if unfinished else []),
        Heading(home.today.strftime("%A, %d %B")),
        Hero(st.current_streak, days, next_step_label(home), home.next_step, st.freezes_held),
        TodayList(s, home.board_empty),
        Section(
            "Your discipline",
            *[FigureRow(*row) for row in figure_rows(st, has_window)],
            identifier="figures",
        ),
        ft.Row(
            [
                ft.TextButton("Affirmations", icon=ft.Icons.EDIT_NOTE, on_click=go("/affirmations")),
                ft.TextButton("Recordings", icon=ft.Icons.LIBRARY_MUSIC_OUTLINED, on_click=go("/recordings")),
                ft.TextButton("Leaderboard", icon=ft.Icons.LEADERBOARD_OUTLINED, on_click=go("/leaderboard")),
            ],
            wrap=True,
        ),
    ])


def Hero(streak: int, days, label: str, route: str, freezes_held: int = 0) -> ft.Control:
    return ft.Container(
        padding=ft.Padding.symmetric(horizontal=16, vertical=20),
        margin=ft.Margin.symmetric(horizontal=4),  # the cards' own margin: the edges line up
        border_radius=24,
        bgcolor=ft.Colors.SURFACE_CONTAINER_LOW,
        content=ft.Column(
            [
                StreakHero(streak, identifier="stat-current-streak"),
                FreezeLine(freezes_held),
                WeekStrip(days),
                ft.FilledButton(
                    label,
                    icon=ft.Icons.ARROW_FORWARD,
                    on_click=go(route),
                    style=ft.ButtonStyle(padding=ft.Padding.symmetric(horizontal=20, vertical=16)),
                ),
            ],
            spacing=20,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        ),
    )


def TodayList(s, board_empty: bool) -> ft.Control:
    action = s.violent_action if s and s.violent_action else None
    return Section(
        "Today",
        Item(completed(s), "Morning reading recorded"),
        EmptyBoard() if board_empty and not (s and s.vision_board_viewed) else
        Item(bool(s and s.vision_board_viewed), "Vision board viewed"),
        Item(bool(action), "Violent action set", detail=action),
        Item(bool(s and s.evening_completed), "Evening review saved"),
        identifier="today-state",
    )


def Item(done: bool, text: str, detail: str | None = None) -> ft.Control:
    """One line of today's checklist, announced with its state: the icon alone says nothing
    to a screen reader."""
    state = "done" if done else "not done yet"
    return ft.Semantics(
        label=f"{text}: {state}" + (f". {detail}" if detail else ""),
        container=True,
        exclude_semantics=True,
        content=ft.Column([Check(done, text),
                           *([ft.Container(Note(detail), padding=ft.Padding.only(left=34))] if detail else [])],
                          spacing=0),
    )


def EmptyBoard() -> ft.Control:
    """An empty board has nothing to view and never holds the morning up: not an open task."""
    return ft.Semantics(
        label="Vision board viewed: not needed, the board is empty",
        container=True,
        exclude_semantics=True,
        content=ft.Row([ft.Icon(ft.Icons.REMOVE_CIRCLE_OUTLINE, color=ft.Colors.OUTLINE),
                        ft.Text("Vision board empty: nothing to view yet", expand=True)]),
    )


def FigureRow(identifier: str, label: str, value: str, explanation: str) -> ft.Control:
    """One figure: what it is and what it means on the left, the value on the right; read as
    "label: value" ("none yet" for "—")."""
    spoken = "none yet" if value == NOT_YET else value
    return ft.Semantics(
        identifier=identifier,
        label=f"{label}: {spoken}. {explanation}",
        container=True,
        exclude_semantics=True,
        content=ft.Row(
            [
                ft.Column([ft.Text(label, weight=ft.FontWeight.W_600), Note(explanation)], spacing=2, expand=True),
                ft.Text(value, size=24, weight=ft.FontWeight.BOLD),
            ],
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
            spacing=12,
        ),
    )
