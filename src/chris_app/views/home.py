"""Home `/`: today's state, the member's figures, one tap into the next step."""

from __future__ import annotations

import flet as ft

from chris_app.services import summary
from chris_app.state import use_app
from chris_app.views.common import Check, Figure, Frame, Heading, Note, Section, go

NEXT_STEP_LABELS = {
    "/morning": "Start the morning protocol",
    "/evening": "Do the evening review",
    "/progress": "Day complete — see your progress",
}


@ft.component
def Home():
    app = use_app()
    home = app.read(summary.home, app.now())
    s, st = home.session, home.stats
    action = s.violent_action if s and s.violent_action else None
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
        ft.FilledButton(
            NEXT_STEP_LABELS[home.next_step],
            icon=ft.Icons.ARROW_FORWARD,
            on_click=go(home.next_step),
        ),
        Section(
            "Today",
            Check(bool(s and s.morning_completed), "Morning reading recorded"),
            Check(bool(s and s.vision_board_viewed), "Vision board viewed"),
            Check(bool(action), f"Violent action: {action}" if action else "Violent action not set"),
            Check(bool(s and s.evening_completed), "Evening review done"),
            identifier="today-state",
        ),
        Section(
            "Your discipline",
            ft.Row(
                [
                    Figure("Current streak", f"{st.current_streak}", "stat-current-streak"),
                    Figure("Longest streak", f"{st.longest_streak}", "stat-longest-streak"),
                    Figure("Completion rate", f"{st.completion_rate}%", "stat-completion-rate"),
                    Figure("Average rating", f"{st.average_rating}", "stat-average-rating"),
                    Figure("Discipline score", f"{st.score}%", "stat-score"),
                    Figure("Days completed", f"{st.total_days_completed}", "stat-total-days"),
                ],
                wrap=True,
                spacing=10,
                run_spacing=10,
            ),
            Note("Completion rate and average rating cover the last 90 days since you started. "
                 "A day counts once its morning reading is recorded."),
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
