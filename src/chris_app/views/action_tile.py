""""This builds toward": the morning's optional link from today's action to a vision tile.

One chip per tile (its thumbnail and caption). Never a required tap: before an action is
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
            content=ft.Chip(
                label=ft.Text(tile_name(t), max_lines=1, overflow=ft.TextOverflow.ELLIPSIS),
                leading=thumbnail(t),
                selected=t.id == linked,
                show_checkmark=False,
                on_select=lambda _, t=t: pick(None if t.id == linked else t.id),
            ),
        )
        for t in tiles
    ]
    return ft.Column([
        ft.Text("This builds toward (optional)", weight=ft.FontWeight.W_600),
        ft.Row(chips, wrap=True, spacing=8, run_spacing=8),
        Note("Link today's action to a picture on your board; Progress shows what you did toward each."),
        ErrorText(error),
    ], spacing=6)
