"""Morning `/morning`: a guided ritual of four steps, Read & record → Board → Action → Done.

It opens at the first unfinished step (chris_app.domain.days.first_unfinished_step), or at
the one a link asks for (`/morning?step=board`); the step indicator shows where the member is
and takes them back to any step they have reached."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import flet as ft

from chris_app.services import day, summary, vision_board
from chris_app.state import use_app
from chris_app.views.common import Frame, Note
from chris_app.views.morning_action import ActionStep
from chris_app.views.morning_board import BoardStep
from chris_app.views.morning_done import DoneStep
from chris_app.views.morning_record import RecordStep
from chris_app.views.subscribe import Paywall

STEPS = {"record": "Read & record", "board": "Board", "action": "Action", "done": "Done"}
SHORT = {"record": "Record", "board": "Board", "action": "Action", "done": "Done"}  # under the segments
ORDER = list(STEPS)


def asked_step(route: str | None) -> str | None:
    """The step a link asks for: /morning?step=board."""
    wanted = parse_qs(urlparse(route or "").query).get("step", [None])[0]
    return wanted if wanted in STEPS else None


def StepIndicator(step: str, finished: dict[str, bool], on_go, day_text: str) -> ft.Control:
    """Where the member is: "Step 2 of 4 · Board" (announced when it changes) and four
    segments. A segment leads back to its step (the Done step once the morning is finished)."""
    number = ORDER.index(step) + 1

    def segment(i: int, key: str) -> ft.Control:
        here, done = key == step, finished.get(key, False)
        reachable = key != "done" or finished["done"]
        state = "current step" if here else ("done" if done else "not done")
        go_there = (lambda _, k=key: on_go(k)) if reachable and not here else None
        return ft.Container(expand=True, content=ft.Semantics(
            label=f"Step {i} of {len(ORDER)}: {STEPS[key]}, {state}",
            button=go_there is not None,
            container=True,
            exclude_semantics=True,
            on_tap=go_there,
            content=ft.Container(
                on_click=go_there,
                padding=ft.Padding.only(top=4, bottom=4),
                content=ft.Column([
                    ft.Container(height=6, border_radius=3,
                                 bgcolor=ft.Colors.PRIMARY if done or here else ft.Colors.SURFACE_CONTAINER_HIGHEST),
                    ft.Row([
                        ft.Icon(ft.Icons.CHECK_CIRCLE if done else ft.Icons.CIRCLE_OUTLINED, size=14,
                                color=ft.Colors.PRIMARY if done else ft.Colors.ON_SURFACE_VARIANT),
                        ft.Text(SHORT[key], size=12, no_wrap=True, overflow=ft.TextOverflow.ELLIPSIS, expand=True,
                                weight=ft.FontWeight.BOLD if here else ft.FontWeight.NORMAL,
                                color=ft.Colors.ON_SURFACE if here else ft.Colors.ON_SURFACE_VARIANT),
                    ], spacing=4),
                ], spacing=6, horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
            ),
        ))

    return ft.Column([
        # Wraps: with large text the date goes under the step instead of squeezing it.
        ft.Row([
            ft.Semantics(identifier="morning-step", label=f"Step {number} of {len(ORDER)}: {STEPS[step]}",
                         container=True, live_region=True, exclude_semantics=True,
                         content=ft.Text(f"Step {number} of {len(ORDER)} · {STEPS[step]}", size=14,
                                         weight=ft.FontWeight.BOLD, color=ft.Colors.PRIMARY)),
            Note(day_text),
        ], wrap=True, alignment=ft.MainAxisAlignment.SPACE_BETWEEN, run_spacing=2),
        ft.Row([segment(i, key) for i, key in enumerate(ORDER, start=1)], spacing=6),
    ], spacing=4, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)


@ft.component
def Morning():
    app = use_app()
    page = ft.context.page
    paywalled = app.paywalled()
    current = app.read(summary.today_session, app.now())
    tiles = app.read(vision_board.tiles)
    s = current.session
    first = day.morning_step(s, not tiles)
    step, set_step = ft.use_state(lambda: asked_step(page.route) or first)
    just_finished, set_just_finished = ft.use_state(False)
    route = page.route

    def follow_link():
        """A link to another step while the morning is open (/morning?step=action)."""
        if (wanted := asked_step(route)) is not None:
            set_step(wanted)

    ft.use_effect(follow_link, dependencies=[route])
    if paywalled:
        return Paywall("/morning", "Morning protocol")

    finished = {**day.morning_steps(s, not tiles), "done": first == "done"}

    def onward(_=None) -> None:
        """After a step: the first one still open, in order (the celebration when none is)."""
        s_now = app.read(summary.today_session, app.now()).session
        nxt = day.morning_step(s_now, not app.read(vision_board.tiles))
        if nxt == "done":
            set_just_finished(True)
        set_step(nxt)

    shown = step if step != "done" or finished["done"] else first
    on_board = [t for t in tiles if t.image_path.exists()]  # images synced but not downloaded yet are left out
    body = {
        "record": lambda: RecordStep(on_next=lambda _: set_step("board")),
        # An empty board (or one whose images are not on this device yet) moves straight on.
        "board": lambda: BoardStep(on_board, bool(s and s.vision_board_viewed),
                                   on_next=onward if on_board else (lambda _=None: set_step("action"))),
        "action": lambda: ActionStep(s, on_set=onward),
        "done": lambda: DoneStep(just_finished, s.violent_action if s else None),
    }[shown]()
    return Frame("/morning", "Morning protocol", [ft.Column([
        StepIndicator(shown, finished, set_step, current.today.strftime("Protocol day %a %d %b")),
        ft.Container(body, key=f"step-{shown}"),
    ], spacing=12, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)])
