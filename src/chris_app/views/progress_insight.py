"""The weekly AI insight card on /progress (issue 16; services/insight.py): for a signed-in
member, a button that asks the `analyze-progress` edge function, a progress ring while it
works, then the summary, the insights and one focus for next week, kept on this device for the
rest of the week. A refusal (the day's AI requests used up, the provider down, offline) is the
server's sentence, as for the other AI features. Guests are told it needs an account."""

from __future__ import annotations

import asyncio
from datetime import date

import flet as ft

from chris_app.services import insight as insights
from chris_app.state import use_app
from chris_app.views.common import ErrorText, Note
from chris_app.views.read_aloud_check import member_id

TITLE = "Weekly AI insight"
CONSENT_LINE = ("Sends your last 30 days to our AI provider (OpenAI) and uses one of today's AI requests. "
                "The answer is kept on this device for the week.")


def _card(*controls: ft.Control) -> ft.Control:
    return ft.Semantics(identifier="progress-insight", container=True, content=ft.Card(content=ft.Container(
        padding=16, content=ft.Column([
            ft.Row([ft.Icon(ft.Icons.AUTO_AWESOME, color=ft.Colors.PRIMARY, size=20),
                    ft.Text(TITLE, theme_style=ft.TextThemeStyle.TITLE_MEDIUM, weight=ft.FontWeight.W_600)],
                   spacing=8),
            *controls,
        ], spacing=10))))


def _answer(found: insights.Insight) -> list[ft.Control]:
    done = (f" · {found.days_completed} mornings completed in the last 30 days"
            if found.days_completed is not None else "")
    return [
        Note(f"Week of {found.week_start:%d %b}{done}"),
        ft.Text(found.summary),
        *[ft.Row([ft.Icon(ft.Icons.CHEVRON_RIGHT, color=ft.Colors.PRIMARY, size=18), ft.Text(line, expand=True)],
                 spacing=6, vertical_alignment=ft.CrossAxisAlignment.START)
          for line in found.insights],
        ft.Text("Focus for next week", weight=ft.FontWeight.W_600),
        ft.Text(found.focus),
    ]


@ft.component
def ProgressInsight(today: date):
    app = use_app()
    member = member_id(app)
    kept: insights.Insight | None = app.read(insights.cached, member, today)
    busy, set_busy = ft.use_state(False)
    error, set_error = ft.use_state("")

    async def ask(_):
        set_error("")
        set_busy(True)
        try:
            outcome = await asyncio.to_thread(app.act, insights.fetch, member, today, app.account.call_function)
        finally:
            set_busy(False)
        if outcome.error:
            set_error(outcome.error.message)

    if member is None:
        return _card(Note("Sign in to get a weekly insight on your progress from the AI coach."))
    button = (ft.TextButton("Ask again", icon=ft.Icons.REFRESH, on_click=ask, disabled=busy) if kept
              else ft.FilledTonalButton("Get this week's insight", icon=ft.Icons.AUTO_AWESOME, on_click=ask,
                                        disabled=busy))
    return _card(
        *(_answer(kept) if kept else [Note(CONSENT_LINE)]),
        ft.Row([button, ft.ProgressRing(width=20, height=20, visible=busy),
                Note("The AI coach is reading your last 30 days…") if busy else ft.Container()],
               spacing=10, wrap=True),
        ErrorText(error),
    )
