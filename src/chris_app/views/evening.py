"""Evening `/evening`: did I do the action (only when one was set), discipline rating 1–10,
biggest win; then a short "day complete" moment. Editable until the protocol day ends."""

from __future__ import annotations

import flet as ft

from chris_app.services import day, summary
from chris_app.services.profile import get_profile
from chris_app.services.week import week_strip
from chris_app.state import use_app
from chris_app.views.common import ErrorText, Frame, Note, OwnNode, Section
from chris_app.views.day_complete import DayComplete
from chris_app.views.feedback import cue
from chris_app.views.subscribe import Paywall

CHOICES = {"yes": True, "no": False}


@ft.component
def Evening():
    app = use_app()
    if app.paywalled():
        return Paywall("/evening", "Evening review")
    now = app.now()
    current = app.read(summary.today_session, now)
    s = current.session
    profile = app.read(get_profile)
    has_action = bool(s and s.violent_action)
    done, set_done = ft.use_state(None if not s or s.action_completed is None else ("yes" if s.action_completed else "no"))
    rating, set_rating = ft.use_state(s.discipline_rating if s else None)
    # The win is typed into an uncontrolled field and kept in a ref, not in state, so a re-render
    # never overwrites characters on their way. Every render passes the ref's text as the value:
    # what the field shows is exactly what a save sends, also after a refused save.
    win = ft.use_ref((s.biggest_win or "") if s else "")
    problems, set_problems = ft.use_state({})
    editing, set_editing = ft.use_state(not (s and s.evening_completed))
    celebrate, set_celebrate = ft.use_state(False)  # saved in this visit: animate and chime

    def save(_):
        outcome = app.act(
            day.save_evening,
            # a day without an action has nothing to have done
            action_completed=CHOICES.get(done) if has_action else None,
            discipline_rating=rating,
            biggest_win=win.current,
        )
        if outcome.error:
            set_problems(getattr(outcome.error, "problems", None) or {"form": outcome.error.message})
            return
        set_problems({})
        set_editing(False)
        set_celebrate(True)
        cue(app, ft.context.page, "day-complete")

    note = Note(current.today.strftime("Protocol day %A, %d %B") +
                f" · editable until {profile.day_start_hour:02d}:00 tomorrow")
    if not editing and s and s.evening_completed:
        return Frame("/evening", "Evening review", [
            note,
            DayComplete(s, app.read(summary.stats, now).current_streak, app.read(week_strip, now),
                        profile.morning_time, animate=celebrate, on_edit=lambda _: set_editing(True)),
        ])
    return Frame("/evening", "Evening review", [
        note,
        *([Section(
            "Did you do today's action?",
            ft.Text(s.violent_action, italic=True),
            ft.RadioGroup(
                value=done,
                on_change=lambda e: set_done(e.control.value),
                content=ft.Row([ft.Radio(value="yes", label="Yes, I did it"),
                                ft.Radio(value="no", label="No, not today")], wrap=True, spacing=0),
            ),
            ErrorText(problems.get("action_completed")),
            identifier="evening-action",
        )] if has_action else []),
        Section(
            "Discipline rating",
            ft.Row([RatingButton(n, rating == n, set_rating) for n in range(1, 11)],
                   wrap=True, spacing=8, run_spacing=8),
            ErrorText(problems.get("discipline_rating")),
            identifier="evening-rating",
        ),
        Section(
            "Biggest win of the day (optional)",
            # in a row so that it takes the card's width (alone it keeps a fixed width)
            OwnNode(ft.Row([ft.TextField(label="Biggest win", value=win.current, multiline=True,
                                         min_lines=2, max_lines=5, max_length=1000, expand=True,
                                         on_change=lambda e: setattr(win, "current", e.control.value))])),
            ErrorText(problems.get("biggest_win")),
            identifier="evening-win",
        ),
        ErrorText(problems.get("form")),
        ft.FilledButton("Save evening review", icon=ft.Icons.NIGHTLIGHT_ROUND, on_click=save,
                        style=ft.ButtonStyle(padding=ft.Padding.symmetric(horizontal=20, vertical=16))),
    ])


def RatingButton(n: int, selected: bool, choose) -> ft.Control:
    """48 px circles: five fit a phone's row (two even rows), all ten a desktop's."""
    return ft.Semantics(
        label=f"Rating {n}",
        selected=selected,
        button=True,
        content=ft.Container(
            width=48, height=48, border_radius=24, alignment=ft.Alignment.CENTER,
            bgcolor=ft.Colors.PRIMARY if selected else ft.Colors.SURFACE_CONTAINER_HIGHEST,
            content=ft.Text(str(n), color=ft.Colors.ON_PRIMARY if selected else None,
                            weight=ft.FontWeight.BOLD, size=16),
            on_click=lambda _: choose(n),
        ),
    )
