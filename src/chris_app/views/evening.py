"""Evening `/evening`: did I do the action, discipline rating 1–10, biggest win. Editable until
the protocol day ends."""

from __future__ import annotations

import flet as ft

from chris_app.services import day, summary
from chris_app.services.profile import get_profile
from chris_app.state import use_app
from chris_app.views.common import ErrorText, Frame, Note, OwnNode, Section
from chris_app.views.subscribe import Paywall


@ft.component
def Evening():
    app = use_app()
    if app.paywalled():
        return Paywall("/evening", "Evening review")
    current = app.read(summary.today_session, app.now())
    s = current.session
    profile = app.read(get_profile)
    done, set_done = ft.use_state(None if not s or s.action_completed is None else ("yes" if s.action_completed else "no"))
    rating, set_rating = ft.use_state(s.discipline_rating if s else None)
    # Text fields are uncontrolled (their typing is kept in a ref, not in state): re-rendering
    # with a state value could overwrite characters typed while the update was on its way.
    win = ft.use_ref((s.biggest_win or "") if s else "")
    problems, set_problems = ft.use_state({})
    saved, set_saved = ft.use_state(bool(s and s.evening_completed))

    def save(_):
        outcome = app.act(
            day.save_evening,
            action_completed={"yes": True, "no": False}.get(done),
            discipline_rating=rating,
            biggest_win=win.current,
        )
        set_problems(getattr(outcome.error, "problems", {"form": outcome.error.message}) if outcome.error else {})
        set_saved(outcome.ok)

    action = s.violent_action if s and s.violent_action else "No violent action was set today."
    return Frame("/evening", "Evening review", [
        Note(current.today.strftime("Protocol day %A, %d %B") +
             f" · editable until {profile.day_start_hour:02d}:00 tomorrow"),
        Section(
            "Did you do today's action?",
            ft.Text(action, italic=True),
            ft.RadioGroup(
                value=done,
                on_change=lambda e: set_done(e.control.value),
                content=ft.Row([ft.Radio(value="yes", label="Yes, I did it"),
                                ft.Radio(value="no", label="No, not today")], wrap=True),
            ),
            ErrorText(problems.get("action_completed")),
            identifier="evening-action",
        ),
        Section(
            "Discipline rating",
            ft.Row(
                [
                    ft.Semantics(
                        label=f"Rating {n}",
                        selected=rating == n,
                        button=True,
                        content=ft.Container(
                            width=44, height=44, border_radius=22, alignment=ft.Alignment.CENTER,
                            bgcolor=ft.Colors.PRIMARY if rating == n else ft.Colors.SURFACE_CONTAINER_HIGHEST,
                            content=ft.Text(str(n), color=ft.Colors.ON_PRIMARY if rating == n else None,
                                            weight=ft.FontWeight.BOLD),
                            on_click=lambda _, n=n: set_rating(n),
                        ),
                    )
                    for n in range(1, 11)
                ],
                wrap=True,
                spacing=6,
                run_spacing=6,
            ),
            ErrorText(problems.get("discipline_rating")),
            identifier="evening-rating",
        ),
        Section(
            "Biggest win of the day",
            OwnNode(ft.TextField(label="Biggest win", value=(s.biggest_win or "") if s else "", multiline=True,
                                 min_lines=2, max_lines=5, max_length=1000,
                                 on_change=lambda e: setattr(win, "current", e.control.value))),
            ErrorText(problems.get("biggest_win")),
            identifier="evening-win",
        ),
        ErrorText(problems.get("form")),
        ft.FilledButton("Save evening review", icon=ft.Icons.SAVE, on_click=save),
        ft.Text("Saved ✓ — see you tomorrow morning.", color=ft.Colors.GREEN, visible=saved and not problems),
    ])
