"""The morning's Action step: three library actions matched to the member's recent difficulty
(one tap commits one), AI suggestions for signed-in members, or their own words. The whole
library stays a tap away, folded."""

from __future__ import annotations

import flet as ft

from chris_app.domain import limits
from chris_app.library import CATEGORIES, LibraryAction, by_category
from chris_app.services import day, vision_board
from chris_app.services.day import DaySession
from chris_app.state import use_app
from chris_app.views.action_tile import BuildsToward
from chris_app.views.ai import SuggestActions
from chris_app.views.common import Check, ErrorText, OwnNode
from chris_app.views.morning_step_body import StepBody


def SuggestionCard(action: LibraryAction, chosen: bool, on_choose) -> ft.Control:
    """One tap on the card commits the action."""
    return ft.Semantics(
        label=f"Choose: {action.action}. {action.description} Difficulty {action.difficulty} of 10"
              + (", chosen" if chosen else ""),
        button=True,
        container=True,
        exclude_semantics=True,
        on_tap=lambda _: on_choose(action.id),
        content=ft.Container(
            on_click=lambda _: on_choose(action.id),
            padding=14,
            border_radius=16,
            bgcolor=ft.Colors.SECONDARY_CONTAINER if chosen else ft.Colors.SURFACE_CONTAINER_HIGH,
            border=ft.Border.all(2, ft.Colors.PRIMARY if chosen else ft.Colors.TRANSPARENT),
            content=ft.Row([
                ft.Column([
                    ft.Text(action.action, size=17, weight=ft.FontWeight.W_600),
                    ft.Text(f"{action.category.capitalize()} · difficulty {action.difficulty}/10",
                            size=13, color=ft.Colors.ON_SURFACE_VARIANT),
                ], spacing=2, expand=True),
                ft.Icon(ft.Icons.CHECK_CIRCLE if chosen else ft.Icons.ARROW_FORWARD_IOS,
                        color=ft.Colors.PRIMARY, size=22 if chosen else 16),
            ], vertical_alignment=ft.CrossAxisAlignment.CENTER),
        ),
    )


@ft.component
def WholeLibrary(on_choose):
    category, set_category = ft.use_state(CATEGORIES[0])
    return ft.Column([
        ft.Row([ft.Chip(label=ft.Text(c.capitalize()), selected=c == category,
                        on_select=lambda e, c=c: set_category(c)) for c in CATEGORIES], wrap=True),
        ft.Column([
            ft.ListTile(
                title=ft.Text(a.action),
                subtitle=ft.Text(f"{a.description}  ·  difficulty {a.difficulty}/10"),
                trailing=ft.TextButton("Choose", on_click=lambda _, i=a.id: on_choose(i), tooltip=f"Choose: {a.action}"),
                content_padding=0,
            )
            for a in by_category(category)
        ], spacing=0),
    ])


@ft.component
def ActionStep(session: DaySession | None, on_set):
    app = use_app()
    own = ft.use_ref("")  # uncontrolled text field, see evening.py
    error, set_error = ft.use_state("")
    browsing, set_browsing = ft.use_state(False)
    suggestions = app.read(day.action_suggestions, app.now())
    current = session.violent_action if session else None
    current_id = session.violent_action_id if session else None
    tiles = app.read(vision_board.tiles)
    # the tile this action builds toward: the saved link, or the chip tapped before an action
    toward, set_toward = ft.use_state(session.action_tile_id if session else None)
    toward = toward if any(t.id == toward for t in tiles) else None

    def done(outcome):
        set_error(outcome.error.message if outcome.error else "")
        if outcome.ok:
            on_set()

    def choose(library_id: str):
        done(app.act(day.set_action, "", library_id=library_id, tile_id=toward))

    def set_own_action(_):
        done(app.act(day.set_action, own.current, tile_id=toward))

    return StepBody("action", [ft.Column([
        ft.Text("Today's violent action", theme_style=ft.TextThemeStyle.TITLE_LARGE, weight=ft.FontWeight.BOLD),
        Check(bool(current), current or "Choose one bold move outside your comfort zone."),
        BuildsToward(tiles, toward, bool(current), set_toward),
        *[SuggestionCard(a, a.id == current_id, choose) for a in suggestions],
        SuggestActions(on_chosen=lambda: on_set()),
        OwnNode(ft.TextField(label="Or write your own action", max_length=limits.ACTION_MAX,
                             on_change=lambda e: setattr(own, "current", e.control.value),
                             on_submit=set_own_action)),
        ft.FilledTonalButton("Set my own action", icon=ft.Icons.EDIT_OUTLINED, on_click=set_own_action),
        ErrorText(error),
        ft.TextButton("Hide the library" if browsing else "Browse the whole library",
                      icon=ft.Icons.EXPAND_LESS if browsing else ft.Icons.MENU_BOOK_OUTLINED,
                      on_click=lambda _: set_browsing(not browsing)),
        WholeLibrary(choose) if browsing else ft.Container(),
    ], spacing=12, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)])
