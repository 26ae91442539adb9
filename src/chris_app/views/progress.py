"""Progress `/progress`: the figures and the last weeks, day by day."""

from __future__ import annotations

from datetime import timedelta

import flet as ft

from chris_app.services import day, summary
from chris_app.state import use_app
from chris_app.views.common import Figure, Frame, Note, Section

WEEKS = 12


@ft.component
def Progress():
    app = use_app()
    home = app.read(summary.home, app.now())
    days = {d.date: d for d in app.read(day.all_days)}
    st = home.stats
    start = home.today - timedelta(days=home.today.weekday() + 7 * (WEEKS - 1))
    weeks = []
    for w in range(WEEKS):
        cells = []
        for i in range(7):
            d = start + timedelta(days=7 * w + i)
            s = days.get(d)
            done = bool(s and s.morning_completed)
            cells.append(ft.Container(
                width=18, height=18, border_radius=4,
                bgcolor=(ft.Colors.GREEN if done else ft.Colors.SURFACE_CONTAINER_HIGHEST)
                if d <= home.today else ft.Colors.TRANSPARENT,
                tooltip=f"{d:%a %d %b}: {'completed' if done else 'not completed'}",
            ))
        weeks.append(ft.Column(cells, spacing=3))
    return Frame("/progress", "Progress", [
        ft.Row([
            Figure("Current streak", f"{st.current_streak}", "progress-current-streak"),
            Figure("Longest streak", f"{st.longest_streak}", "progress-longest-streak"),
            Figure("Completion rate", f"{st.completion_rate}%", "progress-completion-rate"),
            Figure("Discipline score", f"{st.score}%", "progress-score"),
        ], wrap=True, spacing=10, run_spacing=10),
        Section(f"Last {WEEKS} weeks", ft.Row(weeks, spacing=3, scroll=ft.ScrollMode.AUTO),
                Note("Each square is a day (Monday at the top); green days have a recorded reading.")),
        Section("Recent days", *[
            ft.Text(f"{d.date:%a %d %b}: " + ", ".join(filter(None, [
                "morning ✓" if d.morning_completed else "morning —",
                f"rating {d.discipline_rating}" if d.discipline_rating else None,
                f"win: {d.biggest_win}" if d.biggest_win else None,
            ])))
            for d in sorted(days.values(), key=lambda d: d.date, reverse=True)[:14]
        ] or [Note("Nothing yet. Your first morning starts the count.")]),
    ])
