""""This builds toward": the morning's optional link from today's action to a vision tile.

One chip per tile (its thumbnail and caption), in one line that scrolls sideways. Never a required tap: before an action is
chosen, a tapped chip is remembered and goes with the action; once an action is set, a tap
links it at once, and tapping the linked chip again unlinks it. Nothing shows without tiles."""

from __future__ import annotations

import flet as ft

from chris_app.services import day
from chris_app.services.vision_board import Tile
from chris_app.state import use_app
from chris_app.views.board_tiles import image_bytes
from chris_app.views.common import ErrorText, Note


def tile_name(tile: Tile) -> str:
    return (tile.caption or "").strip() or f"Picture {tile.position}"


def thumbnail(tile: Tile) -> ft.Control:
    data = image_bytes(tile)
    return ft.Container(
        width=28, height=28, border_radius=6, clip_behavior=ft.ClipBehavior.ANTI_ALIAS,
        bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST,
        image=ft.DecorationImage(src=data, fit=ft.BoxFit.COVER) if data else None,
    )


@ft.component
def BuildsToward(tiles: list[Tile], linked: str | None, has_action: bool, on_pick):
    """`linked`: the tile chosen (linked, or remembered for the action to come); `on_pick(id|None)`."""
    app = use_app()
    error, set_error = ft.use_state("")
    if not tiles:
        return ft.Container()

    def pick(tile_id: str | None):
        if has_action:
            outcome = app.act(day.link_action_tile, tile_id)
            set_error(outcome.error.message if outcome.error else "")
            if not outcome.ok:
                return
        on_pick(tile_id)

    chips = [
        ft.Semantics(
            identifier=f"builds-toward-{t.position}",
            label=f"This builds toward: {tile_name(t)}" + (", chosen" if t.id == linked else ""),
            button=True, container=True, exclude_semantics=True,
            on_tap=lambda _, t=t: pick(None if t.id == linked else t.id),
            content=ft.Container(
                on_click=lambda _, t=t: pick(None if t.id == linked else t.id),
                padding=ft.Padding.only(left=6, right=12, top=4, bottom=4),
                border_radius=10,
                bgcolor=ft.Colors.SECONDARY_CONTAINER if t.id == linked else None,
                border=ft.Border.all(2 if t.id == linked else 1,
                                     ft.Colors.PRIMARY if t.id == linked else ft.Colors.OUTLINE),
                content=ft.Row([thumbnail(t), ft.Text(tile_name(t), no_wrap=True)], spacing=8, tight=True),
            ),
        )
        for t in tiles
    ]
    return ft.Column([
        Note("This builds toward (optional): link today's action to a picture on your board."),
        # one line that scrolls sideways (the suggestions below stay in view on a phone); each
        # chip as wide as its caption
        ft.Semantics(identifier="builds-toward", container=True,
                     content=ft.ListView(chips, horizontal=True, height=44, spacing=8)),
        ErrorText(error),
    ], spacing=4)
