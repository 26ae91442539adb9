"""The morning's Board step: the whole board at a glance. Looking at it for VIEW_SECONDS (a
timer that starts when the step shows and stops if the member leaves) or tapping through every
image records "viewed" and moves on; there is no "I looked" button. An empty board invites the
member to add images and does not hold the morning up."""

from __future__ import annotations

import asyncio
import time

import flet as ft

from chris_app.services import day
from chris_app.services.vision_board import Tile
from chris_app.state import use_app
from chris_app.views.common import Check, Note, go
from chris_app.views.morning_step_body import StepBody
from chris_app.views.vision_board import TileGrid, image_bytes

VIEW_SECONDS = 8.0
TICK_S = 0.25  # the bar's steps


@ft.component
def BoardStep(tiles: list[Tile], viewed: bool, on_next):
    if not tiles:
        return EmptyBoard(on_next)
    return FullBoard(tiles, viewed, on_next)


def EmptyBoard(on_next) -> ft.Control:
    return StepBody("vision", [ft.Column([
        ft.Icon(ft.Icons.COLLECTIONS_OUTLINED, size=56, color=ft.Colors.PRIMARY),
        ft.Text("Your board is empty", theme_style=ft.TextThemeStyle.TITLE_LARGE, weight=ft.FontWeight.BOLD),
        Note("Add up to 8 images of the life you are building: they will greet you here every morning."),
        ft.FilledButton("Next: your action", icon=ft.Icons.ARROW_FORWARD, on_click=on_next, height=52),
        ft.OutlinedButton("Add images to your board", icon=ft.Icons.ADD_PHOTO_ALTERNATE_OUTLINED,
                          on_click=go("/vision-board")),
    ], spacing=14, horizontal_alignment=ft.CrossAxisAlignment.CENTER)])


@ft.component
def FullBoard(tiles: list[Tile], viewed: bool, on_next):
    app = use_app()
    slide, set_slide = ft.use_state(None)  # (index shown, images seen so far) in the slideshow
    timer = ft.use_ref(None)
    progress, set_progress = ft.use_state(0.0)  # of the VIEW_SECONDS, for the bar

    def record_viewed_and_go_on():
        app.act(day.mark_vision_board_viewed)
        on_next()

    async def countdown():
        begun = time.monotonic()
        while (seconds := time.monotonic() - begun) < VIEW_SECONDS:
            set_progress(seconds / VIEW_SECONDS)
            await asyncio.sleep(TICK_S)
        timer.current = None
        record_viewed_and_go_on()

    def start_timer():
        if not viewed and timer.current is None:
            timer.current = asyncio.create_task(countdown())

    def stop_timer():
        if timer.current is not None:
            timer.current.cancel()
            timer.current = None

    ft.on_mounted(start_timer)
    ft.on_unmounted(stop_timer)

    def open_slideshow(tile: Tile):
        stop_timer()  # the member is looking closely: no moving on under their finger
        set_slide((tiles.index(tile), 1))

    def next_slide(_=None):
        index, seen = slide
        if seen >= len(tiles):
            set_slide(None)
            if viewed:
                return
            record_viewed_and_go_on()
            return
        set_slide(((index + 1) % len(tiles), seen + 1))

    def close_slideshow(_=None):
        set_slide(None)
        set_progress(0.0)
        start_timer()

    if slide is not None:
        return Slideshow(tiles, *slide, next_slide, close_slideshow)
    return StepBody("vision", [ft.Column([
        # One line above the board, so all eight images fit on a phone's screen under it.
        Check(True, "Board viewed") if viewed else
        Note("Take a slow look at the life you are building. Tap an image to see it up close."),
        ft.Semantics(
            identifier="board-countdown",
            label="Looking at your board",
            container=True,
            visible=not viewed,
            content=ft.ProgressBar(value=progress, height=6, border_radius=3),
        ),
        TileGrid(tiles, on_tap=open_slideshow),
        ft.FilledButton("Next: your action", icon=ft.Icons.ARROW_FORWARD, on_click=on_next, height=52,
                        visible=viewed),
        ft.TextButton("Edit board", icon=ft.Icons.EDIT_OUTLINED, on_click=go("/vision-board")),
    ], spacing=8, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)])


def Slideshow(tiles: list[Tile], index: int, seen: int, on_next, on_close) -> ft.Control:
    tile = tiles[index]
    data = image_bytes(tile)
    last = seen >= len(tiles)
    return StepBody("slideshow", [ft.Column([
        ft.Row([
            ft.Text(f"{seen} of {len(tiles)}", weight=ft.FontWeight.W_600, expand=True),
            ft.TextButton("Close", icon=ft.Icons.CLOSE, on_click=on_close),
        ]),
        ft.Semantics(
            label=f"Image {seen} of {len(tiles)}: {tile.caption or 'no caption'}",
            button=True,
            container=True,
            exclude_semantics=True,
            on_tap=on_next,
            content=ft.Container(
                on_click=on_next,
                height=420,
                border_radius=20,
                clip_behavior=ft.ClipBehavior.ANTI_ALIAS,
                bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST,
                image=ft.DecorationImage(src=data, fit=ft.BoxFit.COVER) if data else None,
                # The caption on a dark scrim along the image's whole bottom edge.
                content=ft.Column([ft.Container(
                    padding=ft.Padding.only(left=16, right=16, top=40, bottom=16),
                    gradient=ft.LinearGradient(begin=ft.Alignment.TOP_CENTER, end=ft.Alignment.BOTTOM_CENTER,
                                               colors=["#00000000", "#CC000000"]),
                    content=ft.Text(tile.caption or "", color=ft.Colors.WHITE, size=22,
                                    weight=ft.FontWeight.W_600),
                    visible=bool(tile.caption),
                )], alignment=ft.MainAxisAlignment.END, horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
            ),
        ),
        ft.FilledButton("Done looking" if last else "Next image", icon=ft.Icons.ARROW_FORWARD,
                        on_click=on_next, height=52),
    ], spacing=12, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)])
